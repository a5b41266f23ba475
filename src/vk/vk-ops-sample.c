/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-sample.h"

#define WG 256
#define SCRATCH_ALIGN 256

/* Argmax: candidates per invocation of a streaming pass. */
#define ARGMAX_ELEMS 32
/* Radix select (K > 1): the scratch of shaders/topk.comp in words: two
 * histograms of 2048 bins, two counters (both zeroed before the first
 * stage), the picked digits, the list of keys above the boundary (< 256)
 * and the boundary list (1024). */
#define RADIX_BINS 2048
#define RADIX_ZEROED_WORDS (2 * RADIX_BINS + 2)
#define RADIX_WORDS (2 * RADIX_BINS + 4 + 8 + 2 * 256 + 2 * 1024)
G_STATIC_ASSERT (RADIX_BINS / WG <= 8 && 1024 / WG <= 8); /* the shader's per-invocation bins */
G_STATIC_ASSERT (LB_VK_TOP_K_MAX <= 256);                 /* its list above the boundary */

enum { STAGE_ARGMAX, STAGE_HISTOGRAM, STAGE_REFINE, STAGE_COMPACT, STAGE_FINAL, N_STAGES };

/* Mirrors shaders/topk.comp. */
typedef struct {
  guint32 n, k;
} TopKPush;
G_STATIC_ASSERT (sizeof (TopKPush) == 8);

static guint64
align_up (guint64 v)
{
  return (v + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
}

/* Argmax: two ping-pong regions of (values, indices) for the first pass's
 * winners, then one value when the caller wants none. */
static guint64
argmax_region (guint32 n)
{
  return align_up (MAX (lb_vk_groups (n, (guint64) WG * ARGMAX_ELEMS), 1) * 4);
}

static guint64
argmax_scratch_bytes (guint32 n)
{
  return 4 * argmax_region (n) + align_up (4);
}

/* Radix: its words, then k values when the caller wants none. */
static guint64
radix_scratch_bytes (guint32 k)
{
  return align_up (RADIX_WORDS * 4) + align_up ((guint64) k * 4);
}

guint64
lb_vk_top_k_scratch_bytes (guint32 n, guint32 k)
{
  return k <= 1 ? argmax_scratch_bytes (n) : MAX (argmax_scratch_bytes (n), radix_scratch_bytes (k));
}

/* Values per invocation of the radix stages. Each workgroup pays for its
 * own pick of the digit (2048 bins and a few barriers), but a GPU wants
 * many workgroups for its many cores and against the contention of the
 * histogram atomics; on a CPU (lavapipe) a workgroup is one thread's loop,
 * and fewer, longer ones are faster. */
static guint32
radix_elems (LbVkContext *ctx)
{
  return ctx->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? 32 : 8;
}

static LbVkPipeline *
top_k_pipeline (LbVkContext *ctx, guint32 stage, gboolean pairs_in, GError **error)
{
  gboolean final = stage == STAGE_ARGMAX || stage == STAGE_FINAL;
  LbVkPipelineDesc desc = {
    .shader = "topk",
    .n_bindings = 4,
    /* Stages before the final one write only the scratch; their output
     * bindings repeat the values, read-only. */
    .access = { LB_VK_READ, stage == STAGE_ARGMAX ? LB_VK_READ : LB_VK_READ_WRITE,
                final ? LB_VK_WRITE : LB_VK_READ, final ? LB_VK_WRITE : LB_VK_READ },
    .push_size = sizeof (TopKPush),
    .local_size = { WG, 1, 1 },
    .n_constants = 3,
    .constants = { pairs_in, stage == STAGE_ARGMAX ? ARGMAX_ELEMS : radix_elems (ctx), stage },
  };

  return lb_vk_pipeline_get (ctx, &desc, error);
}

static gboolean
argmax (LbVkCommands *cmds, const LbVkTopK *op, LbVkBinding final_values, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  guint64 chunk = (guint64) WG * ARGMAX_ELEMS, region = argmax_region (op->n);
  LbVkPipeline *pipelines[2];
  LbVkBinding in_values = op->values, in_indices = op->values;
  guint64 m = op->n;

  for (guint pairs = 0; pairs < 2; pairs++)
    if ((pipelines[pairs] = top_k_pipeline (ctx, STAGE_ARGMAX, pairs, error)) == NULL)
      return FALSE;

  for (guint pass = 0;; pass++)
    {
      guint32 groups = lb_vk_groups (m, chunk);
      TopKPush push = { .n = (guint32) m, .k = 1 };
      LbVkBinding out_values = final_values, out_indices = op->out_indices;
      guint64 base = op->scratch.offset + (pass % 2) * 2 * region;

      if (groups > 1)
        {
          out_values = lb_vk_bind_range (op->scratch.buffer, base, (guint64) groups * 4);
          out_indices = lb_vk_bind_range (op->scratch.buffer, base + region, (guint64) groups * 4);
        }
      {
        LbVkBinding bindings[4] = { in_values, in_indices, out_values, out_indices };
        if (!lb_vk_dispatch (cmds, pipelines[pass > 0], bindings, &push, groups, 1, 1, error))
          return FALSE;
      }
      if (groups == 1)
        return TRUE;
      in_values = out_values;
      in_indices = out_indices;
      m = groups;
    }
}

static gboolean
radix_top_k (LbVkCommands *cmds, const LbVkTopK *op, LbVkBinding final_values, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkBinding aux = lb_vk_bind_range (op->scratch.buffer, op->scratch.offset, RADIX_WORDS * 4);
  TopKPush push = { .n = op->n, .k = op->k };
  guint32 groups = lb_vk_groups (op->n, (guint64) WG * radix_elems (ctx));

  if (!lb_vk_commands_fill (cmds, lb_vk_bind_range (op->scratch.buffer, op->scratch.offset,
                                                    RADIX_ZEROED_WORDS * 4), 0, error))
    return FALSE;
  for (guint32 stage = STAGE_HISTOGRAM; stage < N_STAGES; stage++)
    {
      LbVkPipeline *pipeline = top_k_pipeline (ctx, stage, FALSE, error);
      gboolean final = stage == STAGE_FINAL;
      LbVkBinding bindings[4] = {
        op->values, aux, final ? final_values : op->values, final ? op->out_indices : op->values,
      };

      if (pipeline == NULL || !lb_vk_dispatch (cmds, pipeline, bindings, &push, final ? 1 : groups, 1, 1, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lb_vk_top_k (LbVkCommands *cmds, const LbVkTopK *op, GError **error)
{
  guint64 values_at;
  LbVkBinding final_values;

  g_return_val_if_fail (op->k >= 1 && op->k <= LB_VK_TOP_K_MAX, FALSE);
  g_return_val_if_fail (op->scratch.buffer != NULL && op->out_indices.buffer != NULL, FALSE);
  if (op->n == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID, "top-k of an empty vector");
      return FALSE;
    }
  values_at = op->k == 1 ? 4 * argmax_region (op->n) : align_up (RADIX_WORDS * 4);
  final_values = op->out_values.buffer != NULL
                   ? op->out_values
                   : lb_vk_bind_range (op->scratch.buffer, op->scratch.offset + values_at, (guint64) op->k * 4);
  return op->k == 1 ? argmax (cmds, op, final_values, error) : radix_top_k (cmds, op, final_values, error);
}

gboolean
lb_vk_argmax (LbVkCommands *cmds, LbVkBinding values, guint32 n, LbVkBinding out_index, LbVkBinding out_value,
              LbVkBinding scratch, GError **error)
{
  return lb_vk_top_k (cmds, &(LbVkTopK) { .values = values, .out_indices = out_index, .out_values = out_value,
                                          .scratch = scratch, .n = n, .k = 1 }, error);
}
