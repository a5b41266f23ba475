/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The answer scorer on the plain-C reference (src/ref): exact log-softmax
 * over the vocabulary (or over the top K, to compare with the engine), and
 * the attention of each answer token from lb_ref_text_attention_over over
 * the global layers: the same definition as the engine's capture.
 * Computes on the calling thread.
 */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>

#include "model/sampler.h"
#include "regions/answer-scorer-private.h"
#include "regions/regions.h"

typedef struct {
  LbRefText *text;       /* borrowed */
  LbRefVision *vision;   /* borrowed */
  guint *layers;         /* the global-attention layers */
  guint n_layers;
} RefScorer;

static void
ref_scorer_free (gpointer data)
{
  RefScorer *ref = data;

  g_free (ref->layers);
  g_free (ref);
}

/* log p(target) under logits [n_vocab]: exact in double, or over the top k. */
static float
logprob (const float *logits, guint n_vocab, guint k, gint32 target, gint32 *top_ids, float *top_values)
{
  double max = logits[0], sum = 0.0;

  if (k > 0 && k < n_vocab)
    {
      lb_logits_top_k (logits, n_vocab, k, top_ids, top_values);
      return lb_answer_logprob_from_top (top_ids, top_values, k, target);
    }
  for (guint i = 1; i < n_vocab; i++)
    max = MAX (max, logits[i]);
  for (guint i = 0; i < n_vocab; i++)
    sum += exp (logits[i] - max);
  return (float) (logits[target] - (max + log (sum)));
}

static gboolean
check_cancel (GCancellable *cancellable, GError **error)
{
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static LbAnswerScore *
ref_score_run (LbAnswerScorer *scorer, RefScorer *ref, const LbModelInput *input,
               GCancellable *cancellable, GError **error)
{
  const LbVisionConfig *vc = lb_ref_vision_config (ref->vision);
  const LbTextConfig *tc = lb_ref_text_config (ref->text);
  const gint32 *prompt = (const gint32 *) (gconstpointer) scorer->prompt->data;
  const gint32 *answer = (const gint32 *) (gconstpointer) scorer->answer->data;
  guint S = vc->image_size, T = scorer->n_image, E = vc->projection_dim;
  guint after = scorer->image_first + T, n_needed = scorer->first + scorer->n;
  guint k = scorer->n_candidates;
  g_autofree float *pixels = g_new (float, (gsize) 3 * S * S);       /* [3][S][S] */
  g_autofree float *embeddings = g_new (float, (gsize) T * E);     /* [T][E] */
  g_autofree gint32 *top_ids = g_new (gint32, MAX (k, 1));
  g_autofree float *top_values = g_new (float, MAX (k, 1));
  g_autoptr(LbAnswerScore) score = NULL;
  const float *logits;

  if (scorer->capture && ref->n_layers == 0)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_NO_ATTENTION,
                   "the model has no global-attention layer: no attention to capture");
      return NULL;
    }
  score = lb_answer_score_new (n_needed, scorer->capture ? T : 0);

  lb_model_input_to_float (input, vc->image_mean, vc->image_std, pixels);
  lb_ref_vision_encode (ref->vision, pixels, embeddings);
  if (!check_cancel (cancellable, error))
    return NULL;

  /* The prompt: tokens before the image, the image, tokens after it. */
  lb_ref_text_reset (ref->text);
  if (scorer->image_first > 0 &&
      lb_ref_text_forward_tokens (ref->text, prompt, scorer->image_first, error) == NULL)
    return NULL;
  logits = lb_ref_text_forward_image (ref->text, embeddings, T, error);
  if (logits != NULL && after < scorer->prompt->len)
    logits = lb_ref_text_forward_tokens (ref->text, prompt + after, scorer->prompt->len - after, error);
  if (logits == NULL)
    return NULL;

  /* The answer, one position at a time: the logits of each position score
   * the next answer token. */
  for (guint j = 0; j < n_needed; j++)
    {
      score->token_logprobs[j] = logprob (logits, tc->n_vocab, k, answer[j], top_ids, top_values);
      if (scorer->capture)
        lb_ref_text_attention_over (ref->text, ref->layers, ref->n_layers, scorer->image_first, T,
                                    score->attention + (gsize) j * T);
      if (j + 1 == n_needed)
        break;
      if (!check_cancel (cancellable, error))
        return NULL;
      logits = lb_ref_text_forward_tokens (ref->text, answer + j, 1, error);
      if (logits == NULL)
        return NULL;
    }
  lb_answer_scorer_sum (scorer, score);
  return g_steal_pointer (&score);
}

static void
ref_score (LbAnswerScorer *scorer, GTask *task, LbModelInput *input)
{
  GError *error = NULL;
  LbAnswerScore *score = ref_score_run (scorer, scorer->data, input, g_task_get_cancellable (task), &error);

  lb_answer_scorer_return (scorer, task, score, error);
}

static const LbAnswerScorerImpl ref_impl = {
  .score = ref_score,
  .free = ref_scorer_free,
};

LbAnswerScorer *
lb_answer_scorer_new_ref (LbRefText *text, LbRefVision *vision, const gint32 *prompt, guint n_prompt,
                          const gint32 *answer, guint n_answer, GError **error)
{
  const LbTextConfig *tc;
  const LbVisionConfig *vc;
  RefScorer *ref;

  g_return_val_if_fail (text != NULL && vision != NULL, NULL);
  tc = lb_ref_text_config (text);
  vc = lb_ref_vision_config (vision);
  if ((guint64) n_prompt + n_answer > lb_ref_text_capacity (text))
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "the prompt and the answer take %u positions; the reference model holds %u",
                   n_prompt + n_answer, lb_ref_text_capacity (text));
      return NULL;
    }
  ref = g_new0 (RefScorer, 1);
  ref->text = text;
  ref->vision = vision;
  ref->layers = g_new (guint, tc->n_layer);
  for (guint l = 0; l < tc->n_layer; l++)
    if (lb_text_layer_is_global (tc, l))
      ref->layers[ref->n_layers++] = l;
  return lb_answer_scorer_new_internal (&ref_impl, ref, prompt, n_prompt, answer, n_answer,
                                        tc->n_vocab, vc->n_image_tokens, vc->image_size,
                                        vc->image_mean, error);
}

void
lb_answer_scorer_set_n_candidates (LbAnswerScorer *scorer, guint k)
{
  g_return_if_fail (LB_IS_ANSWER_SCORER (scorer));
  /* The engine's count is fixed by what it reports. */
  g_return_if_fail (scorer->impl == &ref_impl);
  scorer->n_candidates = k;
}
