/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Log-probabilities of teacher-forced tokens on the device
 * (LbAskRequest.forced_logprobs): the log-softmax over the whole
 * vocabulary (vk-ops-logprob.h), so that one float per scored position
 * leaves the GPU instead of 262144 logits.
 *
 * Two ways in:
 *   - one row, after the logits of a prefill or of the decode step: the
 *     step-by-step path (with attention capture or top logits), target in
 *     slot 0 of the logprob buffer;
 *   - a forced answer prefilled with its prompt (lb_vk_prefill_scored):
 *     after the last layer of each batch the output head runs over the
 *     scored rows only, LR rows at a time, each chunk's logsumexp right
 *     after its product. Their logits [LR][V] are the only sizeable extra
 *     scratch (32 MB for a 262144 vocabulary).
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <string.h>

#include "engine/engine-vulkan.h"
#include "vk/vk-matmul.h"
#include "vk/vk-ops-logprob.h"

guint32
lb_vk_logprob_rows (guint32 n_vocab)
{
  /* 32 rows fill one tile column of the tiled product (vk-matmul.c), so
   * the output matrix is read once per 32 answer tokens. */
  guint64 limit = (64u << 20) / ((guint64) MAX (n_vocab, 1) * 4);
  return (guint32) CLAMP (limit, 1, 32);
}

static LbVkLogprob
logprob_op (LbBackendModel *m, LbVkBinding values, guint32 n_rows, guint32 first)
{
  VkTextScratch *t = &m->ts;
  VkDeviceSize B = m->batch;

  return (LbVkLogprob) {
    .values = values,
    .n = m->text.n_vocab,
    .n_rows = n_rows,
    /* The logits buffers hold the product before the soft cap (the host
     * caps the few candidates it reads); the kernel caps every value. */
    .softcap = m->text.final_logit_softcap,
    .targets = lb_vk_bind_range (t->logprob_io, 0, B * 4),
    .out = lb_vk_bind_range (t->logprob_io, t->logprob_out_offset, B * 4),
    .first = first,
    .scratch = lb_vk_bind (t->logprob_scratch),
  };
}

gboolean
lb_vk_text_record_logprob (LbBackendModel *m, LbVkCommands *cmds, GError **error)
{
  LbVkLogprob op = logprob_op (m, lb_vk_bind_range (m->ts.logits, 0, (VkDeviceSize) m->text.n_vocab * 4), 1, 0);

  vk_phase (m, cmds, "logprob");
  return lb_vk_logprob (cmds, &op, error);
}

gboolean
lb_vk_text_record_scored (LbBackendModel *m, LbVkCommands *cmds, guint32 row, guint32 n, GError **error)
{
  VkTextScratch *t = &m->ts;
  VkDeviceSize E = m->text.n_embd, V = m->text.n_vocab;

  g_return_val_if_fail (n > 0 && row + n <= m->batch, FALSE);
  lb_vk_commands_phase (cmds, "scored logits");
  for (guint32 j0 = 0; j0 < n; j0 += m->logprob_rows)
    {
      guint32 count = MIN (m->logprob_rows, n - j0);
      LbVkBinding h = lb_vk_bind_range (t->logprob_h, 0, count * E * 4);             /* [count][E] */
      LbVkBinding logits = lb_vk_bind_range (t->logprob_logits, 0, count * V * 4);   /* [count][V] */
      LbVkLogprob op = logprob_op (m, logits, count, j0);

      /* The rows start anywhere in h, and a binding must start aligned:
       * a copy (a few hundred KB, against the whole output matrix that the
       * product reads). */
      if (!lb_vk_commands_copy (cmds, lb_vk_bind_range (t->h, (row + j0) * E * 4, count * E * 4), h, error) ||
          !lb_vk_matmul_simple (cmds, m->output.type, vk_tensor_bind (&m->output), m->output.rows, (guint32) E,
                                h, count, logits, error) ||
          !lb_vk_logprob (cmds, &op, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lb_vk_logprob_warm_up (LbBackendModel *m, GError **error)
{
  /* The product's kernels differ by vector count up to 8, then not
   * within a tile column (vk-matmul.c). */
  static const guint32 sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 16, 32 };
  gboolean ok = lb_vk_commands_begin (m->cmds, error) && lb_vk_text_record_logprob (m, m->cmds, error) &&
                lb_vk_commands_end (m->cmds, error);

  for (gsize i = 0; ok && i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i] <= MIN (m->logprob_rows, m->batch))
      ok = lb_vk_commands_begin (m->cmds, error) && lb_vk_text_record_scored (m, m->cmds, 0, sizes[i], error) &&
           lb_vk_commands_end (m->cmds, error);
  return ok;
}

gboolean
lb_vk_prefill_scored (LbBackendState *s, const gint32 *tokens, guint n, const gint32 *targets,
                      guint n_targets, float *logprobs, GCancellable *cancellable, GError **error)
{
  LbBackendModel *m = s->model;
  guint32 *slots = (guint32 *) (gpointer) m->ts.logprob_io->mapped;
  const float *results = (const float *) (gconstpointer) ((const guint8 *) m->ts.logprob_io->mapped +
                                                          m->ts.logprob_out_offset);
  /* Position `first` of this call has the logits that score targets[0]. */
  guint first = n - n_targets;

  g_return_val_if_fail (n_targets >= 1 && n_targets <= n, FALSE);
  if (!lb_vk_engine_check_room (s, n, error))
    return FALSE;
  for (guint start = 0; start < n; start += m->prefill_batch)
    {
      guint32 count = MIN (m->prefill_batch, n - start);
      guint32 lo = MAX (start, first), hi = start + count;
      guint32 score_n = hi > lo ? hi - lo : 0;

      for (guint32 j = 0; j < score_n; j++)
        slots[j] = (guint32) targets[lo - first + j];
      lb_vk_text_write_inputs (m, tokens + start, count, s->n_past, 0, 0);
      if (!lb_vk_engine_run_positions (s, count, TRUE, 0, 0, FALSE, score_n > 0 ? lo - start : 0, score_n,
                                       cancellable, error))
        return FALSE;
      if (score_n > 0)
        memcpy (logprobs + (lo - first), results, score_n * sizeof (float));
      lb_vk_engine_advance (s, count);
    }
  /* No logits of the last position, no attention captured. */
  s->capture_row = -1;
  return TRUE;
}
