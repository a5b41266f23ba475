/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-sample.h"

#define WG 256
#define SCRATCH_ALIGN 256

/* Mirrors shaders/topk.comp. */
typedef struct {
  guint32 n;
} TopKPush;
G_STATIC_ASSERT (sizeof (TopKPush) == 4);

/* Candidates per workgroup: a streaming scan for argmax, a shared-memory
 * chunk (8 per invocation, 16 KiB) for K > 1. */
static guint32
elems_per_invocation (guint32 k)
{
  return k == 1 ? 32 : 8;
}

static guint64
align_up (guint64 v)
{
  return (v + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
}

/* Scratch: two ping-pong regions of (values, indices) for the first pass's
 * candidates, then k values when the caller wants none. */
static guint64
region_capacity (guint32 n, guint32 k)
{
  guint64 chunk = (guint64) WG * elems_per_invocation (k);
  return MAX ((n + chunk - 1) / chunk, 1) * (guint64) k;
}

guint64
lb_vk_top_k_scratch_bytes (guint32 n, guint32 k)
{
  guint64 cap = region_capacity (n, k);
  return 4 * align_up (cap * 4) + align_up ((guint64) k * 4);
}

gboolean
lb_vk_top_k (LbVkCommands *cmds, const LbVkTopK *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  guint32 elems = elems_per_invocation (op->k);
  guint64 chunk = (guint64) WG * elems;
  guint64 cap = region_capacity (op->n, op->k), region = align_up (cap * 4);
  LbVkPipelineDesc desc[2];
  LbVkPipeline *pipelines[2];
  LbVkBinding in_values = op->values, in_indices = op->values;
  LbVkBinding final_values;
  guint64 m = op->n;
  guint pass = 0;

  g_return_val_if_fail (op->k >= 1 && op->k <= LB_VK_TOP_K_MAX, FALSE);
  g_return_val_if_fail (op->scratch.buffer != NULL && op->out_indices.buffer != NULL, FALSE);
  if (op->n == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID, "top-k of an empty vector");
      return FALSE;
    }
  final_values = op->out_values.buffer != NULL
                   ? op->out_values
                   : lb_vk_bind_range (op->scratch.buffer, op->scratch.offset + 4 * region, (guint64) op->k * 4);

  for (guint pairs = 0; pairs < 2; pairs++)
    {
      desc[pairs] = (LbVkPipelineDesc) {
        .shader = "topk",
        .n_bindings = 4,
        .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_WRITE },
        .push_size = sizeof (TopKPush),
        .local_size = { WG, 1, 1 },
        .n_constants = 3,
        .constants = { op->k, pairs, elems },
      };
      pipelines[pairs] = lb_vk_pipeline_get (ctx, &desc[pairs], error);
      if (pipelines[pairs] == NULL)
        return FALSE;
    }

  for (;;)
    {
      guint32 groups = (guint32) ((m + chunk - 1) / chunk);
      TopKPush push = { .n = (guint32) m };
      LbVkBinding out_values, out_indices;
      guint64 base = op->scratch.offset + (pass % 2) * 2 * region;

      if (groups == 1)
        {
          out_values = final_values;
          out_indices = op->out_indices;
        }
      else
        {
          out_values = lb_vk_bind_range (op->scratch.buffer, base, (guint64) groups * op->k * 4);
          out_indices = lb_vk_bind_range (op->scratch.buffer, base + region, (guint64) groups * op->k * 4);
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
      m = (guint64) groups * op->k;
      pass++;
    }
}

gboolean
lb_vk_argmax (LbVkCommands *cmds, LbVkBinding values, guint32 n, LbVkBinding out_index, LbVkBinding out_value,
              LbVkBinding scratch, GError **error)
{
  return lb_vk_top_k (cmds, &(LbVkTopK) { .values = values, .out_indices = out_index, .out_values = out_value,
                                          .scratch = scratch, .n = n, .k = 1 }, error);
}
