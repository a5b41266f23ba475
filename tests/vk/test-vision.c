/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vision kernels against the C reference: patch embedding (F32 and F16
 * weights, odd channel counts, tiles only partly filled) and average
 * pooling of token grids.
 * Tolerance: float32 sums of up to 3·14·14 products in another order,
 * 1e-5 absolute + 1e-5 relative; pooling 1e-6.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include "vk-test.h"
#include "model/tensor-type.h"
#include "vk/vk-ops-vision.h"
#include "vk/vk-reference.h"

static void
test_patch_embed (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const struct { guint32 c, h, w, p, n_out; gboolean f16, bias; } cases[] = {
    { 3, 56, 56, 14, 72, FALSE, TRUE },    /* 16 patches, a partial tile */
    { 3, 42, 70, 14, 65, TRUE, TRUE },     /* 15 patches, odd outputs */
    { 2, 36, 24, 4, 130, FALSE, FALSE },   /* 54 patches, K = 32 */
    { 3, 112, 112, 14, 33, TRUE, FALSE },  /* 64 patches */
  };

  if (ctx == NULL)
    return;
  for (gsize t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      guint32 c = cases[t].c, h = cases[t].h, w = cases[t].w, p = cases[t].p, n_out = cases[t].n_out;
      gsize n_img = (gsize) c * h * w, kdim = (gsize) c * p * p, n_w = n_out * kdim;
      gsize n_patches = (gsize) (h / p) * (w / p), n_y = n_patches * n_out;
      g_autofree float *image = vk_test_random_floats (rand, n_img, -1, 1);
      g_autofree float *weight = vk_test_random_floats (rand, n_w, -0.1, 0.1);
      g_autofree float *bias = vk_test_random_floats (rand, n_out, -1, 1);
      g_autofree guint16 *weight16 = g_new (guint16, n_w);
      g_autofree float *want = g_new (float, n_y), *got = NULL;
      g_autoptr(LbVkBuffer) bimg = NULL, bw = NULL, bb = NULL, by = NULL;
      g_autoptr(LbVkCommands) cmds = NULL;
      g_autoptr(GError) error = NULL;

      if (cases[t].f16)
        for (gsize i = 0; i < n_w; i++)
          {
            weight16[i] = lb_f32_to_f16 (weight[i]);
            weight[i] = lb_f16_to_f32 (weight16[i]);
          }
      lb_vk_ref_patch_embed (image, c, h, w, p, weight, cases[t].bias ? bias : NULL, n_out, want);
      bimg = vk_test_upload_floats (ctx, image, n_img, "image");
      bw = cases[t].f16 ? vk_test_upload (ctx, weight16, n_w * 2, "v.patch_embd.weight")
                        : vk_test_upload_floats (ctx, weight, n_w, "v.patch_embd.weight");
      bb = vk_test_upload_floats (ctx, bias, n_out, "v.patch_embd.bias");
      cmds = vk_test_commands (ctx);
      by = vk_test_poisoned (ctx, cmds, n_y * 4, "patches");
      lb_vk_patch_embed (cmds, &(LbVkPatchEmbed) {
          .image = lb_vk_bind (bimg), .weight = lb_vk_bind (bw),
          .bias = cases[t].bias ? lb_vk_bind (bb) : (LbVkBinding) { 0 }, .out = lb_vk_bind (by),
          .channels = c, .height = h, .width = w, .patch = p, .n_out = n_out, .weight_f16 = cases[t].f16 },
        &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by, n_y);
      lb_test_assert_close (got, want, n_y, 1e-5, 1e-5);
    }
}

static void
test_avg_pool (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const struct { guint32 gw, gh, ch, k; } cases[] = { { 8, 8, 5, 4 }, { 12, 6, 33, 3 }, { 64, 64, 3, 4 },
                                                      { 4, 4, 129, 1 } };

  if (ctx == NULL)
    return;
  for (gsize t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      gsize n_in = (gsize) cases[t].gw * cases[t].gh * cases[t].ch;
      gsize n_out = (gsize) (cases[t].gw / cases[t].k) * (cases[t].gh / cases[t].k) * cases[t].ch;
      g_autofree float *x = vk_test_random_floats (rand, n_in, -3, 3);
      g_autofree float *want = g_new (float, n_out), *got = NULL;
      g_autoptr(LbVkBuffer) bx = vk_test_upload_floats (ctx, x, n_in, "tokens");
      g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
      g_autoptr(LbVkBuffer) by = vk_test_poisoned (ctx, cmds, n_out * 4, "pooled");
      g_autoptr(GError) error = NULL;

      lb_vk_ref_avg_pool (x, cases[t].gw, cases[t].gh, cases[t].ch, cases[t].k, want);
      lb_vk_avg_pool (cmds, &(LbVkAvgPool) { .in = lb_vk_bind (bx), .out = lb_vk_bind (by), .grid_w = cases[t].gw,
                                             .grid_h = cases[t].gh, .channels = cases[t].ch, .k = cases[t].k },
                      &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by, n_out);
      lb_test_assert_close (got, want, n_out, 1e-6, 1e-6);
    }
}

static void
test_bad_shapes (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkBuffer) b = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (ctx == NULL)
    return;
  b = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "any", &error);
  g_assert_no_error (error);
  cmds = vk_test_commands (ctx);
  g_assert_false (lb_vk_avg_pool (cmds, &(LbVkAvgPool) { .in = lb_vk_bind (b), .out = lb_vk_bind (b),
                                                         .grid_w = 10, .grid_h = 8, .channels = 1, .k = 4 },
                                  &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (lb_vk_patch_embed (cmds, &(LbVkPatchEmbed) { .image = lb_vk_bind (b), .weight = lb_vk_bind (b),
                                                               .out = lb_vk_bind (b), .channels = 3, .height = 30,
                                                               .width = 28, .patch = 14, .n_out = 4 }, &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/patch-embed/shapes", test_patch_embed);
  g_test_add_func ("/vk/avg-pool/shapes", test_avg_pool);
  g_test_add_func ("/vk/vision/bad-shapes", test_bad_shapes);
  return vk_test_run ();
}
