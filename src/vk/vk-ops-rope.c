/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <math.h>

#include "vk/vk-ops-rope.h"
#include "vk/vk-ops-rows.h"

#define WG 128

/* Mirrors shaders/rope.comp. */
typedef struct {
  guint32 n_tok, n_heads, head_dim;
  guint32 x_tok_stride, x_head_stride;
  guint32 y_tok_stride, y_head_stride;
  float log2_base;
  float pos_scale;
} RopePush;
G_STATIC_ASSERT (sizeof (RopePush) == 36);

/* Mirrors shaders/kv_store.comp. */
typedef struct {
  guint32 n_tok, n_kv_heads, head_dim;
  guint32 src_tok_stride;
  guint32 capacity;
  guint32 cache_slot_stride, cache_head_stride;
} KvStorePush;
G_STATIC_ASSERT (sizeof (KvStorePush) == 28);

/* Mirrors shaders/attention_prologue.comp. */
typedef struct {
  guint32 n_tok, n_heads, n_kv_heads, head_dim;
  guint32 capacity, v_offset;
  float eps;
  float rope_log2_base;
  float rope_scale;
} ProloguePush;
G_STATIC_ASSERT (sizeof (ProloguePush) == 36);

gboolean
lb_vk_rope (LbVkCommands *cmds, const LbVkRope *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "rope",
    .n_bindings = 3,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (RopePush),
    .local_size = { WG, 1, 1 },
  };
  guint32 head_stride = op->head_dim;
  guint32 tok_stride = op->n_heads * op->head_dim;
  RopePush push = {
    .n_tok = op->n_tok,
    .n_heads = op->n_heads,
    .head_dim = op->head_dim,
    .x_tok_stride = op->x_tok_stride ? op->x_tok_stride : tok_stride,
    .x_head_stride = op->x_head_stride ? op->x_head_stride : head_stride,
    .y_tok_stride = op->y_tok_stride ? op->y_tok_stride : tok_stride,
    .y_head_stride = op->y_head_stride ? op->y_head_stride : head_stride,
    .log2_base = (float) log2 (op->base > 0 ? op->base : 10000.0),
    .pos_scale = op->scale_factor > 0 ? 1.0f / op->scale_factor : 1.0f,
  };
  LbVkBinding bindings[3] = { op->x, op->positions, op->y };
  LbVkPipeline *pipeline;

  g_return_val_if_fail (op->head_dim % 2 == 0, FALSE);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL
         && lb_vk_dispatch (cmds, pipeline, bindings, &push,
                            lb_vk_groups ((guint64) op->n_tok * op->n_heads * (op->head_dim / 2), WG), 1, 1,
                            error);
}

gboolean
lb_vk_kv_store (LbVkCommands *cmds, const LbVkKvStore *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "kv_store",
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_WRITE },
    .push_size = sizeof (KvStorePush),
    .local_size = { WG, 1, 1 },
  };
  guint32 slot_stride = op->cache_slot_stride ? op->cache_slot_stride : op->head_dim;
  KvStorePush push = {
    .n_tok = op->n_tok,
    .n_kv_heads = op->n_kv_heads,
    .head_dim = op->head_dim,
    .src_tok_stride = op->src_tok_stride ? op->src_tok_stride : op->n_kv_heads * op->head_dim,
    .capacity = op->capacity,
    .cache_slot_stride = slot_stride,
    .cache_head_stride = op->cache_head_stride ? op->cache_head_stride : op->capacity * slot_stride,
  };
  LbVkBinding bindings[4] = { op->src, op->positions, op->cache, op->slot_positions };
  LbVkPipeline *pipeline;

  g_return_val_if_fail (op->capacity > 0, FALSE);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL
         && lb_vk_dispatch (cmds, pipeline, bindings, &push,
                            lb_vk_groups ((guint64) op->n_tok * op->n_kv_heads * op->head_dim, WG), 1, 1, error);
}

gboolean
lb_vk_attention_prologue (LbVkCommands *cmds, const LbVkAttentionPrologue *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "attention_prologue",
    .n_bindings = 8,
    .access = { LB_VK_READ_WRITE, LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_WRITE,
                LB_VK_WRITE },
    .push_size = sizeof (ProloguePush),
    /* A head's rotated pairs, two per invocation at 256 (the row
     * kernels' sizing). */
    .local_size = { lb_vk_row_workgroup_size (op->head_dim / 2), 1, 1 },
  };
  ProloguePush push = {
    .n_tok = op->n_tok,
    .n_heads = op->n_heads,
    .n_kv_heads = op->n_kv_heads,
    .head_dim = op->head_dim,
    .capacity = op->capacity,
    .v_offset = op->v_offset,
    .eps = op->eps,
    .rope_log2_base = (float) log2 (op->rope_base > 0 ? op->rope_base : 10000.0),
    .rope_scale = op->rope_scale_factor > 0 ? 1.0f / op->rope_scale_factor : 1.0f,
  };
  LbVkBinding bindings[8] = {
    op->q, op->kv, op->q_norm, op->k_norm, op->positions, op->cache_k, op->cache_v, op->slot_positions,
  };
  LbVkPipeline *pipeline;

  g_return_val_if_fail (op->capacity > 0 && op->head_dim > 0 && op->head_dim % 2 == 0, FALSE);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL
         && lb_vk_dispatch (cmds, pipeline, bindings, &push,
                            op->n_tok * (op->n_heads + 2 * op->n_kv_heads), 1, 1, error);
}
