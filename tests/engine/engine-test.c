/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include "engine-test.h"
#include "imaging/image.h"
#include "imaging/model-input.h"
#include "lb-test.h"
#include "model/chat-format.h"

void
engine_test_stream_init (EngineTestStream *stream)
{
  memset (stream, 0, sizeof *stream);
  stream->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  stream->text = g_string_new (NULL);
  stream->attention = g_array_new (FALSE, FALSE, sizeof (float));
  stream->top = g_array_new (FALSE, FALSE, sizeof (LbTokenLogit));
  stream->logprobs = g_array_new (FALSE, FALSE, sizeof (float));
  stream->main_thread = g_thread_self ();
}

void
engine_test_stream_clear (EngineTestStream *stream)
{
  g_array_unref (stream->ids);
  g_string_free (stream->text, TRUE);
  g_array_unref (stream->attention);
  g_array_unref (stream->top);
  g_array_unref (stream->logprobs);
}

void
engine_test_stream_cb (LbSession *session, const LbTokenBatch *batch, gpointer user_data)
{
  EngineTestStream *s = user_data;
  gsize previous_end = 0;

  g_assert_true (g_thread_self () == s->main_thread);
  g_assert_false (s->saw_last);
  g_assert_cmpuint (batch->n_tokens, >, 0);
  g_assert_cmpuint (batch->first_index, ==, s->ids->len);
  for (guint i = 0; i < batch->n_tokens; i++)
    {
      g_assert_cmpuint (batch->text_ends[i], >=, previous_end);
      previous_end = batch->text_ends[i];
    }
  g_assert_cmpuint (previous_end, ==, batch->text_length);
  g_assert_true (g_utf8_validate (batch->text, (gssize) batch->text_length, NULL));

  g_array_append_vals (s->ids, batch->ids, batch->n_tokens);
  g_string_append_len (s->text, batch->text, (gssize) batch->text_length);
  if (batch->attention != NULL)
    {
      s->n_image_positions = batch->n_image_positions;
      g_array_append_vals (s->attention, batch->attention, batch->n_tokens * batch->n_image_positions);
    }
  if (batch->top != NULL)
    {
      s->n_top = batch->n_top;
      g_array_append_vals (s->top, batch->top, batch->n_tokens * batch->n_top);
    }
  /* Every batch of an ask has log-probabilities, or none has. */
  g_assert_cmpuint (s->logprobs->len, ==, batch->logprobs != NULL ? s->ids->len - batch->n_tokens : 0);
  if (batch->logprobs != NULL)
    g_array_append_vals (s->logprobs, batch->logprobs, batch->n_tokens);
  s->n_batches++;
  s->saw_last = batch->last;

  if (s->cancel_after > 0 && s->ids->len >= s->cancel_after && s->cancel_after_cancellable != NULL)
    g_cancellable_cancel (s->cancel_after_cancellable);
  if (s->close_after > 0 && s->ids->len >= s->close_after && s->close_engine != NULL)
    lb_engine_close (s->close_engine);
}

LbEngine *
engine_test_new (LbEngineBackend backend, guint context_length)
{
  LbEngineOptions options;
  g_autoptr(GError) error = NULL;
  LbEngine *engine;

  lb_engine_options_init (&options);
  options.backend = backend;
  options.context_length = context_length;
  engine = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  return engine;
}

gboolean
engine_test_load_reference (LbEngine *engine, const char *name, gboolean with_mmproj, GError **error)
{
  g_autofree char *dir = g_build_filename ("models", name, NULL);
  g_autofree char *text_rel = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj_rel = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autofree char *text = lb_test_reference_path (text_rel);
  g_autofree char *mmproj = lb_test_reference_path (mmproj_rel);

  return lb_engine_load_sync (engine, text, with_mmproj ? mmproj : NULL, NULL, NULL, NULL, error);
}

LbModelInput *
engine_test_image (LbEngine *engine, const char *name)
{
  g_autofree char *rel = g_build_filename ("images", name, NULL);
  g_autofree char *path = lb_test_reference_path (rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
  LbModelInputParams params;
  LbModelInput *input;

  g_assert_no_error (error);
  lb_model_input_params_init (&params, image);
  input = lb_model_input_build (image, &params, lb_engine_get_image_size (engine), &error);
  g_assert_no_error (error);
  return input;
}

GArray *
engine_test_raw_prompt (LbEngine *engine, const char *raw_prompt)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbChatFormat) format = lb_chat_format_new (lb_engine_get_tokenizer (engine),
                                                       lb_engine_get_image_tokens (engine), &error);
  g_assert_no_error (error);
  return lb_chat_format_raw_prompt (format, raw_prompt, -1, NULL);
}

LbModelInput *
engine_test_random_image (LbEngine *engine, guint32 seed)
{
  LbModelInput *input = g_new0 (LbModelInput, 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  input->size = lb_engine_get_image_size (engine);
  input->rgb = g_new (guint8, (gsize) input->size * input->size * 3);
  for (gsize i = 0; i < (gsize) input->size * input->size * 3; i++)
    input->rgb[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return input;
}

static gpointer
cancel_later_thread (gpointer data)
{
  EngineTestCancelLater *later = data;

  g_usleep ((gulong) later->delay_ms * 1000);
  later->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (later->cancellable);
  return NULL;
}

void
engine_test_cancel_later_start (EngineTestCancelLater *later, GCancellable *cancellable, guint delay_ms)
{
  later->cancellable = cancellable;
  later->delay_ms = delay_ms;
  later->cancelled_at = 0;
  later->thread = g_thread_new ("cancel", cancel_later_thread, later);
}

void
engine_test_cancel_later_join (EngineTestCancelLater *later)
{
  g_thread_join (later->thread);
  later->thread = NULL;
}
