/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hyper-parameters and tensor checks for the Gemma 3 text model and its
 * SigLIP vision projector, in llama.cpp's GGUF conventions (DESIGN §4).
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <math.h>
#include <string.h>

#include "model/model-config.h"

/* Gemma 3 27B scales queries by 1/sqrt(E/H) instead of 1/sqrt(D); it is the
 * only Gemma 3 size with this many layers (llama.cpp keys it the same way). */
#define GEMMA3_27B_BLOCK_COUNT 62

static gboolean
check_architecture (const LbGguf *gguf, const char *expected, const char *needed, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *arch = lb_gguf_get_string (gguf, "general.architecture", &local_error);

  if (arch == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE,
                   "%s: no general.architecture key: this is not a model file Lightbox can use "
                   "(it needs %s)", lb_gguf_name (gguf), needed);
      return FALSE;
    }
  if (strcmp (arch, expected) == 0)
    return TRUE;
  if (strcmp (arch, "clip") == 0)
    g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE,
                 "%s: this is a vision projector (mmproj), not a text model; Lightbox needs %s here",
                 lb_gguf_name (gguf), needed);
  else if (strcmp (expected, "clip") == 0 && strcmp (arch, "gemma3") == 0)
    g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE,
                 "%s: this is a Gemma 3 text model, not a vision projector; Lightbox needs %s here",
                 lb_gguf_name (gguf), needed);
  else
    g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE,
                 "%s: this is a %s model, Lightbox needs %s", lb_gguf_name (gguf), arch, needed);
  return FALSE;
}

/* Requires a tensor "<name>.weight" (or any full name) of the given shape. */
static gboolean
require (const LbGguf *gguf, const char *name, guint n_dims, guint64 ne0, guint64 ne1, GError **error)
{
  const guint64 ne[2] = { ne0, ne1 };
  return lb_gguf_require_tensor (gguf, name, n_dims, ne, error) != NULL;
}

static gboolean
require_layer (const LbGguf *gguf, const char *prefix, guint layer, const char *suffix,
               guint n_dims, guint64 ne0, guint64 ne1, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s%u.%s", prefix, layer, suffix);
  return require (gguf, name, n_dims, ne0, ne1, error);
}

static gboolean
check_positive (const LbGguf *gguf, const char *key, guint32 value, GError **error)
{
  if (value == 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: key '%s' is 0 (a positive value expected)", lb_gguf_name (gguf), key);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_text_config_load (const LbGguf *gguf, LbTextConfig *c, GError **error)
{
  g_autofree char *scaling = NULL;
  const LbGgufTensor *embd;
  guint32 value_length;

  g_return_val_if_fail (gguf != NULL && c != NULL, FALSE);
  memset (c, 0, sizeof *c);

  if (!check_architecture (gguf, "gemma3", "Gemma 3 (MedGemma's text model)", error))
    return FALSE;

  if (!lb_gguf_get_uint32 (gguf, "gemma3.context_length", &c->n_ctx, error) ||
      !lb_gguf_get_uint32 (gguf, "gemma3.embedding_length", &c->n_embd, error) ||
      !lb_gguf_get_uint32 (gguf, "gemma3.block_count", &c->n_layer, error) ||
      !lb_gguf_get_uint32 (gguf, "gemma3.feed_forward_length", &c->n_ff, error) ||
      !lb_gguf_get_uint32 (gguf, "gemma3.attention.head_count", &c->n_head, error))
    return FALSE;
  if (!check_positive (gguf, "gemma3.context_length", c->n_ctx, error) ||
      !check_positive (gguf, "gemma3.embedding_length", c->n_embd, error) ||
      !check_positive (gguf, "gemma3.block_count", c->n_layer, error) ||
      !check_positive (gguf, "gemma3.feed_forward_length", c->n_ff, error) ||
      !check_positive (gguf, "gemma3.attention.head_count", c->n_head, error))
    return FALSE;
  if (!lb_gguf_get_uint32_or (gguf, "gemma3.attention.head_count_kv", c->n_head, &c->n_head_kv, error) ||
      !lb_gguf_get_uint32_or (gguf, "gemma3.attention.key_length", c->n_embd / c->n_head, &c->head_dim, error) ||
      !lb_gguf_get_uint32_or (gguf, "gemma3.attention.value_length", c->head_dim, &value_length, error) ||
      !lb_gguf_get_float_or (gguf, "gemma3.attention.layer_norm_rms_epsilon", 1e-6f, &c->rms_eps, error) ||
      !lb_gguf_get_float_or (gguf, "gemma3.rope.freq_base", 1e6f, &c->rope_base, error) ||
      !lb_gguf_get_float_or (gguf, "gemma3.rope.freq_base_swa", 10000.0f, &c->rope_base_swa, error) ||
      !lb_gguf_get_uint32_or (gguf, "gemma3.attention.sliding_window", 1024, &c->sliding_window, error) ||
      !lb_gguf_get_uint32_or (gguf, "gemma3.attention.sliding_window_pattern", 6, &c->sliding_window_pattern, error) ||
      !lb_gguf_get_float_or (gguf, "gemma3.final_logit_softcapping", 0.0f, &c->final_logit_softcap, error))
    return FALSE;

  c->rope_scale = 1.0f;
  if (lb_gguf_has_key (gguf, "gemma3.rope.scaling.type"))
    {
      const char *type = lb_gguf_get_string (gguf, "gemma3.rope.scaling.type", error);
      if (type == NULL)
        return FALSE;
      if (strcmp (type, "linear") == 0)
        {
          if (!lb_gguf_get_float_or (gguf, "gemma3.rope.scaling.factor", 1.0f, &c->rope_scale, error))
            return FALSE;
        }
      else if (strcmp (type, "none") != 0)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                       "%s: rope scaling type '%s' is not supported (linear or none expected)",
                       lb_gguf_name (gguf), type);
          return FALSE;
        }
    }
  else if (!lb_gguf_get_float_or (gguf, "gemma3.rope.scaling.factor", 1.0f, &c->rope_scale, error))
    return FALSE;
  if (!(c->rope_scale > 0.0f) || !(c->rope_base > 0.0f) || !(c->rope_base_swa > 0.0f) ||
      !(c->rms_eps > 0.0f) || !isfinite (c->final_logit_softcap) || c->final_logit_softcap < 0.0f)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: rope base, rope scale and rms epsilon must be positive, softcap non-negative",
                   lb_gguf_name (gguf));
      return FALSE;
    }

  if (!check_positive (gguf, "gemma3.attention.head_count_kv", c->n_head_kv, error) ||
      !check_positive (gguf, "gemma3.attention.key_length", c->head_dim, error) ||
      !check_positive (gguf, "gemma3.attention.sliding_window", c->sliding_window, error) ||
      !check_positive (gguf, "gemma3.attention.sliding_window_pattern", c->sliding_window_pattern, error))
    return FALSE;
  if (c->n_head % c->n_head_kv != 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: %u attention heads cannot share %u key/value heads evenly",
                   lb_gguf_name (gguf), c->n_head, c->n_head_kv);
      return FALSE;
    }
  if (value_length != c->head_dim || c->head_dim % 2 != 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: key length %u and value length %u must be equal and even",
                   lb_gguf_name (gguf), c->head_dim, value_length);
      return FALSE;
    }

  c->attn_scale = c->n_layer == GEMMA3_27B_BLOCK_COUNT
                  ? 1.0f / sqrtf ((float) c->n_embd / (float) c->n_head)
                  : 1.0f / sqrtf ((float) c->head_dim);

  /* The vocabulary size is the embedding table's row count. */
  embd = lb_gguf_find_tensor (gguf, "token_embd.weight");
  if (embd == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING,
                   "%s: required tensor 'token_embd.weight' is missing", lb_gguf_name (gguf));
      return FALSE;
    }
  if (embd->ne[1] > G_MAXUINT32)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE,
                   "%s: token_embd.weight has %" G_GUINT64_FORMAT " rows, too many",
                   lb_gguf_name (gguf), embd->ne[1]);
      return FALSE;
    }
  c->n_vocab = (guint32) embd->ne[1];

  guint64 E = c->n_embd, q_dim = (guint64) c->n_head * c->head_dim;
  guint64 kv_dim = (guint64) c->n_head_kv * c->head_dim;
  if (!require (gguf, "token_embd.weight", 2, E, c->n_vocab, error) ||
      !require (gguf, "output_norm.weight", 1, E, 1, error))
    return FALSE;
  c->tied_output = lb_gguf_find_tensor (gguf, "output.weight") == NULL;
  if (!c->tied_output && !require (gguf, "output.weight", 2, E, c->n_vocab, error))
    return FALSE;

  for (guint l = 0; l < c->n_layer; l++)
    if (!require_layer (gguf, "blk.", l, "attn_norm.weight", 1, E, 1, error) ||
        !require_layer (gguf, "blk.", l, "attn_q.weight", 2, E, q_dim, error) ||
        !require_layer (gguf, "blk.", l, "attn_k.weight", 2, E, kv_dim, error) ||
        !require_layer (gguf, "blk.", l, "attn_v.weight", 2, E, kv_dim, error) ||
        !require_layer (gguf, "blk.", l, "attn_q_norm.weight", 1, c->head_dim, 1, error) ||
        !require_layer (gguf, "blk.", l, "attn_k_norm.weight", 1, c->head_dim, 1, error) ||
        !require_layer (gguf, "blk.", l, "attn_output.weight", 2, q_dim, E, error) ||
        !require_layer (gguf, "blk.", l, "post_attention_norm.weight", 1, E, 1, error) ||
        !require_layer (gguf, "blk.", l, "ffn_norm.weight", 1, E, 1, error) ||
        !require_layer (gguf, "blk.", l, "ffn_gate.weight", 2, E, c->n_ff, error) ||
        !require_layer (gguf, "blk.", l, "ffn_up.weight", 2, E, c->n_ff, error) ||
        !require_layer (gguf, "blk.", l, "ffn_down.weight", 2, c->n_ff, E, error) ||
        !require_layer (gguf, "blk.", l, "post_ffw_norm.weight", 1, E, 1, error))
      return FALSE;
  return TRUE;
}

gboolean
lb_text_layer_is_global (const LbTextConfig *c, guint layer)
{
  return layer % c->sliding_window_pattern == c->sliding_window_pattern - 1;
}

static gboolean
get_triplet (const LbGguf *gguf, const char *key, float fallback, float out[3], GError **error)
{
  g_autofree float *values = NULL;
  guint64 n;

  if (!lb_gguf_has_key (gguf, key))
    {
      out[0] = out[1] = out[2] = fallback;
      return TRUE;
    }
  values = lb_gguf_get_float_array (gguf, key, &n, error);
  if (values == NULL)
    return FALSE;
  if (n != 3)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: key '%s' has %" G_GUINT64_FORMAT " values (3 expected, one per colour channel)",
                   lb_gguf_name (gguf), key, n);
      return FALSE;
    }
  memcpy (out, values, 3 * sizeof (float));
  return TRUE;
}

gboolean
lb_vision_config_load (const LbGguf *gguf, LbVisionConfig *c, GError **error)
{
  const char *projector;
  gboolean has_vision = TRUE;

  g_return_val_if_fail (gguf != NULL && c != NULL, FALSE);
  memset (c, 0, sizeof *c);

  if (!check_architecture (gguf, "clip", "a Gemma 3 vision projector (mmproj)", error))
    return FALSE;
  if (!lb_gguf_get_bool_or (gguf, "clip.has_vision_encoder", TRUE, &has_vision, error))
    return FALSE;
  projector = lb_gguf_has_key (gguf, "clip.projector_type")
              ? lb_gguf_get_string (gguf, "clip.projector_type", error)
              : lb_gguf_get_string (gguf, "clip.vision.projector_type", error);
  if (projector == NULL)
    return FALSE;
  if (strcmp (projector, "gemma3") != 0 || !has_vision)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_ARCHITECTURE,
                   "%s: this is a '%s' vision projector; Lightbox needs the Gemma 3 one "
                   "(clip.projector_type = gemma3) that comes with MedGemma",
                   lb_gguf_name (gguf), projector);
      return FALSE;
    }

  if (!lb_gguf_get_uint32 (gguf, "clip.vision.image_size", &c->image_size, error) ||
      !lb_gguf_get_uint32 (gguf, "clip.vision.patch_size", &c->patch_size, error) ||
      !lb_gguf_get_uint32 (gguf, "clip.vision.embedding_length", &c->n_embd, error) ||
      !lb_gguf_get_uint32 (gguf, "clip.vision.feed_forward_length", &c->n_ff, error) ||
      !lb_gguf_get_uint32 (gguf, "clip.vision.block_count", &c->n_layer, error) ||
      !lb_gguf_get_uint32 (gguf, "clip.vision.attention.head_count", &c->n_head, error) ||
      !lb_gguf_get_float_or (gguf, "clip.vision.attention.layer_norm_epsilon", 1e-6f, &c->layer_norm_eps, error) ||
      !get_triplet (gguf, "clip.vision.image_mean", 0.5f, c->image_mean, error) ||
      !get_triplet (gguf, "clip.vision.image_std", 0.5f, c->image_std, error) ||
      !lb_gguf_get_uint32_or (gguf, "clip.vision.projector.scale_factor", 4, &c->pool, error))
    return FALSE;
  if (!check_positive (gguf, "clip.vision.image_size", c->image_size, error) ||
      !check_positive (gguf, "clip.vision.patch_size", c->patch_size, error) ||
      !check_positive (gguf, "clip.vision.embedding_length", c->n_embd, error) ||
      !check_positive (gguf, "clip.vision.feed_forward_length", c->n_ff, error) ||
      !check_positive (gguf, "clip.vision.block_count", c->n_layer, error) ||
      !check_positive (gguf, "clip.vision.attention.head_count", c->n_head, error) ||
      !check_positive (gguf, "clip.vision.projector.scale_factor", c->pool, error))
    return FALSE;
  for (int i = 0; i < 3; i++)
    if (!(c->image_std[i] > 0.0f))
      {
        g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                     "%s: clip.vision.image_std must be positive", lb_gguf_name (gguf));
        return FALSE;
      }
  if (c->image_size % c->patch_size != 0 || c->n_embd % c->n_head != 0 ||
      (c->image_size / c->patch_size) % c->pool != 0 || c->image_size > 8192)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: inconsistent vision shapes: image %u px, patch %u, width %u, %u heads, pool %u "
                   "(the image must split into whole patches, the width into whole heads, the patch "
                   "grid into whole pooling cells)", lb_gguf_name (gguf), c->image_size, c->patch_size,
                   c->n_embd, c->n_head, c->pool);
      return FALSE;
    }
  c->n_patches_side = c->image_size / c->patch_size;
  c->n_image_tokens = (c->n_patches_side / c->pool) * (c->n_patches_side / c->pool);

  /* The projection width is the text model's E; older files omit the key. */
  const LbGgufTensor *projection = lb_gguf_find_tensor (gguf, "mm.input_projection.weight");
  if (projection == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING,
                   "%s: required tensor 'mm.input_projection.weight' is missing", lb_gguf_name (gguf));
      return FALSE;
    }
  if (!lb_gguf_get_uint32_or (gguf, "clip.vision.projection_dim", (guint32) projection->ne[0],
                              &c->projection_dim, error))
    return FALSE;

  guint64 VE = c->n_embd, P = c->patch_size;
  guint64 n_patches = (guint64) c->n_patches_side * c->n_patches_side;
  const guint64 patch_shape[4] = { P, P, 3, VE };
  if (lb_gguf_require_tensor (gguf, "v.patch_embd.weight", 4, patch_shape, error) == NULL ||
      !require (gguf, "v.patch_embd.bias", 1, VE, 1, error) ||
      !require (gguf, "v.position_embd.weight", 2, VE, n_patches, error) ||
      !require (gguf, "v.post_ln.weight", 1, VE, 1, error) ||
      !require (gguf, "v.post_ln.bias", 1, VE, 1, error) ||
      !require (gguf, "mm.soft_emb_norm.weight", 1, VE, 1, error) ||
      !require (gguf, "mm.input_projection.weight", 2, c->projection_dim, VE, error))
    return FALSE;

  for (guint l = 0; l < c->n_layer; l++)
    if (!require_layer (gguf, "v.blk.", l, "ln1.weight", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "ln1.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_q.weight", 2, VE, VE, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_q.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_k.weight", 2, VE, VE, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_k.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_v.weight", 2, VE, VE, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_v.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_out.weight", 2, VE, VE, error) ||
        !require_layer (gguf, "v.blk.", l, "attn_out.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "ln2.weight", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "ln2.bias", 1, VE, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "ffn_up.weight", 2, VE, c->n_ff, error) ||
        !require_layer (gguf, "v.blk.", l, "ffn_up.bias", 1, c->n_ff, 1, error) ||
        !require_layer (gguf, "v.blk.", l, "ffn_down.weight", 2, c->n_ff, VE, error) ||
        !require_layer (gguf, "v.blk.", l, "ffn_down.bias", 1, VE, 1, error))
      return FALSE;
  return TRUE;
}

gboolean
lb_vision_config_matches_text (const LbVisionConfig *vision, const LbTextConfig *text,
                               const char *vision_name, GError **error)
{
  if (vision->projection_dim != text->n_embd)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE,
                   "%s: this vision projector outputs embeddings of width %u but the text model's "
                   "width is %u: the two files are not a pair", vision_name, vision->projection_dim,
                   text->n_embd);
      return FALSE;
    }
  return TRUE;
}
