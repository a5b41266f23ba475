/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Occlusion maps on a small random model whose vocabulary (512) is larger
 * than the 256 logits a step reports: the map computed on the Vulkan
 * engine (exact log-probabilities, reduced on the GPU, the answer
 * prefilled with the prompt) equals the reference's exact map (src/ref
 * directly, the log-softmax over the whole vocabulary in double), while
 * the top-256 approximation the engine used before gives a map that
 * differs; cells that show no image are not run; progress counts the runs;
 * cancelling stops it.
 *
 * Tolerance: 4e-3 nats per scored token for a cell, a difference of two
 * sums of n log-probabilities that agree within 2e-3 each
 * (tests/engine/test-engine-logprob.c); the map must spread over more than
 * four times that, so that the comparison says something.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "lb-test.h"
#include "regions-test.h"
#include "regions/occlusion.h"
#include "regions/regions.h"

#define N_ANSWER 5
#define GRID 4

static const char *
model_dir (void)
{
  /* A separate output matrix: a tied one makes random models repeat one
   * token with near certainty, which hiding a cell hardly changes. */
  return regions_test_model ("occlusion", "tied=0", 77);
}

typedef struct {
  guint calls;
  guint last_done;
  guint total;
  guint cancel_after;
  GCancellable *cancellable;
} Progress;

static void
on_progress (guint done, guint total, gpointer data)
{
  Progress *p = data;

  g_assert_cmpuint (done, ==, p->last_done + 1);
  g_assert_cmpuint (done, <=, total);
  p->calls++;
  p->last_done = done;
  p->total = total;
  if (p->cancel_after > 0 && done == p->cancel_after)
    g_cancellable_cancel (p->cancellable);
}

static void
assert_maps_close (const LbRegionMap *a, const LbRegionMap *b, double tolerance)
{
  double worst = 0;

  g_assert_cmpuint (a->grid, ==, b->grid);
  for (guint i = 0; i < a->grid * a->grid; i++)
    if (!isnan (b->values[i]))
      worst = MAX (worst, fabs (a->values[i] - b->values[i]));
  g_test_message ("largest difference between the maps %.5f (tolerance %.3f)", worst, tolerance);
  for (guint i = 0; i < a->grid * a->grid; i++)
    {
      if (isnan (b->values[i]))
        {
          g_assert_true (isnan (a->values[i]));
          continue;
        }
      if (!(fabs (a->values[i] - b->values[i]) <= tolerance))
        g_error ("cell %u, %u: %.5f on the engine, %.5f on the reference", i / a->grid, i % a->grid,
                 a->values[i], b->values[i]);
    }
}

/* 112 × 56 in a 112 square: rows 28–83 are the picture, so of a 4 × 4 grid
 * (cells of 28) the top and bottom rows are padding. */
static void
test_vulkan_vs_ref (void)
{
  const char *dir = model_dir ();
  g_autoptr(LbEngine) vk = regions_test_engine (dir, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(GArray) prompt = NULL, answer = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbAnswerScorer) on_engine = NULL, on_ref = NULL;
  g_autoptr(LbOcclusionResult) a = NULL, b = NULL, approx = NULL;
  g_autoptr(GError) error = NULL;
  RegionsTestRef ref = { 0 };
  LbOcclusionParams params;
  Progress progress = { 0 };
  double spread = 0, tolerance = 4e-3 * N_ANSWER, approx_off = 0;

  if (vk == NULL)
    return;
  g_assert_cmpuint (lb_engine_get_image_size (vk), ==, 112);
  input = regions_test_input (112, 56, 112, 21);
  prompt = regions_test_prompt (vk, "Describe the findings.");
  answer = regions_test_generate (vk, prompt, input, N_ANSWER, FALSE, NULL, NULL);

  lb_occlusion_params_init (&params);
  g_assert_cmpuint (params.grid, ==, 8);
  g_assert_cmpint (params.fill, ==, LB_OCCLUSION_FILL_MEAN);
  params.grid = GRID;

  on_engine = lb_answer_scorer_new_engine (vk, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                           (const gint32 *) (gpointer) answer->data, answer->len, &error);
  g_assert_no_error (error);
  a = lb_occlusion_run_sync (on_engine, input, &params, on_progress, &progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_runs, ==, 1 + GRID * 2);
  g_assert_cmpuint (progress.calls, ==, a->n_runs);
  g_assert_cmpuint (progress.total, ==, a->n_runs);
  g_assert_cmpuint (a->n_candidates, ==, 0);

  regions_test_ref_load (&ref, dir, prompt->len + answer->len);
  on_ref = lb_answer_scorer_new_ref (ref.text, ref.vision, (const gint32 *) (gpointer) prompt->data,
                                     prompt->len, (const gint32 *) (gpointer) answer->data, answer->len, &error);
  g_assert_no_error (error);
  b = lb_occlusion_run_sync (on_ref, input, &params, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b->n_candidates, ==, 0);

  /* The old approximation: its map is not the exact one. */
  lb_answer_scorer_set_n_candidates (on_ref, 256);
  approx = lb_occlusion_run_sync (on_ref, input, &params, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (approx->n_candidates, ==, 256);
  for (guint i = GRID; i < GRID * (GRID - 1); i++)
    approx_off = MAX (approx_off, fabs (approx->map->values[i] - b->map->values[i]));
  approx_off = MAX (approx_off, fabs (approx->base_logprob - b->base_logprob));
  g_test_message ("the top-256 approximation is off by up to %.4f nats", approx_off);
  g_assert_cmpfloat (approx_off, >, tolerance);

  for (guint c = 0; c < GRID; c++)
    {
      g_assert_true (isnan (b->map->values[c]));
      g_assert_true (isnan (b->map->values[(GRID - 1) * GRID + c]));
    }
  for (guint i = GRID; i < GRID * (GRID - 1); i++)
    {
      g_assert_false (isnan (b->map->values[i]));
      spread = MAX (spread, fabs (b->map->values[i]));
    }
  g_test_message ("base log-probability %.4f (engine) %.4f (reference), largest drop %.4f",
                  a->base_logprob, b->base_logprob, spread);
  /* The map says something well beyond the tolerance, or the comparison
   * would be empty. */
  g_assert_cmpfloat (spread, >, 4 * tolerance);
  g_assert_cmpfloat_with_epsilon (a->base_logprob, b->base_logprob, 2e-3 * N_ANSWER);
  assert_maps_close (a->map, b->map, tolerance);
  regions_test_ref_clear (&ref);
}

/* The same for one part of an answer the model would not write itself,
 * on a 2 × 2 grid. */
static void
test_range (void)
{
  const char *dir = model_dir ();
  g_autoptr(LbEngine) vk = regions_test_engine (dir, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbAnswerScorer) on_engine = NULL, on_ref = NULL;
  g_autoptr(LbOcclusionResult) a = NULL, b = NULL;
  g_autoptr(GError) error = NULL;
  const gint32 answer[4] = { 260, 301, 77, 402 };
  RegionsTestRef ref = { 0 };
  LbOcclusionParams params;

  if (vk == NULL)
    return;
  input = regions_test_input (112, 112, 112, 22);
  prompt = regions_test_prompt (vk, "Is it normal?");
  lb_occlusion_params_init (&params);
  params.grid = 2;

  on_engine = lb_answer_scorer_new_engine (vk, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                           answer, G_N_ELEMENTS (answer), &error);
  g_assert_true (lb_answer_scorer_set_range (on_engine, 1, 2, &error));
  a = lb_occlusion_run_sync (on_engine, input, &params, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  regions_test_ref_load (&ref, dir, prompt->len + G_N_ELEMENTS (answer));
  on_ref = lb_answer_scorer_new_ref (ref.text, ref.vision, (const gint32 *) (gpointer) prompt->data,
                                     prompt->len, answer, G_N_ELEMENTS (answer), &error);
  g_assert_true (lb_answer_scorer_set_range (on_ref, 1, 2, &error));
  b = lb_occlusion_run_sync (on_ref, input, &params, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (a->n_runs, ==, 5);
  g_assert_cmpuint (a->n_candidates, ==, 0);
  g_assert_cmpfloat_with_epsilon (a->base_logprob, b->base_logprob, 2 * 2e-3);
  assert_maps_close (a->map, b->map, 2 * 4e-3);

  /* A range outside the answer is refused. */
  g_assert_false (lb_answer_scorer_set_range (on_ref, 3, 2, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  regions_test_ref_clear (&ref);
}

static void
test_cancel (gconstpointer data)
{
  gboolean use_engine = GPOINTER_TO_INT (data);
  const char *dir = model_dir ();
  g_autoptr(LbEngine) vk = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbAnswerScorer) scorer = NULL;
  g_autoptr(LbOcclusionResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  const gint32 answer[3] = { 260, 301, 77 };
  RegionsTestRef ref = { 0 };
  LbOcclusionParams params;
  Progress progress = { 0 };

  /* The engine only for its tokenizer on the reference path. */
  vk = regions_test_engine (dir, use_engine ? LB_ENGINE_BACKEND_VULKAN : LB_ENGINE_BACKEND_REF);
  if (vk == NULL)
    return;
  input = regions_test_input (112, 112, 112, 23);
  prompt = regions_test_prompt (vk, "Where?");
  if (use_engine)
    scorer = lb_answer_scorer_new_engine (vk, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                          answer, G_N_ELEMENTS (answer), &error);
  else
    {
      regions_test_ref_load (&ref, dir, prompt->len + G_N_ELEMENTS (answer));
      scorer = lb_answer_scorer_new_ref (ref.text, ref.vision, (const gint32 *) (gpointer) prompt->data,
                                         prompt->len, answer, G_N_ELEMENTS (answer), &error);
    }
  g_assert_no_error (error);
  lb_occlusion_params_init (&params);
  progress.cancel_after = 3;
  progress.cancellable = cancellable;
  result = lb_occlusion_run_sync (scorer, input, &params, on_progress, &progress, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Nothing ran after the cancel. */
  g_assert_cmpuint (progress.calls, ==, 3);
  g_assert_cmpuint (progress.total, ==, 1 + 64);
  g_clear_error (&error);

  /* The scorer is usable again; a cancellable cancelled before the start
   * stops it at once. */
  result = lb_occlusion_run_sync (scorer, input, &params, NULL, NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  {
    g_autoptr(LbAnswerScore) score = lb_answer_scorer_score_sync (scorer, input, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (score->n_tokens, ==, 3);
  }
  regions_test_ref_clear (&ref);
}

static void
test_errors (void)
{
  const char *dir = model_dir ();
  g_autoptr(LbEngine) engine = regions_test_engine (dir, LB_ENGINE_BACKEND_REF);
  g_autoptr(GArray) prompt = regions_test_prompt (engine, "Where?");
  g_autoptr(LbModelInput) small = regions_test_input (64, 64, 64, 1);
  g_autoptr(LbModelInput) input = regions_test_input (112, 112, 112, 1);
  g_autoptr(LbAnswerScorer) scorer = NULL;
  g_autoptr(LbOcclusionResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const gint32 answer[2] = { 260, 9999 };
  LbOcclusionParams params;

  /* A token outside the vocabulary, an empty answer, no image. */
  g_assert_null (lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                              answer, 2, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                              answer, 0, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data, 3,
                                              answer, 1, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_clear_error (&error);

  /* An image of the wrong size; a grid too fine. */
  scorer = lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                        answer, 1, &error);
  g_assert_no_error (error);
  lb_occlusion_params_init (&params);
  result = lb_occlusion_run_sync (scorer, small, &params, NULL, NULL, NULL, &error);
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_clear_error (&error);
  params.grid = 65;
  result = lb_occlusion_run_sync (scorer, input, &params, NULL, NULL, NULL, &error);
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_assert_null (result);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regions/occlusion/vulkan-vs-ref", test_vulkan_vs_ref);
  g_test_add_func ("/regions/occlusion/range", test_range);
  g_test_add_data_func ("/regions/occlusion/cancel/vulkan", GINT_TO_POINTER (TRUE), test_cancel);
  g_test_add_data_func ("/regions/occlusion/cancel/ref", GINT_TO_POINTER (FALSE), test_cancel);
  g_test_add_func ("/regions/occlusion/errors", test_errors);
  return g_test_run ();
}
