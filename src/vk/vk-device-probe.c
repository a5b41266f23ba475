/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What vk-context.c learns about each physical device before choosing one:
 * properties, features, limits, queues, memory, and the cooperative-matrix
 * shapes (vk-device-probe.h).
 */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <string.h>

#include "vk/vk-device-probe.h"

/* Not in the Debian 12 headers (1.3.239); we only report them. */
#define LB_VK_KHR_COOPERATIVE_MATRIX_NAME "VK_KHR_cooperative_matrix"
#define LB_VK_NV_COOPERATIVE_MATRIX2_NAME "VK_NV_cooperative_matrix2"

static gboolean
has_device_extension (const VkExtensionProperties *exts, guint32 n, const char *name)
{
  for (guint32 i = 0; i < n; i++)
    if (strcmp (exts[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

const char *
lb_vk_device_type_name (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other device";
    }
}

/* VK_NV_cooperative_matrix: the feature, compute-stage support and a
 * subgroup-scope shape of f16 A and B, f32 C and D, M = K = 16, N = 16 or
 * 8 (the tile of shaders/mul-mm-coopmat.comp). Fills info->coopmat_* only
 * when all are there; LIGHTBOX_VK_COOPMAT=0 skips the query. The kernel's
 * SPIR-V declares the Vulkan memory model (glslang's output for
 * GL_KHR_memory_scope_semantics), so the device must offer
 * vulkanMemoryModel too (create_device enables it with the extension). */
static void
probe_cooperative_matrix (VkInstance instance, VkPhysicalDevice handle, const VkExtensionProperties *exts,
                          guint32 n_exts, gboolean vulkan_memory_model, LbVkDeviceInfo *info)
{
  const char *env = g_getenv ("LIGHTBOX_VK_COOPMAT");
  PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get_shapes;
  VkPhysicalDeviceCooperativeMatrixFeaturesNV features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
  };
  VkPhysicalDeviceFeatures2 f2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &features };
  VkPhysicalDeviceCooperativeMatrixPropertiesNV props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_NV,
  };
  VkPhysicalDeviceProperties2 p2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &props };
  g_autofree VkCooperativeMatrixPropertiesNV *shapes = NULL;
  guint32 n_shapes = 0;

  if ((env != NULL && g_str_equal (env, "0")) || !info->float16 || !vulkan_memory_model
      || !has_device_extension (exts, n_exts, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME))
    return;
  get_shapes = (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)
    vkGetInstanceProcAddr (instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
  vkGetPhysicalDeviceFeatures2 (handle, &f2);
  vkGetPhysicalDeviceProperties2 (handle, &p2);
  if (get_shapes == NULL || !features.cooperativeMatrix
      || !(props.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
      || get_shapes (handle, &n_shapes, NULL) != VK_SUCCESS || n_shapes == 0)
    return;
  shapes = g_new0 (VkCooperativeMatrixPropertiesNV, n_shapes);
  for (guint32 i = 0; i < n_shapes; i++)
    shapes[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
  if (get_shapes (handle, &n_shapes, shapes) < 0)
    return;
  for (guint32 i = 0; i < n_shapes; i++)
    {
      const VkCooperativeMatrixPropertiesNV *m = &shapes[i];

      if (m->scope != VK_SCOPE_SUBGROUP_NV || m->AType != VK_COMPONENT_TYPE_FLOAT16_NV
          || m->BType != VK_COMPONENT_TYPE_FLOAT16_NV || m->CType != VK_COMPONENT_TYPE_FLOAT32_NV
          || m->DType != VK_COMPONENT_TYPE_FLOAT32_NV || m->MSize != 16 || m->KSize != 16
          || (m->NSize != 16 && m->NSize != 8))
        continue;
      /* 16 × 16 × 16 where offered: half as many A loads per product. */
      if (info->coopmat_n < m->NSize)
        {
          info->cooperative_matrix_nv = TRUE;
          info->coopmat_m = 16, info->coopmat_n = m->NSize, info->coopmat_k = 16;
        }
    }
}

static void
probe_device (VkInstance instance, VkPhysicalDevice handle, guint index, guint32 instance_version, LbVkCandidate *c)
{
  LbVkDeviceInfo *info = &c->info;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties mem;
  guint32 n_families = 0, n_exts = 0;
  g_autofree VkQueueFamilyProperties *families = NULL;
  g_autofree VkExtensionProperties *exts = NULL;
  g_autoptr(GString) missing = g_string_new (NULL);

  memset (c, 0, sizeof *c);
  c->handle = handle;
  info->index = index;

  vkGetPhysicalDeviceProperties (handle, &props);
  g_strlcpy (info->name, props.deviceName, sizeof info->name);
  info->type = props.deviceType;
  info->vendor_id = props.vendorID;
  info->device_id = props.deviceID;
  info->driver_version = props.driverVersion;
  info->api_version = props.apiVersion;
  memcpy (info->pipeline_cache_uuid, props.pipelineCacheUUID, VK_UUID_SIZE);
  info->max_storage_buffer_range = props.limits.maxStorageBufferRange;
  info->min_storage_buffer_offset_alignment = MAX (props.limits.minStorageBufferOffsetAlignment, 4);
  info->non_coherent_atom_size = props.limits.nonCoherentAtomSize;
  info->max_push_constants_size = props.limits.maxPushConstantsSize;
  info->max_shared_memory_size = props.limits.maxComputeSharedMemorySize;
  for (guint i = 0; i < 3; i++)
    {
      info->max_workgroup_count[i] = props.limits.maxComputeWorkGroupCount[i];
      info->max_workgroup_size[i] = props.limits.maxComputeWorkGroupSize[i];
    }
  info->max_workgroup_invocations = props.limits.maxComputeWorkGroupInvocations;
  info->max_bound_storage_buffers = props.limits.maxPerStageDescriptorStorageBuffers;
  info->timestamp_period_ns = props.limits.timestampPeriod;

  vkEnumerateDeviceExtensionProperties (handle, NULL, &n_exts, NULL);
  exts = g_new0 (VkExtensionProperties, MAX (n_exts, 1));
  vkEnumerateDeviceExtensionProperties (handle, NULL, &n_exts, exts);
  c->has_memory_budget = has_device_extension (exts, n_exts, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
  info->cooperative_matrix = has_device_extension (exts, n_exts, LB_VK_KHR_COOPERATIVE_MATRIX_NAME);
  info->cooperative_matrix2 = has_device_extension (exts, n_exts, LB_VK_NV_COOPERATIVE_MATRIX2_NAME);

  if (props.apiVersion < VK_API_VERSION_1_2)
    {
      c->unusable = g_strdup_printf ("Vulkan %u.%u < 1.2", VK_API_VERSION_MAJOR (props.apiVersion),
                                     VK_API_VERSION_MINOR (props.apiVersion));
      return;
    }

  /* Properties and features of Vulkan 1.1/1.2/1.3. */
  {
    gboolean v13 = props.apiVersion >= VK_API_VERSION_1_3 && instance_version >= VK_API_VERSION_1_3;
    VkPhysicalDeviceVulkan13Properties p13 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_PROPERTIES };
    VkPhysicalDeviceVulkan12Properties p12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES,
                                               .pNext = v13 ? &p13 : NULL };
    VkPhysicalDeviceVulkan11Properties p11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES,
                                               .pNext = &p12 };
    VkPhysicalDeviceProperties2 p2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &p11 };
    VkPhysicalDeviceVulkan13Features f13 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES };
    VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                             .pNext = v13 ? &f13 : NULL };
    VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                             .pNext = &f12 };
    VkPhysicalDeviceFeatures2 f2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11 };

    vkGetPhysicalDeviceProperties2 (handle, &p2);
    vkGetPhysicalDeviceFeatures2 (handle, &f2);

    g_strlcpy (info->driver_name, p12.driverName, sizeof info->driver_name);
    g_strlcpy (info->driver_info, p12.driverInfo, sizeof info->driver_info);
    info->subgroup_size = p11.subgroupSize;
    info->min_subgroup_size = info->max_subgroup_size = p11.subgroupSize;
    info->subgroup_arithmetic = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
                                && (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT)
                                && (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
    info->subgroup_shuffle = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
                             && (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
    info->max_memory_allocation_size = p11.maxMemoryAllocationSize;
    info->max_buffer_size = v13 ? p13.maxBufferSize : p11.maxMemoryAllocationSize;
    if (v13 && f13.subgroupSizeControl && (p13.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT))
      {
        info->subgroup_size_control = TRUE;
        /* A separate feature: not every device with size control has it. */
        info->compute_full_subgroups = f13.computeFullSubgroups;
        info->min_subgroup_size = p13.minSubgroupSize;
        info->max_subgroup_size = p13.maxSubgroupSize;
      }
    info->float16 = f12.shaderFloat16;
    info->int8 = f12.shaderInt8;
    info->int16 = f2.features.shaderInt16;
    info->int64 = f2.features.shaderInt64;
    info->storage_16bit = f11.storageBuffer16BitAccess;
    info->storage_8bit = f12.storageBuffer8BitAccess;
    info->integer_dot_product = v13 && f13.shaderIntegerDotProduct;

    probe_cooperative_matrix (instance, handle, exts, n_exts, f12.vulkanMemoryModel, info);

    if (!info->storage_16bit)
      g_string_append (missing, ", storageBuffer16BitAccess");
    if (!info->storage_8bit)
      g_string_append (missing, ", storageBuffer8BitAccess");
    if (!info->subgroup_arithmetic)
      g_string_append (missing, ", subgroup arithmetic in compute shaders");
    if (info->max_push_constants_size < 128)
      g_string_append (missing, ", 128 bytes of push constants");
    if (info->max_shared_memory_size < 16384)
      g_string_append (missing, ", 16 KiB of shared memory");
  }

  vkGetPhysicalDeviceQueueFamilyProperties (handle, &n_families, NULL);
  families = g_new0 (VkQueueFamilyProperties, MAX (n_families, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (handle, &n_families, families);
  for (guint32 i = 0; i < n_families; i++)
    {
      if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
        continue;
      /* The first compute family, unless a later one can time phases. */
      if (!c->has_compute_queue || (info->timestamp_valid_bits == 0 && families[i].timestampValidBits > 0))
        {
          c->has_compute_queue = TRUE;
          c->queue_family = i;
          info->timestamp_valid_bits = families[i].timestampValidBits;
        }
    }
  if (!c->has_compute_queue)
    g_string_append (missing, ", a compute queue");

  vkGetPhysicalDeviceMemoryProperties (handle, &mem);
  for (guint32 h = 0; h < mem.memoryHeapCount; h++)
    if (mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info->device_local_bytes = MAX (info->device_local_bytes, mem.memoryHeaps[h].size);
  for (guint32 t = 0; t < mem.memoryTypeCount; t++)
    {
      VkMemoryPropertyFlags f = mem.memoryTypes[t].propertyFlags;

      if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
        info->host_visible_device_memory = TRUE;
    }
  info->unified_memory = info->host_visible_device_memory
                         && (info->type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU
                             || info->type == VK_PHYSICAL_DEVICE_TYPE_CPU);

  if (missing->len > 0)
    c->unusable = g_strdup_printf ("lacks %s", missing->str + 2);
}

/* Discrete > integrated > virtual > CPU; among equals the larger memory. */
static int
score_device (const LbVkCandidate *c)
{
  int type_score;

  if (c->unusable != NULL)
    return -1;
  switch (c->info.type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: type_score = 4; break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: type_score = 3; break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: type_score = 2; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: type_score = 1; break;
    default: type_score = 0; break;
    }
  /* Memory in GiB breaks ties, capped so it never outweighs the type. */
  return type_score * 1000 + (int) MIN (c->info.device_local_bytes >> 30, 999);
}

gboolean
lb_vk_enumerate_candidates (VkInstance instance, guint32 instance_version, GArray **out, GError **error)
{
  guint32 n = 0;
  g_autofree VkPhysicalDevice *handles = NULL;
  g_autoptr(GArray) candidates = g_array_new (FALSE, TRUE, sizeof (LbVkCandidate));

  if (!lb_vk_check (vkEnumeratePhysicalDevices (instance, &n, NULL), "vkEnumeratePhysicalDevices", error))
    return FALSE;
  if (n == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE,
                   "no Vulkan device found; without a GPU, Mesa's lavapipe (mesa-vulkan-drivers) "
                   "provides one");
      return FALSE;
    }
  handles = g_new0 (VkPhysicalDevice, n);
  if (!lb_vk_check (vkEnumeratePhysicalDevices (instance, &n, handles), "vkEnumeratePhysicalDevices", error))
    return FALSE;
  g_array_set_size (candidates, n);
  for (guint32 i = 0; i < n; i++)
    {
      LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);

      probe_device (instance, handles[i], i, instance_version, c);
      c->score = score_device (c);
    }
  *out = g_steal_pointer (&candidates);
  return TRUE;
}

void
lb_vk_free_candidates (GArray *candidates)
{
  for (guint i = 0; i < candidates->len; i++)
    g_free (g_array_index (candidates, LbVkCandidate, i).unusable);
  g_array_unref (candidates);
}
