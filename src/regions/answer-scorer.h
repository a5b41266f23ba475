/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Teacher forcing: the log-probability of a fixed answer given a prompt
 * and an image, token by token, with the attention of each answer token
 * over the image if asked. What occlusion maps measure (occlusion.h), and
 * how an answer that was not generated in this run (lightbox-cli regions
 * --answer-from-generate) gets its attention rows.
 *
 * Two implementations:
 *
 * - On the plain-C reference (src/ref): exact log-softmax over the whole
 *   vocabulary, one answer position at a time. It computes on the calling
 *   thread inside lb_answer_scorer_score_async (lightbox-cli, tests; a 4B
 *   model in float32 would not fit a laptop anyway).
 *
 * - On the engine (Vulkan or its reference backend), through its public
 *   API, on its worker thread: also exact. Each score is one ask of the
 *   prompt with the answer teacher-forced (LbAskRequest.forced_tokens) and
 *   its log-probabilities asked for (forced_logprobs): the engine computes
 *   the log-softmax over the whole vocabulary (with Vulkan on the GPU) and
 *   reports one float per answer token. Without attention capture the answer is
 *   prefilled with the prompt (the vision encoder, then one prefill);
 *   with it, one decode step per answer token follows the prompt.
 *   (Several occluded images per submission would make occlusion maps
 *   faster still.)
 *
 * Threads: create, score and free on the thread that owns the main context
 * the engine delivers to (the main thread); completions arrive there.
 */
#pragma once

#include <gio/gio.h>

#include "engine/engine.h"
#include "imaging/model-input.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

G_BEGIN_DECLS

typedef struct {
  guint n_tokens;            /* answer tokens computed: up to the end of the scored range */
  float *token_logprobs;     /* [n_tokens]: log p(answer[i] | prompt, image, answer[< i]) */
  double logprob;            /* their sum over the scored range */
  guint n_image_positions;   /* with attention capture, else 0 */
  float *attention;          /* [n_tokens][n_image_positions] (see LbTokenBatch.attention) or NULL */
} LbAnswerScore;

void lb_answer_score_free (LbAnswerScore *score);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbAnswerScore, lb_answer_score_free)

#define LB_TYPE_ANSWER_SCORER (lb_answer_scorer_get_type ())
G_DECLARE_FINAL_TYPE (LbAnswerScorer, lb_answer_scorer, LB, ANSWER_SCORER, GObject)

/* prompt: token ids with one run of image positions (LB_IMAGE_POSITION,
 * as many as the projector makes), e.g. from lb_chat_format_prompt;
 * answer: the tokens to score (at least one). Both are copied.
 *
 * On the reference: text and vision stay owned by the caller, must outlive
 * the scorer and are used by it alone while it scores (it resets the text
 * model's cache each time); text's capacity must hold prompt + answer. */
LbAnswerScorer *lb_answer_scorer_new_ref (LbRefText *text, LbRefVision *vision, const gint32 *prompt,
                                          guint n_prompt, const gint32 *answer, guint n_answer,
                                          GError **error);

/* On a loaded engine (with a vision projector); uses a session of its own. */
LbAnswerScorer *lb_answer_scorer_new_engine (LbEngine *engine, const gint32 *prompt, guint n_prompt,
                                             const gint32 *answer, guint n_answer, GError **error);

/* Sums answer tokens [first, first + n) (n 0: to the end); the tokens
 * before first are context. Default: the whole answer. Tokens after the
 * range are not computed. */
gboolean lb_answer_scorer_set_range (LbAnswerScorer *scorer, guint first, guint n, GError **error);
/* Also return each answer token's attention over the image (default off). */
void lb_answer_scorer_set_capture_attention (LbAnswerScorer *scorer, gboolean capture);
/* The reference only: an approximation for comparisons, the log-softmax
 * over the top k logits (lb_answer_logprob_from_top); 0, the default: over
 * the whole vocabulary, exact. */
void lb_answer_scorer_set_n_candidates (LbAnswerScorer *scorer, guint k);
/* How the log-probabilities are normalised: 0 for exact (always on the
 * engine), else K. */
guint lb_answer_scorer_get_n_candidates (LbAnswerScorer *scorer);

/* The model-input side the image must have, and the encoder's mean colour
 * (0–1 per channel: 0.5 for MedGemma). */
guint lb_answer_scorer_get_image_size (LbAnswerScorer *scorer);
void lb_answer_scorer_get_image_mean (LbAnswerScorer *scorer, float mean[3]);
guint lb_answer_scorer_get_n_answer (LbAnswerScorer *scorer);

/* Scores the answer with this image (input->size == the image size; the
 * pixels are copied). One score at a time per scorer. */
void lb_answer_scorer_score_async (LbAnswerScorer *scorer, const LbModelInput *input,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
LbAnswerScore *lb_answer_scorer_score_finish (LbAnswerScorer *scorer, GAsyncResult *result,
                                              GError **error);
/* The same, waiting: iterates the thread-default main context (which the
 * caller must own: lightbox-cli, tests). */
LbAnswerScore *lb_answer_scorer_score_sync (LbAnswerScorer *scorer, const LbModelInput *input,
                                            GCancellable *cancellable, GError **error);

/* log p(target) from the top k logits (best first): log p = logit −
 * logsumexp (top k), a target outside them counted with the k-th logit.
 * Over-estimates by −log (mass of the top k) when the vocabulary is
 * larger. */
float lb_answer_logprob_from_top (const gint32 *ids, const float *logits, guint k, gint32 target);

G_END_DECLS
