/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-logprob.h"

/* 256 invocations of 8 values: 128 workgroups per row of a 262144
 * vocabulary, enough to spread one row (the decode step) over a large
 * GPU, and a second pass of one small loop per invocation. */
#define WG 256
#define ELEMS 8
#define CHUNK (WG * ELEMS)

/* Mirrors shaders/logsumexp.comp. */
typedef struct {
  guint32 n;
  guint32 n_rows;
  guint32 stride;
  guint32 n_chunks;
  guint32 first;
  float softcap;
} LogprobPush;
G_STATIC_ASSERT (sizeof (LogprobPush) == 24);

static guint64
binding_bytes (LbVkBinding b)
{
  return b.size != 0 ? b.size : b.buffer->size - MIN (b.offset, b.buffer->size);
}

guint64
lb_vk_logprob_scratch_bytes (guint32 n, guint32 n_rows)
{
  /* One (max, sum) pair of floats per chunk and row. */
  return (guint64) lb_vk_groups (MAX (n, 1), CHUNK) * MAX (n_rows, 1) * 8;
}

gboolean
lb_vk_logprob (LbVkCommands *cmds, const LbVkLogprob *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  gboolean targets = op->targets.buffer != NULL;
  guint32 n_chunks = lb_vk_groups (op->n, CHUNK);
  guint32 stride = op->stride != 0 ? op->stride : op->n;
  LbVkPipeline *pipelines[2];
  LogprobPush push = {
    .n = op->n, .n_rows = op->n_rows, .stride = stride, .n_chunks = n_chunks,
    .first = op->first, .softcap = op->softcap,
  };

  g_return_val_if_fail (op->values.buffer != NULL && op->out.buffer != NULL && op->scratch.buffer != NULL,
                        FALSE);
  if (op->n == 0 || op->n_rows == 0 || stride < op->n || !(op->softcap >= 0.0f))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "log-probabilities of %u rows of %u values (stride %u, soft cap %g): empty rows, "
                   "overlapping rows or a negative cap", op->n_rows, op->n, stride, op->softcap);
      return FALSE;
    }
  if (binding_bytes (op->values) < ((guint64) (op->n_rows - 1) * stride + op->n) * 4 ||
      binding_bytes (op->out) < ((guint64) op->first + op->n_rows) * 4 ||
      (targets && binding_bytes (op->targets) < ((guint64) op->first + op->n_rows) * 4) ||
      binding_bytes (op->scratch) < lb_vk_logprob_scratch_bytes (op->n, op->n_rows))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "log-probabilities of %u rows of %u values: a binding of %s, %s or %s is too small",
                   op->n_rows, op->n, op->values.buffer->name, op->out.buffer->name, op->scratch.buffer->name);
      return FALSE;
    }
  for (guint final = 0; final < 2; final++)
    {
      LbVkPipelineDesc desc = {
        .shader = "logsumexp",
        .n_bindings = 4,
        /* The partials are written by the first pass, read by the second. */
        .access = { LB_VK_READ, final ? LB_VK_READ : LB_VK_WRITE, LB_VK_READ, final ? LB_VK_WRITE : LB_VK_READ },
        .push_size = sizeof (LogprobPush),
        .local_size = { WG, 1, 1 },
        .n_constants = 3,
        .constants = { final, ELEMS, targets ? 1 : 0 },
      };
      pipelines[final] = lb_vk_pipeline_get (ctx, &desc, error);
      if (pipelines[final] == NULL)
        return FALSE;
    }

  {
    LbVkBinding partials = lb_vk_bind_range (op->scratch.buffer, op->scratch.offset,
                                             (guint64) n_chunks * op->n_rows * 8);
    /* The first pass touches neither targets nor out: it binds read-only
     * stand-ins (the values) so that it does not wait on their writers. */
    LbVkBinding first_pass[4] = { op->values, partials, op->values, op->values };
    LbVkBinding second_pass[4] = { op->values, partials, lb_vk_bind_or (op->targets, op->values), op->out };

    return lb_vk_dispatch (cmds, pipelines[0], first_pass, &push, n_chunks, op->n_rows, 1, error) &&
           lb_vk_dispatch (cmds, pipelines[1], second_pass, &push, 1, op->n_rows, 1, error);
  }
}
