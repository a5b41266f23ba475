/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan backend against the reference backend on random models
 * written by make-model's generator (src/model/random-model.h): several
 * shapes (head sizes, GQA ratios, global-layer patterns, windows shorter
 * than the prompt, separate or tied output, soft-capping, linear rope
 * scaling) and tensor types, an image in every prompt, the same greedy
 * tokens and logits, and the same attention maps. Then sampling (seeded,
 * repeat penalty) and the memory check.
 *
 * Both backends dequantize the same weights to the same values; they differ
 * by float rounding and the Vulkan backend's F16 keys and values, so logits
 * agree within 0.02 + 0.005|x|, and a different token is accepted only at
 * a near-tie (top-2 margin below twice that), where the case ends.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "engine-test.h"
#include "lb-test.h"
#include "lb-test-model.h"

#define N_STEPS 6
#define N_TOP 4

typedef struct {
  const char *name;
  const char *preset;
  const char *shape;          /* overrides, or NULL */
  const char *type;           /* text matrices */
  const char *mmproj_type;    /* projector matrices */
} ModelCase;

static const ModelCase models[] = {
  { "tiny-f32", "tiny", NULL, "f32", "f32" },
  /* 4:1 GQA, head 16, every third layer global, a window of 5. */
  { "gqa-f16", "tiny", "heads=8,kv-heads=2,head-dim=16,window=5,pattern=3,layers=6", "f16", "f16" },
  /* Soft-capped logits, rope scaling 4, a separate output matrix. */
  { "softcap-q8", "tiny", "softcap=30,rope-scale=4,tied=0,window=6", "q8_0", "f16" },
  { "bf16", "tiny", "kv-heads=4", "bf16", "f32" },
  { "q4_0", "tiny", "ff=384", "q4_0", "f16" },
  { "q5_1", "tiny", NULL, "q5_1", "f16" },
  /* The k-quants need rows of 256. */
  { "small-q4km", "small", "layers=6", "q4_k_m", "f16" },
  { "q6_k", "small", "layers=4,kv-heads=2,head-dim=32,heads=8", "q6_k", "f32" },
};

static const char *
model_dir (const ModelCase *mc)
{
  LbTestModelSpec spec = {
    .preset = mc->preset, .shape = mc->shape, .type = mc->type, .mmproj_type = mc->mmproj_type,
    .seed = 1000 + g_str_hash (mc->name) % 1000,
  };
  return lb_test_random_model (mc->name, &spec);
}

static LbEngine *
load (const ModelCase *mc, LbEngineBackend backend, guint context_length)
{
  const char *dir = model_dir (mc);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(GError) error = NULL;
  LbEngine *engine = engine_test_new (backend, context_length);

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

/* <bos>, 12 text tokens, the image, 12 more: longer than every window. */
static GArray *
prompt_with_image (LbEngine *engine)
{
  GArray *prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  guint n_vocab = lb_engine_get_model_info (engine)->text.n_vocab;
  gint32 id = 2;

  g_array_append_val (prompt, id);
  for (guint i = 0; i < 24 + lb_engine_get_image_tokens (engine); i++)
    {
      id = i >= 12 && i < 12 + lb_engine_get_image_tokens (engine)
        ? LB_IMAGE_POSITION : (gint32) (10 + (i * 37) % (n_vocab - 10));
      g_array_append_val (prompt, id);
    }
  return prompt;
}

static void
run (LbEngine *engine, const GArray *prompt, const LbModelInput *image, const LbSamplingParams *sampling,
     guint n, EngineTestStream *stream)
{
  g_autoptr(LbSession) session = lb_engine_new_session (engine);
  g_autoptr(GError) error = NULL;
  LbAskRequest request;

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.max_tokens = n;
  request.stop_at_end_of_turn = FALSE;
  request.capture_attention = image != NULL;
  request.n_top_logits = N_TOP;
  if (sampling != NULL)
    request.sampling = *sampling;
  engine_test_stream_init (stream);
  lb_session_ask_sync (session, &request, engine_test_stream_cb, stream, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stream->ids->len, ==, n);
}

static void
test_against_ref (gconstpointer data)
{
  const ModelCase *mc = data;
  g_autoptr(LbEngine) vk = load (mc, LB_ENGINE_BACKEND_VULKAN, 0);
  g_autoptr(LbEngine) ref = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream a, b;
  gboolean has_global = FALSE;
  guint T;

  if (vk == NULL)
    return;
  ref = load (mc, LB_ENGINE_BACKEND_REF, 0);
  g_assert_true (lb_engine_get_model_info (vk)->self_test_ran);
  g_assert_cmpfloat (lb_engine_get_model_info (vk)->self_test_max_error, <, 0.01);
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 7);
  run (vk, prompt, image, NULL, N_STEPS, &a);
  run (ref, prompt, image, NULL, N_STEPS, &b);

  /* Attention is captured on the global layers; without one, none. */
  T = lb_engine_get_image_tokens (vk);
  for (guint l = 0; l < lb_engine_get_model_info (vk)->text.n_layer; l++)
    has_global |= lb_text_layer_is_global (&lb_engine_get_model_info (vk)->text, l);
  g_assert_cmpuint (a.n_image_positions, ==, has_global ? T : 0);
  g_assert_cmpuint (b.n_image_positions, ==, has_global ? T : 0);
  if (!has_global)
    T = 0;
  for (guint step = 0; step < N_STEPS; step++)
    {
      const LbTokenLogit *ta = &g_array_index (a.top, LbTokenLogit, step * N_TOP);
      const LbTokenLogit *tb = &g_array_index (b.top, LbTokenLogit, step * N_TOP);
      const float *wa = T > 0 ? &g_array_index (a.attention, float, step * T) : NULL;
      const float *wb = T > 0 ? &g_array_index (b.attention, float, step * T) : NULL;
      double tol = 0.02 + 0.005 * fabs (tb[0].logit);

      /* The logits of the reference's candidates, where both list them. */
      for (guint r = 0; r < N_TOP; r++)
        for (guint k = 0; k < N_TOP; k++)
          if (ta[k].id == tb[r].id && fabs (ta[k].logit - tb[r].logit) > 0.02 + 0.005 * fabs (tb[r].logit))
            g_error ("%s step %u: logit of %d is %.5f on Vulkan, %.5f on the reference", mc->name, step,
                     tb[r].id, ta[k].logit, tb[r].logit);
      for (guint j = 0; j < T; j++)
        if (fabs (wa[j] - wb[j]) > 2e-3 + 0.02 * fabs (wb[j]))
          g_error ("%s step %u: attention on image position %u is %.5f on Vulkan, %.5f on the reference",
                   mc->name, step, j, wa[j], wb[j]);
      if (ta[0].id != tb[0].id)
        {
          if (tb[0].logit - tb[1].logit < 2 * tol)
            break;
          g_error ("%s step %u: token %d on Vulkan, %d on the reference (margin %.4f)", mc->name, step,
                   ta[0].id, tb[0].id, tb[0].logit - tb[1].logit);
        }
    }
  engine_test_stream_clear (&a);
  engine_test_stream_clear (&b);
}

/* A prompt many times the window and the batch: prefill in batches of 16,
 * sliding-window layers in rings of window + batch slots that wrap many
 * times, an image in the middle, then decoding past the rings' size. */
static void
test_long_context (void)
{
  const ModelCase *mc = &models[1];   /* window 5, every third layer global */
  const char *dir = model_dir (mc);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(LbEngine) vk = NULL, ref = NULL;
  g_autoptr(GArray) prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(LbModelInput) image = NULL;
  g_autoptr(GError) error = NULL;
  LbEngineOptions options;
  EngineTestStream a, b;
  guint n_vocab, T;

  lb_engine_options_init (&options);
  options.backend = LB_ENGINE_BACKEND_VULKAN;
  options.context_length = 1024;
  options.batch_size = 16;
  vk = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  if (!lb_engine_load_sync (vk, text, mmproj, NULL, NULL, NULL, &error))
    {
      g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE);
      g_test_skip (error->message);
      return;
    }
  options.backend = LB_ENGINE_BACKEND_REF;
  ref = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  g_assert_true (lb_engine_load_sync (ref, text, mmproj, NULL, NULL, NULL, &error));

  n_vocab = lb_engine_get_model_info (vk)->text.n_vocab;
  T = lb_engine_get_image_tokens (vk);
  for (guint i = 0; i < 300 + T; i++)
    {
      gint32 id = i == 0 ? 2 : i >= 150 && i < 150 + T ? LB_IMAGE_POSITION : (gint32) (10 + (i * 101) % (n_vocab - 10));
      g_array_append_val (prompt, id);
    }
  image = engine_test_random_image (vk, 11);
  run (vk, prompt, image, NULL, 40, &a);
  run (ref, prompt, image, NULL, 40, &b);
  for (guint step = 0; step < 40; step++)
    {
      const LbTokenLogit *ta = &g_array_index (a.top, LbTokenLogit, step * N_TOP);
      const LbTokenLogit *tb = &g_array_index (b.top, LbTokenLogit, step * N_TOP);
      double tol = 0.02 + 0.005 * fabs (tb[0].logit);

      if (ta[0].id == tb[0].id)
        g_assert_cmpfloat_with_epsilon (ta[0].logit, tb[0].logit, tol);
      else
        {
          g_assert_cmpfloat (tb[0].logit - tb[1].logit, <, 2 * tol);
          break;
        }
    }
  engine_test_stream_clear (&a);
  engine_test_stream_clear (&b);
}

/* A model that takes a while to load and whose images take a while to
 * encode, even on a fast machine. */
static const ModelCase slow = {
  "slow", "tiny", "embd=512,heads=8,kv-heads=2,head-dim=64,ff=1024,layers=16,"
  "image=224,v-embd=128,v-ff=256,v-layers=8,v-heads=4,pool=4", "f16", "f16",
};

static void
cancel_on_progress (LbEngine *engine, guint64 done, guint64 total, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* Cancel while the weights upload: the load stops between tensors, no
 * model is left, and the next load works. */
static void
test_cancel_load (void)
{
  const char *dir = model_dir (&slow);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(LbEngine) engine = engine_test_new (LB_ENGINE_BACKEND_VULKAN, 256);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  if (lb_engine_load_sync (engine, text, mmproj, cancel_on_progress, cancellable, cancellable, &error))
    {
      g_test_incomplete ("the load finished before the cancel reached it");
      return;
    }
  if (g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("load cancelled after %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_null (lb_engine_get_model_info (engine));
  g_clear_error (&error);
  g_assert_true (lb_engine_load_sync (engine, text, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Cancel while an image is encoded: answered within a group of encoder
 * blocks; nothing is cached or added to the conversation. */
static void
test_cancel_encode (void)
{
  const char *dir = model_dir (&slow);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(LbEngine) engine = engine_test_new (LB_ENGINE_BACKEND_VULKAN, 256);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LbModelInput) image = NULL;
  g_autoptr(GArray) prompt = NULL;
  EngineTestCancelLater later;
  LbAskRequest request;
  LbAskStats stats;
  gint64 t_done;

  if (!lb_engine_load_sync (engine, text, mmproj, NULL, NULL, NULL, &error))
    {
      g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE);
      g_test_skip (error->message);
      return;
    }
  image = engine_test_random_image (engine, 5);
  prompt = prompt_with_image (engine);
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.max_tokens = 2;

  engine_test_cancel_later_start (&later, cancellable, 100);
  if (lb_session_ask_sync (session, &request, NULL, NULL, cancellable, &stats, &error))
    {
      engine_test_cancel_later_join (&later);
      g_test_incomplete ("the image was encoded before the cancel reached it");
      return;
    }
  t_done = g_get_monotonic_time ();
  engine_test_cancel_later_join (&later);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* Within a group of encoder blocks: generous on a loaded 2-core CPU. */
  g_test_message ("the cancel was answered in %.0f ms", (t_done - later.cancelled_at) / 1000.0);
  g_assert_cmpint (t_done - later.cancelled_at, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, 0);

  /* Asked again, the image is encoded afresh (nothing half-made was cached). */
  g_assert_true (lb_session_ask_sync (session, &request, NULL, NULL, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_false (stats.image_cached);
  g_assert_cmpfloat (stats.image_encode_ms, >, 0);
  g_test_message ("encoding one image takes %.0f ms here", stats.image_encode_ms);
}

/* The device list a chooser shows: the device the engine uses is in it. */
static void
test_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *list = lb_engine_describe_devices (&error);
  g_autoptr(LbEngine) engine = NULL;

  if (list == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_true (g_str_has_prefix (list, "0: "));
  engine = load (&models[0], LB_ENGINE_BACKEND_VULKAN, 0);
  if (engine != NULL)
    g_assert_nonnull (strstr (list, lb_engine_get_model_info (engine)->device_name));
}

/* With the warm-up (off by default on CPU devices), every pipeline is built
 * at load and the context is sealed: prefill batches of any size, an
 * image, decoding and capture then build nothing (a build would warn, and
 * warnings are fatal here). */
static void
test_warm_up (void)
{
  g_autoptr(LbEngine) vk = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream a;

  g_setenv ("LIGHTBOX_ENGINE_WARM_UP", "1", TRUE);
  vk = load (&models[0], LB_ENGINE_BACKEND_VULKAN, 0);
  g_unsetenv ("LIGHTBOX_ENGINE_WARM_UP");
  if (vk == NULL)
    return;
  prompt = prompt_with_image (vk);
  image = engine_test_random_image (vk, 3);
  run (vk, prompt, image, NULL, 5, &a);
  engine_test_stream_clear (&a);
  g_array_set_size (prompt, 11);
  run (vk, prompt, NULL, NULL, 3, &a);
  engine_test_stream_clear (&a);

  /* Scored answers (LbAskRequest.forced_logprobs), in one prefill and
   * step by step: answers of 1 to 40 tokens leave chunks of logits of
   * every size the warm-up builds (1 to 8, then up to 32). */
  for (guint n = 1; n <= 40; n += n < 8 ? 1 : 12)
    for (guint steps = 0; steps < 2; steps++)
      {
        g_autoptr(LbSession) session = lb_engine_new_session (vk);
        g_autoptr(GArray) forced = g_array_new (FALSE, FALSE, sizeof (gint32));
        g_autoptr(GError) error = NULL;
        LbAskRequest request;

        for (guint i = 0; i < n; i++)
          {
            gint32 id = (gint32) (20 + i * 7);
            g_array_append_val (forced, id);
          }
        lb_ask_request_init (&request);
        request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
        request.n_prompt_tokens = prompt->len;
        request.forced_tokens = (const gint32 *) (gpointer) forced->data;
        request.n_forced_tokens = n;
        request.forced_logprobs = TRUE;
        request.n_top_logits = steps;
        engine_test_stream_init (&a);
        lb_session_ask_sync (session, &request, engine_test_stream_cb, &a, NULL, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (a.logprobs->len, ==, n);
        engine_test_stream_clear (&a);
      }
}

/* Seeded sampling is reproducible, top_k = 1 is greedy, and the repeat
 * penalty keeps recent tokens out. */
static void
test_sampling (void)
{
  /* A separate output matrix: a tied one makes random models repeat
   * their last token with near certainty. */
  g_autoptr(LbEngine) vk = load (&models[2], LB_ENGINE_BACKEND_VULKAN, 0);
  g_autoptr(GArray) prompt = NULL;
  LbSamplingParams params;
  EngineTestStream greedy, one, s1, s2, s3, penalized;
  gboolean differ = FALSE;

  if (vk == NULL)
    return;
  prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (gint32 i = 0; i < 12; i++)
    {
      gint32 id = i == 0 ? 2 : 20 + i * 11;
      g_array_append_val (prompt, id);
    }

  run (vk, prompt, NULL, NULL, 12, &greedy);
  lb_sampling_params_init_chat (&params, 5);
  params.top_k = 1;
  run (vk, prompt, NULL, &params, 12, &one);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpint (g_array_index (one.ids, gint32, i), ==, g_array_index (greedy.ids, gint32, i));

  lb_sampling_params_init_chat (&params, 5);
  params.temperature = 1.5f;
  params.min_p = 0.01f;
  run (vk, prompt, NULL, &params, 12, &s1);
  run (vk, prompt, NULL, &params, 12, &s2);
  params.seed = 6;
  run (vk, prompt, NULL, &params, 12, &s3);
  for (guint i = 0; i < 12; i++)
    {
      g_assert_cmpint (g_array_index (s1.ids, gint32, i), ==, g_array_index (s2.ids, gint32, i));
      differ |= g_array_index (s1.ids, gint32, i) != g_array_index (s3.ids, gint32, i);
    }
  g_assert_true (differ);

  lb_sampling_params_init_greedy (&params);
  params.repeat_penalty = 100.0f;
  params.repeat_last_n = 64;
  run (vk, prompt, NULL, &params, 12, &penalized);
  for (guint i = 0; i < 12; i++)
    {
      gint32 id = g_array_index (penalized.ids, gint32, i);
      for (guint j = 0; j < prompt->len; j++)
        g_assert_cmpint (id, !=, g_array_index (prompt, gint32, j));
      for (guint j = 0; j < i; j++)
        g_assert_cmpint (id, !=, g_array_index (penalized.ids, gint32, j));
    }

  engine_test_stream_clear (&greedy);
  engine_test_stream_clear (&one);
  engine_test_stream_clear (&s1);
  engine_test_stream_clear (&s2);
  engine_test_stream_clear (&s3);
  engine_test_stream_clear (&penalized);
}

/* A model whose caches cannot fit: a clear error before anything is
 * allocated, naming what it needs and what is free. */
static void
test_out_of_memory (void)
{
  const ModelCase huge = { "huge-context", "tiny", "ctx=1073741824,pattern=1", "f32", "f32" };
  const char *dir = model_dir (&huge);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autoptr(LbEngine) engine = engine_test_new (LB_ENGINE_BACKEND_VULKAN, 1u << 30);
  g_autoptr(GError) error = NULL;

  g_assert_false (lb_engine_load_sync (engine, text, NULL, NULL, NULL, NULL, &error));
  if (g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "GB of GPU memory"));
  g_assert_nonnull (strstr (error->message, "free"));
  g_assert_null (lb_engine_get_model_info (engine));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/vulkan/against-ref/%s", models[i].name);
      g_test_add_data_func (path, &models[i], test_against_ref);
    }
  g_test_add_func ("/engine/vulkan/sampling", test_sampling);
  g_test_add_func ("/engine/vulkan/long-context", test_long_context);
  g_test_add_func ("/engine/vulkan/warm-up", test_warm_up);
  g_test_add_func ("/engine/vulkan/devices", test_devices);
  g_test_add_func ("/engine/vulkan/cancel/load", test_cancel_load);
  g_test_add_func ("/engine/vulkan/cancel/encode", test_cancel_encode);
  g_test_add_func ("/engine/vulkan/out-of-memory", test_out_of_memory);
  return g_test_run ();
}
