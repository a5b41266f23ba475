/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the two scorer implementations (answer-scorer-ref.c,
 * answer-scorer-engine.c) share with answer-scorer.c.
 */
#pragma once

#include "regions/answer-scorer.h"

G_BEGIN_DECLS

typedef struct {
  /* Scores input (a private copy that lives as long as the task) and
   * ends with lb_answer_scorer_return. */
  void (*score) (LbAnswerScorer *scorer, GTask *task, LbModelInput *input);
  void (*free) (gpointer data);
} LbAnswerScorerImpl;

struct _LbAnswerScorer {
  GObject parent_instance;

  const LbAnswerScorerImpl *impl;
  gpointer data;

  GArray *prompt;          /* gint32 */
  GArray *answer;          /* gint32 */
  guint image_first;       /* the run of image positions in prompt */
  guint n_image;
  guint first;             /* the scored range of the answer */
  guint n;
  gboolean capture;
  guint n_candidates;      /* 0: exact */
  guint image_size;
  float image_mean[3];
  gboolean busy;
};

/* Checks prompt and answer against the model (vocabulary, one image run
 * of n_image_tokens) and makes the scorer; takes data (freed with
 * impl->free, also on error). */
LbAnswerScorer *lb_answer_scorer_new_internal (const LbAnswerScorerImpl *impl, gpointer data,
                                               const gint32 *prompt, guint n_prompt,
                                               const gint32 *answer, guint n_answer, guint n_vocab,
                                               guint n_image_tokens, guint image_size,
                                               const float image_mean[3], GError **error);

/* A zeroed score for n_tokens tokens (attention when n_positions > 0). */
LbAnswerScore *lb_answer_score_new (guint n_tokens, guint n_positions);
/* Ends a score: returns score (taken) or error (taken; score freed). */
void lb_answer_scorer_return (LbAnswerScorer *scorer, GTask *task, LbAnswerScore *score,
                              GError *error);
/* score->logprob from the token log-probabilities of the scored range. */
void lb_answer_scorer_sum (LbAnswerScorer *scorer, LbAnswerScore *score);

G_END_DECLS
