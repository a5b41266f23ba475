/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Log-probabilities on the GPU (shaders/logsumexp.comp): for each row of
 * logits, log p(target) = x[target] − logsumexp(x) over the whole row (a
 * vocabulary of 262144), in float32, without copying the row back: only
 * one float per row leaves the device. Two passes in one recording:
 * workgroups of 256 fold chunks of 2048 values into (max, sum of exp)
 * partials, then one workgroup per row combines them. Scoring a forced
 * answer (engine, answer-scorer.h) reads these instead of logits.
 *
 * Threading: the context's thread (vk-context.h).
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

typedef struct {
  LbVkBinding values;       /* x[n_rows][stride] f32 */
  guint32 n;                /* values per row (> 0) */
  guint32 n_rows;           /* > 0 */
  guint32 stride;           /* elements between rows; 0 = n */
  /* > 0: every value is soft-capped first, softcap · tanh (x / softcap)
   * (Gemma's final_logit_softcapping); 0: used as they are. */
  float softcap;
  /* targets[first + r] is row r's token (u32); { NULL }: out gets the
   * logsumexp of each row instead of a log-probability. A target >= n
   * gives NaN. */
  LbVkBinding targets;
  LbVkBinding out;          /* out[first + r] f32 */
  guint32 first;
  LbVkBinding scratch;      /* lb_vk_logprob_scratch_bytes (n, n_rows) bytes */
} LbVkLogprob;

/* Records both passes. -inf values add nothing to a row; a NaN makes the
 * row's result NaN. */
gboolean lb_vk_logprob (LbVkCommands *cmds, const LbVkLogprob *op, GError **error);
guint64 lb_vk_logprob_scratch_bytes (guint32 n, guint32 n_rows);

G_END_DECLS
