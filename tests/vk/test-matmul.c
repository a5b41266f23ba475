/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The weight-matrix kernels (matrix × vector and tiled matrix × matrix)
 * against lb_dequantize + a plain double-precision matmul, for every weight
 * type, on random weights quantized with lb_quantize and random
 * activations, outputs poisoned with NaN beforehand.
 *
 * Tolerance: the shaders dequantize to exactly the float32 values
 * lb_dequantize produces (same products, at most one rounding apart where
 * a GPU compiler fuses q*d + m into an FMA), so the only difference is the
 * order and precision of float32 summation. Its error is bounded by the
 * sum of the magnitudes of the terms, not by the result (which may cancel
 * to ~0): |y - ref| <= 1e-5 * sum_k |W[r][k] x[c][k]| + 1e-6 for every
 * type. Worst-case sequential float32 summation of K terms is K * 6e-8
 * of that sum; random signs make the real error ~sqrt(K) * 6e-8, far below.
 *
 * Where tiled products run on cooperative matrices (vk-matmul.h: f16
 * weights and activations), the bound is the one that kernel's check
 * states, 2e-3 * sum_k |W x| + 2^-24 * sum_k (|W| + |x|) + 1e-6; here
 * |W| <= 2, |x| <= 1 and K <= 4096 make the middle term at most 1e-3.
 * The kernels themselves are the same on every device (the gate/up and
 * gelu epilogues and the cooperative-matrix choice: test-matmul-epilogue.c).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vk-test.h"
#include "model/quantize.h"
#include "vk/vk-matmul-bench.h"
#include "vk/vk-matmul.h"

static const LbTensorType all_types[] = {
  LB_TENSOR_F32, LB_TENSOR_F16, LB_TENSOR_BF16, LB_TENSOR_Q8_0, LB_TENSOR_Q4_0, LB_TENSOR_Q4_1,
  LB_TENSOR_Q5_0, LB_TENSOR_Q5_1, LB_TENSOR_Q2_K, LB_TENSOR_Q3_K, LB_TENSOR_Q4_K, LB_TENSOR_Q5_K,
  LB_TENSOR_Q6_K,
};

/* ---- host side --------------------------------------------------------- */

/* rows × cols random weights, rows scaled differently, in the type's
 * layout; *out_dequantized gets lb_dequantize's values. */
static guint8 *
random_weights (GRand *rand, LbTensorType type, guint32 rows, guint32 cols, gsize *out_bytes,
                float **out_dequantized)
{
  gsize n = (gsize) rows * cols;
  g_autofree float *values = vk_test_random_floats (rand, n, -1.0f, 1.0f);
  gsize bytes = lb_tensor_type_bytes (type, n);
  guint8 *data = g_malloc (bytes);

  g_assert_true (lb_quantize_supported (type));
  for (guint32 r = 0; r < rows; r++)
    {
      float scale = (float) g_rand_double_range (rand, 0.25, 2.0);
      for (guint32 k = 0; k < cols; k++)
        values[(gsize) r * cols + k] *= scale;
    }
  lb_quantize (type, values, data, n);
  *out_dequantized = g_new (float, n);
  lb_dequantize (type, data, *out_dequantized, n);
  *out_bytes = bytes;
  return data;
}

/* ref[c][r] = sum_k w[r][k] x[c][k] in double, and the sum of magnitudes. */
static void
reference_matmul (const float *w, const float *x, guint32 rows, guint32 cols, guint32 n, guint32 x_stride,
                  const float *bias, double *ref, double *magnitude)
{
  for (guint32 c = 0; c < n; c++)
    for (guint32 r = 0; r < rows; r++)
      {
        double sum = bias != NULL ? bias[r] : 0.0, mag = bias != NULL ? fabs (bias[r]) : 0.0;
        for (guint32 k = 0; k < cols; k++)
          {
            double t = (double) w[(gsize) r * cols + k] * x[(gsize) c * x_stride + k];
            sum += t;
            mag += fabs (t);
          }
        ref[(gsize) c * rows + r] = sum;
        magnitude[(gsize) c * rows + r] = mag;
      }
}

/* Whether a tiled product of this type runs on cooperative matrices (f16
 * operands) on this device. */
static gboolean
f16_products (LbVkContext *ctx, LbTensorType type, guint32 cols, guint32 n, LbVkMatmulKernel kernel)
{
  g_autoptr(GError) error = NULL;
  gboolean uses = FALSE;

  if (kernel != LB_VK_MATMUL_TILED && (kernel != LB_VK_MATMUL_AUTO || n <= LB_VK_MATMUL_VEC_MAX))
    return FALSE;
  g_assert_true (lb_vk_matmul_uses_coopmat (ctx, type, cols, &uses, &error));
  g_assert_no_error (error);
  return uses;
}

/* got[c][r] (rows out_stride apart) against ref[c][r]; f16: the
 * cooperative-matrix bound (above). */
static void
assert_matmul_close (const char *what, const float *got, guint32 out_stride, const double *ref,
                     const double *magnitude, guint32 rows, guint32 n, gboolean f16)
{
  double worst = -1;
  gsize worst_c = 0, worst_r = 0;

  for (guint32 c = 0; c < n; c++)
    for (guint32 r = 0; r < rows; r++)
      {
        gsize i = (gsize) c * rows + r;
        float g = got[(gsize) c * out_stride + r];
        double tolerance = f16 ? 2e-3 * magnitude[i] + 1e-3 : 1e-5 * magnitude[i] + 1e-6;
        double excess = isfinite (g) ? fabs (g - ref[i]) - tolerance : INFINITY;
        if (excess > worst)
          worst = excess, worst_c = c, worst_r = r;
      }
  if (worst > 0)
    g_test_message ("%s: y[%" G_GSIZE_FORMAT "][%" G_GSIZE_FORMAT "] = %g, expected %g (sum of |terms| %g)", what,
                    worst_c, worst_r, got[worst_c * out_stride + worst_r], ref[worst_c * rows + worst_r],
                    magnitude[worst_c * rows + worst_r]);
  g_assert_cmpfloat (worst, <=, 0.0);
}

/* ---- one weight, one shape -------------------------------------------------- */

typedef struct {
  LbTensorType type;
  guint32 rows, cols, n;
  LbVkMatmulKernel kernel;
} MatmulCase;

/* Rows of 32-element-block types are 5 or 7 blocks, k-quants 2 or 3
 * super-blocks; plain floats alternate 8k+4 (the 4-wide variant of F16 /
 * BF16) and 8k; row counts are odd. */
static guint32
case_cols (LbTensorType type, guint32 n)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);

  if (info->block_elements == 1)
    return n % 2 ? 100 : 96;
  if (info->block_elements == 32)
    return n % 2 ? 160 : 224;
  return n % 2 ? 768 : 512;
}

static void
run_matmul (LbVkContext *ctx, const MatmulCase *mc, guint32 x_stride, guint32 out_stride, gboolean with_bias)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = vk_test_rand ();
  g_autofree float *dequantized = NULL, *x = NULL, *y = NULL, *bias = NULL;
  g_autofree guint8 *weights = NULL;
  g_autofree double *ref = NULL, *magnitude = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) w_buf = NULL, x_buf = NULL, y_buf = NULL, b_buf = NULL;
  g_autofree char *what = g_strdup_printf ("%s %u×%u n=%u", lb_tensor_type_name (mc->type), mc->rows, mc->cols,
                                          mc->n);
  gsize w_bytes, y_len = (gsize) (mc->n - 1) * out_stride + mc->rows;
  LbVkMatmul op;

  weights = random_weights (rand, mc->type, mc->rows, mc->cols, &w_bytes, &dequantized);
  x = vk_test_random_floats (rand, (gsize) mc->n * x_stride, -1.0f, 1.0f);
  if (with_bias)
    bias = vk_test_random_floats (rand, mc->rows, -2.0f, 2.0f);
  ref = g_new (double, (gsize) mc->n * mc->rows);
  magnitude = g_new (double, (gsize) mc->n * mc->rows);
  reference_matmul (dequantized, x, mc->rows, mc->cols, mc->n, x_stride, bias, ref, magnitude);

  cmds = vk_test_commands (ctx);
  w_buf = vk_test_upload (ctx, weights, w_bytes, "test weight");
  x_buf = vk_test_upload_floats (ctx, x, (gsize) mc->n * x_stride, "test activations");
  y_buf = vk_test_poisoned (ctx, cmds, y_len * sizeof (float), "test output");
  if (with_bias)
    b_buf = vk_test_upload_floats (ctx, bias, mc->rows, "test bias");
  op = (LbVkMatmul) {
    .type = mc->type,
    .cols = mc->cols,
    .n = mc->n,
    .x = lb_vk_bind (x_buf),
    .x_stride = x_stride,
    .n_parts = 1,
    .parts = { {
      .weight = lb_vk_bind (w_buf),
      .rows = mc->rows,
      .out = lb_vk_bind (y_buf),
      .out_stride = out_stride,
      .bias = with_bias ? lb_vk_bind (b_buf) : (LbVkBinding) { 0 },
    } },
    .kernel = mc->kernel,
  };
  lb_vk_matmul (cmds, &op, &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);

  y = vk_test_download_floats (y_buf, y_len);
  assert_matmul_close (what, y, out_stride, ref, magnitude, mc->rows, mc->n,
                       f16_products (ctx, mc->type, mc->cols, mc->n, mc->kernel));
  /* The gaps between strided outputs are never written. */
  for (guint32 c = 0; c + 1 < mc->n; c++)
    for (guint32 r = mc->rows; r < out_stride; r++)
      g_assert_true (isnan (y[(gsize) c * out_stride + r]));
}

static void
test_matmul_case (gconstpointer data)
{
  LbVkContext *ctx = vk_test_context ();

  if (ctx != NULL)
    run_matmul (ctx, data, ((const MatmulCase *) data)->cols, ((const MatmulCase *) data)->rows, FALSE);
}

/* ---- layouts: strides, bias, a long row ---------------------------------- */

static void
test_matmul_strides_bias (void)
{
  LbVkContext *ctx = vk_test_context ();
  const MatmulCase vec = { LB_TENSOR_Q5_K, 45, 512, 3, LB_VK_MATMUL_AUTO };
  const MatmulCase tiled = { LB_TENSOR_Q4_1, 77, 96, 21, LB_VK_MATMUL_AUTO };

  if (ctx == NULL)
    return;
  run_matmul (ctx, &vec, 512 + 12, 45 + 6, TRUE);
  run_matmul (ctx, &tiled, 96 + 4, 77 + 3, TRUE);
}

/* Rows much longer than a workgroup's stride (several units per
 * invocation) and vectors beyond one vector workgroup (n = 11 > 8). */
static void
test_matmul_long_rows (void)
{
  LbVkContext *ctx = vk_test_context ();
  const MatmulCase cases[] = {
    { LB_TENSOR_Q4_0, 33, 4096, 1, LB_VK_MATMUL_AUTO },
    { LB_TENSOR_Q6_K, 9, 4096, 2, LB_VK_MATMUL_AUTO },
    { LB_TENSOR_Q8_0, 19, 1024, 11, LB_VK_MATMUL_VEC },
    { LB_TENSOR_F16, 5, 1000, 4, LB_VK_MATMUL_TILED },
  };

  if (ctx == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    run_matmul (ctx, &cases[i], cases[i].cols, cases[i].rows, FALSE);
}

/* ---- fused parts ------------------------------------------------------------ */

/* q/k/v-like parts of 40, 24 and 24 rows sharing x. With shared buffers
 * they take one dispatch; apart, one each. Either way each part's output
 * must match its own reference. */
static void
run_fused (LbVkContext *ctx, LbTensorType type, guint32 n, gboolean shared, gboolean with_bias)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = vk_test_rand ();
  const guint32 rows[3] = { 40, 24, 24 }, cols = 512;
  g_autofree float *x = NULL;
  float *dequantized[3] = { NULL }, *bias[3] = { NULL };
  guint8 *weights[3] = { NULL };
  gsize w_bytes[3];
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) x_buf = NULL;
  LbVkBuffer *w_bufs[3] = { NULL }, *y_bufs[3] = { NULL }, *b_bufs[3] = { NULL };
  guint64 w_off[3], y_off[3], b_off[3], align = ctx->info.min_storage_buffer_offset_alignment;
  guint64 w_total = 0, y_total = 0, b_total = 0;
  LbVkMatmul op = { .type = type, .cols = cols, .n = n, .n_parts = 3 };

  x = vk_test_random_floats (rand, (gsize) n * cols, -1.0f, 1.0f);
  for (guint p = 0; p < 3; p++)
    {
      weights[p] = random_weights (rand, type, rows[p], cols, &w_bytes[p], &dequantized[p]);
      bias[p] = vk_test_random_floats (rand, rows[p], -1.0f, 1.0f);
      w_off[p] = w_total, w_total += (w_bytes[p] + align - 1) / align * align;
      y_off[p] = y_total, y_total += ((gsize) n * rows[p] * 4 + align - 1) / align * align;
      b_off[p] = b_total, b_total += (rows[p] * 4 + align - 1) / align * align;
    }

  cmds = vk_test_commands (ctx);
  x_buf = vk_test_upload_floats (ctx, x, (gsize) n * cols, "x");
  if (shared)
    {
      w_bufs[0] = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, w_total, "blk.0 weights", &error);
      g_assert_no_error (error);
      y_bufs[0] = vk_test_poisoned (ctx, cmds, y_total, "qkv");
      b_bufs[0] = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, b_total, "blk.0 biases", &error);
      g_assert_no_error (error);
    }
  for (guint p = 0; p < 3; p++)
    {
      LbVkMatmulPart *part = &op.parts[p];
      if (shared)
        {
          lb_vk_buffer_write (w_bufs[0], w_off[p], weights[p], w_bytes[p], &error);
          g_assert_no_error (error);
          lb_vk_buffer_write (b_bufs[0], b_off[p], bias[p], rows[p] * 4, &error);
          g_assert_no_error (error);
          part->weight = lb_vk_bind_range (w_bufs[0], w_off[p], w_bytes[p]);
          part->out = lb_vk_bind_range (y_bufs[0], y_off[p], (gsize) n * rows[p] * 4);
          part->bias = lb_vk_bind_range (b_bufs[0], b_off[p], rows[p] * 4);
        }
      else
        {
          w_bufs[p] = vk_test_upload (ctx, weights[p], w_bytes[p], "a weight");
          y_bufs[p] = vk_test_poisoned (ctx, cmds, (gsize) n * rows[p] * 4, "an output");
          b_bufs[p] = vk_test_upload_floats (ctx, bias[p], rows[p], "a bias");
          part->weight = lb_vk_bind (w_bufs[p]);
          part->out = lb_vk_bind (y_bufs[p]);
          part->bias = lb_vk_bind (b_bufs[p]);
        }
      part->rows = rows[p];
      if (!with_bias)
        part->bias = (LbVkBinding) { 0 };
    }
  op.x = lb_vk_bind (x_buf);
  {
    guint before = lb_vk_commands_n_dispatches (cmds);
    lb_vk_matmul (cmds, &op, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds) - before, ==, shared ? 1 : 3);
  }
  vk_test_run_commands (cmds);

  for (guint p = 0; p < 3; p++)
    {
      g_autofree double *ref = g_new (double, (gsize) n * rows[p]);
      g_autofree double *magnitude = g_new (double, (gsize) n * rows[p]);
      g_autofree float *y = g_new (float, (gsize) n * rows[p]);
      g_autofree char *what = g_strdup_printf ("%s part %u n=%u", lb_tensor_type_name (type), p, n);

      lb_vk_buffer_read (shared ? y_bufs[0] : y_bufs[p], shared ? y_off[p] : 0, y, (gsize) n * rows[p] * 4,
                         &error);
      g_assert_no_error (error);
      reference_matmul (dequantized[p], x, rows[p], cols, n, cols, with_bias ? bias[p] : NULL, ref, magnitude);
      assert_matmul_close (what, y, rows[p], ref, magnitude, rows[p], n,
                           f16_products (ctx, type, cols, n, LB_VK_MATMUL_AUTO));
    }

  for (guint p = 0; p < 3; p++)
    {
      g_clear_pointer (&w_bufs[p], lb_vk_buffer_free);
      g_clear_pointer (&y_bufs[p], lb_vk_buffer_free);
      g_clear_pointer (&b_bufs[p], lb_vk_buffer_free);
      g_free (weights[p]);
      g_free (dequantized[p]);
      g_free (bias[p]);
    }
}

static void
test_matmul_fused (void)
{
  LbVkContext *ctx = vk_test_context ();

  if (ctx == NULL)
    return;
  run_fused (ctx, LB_TENSOR_Q4_K, 1, TRUE, FALSE);
  run_fused (ctx, LB_TENSOR_Q8_0, 2, TRUE, TRUE);
  run_fused (ctx, LB_TENSOR_F16, 20, TRUE, TRUE);
  run_fused (ctx, LB_TENSOR_Q6_K, 1, FALSE, TRUE);
}

/* ---- tensors beyond one binding ---------------------------------------------- */

/* A context whose bindings are capped at 64 KiB, as if the device's
 * maxStorageBufferRange were tiny: weights of a few hundred KiB then span
 * several bindings (row chunks) and 70 activation vectors several groups
 * of vectors, exactly as the 4B model's 0.5 GiB embedding table does
 * against lavapipe's 128 MiB. The runtime checks every binding against the
 * lowered limit, so a chunk that is too large fails the test. */
static void
test_matmul_chunks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbVkContext) ctx = NULL;
  const MatmulCase cases[] = {
    { LB_TENSOR_Q6_K, 1001, 256, 3, LB_VK_MATMUL_AUTO },   /* 210 B rows: 4 chunks */
    { LB_TENSOR_Q4_0, 1500, 224, 70, LB_VK_MATMUL_AUTO },  /* 126 B rows, x and y in groups */
    { LB_TENSOR_F32, 400, 100, 5, LB_VK_MATMUL_AUTO },     /* 400 B rows */
  };

  if (vk_test_context () == NULL)
    return;
  ctx = lb_vk_context_new (&error);
  g_assert_no_error (error);
  ctx->info.max_storage_buffer_range = 64 << 10;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LbVkWeightLayout layout;
      g_assert_true (lb_vk_weight_layout (cases[i].type, cases[i].cols, &layout, "test", NULL));
      g_assert_cmpuint (cases[i].rows * layout.row_bytes, >, 2 * ctx->info.max_storage_buffer_range);
      run_matmul (ctx, &cases[i], cases[i].cols, cases[i].rows, i == 1);
    }
}

/* ---- errors ----------------------------------------------------------------------- */

static void
test_matmul_errors (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) w = NULL, x = NULL, y = NULL;

  if (ctx == NULL)
    return;
  cmds = vk_test_commands (ctx);
  w = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "blk.0.ffn_up.weight", &error);
  x = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "x", &error);
  y = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "y", &error);
  g_assert_no_error (error);

  /* Rows that are not whole blocks. */
  g_assert_false (lb_vk_matmul_simple (cmds, LB_TENSOR_Q4_K, lb_vk_bind (w), 4, 300, lb_vk_bind (x), 1,
                                       lb_vk_bind (y), &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_up.weight"));
  g_clear_error (&error);
  /* A type without kernels. */
  g_assert_false (lb_vk_matmul_simple (cmds, LB_TENSOR_Q8_1, lb_vk_bind (w), 4, 64, lb_vk_bind (x), 1,
                                       lb_vk_bind (y), &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Q8_1"));
  g_clear_error (&error);
  /* More rows than the weight buffer holds (29 rows of 144 bytes > 4096). */
  g_assert_false (lb_vk_matmul_simple (cmds, LB_TENSOR_Q4_K, lb_vk_bind (w), 29, 256, lb_vk_bind (x), 1,
                                       lb_vk_bind (y), &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  /* More vectors than the activations hold. */
  g_assert_false (lb_vk_matmul_simple (cmds, LB_TENSOR_Q4_K, lb_vk_bind (w), 4, 256, lb_vk_bind (x), 5,
                                       lb_vk_bind (y), &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "activations"));
  g_clear_error (&error);
  /* Nothing was recorded. */
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds), ==, 0);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);
}

/* Several rows per workgroup, which the small test shapes never pick by
 * themselves (vk-matmul.c does for large outputs), forced through
 * LIGHTBOX_VK_MATVEC; row counts leave the last workgroup partial. */
static void
test_matmul_vec_shapes (void)
{
  LbVkContext *ctx = vk_test_context ();
  const struct {
    const char *shape;
    MatmulCase mc;
  } cases[] = {
    { "32,4", { LB_TENSOR_Q4_0, 67, 160, 1, LB_VK_MATMUL_VEC } },
    { "64,3", { LB_TENSOR_Q5_K, 50, 512, 2, LB_VK_MATMUL_VEC } },
    { "128,2", { LB_TENSOR_BF16, 45, 1000, 3, LB_VK_MATMUL_VEC } },
  };

  if (ctx == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_setenv ("LIGHTBOX_VK_MATVEC", cases[i].shape, TRUE);
      run_matmul (ctx, &cases[i].mc, cases[i].mc.cols, cases[i].mc.rows, i == 2);
      g_unsetenv ("LIGHTBOX_VK_MATVEC");
    }
}

/* More workgroups than maxComputeWorkGroupCount[0] (65535 on lavapipe):
 * one row per workgroup of one subgroup, where the device allows it; the
 * runtime splits the grid and the kernel must place rows by
 * gl_WorkGroupID alone. */
static void
test_matmul_many_groups (void)
{
  LbVkContext *ctx = vk_test_context ();
  const MatmulCase mc = { LB_TENSOR_Q8_0, 70001, 32, 1, LB_VK_MATMUL_VEC };
  g_autofree char *shape = NULL;

  if (ctx == NULL)
    return;
  shape = g_strdup_printf ("%u,1", ctx->info.max_subgroup_size);
  g_setenv ("LIGHTBOX_VK_MATVEC", shape, TRUE);
  run_matmul (ctx, &mc, mc.cols, mc.rows, FALSE);
  g_unsetenv ("LIGHTBOX_VK_MATVEC");
}

/* The GPU tile shapes of the scalar tiled kernel, forced through
 * LIGHTBOX_VK_MATMUL_TILE: on lavapipe the kernels otherwise only run the
 * CPU-device shape (vk-matmul.c). The
 * 128 × 128 tile needs 36 KiB of shared memory, more than lavapipe has. */
static void
test_matmul_tile_shapes (void)
{
  LbVkContext *ctx = vk_test_context ();
  const struct {
    const char *tile;
    MatmulCase mc;
  } cases[] = {
    { "128,32,4,4", { LB_TENSOR_Q5_0, 131, 160, 21, LB_VK_MATMUL_TILED_SCALAR } },
    { "64,64,4,4", { LB_TENSOR_Q4_K, 131, 768, 70, LB_VK_MATMUL_TILED_SCALAR } },
    { "128,128,8,8", { LB_TENSOR_Q6_K, 131, 512, 130, LB_VK_MATMUL_TILED_SCALAR } },
  };

  if (ctx == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (i == 2 && ctx->info.max_shared_memory_size < 36864)
        {
          g_test_message ("tile %s needs more shared memory than the device's %u bytes", cases[i].tile,
                          ctx->info.max_shared_memory_size);
          continue;
        }
      g_setenv ("LIGHTBOX_VK_MATMUL_TILE", cases[i].tile, TRUE);
      run_matmul (ctx, &cases[i].mc, cases[i].mc.cols, cases[i].mc.rows, FALSE);
      g_unsetenv ("LIGHTBOX_VK_MATMUL_TILE");
    }
}

/* `test-vk-matmul -m perf -p /vk/matmul/bench`: the kernels' benchmark
 * (vk-matmul-bench.h); LIGHTBOX_BENCH_TYPES=q4_0,q6_k picks types,
 * LIGHTBOX_BENCH_KERNELS=matvec,matmul kernels. */
static void
test_matmul_bench (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_auto(GStrv) names = g_strsplit (g_getenv ("LIGHTBOX_BENCH_TYPES") ? g_getenv ("LIGHTBOX_BENCH_TYPES") : "", ",", -1);
  g_autofree LbTensorType *types = g_new0 (LbTensorType, g_strv_length (names) + 1);
  LbVkMatmulBenchOptions options = { .repeats = 5 };
  g_autoptr(GArray) rows = NULL;
  g_autofree char *table = NULL;

  if (ctx == NULL)
    return;
  for (guint i = 0; names[i] != NULL; i++)
    if (*names[i] != '\0')
      {
        g_assert_true (lb_tensor_type_from_name (names[i], &types[options.n_types]));
        options.n_types++;
      }
  options.types = options.n_types > 0 ? types : NULL;
  options.kernels = g_getenv ("LIGHTBOX_BENCH_KERNELS");
  rows = lb_vk_matmul_bench (ctx, &options, &error);
  g_assert_no_error (error);
  table = lb_vk_matmul_bench_format (rows);
  g_printerr ("%s", table);
}

int
main (int argc, char **argv)
{
  /* Every type with one and three vectors (matrix × vector) and 17 and 70
   * (tiled); two and eight for one type of each load width. */
  static const guint32 ns[] = { 1, 3, 17, 70 }, more_ns[] = { 2, 8 };
  static const LbTensorType more_types[] = { LB_TENSOR_F16, LB_TENSOR_Q8_0, LB_TENSOR_Q5_1, LB_TENSOR_Q4_K,
                                             LB_TENSOR_Q6_K };
  GPtrArray *cases = g_ptr_array_new_with_free_func (g_free);
  int status;

  g_test_init (&argc, &argv, NULL);
  vk_test_init ();

  for (guint t = 0; t < G_N_ELEMENTS (all_types) + G_N_ELEMENTS (more_types); t++)
    {
      gboolean more = t >= G_N_ELEMENTS (all_types);
      LbTensorType type = more ? more_types[t - G_N_ELEMENTS (all_types)] : all_types[t];
      const guint32 *n_list = more ? more_ns : ns;
      guint n_count = more ? G_N_ELEMENTS (more_ns) : G_N_ELEMENTS (ns);

      for (guint i = 0; i < n_count; i++)
        {
          MatmulCase *mc = g_new0 (MatmulCase, 1);
          g_autofree char *name = g_ascii_strdown (lb_tensor_type_name (type), -1);
          g_autofree char *path = g_strdup_printf ("/vk/matmul/%s/n%u", name, n_list[i]);

          *mc = (MatmulCase) {
            .type = type,
            .rows = n_list[i] <= LB_VK_MATMUL_VEC_MAX ? 67 : 131,
            .cols = case_cols (type, n_list[i]),
            .n = n_list[i],
            .kernel = LB_VK_MATMUL_AUTO,
          };
          g_ptr_array_add (cases, mc);
          g_test_add_data_func (path, mc, test_matmul_case);
        }
    }
  g_test_add_func ("/vk/matmul/strides-bias", test_matmul_strides_bias);
  g_test_add_func ("/vk/matmul/long-rows", test_matmul_long_rows);
  g_test_add_func ("/vk/matmul/fused", test_matmul_fused);
  g_test_add_func ("/vk/matmul/chunks", test_matmul_chunks);
  g_test_add_func ("/vk/matmul/vec-shapes", test_matmul_vec_shapes);
  g_test_add_func ("/vk/matmul/tile-shapes", test_matmul_tile_shapes);
  g_test_add_func ("/vk/matmul/many-groups", test_matmul_many_groups);
  g_test_add_func ("/vk/matmul/errors", test_matmul_errors);
  if (g_test_perf ())
    g_test_add_func ("/vk/matmul/bench", test_matmul_bench);

  status = vk_test_run ();
  g_ptr_array_unref (cases);
  return status;
}
