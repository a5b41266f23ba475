/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Random models from the make-model generator through the reference
 * forward pass, in shapes the reference models do not cover (head sizes
 * 16 to 128, GQA ratios 1 to 8, global-layer patterns, windows shorter
 * than the prompt and than an image, a soft cap, separate output) and in
 * every writable type:
 *
 * - the files are what make-model promises (keys, names, types, the
 *   "random test model" name) and the same seed gives the same bytes;
 * - text and image prompts give finite, non-constant logits;
 * - running the prompt in one batch or one position at a time gives the
 *   same logits (the KV cache is right), and so does truncating the cache
 *   back to the image and running the rest again;
 * - the attention of the last position is a distribution with the window's
 *   zeros where they belong;
 * - a quantized model stays close to the float model of the same seed.
 */
#define G_LOG_DOMAIN "lightbox-test"
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-test.h"
#include "model/gguf.h"
#include "model/random-model.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

typedef struct {
  const char *name;
  const char *preset;
  const char *shape;   /* overrides, NULL for none */
  const char *type;
} Case;

static const Case cases[] = {
  /* Like a-f32: one global layer of six, window 8 < a 16-position image. */
  { "tiny-f32", "tiny", NULL, "f32" },
  /* GQA 8, head 16, every second layer global, window 3, soft cap, separate output. */
  { "gqa8-q8_0", "tiny",
    "embd=64,heads=8,kv-heads=1,head-dim=16,layers=4,pattern=2,window=3,ff=96,vocab=300,tied=0,"
    "softcap=30,image=56,v-embd=32,v-heads=2,v-ff=64,v-layers=1,pool=2", "q8_0" },
  /* No GQA, head 128, wide heads over a narrow embedding. */
  { "head128-q4_0", "tiny",
    "embd=128,heads=2,kv-heads=2,head-dim=128,layers=3,pattern=3,window=5,ff=128,vocab=400", "q4_0" },
  /* Like c-q4km: MQA, two global layers of twelve, the Q4_K_M mix. */
  { "small-q4_k_m", "small", NULL, "q4_k_m" },
  { "small-q5_k", "small", "layers=3,pattern=3", "q5_k" },
  { "small-q6_k", "small", "layers=2,pattern=2", "q6_k" },
  { "small-q3_k", "small", "layers=2,pattern=2", "q3_k" },
  { "small-q2_k", "small", "layers=2,pattern=2", "q2_k" },
  { "tiny-f16", "tiny", "layers=2", "f16" },
  { "tiny-bf16", "tiny", "layers=2", "bf16" },
  { "tiny-q4_1", "tiny", "layers=2", "q4_1" },
  { "tiny-q5_0", "tiny", "layers=2", "q5_0" },
  { "tiny-q5_1", "tiny", "layers=2", "q5_1" },
};

static void
write_model (const Case *c, guint64 seed, const char *type, char **text_path, char **mmproj_path)
{
  g_auto(LbRandomModelSpec) spec = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_strdup_printf ("%s/%s-%s-%" G_GUINT64_FORMAT, lb_test_tmpdir (), c->name, type, seed);

  g_assert_true (lb_random_model_spec_init (&spec, c->preset, &error));
  if (c->shape != NULL)
    lb_random_model_spec_parse_shape (&spec, c->shape, &error);
  g_assert_no_error (error);
  lb_random_model_parse_type (type, &spec.type, &spec.k_mix, &error);
  g_assert_no_error (error);
  spec.mmproj_type = spec.type == LB_TENSOR_F32 ? LB_TENSOR_F32 : LB_TENSOR_F16;
  spec.seed = seed;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  *text_path = g_build_filename (dir, "text.gguf", NULL);
  *mmproj_path = g_build_filename (dir, "mmproj.gguf", NULL);
  lb_random_model_write (&spec, *text_path, *mmproj_path, &error);
  g_assert_no_error (error);
}

/* The prompt of a case: text, an image, more text (3 windows long at least). */
typedef struct {
  GArray *ids;          /* gint32; -1 for image positions */
  float *image;         /* [T][E] */
  guint n_image;        /* T */
} Prompt;

static void
make_prompt (Prompt *p, const LbTextConfig *text, LbRefVision *vision, GRand *rand)
{
  const LbVisionConfig *v = lb_ref_vision_config (vision);
  guint before = text->sliding_window + 3, after = 2 * text->sliding_window + 1;
  g_autofree float *pixels = g_new (float, (gsize) 3 * v->image_size * v->image_size);

  p->n_image = v->n_image_tokens;
  p->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint i = 0; i < before + p->n_image + after; i++)
    {
      gint32 id = (i >= before && i < before + p->n_image) ? -1 : g_rand_int_range (rand, 0, (gint32) text->n_vocab);
      g_array_append_val (p->ids, id);
    }
  lb_test_fill_uniform (rand, pixels, (gsize) 3 * v->image_size * v->image_size, -1.0f, 1.0f);
  p->image = g_new (float, (gsize) p->n_image * v->projection_dim);
  lb_ref_vision_encode (vision, pixels, p->image);
  for (gsize i = 0; i < (gsize) p->n_image * v->projection_dim; i++)
    g_assert_true (isfinite (p->image[i]));
}

static void
prompt_clear (Prompt *p)
{
  g_array_unref (p->ids);
  g_free (p->image);
}

/* Runs the prompt; batched: text runs and the image at once, else one
 * text position at a time (an image is always one batch). Returns a copy
 * of the last logits. */
static float *
run (LbRefText *model, const Prompt *p, gboolean batched)
{
  const gint32 *ids = (const gint32 *) p->ids->data;
  const float *logits = NULL;
  g_autoptr(GError) error = NULL;
  guint i = 0;

  lb_ref_text_reset (model);
  while (i < p->ids->len)
    {
      guint j = i;
      if (ids[i] < 0)
        {
          logits = lb_ref_text_forward_image (model, p->image, p->n_image, &error);
          j = i + p->n_image;
        }
      else
        {
          while (j < p->ids->len && ids[j] >= 0 && (batched || j == i))
            j++;
          logits = lb_ref_text_forward_tokens (model, ids + i, j - i, &error);
        }
      g_assert_no_error (error);
      i = j;
    }
  return g_memdup2 (logits, lb_ref_text_config (model)->n_vocab * sizeof (float));
}

static void
assert_sane_logits (const float *logits, guint n)
{
  float lo = INFINITY, hi = -INFINITY;

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (isfinite (logits[i]));
      lo = MIN (lo, logits[i]);
      hi = MAX (hi, logits[i]);
    }
  /* Random weights give logits of a few units, not a constant. */
  g_assert_cmpfloat (hi - lo, >, 0.5);
  g_assert_cmpfloat (hi - lo, <, 100.0);
}

/* The last position's attention: a distribution over the cache, zero on
 * keys a sliding window drops, positive everywhere else. */
static void
assert_attention (LbRefText *model)
{
  const LbTextConfig *c = lb_ref_text_config (model);
  guint n = lb_ref_text_n_past (model), pq = n - 1;

  for (guint l = 0; l < c->n_layer; l++)
    for (guint h = 0; h < c->n_head; h++)
      {
        const float *a = lb_ref_text_last_attention (model, l, h);
        double sum = 0.0;
        for (guint pk = 0; pk < n; pk++)
          {
            gboolean dropped = !lb_text_layer_is_global (c, l) && pq - pk >= c->sliding_window;
            if (dropped)
              g_assert_cmpfloat (a[pk], ==, 0.0f);
            else
              g_assert_cmpfloat (a[pk], >, 0.0f);
            sum += a[pk];
          }
        g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-5);
      }
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *text_path = NULL, *mmproj_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) text_file = NULL, mmproj_file = NULL;
  g_autoptr(LbRefText) model = NULL;
  g_autoptr(LbRefVision) vision = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree float *batched = NULL, *stepwise = NULL;
  const LbTextConfig *config;
  Prompt prompt;
  gint32 token;

  write_model (c, 7, c->type, &text_path, &mmproj_path);
  text_file = lb_gguf_open (text_path, &error);
  g_assert_no_error (error);
  mmproj_file = lb_gguf_open (mmproj_path, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (lb_gguf_get_string (text_file, "general.name", NULL),
                                   LB_RANDOM_MODEL_NAME_PREFIX));
  g_assert_true (g_str_has_prefix (lb_gguf_get_string (mmproj_file, "general.name", NULL),
                                   LB_RANDOM_MODEL_NAME_PREFIX));

  model = lb_ref_text_new (text_file, 256, &error);
  g_assert_no_error (error);
  vision = lb_ref_vision_new (mmproj_file, &error);
  g_assert_no_error (error);
  config = lb_ref_text_config (model);
  lb_vision_config_matches_text (lb_ref_vision_config (vision), config, mmproj_path, &error);
  g_assert_no_error (error);

  make_prompt (&prompt, config, vision, rand);
  /* The window is shorter than the text before and after the image. */
  g_assert_cmpuint (prompt.ids->len, >, 3 * config->sliding_window);

  batched = run (model, &prompt, TRUE);
  assert_sane_logits (batched, config->n_vocab);
  stepwise = run (model, &prompt, FALSE);
  lb_test_assert_close (stepwise, batched, config->n_vocab, 1e-5, 1e-5);

  /* A few decode steps after the prompt. */
  token = 0;
  for (int step = 0; step < 4; step++)
    {
      const float *logits;
      token = (token * 31 + 7) % (gint32) config->n_vocab;
      logits = lb_ref_text_forward_tokens (model, &token, 1, &error);
      g_assert_no_error (error);
      assert_sane_logits (logits, config->n_vocab);
    }
  assert_attention (model);

  /* Truncating back to the image and running the rest of the prompt again
   * gives the prompt's logits again: the later positions are forgotten. */
  {
    const gint32 *ids = (const gint32 *) prompt.ids->data;
    guint image_start = 0;
    const float *again;

    while (ids[image_start] >= 0)
      image_start++;
    lb_ref_text_truncate (model, image_start);
    lb_ref_text_forward_image (model, prompt.image, prompt.n_image, &error);
    g_assert_no_error (error);
    again = lb_ref_text_forward_tokens (model, ids + image_start + prompt.n_image,
                                        prompt.ids->len - image_start - prompt.n_image, &error);
    g_assert_no_error (error);
    lb_test_assert_close (again, batched, config->n_vocab, 1e-5, 1e-5);
    g_assert_cmpuint (lb_ref_text_n_past (model), ==, prompt.ids->len);
  }
  prompt_clear (&prompt);
}

/* The same seed in another type is the same model, quantized: its logits
 * stay close to the float model's (relative to their spread). */
static void
test_quantized_close (void)
{
  static const struct {
    const char *type;
    double tolerance;  /* fraction of the float logits' standard deviation */
  } types[] = {
    { "f16", 0.01 }, { "bf16", 0.05 }, { "q8_0", 0.03 }, { "q6_k", 0.1 }, { "q4_k_m", 0.35 },
  };
  /* small, fewer layers: rows of 256 take every k-quant */
  static const Case c_small = { "close", "small", "layers=4,pattern=4", NULL };
  const Case *c = &c_small;
  g_autofree char *f32_text = NULL, *f32_mmproj = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) f32_file = NULL;
  g_autoptr(LbRefText) f32_model = NULL;
  g_autofree float *reference = NULL;
  gint32 tokens[40];
  double mean = 0.0, var = 0.0;
  guint V;

  write_model (c, 9, "f32", &f32_text, &f32_mmproj);
  f32_file = lb_gguf_open (f32_text, &error);
  g_assert_no_error (error);
  f32_model = lb_ref_text_new (f32_file, 64, &error);
  g_assert_no_error (error);
  V = lb_ref_text_config (f32_model)->n_vocab;
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    tokens[i] = (gint32) ((i * 97 + 13) % V);
  reference = g_memdup2 (lb_ref_text_forward_tokens (f32_model, tokens, G_N_ELEMENTS (tokens), &error),
                         V * sizeof (float));
  g_assert_no_error (error);
  for (guint i = 0; i < V; i++)
    mean += reference[i] / V;
  for (guint i = 0; i < V; i++)
    var += (reference[i] - mean) * (reference[i] - mean) / V;

  for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autofree char *text = NULL, *mmproj = NULL;
      g_autoptr(LbGguf) file = NULL;
      g_autoptr(LbRefText) model = NULL;
      const float *logits;
      double err2 = 0.0;

      write_model (c, 9, types[t].type, &text, &mmproj);
      file = lb_gguf_open (text, &error);
      g_assert_no_error (error);
      model = lb_ref_text_new (file, 64, &error);
      g_assert_no_error (error);
      logits = lb_ref_text_forward_tokens (model, tokens, G_N_ELEMENTS (tokens), &error);
      g_assert_no_error (error);
      for (guint i = 0; i < V; i++)
        err2 += (logits[i] - reference[i]) * (logits[i] - reference[i]) / V;
      g_test_message ("%s: rms logit error %.4f of a spread of %.3f", types[t].type, sqrt (err2), sqrt (var));
      g_assert_cmpfloat (sqrt (err2), <, types[t].tolerance * sqrt (var));
    }
}

static void
test_files (void)
{
  const Case *c = &cases[3];
  g_autofree char *text_a = NULL, *mmproj_a = NULL, *text_b = NULL, *mmproj_b = NULL;
  g_autofree char *text_c = NULL, *mmproj_c = NULL;
  g_autofree char *bytes_a = NULL, *bytes_b = NULL, *bytes_c = NULL;
  gsize size_a, size_b, size_c;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  g_autofree char *name = NULL;
  guint n_layer = 12;

  /* Deterministic: the same seed gives the same bytes, another seed not. */
  write_model (c, 5, "q4_k_m", &text_a, &mmproj_a);
  write_model (c, 5, "q4_k_m", &text_b, &mmproj_b);
  write_model (c, 6, "q4_k_m", &text_c, &mmproj_c);
  g_file_get_contents (text_a, &bytes_a, &size_a, NULL);
  g_file_get_contents (text_b, &bytes_b, &size_b, NULL);
  g_file_get_contents (text_c, &bytes_c, &size_c, NULL);
  g_assert_cmpmem (bytes_a, size_a, bytes_b, size_b);
  g_assert_cmpuint (size_a, ==, size_c);
  g_assert_true (memcmp (bytes_a, bytes_c, size_a) != 0);

  /* llama.cpp's conventions: keys, the Q4_K_M mix, F32 norms with +1. */
  gguf = lb_gguf_open (text_a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lb_gguf_get_string (gguf, "general.architecture", NULL), ==, "gemma3");
  g_assert_cmpstr (lb_gguf_get_string (gguf, "tokenizer.ggml.model", NULL), ==, "llama");
  for (guint l = 0; l < n_layer; l++)
    {
      g_autofree char *v = g_strdup_printf ("blk.%u.attn_v.weight", l);
      g_autofree char *down = g_strdup_printf ("blk.%u.ffn_down.weight", l);
      g_autofree char *q = g_strdup_printf ("blk.%u.attn_q.weight", l);
      g_autofree char *norm = g_strdup_printf ("blk.%u.attn_norm.weight", l);
      /* use_more_bits for 12 layers: 0, 3, 6, 9 and the last two. */
      gboolean more = l == 0 || l == 3 || l == 6 || l == 9 || l >= 10;
      g_autofree float *norm_values = NULL;
      double mean = 0.0;

      g_assert_cmpint (lb_gguf_find_tensor (gguf, v)->type, ==, more ? LB_TENSOR_Q6_K : LB_TENSOR_Q4_K);
      g_assert_cmpint (lb_gguf_find_tensor (gguf, down)->type, ==, more ? LB_TENSOR_Q6_K : LB_TENSOR_Q4_K);
      g_assert_cmpint (lb_gguf_find_tensor (gguf, q)->type, ==, LB_TENSOR_Q4_K);
      g_assert_cmpint (lb_gguf_find_tensor (gguf, norm)->type, ==, LB_TENSOR_F32);
      norm_values = lb_gguf_tensor_to_float (lb_gguf_find_tensor (gguf, norm), &error);
      g_assert_no_error (error);
      for (guint i = 0; i < 256; i++)
        mean += norm_values[i] / 256;
      g_assert_cmpfloat (fabs (mean - 1.0), <, 0.05);
    }
  g_assert_cmpint (lb_gguf_find_tensor (gguf, "output.weight")->type, ==, LB_TENSOR_Q6_K);
  g_assert_cmpint (lb_gguf_find_tensor (gguf, "token_embd.weight")->type, ==, LB_TENSOR_Q4_K);
  g_clear_pointer (&gguf, lb_gguf_free);

  gguf = lb_gguf_open (mmproj_a, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lb_gguf_get_string (gguf, "clip.projector_type", NULL), ==, "gemma3");
  g_assert_cmpint (lb_gguf_find_tensor (gguf, "v.blk.0.attn_q.weight")->type, ==, LB_TENSOR_F16);
  g_assert_cmpint (lb_gguf_find_tensor (gguf, "v.blk.0.attn_q.bias")->type, ==, LB_TENSOR_F32);
}

static void
test_errors (void)
{
  const Case *c = &cases[0];
  g_autofree char *text_path = NULL, *mmproj_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  g_autoptr(LbRefText) model = NULL;
  gint32 tokens[12] = { 0 };
  gint32 bad = 1 << 20;

  write_model (c, 3, "f32", &text_path, &mmproj_path);
  gguf = lb_gguf_open (text_path, &error);
  g_assert_no_error (error);

  /* More positions than the context. */
  g_assert_null (lb_ref_text_new (gguf, 1 << 30, &error));
  g_assert_error (error, LB_REF_ERROR, LB_REF_ERROR_CONTEXT);
  g_clear_error (&error);

  model = lb_ref_text_new (gguf, 10, &error);
  g_assert_no_error (error);
  g_assert_null (lb_ref_text_forward_tokens (model, tokens, 11, &error));
  g_assert_error (error, LB_REF_ERROR, LB_REF_ERROR_CONTEXT);
  g_clear_error (&error);
  g_assert_null (lb_ref_text_forward_tokens (model, &bad, 1, &error));
  g_assert_error (error, LB_REF_ERROR, LB_REF_ERROR_INVALID);
  g_clear_error (&error);
  /* Nothing was run by the failed calls; the cache still has room. */
  g_assert_cmpuint (lb_ref_text_n_past (model), ==, 0);
  g_assert_nonnull (lb_ref_text_forward_tokens (model, tokens, 10, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ref/random/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/ref/random/quantized-close", test_quantized_close);
  g_test_add_func ("/ref/random/files", test_files);
  g_test_add_func ("/ref/random/errors", test_errors);
  return g_test_run ();
}
