/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "regions/answer-scorer-private.h"
#include "regions/regions.h"

G_DEFINE_FINAL_TYPE (LbAnswerScorer, lb_answer_scorer, G_TYPE_OBJECT)

void
lb_answer_score_free (LbAnswerScore *score)
{
  if (score == NULL)
    return;
  g_free (score->token_logprobs);
  g_free (score->attention);
  g_free (score);
}

LbAnswerScore *
lb_answer_score_new (guint n_tokens, guint n_positions)
{
  LbAnswerScore *score = g_new0 (LbAnswerScore, 1);

  score->n_tokens = n_tokens;
  score->token_logprobs = g_new0 (float, MAX (n_tokens, 1));
  if (n_positions > 0)
    {
      score->n_image_positions = n_positions;
      score->attention = g_new0 (float, (gsize) MAX (n_tokens, 1) * n_positions);
    }
  return score;
}

void
lb_answer_scorer_sum (LbAnswerScorer *scorer, LbAnswerScore *score)
{
  double sum = 0.0;

  for (guint i = scorer->first; i < scorer->first + scorer->n && i < score->n_tokens; i++)
    sum += score->token_logprobs[i];
  score->logprob = sum;
}

float
lb_answer_logprob_from_top (const gint32 *ids, const float *logits, guint k, gint32 target)
{
  double max, sum = 0.0;
  float value;

  g_return_val_if_fail (k > 0, NAN);
  max = logits[0];
  for (guint i = 1; i < k; i++)
    max = MAX (max, logits[i]);
  for (guint i = 0; i < k; i++)
    sum += exp (logits[i] - max);
  value = logits[k - 1];
  for (guint i = 0; i < k; i++)
    if (ids[i] == target)
      {
        value = logits[i];
        break;
      }
  return (float) (value - (max + log (sum)));
}

static void
lb_answer_scorer_finalize (GObject *object)
{
  LbAnswerScorer *scorer = LB_ANSWER_SCORER (object);

  if (scorer->impl != NULL && scorer->data != NULL)
    scorer->impl->free (scorer->data);
  g_clear_pointer (&scorer->prompt, g_array_unref);
  g_clear_pointer (&scorer->answer, g_array_unref);
  G_OBJECT_CLASS (lb_answer_scorer_parent_class)->finalize (object);
}

static void
lb_answer_scorer_class_init (LbAnswerScorerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_answer_scorer_finalize;
}

static void
lb_answer_scorer_init (LbAnswerScorer *scorer)
{
}

LbAnswerScorer *
lb_answer_scorer_new_internal (const LbAnswerScorerImpl *impl, gpointer data, const gint32 *prompt,
                               guint n_prompt, const gint32 *answer, guint n_answer, guint n_vocab,
                               guint n_image_tokens, guint image_size, const float image_mean[3],
                               GError **error)
{
  g_autoptr(LbAnswerScorer) scorer = g_object_new (LB_TYPE_ANSWER_SCORER, NULL);
  guint n_runs = 0;

  scorer->impl = impl;
  scorer->data = data;
  if (n_answer == 0)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "the answer to score is empty");
      return NULL;
    }
  for (guint i = 0; i < n_prompt; i++)
    {
      if (prompt[i] == LB_IMAGE_POSITION)
        {
          guint j = i;
          while (j < n_prompt && prompt[j] == LB_IMAGE_POSITION)
            j++;
          if (j - i != n_image_tokens)
            {
              g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                           "the prompt has a run of %u image positions at %u; the model's images "
                           "take %u", j - i, i, n_image_tokens);
              return NULL;
            }
          scorer->image_first = i;
          scorer->n_image = j - i;
          n_runs++;
          i = j - 1;
        }
      else if (prompt[i] < 0 || (guint) prompt[i] >= n_vocab)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "prompt token %u is %d, outside the vocabulary of %u", i, prompt[i], n_vocab);
          return NULL;
        }
    }
  if (n_runs != 1)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "the prompt must hold one image (it has %u)", n_runs);
      return NULL;
    }
  for (guint i = 0; i < n_answer; i++)
    if (answer[i] < 0 || (guint) answer[i] >= n_vocab)
      {
        g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                     "answer token %u is %d, outside the vocabulary of %u", i, answer[i], n_vocab);
        return NULL;
      }

  scorer->prompt = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n_prompt);
  g_array_append_vals (scorer->prompt, prompt, n_prompt);
  scorer->answer = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n_answer);
  g_array_append_vals (scorer->answer, answer, n_answer);
  scorer->first = 0;
  scorer->n = n_answer;
  scorer->image_size = image_size;
  memcpy (scorer->image_mean, image_mean, sizeof scorer->image_mean);
  return g_steal_pointer (&scorer);
}

gboolean
lb_answer_scorer_set_range (LbAnswerScorer *scorer, guint first, guint n, GError **error)
{
  g_return_val_if_fail (LB_IS_ANSWER_SCORER (scorer), FALSE);

  if (n == 0 && first < scorer->answer->len)
    n = scorer->answer->len - first;
  if (first >= scorer->answer->len || n > scorer->answer->len - first)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "tokens %u–%u are not in an answer of %u tokens", first, first + n,
                   scorer->answer->len);
      return FALSE;
    }
  scorer->first = first;
  scorer->n = n;
  return TRUE;
}

void
lb_answer_scorer_set_capture_attention (LbAnswerScorer *scorer, gboolean capture)
{
  g_return_if_fail (LB_IS_ANSWER_SCORER (scorer));
  scorer->capture = capture;
}

guint
lb_answer_scorer_get_n_candidates (LbAnswerScorer *scorer)
{
  g_return_val_if_fail (LB_IS_ANSWER_SCORER (scorer), 0);
  return scorer->n_candidates;
}

guint
lb_answer_scorer_get_image_size (LbAnswerScorer *scorer)
{
  g_return_val_if_fail (LB_IS_ANSWER_SCORER (scorer), 0);
  return scorer->image_size;
}

void
lb_answer_scorer_get_image_mean (LbAnswerScorer *scorer, float mean[3])
{
  g_return_if_fail (LB_IS_ANSWER_SCORER (scorer));
  memcpy (mean, scorer->image_mean, sizeof scorer->image_mean);
}

guint
lb_answer_scorer_get_n_answer (LbAnswerScorer *scorer)
{
  g_return_val_if_fail (LB_IS_ANSWER_SCORER (scorer), 0);
  return scorer->answer->len;
}

static void
free_input (gpointer data)
{
  lb_model_input_free (data);
}

void
lb_answer_scorer_score_async (LbAnswerScorer *scorer, const LbModelInput *input,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  LbModelInput *copy;

  g_return_if_fail (LB_IS_ANSWER_SCORER (scorer));
  g_return_if_fail (input != NULL && input->rgb != NULL);

  task = g_task_new (scorer, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_answer_scorer_score_async);
  if (scorer->busy)
    {
      g_task_return_new_error (task, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                               "this scorer is already scoring an image");
      return;
    }
  if (input->size != scorer->image_size)
    {
      g_task_return_new_error (task, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                               "the image is %u×%u pixels; the vision encoder takes %u×%u",
                               input->size, input->size, scorer->image_size, scorer->image_size);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  copy = g_new0 (LbModelInput, 1);
  *copy = *input;
  copy->rgb = g_memdup2 (input->rgb, (gsize) input->size * input->size * 3);
  g_task_set_task_data (task, copy, free_input);
  scorer->busy = TRUE;
  scorer->impl->score (scorer, task, copy);
}

LbAnswerScore *
lb_answer_scorer_score_finish (LbAnswerScorer *scorer, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, scorer), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
lb_answer_scorer_return (LbAnswerScorer *scorer, GTask *task, LbAnswerScore *score, GError *error)
{
  scorer->busy = FALSE;
  if (error != NULL)
    {
      lb_answer_score_free (score);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, score, (GDestroyNotify) lb_answer_score_free);
}

typedef struct {
  GAsyncResult *result;
} SyncData;

static void
sync_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SyncData *sync = data;
  sync->result = g_object_ref (result);
}

LbAnswerScore *
lb_answer_scorer_score_sync (LbAnswerScorer *scorer, const LbModelInput *input,
                             GCancellable *cancellable, GError **error)
{
  SyncData sync = { NULL };
  GMainContext *context = g_main_context_get_thread_default ();
  LbAnswerScore *score;

  lb_answer_scorer_score_async (scorer, input, cancellable, sync_done, &sync);
  while (sync.result == NULL)
    g_main_context_iteration (context, TRUE);
  score = lb_answer_scorer_score_finish (scorer, sync.result, error);
  g_object_unref (sync.result);
  return score;
}
