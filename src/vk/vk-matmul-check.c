/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The on-device check of a matrix kernel against the scalar tiled kernel
 * (vk-matmul.h: lb_vk_matmul_check_kernel). vk-matmul.c runs it before the
 * first tiled product of each weight layout uses cooperative matrices, so
 * that a kernel which has never run on that device (or driver) cannot
 * silently produce wrong numbers.
 *
 * Threading: the context's thread; it submits on the context's queue and
 * waits.
 */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <math.h>
#include <string.h>

#include "model/quantize.h"
#include "vk/vk-matmul.h"

/* Rows and vectors of the check: two row tiles and two vector tiles of the
 * 64 × 64 cooperative-matrix kernel, both partial. */
#define CHECK_ROWS 80
#define CHECK_N 72

/* The largest |gelu_tanh'(x)| (at x ≈ ±2.4), rounded up. */
#define GELU_SLOPE 1.13

typedef struct {
  guint32 cols;
  float *w[2];          /* [CHECK_ROWS][cols]: gate (also the plain product's weight) and up, dequantized */
  float *bias[2];       /* [CHECK_ROWS] */
  float *x;             /* [CHECK_N][cols] */
  guint8 *blocks[2];    /* the weights in the type's blocks */
} CheckData;

static void
check_data_clear (CheckData *d)
{
  for (guint i = 0; i < 2; i++)
    {
      g_free (d->w[i]);
      g_free (d->bias[i]);
      g_free (d->blocks[i]);
    }
  g_free (d->x);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CheckData, check_data_clear)

/* The tolerance of one product output (vk-matmul.h) and its magnitude
 * bound sum_k |W[r][k] x[c][k]| + |bias[r]|. */
static void
product_bounds (const CheckData *d, guint w, guint32 r, guint32 c, double *tolerance, double *magnitude)
{
  const float *wr = d->w[w] + (gsize) r * d->cols, *xc = d->x + (gsize) c * d->cols;
  double mag = fabs (d->bias[w][r]), sum_w = 0, sum_x = 0;

  for (guint32 k = 0; k < d->cols; k++)
    {
      mag += fabs ((double) wr[k] * xc[k]);
      sum_w += fabs (wr[k]);
      sum_x += fabs (xc[k]);
    }
  *magnitude = mag;
  *tolerance = 2e-3 * mag + ldexp (sum_w + sum_x, -24) + 1e-6;
}

static void
note_worst (LbVkMatmulCheck *result, double ratio, const char *what, guint32 c, guint32 r)
{
  if (ratio > result->worst)
    {
      result->worst = ratio;
      g_snprintf (result->where, sizeof result->where, "%s y[%u][%u]", what, c, r);
    }
}

/* Random weights of the type (rows scaled differently), quantized and
 * dequantized back: the kernels read the blocks, the bounds the values. */
static guint8 *
random_weights (GRand *rand, LbTensorType type, guint32 cols, float **out_values, gsize *out_bytes)
{
  gsize n = (gsize) CHECK_ROWS * cols;
  g_autofree float *values = g_new (float, n);
  guint8 *blocks = g_malloc (lb_tensor_type_bytes (type, n));

  for (guint32 r = 0; r < CHECK_ROWS; r++)
    {
      double scale = g_rand_double_range (rand, 0.25, 2.0);
      for (guint32 k = 0; k < cols; k++)
        values[(gsize) r * cols + k] = (float) (scale * g_rand_double_range (rand, -1.0, 1.0));
    }
  lb_quantize (type, values, blocks, n);
  *out_values = g_new (float, n);
  lb_dequantize (type, blocks, *out_values, n);
  *out_bytes = lb_tensor_type_bytes (type, n);
  return blocks;
}

static guint64
align_up (guint64 v, guint64 alignment)
{
  return (v + alignment - 1) / alignment * alignment;
}

gboolean
lb_vk_matmul_check_kernel (LbVkContext *ctx, LbTensorType type, guint32 cols, LbVkMatmulKernel kernel,
                           LbVkMatmulCheck *result, GError **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261129u + (guint32) type);
  g_auto(CheckData) d = { .cols = cols };
  g_autofree float *y = NULL;
  g_autoptr(LbVkBuffer) w_buf = NULL, x_buf = NULL, b_buf = NULL, y_buf = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  guint64 align = MAX (ctx->info.min_storage_buffer_offset_alignment, 16);
  gsize w_bytes[2];
  guint64 w_off[2], b_off[2], y_off[6], y_total = 0;
  const guint64 y_bytes = (guint64) CHECK_N * CHECK_ROWS * sizeof (float);
  LbVkWeightLayout layout;

  g_return_val_if_fail (ctx != NULL && result != NULL, FALSE);
  /* AUTO and TILED would ask for this very check again. */
  g_return_val_if_fail (kernel == LB_VK_MATMUL_COOPMAT || kernel == LB_VK_MATMUL_VEC
                        || kernel == LB_VK_MATMUL_TILED_SCALAR, FALSE);

  memset (result, 0, sizeof *result);
  if (!lb_vk_weight_layout (type, cols, &layout, "the matmul check", error))
    return FALSE;
  if (!lb_quantize_supported (type))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID, "the matmul check cannot write %s weights",
                   lb_tensor_type_name (type));
      return FALSE;
    }

  for (guint i = 0; i < 2; i++)
    {
      d.blocks[i] = random_weights (rand, type, cols, &d.w[i], &w_bytes[i]);
      d.bias[i] = g_new (float, CHECK_ROWS);
      for (guint32 r = 0; r < CHECK_ROWS; r++)
        d.bias[i][r] = (float) g_rand_double_range (rand, -1.0, 1.0);
    }
  d.x = g_new (float, (gsize) CHECK_N * cols);
  for (gsize i = 0; i < (gsize) CHECK_N * cols; i++)
    d.x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);

  /* Weights and biases of gate and up in one buffer each (the GELU_MUL
   * pair then takes one dispatch); six outputs: plain, the pair and its
   * scratch, for the scalar kernel and the candidate. */
  w_off[0] = 0, w_off[1] = align_up (w_bytes[0], align);
  b_off[0] = 0, b_off[1] = align_up (CHECK_ROWS * sizeof (float), align);
  for (guint i = 0; i < 6; i++)
    y_off[i] = y_total, y_total += align_up (y_bytes, align);

  if ((w_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, w_off[1] + w_bytes[1], "matmul check weights",
                                 error)) == NULL
      || (x_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, (gsize) CHECK_N * cols * sizeof (float),
                                    "matmul check activations", error)) == NULL
      || (b_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, b_off[1] + CHECK_ROWS * sizeof (float),
                                    "matmul check biases", error)) == NULL
      || (y_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, y_total, "matmul check outputs", error)) == NULL)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    if (!lb_vk_buffer_write (w_buf, w_off[i], d.blocks[i], w_bytes[i], error)
        || !lb_vk_buffer_write (b_buf, b_off[i], d.bias[i], CHECK_ROWS * sizeof (float), error))
      return FALSE;
  if (!lb_vk_buffer_write (x_buf, 0, d.x, (gsize) CHECK_N * cols * sizeof (float), error))
    return FALSE;

  cmds = lb_vk_commands_new (ctx, error);
  if (cmds == NULL || !lb_vk_commands_begin (cmds, error)
      || !lb_vk_commands_fill (cmds, lb_vk_bind (y_buf), 0x7fc00000u, error))
    return FALSE;
  for (guint run = 0; run < 2; run++)
    {
      LbVkMatmulKernel k = run == 0 ? LB_VK_MATMUL_TILED_SCALAR : kernel;
      LbVkMatmulPart parts[2];
      LbVkMatmul plain, pair;

      for (guint i = 0; i < 2; i++)
        parts[i] = (LbVkMatmulPart) {
          .weight = lb_vk_bind_range (w_buf, w_off[i], w_bytes[i]),
          .rows = CHECK_ROWS,
          .bias = lb_vk_bind_range (b_buf, b_off[i], CHECK_ROWS * sizeof (float)),
        };
      plain = (LbVkMatmul) {
        .type = type, .cols = cols, .n = CHECK_N, .x = lb_vk_bind (x_buf), .n_parts = 1, .kernel = k,
        .parts = { parts[0] },
      };
      plain.parts[0].out = lb_vk_bind_range (y_buf, y_off[3 * run], y_bytes);
      pair = (LbVkMatmul) {
        .type = type, .cols = cols, .n = CHECK_N, .x = lb_vk_bind (x_buf), .n_parts = 2, .kernel = k,
        .parts = { parts[0], parts[1] }, .epilogue = LB_VK_MATMUL_GELU_MUL,
      };
      pair.parts[0].out = lb_vk_bind_range (y_buf, y_off[3 * run + 1], y_bytes);
      pair.parts[1].out = lb_vk_bind_range (y_buf, y_off[3 * run + 2], y_bytes);
      if (!lb_vk_matmul (cmds, &plain, error) || !lb_vk_matmul (cmds, &pair, error))
        return FALSE;
    }
  if (!lb_vk_commands_run (cmds, error))
    return FALSE;

  y = g_malloc (y_total);
  if (!lb_vk_buffer_read (y_buf, 0, y, y_total, error))
    return FALSE;

  for (guint32 c = 0; c < CHECK_N; c++)
    for (guint32 r = 0; r < CHECK_ROWS; r++)
      {
        gsize i = (gsize) c * CHECK_ROWS + r;
        const float *scalar_plain = y + y_off[0] / 4, *scalar_pair = y + y_off[1] / 4;
        const float *cand_plain = y + y_off[3] / 4, *cand_pair = y + y_off[4] / 4;
        double tol_g, mag_g, tol_u, mag_u, tol_pair;
        float a, b;

        product_bounds (&d, 0, r, c, &tol_g, &mag_g);
        product_bounds (&d, 1, r, c, &tol_u, &mag_u);
        a = cand_plain[i], b = scalar_plain[i];
        note_worst (result, isfinite (a) && isfinite (b) ? fabs ((double) a - b) / tol_g : INFINITY, "plain", c, r);

        /* gelu(g) u: |Δ| <= |gelu'| Δg (|u| + Δu) + (|gelu(g)| + |gelu'| Δg) Δu, |gelu(g)| <= |g|. */
        tol_pair = GELU_SLOPE * tol_g * (mag_u + tol_u) + (mag_g + GELU_SLOPE * tol_g) * tol_u
                   + 1e-6 * fabs (scalar_pair[i]) + 1e-6;
        a = cand_pair[i], b = scalar_pair[i];
        note_worst (result, isfinite (a) && isfinite (b) ? fabs ((double) a - b) / tol_pair : INFINITY, "gelu_mul",
                    c, r);
      }
  result->agrees = result->worst <= 1.0;
  return TRUE;
}
