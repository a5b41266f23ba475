/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Argmax and top-K on the GPU against the C reference, over a full
 * vocabulary (262144), odd sizes, fewer values than K, ties (lower index
 * first) and NaN (ranked as -inf). Exact: selection does no arithmetic.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "vk/vk-ops-sample.h"
#include "vk/vk-reference.h"

static void
check_top_k (LbVkContext *ctx, GRand *rand, guint32 n, guint32 k, gboolean ties)
{
  g_autofree float *x = vk_test_random_floats (rand, n, -20, 20);
  g_autofree float *want_v = g_new (float, k), *got_v = NULL;
  g_autofree guint32 *want_i = g_new (guint32, k), *got_i = NULL;
  g_autoptr(LbVkBuffer) bx = NULL, bs = NULL, bi = NULL, bv = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (ties)
    for (guint32 i = 0; i < n; i++)
      x[i] = (float) g_rand_int_range (rand, 0, 5); /* many equal maxima */
  if (n > 10)
    x[g_rand_int_range (rand, 0, n)] = NAN;
  lb_vk_ref_top_k (x, n, k, want_v, want_i);
  bx = vk_test_upload_floats (ctx, x, n, "logits");
  cmds = vk_test_commands (ctx);
  bs = vk_test_poisoned (ctx, cmds, lb_vk_top_k_scratch_bytes (n, k), "top-k scratch");
  bi = vk_test_poisoned (ctx, cmds, k * 4, "indices");
  bv = vk_test_poisoned (ctx, cmds, k * 4, "values");
  if (k == 1)
    lb_vk_argmax (cmds, lb_vk_bind (bx), n, lb_vk_bind (bi), lb_vk_bind (bv), lb_vk_bind (bs), &error);
  else
    lb_vk_top_k (cmds, &(LbVkTopK) { .values = lb_vk_bind (bx), .out_indices = lb_vk_bind (bi),
                                     .out_values = lb_vk_bind (bv), .scratch = lb_vk_bind (bs), .n = n, .k = k },
                 &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got_i = vk_test_download (bi, k * 4);
  got_v = vk_test_download_floats (bv, k);
  for (guint32 r = 0; r < k; r++)
    {
      if (got_i[r] != want_i[r] || !(got_v[r] == want_v[r]))
        g_error ("n %u k %u rank %u: got index %u value %g, expected index %u value %g", n, k, r, got_i[r],
                 got_v[r], want_i[r], want_v[r]);
    }
}

static void
test_argmax (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const guint32 sizes[] = { 1, 7, 8191, 8193, 262144, 262147 };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    check_top_k (ctx, rand, sizes[i], 1, FALSE);
  check_top_k (ctx, rand, 262144, 1, TRUE);
}

static void
test_top_k (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const struct { guint32 n, k; gboolean ties; } cases[] = {
    { 262144, 64, FALSE }, { 5, 8, FALSE }, { 2049, 40, FALSE }, { 100003, 3, FALSE }, { 3000, 256, FALSE },
    { 20000, 50, TRUE },
  };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_top_k (ctx, rand, cases[i].n, cases[i].k, cases[i].ties);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/argmax/sizes", test_argmax);
  g_test_add_func ("/vk/top-k/sizes", test_top_k);
  return vk_test_run ();
}
