/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vk/vk-context.h"
#include "vk/vk-device-probe.h"
#include "vk/vk-memory.h"
#include "vk/vk-pipeline.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

G_DEFINE_QUARK (lb-vk-error-quark, lb_vk_error)

const char *
lb_vk_result_name (VkResult result)
{
  switch (result)
    {
#define CASE(x) case x: return #x
    CASE (VK_SUCCESS);
    CASE (VK_NOT_READY);
    CASE (VK_TIMEOUT);
    CASE (VK_EVENT_SET);
    CASE (VK_EVENT_RESET);
    CASE (VK_INCOMPLETE);
    CASE (VK_ERROR_OUT_OF_HOST_MEMORY);
    CASE (VK_ERROR_OUT_OF_DEVICE_MEMORY);
    CASE (VK_ERROR_INITIALIZATION_FAILED);
    CASE (VK_ERROR_DEVICE_LOST);
    CASE (VK_ERROR_MEMORY_MAP_FAILED);
    CASE (VK_ERROR_LAYER_NOT_PRESENT);
    CASE (VK_ERROR_EXTENSION_NOT_PRESENT);
    CASE (VK_ERROR_FEATURE_NOT_PRESENT);
    CASE (VK_ERROR_INCOMPATIBLE_DRIVER);
    CASE (VK_ERROR_TOO_MANY_OBJECTS);
    CASE (VK_ERROR_FORMAT_NOT_SUPPORTED);
    CASE (VK_ERROR_FRAGMENTED_POOL);
    CASE (VK_ERROR_UNKNOWN);
    CASE (VK_ERROR_OUT_OF_POOL_MEMORY);
    CASE (VK_ERROR_INVALID_EXTERNAL_HANDLE);
    CASE (VK_ERROR_FRAGMENTATION);
    CASE (VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS);
    CASE (VK_PIPELINE_COMPILE_REQUIRED);
#undef CASE
    default:
      return "VkResult (unknown)";
    }
}

static void
describe_result (VkResult result, LbVkError *code, const char **what)
{
  switch (result)
    {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      *code = LB_VK_ERROR_OUT_OF_MEMORY, *what = "out of host memory";
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      *code = LB_VK_ERROR_OUT_OF_MEMORY, *what = "out of device memory";
      break;
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL:
    case VK_ERROR_FRAGMENTATION:
      *code = LB_VK_ERROR_OUT_OF_MEMORY, *what = "out of pool memory";
      break;
    case VK_ERROR_DEVICE_LOST:
      *code = LB_VK_ERROR_DEVICE_LOST, *what = "the device was lost (driver reset or crash)";
      break;
    case VK_ERROR_LAYER_NOT_PRESENT:
      *code = LB_VK_ERROR_MISSING_LAYER, *what = "a layer is not installed";
      break;
    case VK_ERROR_EXTENSION_NOT_PRESENT:
      *code = LB_VK_ERROR_MISSING_FEATURE, *what = "an extension is not supported";
      break;
    case VK_ERROR_FEATURE_NOT_PRESENT:
      *code = LB_VK_ERROR_MISSING_FEATURE, *what = "a feature is not supported";
      break;
    case VK_ERROR_INCOMPATIBLE_DRIVER:
      *code = LB_VK_ERROR_NO_DEVICE, *what = "no compatible Vulkan driver";
      break;
    case VK_ERROR_INITIALIZATION_FAILED:
      *code = LB_VK_ERROR_FAILED, *what = "initialization failed";
      break;
    case VK_TIMEOUT:
      *code = LB_VK_ERROR_DEVICE_LOST, *what = "timed out (the device hangs)";
      break;
    default:
      *code = LB_VK_ERROR_FAILED, *what = "failed";
      break;
    }
}

gboolean
lb_vk_check (VkResult result, const char *operation, GError **error)
{
  LbVkError code;
  const char *what;

  if (result == VK_SUCCESS || (result > 0 && result != VK_TIMEOUT))
    return TRUE;
  describe_result (result, &code, &what);
  g_set_error (error, LB_VK_ERROR, code, "%s: %s (%s)", operation, what, lb_vk_result_name (result));
  return FALSE;
}

gboolean
lb_vk_checkf (VkResult result, GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *operation = NULL;

  if (result == VK_SUCCESS || (result > 0 && result != VK_TIMEOUT))
    return TRUE;
  va_start (args, format);
  operation = g_strdup_vprintf (format, args);
  va_end (args);
  return lb_vk_check (result, operation, error);
}

/* Validation messages: anything of warning severity or worse is a bug in
 * our use of Vulkan, and must fail the test that caused it. */
static VkBool32 VKAPI_PTR
debug_messenger_cb (VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                    VkDebugUtilsMessageTypeFlagsEXT types,
                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                    void *user_data)
{
  const char *message = data != NULL && data->pMessage != NULL ? data->pMessage : "(no message)";

  /* The loader's own general warnings ("VK_INSTANCE_LAYERS adds a layer")
   * are not about our use of the API. */
  if ((severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
       && (types & (VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT)))
      || severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
    g_critical ("Vulkan validation: %s", message);
  else
    g_debug ("Vulkan: %s", message);
  return VK_FALSE;
}

static gboolean
env_true (const char *name)
{
  const char *value = g_getenv (name);

  return value != NULL && (strcmp (value, "1") == 0 || g_ascii_strcasecmp (value, "true") == 0
                           || g_ascii_strcasecmp (value, "yes") == 0);
}

static gboolean
has_layer (const char *name)
{
  guint32 n = 0;
  g_autofree VkLayerProperties *layers = NULL;

  if (vkEnumerateInstanceLayerProperties (&n, NULL) != VK_SUCCESS)
    return FALSE;
  layers = g_new0 (VkLayerProperties, MAX (n, 1));
  if (vkEnumerateInstanceLayerProperties (&n, layers) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (strcmp (layers[i].layerName, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_instance_extension (const char *layer, const char *name)
{
  guint32 n = 0;
  g_autofree VkExtensionProperties *exts = NULL;

  if (vkEnumerateInstanceExtensionProperties (layer, &n, NULL) != VK_SUCCESS)
    return FALSE;
  exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  if (vkEnumerateInstanceExtensionProperties (layer, &n, exts) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (strcmp (exts[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
create_instance (LbVkContext *ctx, GError **error)
{
  guint32 loader_version = VK_API_VERSION_1_0;
  const char *layers[1];
  const char *extensions[1];
  guint n_layers = 0, n_extensions = 0;
  VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
                       | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT
                   | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
                   | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = debug_messenger_cb,
  };
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Lightbox",
    .applicationVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
    .pEngineName = "lightbox-vk",
    .engineVersion = VK_MAKE_API_VERSION (0, 0, 1, 0),
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkResult result;

  if (vkEnumerateInstanceVersion (&loader_version) != VK_SUCCESS)
    loader_version = VK_API_VERSION_1_0;
  if (loader_version < VK_API_VERSION_1_2)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE,
                   "the Vulkan loader supports version %u.%u, Lightbox needs 1.2",
                   VK_API_VERSION_MAJOR (loader_version), VK_API_VERSION_MINOR (loader_version));
      return FALSE;
    }
  app.apiVersion = loader_version >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : VK_API_VERSION_1_2;

  ctx->validation = env_true ("LIGHTBOX_VK_VALIDATION");
  if (ctx->validation)
    {
      if (!has_layer (VALIDATION_LAYER))
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_LAYER,
                       "LIGHTBOX_VK_VALIDATION is set but the Vulkan layer %s is not installed "
                       "(Debian: vulkan-validationlayers)", VALIDATION_LAYER);
          return FALSE;
        }
      if (!has_instance_extension (NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)
          && !has_instance_extension (VALIDATION_LAYER, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_LAYER,
                       "LIGHTBOX_VK_VALIDATION is set but %s is not available",
                       VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
          return FALSE;
        }
      layers[n_layers++] = VALIDATION_LAYER;
      extensions[n_extensions++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
      /* Also catches messages from vkCreateInstance/vkDestroyInstance. */
      info.pNext = &messenger_info;
    }
  info.enabledLayerCount = n_layers;
  info.ppEnabledLayerNames = layers;
  info.enabledExtensionCount = n_extensions;
  info.ppEnabledExtensionNames = extensions;

  result = vkCreateInstance (&info, NULL, &ctx->instance);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE,
                   "no Vulkan driver is installed (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER); "
                   "without a GPU, Mesa's lavapipe (mesa-vulkan-drivers) provides one");
      return FALSE;
    }
  if (!lb_vk_check (result, "vkCreateInstance", error))
    return FALSE;

  if (ctx->validation)
    {
      PFN_vkCreateDebugUtilsMessengerEXT create_messenger = (PFN_vkCreateDebugUtilsMessengerEXT)
        vkGetInstanceProcAddr (ctx->instance, "vkCreateDebugUtilsMessengerEXT");

      if (create_messenger == NULL)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_LAYER,
                       "vkCreateDebugUtilsMessengerEXT is missing although validation is enabled");
          return FALSE;
        }
      if (!lb_vk_check (create_messenger (ctx->instance, &messenger_info, NULL, &ctx->messenger),
                        "vkCreateDebugUtilsMessengerEXT", error))
        return FALSE;
    }
  return TRUE;
}


/* wanted: an index or a name substring (NULL or "": by score); source
 * names where it came from, for the messages ("LIGHTBOX_VK_DEVICE=1"). */
static LbVkCandidate *
choose_device (GArray *candidates, const char *wanted, const char *source, GError **error)
{
  LbVkCandidate *best = NULL;

  if (wanted != NULL && *wanted != '\0')
    {
      char *end = NULL;
      guint64 index = g_ascii_strtoull (wanted, &end, 10);
      LbVkCandidate *match = NULL;

      if (end != wanted && *end == '\0')
        {
          if (index >= candidates->len)
            {
              g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE,
                           "%s: there are only %u Vulkan devices (0 to %u)",
                           source, candidates->len, candidates->len - 1);
              return NULL;
            }
          match = &g_array_index (candidates, LbVkCandidate, index);
        }
      else
        {
          g_autofree char *needle = g_utf8_casefold (wanted, -1);

          for (guint i = 0; i < candidates->len && match == NULL; i++)
            {
              LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);
              g_autofree char *name = g_utf8_casefold (c->info.name, -1);

              if (strstr (name, needle) != NULL)
                match = c;
            }
          if (match == NULL)
            {
              g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE,
                           "%s matches no Vulkan device name", source);
              return NULL;
            }
        }
      if (match->unusable != NULL)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                       "%s selects %s, which %s", source, match->info.name,
                       match->unusable);
          return NULL;
        }
      return match;
    }

  for (guint i = 0; i < candidates->len; i++)
    {
      LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);

      if (c->score >= 0 && (best == NULL || c->score > best->score))
        best = c;
    }
  if (best == NULL)
    {
      g_autoptr(GString) why = g_string_new (NULL);

      for (guint i = 0; i < candidates->len; i++)
        {
          LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);
          g_string_append_printf (why, "%s%s %s", i ? "; " : "", c->info.name, c->unusable);
        }
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                   "no Vulkan device can run Lightbox's kernels: %s", why->str);
      return NULL;
    }
  return best;
}

static gboolean
create_device (LbVkContext *ctx, const LbVkCandidate *c, GError **error)
{
  const LbVkDeviceInfo *info = &ctx->info;
  gboolean v13 = info->api_version >= VK_API_VERSION_1_3;
  float priority = 1.0f;
  const char *extensions[4];
  guint n_extensions = 0;
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coopmat = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
    .cooperativeMatrix = VK_TRUE,
  };
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = c->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkPhysicalDeviceVulkan13Features f13 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
    .subgroupSizeControl = info->subgroup_size_control,
    .computeFullSubgroups = info->compute_full_subgroups,
    .shaderIntegerDotProduct = info->integer_dot_product,
  };
  VkPhysicalDeviceVulkan12Features f12 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
    .pNext = v13 ? &f13 : NULL,
    .storageBuffer8BitAccess = VK_TRUE,
    .shaderFloat16 = info->float16,
    .shaderInt8 = info->int8,
    /* mul-mm-coopmat.comp's SPIR-V uses the Vulkan memory model. */
    .vulkanMemoryModel = info->cooperative_matrix_nv,
  };
  VkPhysicalDeviceVulkan11Features f11 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
    .pNext = &f12,
    .storageBuffer16BitAccess = VK_TRUE,
  };
  VkPhysicalDeviceFeatures2 f2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
    .pNext = &f11,
    .features = {
      .shaderInt16 = info->int16,
      .shaderInt64 = info->int64,
    },
  };
  VkDeviceCreateInfo device_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .pNext = &f2,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
  };

  if (c->has_memory_budget)
    extensions[n_extensions++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
  /* Only where probe_cooperative_matrix found everything the kernel needs. */
  if (info->cooperative_matrix_nv)
    {
      extensions[n_extensions++] = VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
      coopmat.pNext = f11.pNext;
      f11.pNext = &coopmat;
    }
  device_info.enabledExtensionCount = n_extensions;
  device_info.ppEnabledExtensionNames = extensions;

  if (!lb_vk_checkf (vkCreateDevice (c->handle, &device_info, NULL, &ctx->device), error,
                     "vkCreateDevice for %s", info->name))
    return FALSE;
  ctx->info.memory_budget = c->has_memory_budget;
  ctx->queue_family = c->queue_family;
  vkGetDeviceQueue (ctx->device, c->queue_family, 0, &ctx->queue);
  return TRUE;
}

LbVkContext *
lb_vk_context_new (GError **error)
{
  return lb_vk_context_new_for_device (NULL, error);
}

LbVkContext *
lb_vk_context_new_for_device (const char *device, GError **error)
{
  g_autoptr(LbVkContext) ctx = g_new0 (LbVkContext, 1);
  GArray *candidates = NULL;
  LbVkCandidate *chosen;
  guint32 instance_version = VK_API_VERSION_1_2;
  g_autofree char *source = NULL;

  if (device != NULL && *device != '\0')
    source = g_strdup_printf ("device \"%s\"", device);
  else
    {
      device = g_getenv ("LIGHTBOX_VK_DEVICE");
      if (device != NULL && *device != '\0')
        source = g_strdup_printf ("LIGHTBOX_VK_DEVICE=%s", device);
    }

  if (!create_instance (ctx, error))
    return NULL;
  if (vkEnumerateInstanceVersion (&instance_version) != VK_SUCCESS)
    instance_version = VK_API_VERSION_1_2;
  if (!lb_vk_enumerate_candidates (ctx->instance, instance_version, &candidates, error))
    return NULL;
  chosen = choose_device (candidates, source != NULL ? device : NULL, source, error);
  if (chosen == NULL)
    {
      lb_vk_free_candidates (candidates);
      return NULL;
    }
  ctx->physical_device = chosen->handle;
  ctx->info = chosen->info;
  /* Exercises the staging path on unified-memory devices (tests). */
  if (env_true ("LIGHTBOX_VK_FORCE_STAGING"))
    ctx->info.unified_memory = FALSE;
  vkGetPhysicalDeviceMemoryProperties (ctx->physical_device, &ctx->memory_properties);

  g_info ("Vulkan device %u: %s (%s, %s %s), chosen %s among %u", ctx->info.index, ctx->info.name,
          lb_vk_device_type_name (ctx->info.type), ctx->info.driver_name, ctx->info.driver_info,
          source != NULL ? source : "by score",
          candidates->len);
  for (guint i = 0; i < candidates->len; i++)
    {
      LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);
      g_debug ("  device %u: %s (%s) score %d%s%s", i, c->info.name, lb_vk_device_type_name (c->info.type),
               c->score, c->unusable ? ": " : "", c->unusable ? c->unusable : "");
    }
  if (!create_device (ctx, chosen, error))
    {
      lb_vk_free_candidates (candidates);
      return NULL;
    }
  lb_vk_free_candidates (candidates);

  ctx->pipelines = g_hash_table_new (g_str_hash, g_str_equal);
  lb_vk_pipeline_cache_load (ctx);
  if (ctx->pipeline_cache == VK_NULL_HANDLE)
    {
      VkPipelineCacheCreateInfo info = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };

      if (!lb_vk_check (vkCreatePipelineCache (ctx->device, &info, NULL, &ctx->pipeline_cache),
                        "vkCreatePipelineCache", error))
        return NULL;
    }

  {
    g_autofree char *text = lb_vk_context_describe (ctx);
    g_debug ("%s", text);
  }
  return g_steal_pointer (&ctx);
}

void
lb_vk_context_free (LbVkContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->device != VK_NULL_HANDLE)
    {
      g_autoptr(GError) error = NULL;

      vkDeviceWaitIdle (ctx->device);
      if (ctx->pipeline_cache != VK_NULL_HANDLE && !lb_vk_context_save_pipeline_cache (ctx, &error))
        g_debug ("%s", error->message);
      lb_vk_pipelines_destroy (ctx);
      lb_vk_memory_shutdown (ctx);
      if (ctx->pipeline_cache != VK_NULL_HANDLE)
        vkDestroyPipelineCache (ctx->device, ctx->pipeline_cache, NULL);
      vkDestroyDevice (ctx->device, NULL);
    }
  if (ctx->pipelines != NULL)
    g_hash_table_unref (ctx->pipelines);
  if (ctx->coopmat_checks != NULL)
    g_hash_table_unref (ctx->coopmat_checks);
  g_free (ctx->pipeline_cache_path);
  if (ctx->messenger != VK_NULL_HANDLE)
    {
      PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)
        vkGetInstanceProcAddr (ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
      if (destroy_messenger != NULL)
        destroy_messenger (ctx->instance, ctx->messenger, NULL);
    }
  if (ctx->instance != VK_NULL_HANDLE)
    vkDestroyInstance (ctx->instance, NULL);
  g_free (ctx);
}

gboolean
lb_vk_context_wait_idle (LbVkContext *ctx, GError **error)
{
  g_return_val_if_fail (ctx != NULL, FALSE);
  return lb_vk_check (vkDeviceWaitIdle (ctx->device), "vkDeviceWaitIdle", error);
}

void
lb_vk_context_memory_budget (LbVkContext *ctx, guint64 *out_budget, guint64 *out_usage)
{
  guint64 budget = 0, usage = 0;

  g_return_if_fail (ctx != NULL);
  if (ctx->info.memory_budget)
    {
      VkPhysicalDeviceMemoryBudgetPropertiesEXT b = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
      };
      VkPhysicalDeviceMemoryProperties2 p = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
        .pNext = &b,
      };

      vkGetPhysicalDeviceMemoryProperties2 (ctx->physical_device, &p);
      for (guint32 h = 0; h < p.memoryProperties.memoryHeapCount; h++)
        if (p.memoryProperties.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
          {
            budget += b.heapBudget[h] > b.heapUsage[h] ? b.heapBudget[h] - b.heapUsage[h] : 0;
            usage += b.heapUsage[h];
          }
    }
  else
    {
      usage = lb_vk_allocated_bytes (ctx);
      budget = ctx->info.device_local_bytes > usage ? ctx->info.device_local_bytes - usage : 0;
    }
  if (out_budget != NULL)
    *out_budget = budget;
  if (out_usage != NULL)
    *out_usage = usage;
}

/* "128 MiB", with a plain space (g_format_size uses a no-break space). */
static void
append_bytes (GString *s, const char *label, guint64 bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double value = (double) bytes;
  guint unit = 0;

  while (value >= 1024 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1024;
      unit++;
    }
  g_string_append_printf (s, " %s %.*f %s", label, value == (guint64) value ? 0 : 1, value, units[unit]);
}

char *
lb_vk_context_describe (LbVkContext *ctx)
{
  const LbVkDeviceInfo *i = &ctx->info;
  GString *s = g_string_new (NULL);
  guint64 budget, usage;

  g_string_append_printf (s, "%s (%s), Vulkan %u.%u.%u, driver %s %s, vendor 0x%04x device 0x%04x\n",
                          i->name, lb_vk_device_type_name (i->type), VK_API_VERSION_MAJOR (i->api_version),
                          VK_API_VERSION_MINOR (i->api_version), VK_API_VERSION_PATCH (i->api_version),
                          i->driver_name, i->driver_info, i->vendor_id, i->device_id);
  g_string_append_printf (s, "  subgroups: size %u (%u to %u%s), arithmetic %s, shuffle %s\n",
                          i->subgroup_size, i->min_subgroup_size, i->max_subgroup_size,
                          i->subgroup_size_control ? ", controllable" : "",
                          i->subgroup_arithmetic ? "yes" : "no", i->subgroup_shuffle ? "yes" : "no");
  g_string_append_printf (s, "  features: fp16 %s, int8 %s, int16 %s, 16-bit storage %s, 8-bit storage %s, "
                          "integer dot product %s, cooperative matrix offered: %s%s%s\n",
                          i->float16 ? "yes" : "no", i->int8 ? "yes" : "no", i->int16 ? "yes" : "no",
                          i->storage_16bit ? "yes" : "no", i->storage_8bit ? "yes" : "no",
                          i->integer_dot_product ? "yes" : "no", i->cooperative_matrix ? "KHR" : "no KHR",
                          i->cooperative_matrix2 ? " + NV2" : "",
                          i->cooperative_matrix_nv ? ", NV (enabled)" : ", no usable NV");
  if (i->cooperative_matrix_nv)
    g_string_append_printf (s, "  cooperative matrix: VK_NV_cooperative_matrix %u×%u×%u f16 × f16 → f32, "
                            "subgroup scope\n", i->coopmat_m, i->coopmat_n, i->coopmat_k);
  g_string_append (s, "  limits:");
  append_bytes (s, "storage buffer range", i->max_storage_buffer_range);
  g_string_append (s, ",");
  append_bytes (s, "allocation", i->max_memory_allocation_size);
  g_string_append (s, ",");
  append_bytes (s, "shared memory", i->max_shared_memory_size);
  g_string_append_printf (s, ", push constants %u B, workgroups %u×%u×%u, invocations %u, "
                          "offset alignment %" G_GUINT64_FORMAT "\n",
                          i->max_push_constants_size, i->max_workgroup_count[0], i->max_workgroup_count[1],
                          i->max_workgroup_count[2], i->max_workgroup_invocations,
                          i->min_storage_buffer_offset_alignment);
  g_string_append (s, "  memory:");
  for (guint32 h = 0; h < ctx->memory_properties.memoryHeapCount; h++)
    {
      g_autofree char *label = g_strdup_printf ("%sheap %u%s", h ? ", " : "", h,
                                                (ctx->memory_properties.memoryHeaps[h].flags
                                                 & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) ? " (device-local)" : "");
      append_bytes (s, label, ctx->memory_properties.memoryHeaps[h].size);
    }
  lb_vk_context_memory_budget (ctx, &budget, &usage);
  g_string_append (s, ";");
  append_bytes (s, i->memory_budget ? "free budget" : "free (estimated)", budget);
  g_string_append_printf (s, "%s%s\n", i->unified_memory ? ", unified memory" : "",
                          i->host_visible_device_memory ? ", host-visible device memory" : "");
  if (i->timestamp_valid_bits > 0)
    g_string_append_printf (s, "  timestamps: %u bits, %.3g ns per tick\n", i->timestamp_valid_bits,
                            i->timestamp_period_ns);
  else
    g_string_append (s, "  timestamps: not supported on the compute queue\n");
  if (s->len > 0 && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

char *
lb_vk_list_devices (GError **error)
{
  g_autoptr(LbVkContext) ctx = g_new0 (LbVkContext, 1);
  GArray *candidates = NULL;
  GString *s;
  guint32 instance_version = VK_API_VERSION_1_2;

  if (!create_instance (ctx, error))
    return NULL;
  vkEnumerateInstanceVersion (&instance_version);
  if (!lb_vk_enumerate_candidates (ctx->instance, instance_version, &candidates, error))
    return NULL;
  s = g_string_new (NULL);
  for (guint i = 0; i < candidates->len; i++)
    {
      LbVkCandidate *c = &g_array_index (candidates, LbVkCandidate, i);
      g_string_append_printf (s, "%u: %s (%s), score %d%s%s\n", i, c->info.name,
                              lb_vk_device_type_name (c->info.type), c->score, c->unusable ? ", unusable: " : "",
                              c->unusable ? c->unusable : "");
    }
  lb_vk_free_candidates (candidates);
  return g_string_free (s, FALSE);
}
