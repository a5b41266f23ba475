/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vk/vk-reference.h"

float
lb_vk_ref_gelu_tanh (float x)
{
  double u = sqrt (2.0 / G_PI) * (x + 0.044715 * (double) x * x * x);
  return (float) (0.5 * x * (1.0 + tanh (u)));
}

void
lb_vk_ref_rmsnorm (const float *x, const float *w, float *y, gsize rows, gsize cols, float eps)
{
  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      double ss = 0;
      double inv;

      for (gsize i = 0; i < cols; i++)
        ss += (double) xr[i] * xr[i];
      inv = 1.0 / sqrt (ss / cols + eps);
      for (gsize i = 0; i < cols; i++)
        y[r * cols + i] = (float) (xr[i] * inv * (w != NULL ? w[i] : 1.0f));
    }
}

void
lb_vk_ref_layernorm (const float *x, const float *w, const float *b, float *y, gsize rows, gsize cols, float eps)
{
  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      double mean = 0, var = 0, inv;

      for (gsize i = 0; i < cols; i++)
        mean += xr[i];
      mean /= cols;
      for (gsize i = 0; i < cols; i++)
        var += (xr[i] - mean) * (xr[i] - mean);
      inv = 1.0 / sqrt (var / cols + eps);
      for (gsize i = 0; i < cols; i++)
        y[r * cols + i] = (float) ((xr[i] - mean) * inv * w[i] + b[i]);
    }
}

void
lb_vk_ref_softmax (const float *x, float *y, gsize rows, gsize cols, float scale)
{
  for (gsize r = 0; r < rows; r++)
    {
      const float *xr = x + r * cols;
      double m = -INFINITY, sum = 0;

      for (gsize i = 0; i < cols; i++)
        m = MAX (m, (double) xr[i] * scale);
      for (gsize i = 0; i < cols; i++)
        sum += exp ((double) xr[i] * scale - m);
      for (gsize i = 0; i < cols; i++)
        y[r * cols + i] = (float) (exp ((double) xr[i] * scale - m) / sum);
    }
}

void
lb_vk_ref_rope_neox (float *x, gsize n_tok, gsize n_heads, gsize head_dim, const gint32 *positions, float base,
                     float scale_factor)
{
  gsize half = head_dim / 2;
  double factor = scale_factor > 0 ? scale_factor : 1.0;

  for (gsize t = 0; t < n_tok; t++)
    for (gsize h = 0; h < n_heads; h++)
      {
        float *row = x + (t * n_heads + h) * head_dim;

        for (gsize i = 0; i < half; i++)
          {
            double theta = positions[t] / factor * pow (base, -2.0 * (double) i / (double) head_dim);
            double c = cos (theta), s = sin (theta);
            double a = row[i], b = row[i + half];

            row[i] = (float) (a * c - b * s);
            row[i + half] = (float) (a * s + b * c);
          }
      }
}

static gboolean
ref_visible (const LbVkRefAttention *a, gsize qi, gsize slot)
{
  gint32 pk, pq, limit;

  if (!a->causal)
    return TRUE;
  pk = a->key_positions[slot];
  pq = a->query_info[2 * qi];
  limit = a->query_info[2 * qi + 1];
  return pk >= 0 && pk < limit && (a->window == 0 || (gint64) pq - pk < (gint64) a->window);
}

void
lb_vk_ref_attention (const LbVkRefAttention *a)
{
  gsize d = a->head_dim, group = a->n_heads / a->n_kv_heads;
  g_autofree double *scores = g_new (double, MAX (a->n_kv, 1));

  for (gsize qi = 0; qi < a->n_q; qi++)
    for (gsize h = 0; h < a->n_heads; h++)
      {
        const float *q = a->q + (qi * a->n_heads + h) * d;
        gsize g = h / group;
        double m = -INFINITY, sum = 0;
        float *out = a->out + (qi * a->n_heads + h) * d;

        for (gsize j = 0; j < a->n_kv; j++)
          {
            const float *k = a->k + (j * a->n_kv_heads + g) * d;
            double dot = 0;

            if (!ref_visible (a, qi, j))
              {
                scores[j] = -INFINITY;
                continue;
              }
            for (gsize i = 0; i < d; i++)
              dot += (double) q[i] * k[i];
            scores[j] = dot * a->scale;
            m = MAX (m, scores[j]);
          }
        for (gsize j = 0; j < a->n_kv; j++)
          {
            scores[j] = isinf (scores[j]) ? 0 : exp (scores[j] - m);
            sum += scores[j];
          }
        for (gsize i = 0; i < d; i++)
          {
            double acc = 0;

            for (gsize j = 0; j < a->n_kv; j++)
              acc += scores[j] * a->v[(j * a->n_kv_heads + g) * d + i];
            out[i] = sum > 0 ? (float) (acc / sum) : 0.0f;
          }
        if (a->weights != NULL && a->span_len > 0)
          for (gsize j = 0; j < a->n_kv; j++)
            {
              gint64 pk = a->causal ? a->key_positions[j] : (gint64) j;

              if (pk >= a->span_begin && pk < (gint64) a->span_begin + a->span_len)
                a->weights[(qi * a->n_heads + h) * a->span_len + (gsize) (pk - a->span_begin)] =
                  sum > 0 ? (float) (scores[j] / sum) : 0.0f;
            }
      }
}

void
lb_vk_ref_top_k (const float *values, gsize n, gsize k, float *out_values, guint32 *out_indices)
{
  g_autofree guint8 *taken = g_new0 (guint8, MAX (n, 1));

  for (gsize r = 0; r < k; r++)
    {
      gsize best = G_MAXSIZE;

      /* NaN ranks as -inf (as the kernel does): compare through a copy. */
      float best_value = -INFINITY;
      for (gsize i = 0; i < n; i++)
        {
          float v = isnan (values[i]) ? -INFINITY : values[i];
          if (!taken[i] && (best == G_MAXSIZE || v > best_value))
            {
              best = i;
              best_value = v;
            }
        }
      if (best == G_MAXSIZE)
        {
          out_values[r] = -INFINITY;
          out_indices[r] = G_MAXUINT32;
          continue;
        }
      taken[best] = 1;
      out_values[r] = values[best];
      out_indices[r] = (guint32) best;
    }
}

void
lb_vk_ref_avg_pool (const float *in, gsize grid_w, gsize grid_h, gsize channels, gsize k, float *out)
{
  gsize out_w = grid_w / k, out_h = grid_h / k;

  for (gsize oy = 0; oy < out_h; oy++)
    for (gsize ox = 0; ox < out_w; ox++)
      for (gsize c = 0; c < channels; c++)
        {
          double sum = 0;

          for (gsize dy = 0; dy < k; dy++)
            for (gsize dx = 0; dx < k; dx++)
              sum += in[((oy * k + dy) * grid_w + ox * k + dx) * channels + c];
          out[(oy * out_w + ox) * channels + c] = (float) (sum / (double) (k * k));
        }
}

void
lb_vk_ref_patch_embed (const float *image, gsize channels, gsize height, gsize width, gsize patch,
                       const float *weight, const float *bias, gsize n_out, float *out)
{
  gsize pw = width / patch, ph = height / patch;

  for (gsize py = 0; py < ph; py++)
    for (gsize px = 0; px < pw; px++)
      for (gsize o = 0; o < n_out; o++)
        {
          double acc = bias != NULL ? bias[o] : 0;

          for (gsize c = 0; c < channels; c++)
            for (gsize y = 0; y < patch; y++)
              for (gsize x = 0; x < patch; x++)
                acc += (double) weight[((o * channels + c) * patch + y) * patch + x]
                       * image[(c * height + py * patch + y) * width + px * patch + x];
          out[(py * pw + px) * n_out + o] = (float) acc;
        }
}
