/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The random model's LbRandomModelSpec: the presets, the "key=value"
 * shape overrides, the file type names and the checks that the shapes
 * fit together. The files themselves are written by random-model.c.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "model/quantize.h"
#include "model/random-model.h"

/* ---- presets and options ---------------------------------------------------- */

static void
spec_defaults (LbRandomModelSpec *spec)
{
  memset (spec, 0, sizeof *spec);
  spec->n_ctx = 4096;
  spec->sliding_window_pattern = 6;
  spec->rope_base = 1000000.0f;
  spec->rope_base_swa = 10000.0f;
  spec->rope_scale = 8.0f;
  spec->rms_eps = 1e-6f;
  spec->tied_output = TRUE;
  spec->patch_size = 14;
  spec->pool = 4;
  spec->v_eps = 1e-6f;
  spec->type = LB_TENSOR_F32;
  spec->mmproj_type = LB_TENSOR_F32;
  spec->seed = 1;
}

gboolean
lb_random_model_spec_init (LbRandomModelSpec *spec, const char *preset, GError **error)
{
  spec_defaults (spec);
  if (g_strcmp0 (preset, "tiny") == 0)
    {
      /* Like tests/reference's a-f32: one global layer of six, window 8. */
      spec->n_vocab = 512;
      spec->n_embd = 128;
      spec->n_layer = 6;
      spec->n_ff = 256;
      spec->n_head = 4;
      spec->n_head_kv = 2;
      spec->head_dim = 32;
      spec->sliding_window = 8;
      spec->image_size = 112;
      spec->v_embd = 64;
      spec->v_ff = 128;
      spec->v_layer = 2;
      spec->v_head = 4;
      spec->pool = 2;
    }
  else if (g_strcmp0 (preset, "small") == 0)
    {
      /* Like c-q4km, with a separate output matrix: rows of 256 take k-quants. */
      spec->n_vocab = 1024;
      spec->n_embd = 256;
      spec->n_layer = 12;
      spec->n_ff = 768;
      spec->n_head = 4;
      spec->n_head_kv = 1;
      spec->head_dim = 64;
      spec->sliding_window = 12;
      spec->tied_output = FALSE;
      spec->image_size = 224;
      spec->v_embd = 64;
      spec->v_ff = 128;
      spec->v_layer = 2;
      spec->v_head = 2;
      spec->pool = 4;
    }
  else if (g_strcmp0 (preset, "medgemma-4b") == 0)
    {
      /* MedGemma 4B's shapes (DESIGN §4), for benchmarks. */
      spec->n_vocab = 262144;
      spec->n_ctx = 131072;
      spec->n_embd = 2560;
      spec->n_layer = 34;
      spec->n_ff = 10240;
      spec->n_head = 8;
      spec->n_head_kv = 4;
      spec->head_dim = 256;
      spec->sliding_window = 1024;
      spec->image_size = 896;
      spec->v_embd = 1152;
      spec->v_ff = 4304;
      spec->v_layer = 27;
      spec->v_head = 16;
      spec->pool = 4;
      spec->type = LB_TENSOR_Q4_K;
      spec->k_mix = TRUE;
      spec->mmproj_type = LB_TENSOR_F16;
    }
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unknown preset '%s' (expected tiny, small or medgemma-4b)", preset);
      return FALSE;
    }
  spec->preset = g_strdup (preset);
  return TRUE;
}

void
lb_random_model_spec_clear (LbRandomModelSpec *spec)
{
  g_clear_pointer (&spec->vocab_path, g_free);
  g_clear_pointer (&spec->preset, g_free);
}

gboolean
lb_random_model_spec_parse_shape (LbRandomModelSpec *spec, const char *shape, GError **error)
{
  g_auto(GStrv) items = g_strsplit (shape, ",", -1);
  static const struct {
    const char *key;
    gsize offset;
    gboolean is_float;
  } keys[] = {
    { "vocab", G_STRUCT_OFFSET (LbRandomModelSpec, n_vocab), FALSE },
    { "ctx", G_STRUCT_OFFSET (LbRandomModelSpec, n_ctx), FALSE },
    { "embd", G_STRUCT_OFFSET (LbRandomModelSpec, n_embd), FALSE },
    { "layers", G_STRUCT_OFFSET (LbRandomModelSpec, n_layer), FALSE },
    { "ff", G_STRUCT_OFFSET (LbRandomModelSpec, n_ff), FALSE },
    { "heads", G_STRUCT_OFFSET (LbRandomModelSpec, n_head), FALSE },
    { "kv-heads", G_STRUCT_OFFSET (LbRandomModelSpec, n_head_kv), FALSE },
    { "head-dim", G_STRUCT_OFFSET (LbRandomModelSpec, head_dim), FALSE },
    { "window", G_STRUCT_OFFSET (LbRandomModelSpec, sliding_window), FALSE },
    { "pattern", G_STRUCT_OFFSET (LbRandomModelSpec, sliding_window_pattern), FALSE },
    { "rope-base", G_STRUCT_OFFSET (LbRandomModelSpec, rope_base), TRUE },
    { "rope-base-swa", G_STRUCT_OFFSET (LbRandomModelSpec, rope_base_swa), TRUE },
    { "rope-scale", G_STRUCT_OFFSET (LbRandomModelSpec, rope_scale), TRUE },
    { "softcap", G_STRUCT_OFFSET (LbRandomModelSpec, final_logit_softcap), TRUE },
    { "tied", G_STRUCT_OFFSET (LbRandomModelSpec, tied_output), FALSE },
    { "image", G_STRUCT_OFFSET (LbRandomModelSpec, image_size), FALSE },
    { "patch", G_STRUCT_OFFSET (LbRandomModelSpec, patch_size), FALSE },
    { "v-embd", G_STRUCT_OFFSET (LbRandomModelSpec, v_embd), FALSE },
    { "v-ff", G_STRUCT_OFFSET (LbRandomModelSpec, v_ff), FALSE },
    { "v-layers", G_STRUCT_OFFSET (LbRandomModelSpec, v_layer), FALSE },
    { "v-heads", G_STRUCT_OFFSET (LbRandomModelSpec, v_head), FALSE },
    { "pool", G_STRUCT_OFFSET (LbRandomModelSpec, pool), FALSE },
  };

  G_STATIC_ASSERT (sizeof (gboolean) == sizeof (guint32));

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      const char *equals = strchr (item, '=');
      g_autofree char *key = NULL;
      gboolean found = FALSE;

      if (*item == '\0')
        continue;
      if (equals == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "shape item '%s' is not key=value", item);
          return FALSE;
        }
      key = g_strndup (item, equals - item);
      for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          char *end = NULL;
          gpointer field = (guint8 *) spec + keys[k].offset;

          if (strcmp (key, keys[k].key) != 0)
            continue;
          found = TRUE;
          errno = 0;
          if (keys[k].is_float)
            {
              double value = g_ascii_strtod (equals + 1, &end);
              if (errno != 0 || end == equals + 1 || *end != '\0' || !isfinite (value) || value < 0)
                goto bad_value;
              *(float *) field = (float) value;
            }
          else
            {
              guint64 value;
              if (!g_ascii_string_to_unsigned (equals + 1, 10, 0, G_MAXUINT32, &value, NULL))
                goto bad_value;
              *(guint32 *) field = (guint32) value;
            }
          break;

        bad_value:
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "shape '%s': '%s' is not a valid value", key, equals + 1);
          return FALSE;
        }
      if (!found)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "unknown shape key '%s'", key);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
lb_random_model_parse_type (const char *name, LbTensorType *out_type, gboolean *out_k_mix,
                            GError **error)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  LbTensorType type;

  *out_k_mix = FALSE;
  if (strcmp (lower, "q4_k_m") == 0 || strcmp (lower, "q5_k_m") == 0)
    {
      *out_type = lower[1] == '4' ? LB_TENSOR_Q4_K : LB_TENSOR_Q5_K;
      *out_k_mix = TRUE;
      return TRUE;
    }
  if (lb_tensor_type_from_name (lower, &type) && lb_quantize_supported (type))
    {
      *out_type = type;
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "unknown or unwritable type '%s' (expected f32, f16, bf16, q8_0, q4_0, q4_1, "
               "q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, q4_k_m or q5_k_m)", name);
  return FALSE;
}

gboolean
lb_random_model_spec_check (const LbRandomModelSpec *spec, GError **error)
{
  const char *problem = NULL;

  if (spec->vocab_path == NULL && spec->n_vocab < 300)
    problem = "a synthesized vocabulary needs at least 300 tokens (vocab)";
  else if (spec->n_embd == 0 || spec->n_layer == 0 || spec->n_ff == 0 || spec->n_head == 0 ||
           spec->n_head_kv == 0 || spec->head_dim == 0 || spec->n_ctx == 0)
    problem = "text sizes must be positive";
  else if (spec->n_head % spec->n_head_kv != 0)
    problem = "heads must be a multiple of kv-heads";
  else if (spec->head_dim % 2 != 0)
    problem = "head-dim must be even (rope pairs)";
  else if (spec->sliding_window == 0 || spec->sliding_window_pattern == 0)
    problem = "window and pattern must be positive";
  else if (spec->rope_base <= 0 || spec->rope_base_swa <= 0 || spec->rope_scale <= 0)
    problem = "rope bases and scale must be positive";
  else if (spec->patch_size == 0 || spec->image_size % spec->patch_size != 0)
    problem = "image must be a multiple of patch";
  else if (spec->pool == 0 || (spec->image_size / spec->patch_size) % spec->pool != 0)
    problem = "pool must divide image / patch";
  else if (spec->v_embd == 0 || spec->v_ff == 0 || spec->v_layer == 0 || spec->v_head == 0 ||
           spec->v_embd % spec->v_head != 0)
    problem = "vision sizes must be positive and v-heads must divide v-embd";
  if (problem != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "invalid model shape: %s", problem);
      return FALSE;
    }
  return TRUE;
}
