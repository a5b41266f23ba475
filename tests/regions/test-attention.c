/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attention maps on small random models: the rows the Vulkan engine
 * captures while it generates equal the reference forward's
 * (lb_ref_text_attention_over over the global layers, src/ref) for the same
 * tokens; and teacher forcing (answer-scorer.h) gives the same rows and
 * log-probabilities on the engine as on the reference, for an answer the
 * model would not write itself.
 *
 * Tolerances: the engine keeps K and V in F16 and sums in another order,
 * so attention weights agree within 2e-3 + 0.02·|w| (as the engine's own
 * tests find) and log-probabilities within 0.05 + 0.01·|lp| (the logits'
 * 0.02 + 0.005·|x|, twice: the token's and the normaliser's).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "lb-test.h"
#include "regions-test.h"
#include "regions/answer-scorer.h"
#include "regions/attention-map.h"

#define N_STEPS 6

typedef struct {
  const char *name;
  const char *shape;
} ModelCase;

static const ModelCase models[] = {
  /* One global layer of six, a window of 8: shorter than the prompt. */
  { "tiny", NULL },
  /* Two global layers (2 and 5), 4:1 grouped heads of 16. */
  { "two-global", "pattern=3,heads=8,kv-heads=2,head-dim=16" },
};

static void
assert_rows_close (const char *what, const float *a, const float *b, guint n)
{
  for (guint j = 0; j < n; j++)
    if (fabs (a[j] - b[j]) > 2e-3 + 0.02 * fabs (b[j]))
      g_error ("%s: image position %u is %.5f on the engine, %.5f on the reference", what, j, a[j], b[j]);
}

static guint
image_first (const GArray *prompt)
{
  for (guint i = 0; i < prompt->len; i++)
    if (g_array_index (prompt, gint32, i) == LB_IMAGE_POSITION)
      return i;
  g_assert_not_reached ();
}

/* Runs the prompt on the reference: tokens, image, tokens. */
static void
ref_prompt (RegionsTestRef *ref, const GArray *prompt, const LbModelInput *input)
{
  const LbVisionConfig *vc = lb_ref_vision_config (ref->vision);
  const gint32 *ids = (const gint32 *) (gconstpointer) prompt->data;
  guint S = vc->image_size, T = vc->n_image_tokens, first = image_first (prompt);
  g_autofree float *pixels = g_new (float, (gsize) 3 * S * S);
  g_autofree float *embeddings = g_new (float, (gsize) T * vc->projection_dim);
  g_autoptr(GError) error = NULL;

  lb_model_input_to_float (input, vc->image_mean, vc->image_std, pixels);
  lb_ref_vision_encode (ref->vision, pixels, embeddings);
  lb_ref_text_reset (ref->text);
  g_assert_nonnull (lb_ref_text_forward_tokens (ref->text, ids, first, &error));
  g_assert_nonnull (lb_ref_text_forward_image (ref->text, embeddings, T, &error));
  g_assert_nonnull (lb_ref_text_forward_tokens (ref->text, ids + first + T, prompt->len - first - T, &error));
  g_assert_no_error (error);
}

static void
test_generated (gconstpointer data)
{
  const ModelCase *mc = data;
  const char *dir = regions_test_model (mc->name, mc->shape, 500 + g_str_hash (mc->name) % 100);
  g_autoptr(LbEngine) vk = regions_test_engine (dir, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(GArray) prompt = NULL, ids = NULL, attention = NULL, layers = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbAttentionTrace) trace = lb_attention_trace_new ();
  g_autoptr(LbRegionMap) map = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *row = NULL, *mean = NULL;
  g_autofree gsize *ends = NULL;
  RegionsTestRef ref = { 0 };
  guint T = 0, first;

  if (vk == NULL)
    return;
  /* A landscape picture: the model sees it padded. */
  input = regions_test_input (112, 84, lb_engine_get_image_size (vk), 11);
  prompt = regions_test_prompt (vk, "Where is the lesion?");
  ids = regions_test_generate (vk, prompt, input, N_STEPS, TRUE, &attention, &T);
  g_assert_cmpuint (T, ==, lb_engine_get_image_tokens (vk));
  g_assert_cmpuint (attention->len, ==, N_STEPS * T);

  regions_test_ref_load (&ref, dir, prompt->len + N_STEPS);
  layers = regions_test_global_layers (ref.text);
  g_assert_cmpuint (layers->len, ==, mc->shape == NULL ? 1 : 2);
  first = image_first (prompt);
  ref_prompt (&ref, prompt, input);
  row = g_new (float, T);
  mean = g_new0 (float, T);
  for (guint step = 0; step < N_STEPS; step++)
    {
      g_autofree char *what = g_strdup_printf ("%s step %u", mc->name, step);
      double sum = 0;
      /* The row of the position that chose token `step`. */
      lb_ref_text_attention_over (ref.text, (const guint *) (gpointer) layers->data, layers->len, first, T, row);
      assert_rows_close (what, &g_array_index (attention, float, step * T), row, T);
      for (guint j = 0; j < T; j++)
        {
          mean[j] += row[j] / N_STEPS;
          sum += row[j];
        }
      /* A share of the attention: more than nothing, at most all of it. */
      g_assert_cmpfloat (sum, >, 0.0);
      g_assert_cmpfloat (sum, <=, 1.0 + 1e-5);
      g_assert_nonnull (lb_ref_text_forward_tokens (ref.text, &g_array_index (ids, gint32, step), 1, &error));
      g_assert_no_error (error);
    }

  /* The whole answer's map is the mean of the rows: the reference's mean. */
  ends = g_new (gsize, N_STEPS);
  for (guint i = 0; i < N_STEPS; i++)
    ends[i] = i + 1;
  g_assert_true (lb_attention_trace_add (trace, N_STEPS, (const gint32 *) (gpointer) ids->data, "abcdef", 6,
                                         ends, T, (const float *) (gpointer) attention->data, &error));
  map = lb_attention_trace_map_answer (trace, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (map->grid * map->grid, ==, T);
  assert_rows_close (mc->name, map->values, mean, T);
  regions_test_ref_clear (&ref);
}

/* An answer the model would not write itself, teacher-forced. */
static void
test_teacher_forced (gconstpointer data)
{
  const ModelCase *mc = data;
  const char *dir = regions_test_model (mc->name, mc->shape, 500 + g_str_hash (mc->name) % 100);
  g_autoptr(LbEngine) vk = regions_test_engine (dir, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(GArray) prompt = NULL, greedy = NULL, greedy_attention = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbAnswerScorer) on_engine = NULL, on_ref = NULL, top256 = NULL;
  g_autoptr(LbAnswerScore) a = NULL, b = NULL, c = NULL;
  g_autoptr(GError) error = NULL;
  RegionsTestRef ref = { 0 };
  gint32 answer[4];
  guint T = 0;

  if (vk == NULL)
    return;
  input = regions_test_input (96, 112, lb_engine_get_image_size (vk), 12);
  prompt = regions_test_prompt (vk, "Is there an effusion?");
  greedy = regions_test_generate (vk, prompt, input, 2, TRUE, &greedy_attention, &T);
  /* The first token agrees with the model (one step on the greedy path),
   * the others are arbitrary: the model leaves them at once. */
  answer[0] = g_array_index (greedy, gint32, 0);
  for (guint i = 1; i < G_N_ELEMENTS (answer); i++)
    answer[i] = (gint32) (300 + 17 * i);

  on_engine = lb_answer_scorer_new_engine (vk, (const gint32 *) (gpointer) prompt->data, prompt->len,
                                           answer, G_N_ELEMENTS (answer), &error);
  g_assert_no_error (error);
  lb_answer_scorer_set_capture_attention (on_engine, TRUE);
  /* Exact on the engine too (the log-softmax over the whole vocabulary). */
  g_assert_cmpuint (lb_answer_scorer_get_n_candidates (on_engine), ==, 0);
  a = lb_answer_scorer_score_sync (on_engine, input, NULL, &error);
  g_assert_no_error (error);

  regions_test_ref_load (&ref, dir, prompt->len + G_N_ELEMENTS (answer));
  on_ref = lb_answer_scorer_new_ref (ref.text, ref.vision, (const gint32 *) (gpointer) prompt->data,
                                     prompt->len, answer, G_N_ELEMENTS (answer), &error);
  g_assert_no_error (error);
  lb_answer_scorer_set_capture_attention (on_ref, TRUE);
  b = lb_answer_scorer_score_sync (on_ref, input, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (a->n_tokens, ==, G_N_ELEMENTS (answer));
  g_assert_cmpuint (a->n_image_positions, ==, T);
  g_assert_cmpuint (b->n_image_positions, ==, T);
  /* The first row is the generating ask's first row: the same context. */
  lb_test_assert_close (a->attention, (const float *) (gpointer) greedy_attention->data, T, 1e-5, 1e-4);
  for (guint i = 0; i < a->n_tokens; i++)
    {
      g_autofree char *what = g_strdup_printf ("%s answer token %u", mc->name, i);
      assert_rows_close (what, a->attention + i * T, b->attention + i * T, T);
      if (fabs (a->token_logprobs[i] - b->token_logprobs[i]) > 0.05 + 0.01 * fabs (b->token_logprobs[i]))
        g_error ("%s: log-probability %.5f on the engine, %.5f on the reference", what,
                 a->token_logprobs[i], b->token_logprobs[i]);
      g_assert_cmpfloat (a->token_logprobs[i], <=, 1e-6);
    }
  g_assert_cmpfloat_with_epsilon (a->logprob, b->logprob, 0.05 * G_N_ELEMENTS (answer));

  /* Over the top 256 logits each token is more likely than over the whole
   * vocabulary (the normaliser only shrinks): the approximation the
   * engine no longer makes. */
  top256 = lb_answer_scorer_new_ref (ref.text, ref.vision, (const gint32 *) (gpointer) prompt->data,
                                    prompt->len, answer, G_N_ELEMENTS (answer), &error);
  g_assert_no_error (error);
  lb_answer_scorer_set_n_candidates (top256, 256);
  c = lb_answer_scorer_score_sync (top256, input, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (c->attention);
  for (guint i = 0; i < c->n_tokens; i++)
    g_assert_cmpfloat (c->token_logprobs[i], >=, b->token_logprobs[i] - 1e-5);
  g_assert_cmpfloat (c->logprob, >, b->logprob);
  regions_test_ref_clear (&ref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *generated = g_strdup_printf ("/regions/attention/vulkan-vs-ref/%s", models[i].name);
      g_autofree char *forced = g_strdup_printf ("/regions/attention/teacher-forced/%s", models[i].name);
      g_test_add_data_func (generated, &models[i], test_generated);
      g_test_add_data_func (forced, &models[i], test_teacher_forced);
    }
  return g_test_run ();
}
