/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read top to bottom: the weights, the state, then one function per block
 * of DESIGN §4's text forward, then forward() that strings them together.
 * E = embedding width, H = query heads, KV = key/value heads, D = head
 * width, F = feed-forward width, V = vocabulary, L = layers, C = capacity
 * of the KV cache, B = positions in the batch being run.
 */
#define G_LOG_DOMAIN "lightbox-ref"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ref/ref-text.h"

/* Text positions run in chunks of at most this many (causal attention makes
 * chunking invisible); an image runs as one batch, whatever its size. */
#define TEXT_CHUNK 32

typedef struct {
  float *attn_norm;        /* [E] */
  float *wq;               /* [H*D][E] */
  float *wk;               /* [KV*D][E] */
  float *wv;               /* [KV*D][E] */
  float *q_norm;           /* [D] */
  float *k_norm;           /* [D] */
  float *wo;               /* [E][H*D] */
  float *post_attn_norm;   /* [E] */
  float *ffn_norm;         /* [E] */
  float *w_gate;           /* [F][E] */
  float *w_up;             /* [F][E] */
  float *w_down;           /* [E][F] */
  float *post_ffw_norm;    /* [E] */
} TextLayer;

typedef struct {
  float *token_embd;       /* [V][E] */
  float *output_norm;      /* [E] */
  float *output;           /* [V][E]; token_embd itself when the output is tied */
  TextLayer *layers;       /* [L] */
} TextWeights;

typedef struct {
  guint n_past;            /* positions in the cache */
  guint32 *span;           /* [C]: the image each position belongs to (1, 2, …), 0 for text */
  guint32 n_spans;
  float *key_cache;        /* [L][C][KV*D], after q/k norm and rope */
  float *value_cache;      /* [L][C][KV*D] */
  float *last_attention;   /* [L][H][C]: attention probabilities of the last position run */
  float *logits;           /* [V] */

  /* Scratch for a batch of up to max_batch positions. */
  guint max_batch;
  float *x;                /* [B][E] the residual stream */
  float *xb;               /* [B][E] a block's normalized input */
  float *xb2;              /* [B][E] a block's output */
  float *q;                /* [B][H*D] */
  float *k;                /* [B][KV*D] */
  float *v;                /* [B][KV*D] */
  float *att_out;          /* [B][H*D] */
  float *hb;               /* [B][F] gate, then gelu(gate) * up */
  float *hb2;              /* [B][F] up */
  float *scores;           /* [C] one query head's scores */
} TextState;

struct _LbRefText {
  LbTextConfig config;
  guint capacity;          /* C */
  TextWeights weights;
  TextState state;
};

/* ---- loading ---------------------------------------------------------------- */

/* Dequantizes a whole tensor (the config loader already checked its shape). */
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
                   "%s: not enough memory for tensor '%s' as float32 (%" G_GUINT64_FORMAT " MB)",
                   lb_gguf_name (gguf), name, tensor->n_elements * 4 / 1000000);
      return NULL;
    }
  lb_gguf_tensor_rows_to_float (tensor, 0, tensor->n_elements / tensor->ne[0], data);
  return data;
}

static float *
load_layer_tensor (const LbGguf *gguf, guint layer, const char *name, GError **error)
{
  g_autofree char *full = g_strdup_printf ("blk.%u.%s.weight", layer, name);
  return load_tensor (gguf, full, error);
}

static gboolean
load_weights (LbRefText *model, const LbGguf *gguf, GError **error)
{
  TextWeights *w = &model->weights;

  if ((w->token_embd = load_tensor (gguf, "token_embd.weight", error)) == NULL ||
      (w->output_norm = load_tensor (gguf, "output_norm.weight", error)) == NULL)
    return FALSE;
  if (model->config.tied_output)
    w->output = w->token_embd;
  else if ((w->output = load_tensor (gguf, "output.weight", error)) == NULL)
    return FALSE;

  w->layers = g_new0 (TextLayer, model->config.n_layer);
  for (guint l = 0; l < model->config.n_layer; l++)
    {
      TextLayer *layer = &w->layers[l];
      if ((layer->attn_norm = load_layer_tensor (gguf, l, "attn_norm", error)) == NULL ||
          (layer->wq = load_layer_tensor (gguf, l, "attn_q", error)) == NULL ||
          (layer->wk = load_layer_tensor (gguf, l, "attn_k", error)) == NULL ||
          (layer->wv = load_layer_tensor (gguf, l, "attn_v", error)) == NULL ||
          (layer->q_norm = load_layer_tensor (gguf, l, "attn_q_norm", error)) == NULL ||
          (layer->k_norm = load_layer_tensor (gguf, l, "attn_k_norm", error)) == NULL ||
          (layer->wo = load_layer_tensor (gguf, l, "attn_output", error)) == NULL ||
          (layer->post_attn_norm = load_layer_tensor (gguf, l, "post_attention_norm", error)) == NULL ||
          (layer->ffn_norm = load_layer_tensor (gguf, l, "ffn_norm", error)) == NULL ||
          (layer->w_gate = load_layer_tensor (gguf, l, "ffn_gate", error)) == NULL ||
          (layer->w_up = load_layer_tensor (gguf, l, "ffn_up", error)) == NULL ||
          (layer->w_down = load_layer_tensor (gguf, l, "ffn_down", error)) == NULL ||
          (layer->post_ffw_norm = load_layer_tensor (gguf, l, "post_ffw_norm", error)) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
free_weights (LbRefText *model)
{
  TextWeights *w = &model->weights;

  if (w->output != w->token_embd)
    g_free (w->output);
  g_free (w->token_embd);
  g_free (w->output_norm);
  if (w->layers != NULL)
    for (guint l = 0; l < model->config.n_layer; l++)
      {
        TextLayer *layer = &w->layers[l];
        float **tensors[] = {
          &layer->attn_norm, &layer->wq, &layer->wk, &layer->wv, &layer->q_norm,
          &layer->k_norm, &layer->wo, &layer->post_attn_norm, &layer->ffn_norm,
          &layer->w_gate, &layer->w_up, &layer->w_down, &layer->post_ffw_norm,
        };
        for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
          g_clear_pointer (tensors[i], g_free);
      }
  g_clear_pointer (&w->layers, g_free);
}

/* ---- state -------------------------------------------------------------------- */

static gboolean
alloc_state (LbRefText *model, GError **error)
{
  const LbTextConfig *c = &model->config;
  TextState *s = &model->state;
  gsize kv_floats = (gsize) c->n_layer * model->capacity * c->n_head_kv * c->head_dim;

  s->key_cache = g_try_malloc0 (kv_floats * sizeof (float));
  s->value_cache = g_try_malloc0 (kv_floats * sizeof (float));
  if (s->key_cache == NULL || s->value_cache == NULL)
    {
      g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_MEMORY,
                   "not enough memory for a KV cache of %u positions (%" G_GSIZE_FORMAT " MB)",
                   model->capacity, 2 * kv_floats * 4 / 1000000);
      return FALSE;
    }
  s->span = g_new0 (guint32, model->capacity);
  s->last_attention = g_new0 (float, (gsize) c->n_layer * c->n_head * model->capacity);
  s->logits = g_new0 (float, c->n_vocab);
  s->scores = g_new0 (float, model->capacity);
  return TRUE;
}

/* Grows the batch scratch to hold n positions. */
static void
reserve_batch (LbRefText *model, guint n)
{
  const LbTextConfig *c = &model->config;
  TextState *s = &model->state;
  gsize E = c->n_embd, HD = (gsize) c->n_head * c->head_dim;
  gsize KVD = (gsize) c->n_head_kv * c->head_dim, F = c->n_ff;

  if (n <= s->max_batch)
    return;
  s->max_batch = n;
  s->x = g_renew (float, s->x, n * E);
  s->xb = g_renew (float, s->xb, n * E);
  s->xb2 = g_renew (float, s->xb2, n * E);
  s->q = g_renew (float, s->q, n * HD);
  s->k = g_renew (float, s->k, n * KVD);
  s->v = g_renew (float, s->v, n * KVD);
  s->att_out = g_renew (float, s->att_out, n * HD);
  s->hb = g_renew (float, s->hb, n * F);
  s->hb2 = g_renew (float, s->hb2, n * F);
}

static void
free_state (TextState *s)
{
  float **buffers[] = {
    &s->key_cache, &s->value_cache, &s->last_attention, &s->logits, &s->x, &s->xb,
    &s->xb2, &s->q, &s->k, &s->v, &s->att_out, &s->hb, &s->hb2, &s->scores,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (buffers); i++)
    g_clear_pointer (buffers[i], g_free);
  g_clear_pointer (&s->span, g_free);
}

LbRefText *
lb_ref_text_new (const LbGguf *gguf, guint capacity, GError **error)
{
  g_autoptr(LbRefText) model = g_new0 (LbRefText, 1);

  g_return_val_if_fail (gguf != NULL, NULL);

  if (!lb_text_config_load (gguf, &model->config, error))
    return NULL;
  if (capacity == 0)
    capacity = model->config.n_ctx;
  if (capacity > model->config.n_ctx)
    {
      g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_CONTEXT,
                   "%s: %u positions requested, the model's context holds %u",
                   lb_gguf_name (gguf), capacity, model->config.n_ctx);
      return NULL;
    }
  model->capacity = capacity;
  if (!load_weights (model, gguf, error) || !alloc_state (model, error))
    return NULL;
  return g_steal_pointer (&model);
}

void
lb_ref_text_free (LbRefText *model)
{
  if (model == NULL)
    return;
  free_weights (model);
  free_state (&model->state);
  g_free (model);
}

const LbTextConfig *
lb_ref_text_config (const LbRefText *model)
{
  return &model->config;
}

guint
lb_ref_text_capacity (const LbRefText *model)
{
  return model->capacity;
}

guint
lb_ref_text_n_past (const LbRefText *model)
{
  return model->state.n_past;
}

void
lb_ref_text_reset (LbRefText *model)
{
  model->state.n_past = 0;
  model->state.n_spans = 0;
}

void
lb_ref_text_truncate (LbRefText *model, guint n_past)
{
  g_return_if_fail (n_past <= model->state.n_past);
  /* The cache beyond n_past is overwritten by the next run; image ids keep
   * counting up, so a later image never shares an id with a kept one. */
  model->state.n_past = n_past;
}

/* ---- the blocks ------------------------------------------------------------------- */

/* Whether the query at position pq may read the key at position pk
 * (DESIGN §4): causal, except that the positions of one image see each
 * other both ways; sliding-window layers also drop keys window or more
 * positions back (later keys of the same image are never dropped). */
static gboolean
key_is_visible (const LbRefText *model, gboolean global, guint pq, guint pk)
{
  const guint32 *span = model->state.span;

  if (pk > pq && !(span[pk] != 0 && span[pk] == span[pq]))
    return FALSE;
  if (!global && pk < pq && pq - pk >= model->config.sliding_window)
    return FALSE;
  return TRUE;
}

/* One query head of the position pq attends over the cache of layer l
 * (positions [0, n_keys)). q: [D] (normed, roped, scaled); out: [D]. */
static void
attend (LbRefText *model, guint l, gboolean global, guint pq, guint h, guint n_keys,
        const float *q, float *out)
{
  const LbTextConfig *c = &model->config;
  TextState *s = &model->state;
  guint D = c->head_dim, KVD = c->n_head_kv * c->head_dim;
  guint g = h / (c->n_head / c->n_head_kv);   /* the kv head this query head reads */
  const float *keys = s->key_cache + (gsize) l * model->capacity * KVD;      /* [C][KV*D] */
  const float *values = s->value_cache + (gsize) l * model->capacity * KVD;  /* [C][KV*D] */
  float *scores = s->scores;                                                   /* [n_keys] */

  for (guint pk = 0; pk < n_keys; pk++)
    {
      const float *k = keys + (gsize) pk * KVD + g * D;
      float dot = 0.0f;

      if (!key_is_visible (model, global, pq, pk))
        {
          scores[pk] = -INFINITY;
          continue;
        }
      for (guint i = 0; i < D; i++)
        dot += q[i] * k[i];
      scores[pk] = dot;
    }
  lb_ref_softmax (scores, n_keys);

  memset (out, 0, D * sizeof (float));
  for (guint pk = 0; pk < n_keys; pk++)
    {
      const float *v = values + (gsize) pk * KVD + g * D;
      if (scores[pk] == 0.0f)
        continue;
      for (guint i = 0; i < D; i++)
        out[i] += scores[pk] * v[i];
    }

  /* Kept for attention capture: the last position of the batch. */
  if (pq == n_keys - 1)
    memcpy (s->last_attention + ((gsize) l * c->n_head + h) * model->capacity, scores,
            n_keys * sizeof (float));
}

/* x += rmsnorm(Wo · attention(rmsnorm(x) * attn_norm)) * post_attention_norm
 * for the n positions p0 … p0+n-1 of the batch. */
static void
attention_block (LbRefText *model, guint l, guint p0, guint n)
{
  const LbTextConfig *c = &model->config;
  const TextLayer *w = &model->weights.layers[l];
  TextState *s = &model->state;
  guint E = c->n_embd, H = c->n_head, KV = c->n_head_kv, D = c->head_dim;
  gboolean global = lb_text_layer_is_global (c, l);
  /* Local layers: base_swa at position p; global: freq_base at p / factor. */
  float rope_base = global ? c->rope_base : c->rope_base_swa;
  double position_scale = global ? 1.0 / c->rope_scale : 1.0;
  float *key_cache = s->key_cache + (gsize) l * model->capacity * KV * D;     /* [C][KV*D] */
  float *value_cache = s->value_cache + (gsize) l * model->capacity * KV * D; /* [C][KV*D] */

  for (guint i = 0; i < n; i++)
    lb_ref_rmsnorm (s->xb + i * E, s->x + i * E, w->attn_norm, E, c->rms_eps);   /* [B][E] */
  lb_ref_matmul (s->q, s->xb, w->wq, n, E, H * D);                            /* [B][H*D] */
  lb_ref_matmul (s->k, s->xb, w->wk, n, E, KV * D);                           /* [B][KV*D] */
  lb_ref_matmul (s->v, s->xb, w->wv, n, E, KV * D);                           /* [B][KV*D] */

  for (guint i = 0; i < n; i++)
    {
      double position = (double) (p0 + i) * position_scale;

      for (guint h = 0; h < H; h++)
        {
          float *q = s->q + ((gsize) i * H + h) * D;                          /* [D] */
          lb_ref_rmsnorm (q, q, w->q_norm, D, c->rms_eps);
          lb_ref_rope_neox (q, D, position, rope_base);
          for (guint j = 0; j < D; j++)
            q[j] *= c->attn_scale;
        }
      for (guint g = 0; g < KV; g++)
        {
          float *k = s->k + ((gsize) i * KV + g) * D;                         /* [D] */
          lb_ref_rmsnorm (k, k, w->k_norm, D, c->rms_eps);
          lb_ref_rope_neox (k, D, position, rope_base);
        }
      /* The whole batch is in the cache before any query reads it: an
       * image's positions see the later ones. */
      memcpy (key_cache + (gsize) (p0 + i) * KV * D, s->k + (gsize) i * KV * D, KV * D * sizeof (float));
      memcpy (value_cache + (gsize) (p0 + i) * KV * D, s->v + (gsize) i * KV * D, KV * D * sizeof (float));
    }

  for (guint i = 0; i < n; i++)
    for (guint h = 0; h < H; h++)
      attend (model, l, global, p0 + i, h, p0 + n,
              s->q + ((gsize) i * H + h) * D, s->att_out + ((gsize) i * H + h) * D);

  lb_ref_matmul (s->xb2, s->att_out, w->wo, n, H * D, E);                     /* [B][E] */
  for (guint i = 0; i < n; i++)
    {
      lb_ref_rmsnorm (s->xb2 + i * E, s->xb2 + i * E, w->post_attn_norm, E, c->rms_eps);
      for (guint j = 0; j < E; j++)
        s->x[i * E + j] += s->xb2[i * E + j];
    }
}

/* x += rmsnorm(Wdown (gelu_tanh(Wgate h) * Wup h)) * post_ffw_norm,
 * h = rmsnorm(x) * ffn_norm. */
static void
ffn_block (LbRefText *model, guint l, guint n)
{
  const LbTextConfig *c = &model->config;
  const TextLayer *w = &model->weights.layers[l];
  TextState *s = &model->state;
  guint E = c->n_embd, F = c->n_ff;

  for (guint i = 0; i < n; i++)
    lb_ref_rmsnorm (s->xb + i * E, s->x + i * E, w->ffn_norm, E, c->rms_eps);    /* [B][E] */
  lb_ref_matmul (s->hb, s->xb, w->w_gate, n, E, F);                           /* [B][F] */
  lb_ref_matmul (s->hb2, s->xb, w->w_up, n, E, F);                            /* [B][F] */
  lb_ref_gelu_tanh (s->hb, n * F);
  for (gsize j = 0; j < (gsize) n * F; j++)
    s->hb[j] *= s->hb2[j];
  lb_ref_matmul (s->xb2, s->hb, w->w_down, n, F, E);                          /* [B][E] */
  for (guint i = 0; i < n; i++)
    {
      lb_ref_rmsnorm (s->xb2 + i * E, s->xb2 + i * E, w->post_ffw_norm, E, c->rms_eps);
      for (guint j = 0; j < E; j++)
        s->x[i * E + j] += s->xb2[i * E + j];
    }
}

/* logits = W_out · (rmsnorm(x) * output_norm), with the optional soft cap. */
static void
output_head (LbRefText *model, const float *x)
{
  const LbTextConfig *c = &model->config;
  TextState *s = &model->state;

  lb_ref_rmsnorm (s->xb, x, model->weights.output_norm, c->n_embd, c->rms_eps);   /* [E] */
  lb_ref_matmul (s->logits, s->xb, model->weights.output, 1, c->n_embd, c->n_vocab); /* [V] */
  if (c->final_logit_softcap > 0.0f)
    for (guint i = 0; i < c->n_vocab; i++)
      s->logits[i] = c->final_logit_softcap * tanhf (s->logits[i] / c->final_logit_softcap);
}

/* Runs the n positions whose inputs are in state.x through every layer.
 * span: the image id of these positions (0 for text). */
static const float *
forward (LbRefText *model, guint n, guint32 span)
{
  TextState *s = &model->state;
  guint p0 = s->n_past;

  for (guint i = 0; i < n; i++)
    s->span[p0 + i] = span;
  for (guint l = 0; l < model->config.n_layer; l++)
    {
      attention_block (model, l, p0, n);
      ffn_block (model, l, n);
    }
  s->n_past += n;
  output_head (model, s->x + (gsize) (n - 1) * model->config.n_embd);
  return s->logits;
}

static gboolean
check_room (const LbRefText *model, guint n, GError **error)
{
  if (n > model->capacity - model->state.n_past)
    {
      g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_CONTEXT,
                   "%u more positions do not fit: %u of %u are in use",
                   n, model->state.n_past, model->capacity);
      return FALSE;
    }
  return TRUE;
}

const float *
lb_ref_text_forward_tokens (LbRefText *model, const gint32 *tokens, guint n, GError **error)
{
  const LbTextConfig *c = &model->config;
  float embedding_scale = sqrtf ((float) c->n_embd);

  g_return_val_if_fail (model != NULL && tokens != NULL && n > 0, NULL);

  if (!check_room (model, n, error))
    return NULL;
  for (guint i = 0; i < n; i++)
    if (tokens[i] < 0 || (guint32) tokens[i] >= c->n_vocab)
      {
        g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_INVALID,
                     "token %d is outside the vocabulary of %u", tokens[i], c->n_vocab);
        return NULL;
      }

  for (guint start = 0; start < n; start += TEXT_CHUNK)
    {
      guint chunk = MIN (TEXT_CHUNK, n - start);

      reserve_batch (model, chunk);
      /* x = embd[token] * sqrt(E) */
      for (guint i = 0; i < chunk; i++)
        {
          const float *row = model->weights.token_embd + (gsize) tokens[start + i] * c->n_embd;
          for (guint j = 0; j < c->n_embd; j++)
            model->state.x[(gsize) i * c->n_embd + j] = row[j] * embedding_scale;
        }
      forward (model, chunk, 0);
    }
  return model->state.logits;
}

const float *
lb_ref_text_forward_image (LbRefText *model, const float *embeddings, guint n, GError **error)
{
  g_return_val_if_fail (model != NULL && embeddings != NULL, NULL);
  g_return_val_if_fail (n > 0, NULL);

  if (!check_room (model, n, error))
    return NULL;
  reserve_batch (model, n);
  /* Image positions take the projector's output as is. */
  memcpy (model->state.x, embeddings, (gsize) n * model->config.n_embd * sizeof (float));
  return forward (model, n, ++model->state.n_spans);
}

const float *
lb_ref_text_logits (const LbRefText *model)
{
  return model->state.logits;
}

const float *
lb_ref_text_last_attention (const LbRefText *model, guint layer, guint head)
{
  g_return_val_if_fail (layer < model->config.n_layer && head < model->config.n_head, NULL);
  return model->state.last_attention + ((gsize) layer * model->config.n_head + head) * model->capacity;
}

void
lb_ref_text_attention_over (const LbRefText *model, const guint *layers, guint n_layers,
                            guint first, guint n, float *out)
{
  guint H = model->config.n_head;

  g_return_if_fail (first + n <= model->state.n_past);
  g_return_if_fail (n_layers > 0);

  memset (out, 0, n * sizeof (float));
  for (guint li = 0; li < n_layers; li++)
    for (guint h = 0; h < H; h++)
      {
        const float *attention = lb_ref_text_last_attention (model, layers[li], h);
        for (guint i = 0; i < n; i++)
          out[i] += attention[first + i];
      }
  for (guint i = 0; i < n; i++)
    out[i] /= (float) (n_layers * H);
}
