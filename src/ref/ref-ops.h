/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The small kernels of the reference forward pass (DESIGN §2, §4): plain
 * loops over float32 arrays, written to be read and to be the oracle for
 * the Vulkan shaders. Sums over a row accumulate in double where the
 * reference implementation does too (norms); dot products in float.
 *
 * Matrices follow GGUF: a weight of ne = [n_in, n_out] is n_out rows of
 * n_in floats, and y = W x means y[o] = sum_i W[o][i] x[i].
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_REF_ERROR (lb_ref_error_quark ())
GQuark lb_ref_error_quark (void);

typedef enum {
  LB_REF_ERROR_CONTEXT,  /* more positions than the context (or the cache) holds */
  LB_REF_ERROR_INVALID,  /* a token id outside the vocabulary, a wrong image size */
  LB_REF_ERROR_MEMORY,   /* the dequantized weights do not fit in memory */
} LbRefError;

/* out[t][o] = sum_i w[o][i] * x[t][i] for n_tokens rows of x.
 * w: [n_out][n_in], x: [n_tokens][n_in], out: [n_tokens][n_out].
 * Large products are split over threads by rows of w. */
void lb_ref_matmul (float *out, const float *x, const float *w,
                    guint n_tokens, guint n_in, guint n_out);

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]; weight may be NULL (1).
 * out may equal x. */
void lb_ref_rmsnorm (float *out, const float *x, const float *weight, guint n, float eps);

/* out[i] = (x[i] - mean) / sqrt(var + eps) * weight[i] + bias[i]. out may equal x. */
void lb_ref_layernorm (float *out, const float *x, const float *weight, const float *bias,
                       guint n, float eps);

/* GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). In place. */
void lb_ref_gelu_tanh (float *x, guint n);

/* In-place softmax over n values (max subtracted first). */
void lb_ref_softmax (float *x, guint n);

/* Rotates one head of D values in the NEOX layout: pairs (i, i + D/2),
 * angle position * base^(-2i/D). position may be fractional (linear
 * scaling divides it). */
void lb_ref_rope_neox (float *head, guint head_dim, double position, float base);

/* Runs func (begin, end, data) over [0, n) split in chunks, on up to
 * g_get_num_processors () threads; returns when all are done. */
typedef void (*LbRefRangeFunc) (guint begin, guint end, gpointer data);
void lb_ref_parallel_for (guint n, LbRefRangeFunc func, gpointer data);

G_END_DECLS
