/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <glib/gstdio.h>

#include "imaging/image.h"
#include "lb-test.h"
#include "lb-test-model.h"
#include "model/chat-format.h"
#include "regions-test.h"

const char *
regions_test_model (const char *name, const char *shape, guint64 seed)
{
  LbTestModelSpec spec = { .shape = shape, .seed = seed };
  return lb_test_random_model (name, &spec);
}

LbEngine *
regions_test_engine (const char *dir, LbEngineBackend backend)
{
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbEngine) engine = NULL;
  LbEngineOptions options;

  lb_engine_options_init (&options);
  options.backend = backend;
  options.context_length = 256;
  engine = lb_engine_new (&options, &error);
  g_assert_no_error (error);
  if (!lb_engine_load_sync (engine, text, mmproj, NULL, NULL, NULL, &error))
    {
      if (g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
        {
          g_test_skip (error->message);
          return NULL;
        }
      g_assert_no_error (error);
    }
  return g_steal_pointer (&engine);
}

void
regions_test_ref_load (RegionsTestRef *ref, const char *dir, guint capacity)
{
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autoptr(GError) error = NULL;

  ref->text_file = lb_gguf_open (text, &error);
  g_assert_no_error (error);
  ref->vision_file = lb_gguf_open (mmproj, &error);
  g_assert_no_error (error);
  ref->text = lb_ref_text_new (ref->text_file, capacity, &error);
  g_assert_no_error (error);
  ref->vision = lb_ref_vision_new (ref->vision_file, &error);
  g_assert_no_error (error);
}

void
regions_test_ref_clear (RegionsTestRef *ref)
{
  g_clear_pointer (&ref->text, lb_ref_text_free);
  g_clear_pointer (&ref->vision, lb_ref_vision_free);
  g_clear_pointer (&ref->text_file, lb_gguf_free);
  g_clear_pointer (&ref->vision_file, lb_gguf_free);
}

LbModelInput *
regions_test_input (guint width, guint height, guint size, guint32 seed)
{
  g_autoptr(LbImage) image = lb_image_new (width, height, 3, 8, FALSE, NULL);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (seed);
  LbModelInputParams params;
  LbModelInput *input;

  /* Smooth shapes plus noise: neighbouring cells differ, as in a picture. */
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < 3; c++)
        image->u8[((gsize) y * width + x) * 3 + c] =
          (guint8) ((x * (c + 1) * 3 + y * (3 - c) * 2) % 200 + g_rand_int_range (rand, 0, 56));
  g_rand_free (rand);
  lb_model_input_params_init (&params, image);
  input = lb_model_input_build (image, &params, size, &error);
  g_assert_no_error (error);
  return input;
}

GArray *
regions_test_prompt (LbEngine *engine, const char *question)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbChatFormat) format = lb_chat_format_new (lb_engine_get_tokenizer (engine),
                                                       lb_engine_get_image_tokens (engine), &error);
  LbChatMessage message = { LB_CHAT_ROLE_USER, question, 1 };
  GArray *prompt;

  g_assert_no_error (error);
  prompt = lb_chat_format_prompt (format, NULL, &message, 1, &error);
  g_assert_no_error (error);
  return prompt;
}

typedef struct {
  GArray *ids;
  GArray *attention;
  guint n_positions;
} Collected;

static void
collect (LbSession *session, const LbTokenBatch *batch, gpointer data)
{
  Collected *c = data;

  g_array_append_vals (c->ids, batch->ids, batch->n_tokens);
  if (batch->attention != NULL)
    {
      c->n_positions = batch->n_image_positions;
      g_array_append_vals (c->attention, batch->attention, batch->n_tokens * batch->n_image_positions);
    }
}

GArray *
regions_test_generate (LbEngine *engine, const GArray *prompt, const LbModelInput *input, guint n,
                       gboolean capture, GArray **attention, guint *n_positions)
{
  g_autoptr(LbSession) session = lb_engine_new_session (engine);
  g_autoptr(GError) error = NULL;
  Collected c = { g_array_new (FALSE, FALSE, sizeof (gint32)), g_array_new (FALSE, FALSE, sizeof (float)), 0 };
  LbAskRequest request;

  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gconstpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = input;
  request.max_tokens = n;
  request.stop_at_end_of_turn = FALSE;
  request.capture_attention = capture;
  lb_session_ask_sync (session, &request, collect, &c, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c.ids->len, ==, n);
  if (attention != NULL)
    *attention = c.attention;
  else
    g_array_unref (c.attention);
  if (n_positions != NULL)
    *n_positions = c.n_positions;
  return c.ids;
}

GArray *
regions_test_global_layers (const LbRefText *text)
{
  const LbTextConfig *config = lb_ref_text_config (text);
  GArray *layers = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint l = 0; l < config->n_layer; l++)
    if (lb_text_layer_is_global (config, l))
      g_array_append_val (layers, l);
  return layers;
}
