/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain-C references for the kernels of src/vk, written for clarity (loops
 * over float arrays, double accumulators where it is free): the tests
 * compare every shader with these. They share nothing with the shaders and
 * nothing with src/ref (the whole-model oracle), so each checks the others.
 * Layouts are the contiguous ones the kernels default to.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

float lb_vk_ref_gelu_tanh (float x);

/* y[r] = x[r] / sqrt(mean(x[r]²) + eps) * w (w may be NULL). */
void lb_vk_ref_rmsnorm (const float *x, const float *w, float *y, gsize rows, gsize cols, float eps);

/* y[r] = (x[r] - mean) / sqrt(var + eps) * w + b. */
void lb_vk_ref_layernorm (const float *x, const float *w, const float *b, float *y, gsize rows, gsize cols,
                          float eps);

/* y[r] = softmax(x[r] * scale). */
void lb_vk_ref_softmax (const float *x, float *y, gsize rows, gsize cols, float scale);

/* NEOX rope in place on x [n_tok][n_heads][head_dim]: pair (i, i + D/2) of
 * token t rotates by positions[t] / scale_factor × base^(-2i/D). */
void lb_vk_ref_rope_neox (float *x, gsize n_tok, gsize n_heads, gsize head_dim, const gint32 *positions,
                          float base, float scale_factor);

/* Attention over a cache of n_kv slots (see vk-ops-attention.h for the
 * visibility rule). k, v: [n_kv][n_kv_heads][head_dim] floats (already
 * rounded to F16 by the caller); q, out: [n_q][n_heads][head_dim]; weights
 * [n_q][n_heads][span_len] or NULL. Queries that see no key give zeros. */
typedef struct {
  const float *q, *k, *v;
  const gint32 *key_positions;   /* [n_kv] (causal) */
  const gint32 *query_info;      /* [n_q][2] (causal) */
  float *out;
  float *weights;
  gsize n_q, n_kv, n_heads, n_kv_heads, head_dim;
  float scale;
  gboolean causal;
  guint32 window;
  gint32 span_begin;
  guint32 span_len;
} LbVkRefAttention;

void lb_vk_ref_attention (const LbVkRefAttention *a);

/* The k largest of values[0..n) in descending order, ties by lower index;
 * NaN ranks as -inf (and is reported as the NaN it is). */
void lb_vk_ref_top_k (const float *values, gsize n, gsize k, float *out_values, guint32 *out_indices);

/* in: [grid_h * grid_w][channels] row-major tokens; out: [(grid_h/k) * (grid_w/k)][channels]. */
void lb_vk_ref_avg_pool (const float *in, gsize grid_w, gsize grid_h, gsize channels, gsize k, float *out);

/* Convolution with stride = kernel = patch: image [channels][height][width],
 * weight [n_out][channels][patch][patch], bias [n_out] (or NULL);
 * out [(height/patch) * (width/patch)][n_out], patches row-major. */
void lb_vk_ref_patch_embed (const float *image, gsize channels, gsize height, gsize width, gsize patch,
                            const float *weight, const float *bias, gsize n_out, float *out);

G_END_DECLS
