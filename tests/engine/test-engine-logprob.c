/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exact log-probabilities of a teacher-forced answer
 * (LbAskRequest.forced_logprobs) on random models whose vocabularies are
 * larger than the 256 logits a step reports, so that the old top-256
 * approximation would fail here: the Vulkan backend's (the answer
 * prefilled with the prompt, or step by step), the reference backend's
 * (both ways) and src/ref's log-softmax in double agree. The one-prefill
 * path streams the same batches and leaves the same context (a follow-up
 * continues as after the steps); a request without forced tokens and a
 * cancel in the middle of the prefill.
 *
 * Tolerances: the reference backend runs src/ref's arithmetic, so it
 * agrees within float rounding (1e-4 nats). The Vulkan backend keeps K and
 * V in F16 and sums in another order; on these f32 models its logits stay
 * within a few 1e-4 of the reference's, so each log-probability (a logit
 * minus the logsumexp, both off by about that) agrees within 2e-3 nats per
 * token; 3e-3 where the logits are soft-capped at 30 (larger logits, larger
 * rounding: 1.3e-3 seen), 4e-3 with q8_0 weights (1e-3 seen). The two
 * Vulkan paths batch the positions differently (one prefill or decode
 * steps): within the same.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "engine-test.h"
#include "lb-test.h"
#include "lb-test-model.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

#define N_ANSWER 12

typedef struct {
  const char *name;
  const char *shape;
  const char *type;
  double tolerance;           /* nats per token, Vulkan against the reference */
} ModelCase;

static const ModelCase models[] = {
  /* 512 tokens, a separate output matrix. */
  { "tiny-f32", "tied=0", "f32", 2e-3 },
  /* Soft-capped logits, 3000 tokens (more than one workgroup's chunk of
   * the logsumexp), a window of 6, every third layer global. */
  { "softcap-f32", "softcap=30,vocab=3000,window=6,pattern=3", "f32", 3e-3 },
  { "q8", "vocab=2500,tied=0", "q8_0", 4e-3 },
};

static const char *
model_dir (const ModelCase *mc)
{
  LbTestModelSpec spec = {
    .shape = mc->shape, .type = mc->type, .mmproj_type = "f32",
    .seed = 3000 + g_str_hash (mc->name) % 1000,
  };
  return lb_test_random_model (mc->name, &spec);
}

static LbEngine *
load_new (const ModelCase *mc, LbEngineBackend backend, guint context_length, guint batch_size)
{
  const char *dir = model_dir (mc);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(GError) error = NULL;
  LbEngineOptions options;
  LbEngine *engine;

  lb_engine_options_init (&options);
  options.backend = backend;
  options.context_length = context_length;
  options.batch_size = batch_size;
  engine = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  if (!lb_engine_load_sync (engine, text, mmproj, NULL, NULL, NULL, &error))
    {
      if (g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
        {
          g_test_skip (error->message);
          g_object_unref (engine);
          return NULL;
        }
      g_assert_no_error (error);
    }
  return engine;
}

/* Loading takes seconds under the validation layer: one engine per model
 * and backend, shared by the tests. The soft-capped model's Vulkan engine
 * runs batches of 16 positions (prompts and answers span several, the
 * scored rows are split between them), the others batches of 512. */
static LbEngine *shared[G_N_ELEMENTS (models)][3];

static LbEngine *
load (const ModelCase *mc, LbEngineBackend backend)
{
  gsize i = (gsize) (mc - models);

  if (shared[i][backend] == NULL)
    shared[i][backend] = load_new (mc, backend, i == 1 ? 512 : 4096,
                                   i == 1 && backend == LB_ENGINE_BACKEND_VULKAN ? 16 : 0);
  return shared[i][backend] != NULL ? g_object_ref (shared[i][backend]) : NULL;
}

/* <bos>, 10 text tokens, the image, 10 more: longer than every window. */
static GArray *
prompt_with_image (LbEngine *engine)
{
  GArray *prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  guint n_vocab = lb_engine_get_model_info (engine)->text.n_vocab, T = lb_engine_get_image_tokens (engine);
  gint32 id = 2;

  g_array_append_val (prompt, id);
  for (guint i = 0; i < 20 + T; i++)
    {
      id = i >= 10 && i < 10 + T ? LB_IMAGE_POSITION : (gint32) (10 + (i * 37) % (n_vocab - 10));
      g_array_append_val (prompt, id);
    }
  return prompt;
}

/* Tokens all over the vocabulary, most of them far from the top 256. */
static GArray *
answer_tokens (guint n_vocab, guint n, guint salt)
{
  GArray *answer = g_array_new (FALSE, FALSE, sizeof (gint32));

  for (guint i = 0; i < n; i++)
    {
      gint32 id = (gint32) (10 + (i * 131 + salt * 17) % (n_vocab - 10));
      g_array_append_val (answer, id);
    }
  return answer;
}

typedef struct {
  const GArray *prompt;       /* raw tokens */
  const LbModelInput *image;
  const GArray *forced;       /* NULL: generate */
  guint max_tokens;           /* without forced tokens */
  gboolean logprobs;
  guint n_top;                /* > 0 or capture: the step-by-step path */
  gboolean capture;
} Ask;

static void
run_ask (LbSession *session, const Ask *a, EngineTestStream *stream, LbAskStats *stats)
{
  g_autoptr(GError) error = NULL;
  LbAskRequest request;

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gconstpointer) a->prompt->data;
  request.n_prompt_tokens = a->prompt->len;
  request.image = a->image;
  request.max_tokens = a->max_tokens;
  request.stop_at_end_of_turn = FALSE;
  request.n_top_logits = a->n_top;
  request.capture_attention = a->capture;
  if (a->forced != NULL)
    {
      request.forced_tokens = (const gint32 *) (gconstpointer) a->forced->data;
      request.n_forced_tokens = a->forced->len;
    }
  request.forced_logprobs = a->logprobs;
  engine_test_stream_init (stream);
  lb_session_ask_sync (session, &request, engine_test_stream_cb, stream, NULL, stats, &error);
  g_assert_no_error (error);
  g_assert_true (stream->saw_last);
  if (a->forced != NULL)
    {
      g_assert_cmpuint (stream->ids->len, ==, a->forced->len);
      g_assert_cmpmem (stream->ids->data, stream->ids->len * 4, a->forced->data, a->forced->len * 4);
    }
  g_assert_cmpuint (stream->logprobs->len, ==, a->logprobs ? stream->ids->len : 0);
}

static int
compare_descending (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return x > y ? -1 : x < y;
}

/* log p(answer[j] | prompt, answer[< j]) on src/ref, in double; and the
 * old approximation (over the top 256 logits, a token outside them
 * counted with the 256th) into approx. */
static void
ref_logprobs (const ModelCase *mc, const GArray *prompt, const LbModelInput *input, const GArray *answer,
              double *exact, double *approx)
{
  const char *dir = model_dir (mc);
  g_autofree char *text_path = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj_path = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) text_file = lb_gguf_open (text_path, &error);
  g_autoptr(LbGguf) vision_file = lb_gguf_open (mmproj_path, &error);
  g_autoptr(LbRefText) text = lb_ref_text_new (text_file, prompt->len + answer->len, &error);
  g_autoptr(LbRefVision) vision = lb_ref_vision_new (vision_file, &error);
  const LbVisionConfig *vc = lb_ref_vision_config (vision);
  guint V = lb_ref_text_config (text)->n_vocab, S = vc->image_size, T = vc->n_image_tokens, first = 0;
  const gint32 *ids = (const gint32 *) (gconstpointer) prompt->data;
  g_autofree float *pixels = g_new (float, (gsize) 3 * S * S);
  g_autofree float *embeddings = g_new (float, (gsize) T * vc->projection_dim);
  g_autofree float *sorted = g_new (float, V);
  const float *logits;

  g_assert_no_error (error);
  while (ids[first] != LB_IMAGE_POSITION)
    first++;
  lb_model_input_to_float (input, vc->image_mean, vc->image_std, pixels);
  lb_ref_vision_encode (vision, pixels, embeddings);
  g_assert_nonnull (lb_ref_text_forward_tokens (text, ids, first, &error));
  g_assert_nonnull (lb_ref_text_forward_image (text, embeddings, T, &error));
  logits = lb_ref_text_forward_tokens (text, ids + first + T, prompt->len - first - T, &error);
  g_assert_no_error (error);
  for (guint j = 0; j < answer->len; j++)
    {
      gint32 target = g_array_index (answer, gint32, j);
      double max = -INFINITY, sum = 0, top_sum = 0, top_value;
      gboolean in_top;

      for (guint i = 0; i < V; i++)
        max = MAX (max, logits[i]);
      for (guint i = 0; i < V; i++)
        sum += exp (logits[i] - max);
      exact[j] = logits[target] - (max + log (sum));

      memcpy (sorted, logits, V * sizeof (float));
      qsort (sorted, V, sizeof (float), compare_descending);
      for (guint r = 0; r < 256; r++)
        top_sum += exp (sorted[r] - max);
      in_top = logits[target] >= sorted[255];
      top_value = in_top ? logits[target] : sorted[255];
      approx[j] = top_value - (max + log (top_sum));

      if (j + 1 < answer->len)
        {
          logits = lb_ref_text_forward_tokens (text, &g_array_index (answer, gint32, j), 1, &error);
          g_assert_no_error (error);
        }
    }
}

static void
assert_logprobs_close (const char *what, const EngineTestStream *s, const double *want, double tolerance)
{
  double worst = 0;

  for (guint j = 0; j < s->logprobs->len; j++)
    {
      double got = g_array_index (s->logprobs, float, j);
      if (!(fabs (got - want[j]) <= tolerance))
        g_error ("%s: answer token %u has log-probability %.6f, expected %.6f (tolerance %.0e)", what, j, got,
                 want[j], tolerance);
      worst = MAX (worst, fabs (got - want[j]));
    }
  g_test_message ("%s: largest difference %.2e nats (tolerance %.0e)", what, worst, tolerance);
}

/* The same forced answer through every path agrees with src/ref. */
static void
test_exact (gconstpointer data)
{
  const ModelCase *mc = data;
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(LbEngine) ref = NULL;
  g_autoptr(LbSession) s_vk = NULL, s_ref = NULL;
  g_autoptr(GArray) prompt = NULL, answer = NULL;
  g_autoptr(LbModelInput) image = NULL;
  g_autofree double *exact = g_new (double, N_ANSWER), *approx = g_new (double, N_ANSWER);
  EngineTestStream one, steps, ref_one, ref_steps;
  Ask a = { 0 };
  double worst_approx = 0;

  if (vk == NULL)
    return;
  ref = load (mc, LB_ENGINE_BACKEND_REF);
  g_assert_cmpuint (lb_engine_get_model_info (vk)->text.n_vocab, >, 256);
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 5);
  answer = answer_tokens (lb_engine_get_model_info (vk)->text.n_vocab, N_ANSWER, 1);
  s_vk = lb_engine_new_session (vk);
  s_ref = lb_engine_new_session (ref);

  a.prompt = prompt;
  a.image = image;
  a.forced = answer;
  a.logprobs = TRUE;
  run_ask (s_vk, &a, &one, NULL);
  run_ask (s_ref, &a, &ref_one, NULL);
  /* Top logits asked for as well: step by step, the same numbers. */
  a.n_top = 4;
  lb_session_reset (s_vk);
  lb_session_reset (s_ref);
  run_ask (s_vk, &a, &steps, NULL);
  run_ask (s_ref, &a, &ref_steps, NULL);
  g_assert_cmpuint (steps.n_top, ==, 4);
  g_assert_cmpuint (one.n_top, ==, 0);

  ref_logprobs (mc, prompt, image, answer, exact, approx);
  for (guint j = 0; j < N_ANSWER; j++)
    worst_approx = MAX (worst_approx, fabs (approx[j] - exact[j]));
  g_test_message ("%s: the top-256 approximation is off by up to %.4f nats", mc->name, worst_approx);
  /* Over a vocabulary larger than 256 the approximation is wrong by far
   * more than the tolerance: the test tells the two apart. */
  g_assert_cmpfloat (worst_approx, >, 10 * mc->tolerance);

  assert_logprobs_close ("reference backend, one prefill", &ref_one, exact, 1e-4);
  assert_logprobs_close ("reference backend, steps", &ref_steps, exact, 1e-4);
  assert_logprobs_close ("Vulkan, one prefill", &one, exact, mc->tolerance);
  assert_logprobs_close ("Vulkan, steps", &steps, exact, mc->tolerance);
  g_assert_cmpstr (one.text->str, ==, ref_one.text->str);
  g_assert_cmpstr (steps.text->str, ==, one.text->str);

  engine_test_stream_clear (&one);
  engine_test_stream_clear (&steps);
  engine_test_stream_clear (&ref_one);
  engine_test_stream_clear (&ref_steps);
}

/* An answer longer than one chunk of scored rows (32) in a batch of 512:
 * the output head runs over several chunks of the same prefill batch,
 * and every chunk must score its own rows. */
static void
test_long_answer (void)
{
  const ModelCase *mc = &models[0];
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL, answer = NULL;
  g_autoptr(LbModelInput) image = NULL;
  const guint n = 80;
  g_autofree double *exact = g_new (double, n), *approx = g_new (double, n);
  EngineTestStream one;
  Ask a = { 0 };

  if (vk == NULL)
    return;
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 17);
  answer = answer_tokens (lb_engine_get_model_info (vk)->text.n_vocab, n, 3);
  session = lb_engine_new_session (vk);
  a.prompt = prompt;
  a.image = image;
  a.forced = answer;
  a.logprobs = TRUE;
  run_ask (session, &a, &one, NULL);
  g_assert_cmpuint (one.n_top, ==, 0); /* the one-prefill path */
  ref_logprobs (mc, prompt, image, answer, exact, approx);
  assert_logprobs_close ("Vulkan, one prefill, 80 rows", &one, exact, mc->tolerance);
  engine_test_stream_clear (&one);
}

/* The same greedy tokens with close logits, or a parting at a near-tie
 * (where batching the positions differently may flip the order), as in
 * test-engine-session.c. */
static void
assert_same_generation (const EngineTestStream *a, const EngineTestStream *b)
{
  g_assert_cmpuint (a->ids->len, ==, b->ids->len);
  g_assert_cmpuint (a->n_top, ==, b->n_top);
  for (guint i = 0; i < a->ids->len; i++)
    {
      const LbTokenLogit *ta = &g_array_index (a->top, LbTokenLogit, i * a->n_top);
      const LbTokenLogit *tb = &g_array_index (b->top, LbTokenLogit, i * b->n_top);
      double tol = 0.01 + 0.002 * fabs (ta[0].logit);

      g_assert_cmpfloat_with_epsilon (ta[0].logit, tb[0].logit, tol);
      if (g_array_index (a->ids, gint32, i) != g_array_index (b->ids, gint32, i))
        {
          g_assert_cmpfloat (ta[0].logit - ta[1].logit, <, 2 * tol);
          return;
        }
    }
}

/* In batches of 16 positions, a 40-token answer: the one-prefill path
 * streams what the steps stream, and leaves the context they leave: a
 * follow-up generates the same tokens, as it does after the whole
 * exchange as one prompt. Then an answer of one token (only the prompt's
 * last position scored). */
static void
test_same_context (void)
{
  const ModelCase *mc = &models[1];
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(LbSession) s_one = NULL, s_steps = NULL, s_whole = NULL;
  g_autoptr(GArray) prompt = NULL, answer = NULL, follow = NULL, whole = NULL, single = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream one, steps, f_one, f_steps, f_whole, single_one, single_steps;
  LbAskStats st_one, st_steps;
  Ask a = { 0 }, f = { 0 };
  guint V;

  if (vk == NULL)
    return;
  V = lb_engine_get_model_info (vk)->text.n_vocab;
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 9);
  answer = answer_tokens (V, 40, 2);
  s_one = lb_engine_new_session (vk);
  s_steps = lb_engine_new_session (vk);

  a.prompt = prompt;
  a.image = image;
  a.forced = answer;
  a.logprobs = TRUE;
  run_ask (s_one, &a, &one, &st_one);
  a.n_top = 1;
  run_ask (s_steps, &a, &steps, &st_steps);
  g_assert_cmpstr (one.text->str, ==, steps.text->str);
  for (guint j = 0; j < answer->len; j++)
    g_assert_cmpfloat_with_epsilon (g_array_index (one.logprobs, float, j),
                                    g_array_index (steps.logprobs, float, j), mc->tolerance);
  g_assert_cmpuint (st_one.n_generated, ==, st_steps.n_generated);
  g_assert_cmpint (st_one.stop_reason, ==, LB_STOP_MAX_TOKENS);
  g_assert_cmpint (st_steps.stop_reason, ==, LB_STOP_MAX_TOKENS);
  g_assert_cmpuint (st_one.n_prompt_positions, ==, st_steps.n_prompt_positions);
  g_assert_cmpuint (st_one.n_past, ==, prompt->len + answer->len - 1);
  g_assert_cmpuint (lb_session_get_n_past (s_one), ==, lb_session_get_n_past (s_steps));

  /* A raw follow-up: the last forced token was pending in both. */
  follow = answer_tokens (V, 5, 3);
  f.prompt = follow;
  f.max_tokens = 6;
  f.n_top = 4;
  run_ask (s_one, &f, &f_one, NULL);
  run_ask (s_steps, &f, &f_steps, NULL);
  assert_same_generation (&f_one, &f_steps);
  g_assert_cmpuint (lb_session_get_n_past (s_one), ==, lb_session_get_n_past (s_steps));

  whole = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_vals (whole, prompt->data, prompt->len);
  g_array_append_vals (whole, answer->data, answer->len);
  g_array_append_vals (whole, follow->data, follow->len);
  s_whole = lb_engine_new_session (vk);
  f.prompt = whole;
  f.image = image;
  run_ask (s_whole, &f, &f_whole, NULL);
  assert_same_generation (&f_one, &f_whole);

  /* One forced token: only the prompt's last position is scored. */
  single = answer_tokens (V, 1, 4);
  a.forced = single;
  a.n_top = 0;
  lb_session_reset (s_one);
  run_ask (s_one, &a, &single_one, NULL);
  a.n_top = 1;
  lb_session_reset (s_steps);
  run_ask (s_steps, &a, &single_steps, NULL);
  g_assert_cmpfloat_with_epsilon (g_array_index (single_one.logprobs, float, 0),
                                  g_array_index (single_steps.logprobs, float, 0), mc->tolerance);
  g_assert_cmpuint (lb_session_get_n_past (s_one), ==, prompt->len);

  engine_test_stream_clear (&one);
  engine_test_stream_clear (&steps);
  engine_test_stream_clear (&f_one);
  engine_test_stream_clear (&f_steps);
  engine_test_stream_clear (&f_whole);
  engine_test_stream_clear (&single_one);
  engine_test_stream_clear (&single_steps);
}

/* With attention capture the steps run, with log-probabilities and rows. */
static void
test_with_capture (void)
{
  const ModelCase *mc = &models[0];
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL, answer = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream captured, plain;
  Ask a = { 0 };

  if (vk == NULL)
    return;
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 13);
  answer = answer_tokens (lb_engine_get_model_info (vk)->text.n_vocab, 6, 5);
  session = lb_engine_new_session (vk);
  a.prompt = prompt;
  a.image = image;
  a.forced = answer;
  a.logprobs = TRUE;
  a.capture = TRUE;
  run_ask (session, &a, &captured, NULL);
  g_assert_cmpuint (captured.n_image_positions, ==, lb_engine_get_image_tokens (vk));
  g_assert_cmpuint (captured.attention->len, ==, answer->len * captured.n_image_positions);
  a.capture = FALSE;
  lb_session_reset (session);
  run_ask (session, &a, &plain, NULL);
  g_assert_cmpuint (plain.n_image_positions, ==, 0);
  for (guint j = 0; j < answer->len; j++)
    g_assert_cmpfloat_with_epsilon (g_array_index (captured.logprobs, float, j),
                                    g_array_index (plain.logprobs, float, j), mc->tolerance);
  engine_test_stream_clear (&captured);
  engine_test_stream_clear (&plain);
}

/* forced_logprobs without forced tokens: a clear error, nothing changes. */
static void
test_errors (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = load (&models[0], backend);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GError) error = NULL;
  EngineTestStream stream;
  LbAskRequest request;
  Ask a = { 0 };

  if (engine == NULL)
    return;
  prompt = answer_tokens (lb_engine_get_model_info (engine)->text.n_vocab, 8, 6);
  session = lb_engine_new_session (engine);
  a.prompt = prompt;
  a.max_tokens = 2;
  run_ask (session, &a, &stream, NULL);
  engine_test_stream_clear (&stream);

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.forced_logprobs = TRUE;
  engine_test_stream_init (&stream);
  g_assert_false (lb_session_ask_sync (session, &request, engine_test_stream_cb, &stream, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "forced"));
  g_assert_cmpuint (stream.n_batches, ==, 0);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, prompt->len + 1);
  engine_test_stream_clear (&stream);

  /* Usable again. */
  run_ask (session, &a, &stream, NULL);
  engine_test_stream_clear (&stream);
}

/* A cancel during the one prefill of a long forced answer: nothing was
 * streamed, the conversation is as it was, and scoring works again. */
static void
test_cancel (void)
{
  const ModelCase *mc = &models[0];
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) prompt = NULL, answer = NULL, short_answer = NULL;
  g_autoptr(GError) error = NULL;
  EngineTestStream stream, again;
  LbAskRequest request;
  EngineTestCancelLater later;
  Ask a = { 0 };
  gboolean ok;
  guint V;

  if (vk == NULL)
    return;
  V = lb_engine_get_model_info (vk)->text.n_vocab;
  prompt = answer_tokens (V, 10, 7);
  answer = answer_tokens (V, 4000, 8);
  session = lb_engine_new_session (vk);
  a.prompt = prompt;
  a.max_tokens = 1;
  run_ask (session, &a, &stream, NULL);
  engine_test_stream_clear (&stream);

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.forced_tokens = (const gint32 *) (gpointer) answer->data;
  request.n_forced_tokens = answer->len;
  request.forced_logprobs = TRUE;
  engine_test_stream_init (&stream);
  engine_test_cancel_later_start (&later, cancellable, 100);
  ok = lb_session_ask_sync (session, &request, engine_test_stream_cb, &stream, cancellable, NULL, &error);
  engine_test_cancel_later_join (&later);
  if (ok)
    {
      g_test_incomplete ("the prefill finished before the cancel: this machine is too fast for the test");
      engine_test_stream_clear (&stream);
      return;
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (stream.n_batches, ==, 0);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, prompt->len);
  engine_test_stream_clear (&stream);

  /* Scoring again from here equals a fresh session doing the same. */
  short_answer = answer_tokens (V, 5, 9);
  a.forced = short_answer;
  a.logprobs = TRUE;
  run_ask (session, &a, &stream, NULL);
  {
    g_autoptr(LbSession) fresh = lb_engine_new_session (vk);
    Ask first = { .prompt = prompt, .max_tokens = 1 };

    run_ask (fresh, &first, &again, NULL);
    engine_test_stream_clear (&again);
    run_ask (fresh, &a, &again, NULL);
  }
  for (guint j = 0; j < short_answer->len; j++)
    g_assert_cmpfloat_with_epsilon (g_array_index (stream.logprobs, float, j),
                                    g_array_index (again.logprobs, float, j), 1e-5);
  engine_test_stream_clear (&stream);
  engine_test_stream_clear (&again);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/logprob/exact/%s", models[i].name);
      g_test_add_data_func (path, &models[i], test_exact);
    }
  g_test_add_func ("/engine/logprob/same-context", test_same_context);
  g_test_add_func ("/engine/logprob/long-answer", test_long_answer);
  g_test_add_func ("/engine/logprob/with-capture", test_with_capture);
  g_test_add_data_func ("/engine/logprob/errors/vulkan", GINT_TO_POINTER (LB_ENGINE_BACKEND_VULKAN), test_errors);
  g_test_add_data_func ("/engine/logprob/errors/ref", GINT_TO_POINTER (LB_ENGINE_BACKEND_REF), test_errors);
  g_test_add_func ("/engine/logprob/cancel", test_cancel);
  status = g_test_run ();
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    for (guint b = 0; b < 3; b++)
      g_clear_object (&shared[i][b]);
  return status;
}
