/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Argmax and top-K on the GPU against the C reference, over a full
 * vocabulary (262144) and odd sizes, with K = 1 up to 256 and fewer values
 * than K. The order is defined by value, then by lower index, with NaN
 * ranked as -inf and -0 equal to +0; the inputs exercise it: ties of a few
 * values (the top-K then spans many equal keys), values that differ only
 * in their last bits (the radix select's last digit), -inf, NaN and
 * signed zeros. Exact: selection does no arithmetic.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "vk/vk-ops-sample.h"
#include "vk/vk-reference.h"

typedef enum {
  SPREAD,        /* uniform in [-20, 20) */
  FEW_VALUES,    /* 0..4: huge runs of equal values */
  QUANTIZED,     /* multiples of 0.01: short runs of equal values */
  LAST_BITS,     /* 1 + j ulp for j < 3000: one long run of nearby keys */
  SPECIALS,      /* spread, with NaN, ±inf and signed zeros sprinkled in */
  ALL_EQUAL,
} Values;

static float *
make_values (GRand *rand, guint32 n, Values kind)
{
  float *x = vk_test_random_floats (rand, n, -20, 20);

  for (guint32 i = 0; i < n; i++)
    switch (kind)
      {
      case FEW_VALUES:
        x[i] = (float) g_rand_int_range (rand, 0, 5);
        break;
      case QUANTIZED:
        x[i] = roundf (x[i] * 100) / 100;
        break;
      case LAST_BITS:
        x[i] = 1.0f + (float) g_rand_int_range (rand, 0, 3000) * 0x1p-23f;
        break;
      case SPECIALS:
        {
          static const float specials[] = { NAN, INFINITY, -INFINITY, 0.0f, -0.0f };
          if (g_rand_int_range (rand, 0, 50) == 0)
            x[i] = specials[g_rand_int_range (rand, 0, G_N_ELEMENTS (specials))];
        }
        break;
      case ALL_EQUAL:
        x[i] = -3.5f;
        break;
      case SPREAD:
      default:
        break;
      }
  return x;
}

static void
check_top_k (LbVkContext *ctx, GRand *rand, guint32 n, guint32 k, Values kind)
{
  g_autofree float *x = make_values (rand, n, kind);
  g_autofree float *ranked = g_new (float, n);
  g_autofree float *want_v = g_new (float, k), *got_v = NULL;
  g_autofree guint32 *want_i = g_new (guint32, k), *got_i = NULL;
  g_autoptr(LbVkBuffer) bx = NULL, bs = NULL, bi = NULL, bv = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (n > 10 && kind == SPREAD)
    x[g_rand_int_range (rand, 0, n)] = NAN;
  /* The reference compares with >: give it NaN as the -inf it ranks as. */
  for (guint32 i = 0; i < n; i++)
    ranked[i] = isnan (x[i]) ? -INFINITY : x[i];
  lb_vk_ref_top_k (ranked, n, k, want_v, want_i);
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
        g_error ("n %u k %u values %d rank %u: got index %u value %g, expected index %u value %g", n, k, kind, r,
                 got_i[r], got_v[r], want_i[r], want_v[r]);
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
    check_top_k (ctx, rand, sizes[i], 1, SPREAD);
  check_top_k (ctx, rand, 262144, 1, FEW_VALUES);
  check_top_k (ctx, rand, 262144, 1, SPECIALS);
}

static void
test_top_k (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const struct { guint32 n, k; Values kind; } cases[] = {
    { 5, 8, SPREAD }, { 2049, 40, SPREAD }, { 100003, 3, SPREAD }, { 3000, 256, SPREAD }, { 20000, 50, FEW_VALUES },
  };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_top_k (ctx, rand, cases[i].n, cases[i].k, cases[i].kind);
}

/* The vocabulary with the candidate counts the engine asks for, on every
 * kind of values. */
static void
test_top_k_vocabulary (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const guint32 ks[] = { 256, 64, 40, 8 };
  const Values kinds[] = { SPREAD, FEW_VALUES, QUANTIZED, LAST_BITS, SPECIALS };

  if (ctx == NULL)
    return;
  for (gsize j = 0; j < G_N_ELEMENTS (kinds); j++)
    check_top_k (ctx, rand, 262144, ks[j % G_N_ELEMENTS (ks)], kinds[j]);
  check_top_k (ctx, rand, 262144, 64, SPREAD);
  check_top_k (ctx, rand, 262144, 256, ALL_EQUAL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/argmax/sizes", test_argmax);
  g_test_add_func ("/vk/top-k/sizes", test_top_k);
  g_test_add_func ("/vk/top-k/vocabulary", test_top_k_vocabulary);
  return vk_test_run ();
}
