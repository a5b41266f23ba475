/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Conversations and the engine's machinery, on both backends, with the
 * small float reference model (tests/reference/models/a-f32): follow-ups
 * continue the cache exactly, events arrive in batches on the main
 * context, cancellation at each phase leaves the conversation usable,
 * closing mid-generation neither hangs nor leaks, and malformed requests
 * get clear errors.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "engine-test.h"
#include "lb-test.h"
#include "model/chat-format.h"

static LbEngine *
new_loaded (LbEngineBackend backend, guint context_length, gboolean with_mmproj)
{
  g_autoptr(GError) error = NULL;
  LbEngine *engine = engine_test_new (backend, context_length);

  if (!engine_test_load_reference (engine, "a-f32", with_mmproj, &error))
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

/* One engine per backend (context 4096, with the projector) shared by the
 * tests that do not close, reload or resize it. */
static LbEngine *shared[3];

static LbEngine *
shared_engine (LbEngineBackend backend)
{
  if (shared[backend] == NULL)
    shared[backend] = new_loaded (backend, 4096, TRUE);
  return shared[backend] != NULL ? g_object_ref (shared[backend]) : NULL;
}

/* Runs one ask; returns the streamed tokens (and top logits, 4 per step). */
static void
ask (LbSession *session, const gint32 *tokens, guint n_tokens, const LbModelInput *image,
     guint max_tokens, EngineTestStream *stream, LbAskStats *stats)
{
  g_autoptr(GError) error = NULL;
  LbAskRequest request;

  lb_ask_request_init (&request);
  request.prompt_tokens = tokens;
  request.n_prompt_tokens = n_tokens;
  request.image = image;
  request.max_tokens = max_tokens;
  request.stop_at_end_of_turn = FALSE;
  request.n_top_logits = 4;
  engine_test_stream_init (stream);
  lb_session_ask_sync (session, &request, engine_test_stream_cb, stream, NULL, stats, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stream->ids->len, ==, max_tokens);
}

/* The same tokens, or a parting at a near-tie (where batching the
 * positions differently may flip the order), and close logits up to it. */
static void
assert_same_stream (const EngineTestStream *a, const EngineTestStream *b)
{
  g_assert_cmpuint (a->ids->len, ==, b->ids->len);
  for (guint i = 0; i < a->ids->len; i++)
    {
      const LbTokenLogit *ta = &g_array_index (a->top, LbTokenLogit, i * 4);
      const LbTokenLogit *tb = &g_array_index (b->top, LbTokenLogit, i * 4);
      double tol = 0.01 + 0.002 * fabs (ta[0].logit);

      g_assert_cmpfloat_with_epsilon (ta[0].logit, tb[0].logit, tol);
      if (g_array_index (a->ids, gint32, i) != g_array_index (b->ids, gint32, i))
        {
          g_assert_cmpfloat (ta[0].logit - ta[1].logit, <, 2 * tol);
          return;
        }
    }
}

/* Two raw asks in one session equal one ask of the whole sequence. */
static void
test_multi_turn_raw (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) two = NULL, one = NULL;
  g_autoptr(GArray) p1 = NULL, p2 = NULL, whole = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream s1, s2, s_whole;
  LbAskStats stats;

  if (engine == NULL)
    return;
  image = engine_test_image (engine, "gradient-112.png");
  p1 = engine_test_raw_prompt (engine, "<start_of_turn>user\n<start_of_image>What is this?<end_of_turn>\n<start_of_turn>model\n");
  p2 = engine_test_raw_prompt (engine, "<end_of_turn>\n<start_of_turn>user\nAnd the left side?<end_of_turn>\n<start_of_turn>model\n");
  /* p2 without its <bos>: it continues the context. */
  g_array_remove_index (p2, 0);

  two = lb_engine_new_session (engine);
  ask (two, (const gint32 *) (gpointer) p1->data, p1->len, image, 5, &s1, &stats);
  g_assert_cmpuint (stats.n_prompt_positions, ==, p1->len);
  /* The last sampled token is not in the context until the next ask. */
  g_assert_cmpuint (lb_session_get_n_past (two), ==, p1->len + 4);
  ask (two, (const gint32 *) (gpointer) p2->data, p2->len, NULL, 6, &s2, &stats);
  g_assert_cmpuint (stats.n_prompt_positions, ==, p2->len + 1);

  whole = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_vals (whole, p1->data, p1->len);
  g_array_append_vals (whole, s1.ids->data, s1.ids->len);
  g_array_append_vals (whole, p2->data, p2->len);
  one = lb_engine_new_session (engine);
  ask (one, (const gint32 *) (gpointer) whole->data, whole->len, image, 6, &s_whole, &stats);
  /* The same image in another session: its embeddings were cached. */
  g_assert_true (stats.image_cached);
  assert_same_stream (&s2, &s_whole);

  engine_test_stream_clear (&s1);
  engine_test_stream_clear (&s2);
  engine_test_stream_clear (&s_whole);
}

/* A conversation through the chat format (system, image, follow-up)
 * equals the same conversation given as one prompt. */
static void
test_multi_turn_chat (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) two = NULL, one = NULL;
  g_autoptr(LbModelInput) image = NULL;
  g_autoptr(LbChatFormat) format = NULL;
  g_autoptr(GArray) first = NULL, follow = NULL, whole = NULL;
  g_autoptr(GError) error = NULL;
  LbChatMessage message = { LB_CHAT_ROLE_USER, "Describe the image.", 1 };
  EngineTestStream s1, s2, s_whole;
  LbAskRequest request;
  guint n1;

  if (engine == NULL)
    return;
  image = engine_test_image (engine, "shapes-112.png");
  two = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.system = "You are a radiologist.";
  request.text = "Describe the image.";
  request.image = image;
  request.max_tokens = 4;
  request.n_top_logits = 4;
  engine_test_stream_init (&s1);
  lb_session_ask_sync (two, &request, engine_test_stream_cb, &s1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (s1.saw_last);

  lb_ask_request_init (&request);
  request.text = "Anything else?";
  request.max_tokens = 6;
  request.stop_at_end_of_turn = FALSE;
  request.n_top_logits = 4;
  engine_test_stream_init (&s2);
  lb_session_ask_sync (two, &request, engine_test_stream_cb, &s2, NULL, NULL, &error);
  g_assert_no_error (error);

  format = lb_chat_format_new (lb_engine_get_tokenizer (engine), lb_engine_get_image_tokens (engine), &error);
  g_assert_no_error (error);
  first = lb_chat_format_prompt (format, "You are a radiologist.", &message, 1, &error);
  g_assert_no_error (error);
  follow = lb_chat_format_follow_up (format, "Anything else?", 0, &error);
  g_assert_no_error (error);
  whole = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_vals (whole, first->data, first->len);
  /* The reply stays in the context; a stop token is replaced by the
   * follow-up's own <end_of_turn>. */
  n1 = s1.ids->len;
  if (lb_chat_format_is_stop (format, g_array_index (s1.ids, gint32, n1 - 1)))
    n1--;
  g_array_append_vals (whole, s1.ids->data, n1);
  g_array_append_vals (whole, follow->data, follow->len);

  one = lb_engine_new_session (engine);
  ask (one, (const gint32 *) (gpointer) whole->data, whole->len, image, 6, &s_whole, NULL);
  assert_same_stream (&s2, &s_whole);
  g_assert_cmpuint (lb_session_get_n_past (two), ==, lb_session_get_n_past (one));

  engine_test_stream_clear (&s1);
  engine_test_stream_clear (&s2);
  engine_test_stream_clear (&s_whole);
}

typedef struct {
  gboolean done;
  GError *error;
  LbAskStats stats;
  gint64 completed_at;
} AskResult;

static void
ask_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AskResult *r = data;

  lb_session_ask_finish (LB_SESSION (source), result, &r->stats, &r->error);
  r->completed_at = g_get_monotonic_time ();
  r->done = TRUE;
}

static void
wait_for (AskResult *r)
{
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
}

/* Tokens produced while the main loop was busy arrive as one batch. */
static void
test_events_batched (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL;
  EngineTestStream stream;
  LbAskRequest request;
  AskResult result = { 0 };

  if (engine == NULL)
    return;
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n");
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.max_tokens = 16;
  request.stop_at_end_of_turn = FALSE;
  engine_test_stream_init (&stream);
  lb_session_ask_async (session, &request, engine_test_stream_cb, &stream, NULL, NULL, ask_done_cb, &result);
  /* Keep the main context busy while the worker generates. */
  g_usleep (G_USEC_PER_SEC * 3);
  wait_for (&result);
  g_assert_no_error (result.error);
  g_assert_cmpuint (stream.ids->len, ==, 16);
  g_assert_cmpuint (stream.n_batches, <=, 2);
  g_assert_true (stream.saw_last);
  g_assert_cmpuint (result.stats.n_generated, ==, 16);
  g_assert_cmpint (result.stats.stop_reason, ==, LB_STOP_MAX_TOKENS);
  g_assert_cmpfloat (result.stats.time_to_first_token_ms, >, 0.0);
  engine_test_stream_clear (&stream);
}

/* A job cancelled before it runs fails at once and changes nothing. */
static void
test_cancel_queued (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = new_loaded (backend, 0, FALSE);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GError) error = NULL;
  LbAskRequest request;

  if (engine == NULL)
    return;
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\nHello<end_of_turn>\n");
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.max_tokens = 4;
  g_cancellable_cancel (cancellable);
  g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, cancellable, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, 0);

  /* A load cancelled before it starts leaves no model. */
  g_clear_error (&error);
  {
    g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
    g_assert_false (lb_engine_load_sync (engine, text, NULL, NULL, NULL, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_null (lb_engine_get_model_info (engine));
  }
  g_clear_error (&error);
  g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL);
}

/* Cancel while decoding: answered quickly; the answer so far stays in the
 * conversation, and a follow-up continues from it exactly. */
static void
test_cancel_decode (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) session = NULL, fresh = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) prompt = NULL, follow = NULL, whole = NULL;
  EngineTestStream stream, s2, s_whole;
  LbAskRequest request;
  AskResult result = { 0 };
  gint64 cancelled_at;

  if (engine == NULL)
    return;
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\nTell me a long story<end_of_turn>\n<start_of_turn>model\n");
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.max_tokens = 0;                 /* until the context is full */
  request.stop_at_end_of_turn = FALSE;
  engine_test_stream_init (&stream);
  stream.cancel_after = 3;
  stream.cancel_after_cancellable = cancellable;
  lb_session_ask_async (session, &request, engine_test_stream_cb, &stream, NULL, cancellable,
                        ask_done_cb, &result);
  while (!g_cancellable_is_cancelled (cancellable) && !result.done)
    g_main_context_iteration (NULL, TRUE);
  cancelled_at = g_get_monotonic_time ();
  wait_for (&result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result.error);
  g_assert_cmpint (result.completed_at - cancelled_at, <, G_USEC_PER_SEC / 2);
  g_assert_cmpuint (stream.ids->len, >=, 3);
  g_assert_cmpuint (stream.ids->len, <, lb_session_get_context_length (session) - prompt->len);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, prompt->len + stream.ids->len - 1);

  /* The follow-up sees the interrupted answer, like one whole prompt. */
  follow = engine_test_raw_prompt (engine, "\n<start_of_turn>user\nShorter<end_of_turn>\n<start_of_turn>model\n");
  g_array_remove_index (follow, 0);
  ask (session, (const gint32 *) (gpointer) follow->data, follow->len, NULL, 4, &s2, NULL);
  whole = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_vals (whole, prompt->data, prompt->len);
  g_array_append_vals (whole, stream.ids->data, stream.ids->len);
  g_array_append_vals (whole, follow->data, follow->len);
  fresh = lb_engine_new_session (engine);
  ask (fresh, (const gint32 *) (gpointer) whole->data, whole->len, NULL, 4, &s_whole, NULL);
  assert_same_stream (&s2, &s_whole);

  engine_test_stream_clear (&stream);
  engine_test_stream_clear (&s2);
  engine_test_stream_clear (&s_whole);
}

/* Cancel during a long prefill: answered quickly, and the conversation
 * is as it was (a later ask matches a fresh session's). */
static void
test_cancel_prefill (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) session = NULL, fresh = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GArray) start = NULL, longer = NULL;
  EngineTestStream stream, s_after, s_fresh;
  LbAskRequest request;
  AskResult result = { 0 };
  EngineTestCancelLater later;

  if (engine == NULL)
    return;
  start = engine_test_raw_prompt (engine, "<start_of_turn>user\nFirst question<end_of_turn>\n<start_of_turn>model\n");
  session = lb_engine_new_session (engine);
  ask (session, (const gint32 *) (gpointer) start->data, start->len, NULL, 2, &stream, NULL);
  engine_test_stream_clear (&stream);

  /* ~3000 positions: long enough to be caught in the middle. */
  longer = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint i = 0; i < 3000; i++)
    {
      gint32 id = 300 + (gint32) (i * 7 % 1000);
      g_array_append_val (longer, id);
    }
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) longer->data;
  request.n_prompt_tokens = longer->len;
  request.max_tokens = 2;
  engine_test_cancel_later_start (&later, cancellable, 150);
  lb_session_ask_async (session, &request, NULL, NULL, NULL, cancellable, ask_done_cb, &result);
  wait_for (&result);
  engine_test_cancel_later_join (&later);
  if (result.error == NULL)
    {
      g_test_incomplete ("the prefill finished before the cancel: this machine is too fast for the test");
      return;
    }
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result.error);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, start->len + 1);

  /* The conversation is intact: a follow-up equals a fresh session's. */
  {
    g_autoptr(GArray) follow = engine_test_raw_prompt (engine, "<end_of_turn>\nok");

    g_array_remove_index (follow, 0);
    ask (session, (const gint32 *) (gpointer) follow->data, follow->len, NULL, 4, &s_after, NULL);
    fresh = lb_engine_new_session (engine);
    ask (fresh, (const gint32 *) (gpointer) start->data, start->len, NULL, 2, &s_fresh, NULL);
    engine_test_stream_clear (&s_fresh);
    ask (fresh, (const gint32 *) (gpointer) follow->data, follow->len, NULL, 4, &s_fresh, NULL);
    assert_same_stream (&s_after, &s_fresh);
    engine_test_stream_clear (&s_after);
    engine_test_stream_clear (&s_fresh);
  }
}

/* Closing the engine from a token callback: close returns promptly, the
 * ask completes as cancelled, everything is freed (ASan/valgrind runs). */
static void
test_close_mid_generation (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  LbEngine *engine = new_loaded (backend, 0, TRUE);
  LbSession *session;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbModelInput) image = NULL;
  EngineTestStream stream;
  LbAskRequest request;
  AskResult result = { 0 };
  gint64 t0;

  if (engine == NULL)
    return;
  image = engine_test_image (engine, "gradient-112.png");
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\n<start_of_image>Go on<end_of_turn>\n<start_of_turn>model\n");
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.stop_at_end_of_turn = FALSE;
  request.capture_attention = TRUE;
  engine_test_stream_init (&stream);
  stream.close_after = 2;
  stream.close_engine = engine;
  lb_session_ask_async (session, &request, engine_test_stream_cb, &stream, NULL, NULL, ask_done_cb, &result);
  t0 = g_get_monotonic_time ();
  wait_for (&result);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 30 * G_USEC_PER_SEC);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result.error);
  g_assert_cmpuint (stream.ids->len, >=, 2);

  /* After close, jobs fail with CLOSED. */
  g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CLOSED);

  engine_test_stream_clear (&stream);
  g_object_unref (session);
  g_assert_finalize_object (engine);
}

/* Malformed requests and full contexts. */
static void
test_errors (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = new_loaded (backend, 48, FALSE);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GError) error = NULL;
  LbModelInput fake_image = { 0 };
  guint8 rgb[8 * 8 * 3] = { 0 };
  EngineTestStream stream;
  LbAskRequest request;
  LbAskStats stats;

  if (engine == NULL)
    return;
  session = lb_engine_new_session (engine);
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\nHello there<end_of_turn>\n<start_of_turn>model\n");

  /* An image without a projector. */
  fake_image.size = 8;
  fake_image.rgb = rgb;
  lb_ask_request_init (&request);
  request.text = "What is this?";
  request.image = &fake_image;
  g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL);
  g_clear_error (&error);

  /* An image slot without an image. */
  {
    gint32 slot[] = { 2, LB_IMAGE_POSITION };
    lb_ask_request_init (&request);
    request.prompt_tokens = slot;
    request.n_prompt_tokens = G_N_ELEMENTS (slot);
    g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* A token outside the vocabulary. */
  {
    gint32 bad[] = { 2, 1 << 30 };
    lb_ask_request_init (&request);
    request.prompt_tokens = bad;
    request.n_prompt_tokens = G_N_ELEMENTS (bad);
    g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* A prompt longer than the context (48): refused before anything runs. */
  {
    g_autoptr(GArray) many = g_array_new (FALSE, FALSE, sizeof (gint32));
    for (guint i = 0; i < 60; i++)
      g_array_append_vals (many, prompt->data, 1);
    lb_ask_request_init (&request);
    request.prompt_tokens = (const gint32 *) (gpointer) many->data;
    request.n_prompt_tokens = many->len;
    g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL);
    g_clear_error (&error);
    g_assert_cmpuint (lb_session_get_n_past (session), ==, 0);
  }

  /* Generation that fills the context stops there, visibly. */
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.stop_at_end_of_turn = FALSE;
  engine_test_stream_init (&stream);
  g_assert_true (lb_session_ask_sync (session, &request, engine_test_stream_cb, &stream, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stats.stop_reason, ==, LB_STOP_CONTEXT_FULL);
  g_assert_cmpuint (stats.n_generated, ==, 48 - prompt->len + 1);
  g_assert_cmpuint (lb_session_get_n_past (session), ==, 48);
  engine_test_stream_clear (&stream);

  /* The full conversation refuses a follow-up, and starts over after a reset. */
  lb_ask_request_init (&request);
  request.text = "More?";
  g_assert_false (lb_session_ask_sync (session, &request, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL);
  g_clear_error (&error);
  lb_session_reset (session);
  request.max_tokens = 2;
  g_assert_true (lb_session_ask_sync (session, &request, NULL, NULL, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.n_generated, <=, 2);
}

/* Teacher forcing: forcing the greedy answer reproduces the greedy run
 * step for step; forcing another answer scores it from the same first
 * step and leaves it in the context. */
static void
test_forced (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) s1 = NULL, s2 = NULL, s3 = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) image = NULL;
  g_autoptr(GError) error = NULL;
  EngineTestStream greedy, forced, other;
  LbAskRequest request;
  gint32 answer[5] = { 300, 301, 302, 303, 304 };

  if (engine == NULL)
    return;
  image = engine_test_image (engine, "gradient-112.png");
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\n<start_of_image>Score me<end_of_turn>\n<start_of_turn>model\n");
  s1 = lb_engine_new_session (engine);
  ask (s1, (const gint32 *) (gpointer) prompt->data, prompt->len, image, 5, &greedy, NULL);

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.n_top_logits = 4;
  request.capture_attention = TRUE;
  request.forced_tokens = (const gint32 *) (gpointer) greedy.ids->data;
  request.n_forced_tokens = greedy.ids->len;
  request.max_tokens = 1;   /* ignored */
  s2 = lb_engine_new_session (engine);
  engine_test_stream_init (&forced);
  lb_session_ask_sync (s2, &request, engine_test_stream_cb, &forced, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (forced.ids->len, ==, 5);
  g_assert_cmpuint (forced.attention->len, ==, 5 * lb_engine_get_image_tokens (engine));
  for (guint i = 0; i < 5; i++)
    {
      const LbTokenLogit *a = &g_array_index (greedy.top, LbTokenLogit, i * 4);
      const LbTokenLogit *b = &g_array_index (forced.top, LbTokenLogit, i * 4);
      g_assert_cmpint (g_array_index (forced.ids, gint32, i), ==, g_array_index (greedy.ids, gint32, i));
      g_assert_cmpint (a[0].id, ==, b[0].id);
      g_assert_cmpfloat_with_epsilon (a[0].logit, b[0].logit, 1e-4);
    }

  request.forced_tokens = answer;
  request.n_forced_tokens = G_N_ELEMENTS (answer);
  s3 = lb_engine_new_session (engine);
  engine_test_stream_init (&other);
  lb_session_ask_sync (s3, &request, engine_test_stream_cb, &other, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (other.ids->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (g_array_index (other.ids, gint32, i), ==, answer[i]);
  g_assert_cmpfloat_with_epsilon (g_array_index (other.top, LbTokenLogit, 0).logit,
                                  g_array_index (greedy.top, LbTokenLogit, 0).logit, 1e-4);
  g_assert_cmpuint (lb_session_get_n_past (s3), ==, prompt->len + 4);

  engine_test_stream_clear (&greedy);
  engine_test_stream_clear (&forced);
  engine_test_stream_clear (&other);
}

/* Attention capture: one row per token over the image positions, each a
 * share of the attention (non-negative, at most 1 in total). */
static void
test_attention (gconstpointer data)
{
  LbEngineBackend backend = GPOINTER_TO_INT (data);
  g_autoptr(LbEngine) engine = shared_engine (backend);
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) image = NULL;
  g_autoptr(GError) error = NULL;
  EngineTestStream stream;
  LbAskRequest request;

  if (engine == NULL)
    return;
  image = engine_test_image (engine, "shapes-112.png");
  prompt = engine_test_raw_prompt (engine, "<start_of_turn>user\n<start_of_image>Where?<end_of_turn>\n<start_of_turn>model\n");
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.max_tokens = 5;
  request.stop_at_end_of_turn = FALSE;
  request.capture_attention = TRUE;
  engine_test_stream_init (&stream);
  lb_session_ask_sync (session, &request, engine_test_stream_cb, &stream, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stream.n_image_positions, ==, lb_engine_get_image_tokens (engine));
  g_assert_cmpuint (stream.attention->len, ==, 5 * stream.n_image_positions);
  for (guint t = 0; t < 5; t++)
    {
      double sum = 0;
      for (guint j = 0; j < stream.n_image_positions; j++)
        {
          float a = g_array_index (stream.attention, float, t * stream.n_image_positions + j);
          g_assert_cmpfloat (a, >=, 0.0f);
          sum += a;
        }
      g_assert_cmpfloat (sum, >, 0.0);
      g_assert_cmpfloat (sum, <=, 1.0 + 1e-4);
    }
  engine_test_stream_clear (&stream);
}

/* The device option reaches the runtime without touching the process
 * environment (other threads may read it), and names itself when it
 * matches no device. */
static void
test_device_option (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  LbEngineOptions options;
  g_autoptr(LbEngine) engine = NULL;

  g_unsetenv ("LIGHTBOX_VK_DEVICE");
  lb_engine_options_init (&options);
  options.backend = LB_ENGINE_BACKEND_VULKAN;
  options.device = "no device has this name";
  engine = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  g_assert_false (lb_engine_load_sync (engine, text, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "no device has this name"));
  g_assert_null (g_getenv ("LIGHTBOX_VK_DEVICE"));
}

int
main (int argc, char **argv)
{
  static const struct {
    const char *name;
    GTestDataFunc func;
  } tests[] = {
    { "multi-turn/raw", test_multi_turn_raw },
    { "multi-turn/chat", test_multi_turn_chat },
    { "events/batched", test_events_batched },
    { "cancel/queued", test_cancel_queued },
    { "cancel/decode", test_cancel_decode },
    { "cancel/prefill", test_cancel_prefill },
    { "close/mid-generation", test_close_mid_generation },
    { "errors", test_errors },
    { "attention", test_attention },
    { "forced", test_forced },
  };
  static const LbEngineBackend backends[] = { LB_ENGINE_BACKEND_VULKAN, LB_ENGINE_BACKEND_REF };
  int status;

  g_test_init (&argc, &argv, NULL);
  for (gsize b = 0; b < G_N_ELEMENTS (backends); b++)
    for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
      {
        g_autofree char *path = g_strdup_printf ("/engine/%s/%s", lb_engine_backend_name (backends[b]),
                                                 tests[i].name);
        g_test_add_data_func (path, GINT_TO_POINTER (backends[b]), tests[i].func);
      }
  g_test_add_func ("/engine/vulkan/device-option", test_device_option);
  status = g_test_run ();
  for (gsize i = 0; i < G_N_ELEMENTS (shared); i++)
    g_clear_object (&shared[i]);
  return status;
}
