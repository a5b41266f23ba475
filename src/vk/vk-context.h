/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan instance, the chosen physical device, its logical device and
 * its one compute queue.
 *
 * Threading: one thread owns a context and everything made from it
 * (buffers, pipelines, command recordings); no function of src/vk may be
 * called from two threads at once. Every function runs on that thread.
 *
 * Environment:
 *   LIGHTBOX_VK_DEVICE=N|substring   use device N (vkEnumeratePhysicalDevices
 *                                    order) or the first whose name contains
 *                                    the substring (case-insensitive)
 *   LIGHTBOX_VK_VALIDATION=1         enable VK_LAYER_KHRONOS_validation and
 *                                    route its messages through GLib: warnings
 *                                    and errors become g_critical, so a test
 *                                    running with G_DEBUG=fatal-warnings fails
 *   LIGHTBOX_VK_FORCE_STAGING=1      write device buffers through staging copies
 *                                    even on unified memory (tests that path)
 *   LIGHTBOX_VK_COOPMAT=0            do not enable VK_NV_cooperative_matrix even
 *                                    where the device has it (vk-matmul.h has the
 *                                    rest of this variable's meaning)
 */
#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

#define LB_VK_ERROR (lb_vk_error_quark ())
GQuark lb_vk_error_quark (void);

typedef enum {
  LB_VK_ERROR_NO_DEVICE,        /* no Vulkan driver or no usable device */
  LB_VK_ERROR_MISSING_FEATURE,  /* the device lacks something the kernels need */
  LB_VK_ERROR_MISSING_LAYER,    /* validation was requested but the layer is not installed */
  LB_VK_ERROR_OUT_OF_MEMORY,    /* host or device memory exhausted */
  LB_VK_ERROR_DEVICE_LOST,      /* the driver reset the device: the context is unusable */
  LB_VK_ERROR_LIMIT,            /* a request exceeds a device limit (buffer range, size) */
  LB_VK_ERROR_INVALID,          /* a malformed request (shape, alignment, missing shader) */
  LB_VK_ERROR_FAILED,           /* any other VkResult */
} LbVkError;

/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" for a VkResult. */
const char *lb_vk_result_name (VkResult result);

/* Returns TRUE when result is VK_SUCCESS (or another non-error code); else
 * sets error to "<operation>: <what went wrong> (<VK_ERROR_…>)", with the
 * code mapped onto LbVkError, e.g. "vkAllocateMemory for the KV cache: out of
 * device memory (VK_ERROR_OUT_OF_DEVICE_MEMORY)". */
gboolean lb_vk_check (VkResult result, const char *operation, GError **error);
/* Same, with a printf-style operation. */
gboolean lb_vk_checkf (VkResult result, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* What the kernels and the engine may need to know about the device.
 * Filled once at context creation; read-only afterwards. */
typedef struct {
  char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  char driver_name[VK_MAX_DRIVER_NAME_SIZE];
  char driver_info[VK_MAX_DRIVER_INFO_SIZE];
  guint index;                  /* in vkEnumeratePhysicalDevices order */
  VkPhysicalDeviceType type;
  guint32 vendor_id, device_id, driver_version, api_version;
  guint8 pipeline_cache_uuid[VK_UUID_SIZE];

  /* Subgroups (waves, warps) in compute shaders. */
  guint32 subgroup_size;        /* the default size */
  guint32 min_subgroup_size, max_subgroup_size;
  gboolean subgroup_arithmetic, subgroup_shuffle, subgroup_size_control;
  gboolean compute_full_subgroups; /* a required size may also ask for full subgroups */

  /* Arithmetic and storage types. */
  gboolean float16;             /* shaderFloat16: f16 arithmetic */
  gboolean int8, int16, int64;  /* shaderInt8/16/64 */
  gboolean storage_16bit;       /* storageBuffer16BitAccess (required) */
  gboolean storage_8bit;        /* storageBuffer8BitAccess (required) */
  gboolean integer_dot_product; /* shaderIntegerDotProduct */
  gboolean cooperative_matrix;  /* VK_KHR_cooperative_matrix is offered (not used: Debian 12's glslc
                                 * cannot compile it) */
  gboolean cooperative_matrix2; /* VK_NV_cooperative_matrix2 is offered (not used) */
  /* VK_NV_cooperative_matrix with a subgroup-scope f16 × f16 → f32 shape
   * of M = K = 16 and N = 16 or 8 in compute shaders: enabled on the
   * device, and used by the tiled matrix kernel (vk-matmul.h) once its
   * check on the device passes. 0 × 0 × 0 when absent, or when
   * LIGHTBOX_VK_COOPMAT=0 kept it off. */
  gboolean cooperative_matrix_nv;
  guint32 coopmat_m, coopmat_n, coopmat_k;
  gboolean memory_budget;       /* VK_EXT_memory_budget is enabled */

  /* Limits. */
  guint64 max_storage_buffer_range;     /* one binding; 128 MiB on lavapipe */
  guint64 max_memory_allocation_size;   /* one VkDeviceMemory */
  guint64 max_buffer_size;              /* one VkBuffer */
  guint64 min_storage_buffer_offset_alignment;  /* at least 4: the 2-byte weight blocks are read as
                                                 * 32-bit words from the binding's start */
  guint64 non_coherent_atom_size;
  guint32 max_push_constants_size;      /* 128 on lavapipe, 256 on NVIDIA */
  guint32 max_shared_memory_size;       /* bytes per workgroup */
  guint32 max_workgroup_count[3];
  guint32 max_workgroup_size[3];
  guint32 max_workgroup_invocations;
  guint32 max_bound_storage_buffers;    /* per stage */

  /* Timestamps: 0 valid bits means the queue cannot time phases. */
  guint32 timestamp_valid_bits;
  double timestamp_period_ns;

  /* Memory: the largest device-local heap, and whether a memory type is
   * both DEVICE_LOCAL and HOST_VISIBLE over it. */
  guint64 device_local_bytes;
  gboolean host_visible_device_memory;
  /* Integrated GPUs and CPU devices share the host's memory: buffers are
   * written by mapping, never through staging copies. */
  gboolean unified_memory;
} LbVkDeviceInfo;

/* The context. Fields are read-only outside src/vk. */
typedef struct _LbVkContext LbVkContext;
struct _LbVkContext {
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;   /* VK_NULL_HANDLE unless validating */
  VkPhysicalDevice physical_device;
  VkDevice device;
  VkQueue queue;
  guint32 queue_family;
  LbVkDeviceInfo info;
  VkPhysicalDeviceMemoryProperties memory_properties;
  VkPipelineCache pipeline_cache;
  gboolean validation;

  /* Owned by vk-memory.c and vk-pipeline.c; opaque here. */
  struct _LbVkAllocator *allocator;
  struct _LbVkStaging *staging;
  GHashTable *pipelines;
  char *pipeline_cache_path;
  gboolean pipelines_sealed;
  /* Owned by vk-matmul.c: weight layout ("q4_k") → outcome of its
   * cooperative-matrix check; NULL until the first. */
  GHashTable *coopmat_checks;
};

/* Creates the instance, picks and opens a device (see the environment
 * variables above) and logs the choice with its capabilities (g_message
 * for the choice, g_debug for the rest; `lb_vk_device_info_describe` gives
 * the text). Fails with LB_VK_ERROR_NO_DEVICE when no Vulkan driver or no
 * usable device exists: callers (tests) may treat that as "skip". */
LbVkContext *lb_vk_context_new (GError **error);
/* The same with a device chosen by the caller (an index or a
 * case-insensitive name substring, as LIGHTBOX_VK_DEVICE, which it
 * overrides); NULL or "": the variable, else the best-scored device. */
LbVkContext *lb_vk_context_new_for_device (const char *device, GError **error);

/* Waits for the device to go idle, saves the pipeline cache, destroys
 * every pipeline, buffer block and the device. Buffers and command
 * recordings made from the context must be freed first. */
void lb_vk_context_free (LbVkContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbVkContext, lb_vk_context_free)

/* A few lines describing the device: name, type, driver, subgroups,
 * features, limits, heaps and budget. */
char *lb_vk_context_describe (LbVkContext *ctx);

/* The device-local memory the process may still allocate, in bytes, and
 * what it uses (VK_EXT_memory_budget when present; otherwise the heap size
 * minus what Lightbox itself allocated). */
void lb_vk_context_memory_budget (LbVkContext *ctx, guint64 *out_budget, guint64 *out_usage);

/* Writes the pipeline cache to the user's cache dir (also done by
 * lb_vk_context_free). */
gboolean lb_vk_context_save_pipeline_cache (LbVkContext *ctx, GError **error);

/* vkDeviceWaitIdle, as a GError. */
gboolean lb_vk_context_wait_idle (LbVkContext *ctx, GError **error);

/* Lists every physical device with its score, one line each (for `info`
 * style commands and for diagnosing LIGHTBOX_VK_DEVICE). */
char *lb_vk_list_devices (GError **error);

G_END_DECLS
