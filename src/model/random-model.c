/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes the random model pair: the tensors' plans, their random values
 * (a function of the seed and the tensor's name), a synthesized
 * vocabulary and the two GGUF files. The spec's presets and checks are in
 * random-model-spec.c.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/gguf-writer.h"
#include "model/quantize.h"
#include "model/random-model.h"

/* ---- random numbers: a function of (seed, tensor name, index) ------------------- */

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static guint64
tensor_seed (guint64 seed, const char *name)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);   /* FNV-1a */

  for (const char *p = name; *p != '\0'; p++)
    hash = (hash ^ (guint8) *p) * G_GUINT64_CONSTANT (0x100000001b3);
  return hash ^ (seed * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
}

/* Uniform in [-1, 1). */
static inline float
uniform (guint64 *state)
{
  return (float) (splitmix64 (state) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/* ---- the tensors of each file ------------------------------------------------------ */

typedef struct {
  char *name;
  LbTensorType type;
  guint n_dims;
  guint64 ne[4];
  float center;      /* values: center + amplitude * uniform(-1, 1) */
  float amplitude;
} TensorPlan;

static void
tensor_plan_clear (gpointer data)
{
  g_free (((TensorPlan *) data)->name);
}

/* llama.cpp's fallbacks for rows that a block does not divide. */
static LbTensorType
fit_type (LbTensorType wanted, guint64 row)
{
  LbTensorType type = wanted;

  if (row % lb_tensor_type_info (type)->block_elements != 0)
    switch (type)
      {
      case LB_TENSOR_Q2_K:
      case LB_TENSOR_Q3_K: type = LB_TENSOR_Q4_0; break;
      case LB_TENSOR_Q4_K: type = LB_TENSOR_Q5_0; break;
      case LB_TENSOR_Q5_K: type = LB_TENSOR_Q5_1; break;
      case LB_TENSOR_Q6_K: type = LB_TENSOR_Q8_0; break;
      default: type = LB_TENSOR_F16; break;
      }
  if (row % lb_tensor_type_info (type)->block_elements != 0)
    type = LB_TENSOR_F16;
  return type;
}

static void
plan (GArray *plans, LbTensorType type, float center, float amplitude,
      guint n_dims, guint64 ne0, guint64 ne1, guint64 ne2, guint64 ne3, const char *format, ...)
  G_GNUC_PRINTF (10, 11);

static void
plan (GArray *plans, LbTensorType type, float center, float amplitude,
      guint n_dims, guint64 ne0, guint64 ne1, guint64 ne2, guint64 ne3, const char *format, ...)
{
  TensorPlan p = { 0 };
  va_list args;

  va_start (args, format);
  p.name = g_strdup_vprintf (format, args);
  va_end (args);
  p.type = n_dims == 1 ? LB_TENSOR_F32 : fit_type (type, ne0);
  p.n_dims = n_dims;
  p.ne[0] = ne0;
  p.ne[1] = ne1;
  p.ne[2] = ne2;
  p.ne[3] = ne3;
  p.center = center;
  p.amplitude = amplitude;
  g_array_append_val (plans, p);
}

/* Norm weights are stored with Gemma's +1 added: values near 1. */
#define NORM 1.0f, 0.2f
#define BIAS 0.0f, 0.1f

/* A weight multiplying n_in inputs: uniform with unit-variance outputs. */
static float
matrix_amplitude (guint64 n_in)
{
  return sqrtf (3.0f / (float) n_in);
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers and
 * every third in between get Q6_K in the _M mixes. */
static gboolean
use_more_bits (guint layer, guint n_layer)
{
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

static GArray *
text_plans (const LbRandomModelSpec *spec, guint32 n_vocab)
{
  GArray *plans = g_array_new (FALSE, TRUE, sizeof (TensorPlan));
  guint64 E = spec->n_embd, F = spec->n_ff, D = spec->head_dim;
  guint64 HD = spec->n_head * D, KVD = spec->n_head_kv * D;
  LbTensorType t = spec->type;
  LbTensorType mix_high = spec->k_mix ? LB_TENSOR_Q6_K : t;
  /* Token embeddings times sqrt(E) and the logits both come out with an
   * rms of about 2. */
  float embedding_amplitude = sqrtf (3.0f) * 2.0f / sqrtf ((float) E);

  g_array_set_clear_func (plans, tensor_plan_clear);
  plan (plans, spec->tied_output ? mix_high : t, 0.0f, embedding_amplitude, 2, E, n_vocab, 1, 1,
        "token_embd.weight");
  plan (plans, t, NORM, 1, E, 1, 1, 1, "output_norm.weight");
  if (!spec->tied_output)
    plan (plans, mix_high, 0.0f, embedding_amplitude, 2, E, n_vocab, 1, 1, "output.weight");
  for (guint l = 0; l < spec->n_layer; l++)
    {
      LbTensorType more = use_more_bits (l, spec->n_layer) ? mix_high : t;
      plan (plans, t, NORM, 1, E, 1, 1, 1, "blk.%u.attn_norm.weight", l);
      plan (plans, t, 0.0f, matrix_amplitude (E), 2, E, HD, 1, 1, "blk.%u.attn_q.weight", l);
      plan (plans, t, 0.0f, matrix_amplitude (E), 2, E, KVD, 1, 1, "blk.%u.attn_k.weight", l);
      plan (plans, more, 0.0f, matrix_amplitude (E), 2, E, KVD, 1, 1, "blk.%u.attn_v.weight", l);
      plan (plans, t, NORM, 1, D, 1, 1, 1, "blk.%u.attn_q_norm.weight", l);
      plan (plans, t, NORM, 1, D, 1, 1, 1, "blk.%u.attn_k_norm.weight", l);
      plan (plans, t, 0.0f, matrix_amplitude (HD), 2, HD, E, 1, 1, "blk.%u.attn_output.weight", l);
      plan (plans, t, NORM, 1, E, 1, 1, 1, "blk.%u.post_attention_norm.weight", l);
      plan (plans, t, NORM, 1, E, 1, 1, 1, "blk.%u.ffn_norm.weight", l);
      plan (plans, t, 0.0f, matrix_amplitude (E), 2, E, F, 1, 1, "blk.%u.ffn_gate.weight", l);
      plan (plans, t, 0.0f, matrix_amplitude (E), 2, E, F, 1, 1, "blk.%u.ffn_up.weight", l);
      plan (plans, more, 0.0f, matrix_amplitude (F), 2, F, E, 1, 1, "blk.%u.ffn_down.weight", l);
      plan (plans, t, NORM, 1, E, 1, 1, 1, "blk.%u.post_ffw_norm.weight", l);
    }
  return plans;
}

static GArray *
vision_plans (const LbRandomModelSpec *spec)
{
  GArray *plans = g_array_new (FALSE, TRUE, sizeof (TensorPlan));
  guint64 VE = spec->v_embd, VF = spec->v_ff, P = spec->patch_size;
  guint64 G = spec->image_size / spec->patch_size;
  LbTensorType t = spec->mmproj_type;

  g_array_set_clear_func (plans, tensor_plan_clear);
  plan (plans, t, 0.0f, matrix_amplitude (3 * P * P), 4, P, P, 3, VE, "v.patch_embd.weight");
  plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.patch_embd.bias");
  /* Position embeddings stay F32, as in llama.cpp's mmproj files. */
  plan (plans, LB_TENSOR_F32, 0.0f, 0.5f, 2, VE, G * G, 1, 1, "v.position_embd.weight");
  for (guint l = 0; l < spec->v_layer; l++)
    {
      static const char *const attention[] = { "attn_q", "attn_k", "attn_v", "attn_out" };
      for (guint i = 0; i < G_N_ELEMENTS (attention); i++)
        {
          plan (plans, t, 0.0f, matrix_amplitude (VE), 2, VE, VE, 1, 1, "v.blk.%u.%s.weight", l, attention[i]);
          plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.blk.%u.%s.bias", l, attention[i]);
        }
      plan (plans, t, NORM, 1, VE, 1, 1, 1, "v.blk.%u.ln1.weight", l);
      plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.blk.%u.ln1.bias", l);
      plan (plans, t, NORM, 1, VE, 1, 1, 1, "v.blk.%u.ln2.weight", l);
      plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.blk.%u.ln2.bias", l);
      plan (plans, t, 0.0f, matrix_amplitude (VE), 2, VE, VF, 1, 1, "v.blk.%u.ffn_up.weight", l);
      plan (plans, t, BIAS, 1, VF, 1, 1, 1, "v.blk.%u.ffn_up.bias", l);
      plan (plans, t, 0.0f, matrix_amplitude (VF), 2, VF, VE, 1, 1, "v.blk.%u.ffn_down.weight", l);
      plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.blk.%u.ffn_down.bias", l);
    }
  plan (plans, t, NORM, 1, VE, 1, 1, 1, "v.post_ln.weight");
  plan (plans, t, BIAS, 1, VE, 1, 1, 1, "v.post_ln.bias");
  plan (plans, t, NORM, 1, VE, 1, 1, 1, "mm.soft_emb_norm.weight");
  /* Stored VE rows of E: out = x · W. */
  plan (plans, t, 0.0f, matrix_amplitude (VE), 2, spec->n_embd, VE, 1, 1, "mm.input_projection.weight");
  return plans;
}

/* Declares the planned tensors, then generates, quantizes and writes each
 * a slice of rows at a time. */
static gboolean
write_tensors (LbGgufWriter *writer, GArray *plans, guint64 seed, const char *path, GError **error)
{
  for (guint i = 0; i < plans->len; i++)
    {
      const TensorPlan *p = &g_array_index (plans, TensorPlan, i);
      if (!lb_gguf_writer_add_tensor (writer, p->name, p->type, p->n_dims, p->ne, error))
        return FALSE;
    }
  if (!lb_gguf_writer_begin (writer, path, error))
    return FALSE;

  for (guint i = 0; i < plans->len; i++)
    {
      const TensorPlan *p = &g_array_index (plans, TensorPlan, i);
      guint64 row = p->ne[0];
      guint64 n_rows = p->ne[1] * p->ne[2] * p->ne[3];
      guint64 rows_per_slice = MIN (n_rows, MAX (1, (1u << 20) / row));  /* ~4 MB of floats */
      guint64 state = tensor_seed (seed, p->name);
      g_autofree float *values = g_new (float, rows_per_slice * row);
      g_autofree guint8 *bytes = g_new (guint8, lb_tensor_type_bytes (p->type, rows_per_slice * row));

      for (guint64 r = 0; r < n_rows; r += rows_per_slice)
        {
          guint64 n = MIN (rows_per_slice, n_rows - r) * row;
          for (guint64 j = 0; j < n; j++)
            values[j] = p->center + p->amplitude * uniform (&state);
          lb_quantize (p->type, values, bytes, n);
          if (!lb_gguf_writer_write_tensor (writer, bytes, lb_tensor_type_bytes (p->type, n), error))
            return FALSE;
        }
    }
  return lb_gguf_writer_finish (writer, error);
}

/* ---- a synthesized vocabulary -------------------------------------------------------- */

typedef struct {
  GPtrArray *pieces;   /* of char*, NULL where not yet set */
  float *scores;
  gint32 *types;
  GHashTable *used;    /* piece → TRUE */
} Vocab;

static void
vocab_set (Vocab *vocab, guint id, const char *piece, gint32 type, float score)
{
  g_free (vocab->pieces->pdata[id]);
  vocab->pieces->pdata[id] = g_strdup (piece);
  vocab->types[id] = type;
  vocab->scores[id] = score;
  g_hash_table_add (vocab->used, vocab->pieces->pdata[id]);
}

/* The id'th word of a-z in a bijective base 26: a, b, …, z, aa, ab, … */
static void
base26 (guint64 index, GString *out)
{
  char letters[16];
  int n = 0;

  index++;
  while (index > 0 && n < (int) sizeof letters)
    {
      index--;
      letters[n++] = 'a' + (char) (index % 26);
      index /= 26;
    }
  while (n > 0)
    g_string_append_c (out, letters[--n]);
}

/* Special tokens at sensible ids (Gemma 3's own ids when the vocabulary is
 * as large as the real one), 256 byte tokens, then normal pieces: printable
 * characters, "▁x" pairs, the prefixes of common words, then letter
 * strings, scored so that earlier pieces merge first. */
static Vocab *
vocab_synthesize (guint32 n, gint32 *out_eot)
{
  static const char *const words[] = {
    "the", "of", "and", "in", "is", "a", "to", "with", "no", "there", "chest", "lung", "lungs",
    "heart", "normal", "left", "right", "upper", "lower", "lobe", "opacity", "effusion",
    "pleural", "cardiac", "silhouette", "radiograph", "image", "shows", "findings", "impression",
    "consolidation", "pneumothorax", "nodule", "mass", "size", "within", "limits", "acute",
    "evidence", "of", "patient", "fracture", "bone", "soft", "tissue", "skin", "lesion", "eye",
    "retina", "fundus", "describe", "this", "what", "do", "you", "see", "report", "X", "ray",
  };
  const gboolean gemma_ids = n > 256000;
  Vocab *vocab = g_new0 (Vocab, 1);
  guint next, index = 0;
  float score = -1.0f;
  gint32 eot;
  GString *piece = g_string_new (NULL);

  vocab->pieces = g_ptr_array_new_full (n, g_free);
  g_ptr_array_set_size (vocab->pieces, n);
  vocab->scores = g_new0 (float, n);
  vocab->types = g_new0 (gint32, n);
  vocab->used = g_hash_table_new (g_str_hash, g_str_equal);

  vocab_set (vocab, 0, "<pad>", 3, 0.0f);
  vocab_set (vocab, 1, "<eos>", 3, 0.0f);
  vocab_set (vocab, 2, "<bos>", 3, 0.0f);
  vocab_set (vocab, 3, "<unk>", 2, 0.0f);
  vocab_set (vocab, 4, "<mask>", 4, 0.0f);
  if (gemma_ids)
    {
      vocab_set (vocab, 5, "[multimodal]", 4, 0.0f);
      for (guint i = 6; i < 105; i++)
        {
          g_autofree char *unused = g_strdup_printf ("<unused%u>", i - 6);
          vocab_set (vocab, i, unused, 4, 0.0f);
        }
      vocab_set (vocab, 105, "<start_of_turn>", 3, 0.0f);
      vocab_set (vocab, 106, "<end_of_turn>", 3, 0.0f);
      vocab_set (vocab, 107, "\n", 4, 0.0f);
      vocab_set (vocab, 108, "\n\n", 4, 0.0f);
      vocab_set (vocab, 255999, "<start_of_image>", 3, 0.0f);
      vocab_set (vocab, 256000, "<end_of_image>", 3, 0.0f);
      for (guint i = 256001; i < n; i++)
        {
          g_autofree char *unused = g_strdup_printf ("<unused%u>", i - 256001 + 99);
          vocab_set (vocab, i, unused, 4, 0.0f);
        }
      eot = 106;
      next = 238;
    }
  else
    {
      vocab_set (vocab, 5, "<start_of_turn>", 3, 0.0f);
      vocab_set (vocab, 6, "<end_of_turn>", 3, 0.0f);
      vocab_set (vocab, 7, "<start_of_image>", 3, 0.0f);
      vocab_set (vocab, 8, "<end_of_image>", 3, 0.0f);
      vocab_set (vocab, 9, "<unused94>", 4, 0.0f);
      vocab_set (vocab, 10, "<unused95>", 4, 0.0f);
      vocab_set (vocab, 11, "\n", 4, 0.0f);
      vocab_set (vocab, 12, "\n\n", 4, 0.0f);
      eot = 6;
      next = 13;
    }
  for (guint b = 0; b < 256; b++)
    {
      g_autofree char *byte = g_strdup_printf ("<0x%02X>", b);
      vocab_set (vocab, next + b, byte, 6, -1e9f);
    }
  next += 256;

  /* Normal pieces fill every id not set yet. */
  for (guint id = 0; id < n; id++)
    {
      if (vocab->pieces->pdata[id] != NULL)
        continue;
      do
        {
          g_string_truncate (piece, 0);
          if (index < 94)
            g_string_append_c (piece, (char) ('!' + index));            /* printable ASCII */
          else if (index == 94)
            g_string_append (piece, "\xe2\x96\x81");                    /* ▁ */
          else if (index < 95 + 62)
            {
              guint k = index - 95;                                      /* ▁a … ▁Z, ▁0 … ▁9 */
              g_string_append (piece, "\xe2\x96\x81");
              g_string_append_c (piece, k < 26 ? 'a' + k : k < 52 ? 'A' + (k - 26) : '0' + (k - 52));
            }
          else if (index < 157 + G_N_ELEMENTS (words) * 32)
            {
              /* Prefixes of common words, with and without ▁, so that merges
               * can build them. */
              guint k = index - 157, w = k / 32, len = (k % 32) / 2 + 2;
              if (len > strlen (words[w]))
                continue;
              if (k % 2 == 0)
                g_string_append (piece, "\xe2\x96\x81");
              g_string_append_len (piece, words[w], len);
            }
          else
            {
              guint64 k = index - 157 - G_N_ELEMENTS (words) * 32;
              if (k % 2 == 0)
                g_string_append (piece, "\xe2\x96\x81");
              base26 (k / 2, piece);
            }
        }
      while (index++, piece->len == 0 || g_hash_table_contains (vocab->used, piece->str));
      vocab_set (vocab, id, piece->str, 1, score);
      score -= 1.0f;
    }
  g_string_free (piece, TRUE);
  *out_eot = eot;
  return vocab;
}

static void
vocab_free (Vocab *vocab)
{
  g_hash_table_unref (vocab->used);
  g_ptr_array_unref (vocab->pieces);
  g_free (vocab->scores);
  g_free (vocab->types);
  g_free (vocab);
}

/* ---- the files ------------------------------------------------------------------------- */

/* llama.cpp's general.file_type (llama_ftype) of a model of this type. */
static guint32
file_type (LbTensorType type, gboolean k_mix)
{
  switch (type)
    {
    case LB_TENSOR_F32: return 0;
    case LB_TENSOR_F16: return 1;
    case LB_TENSOR_Q4_0: return 2;
    case LB_TENSOR_Q4_1: return 3;
    case LB_TENSOR_Q8_0: return 7;
    case LB_TENSOR_Q5_0: return 8;
    case LB_TENSOR_Q5_1: return 9;
    case LB_TENSOR_Q2_K: return 10;
    case LB_TENSOR_Q3_K: return 12;
    case LB_TENSOR_Q4_K: return k_mix ? 15 : 14;
    case LB_TENSOR_Q5_K: return k_mix ? 17 : 16;
    case LB_TENSOR_Q6_K: return 18;
    case LB_TENSOR_BF16: return 32;
    default: return 0;
    }
}

static char *
model_name (const LbRandomModelSpec *spec, const char *part)
{
  return g_strdup_printf ("%s (%s, %s, seed %" G_GUINT64_FORMAT ")", LB_RANDOM_MODEL_NAME_PREFIX,
                          spec->preset != NULL ? spec->preset : "custom", part, spec->seed);
}

static gboolean
write_text (const LbRandomModelSpec *spec, const char *path, GError **error)
{
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
  g_autoptr(GArray) plans = NULL;
  g_autofree char *name = model_name (spec, "text");
  g_autoptr(LbGguf) vocab_file = NULL;
  guint32 n_vocab = spec->n_vocab;

  lb_gguf_writer_add_string (writer, "general.architecture", "gemma3");
  lb_gguf_writer_add_string (writer, "general.name", name);
  lb_gguf_writer_add_uint32 (writer, "gemma3.context_length", spec->n_ctx);
  lb_gguf_writer_add_uint32 (writer, "gemma3.embedding_length", spec->n_embd);
  lb_gguf_writer_add_uint32 (writer, "gemma3.block_count", spec->n_layer);
  lb_gguf_writer_add_uint32 (writer, "gemma3.feed_forward_length", spec->n_ff);
  lb_gguf_writer_add_uint32 (writer, "gemma3.attention.head_count", spec->n_head);
  lb_gguf_writer_add_uint32 (writer, "gemma3.attention.head_count_kv", spec->n_head_kv);
  lb_gguf_writer_add_uint32 (writer, "gemma3.attention.key_length", spec->head_dim);
  lb_gguf_writer_add_uint32 (writer, "gemma3.attention.value_length", spec->head_dim);
  lb_gguf_writer_add_float32 (writer, "gemma3.attention.layer_norm_rms_epsilon", spec->rms_eps);
  lb_gguf_writer_add_float32 (writer, "gemma3.rope.freq_base", spec->rope_base);
  if (spec->rope_base_swa != 10000.0f)
    lb_gguf_writer_add_float32 (writer, "gemma3.rope.freq_base_swa", spec->rope_base_swa);
  if (spec->rope_scale != 1.0f)
    {
      lb_gguf_writer_add_string (writer, "gemma3.rope.scaling.type", "linear");
      lb_gguf_writer_add_float32 (writer, "gemma3.rope.scaling.factor", spec->rope_scale);
    }
  lb_gguf_writer_add_uint32 (writer, "gemma3.attention.sliding_window", spec->sliding_window);
  if (spec->sliding_window_pattern != 6)
    lb_gguf_writer_add_uint32 (writer, "gemma3.attention.sliding_window_pattern",
                               spec->sliding_window_pattern);
  if (spec->final_logit_softcap > 0.0f)
    lb_gguf_writer_add_float32 (writer, "gemma3.final_logit_softcapping", spec->final_logit_softcap);
  lb_gguf_writer_add_uint32 (writer, "general.file_type", file_type (spec->type, spec->k_mix));
  lb_gguf_writer_add_uint32 (writer, "general.quantization_version", 2);

  if (spec->vocab_path != NULL)
    {
      guint64 n_tokens = 0;
      g_autofree const char **tokens = NULL;
      g_autofree guint32 *lengths = NULL;

      vocab_file = lb_gguf_open (spec->vocab_path, error);
      if (vocab_file == NULL ||
          !lb_gguf_get_string_array (vocab_file, "tokenizer.ggml.tokens", &tokens, &lengths,
                                     &n_tokens, error))
        return FALSE;
      n_vocab = (guint32) n_tokens;
      for (guint64 i = 0; i < lb_gguf_n_keys (vocab_file); i++)
        if (g_str_has_prefix (lb_gguf_key_name (vocab_file, i), "tokenizer.") &&
            !lb_gguf_writer_copy_key (writer, vocab_file, i, error))
          return FALSE;
    }
  else
    {
      gint32 eot;
      Vocab *vocab = vocab_synthesize (n_vocab, &eot);

      lb_gguf_writer_add_string (writer, "tokenizer.ggml.model", "llama");
      lb_gguf_writer_add_string (writer, "tokenizer.ggml.pre", "default");
      lb_gguf_writer_add_string_array (writer, "tokenizer.ggml.tokens",
                                       (const char *const *) vocab->pieces->pdata, NULL, n_vocab);
      lb_gguf_writer_add_array (writer, "tokenizer.ggml.scores", LB_GGUF_TYPE_FLOAT32, vocab->scores, n_vocab);
      lb_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", LB_GGUF_TYPE_INT32, vocab->types, n_vocab);
      lb_gguf_writer_add_uint32 (writer, "tokenizer.ggml.bos_token_id", 2);
      lb_gguf_writer_add_uint32 (writer, "tokenizer.ggml.eos_token_id", 1);
      lb_gguf_writer_add_uint32 (writer, "tokenizer.ggml.unknown_token_id", 3);
      lb_gguf_writer_add_uint32 (writer, "tokenizer.ggml.padding_token_id", 0);
      lb_gguf_writer_add_bool (writer, "tokenizer.ggml.add_bos_token", TRUE);
      lb_gguf_writer_add_bool (writer, "tokenizer.ggml.add_eos_token", FALSE);
      lb_gguf_writer_add_bool (writer, "tokenizer.ggml.add_space_prefix", FALSE);
      lb_gguf_writer_add_uint32 (writer, "tokenizer.ggml.eot_token_id", (guint32) eot);
      vocab_free (vocab);
    }

  plans = text_plans (spec, n_vocab);
  return write_tensors (writer, plans, spec->seed, path, error);
}

static gboolean
write_mmproj (const LbRandomModelSpec *spec, const char *path, GError **error)
{
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
  g_autoptr(GArray) plans = vision_plans (spec);
  g_autofree char *name = model_name (spec, "mmproj");
  const float mean[3] = { 0.5f, 0.5f, 0.5f }, std[3] = { 0.5f, 0.5f, 0.5f };

  lb_gguf_writer_add_string (writer, "general.architecture", "clip");
  lb_gguf_writer_add_string (writer, "general.type", "mmproj");
  lb_gguf_writer_add_string (writer, "general.name", name);
  lb_gguf_writer_add_uint32 (writer, "general.file_type", file_type (spec->mmproj_type, FALSE));
  lb_gguf_writer_add_bool (writer, "clip.has_vision_encoder", TRUE);
  lb_gguf_writer_add_string (writer, "clip.projector_type", "gemma3");
  lb_gguf_writer_add_uint32 (writer, "clip.vision.projection_dim", spec->n_embd);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.image_size", spec->image_size);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.patch_size", spec->patch_size);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.embedding_length", spec->v_embd);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.feed_forward_length", spec->v_ff);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.block_count", spec->v_layer);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.attention.head_count", spec->v_head);
  lb_gguf_writer_add_array (writer, "clip.vision.image_mean", LB_GGUF_TYPE_FLOAT32, mean, 3);
  lb_gguf_writer_add_array (writer, "clip.vision.image_std", LB_GGUF_TYPE_FLOAT32, std, 3);
  lb_gguf_writer_add_float32 (writer, "clip.vision.attention.layer_norm_epsilon", spec->v_eps);
  lb_gguf_writer_add_bool (writer, "clip.use_gelu", TRUE);
  lb_gguf_writer_add_uint32 (writer, "clip.vision.projector.scale_factor", spec->pool);

  return write_tensors (writer, plans, spec->seed, path, error);
}

gboolean
lb_random_model_write (const LbRandomModelSpec *spec, const char *text_path,
                       const char *mmproj_path, GError **error)
{
  g_return_val_if_fail (spec != NULL, FALSE);

  if (!lb_random_model_spec_check (spec, error))
    return FALSE;
  if (text_path != NULL && !write_text (spec, text_path, error))
    return FALSE;
  if (mmproj_path != NULL && !write_mmproj (spec, mmproj_path, error))
    return FALSE;
  return TRUE;
}
