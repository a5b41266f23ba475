/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hyper-parameters of the reference models agree with their README, and
 * files of the wrong kind get messages that say what they are.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-test.h"
#include "model/model-config.h"

static LbGguf *
open_reference (const char *relative)
{
  g_autofree char *path = lb_test_reference_path (relative);
  g_autoptr(GError) error = NULL;
  LbGguf *gguf = lb_gguf_open (path, &error);

  g_assert_no_error (error);
  return gguf;
}

typedef struct {
  const char *model;
  guint32 n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, window;
  gboolean tied;
  guint32 vision_size, vision_width, vision_blocks, vision_heads, pool;
} Expected;

/* The table of tests/reference/README.md. */
static const Expected expected[] = {
  { "a-f32", 128, 6, 4, 2, 32, 256, 8, TRUE, 112, 64, 2, 4, 2 },
  { "b-q8", 256, 6, 8, 2, 32, 512, 16, FALSE, 112, 96, 3, 4, 2 },
  { "c-q4km", 256, 12, 4, 1, 64, 768, 12, TRUE, 224, 64, 2, 2, 4 },
};

static void
test_reference_config (gconstpointer data)
{
  const Expected *e = data;
  g_autofree char *text_path = g_strdup_printf ("models/%s/text.gguf", e->model);
  g_autofree char *vision_path = g_strdup_printf ("models/%s/mmproj.gguf", e->model);
  g_autoptr(LbGguf) text_gguf = open_reference (text_path);
  g_autoptr(LbGguf) vision_gguf = open_reference (vision_path);
  g_autoptr(GError) error = NULL;
  LbTextConfig t;
  LbVisionConfig v;

  g_assert_true (lb_text_config_load (text_gguf, &t, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t.n_embd, ==, e->n_embd);
  g_assert_cmpuint (t.n_layer, ==, e->n_layer);
  g_assert_cmpuint (t.n_head, ==, e->n_head);
  g_assert_cmpuint (t.n_head_kv, ==, e->n_head_kv);
  g_assert_cmpuint (t.head_dim, ==, e->head_dim);
  g_assert_cmpuint (t.n_ff, ==, e->n_ff);
  g_assert_cmpuint (t.sliding_window, ==, e->window);
  g_assert_cmpuint (t.sliding_window_pattern, ==, 6);
  g_assert_cmpint (t.tied_output, ==, e->tied);
  g_assert_cmpuint (t.n_vocab, ==, 4096);
  g_assert_cmpuint (t.n_ctx, ==, 4096);
  g_assert_cmpfloat_with_epsilon (t.rope_base, 1e6, 1e-3);
  g_assert_cmpfloat_with_epsilon (t.rope_base_swa, 1e4, 1e-3);
  g_assert_cmpfloat_with_epsilon (t.rope_scale, 8.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (t.rms_eps, 1e-6, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.attn_scale, 1.0 / sqrt (e->head_dim), 1e-7);
  /* layer 5 (and 11) global, the rest local */
  for (guint l = 0; l < t.n_layer; l++)
    g_assert_cmpint (lb_text_layer_is_global (&t, l), ==, l % 6 == 5);

  g_assert_true (lb_vision_config_load (vision_gguf, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v.image_size, ==, e->vision_size);
  g_assert_cmpuint (v.patch_size, ==, 14);
  g_assert_cmpuint (v.n_embd, ==, e->vision_width);
  g_assert_cmpuint (v.n_layer, ==, e->vision_blocks);
  g_assert_cmpuint (v.n_head, ==, e->vision_heads);
  g_assert_cmpuint (v.pool, ==, e->pool);
  g_assert_cmpuint (v.n_image_tokens, ==, 16);
  g_assert_cmpuint (v.projection_dim, ==, e->n_embd);
  g_assert_cmpfloat_with_epsilon (v.image_mean[1], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (v.image_std[2], 0.5, 1e-6);
  g_assert_true (lb_vision_config_matches_text (&v, &t, vision_path, &error));
}

static void
test_wrong_kinds (void)
{
  g_autoptr(LbGguf) text = open_reference ("models/a-f32/text.gguf");
  g_autoptr(LbGguf) vision = open_reference ("models/a-f32/mmproj.gguf");
  g_autoptr(LbGguf) vocab = open_reference ("vocab/gemma3-vocab.gguf");
  g_autoptr(LbGguf) other_text = open_reference ("models/b-q8/text.gguf");
  g_autoptr(GError) error = NULL;
  LbTextConfig t, t2;
  LbVisionConfig v;

  g_assert_false (lb_text_config_load (vision, &t, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE);
  g_assert_nonnull (strstr (error->message, "vision projector"));
  g_clear_error (&error);

  g_assert_false (lb_vision_config_load (text, &v, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE);
  g_assert_nonnull (strstr (error->message, "Gemma 3 text model"));
  g_clear_error (&error);

  /* A vocabulary-only file has the keys but none of the tensors. */
  g_assert_false (lb_text_config_load (vocab, &t, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "token_embd.weight"));
  g_clear_error (&error);

  /* a-f32's projector (width 128) does not fit b-q8's text model (256). */
  g_assert_true (lb_text_config_load (other_text, &t2, &error));
  g_assert_true (lb_vision_config_load (vision, &v, &error));
  g_assert_false (lb_vision_config_matches_text (&v, &t2, "a/mmproj.gguf", &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "128"));
  g_assert_nonnull (strstr (error->message, "256"));
}

/* Rewrites the architecture string of a copy of a reference file. */
static void
test_other_architecture (void)
{
  g_autofree char *path = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  /* "gemma3" -> "llama\0" is not valid (length stays 6); use "llama3" instead */
  char *at = memmem (contents, MIN (length, 4096), "gemma3", 6);
  g_assert_nonnull (at);
  memcpy (at, "llama3", 6);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  g_autoptr(LbGguf) gguf = lb_gguf_open_bytes (bytes, "llama.gguf", &error);
  g_assert_no_error (error);
  LbTextConfig t;
  g_assert_false (lb_text_config_load (gguf, &t, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE);
  g_assert_nonnull (strstr (error->message, "this is a llama3 model, Lightbox needs Gemma 3"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model-config/reference/%s", expected[i].model);
      g_test_add_data_func (path, &expected[i], test_reference_config);
    }
  g_test_add_func ("/model-config/wrong-kinds", test_wrong_kinds);
  g_test_add_func ("/model-config/other-architecture", test_other_architecture);
  return g_test_run ();
}
