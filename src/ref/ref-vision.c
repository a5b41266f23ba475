/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read top to bottom: weights, then the blocks of DESIGN §4's vision path
 * (patch embedding, encoder block, pooling + projection), then encode().
 * S = image side, P = patch side, G = S/P patches per side, N = G*G
 * patches, VE = encoder width, VF = its feed-forward width, VH = heads,
 * k = pooling kernel, T = (G/k)^2 image tokens, E = text width.
 */
#define G_LOG_DOMAIN "lightbox-ref"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ref/ref-vision.h"

typedef struct {
  float *ln1_w, *ln1_b;    /* [VE] */
  float *wq, *bq;          /* [VE][VE], [VE] */
  float *wk, *bk;          /* [VE][VE], [VE] */
  float *wv, *bv;          /* [VE][VE], [VE] */
  float *wo, *bo;          /* [VE][VE], [VE] */
  float *ln2_w, *ln2_b;    /* [VE] */
  float *w_up, *b_up;      /* [VF][VE], [VF] */
  float *w_down, *b_down;  /* [VE][VF], [VE] */
} VisionLayer;

struct _LbRefVision {
  LbVisionConfig config;
  float *patch_w;          /* [VE][3][P][P] */
  float *patch_b;          /* [VE] */
  float *position;         /* [N][VE] */
  VisionLayer *layers;     /* [n_layer] */
  float *post_ln_w;        /* [VE] */
  float *post_ln_b;        /* [VE] */
  float *soft_emb_norm;    /* [VE] */
  float *projection;       /* [E][VE]: the file's [VE rows][E columns], transposed
                            * at load so that out = W x like every other matmul */
};

/* ---- loading ---------------------------------------------------------------- */

static float *
load_tensor (const LbGguf *gguf, const char *name, GError **error)
{
  const LbGgufTensor *tensor = lb_gguf_find_tensor (gguf, name);
  float *data;

  if (tensor == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING, "%s: no tensor '%s'",
                   lb_gguf_name (gguf), name);
      return NULL;
    }
  data = g_try_malloc (tensor->n_elements * sizeof (float));
  if (data == NULL)
    {
      g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_MEMORY,
                   "%s: not enough memory for tensor '%s' as float32", lb_gguf_name (gguf), name);
      return NULL;
    }
  lb_gguf_tensor_rows_to_float (tensor, 0, tensor->n_elements / tensor->ne[0], data);
  return data;
}

static float *
load_layer_tensor (const LbGguf *gguf, guint layer, const char *name, GError **error)
{
  g_autofree char *full = g_strdup_printf ("v.blk.%u.%s", layer, name);
  return load_tensor (gguf, full, error);
}

/* A layer's tensors in the order of layer_tensor_names, to load and free
 * them in one loop. */
#define N_LAYER_TENSORS 16

static void
layer_slots (VisionLayer *w, float **slots[N_LAYER_TENSORS])
{
  float **all[N_LAYER_TENSORS] = {
    &w->ln1_w, &w->ln1_b, &w->wq, &w->bq, &w->wk, &w->bk, &w->wv, &w->bv,
    &w->wo, &w->bo, &w->ln2_w, &w->ln2_b, &w->w_up, &w->b_up, &w->w_down, &w->b_down,
  };
  memcpy (slots, all, sizeof all);
}

static const char *const layer_tensor_names[N_LAYER_TENSORS] = {
  "ln1.weight", "ln1.bias", "attn_q.weight", "attn_q.bias", "attn_k.weight", "attn_k.bias",
  "attn_v.weight", "attn_v.bias", "attn_out.weight", "attn_out.bias", "ln2.weight", "ln2.bias",
  "ffn_up.weight", "ffn_up.bias", "ffn_down.weight", "ffn_down.bias",
};

LbRefVision *
lb_ref_vision_new (const LbGguf *gguf, GError **error)
{
  g_autoptr(LbRefVision) vision = g_new0 (LbRefVision, 1);
  g_autofree float *projection = NULL;
  guint VE, E;

  g_return_val_if_fail (gguf != NULL, NULL);

  if (!lb_vision_config_load (gguf, &vision->config, error))
    return NULL;
  VE = vision->config.n_embd;
  E = vision->config.projection_dim;

  if ((vision->patch_w = load_tensor (gguf, "v.patch_embd.weight", error)) == NULL ||
      (vision->patch_b = load_tensor (gguf, "v.patch_embd.bias", error)) == NULL ||
      (vision->position = load_tensor (gguf, "v.position_embd.weight", error)) == NULL ||
      (vision->post_ln_w = load_tensor (gguf, "v.post_ln.weight", error)) == NULL ||
      (vision->post_ln_b = load_tensor (gguf, "v.post_ln.bias", error)) == NULL ||
      (vision->soft_emb_norm = load_tensor (gguf, "mm.soft_emb_norm.weight", error)) == NULL ||
      (projection = load_tensor (gguf, "mm.input_projection.weight", error)) == NULL)
    return NULL;

  /* [VE][E] → [E][VE] */
  vision->projection = g_new (float, (gsize) E * VE);
  for (guint r = 0; r < VE; r++)
    for (guint e = 0; e < E; e++)
      vision->projection[(gsize) e * VE + r] = projection[(gsize) r * E + e];

  vision->layers = g_new0 (VisionLayer, vision->config.n_layer);
  for (guint l = 0; l < vision->config.n_layer; l++)
    {
      float **slots[N_LAYER_TENSORS];
      layer_slots (&vision->layers[l], slots);
      for (guint i = 0; i < N_LAYER_TENSORS; i++)
        if ((*slots[i] = load_layer_tensor (gguf, l, layer_tensor_names[i], error)) == NULL)
          return NULL;
    }
  return g_steal_pointer (&vision);
}

void
lb_ref_vision_free (LbRefVision *vision)
{
  if (vision == NULL)
    return;
  if (vision->layers != NULL)
    for (guint l = 0; l < vision->config.n_layer; l++)
      {
        float **slots[N_LAYER_TENSORS];
        layer_slots (&vision->layers[l], slots);
        for (guint i = 0; i < N_LAYER_TENSORS; i++)
          g_free (*slots[i]);
      }
  g_free (vision->layers);
  g_free (vision->patch_w);
  g_free (vision->patch_b);
  g_free (vision->position);
  g_free (vision->post_ln_w);
  g_free (vision->post_ln_b);
  g_free (vision->soft_emb_norm);
  g_free (vision->projection);
  g_free (vision);
}

const LbVisionConfig *
lb_ref_vision_config (const LbRefVision *vision)
{
  return &vision->config;
}

/* ---- the blocks ------------------------------------------------------------------ */

/* x[n] = conv(pixels, P×P, stride P)[n] + bias + position[n], patches row-major.
 * pixels: [3][S][S]; x: [N][VE]. */
static void
patch_embedding (const LbRefVision *vision, const float *pixels, float *x)
{
  const LbVisionConfig *c = &vision->config;
  guint S = c->image_size, P = c->patch_size, G = c->n_patches_side, VE = c->n_embd;

  for (guint py = 0; py < G; py++)
    for (guint px = 0; px < G; px++)
      {
        guint n = py * G + px;
        for (guint o = 0; o < VE; o++)
          {
            const float *w = vision->patch_w + (gsize) o * 3 * P * P;   /* [3][P][P] */
            float sum = 0.0f;
            for (guint ch = 0; ch < 3; ch++)
              for (guint ky = 0; ky < P; ky++)
                for (guint kx = 0; kx < P; kx++)
                  sum += w[(ch * P + ky) * P + kx] *
                         pixels[((gsize) ch * S + py * P + ky) * S + px * P + kx];
            x[(gsize) n * VE + o] = sum + vision->patch_b[o] + vision->position[(gsize) n * VE + o];
          }
      }
}

/* out[t] = W x[t] + b for n rows. */
static void
linear (float *out, const float *x, const float *w, const float *b, guint n, guint n_in, guint n_out)
{
  lb_ref_matmul (out, x, w, n, n_in, n_out);
  for (guint t = 0; t < n; t++)
    for (guint o = 0; o < n_out; o++)
      out[(gsize) t * n_out + o] += b[o];
}

typedef struct {
  const float *q, *k, *v;  /* [N][VE] */
  float *out;              /* [N][VE] */
  guint N, VE, VH;
} VisionAttention;

/* Non-causal attention for queries [begin, end), all heads. */
static void
vision_attention_rows (guint begin, guint end, gpointer data)
{
  const VisionAttention *a = data;
  guint HD = a->VE / a->VH;
  float scale = 1.0f / sqrtf ((float) HD);
  g_autofree float *scores = g_new (float, a->N);   /* [N] */

  for (guint i = begin; i < end; i++)
    for (guint h = 0; h < a->VH; h++)
      {
        const float *q = a->q + (gsize) i * a->VE + h * HD;
        float *out = a->out + (gsize) i * a->VE + h * HD;

        for (guint j = 0; j < a->N; j++)
          {
            const float *k = a->k + (gsize) j * a->VE + h * HD;
            float dot = 0.0f;
            for (guint d = 0; d < HD; d++)
              dot += q[d] * k[d];
            scores[j] = dot * scale;
          }
        lb_ref_softmax (scores, a->N);
        memset (out, 0, HD * sizeof (float));
        for (guint j = 0; j < a->N; j++)
          {
            const float *v = a->v + (gsize) j * a->VE + h * HD;
            for (guint d = 0; d < HD; d++)
              out[d] += scores[j] * v[d];
          }
      }
}

/* One pre-norm encoder block:
 *   x += Wo attention(LN1 x) + bo;  x += Wdown gelu_tanh(Wup LN2 x + bup) + bdown */
static void
encoder_block (const LbRefVision *vision, const VisionLayer *w, float *x, float *scratch)
{
  const LbVisionConfig *c = &vision->config;
  guint N = c->n_patches_side * c->n_patches_side, VE = c->n_embd, VF = c->n_ff;
  gsize NVE = (gsize) N * VE;
  float *h = scratch;                   /* [N][VE] */
  float *q = h + NVE;                   /* [N][VE] */
  float *k = q + NVE;                   /* [N][VE] */
  float *v = k + NVE;                   /* [N][VE] */
  float *att = v + NVE;                 /* [N][VE] */
  float *up = q;                        /* [N][VF], reuses q… once attention is done */
  VisionAttention a = { q, k, v, att, N, VE, c->n_head };

  for (guint n = 0; n < N; n++)
    lb_ref_layernorm (h + (gsize) n * VE, x + (gsize) n * VE, w->ln1_w, w->ln1_b, VE, c->layer_norm_eps);
  linear (q, h, w->wq, w->bq, N, VE, VE);
  linear (k, h, w->wk, w->bk, N, VE, VE);
  linear (v, h, w->wv, w->bv, N, VE, VE);
  lb_ref_parallel_for (N, vision_attention_rows, &a);
  linear (h, att, w->wo, w->bo, N, VE, VE);
  for (gsize i = 0; i < NVE; i++)
    x[i] += h[i];

  for (guint n = 0; n < N; n++)
    lb_ref_layernorm (h + (gsize) n * VE, x + (gsize) n * VE, w->ln2_w, w->ln2_b, VE, c->layer_norm_eps);
  linear (up, h, w->w_up, w->b_up, N, VE, VF);
  lb_ref_gelu_tanh (up, N * VF);
  linear (h, up, w->w_down, w->b_down, N, VF, VE);
  for (gsize i = 0; i < NVE; i++)
    x[i] += h[i];
}

/* The Gemma 3 projector: average-pool k×k over the G×G patch grid, then
 * rmsnorm * soft_emb_norm, then · input_projection. x: [N][VE]; out: [T][E]. */
static void
project (const LbRefVision *vision, const float *x, float *out)
{
  const LbVisionConfig *c = &vision->config;
  guint G = c->n_patches_side, k = c->pool, GT = G / k, VE = c->n_embd, E = c->projection_dim;
  guint T = GT * GT;
  g_autofree float *pooled = g_new0 (float, (gsize) T * VE);   /* [T][VE] */

  for (guint ty = 0; ty < GT; ty++)
    for (guint tx = 0; tx < GT; tx++)
      {
        float *p = pooled + (gsize) (ty * GT + tx) * VE;
        for (guint dy = 0; dy < k; dy++)
          for (guint dx = 0; dx < k; dx++)
            {
              const float *patch = x + (gsize) ((ty * k + dy) * G + tx * k + dx) * VE;
              for (guint i = 0; i < VE; i++)
                p[i] += patch[i];
            }
        for (guint i = 0; i < VE; i++)
          p[i] /= (float) (k * k);
        lb_ref_rmsnorm (p, p, vision->soft_emb_norm, VE, c->layer_norm_eps);
      }
  lb_ref_matmul (out, pooled, vision->projection, T, VE, E);
}

void
lb_ref_vision_encode (LbRefVision *vision, const float *pixels, float *out)
{
  const LbVisionConfig *c = &vision->config;
  guint N = c->n_patches_side * c->n_patches_side, VE = c->n_embd;
  gsize NVE = (gsize) N * VE;
  g_autofree float *x = g_new (float, NVE);                                  /* [N][VE] */
  /* h, then q, k, v, att of [N][VE] — or the FFN's [N][VF] in their place. */
  g_autofree float *scratch = g_new (float, NVE + MAX (4 * NVE, (gsize) N * c->n_ff));

  g_return_if_fail (vision != NULL && pixels != NULL && out != NULL);

  patch_embedding (vision, pixels, x);
  for (guint l = 0; l < c->n_layer; l++)
    encoder_block (vision, &vision->layers[l], x, scratch);
  for (guint n = 0; n < N; n++)
    lb_ref_layernorm (x + (gsize) n * VE, x + (gsize) n * VE, vision->post_ln_w, vision->post_ln_b,
                      VE, c->layer_norm_eps);
  project (vision, x, out);
}
