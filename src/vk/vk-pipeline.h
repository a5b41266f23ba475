/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Compute pipelines from the SPIR-V embedded in the binary.
 *
 * Shaders are GLSL in shaders/<op>.comp, compiled by glslc at build time
 * (variants by -D defines in shaders/meson.build, each an output name such
 * as "matmul_q4_0") and embedded as the GResource
 * /org/lightbox/Lightbox/shaders/<name>.spv. Nothing is read from disk.
 *
 * Conventions every shader follows (shaders/common.glsl):
 *   - descriptor set 0, bindings 0..n_bindings-1, all storage buffers;
 *   - one push-constant block, mirrored by a C struct with a
 *     G_STATIC_ASSERT on its size (at most 128 bytes: lavapipe's limit);
 *   - specialization constants 0, 1, 2 are the workgroup size x, y, z
 *     (layout(local_size_x_id = 0, ...)); constants[i] below has id 3 + i;
 *   - the workgroup id may start at a base (the dispatch choke point splits
 *     dispatches that exceed maxComputeWorkGroupCount with
 *     vkCmdDispatchBase): use gl_WorkGroupID, never gl_NumWorkGroups, and
 *     take totals (rows, elements) from the push constants.
 *
 * Pipelines are created once per distinct description and kept by the
 * context (lb_vk_pipeline_get looks them up), so an engine builds every
 * pipeline it needs at model load simply by recording its command buffers
 * then; lb_vk_pipelines_seal makes any later creation log a warning, which
 * catches lazy compilation in the user's path.
 */
#pragma once

#include "vk/vk-context.h"

G_BEGIN_DECLS

#define LB_VK_MAX_BINDINGS 8
#define LB_VK_MAX_CONSTANTS 12

/* How a kernel uses a binding: the barrier tracker needs it. */
typedef enum {
  LB_VK_READ = 1,
  LB_VK_WRITE = 2,
  LB_VK_READ_WRITE = 3,
} LbVkAccess;

typedef struct {
  const char *shader;               /* "rmsnorm": resource shaders/rmsnorm.spv */
  guint n_bindings;
  LbVkAccess access[LB_VK_MAX_BINDINGS];
  guint32 push_size;                /* bytes of the push-constant struct, multiple of 4 */
  guint32 local_size[3];            /* spec constants 0..2; 0 means 1 */
  guint n_constants;
  guint32 constants[LB_VK_MAX_CONSTANTS]; /* spec constant ids 3.. */
  guint32 required_subgroup_size;   /* 0: the driver's choice */
} LbVkPipelineDesc;

typedef struct _LbVkPipeline LbVkPipeline;
struct _LbVkPipeline {
  LbVkPipelineDesc desc;            /* desc.shader points at an owned copy */
  char *label;                      /* "rmsnorm[256,1,1|1,0]" for messages and timings */
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout layout;
  VkPipeline pipeline;
};

/* Returns the context's pipeline for desc, creating it on first use
 * (through the on-disk pipeline cache). The pipeline belongs to the
 * context. Fails with LB_VK_ERROR_INVALID for an unknown shader or a push
 * size over the device limit, LB_VK_ERROR_MISSING_FEATURE for an
 * unsupported subgroup size. */
LbVkPipeline *lb_vk_pipeline_get (LbVkContext *ctx, const LbVkPipelineDesc *desc, GError **error);

/* After this, creating a pipeline logs a g_warning naming it. */
void lb_vk_pipelines_seal (LbVkContext *ctx);

/* How many pipelines the context holds. */
guint lb_vk_pipeline_count (LbVkContext *ctx);

/* Whether the embedded resources hold shaders/<name>.spv. */
gboolean lb_vk_shader_exists (const char *name);

/* Context internals (vk-context.c calls these). */
void lb_vk_pipeline_cache_load (LbVkContext *ctx);
void lb_vk_pipelines_destroy (LbVkContext *ctx);

G_END_DECLS
