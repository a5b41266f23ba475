/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The load-time self-test: the first text layer on a few positions, and
 * the first vision block on a few patches, run with the real kernels on
 * the chosen device and in plain C (src/ref's kernels, the weights
 * dequantized a row at a time, so even the 4B model needs little memory).
 * Some drivers give nonsense on some models; this catches it before a
 * user reads a report made of it.
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>
#include <string.h>

#include "engine/engine-vulkan.h"
#include "ref/ref-ops.h"

/* Positions of the text check, patches of the vision check. */
#define TEXT_POSITIONS 5
#define VISION_PATCHES 16
/* Largest difference accepted, relative to the largest value: float
 * rounding, F16 keys and values and another summation order stay far
 * below it; a broken kernel is far above. */
#define MAX_RELATIVE_ERROR 0.02

/* out[t][r] = sum_k W[r][k] x[t][k] (+ bias[r]) with W dequantized by
 * row ranges, over threads. */
typedef struct {
  const LbGgufTensor *w;
  const float *bias;
  const float *x;            /* [n][cols] */
  float *out;                /* [n][rows] */
  guint n, cols, rows;
} RowProduct;

static void
row_product_range (guint begin, guint end, gpointer data)
{
  const RowProduct *p = data;
  g_autofree float *row = g_new (float, p->cols);

  for (guint r = begin; r < end; r++)
    {
      lb_gguf_tensor_rows_to_float (p->w, r, 1, row);
      for (guint t = 0; t < p->n; t++)
        {
          const float *x = p->x + (gsize) t * p->cols;
          double sum = 0;
          for (guint k = 0; k < p->cols; k++)
            sum += (double) row[k] * x[k];
          p->out[(gsize) t * p->rows + r] = (float) sum + (p->bias != NULL ? p->bias[r] : 0.0f);
        }
    }
}

static void
product (const LbGguf *gguf, const char *name, const float *bias, const float *x, guint n, float *out)
{
  const LbGgufTensor *w = lb_gguf_find_tensor (gguf, name);
  RowProduct p = { w, bias, x, out, n, (guint) w->ne[0], (guint) (w->n_elements / w->ne[0]) };

  lb_ref_parallel_for (p.rows, row_product_range, &p);
}

static float *
tensor_floats (const LbGguf *gguf, const char *name)
{
  const LbGgufTensor *t = lb_gguf_find_tensor (gguf, name);
  float *out = g_new (float, t->n_elements);

  lb_gguf_tensor_rows_to_float (t, 0, t->n_elements / t->ne[0], out);
  return out;
}

/* Largest |a - b| over the largest |b|. */
static double
relative_error (const float *a, const float *b, gsize n)
{
  double worst = 0, scale = 1e-6;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - b[i]);
      if (!(d <= worst))           /* NaN counts as the worst */
        worst = isnan (d) ? INFINITY : d;
      scale = MAX (scale, fabs (b[i]));
    }
  return worst / scale;
}

/* Text layer 0 on the CPU: x [n][E] in, x after the layer out. */
static void
text_layer_cpu (const LbBackendModel *m, const LbGguf *gguf, float *x, guint n)
{
  const LbTextConfig *c = &m->text;
  guint E = c->n_embd, H = c->n_head, KV = c->n_head_kv, D = c->head_dim, F = c->n_ff;
  gboolean global = lb_text_layer_is_global (c, 0);
  float base = global ? c->rope_base : c->rope_base_swa;
  double pos_scale = global ? 1.0 / c->rope_scale : 1.0;
  g_autofree float *attn_norm = tensor_floats (gguf, "blk.0.attn_norm.weight");
  g_autofree float *q_norm = tensor_floats (gguf, "blk.0.attn_q_norm.weight");
  g_autofree float *k_norm = tensor_floats (gguf, "blk.0.attn_k_norm.weight");
  g_autofree float *post_attn = tensor_floats (gguf, "blk.0.post_attention_norm.weight");
  g_autofree float *ffn_norm = tensor_floats (gguf, "blk.0.ffn_norm.weight");
  g_autofree float *post_ffw = tensor_floats (gguf, "blk.0.post_ffw_norm.weight");
  g_autofree float *h = g_new (float, (gsize) n * E);
  g_autofree float *q = g_new (float, (gsize) n * H * D);
  g_autofree float *k = g_new (float, (gsize) n * KV * D);
  g_autofree float *v = g_new (float, (gsize) n * KV * D);
  g_autofree float *att = g_new0 (float, (gsize) n * H * D);
  g_autofree float *o = g_new (float, (gsize) n * E);
  g_autofree float *gate = g_new (float, (gsize) n * F);
  g_autofree float *up = g_new (float, (gsize) n * F);
  g_autofree float *scores = g_new (float, n);

  for (guint t = 0; t < n; t++)
    lb_ref_rmsnorm (h + t * E, x + t * E, attn_norm, E, c->rms_eps);
  product (gguf, "blk.0.attn_q.weight", NULL, h, n, q);
  product (gguf, "blk.0.attn_k.weight", NULL, h, n, k);
  product (gguf, "blk.0.attn_v.weight", NULL, h, n, v);
  for (guint t = 0; t < n; t++)
    {
      for (guint i = 0; i < H; i++)
        {
          float *qh = q + ((gsize) t * H + i) * D;
          lb_ref_rmsnorm (qh, qh, q_norm, D, c->rms_eps);
          lb_ref_rope_neox (qh, D, t * pos_scale, base);
        }
      for (guint i = 0; i < KV; i++)
        {
          float *kh = k + ((gsize) t * KV + i) * D;
          lb_ref_rmsnorm (kh, kh, k_norm, D, c->rms_eps);
          lb_ref_rope_neox (kh, D, t * pos_scale, base);
        }
    }
  /* Causal; the window (at least 1 key) may drop early keys on local layers. */
  for (guint t = 0; t < n; t++)
    for (guint i = 0; i < H; i++)
      {
        guint g = i / (H / KV);
        const float *qh = q + ((gsize) t * H + i) * D;
        for (guint s = 0; s <= t; s++)
          {
            const float *kh = k + ((gsize) s * KV + g) * D;
            float dot = 0;
            if (!global && t - s >= c->sliding_window)
              {
                scores[s] = -INFINITY;
                continue;
              }
            for (guint d = 0; d < D; d++)
              dot += qh[d] * kh[d];
            scores[s] = dot * c->attn_scale;
          }
        lb_ref_softmax (scores, t + 1);
        for (guint s = 0; s <= t; s++)
          for (guint d = 0; d < D; d++)
            att[((gsize) t * H + i) * D + d] += scores[s] * v[((gsize) s * KV + g) * D + d];
      }
  product (gguf, "blk.0.attn_output.weight", NULL, att, n, o);
  for (guint t = 0; t < n; t++)
    {
      lb_ref_rmsnorm (o + t * E, o + t * E, post_attn, E, c->rms_eps);
      for (guint j = 0; j < E; j++)
        x[t * E + j] += o[t * E + j];
      lb_ref_rmsnorm (h + t * E, x + t * E, ffn_norm, E, c->rms_eps);
    }
  product (gguf, "blk.0.ffn_gate.weight", NULL, h, n, gate);
  product (gguf, "blk.0.ffn_up.weight", NULL, h, n, up);
  lb_ref_gelu_tanh (gate, n * F);
  for (gsize j = 0; j < (gsize) n * F; j++)
    gate[j] *= up[j];
  product (gguf, "blk.0.ffn_down.weight", NULL, gate, n, o);
  for (guint t = 0; t < n; t++)
    {
      lb_ref_rmsnorm (o + t * E, o + t * E, post_ffw, E, c->rms_eps);
      for (guint j = 0; j < E; j++)
        x[t * E + j] += o[t * E + j];
    }
}

static gboolean
text_check (LbBackendModel *m, const LbGguf *gguf, double *out_error, GError **error)
{
  const LbTextConfig *c = &m->text;
  guint E = c->n_embd, n = MIN (TEXT_POSITIONS, m->batch);
  const LbGgufTensor *embd = lb_gguf_find_tensor (gguf, "token_embd.weight");
  g_autofree float *x = g_new (float, (gsize) n * E);
  g_autofree float *gpu = g_new (float, (gsize) n * E);
  gint32 ids[TEXT_POSITIONS];
  LbBackendState *s;
  gboolean ok;

  for (guint t = 0; t < n; t++)
    {
      ids[t] = (gint32) ((t * 7919u + 2) % c->n_vocab);
      lb_gguf_tensor_rows_to_float (embd, (guint64) ids[t], 1, x + (gsize) t * E);
      for (guint j = 0; j < E; j++)
        x[(gsize) t * E + j] *= sqrtf ((float) E);
    }

  s = lb_backend_vulkan.new_state (m, MAX (n, 8), error);
  if (s == NULL)
    return FALSE;
  {
    VkTextPass pass = { .n = n, .embed = TRUE, .layer_begin = 0, .layer_end = 1, .kv_bound = n };
    lb_vk_text_write_inputs (m, ids, n, 0, 0, 0);
    ok = lb_vk_commands_begin (m->cmds, error) &&
         lb_vk_text_record (m, s, m->cmds, &pass, error) &&
         lb_vk_commands_run (m->cmds, error) &&
         lb_vk_buffer_read (m->ts.x, 0, gpu, (VkDeviceSize) n * E * 4, error);
  }
  lb_backend_vulkan.free_state (s);
  if (!ok)
    return FALSE;

  text_layer_cpu (m, gguf, x, n);
  *out_error = relative_error (gpu, x, (gsize) n * E);
  return TRUE;
}

static void
linear_cpu (const LbGguf *gguf, const char *weight, const char *bias_name, const float *x, guint n,
            float *out)
{
  g_autofree float *bias = tensor_floats (gguf, bias_name);
  product (gguf, weight, bias, x, n, out);
}

/* Vision block 0 on N patches on the CPU: x [N][VE] in and out. */
static void
vision_block_cpu (const LbBackendModel *m, const LbGguf *gguf, float *x, guint N)
{
  const LbVisionConfig *v = &m->vision;
  guint VE = v->n_embd, VF = v->n_ff, VH = v->n_head, HD = VE / VH;
  g_autofree float *ln1_w = tensor_floats (gguf, "v.blk.0.ln1.weight");
  g_autofree float *ln1_b = tensor_floats (gguf, "v.blk.0.ln1.bias");
  g_autofree float *ln2_w = tensor_floats (gguf, "v.blk.0.ln2.weight");
  g_autofree float *ln2_b = tensor_floats (gguf, "v.blk.0.ln2.bias");
  g_autofree float *h = g_new (float, (gsize) N * VE);
  g_autofree float *q = g_new (float, (gsize) N * VE);
  g_autofree float *k = g_new (float, (gsize) N * VE);
  g_autofree float *val = g_new (float, (gsize) N * VE);
  g_autofree float *att = g_new0 (float, (gsize) N * VE);
  g_autofree float *up = g_new (float, (gsize) N * VF);
  g_autofree float *scores = g_new (float, N);

  for (guint t = 0; t < N; t++)
    lb_ref_layernorm (h + t * VE, x + t * VE, ln1_w, ln1_b, VE, v->layer_norm_eps);
  linear_cpu (gguf, "v.blk.0.attn_q.weight", "v.blk.0.attn_q.bias", h, N, q);
  linear_cpu (gguf, "v.blk.0.attn_k.weight", "v.blk.0.attn_k.bias", h, N, k);
  linear_cpu (gguf, "v.blk.0.attn_v.weight", "v.blk.0.attn_v.bias", h, N, val);
  for (guint t = 0; t < N; t++)
    for (guint i = 0; i < VH; i++)
      {
        for (guint s = 0; s < N; s++)
          {
            float dot = 0;
            for (guint d = 0; d < HD; d++)
              dot += q[t * VE + i * HD + d] * k[s * VE + i * HD + d];
            scores[s] = dot / sqrtf ((float) HD);
          }
        lb_ref_softmax (scores, N);
        for (guint s = 0; s < N; s++)
          for (guint d = 0; d < HD; d++)
            att[t * VE + i * HD + d] += scores[s] * val[s * VE + i * HD + d];
      }
  linear_cpu (gguf, "v.blk.0.attn_out.weight", "v.blk.0.attn_out.bias", att, N, h);
  for (gsize j = 0; j < (gsize) N * VE; j++)
    x[j] += h[j];
  for (guint t = 0; t < N; t++)
    lb_ref_layernorm (h + t * VE, x + t * VE, ln2_w, ln2_b, VE, v->layer_norm_eps);
  linear_cpu (gguf, "v.blk.0.ffn_up.weight", "v.blk.0.ffn_up.bias", h, N, up);
  lb_ref_gelu_tanh (up, N * VF);
  linear_cpu (gguf, "v.blk.0.ffn_down.weight", "v.blk.0.ffn_down.bias", up, N, h);
  for (gsize j = 0; j < (gsize) N * VE; j++)
    x[j] += h[j];
}

static gboolean
vision_check (LbBackendModel *m, const LbGguf *gguf, double *out_error, GError **error)
{
  const LbVisionConfig *v = &m->vision;
  guint VE = v->n_embd, N = MIN (VISION_PATCHES, v->n_patches_side * v->n_patches_side);
  g_autofree float *x = g_new (float, (gsize) N * VE);
  g_autofree float *gpu = g_new (float, (gsize) N * VE);
  g_autofree gint32 *positions = g_new (gint32, N);
  GRand *rand = g_rand_new_with_seed (1234);

  /* Inputs shaped like a patch embedding: unit-scale values. */
  for (gsize j = 0; j < (gsize) N * VE; j++)
    x[j] = (float) g_rand_double_range (rand, -1.0, 1.0);
  g_rand_free (rand);
  for (guint i = 0; i < N; i++)
    positions[i] = (gint32) i;

  if (!lb_vk_buffer_write (m->vs.x, 0, x, (VkDeviceSize) N * VE * 4, error) ||
      !lb_vk_buffer_write (m->vs.positions, 0, positions, (VkDeviceSize) N * 4, error) ||
      !lb_vk_commands_begin (m->cmds, error) ||
      !lb_vk_vision_record_block (m, m->cmds, &m->vlayers[0], N, error) ||
      !lb_vk_commands_run (m->cmds, error) ||
      !lb_vk_buffer_read (m->vs.x, 0, gpu, (VkDeviceSize) N * VE * 4, error))
    return FALSE;
  vision_block_cpu (m, gguf, x, N);
  *out_error = relative_error (gpu, x, (gsize) N * VE);
  return TRUE;
}

gboolean
lb_vk_self_test (LbBackendModel *m, const LbGguf *text_gguf, const LbGguf *vision_gguf,
                 double *out_max_error, GError **error)
{
  double text_error = 0, vision_error = 0;

  if (!text_check (m, text_gguf, &text_error, error))
    return FALSE;
  if (m->has_vision && vision_gguf != NULL && !vision_check (m, vision_gguf, &vision_error, error))
    return FALSE;
  *out_max_error = MAX (text_error, vision_error);
  g_debug ("self-test on %s: text layer 0 within %.2g, vision block 0 within %.2g of the CPU",
           m->ctx->info.name, text_error, vision_error);
  if (text_error > MAX_RELATIVE_ERROR || vision_error > MAX_RELATIVE_ERROR)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_SELF_TEST,
                   "the GPU “%s” (driver %s) computes wrong results for this model: its %s "
                   "differs from the CPU reference by %.0f%% (at most %.0f%% is rounding). Its output "
                   "would be nonsense; choose another device (LIGHTBOX_VK_DEVICE) or the CPU backend",
                   m->ctx->info.name, m->ctx->info.driver_name,
                   text_error > MAX_RELATIVE_ERROR ? "first text layer" : "first vision block",
                   100 * MAX (text_error, vision_error), 100 * MAX_RELATIVE_ERROR);
      return FALSE;
    }
  return TRUE;
}
