/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-attention.h"

#define KEY_TILE 32
#define MAX_OUT_PAIRS 16 /* shaders/attention.comp */
#define COMBINE_WG 64
/* Decode: enough workgroups to fill a large GPU. */
#define TARGET_WORKGROUPS 128

/* Mirrors shaders/attention.comp. */
typedef struct {
  guint32 n_q, n_kv, n_heads, n_kv_heads;
  guint32 q_stride, o_stride;
  guint32 k_slot_stride, k_head_stride;
  guint32 v_slot_stride, v_head_stride;
  float scale;
  guint32 window;
  guint32 mask;
  guint32 kv_per_split;
  guint32 n_splits;
  gint32 span_begin;
  guint32 span_len;
} AttentionPush;
G_STATIC_ASSERT (sizeof (AttentionPush) == 68);

/* Mirrors shaders/attention_combine.comp. */
typedef struct {
  guint32 n_q, n_heads, head_dim;
  guint32 o_stride;
  guint32 n_splits;
  guint32 span_len;
} CombinePush;
G_STATIC_ASSERT (sizeof (CombinePush) == 24);

typedef struct {
  guint32 wg, qb;
  guint32 n_blocks, n_splits, kv_per_split;
} Plan;

static guint64
shared_bytes (guint32 qb, guint32 d)
{
  return (guint64) qb * d * 4 + (guint64) KEY_TILE * (d * 2 + 16) + (guint64) qb * KEY_TILE * 4 + qb * 20;
}

/* Query rows per workgroup: as many as shared memory and the accumulator
 * registers allow for prefill; just the rows there are for decode. */
static Plan
plan_attention (const LbVkContext *ctx, const LbVkAttention *op)
{
  Plan plan = { 0 };
  guint32 g = op->n_heads / op->n_kv_heads;
  guint32 n_rows = op->n_q * g;
  guint32 qb = 1;

  plan.wg = n_rows <= 4 ? 64 : 128;
  while (qb < n_rows && qb < 64)
    qb *= 2;
  while (qb > 1 && (shared_bytes (qb, op->head_dim) > ctx->info.max_shared_memory_size
                    || (guint64) qb * op->head_dim / 2 > (guint64) MAX_OUT_PAIRS * plan.wg || qb > plan.wg))
    qb /= 2;
  plan.qb = qb;
  plan.n_blocks = (n_rows + qb - 1) / qb;

  if (op->n_splits > 0)
    plan.n_splits = op->n_splits;
  else
    {
      guint32 base = plan.n_blocks * op->n_kv_heads;
      guint32 by_work = (TARGET_WORKGROUPS + base - 1) / base;
      guint32 by_keys = MAX (op->n_kv / (4 * KEY_TILE), 1);
      plan.n_splits = MAX (MIN (by_work, by_keys), 1);
    }
  plan.kv_per_split = (op->n_kv + plan.n_splits - 1) / plan.n_splits;
  /* Whole tiles per split; trailing splits may then be empty (they report
   * no keys), which keeps n_splits, and the scratch, growing with n_kv. */
  plan.kv_per_split = MAX ((plan.kv_per_split + KEY_TILE - 1) / KEY_TILE * KEY_TILE, KEY_TILE);
  return plan;
}

static guint64
scratch_ml_offset (const LbVkContext *ctx, const LbVkAttention *op, const Plan *plan)
{
  guint64 align = MAX (ctx->info.min_storage_buffer_offset_alignment, 16);
  guint64 part = (guint64) plan->n_splits * op->n_q * op->n_heads * op->head_dim * 4;

  return (part + align - 1) / align * align;
}

static guint64
scratch_bytes_exact (const LbVkContext *ctx, const LbVkAttention *op)
{
  Plan plan = plan_attention (ctx, op);

  if (plan.n_splits <= 1)
    return 0;
  return scratch_ml_offset (ctx, op, &plan) + (guint64) plan.n_splits * op->n_q * op->n_heads * 8;
}

/* The split choice is not monotonic in n_q (fewer splits once there are
 * more query blocks), so report the most any smaller batch needs: one
 * scratch then serves every chunk of a prefill. More keys never need less. */
guint64
lb_vk_attention_scratch_bytes (LbVkContext *ctx, const LbVkAttention *op)
{
  LbVkAttention smaller;
  guint64 most = 0;

  g_return_val_if_fail (ctx != NULL && op != NULL, 0);
  if (op->n_kv_heads == 0 || op->n_heads % op->n_kv_heads != 0)
    return 0;
  smaller = *op;
  for (guint32 n = 1; n <= op->n_q; n++)
    {
      smaller.n_q = n;
      most = MAX (most, scratch_bytes_exact (ctx, &smaller));
    }
  return most;
}

gboolean
lb_vk_attention (LbVkCommands *cmds, const LbVkAttention *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  Plan plan;
  guint32 k_slot, v_slot;
  AttentionPush push;
  LbVkPipelineDesc desc;
  LbVkPipeline *pipeline;
  gboolean split, capture = op->span_len > 0;
  LbVkBinding part = op->out, ml = op->out, weights;
  guint64 ml_offset = 0;

  g_return_val_if_fail (op->n_kv_heads > 0 && op->n_heads % op->n_kv_heads == 0, FALSE);
  g_return_val_if_fail (!capture || op->weights.buffer != NULL, FALSE);
  g_return_val_if_fail (!op->causal || (op->key_positions.buffer != NULL && op->query_info.buffer != NULL), FALSE);

  if (op->head_dim % 8 != 0 || op->head_dim == 0 || op->head_dim > 256)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "attention: head size %u is not a multiple of 8 up to 256", op->head_dim);
      return FALSE;
    }
  k_slot = op->k_slot_stride ? op->k_slot_stride : op->head_dim;
  v_slot = op->v_slot_stride ? op->v_slot_stride : op->head_dim;
  push = (AttentionPush) {
    .n_q = op->n_q,
    .n_kv = op->n_kv,
    .n_heads = op->n_heads,
    .n_kv_heads = op->n_kv_heads,
    .q_stride = op->q_stride ? op->q_stride : op->n_heads * op->head_dim,
    .o_stride = op->o_stride ? op->o_stride : op->n_heads * op->head_dim,
    .k_slot_stride = k_slot,
    .k_head_stride = op->k_head_stride ? op->k_head_stride : op->n_kv * k_slot,
    .v_slot_stride = v_slot,
    .v_head_stride = op->v_head_stride ? op->v_head_stride : op->n_kv * v_slot,
    .scale = op->scale,
    .window = op->window,
    .mask = op->causal != FALSE,
    .span_begin = op->span_begin,
    .span_len = op->span_len,
  };
  if (push.k_slot_stride % 8 || push.k_head_stride % 8 || push.v_slot_stride % 8 || push.v_head_stride % 8)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "attention: K/V strides must be multiples of 8 halves (full-width loads)");
      return FALSE;
    }
  if (op->n_q == 0 || op->n_kv == 0)
    return TRUE;

  plan = plan_attention (ctx, op);
  split = plan.n_splits > 1;
  push.kv_per_split = plan.kv_per_split;
  push.n_splits = plan.n_splits;
  if (split)
    {
      guint64 need = scratch_bytes_exact (ctx, op);

      ml_offset = scratch_ml_offset (ctx, op, &plan);
      if (op->scratch.buffer == NULL
          || (op->scratch.size ? op->scratch.size : op->scratch.buffer->size - op->scratch.offset) < need)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "attention: %u key splits need %" G_GUINT64_FORMAT " bytes of scratch",
                       plan.n_splits, need);
          return FALSE;
        }
      part = lb_vk_bind_range (op->scratch.buffer, op->scratch.offset, ml_offset);
      ml = lb_vk_bind_range (op->scratch.buffer, op->scratch.offset + ml_offset, need - ml_offset);
    }
  weights = capture ? op->weights : (split ? ml : op->out);

  desc = (LbVkPipelineDesc) {
    .shader = "attention",
    .n_bindings = 8,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_WRITE,
                LB_VK_READ_WRITE },
    .push_size = sizeof (AttentionPush),
    .local_size = { plan.wg, 1, 1 },
    .n_constants = 3,
    .constants = { op->head_dim, plan.qb, KEY_TILE },
  };
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  if (pipeline == NULL)
    return FALSE;
  {
    LbVkBinding bindings[8] = {
      op->q, op->k, op->v,
      op->causal ? op->key_positions : op->q,
      op->causal ? op->query_info : op->q,
      part, ml, weights,
    };
    if (!lb_vk_dispatch (cmds, pipeline, bindings, &push, plan.n_blocks, op->n_kv_heads, plan.n_splits, error))
      return FALSE;
  }
  if (!split)
    return TRUE;

  {
    CombinePush combine = {
      .n_q = op->n_q,
      .n_heads = op->n_heads,
      .head_dim = op->head_dim,
      .o_stride = push.o_stride,
      .n_splits = plan.n_splits,
      .span_len = op->span_len,
    };
    LbVkPipelineDesc cdesc = {
      .shader = "attention_combine",
      .n_bindings = 4,
      .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_READ_WRITE },
      .push_size = sizeof (CombinePush),
      .local_size = { COMBINE_WG, 1, 1 },
    };
    LbVkBinding bindings[4] = { part, ml, op->out, capture ? op->weights : ml };
    LbVkPipeline *cpipeline;

    /* Without capture the weights slot aliases ml, which the combine only
     * reads: declared read-write, it just costs nothing extra. */
    cpipeline = lb_vk_pipeline_get (ctx, &cdesc, error);
    return cpipeline != NULL
           && lb_vk_dispatch (cmds, cpipeline, bindings, &combine, op->n_q * op->n_heads, 1, 1, error);
  }
}

void
lb_vk_attention_query_info (const gint32 *positions, gsize n, const LbVkSpan *spans, gsize n_spans, gint32 *out)
{
  for (gsize i = 0; i < n; i++)
    {
      gint32 p = positions[i];
      gint32 limit = p + 1;

      for (gsize s = 0; s < n_spans; s++)
        if (p >= spans[s].begin && p < spans[s].end)
          limit = MAX (limit, spans[s].end);
      out[2 * i] = p;
      out[2 * i + 1] = limit;
    }
}
