/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Elementwise kernels against the C reference: add, mul, scale, GELU,
 * gelu(gate) * up, broadcast and strided rows, F32 <-> F16.
 * Tolerances: float32 ops exact up to rounding (1e-6 relative); GELU
 * 2e-6 absolute + 1e-5 relative (the shader's exp form of tanh); F16
 * conversion within one F16 ulp of round-to-nearest-even (the rounding mode
 * of a GPU's conversion is the driver's), F16 -> F32 exact.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "model/tensor-type.h"
#include "vk/vk-ops-elementwise.h"
#include "vk/vk-reference.h"

typedef struct {
  guint rows, cols;
  gboolean broadcast;
  guint pad;   /* extra elements per row of the inputs (strides) */
} Shape;

static const Shape shapes[] = {
  { 1, 1, FALSE, 0 },
  { 1, 2560, FALSE, 0 },
  { 5, 1023, FALSE, 3 },
  { 13, 1025, TRUE, 0 },
  { 3, 10243, FALSE, 5 },
};

static float
reference_op (LbVkElementwiseOp op, float a, float b, float scale)
{
  switch (op)
    {
    case LB_VK_ADD: return a + b;
    case LB_VK_MUL: return a * b;
    case LB_VK_SCALE: return a * scale;
    case LB_VK_GELU: return lb_vk_ref_gelu_tanh (a);
    case LB_VK_GELU_MUL: return lb_vk_ref_gelu_tanh (a) * b;
    default: g_assert_not_reached ();
    }
}

static void
check_op (gconstpointer data)
{
  LbVkElementwiseOp op = GPOINTER_TO_UINT (data);
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();

  if (ctx == NULL)
    return;
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      const Shape *sh = &shapes[s];
      guint stride = sh->cols + sh->pad;
      gsize n_a = (gsize) sh->rows * stride, n_b = sh->broadcast ? sh->cols : n_a;
      gsize n_y = (gsize) sh->rows * sh->cols;
      g_autofree float *a = vk_test_random_floats (rand, n_a, -6, 6);
      g_autofree float *b = vk_test_random_floats (rand, n_b, -2, 2);
      g_autofree float *want = g_new (float, n_y);
      g_autofree float *got = NULL;
      float scale = (float) g_rand_double_range (rand, -3, 3);
      g_autoptr(LbVkBuffer) ba = vk_test_upload_floats (ctx, a, n_a, "a");
      g_autoptr(LbVkBuffer) bb = vk_test_upload_floats (ctx, b, n_b, "b");
      g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
      g_autoptr(LbVkBuffer) by = vk_test_poisoned (ctx, cmds, n_y * 4, "y");
      g_autoptr(GError) error = NULL;
      gboolean gelu = op == LB_VK_GELU || op == LB_VK_GELU_MUL;

      for (gsize r = 0; r < sh->rows; r++)
        for (gsize c = 0; c < sh->cols; c++)
          want[r * sh->cols + c] = reference_op (op, a[r * stride + c],
                                                 b[(sh->broadcast ? 0 : r * stride) + c], scale);
      lb_vk_elementwise (cmds, &(LbVkElementwise) {
          .op = op, .a = lb_vk_bind (ba), .b = lb_vk_bind (bb), .y = lb_vk_bind (by),
          .n_rows = sh->rows, .n_cols = sh->cols, .a_stride = stride, .b_stride = stride,
          .b_broadcast = sh->broadcast, .scale = scale }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by, n_y);
      lb_test_assert_close (got, want, n_y, gelu ? 2e-6 : 0, gelu ? 1e-5 : 1e-6);
    }
}

/* In place: y is a. */
static void
test_in_place (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  gsize n = 3001;
  g_autofree float *a = NULL, *b = NULL, *want = NULL, *got = NULL;
  g_autoptr(LbVkBuffer) ba = NULL, bb = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (ctx == NULL)
    return;
  a = vk_test_random_floats (rand, n, -1, 1);
  b = vk_test_random_floats (rand, n, -1, 1);
  want = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    want[i] = a[i] + b[i];
  ba = vk_test_upload_floats (ctx, a, n, "x");
  bb = vk_test_upload_floats (ctx, b, n, "b");
  cmds = vk_test_commands (ctx);
  lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_ADD, .a = lb_vk_bind (ba), .b = lb_vk_bind (bb),
                                                .y = lb_vk_bind (ba), .n_rows = 1, .n_cols = n }, &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (ba, n);
  lb_test_assert_close (got, want, n, 0, 1e-6);
}

static void
test_convert (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const guint rows = 7, cols = 1031, dst_stride = 1040;

  if (ctx == NULL)
    return;
  for (guint pass = 0; pass < 2; pass++)
    {
      gsize n = (gsize) rows * cols;
      g_autofree float *x = vk_test_random_floats (rand, n, pass ? -60000 : -3, pass ? 60000 : 3);
      g_autofree guint16 *want16 = g_new (guint16, (gsize) rows * dst_stride);
      g_autofree guint16 *got16 = NULL;
      g_autofree float *got32 = NULL, *want32 = g_new (float, n), *got_as_float = g_new (float, n);
      g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n, "x");
      g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
      g_autoptr(LbVkBuffer) b16 = vk_test_poisoned (ctx, cmds, (gsize) rows * dst_stride * 2, "f16");
      g_autoptr(LbVkBuffer) b32 = vk_test_poisoned (ctx, cmds, n * 4, "f32 again");
      g_autoptr(GError) error = NULL;

      /* x subnormal, tiny and exact values too. */
      x[0] = 1e-6f;
      x[1] = -0.0f;
      x[2] = 1.0f;
      x[3] = 65504.0f;
      lb_vk_buffer_write (bx, 0, x, 16, &error);
      g_assert_no_error (error);
      lb_vk_convert_f32_to_f16 (cmds, &(LbVkConvert) { .src = lb_vk_bind (bx), .dst = lb_vk_bind (b16),
                                                        .n_rows = rows, .n_cols = cols, .dst_stride = dst_stride },
                                &error);
      g_assert_no_error (error);
      lb_vk_convert_f16_to_f32 (cmds, &(LbVkConvert) { .src = lb_vk_bind (b16), .dst = lb_vk_bind (b32),
                                                        .n_rows = rows, .n_cols = cols, .src_stride = dst_stride },
                                &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got16 = vk_test_download (b16, (gsize) rows * dst_stride * 2);
      got32 = vk_test_download_floats (b32, n);
      for (gsize r = 0; r < rows; r++)
        for (gsize c = 0; c < cols; c++)
          {
            gsize i = r * cols + c;
            want16[i] = lb_f32_to_f16 (x[i]);
            want32[i] = lb_f16_to_f32 (want16[i]);
            got_as_float[i] = lb_f16_to_f32 (got16[r * dst_stride + c]);
            /* F16 -> F32 is exact: what came back is what was stored. */
            g_assert_cmpfloat (got32[i], ==, got_as_float[i]);
          }
      /* Within one F16 ulp (2^-10 relative, 2^-24 absolute near zero). */
      lb_test_assert_close (got_as_float, want32, n, 6e-8, 1.0 / 1024);
      g_assert_cmpfloat (got_as_float[2], ==, 1.0f);
      g_assert_cmpfloat (got_as_float[3], ==, 65504.0f);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_data_func ("/vk/elementwise/add", GUINT_TO_POINTER (LB_VK_ADD), check_op);
  g_test_add_data_func ("/vk/elementwise/mul", GUINT_TO_POINTER (LB_VK_MUL), check_op);
  g_test_add_data_func ("/vk/elementwise/scale", GUINT_TO_POINTER (LB_VK_SCALE), check_op);
  g_test_add_data_func ("/vk/elementwise/gelu", GUINT_TO_POINTER (LB_VK_GELU), check_op);
  g_test_add_data_func ("/vk/elementwise/gelu-mul", GUINT_TO_POINTER (LB_VK_GELU_MUL), check_op);
  g_test_add_func ("/vk/elementwise/in-place", test_in_place);
  g_test_add_func ("/vk/convert/f32-f16-f32", test_convert);
  return vk_test_run ();
}
