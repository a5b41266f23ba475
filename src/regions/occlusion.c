/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "regions/occlusion.h"
#include "regions/regions.h"

void
lb_occlusion_params_init (LbOcclusionParams *params)
{
  *params = (LbOcclusionParams) {
    .grid = LB_OCCLUSION_DEFAULT_GRID,
    .fill = LB_OCCLUSION_FILL_MEAN,
  };
}

void
lb_occlusion_result_free (LbOcclusionResult *result)
{
  if (result == NULL)
    return;
  lb_region_map_free (result->map);
  g_free (result);
}

LbModelInput *
lb_occlusion_hide_cell (const LbModelInput *input, guint grid, guint row, guint col,
                        LbOcclusionFill fill, const float mean[3])
{
  g_autoptr(LbModelInput) hidden = NULL;
  guint S, x0, x1, y0, y1;
  guint8 colour[3];
  gsize n_hidden = 0;

  g_return_val_if_fail (input != NULL && input->rgb != NULL && grid > 0, NULL);
  g_return_val_if_fail (row < grid && col < grid, NULL);

  S = input->size;
  x0 = (guint) ((guint64) col * S / grid);
  x1 = (guint) ((guint64) (col + 1) * S / grid);
  y0 = (guint) ((guint64) row * S / grid);
  y1 = (guint) ((guint64) (row + 1) * S / grid);
  for (guint c = 0; c < 3; c++)
    colour[c] = fill == LB_OCCLUSION_FILL_BLACK ? 0 : (guint8) CLAMP (lrintf (mean[c] * 255.0f), 0, 255);

  hidden = g_new0 (LbModelInput, 1);
  *hidden = *input;
  hidden->rgb = g_memdup2 (input->rgb, (gsize) S * S * 3);
  for (guint y = y0; y < y1; y++)
    for (guint x = x0; x < x1; x++)
      if (lb_model_input_point_in_image (input, x + 0.5, y + 0.5))
        {
          memcpy (hidden->rgb + ((gsize) y * S + x) * 3, colour, 3);
          n_hidden++;
        }
  return n_hidden > 0 ? g_steal_pointer (&hidden) : NULL;
}

typedef struct {
  LbAnswerScorer *scorer;
  LbModelInput *input;             /* a copy */
  LbOcclusionParams params;
  LbOcclusionProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;
  LbOcclusionResult *result;
  float mean[3];
  gint cell;                       /* -1: the unoccluded run; then row * grid + col */
  guint done;
  guint total;
  gint64 start_us;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  if (run->progress_destroy != NULL)
    run->progress_destroy (run->progress_data);
  g_clear_object (&run->scorer);
  lb_model_input_free (run->input);
  lb_occlusion_result_free (run->result);
  g_free (run);
}

static void step (GTask *task);

static void
on_scored (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GTask) task = data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(LbAnswerScore) score = NULL;
  GError *error = NULL;

  score = lb_answer_scorer_score_finish (LB_ANSWER_SCORER (source), result, &error);
  if (score == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (run->cell < 0)
    run->result->base_logprob = score->logprob;
  else
    run->result->map->values[run->cell] = (float) (run->result->base_logprob - score->logprob);
  run->result->n_runs++;
  run->done++;
  if (run->progress != NULL)
    run->progress (run->done, run->total, run->progress_data);
  run->cell++;
  step (g_steal_pointer (&task));
}

/* Starts the next run, skipping cells that show no image. Takes task. */
static void
step (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  guint n_cells = run->params.grid * run->params.grid;
  g_autoptr(LbModelInput) hidden = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (run->cell < 0)
    {
      lb_answer_scorer_score_async (run->scorer, run->input, g_task_get_cancellable (task), on_scored, task);
      return;
    }
  while ((guint) run->cell < n_cells)
    {
      hidden = lb_occlusion_hide_cell (run->input, run->params.grid, run->cell / run->params.grid,
                                       run->cell % run->params.grid, run->params.fill, run->mean);
      if (hidden != NULL)
        {
          lb_answer_scorer_score_async (run->scorer, hidden, g_task_get_cancellable (task), on_scored, task);
          return;
        }
      run->result->map->values[run->cell] = NAN;
      run->cell++;
    }
  run->result->seconds = (g_get_monotonic_time () - run->start_us) / 1e6;
  g_task_return_pointer (task, g_steal_pointer (&run->result), (GDestroyNotify) lb_occlusion_result_free);
  g_object_unref (task);
}

/* Cells that show some of the image. */
static guint
count_cells (const LbModelInput *input, guint grid)
{
  guint n = 0, S = input->size;

  for (guint r = 0; r < grid; r++)
    for (guint c = 0; c < grid; c++)
      {
        gboolean shows = FALSE;
        guint x0 = (guint) ((guint64) c * S / grid), x1 = (guint) ((guint64) (c + 1) * S / grid);
        guint y0 = (guint) ((guint64) r * S / grid), y1 = (guint) ((guint64) (r + 1) * S / grid);
        for (guint y = y0; y < y1 && !shows; y++)
          for (guint x = x0; x < x1 && !shows; x++)
            shows = lb_model_input_point_in_image (input, x + 0.5, y + 0.5);
        n += shows;
      }
  return n;
}

void
lb_occlusion_run_async (LbAnswerScorer *scorer, const LbModelInput *input,
                        const LbOcclusionParams *params, LbOcclusionProgressFunc progress,
                        gpointer progress_data, GDestroyNotify progress_destroy,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Run *run;

  g_return_if_fail (LB_IS_ANSWER_SCORER (scorer));
  g_return_if_fail (input != NULL && input->rgb != NULL && params != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_occlusion_run_async);
  run = g_new0 (Run, 1);
  run->scorer = g_object_ref (scorer);
  run->progress = progress;
  run->progress_data = progress_data;
  run->progress_destroy = progress_destroy;
  g_task_set_task_data (task, run, run_free);

  if (params->grid < 2 || params->grid > 64 || params->grid > input->size)
    {
      g_task_return_new_error (task, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                               "an occlusion grid of %u cells per side is not supported (2–64, at "
                               "most one cell per pixel)", params->grid);
      g_object_unref (task);
      return;
    }
  if (input->size != lb_answer_scorer_get_image_size (scorer))
    {
      g_task_return_new_error (task, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                               "the image is %u×%u pixels; the vision encoder takes %u×%u",
                               input->size, input->size, lb_answer_scorer_get_image_size (scorer),
                               lb_answer_scorer_get_image_size (scorer));
      g_object_unref (task);
      return;
    }
  run->input = g_new0 (LbModelInput, 1);
  *run->input = *input;
  run->input->rgb = g_memdup2 (input->rgb, (gsize) input->size * input->size * 3);
  run->params = *params;
  lb_answer_scorer_get_image_mean (scorer, run->mean);
  run->result = g_new0 (LbOcclusionResult, 1);
  run->result->map = lb_region_map_new (params->grid);
  run->result->n_candidates = lb_answer_scorer_get_n_candidates (scorer);
  run->cell = -1;
  run->total = 1 + count_cells (input, params->grid);
  run->start_us = g_get_monotonic_time ();
  step (task);
}

LbOcclusionResult *
lb_occlusion_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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

LbOcclusionResult *
lb_occlusion_run_sync (LbAnswerScorer *scorer, const LbModelInput *input,
                       const LbOcclusionParams *params, LbOcclusionProgressFunc progress,
                       gpointer progress_data, GCancellable *cancellable, GError **error)
{
  SyncData sync = { NULL };
  GMainContext *context = g_main_context_get_thread_default ();
  LbOcclusionResult *result;

  lb_occlusion_run_async (scorer, input, params, progress, progress_data, NULL, cancellable,
                          sync_done, &sync);
  while (sync.result == NULL)
    g_main_context_iteration (context, TRUE);
  result = lb_occlusion_run_finish (sync.result, error);
  g_object_unref (sync.result);
  return result;
}
