/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The answer scorer on the engine's public API (answer-scorer.h): one ask
 * per score, the answer teacher-forced (LbAskRequest.forced_tokens) with
 * its exact log-probabilities (forced_logprobs), those and the attention
 * of every step read from the token batches. Runs on the main thread; the
 * engine computes on its worker.
 */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <string.h>

#include "regions/answer-scorer-private.h"
#include "regions/regions.h"

typedef struct {
  LbEngine *engine;
  LbSession *session;
} EngineScorer;

static void
engine_scorer_free (gpointer data)
{
  EngineScorer *es = data;

  g_clear_object (&es->session);
  g_clear_object (&es->engine);
  g_free (es);
}

/* One score in flight. */
typedef struct {
  LbAnswerScorer *scorer;
  GTask *task;
  LbModelInput *input;     /* owned by the task */
  LbAnswerScore *score;
  guint n_needed;          /* answer tokens to compute */
  guint next;              /* answer tokens scored so far */
  GCancellable *ask_cancellable;
  gulong cancel_id;
  GError *error;           /* from the token callback */
} Op;

static void
op_free (Op *op)
{
  GCancellable *outer = g_task_get_cancellable (op->task);

  if (outer != NULL && op->cancel_id != 0)
    g_cancellable_disconnect (outer, op->cancel_id);
  g_clear_object (&op->ask_cancellable);
  lb_answer_score_free (op->score);
  g_clear_error (&op->error);
  g_object_unref (op->task);
  g_free (op);
}

static void
forward_cancel (GCancellable *outer, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* Stops the ask: something it reported is unusable. */
static void
fail (Op *op, GError *error)
{
  if (op->error == NULL)
    op->error = error;
  else
    g_error_free (error);
  g_cancellable_cancel (op->ask_cancellable);
}

static void
on_tokens (LbSession *session, const LbTokenBatch *batch, gpointer data)
{
  Op *op = data;
  const gint32 *answer = (const gint32 *) (gconstpointer) op->scorer->answer->data;

  if (op->error != NULL)
    return;
  for (guint i = 0; i < batch->n_tokens; i++)
    {
      guint j = batch->first_index + i;

      if (j >= op->n_needed || j != op->next)
        break;
      /* The step's logits were computed before its token was chosen, so
       * its log-probability is the answer's token j's. */
      if (batch->ids[i] != answer[j])
        {
          fail (op, g_error_new (LB_REGIONS_ERROR, LB_REGIONS_ERROR_FAILED,
                                 "the engine ran token %d where the answer has %d", batch->ids[i], answer[j]));
          return;
        }
      if (batch->logprobs == NULL)
        {
          fail (op, g_error_new (LB_REGIONS_ERROR, LB_REGIONS_ERROR_FAILED,
                                 "the engine reported no log-probabilities"));
          return;
        }
      op->score->token_logprobs[j] = batch->logprobs[i];
      if (op->score->attention != NULL)
        {
          guint T = op->score->n_image_positions;
          if (batch->attention == NULL || batch->n_image_positions != T)
            {
              fail (op, g_error_new (LB_REGIONS_ERROR, LB_REGIONS_ERROR_NO_ATTENTION,
                                     "the engine captured no attention (the model needs a "
                                     "global-attention layer)"));
              return;
            }
          memcpy (op->score->attention + (gsize) j * T, batch->attention + (gsize) i * T,
                  T * sizeof (float));
        }
      op->next = j + 1;
    }
}

static void
finish (Op *op, GError *error)
{
  LbAnswerScore *score = NULL;

  if (error == NULL)
    {
      score = g_steal_pointer (&op->score);
      lb_answer_scorer_sum (op->scorer, score);
    }
  lb_answer_scorer_return (op->scorer, op->task, score, error);
  op_free (op);
}

static void
on_asked (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  GError *error = NULL;
  GCancellable *outer = g_task_get_cancellable (op->task);

  lb_session_ask_finish (LB_SESSION (source), result, NULL, &error);
  if (g_cancellable_is_cancelled (outer))
    {
      g_clear_error (&error);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the scoring was cancelled");
    }
  else if (op->error != NULL)
    {
      g_clear_error (&error);
      error = g_steal_pointer (&op->error);
    }
  else if (error == NULL && op->next < op->n_needed)
    g_set_error (&error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_FAILED,
                 "the engine stopped after %u of %u answer tokens", op->next, op->n_needed);
  finish (op, error);
}

static void
engine_score (LbAnswerScorer *scorer, GTask *task, LbModelInput *input)
{
  EngineScorer *es = scorer->data;
  GCancellable *outer = g_task_get_cancellable (task);
  Op *op = g_new0 (Op, 1);
  LbAskRequest request;

  op->scorer = scorer;
  op->task = g_object_ref (task);
  op->input = input;
  op->n_needed = scorer->first + scorer->n;
  op->score = lb_answer_score_new (op->n_needed, scorer->capture ? scorer->n_image : 0);
  /* Our own cancellable, so that a bad batch can stop the ask too. */
  op->ask_cancellable = g_cancellable_new ();
  if (outer != NULL)
    op->cancel_id = g_cancellable_connect (outer, G_CALLBACK (forward_cancel),
                                           g_object_ref (op->ask_cancellable), g_object_unref);

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gconstpointer) scorer->prompt->data;
  request.n_prompt_tokens = scorer->prompt->len;
  request.image = op->input;
  request.forced_tokens = (const gint32 *) (gconstpointer) scorer->answer->data;
  request.n_forced_tokens = op->n_needed;
  /* Exact log-probabilities, computed on the device. Without attention
   * the engine runs the answer with the prompt as one prefill. */
  request.forced_logprobs = TRUE;
  request.capture_attention = scorer->capture;
  /* Each score starts from an empty context. */
  lb_session_reset (es->session);
  lb_session_ask_async (es->session, &request, on_tokens, op, NULL, op->ask_cancellable, on_asked, op);
}

static const LbAnswerScorerImpl engine_impl = {
  .score = engine_score,
  .free = engine_scorer_free,
};

LbAnswerScorer *
lb_answer_scorer_new_engine (LbEngine *engine, const gint32 *prompt, guint n_prompt,
                             const gint32 *answer, guint n_answer, GError **error)
{
  const LbEngineModelInfo *info;
  LbAnswerScorer *scorer;
  EngineScorer *es;

  g_return_val_if_fail (LB_IS_ENGINE (engine), NULL);
  info = lb_engine_get_model_info (engine);
  if (info == NULL || !info->has_vision)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "scoring an answer about an image needs a loaded model and vision projector");
      return NULL;
    }
  es = g_new0 (EngineScorer, 1);
  es->engine = g_object_ref (engine);
  es->session = lb_engine_new_session (engine);
  /* n_candidates stays 0: exact. */
  scorer = lb_answer_scorer_new_internal (&engine_impl, es, prompt, n_prompt, answer, n_answer,
                                          info->text.n_vocab, info->vision.n_image_tokens,
                                          info->vision.image_size, info->vision.image_mean, error);
  return scorer;
}
