/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Row kernels against the C reference: RMS norm (with and without weight),
 * the add + norm sandwich, layer norm, softmax. (The per-head q/k norms
 * fused with rope are the attention prologue's, tested in test-rope.c.)
 * Tolerance: float32 reductions in a different order, 2e-6 absolute +
 * 2e-5 relative.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "vk/vk-ops-rows.h"
#include "vk/vk-reference.h"

typedef struct {
  guint rows, cols;
} Shape;

/* Odd sizes, sizes off the workgroup, one wide row, more rows than one
 * dispatch axis holds. */
static const Shape shapes[] = { { 1, 1 }, { 3, 37 }, { 1, 2563 }, { 17, 256 }, { 5, 1153 }, { 65541, 3 } };

static void
test_rmsnorm (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();

  if (ctx == NULL)
    return;
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint with_weight = 0; with_weight < 2; with_weight++)
      {
        guint rows = shapes[s].rows, cols = shapes[s].cols;
        gsize n = (gsize) rows * cols;
        g_autofree float *x = vk_test_random_floats (rand, n, -4, 4);
        g_autofree float *w = vk_test_random_floats (rand, cols, 0.5, 1.5);
        g_autofree float *want = g_new (float, n);
        g_autofree float *got = NULL;
        g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n, "x");
        g_autoptr(LbVkBuffer) bw = vk_test_upload_floats (ctx, w, cols, "w");
        g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
        g_autoptr(LbVkBuffer) by = vk_test_poisoned (ctx, cmds, n * 4, "y");
        g_autoptr(GError) error = NULL;

        lb_vk_ref_rmsnorm (x, with_weight ? w : NULL, want, rows, cols, 1e-6f);
        lb_vk_rmsnorm (cmds, &(LbVkRmsNorm) {
            .x = lb_vk_bind (bx), .weight = with_weight ? lb_vk_bind (bw) : (LbVkBinding) { 0 },
            .y = lb_vk_bind (by), .n_rows = rows, .n_cols = cols, .eps = 1e-6f }, &error);
        g_assert_no_error (error);
        vk_test_run_commands (cmds);
        got = vk_test_download_floats (by, n);
        lb_test_assert_close (got, want, n, 2e-6, 2e-5);
      }
}

static void
test_add_rmsnorm (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();

  if (ctx == NULL)
    return;
  for (gsize s = 0; s < G_N_ELEMENTS (shapes) - 1; s++)
    for (guint second = 0; second < 2; second++)
      {
        guint rows = shapes[s].rows, cols = shapes[s].cols;
        gsize n = (gsize) rows * cols;
        g_autofree float *a = vk_test_random_floats (rand, n, -4, 4);
        g_autofree float *x = vk_test_random_floats (rand, n, -4, 4);
        g_autofree float *w1 = vk_test_random_floats (rand, cols, 0.5, 1.5);
        g_autofree float *w2 = vk_test_random_floats (rand, cols, 0.5, 1.5);
        g_autofree float *want_x = g_new (float, n), *want_h = g_new (float, n);
        g_autofree float *got_x = NULL, *got_h = NULL;
        g_autoptr(LbVkBuffer) ba = vk_test_upload_floats (ctx, a, n, "attn out");
        g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n, "residual");
        g_autoptr(LbVkBuffer) bw1 = vk_test_upload_floats (ctx, w1, cols, "post norm");
        g_autoptr(LbVkBuffer) bw2 = vk_test_upload_floats (ctx, w2, cols, "next norm");
        g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
        g_autoptr(LbVkBuffer) bh = vk_test_poisoned (ctx, cmds, n * 4, "h");
        g_autoptr(GError) error = NULL;

        lb_vk_ref_rmsnorm (a, w1, want_x, rows, cols, 1e-6f);
        for (gsize i = 0; i < n; i++)
          want_x[i] += x[i];
        lb_vk_ref_rmsnorm (want_x, w2, want_h, rows, cols, 1e-6f);
        lb_vk_add_rmsnorm (cmds, &(LbVkAddRmsNorm) {
            .a = lb_vk_bind (ba), .w_post = lb_vk_bind (bw1), .x = lb_vk_bind (bx),
            .w_next = second ? lb_vk_bind (bw2) : (LbVkBinding) { 0 },
            .h = second ? lb_vk_bind (bh) : (LbVkBinding) { 0 },
            .n_rows = rows, .n_cols = cols, .eps = 1e-6f }, &error);
        g_assert_no_error (error);
        vk_test_run_commands (cmds);
        got_x = vk_test_download_floats (bx, n);
        lb_test_assert_close (got_x, want_x, n, 2e-6, 2e-5);
        if (second)
          {
            got_h = vk_test_download_floats (bh, n);
            lb_test_assert_close (got_h, want_h, n, 2e-6, 2e-5);
          }
      }
}

static void
test_layernorm (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();

  if (ctx == NULL)
    return;
  for (gsize s = 0; s < G_N_ELEMENTS (shapes) - 1; s++)
    {
      guint rows = shapes[s].rows, cols = shapes[s].cols;
      gsize n = (gsize) rows * cols;
      g_autofree float *x = vk_test_random_floats (rand, n, 2, 6); /* an offset mean */
      g_autofree float *w = vk_test_random_floats (rand, cols, -1.5, 1.5);
      g_autofree float *b = vk_test_random_floats (rand, cols, -1, 1);
      g_autofree float *want = g_new (float, n);
      g_autofree float *got = NULL;
      g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n, "x");
      g_autoptr(LbVkBuffer) bw = vk_test_upload_floats (ctx, w, cols, "w");
      g_autoptr(LbVkBuffer) bb = vk_test_upload_floats (ctx, b, cols, "b");
      g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
      g_autoptr(LbVkBuffer) by = vk_test_poisoned (ctx, cmds, n * 4, "y");
      g_autoptr(GError) error = NULL;

      lb_vk_ref_layernorm (x, w, b, want, rows, cols, 1e-6f);
      lb_vk_layernorm (cmds, &(LbVkLayerNorm) {
          .x = lb_vk_bind (bx), .weight = lb_vk_bind (bw), .bias = lb_vk_bind (bb), .y = lb_vk_bind (by),
          .n_rows = rows, .n_cols = cols, .eps = 1e-6f }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by, n);
      /* cols = 1: var 0, the output is the bias: still finite. */
      lb_test_assert_close (got, want, n, 2e-5, 2e-5);
    }
}

static void
test_softmax (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const Shape cases[] = { { 1, 1 }, { 4, 33 }, { 2, 5001 }, { 1, 262144 } };

  if (ctx == NULL)
    return;
  for (gsize s = 0; s < G_N_ELEMENTS (cases); s++)
    {
      guint rows = cases[s].rows, cols = cases[s].cols;
      gsize n = (gsize) rows * cols;
      g_autofree float *x = vk_test_random_floats (rand, n, -30, 30);
      g_autofree float *want = g_new (float, n);
      g_autofree float *got = NULL;
      float scale = (float) g_rand_double_range (rand, 0.1, 2);
      g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n, "logits");
      g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
      g_autoptr(LbVkBuffer) by = vk_test_poisoned (ctx, cmds, n * 4, "probabilities");
      g_autoptr(GError) error = NULL;

      lb_vk_ref_softmax (x, want, rows, cols, scale);
      lb_vk_softmax (cmds, &(LbVkSoftmax) { .x = lb_vk_bind (bx), .y = lb_vk_bind (by), .n_rows = rows,
                                            .n_cols = cols, .scale = scale }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by, n);
      lb_test_assert_close (got, want, n, 1e-8, 2e-5);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/rmsnorm/shapes", test_rmsnorm);
  g_test_add_func ("/vk/add-rmsnorm/shapes", test_add_rmsnorm);
  g_test_add_func ("/vk/layernorm/shapes", test_layernorm);
  g_test_add_func ("/vk/softmax/shapes", test_softmax);
  return vk_test_run ();
}
