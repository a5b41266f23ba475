/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Log-probabilities on the GPU (vk-ops-logprob.h) against a double
 * precision C reference: one row and many, odd sizes, rows longer than one
 * workgroup's chunk, a whole vocabulary (262144), magnitudes where a naive
 * sum of exp overflows float32, -inf entries, soft-capping, the bare
 * logsumexp, NaN, a target outside the row, and bad arguments. Outputs and
 * scratch are poisoned with NaN first.
 *
 * Tolerance: float32 sums of exp(x − max) are good to a few 1e-7 relative
 * (the largest term is exactly 1); the result is a difference of two
 * float32 numbers of magnitude |x|, so 1e-4 + 1e-6 · (|x_target| + |lse|).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "vk/vk-ops-logprob.h"

static double
capped (double v, double softcap)
{
  return softcap > 0 ? softcap * tanh (v / softcap) : v;
}

/* logsumexp of one row in double, after the soft cap. */
static double
ref_logsumexp (const float *x, guint32 n, double softcap)
{
  double max = -INFINITY, sum = 0;

  for (guint32 i = 0; i < n; i++)
    max = MAX (max, capped (x[i], softcap));
  if (max == -INFINITY)
    return -INFINITY;
  for (guint32 i = 0; i < n; i++)
    sum += exp (capped (x[i], softcap) - max);
  return max + log (sum);
}

typedef struct {
  guint32 n, n_rows, stride, first;
  float lo, hi;             /* value range */
  float softcap;
  gboolean lse_only;        /* no targets: the logsumexp */
  guint n_neg_inf;          /* -inf entries per row */
} Case;

static void
check_case (LbVkContext *ctx, GRand *rand, const Case *c)
{
  guint32 stride = c->stride != 0 ? c->stride : c->n;
  gsize n_values = (gsize) (c->n_rows - 1) * stride + c->n;
  g_autofree float *x = vk_test_random_floats (rand, n_values, c->lo, c->hi);
  g_autofree guint32 *targets = g_new0 (guint32, c->first + c->n_rows);
  g_autofree float *got = NULL;
  g_autoptr(LbVkBuffer) bx = NULL, bt = NULL, bo = NULL, bs = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;
  double worst = 0;

  for (guint32 r = 0; r < c->n_rows; r++)
    {
      for (guint i = 0; i < c->n_neg_inf; i++)
        x[(gsize) r * stride + g_rand_int_range (rand, 0, c->n)] = -INFINITY;
      targets[c->first + r] = g_rand_int_range (rand, 0, c->n);
      /* Some targets at the row's maximum, some -inf ones are fine too. */
      if (r % 3 == 1)
        x[(gsize) r * stride + targets[c->first + r]] = c->hi;
    }
  bx = vk_test_upload_floats (ctx, x, n_values, "logits");
  bt = vk_test_upload (ctx, targets, (c->first + c->n_rows) * sizeof (guint32), "targets");
  cmds = vk_test_commands (ctx);
  bo = vk_test_poisoned (ctx, cmds, (c->first + c->n_rows) * sizeof (float), "log-probabilities");
  bs = vk_test_poisoned (ctx, cmds, lb_vk_logprob_scratch_bytes (c->n, c->n_rows), "logprob scratch");
  lb_vk_logprob (cmds, &(LbVkLogprob) {
                   .values = lb_vk_bind (bx), .n = c->n, .n_rows = c->n_rows, .stride = c->stride,
                   .softcap = c->softcap, .targets = c->lse_only ? (LbVkBinding) { 0 } : lb_vk_bind (bt),
                   .out = lb_vk_bind (bo), .first = c->first, .scratch = lb_vk_bind (bs) },
                 &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (bo, c->first + c->n_rows);

  for (guint32 r = 0; r < c->n_rows; r++)
    {
      const float *row = x + (gsize) r * stride;
      double lse = ref_logsumexp (row, c->n, c->softcap);
      double xt = capped (row[targets[c->first + r]], c->softcap);
      double want = c->lse_only ? lse : xt - lse;
      double tolerance = 1e-4 + 1e-6 * ((c->lse_only ? 0 : fabs (xt)) + fabs (lse));
      double g = got[c->first + r];

      if (isinf (want))
        {
          if (!(g == want))
            g_error ("n %u row %u: got %g, expected %g", c->n, r, g, want);
          continue;
        }
      if (!(fabs (g - want) <= tolerance))
        g_error ("n %u rows %u row %u (softcap %g%s): got %.7g, expected %.7g (tolerance %.2g)", c->n,
                 c->n_rows, r, c->softcap, c->lse_only ? ", logsumexp" : "", g, want, tolerance);
      worst = MAX (worst, fabs (g - want));
    }
  /* Rows before first are not written: still poisoned. */
  for (guint32 i = 0; i < c->first; i++)
    g_assert_true (isnan (got[i]));
  g_test_message ("n %u × %u rows: largest error %.3g", c->n, c->n_rows, worst);
}

static void
test_sizes (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const Case cases[] = {
    { .n = 1, .n_rows = 1, .lo = -3, .hi = 3 },
    { .n = 7, .n_rows = 1, .lo = -3, .hi = 3 },
    { .n = 2047, .n_rows = 2, .lo = -20, .hi = 20 },
    { .n = 2049, .n_rows = 3, .lo = -20, .hi = 20, .first = 5 },
    /* Rows with a gap between them (a stride), many chunks. */
    { .n = 100003, .n_rows = 5, .stride = 100012, .lo = -30, .hi = 30 },
    { .n = 262144, .n_rows = 1, .lo = -30, .hi = 30 },
    { .n = 262144, .n_rows = 4, .lo = -10, .hi = 25, .n_neg_inf = 100 },
    { .n = 513, .n_rows = 32, .lo = -5, .hi = 5, .first = 1 },
  };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (ctx, rand, &cases[i]);
}

/* Values whose exp overflows float32 (e^89 > FLT_MAX) or underflows to 0
 * everywhere: the running maximum keeps every term in range. */
static void
test_large_magnitudes (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const Case cases[] = {
    { .n = 262144, .n_rows = 2, .lo = 80, .hi = 1000 },
    { .n = 5000, .n_rows = 3, .lo = -10000, .hi = 10000 },
    { .n = 3001, .n_rows = 2, .lo = -2000, .hi = -1000 },
    { .n = 9000, .n_rows = 2, .lo = 100, .hi = 200, .lse_only = TRUE },
  };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (ctx, rand, &cases[i]);
}

/* Gemma's final soft cap, and the bare logsumexp. */
static void
test_softcap (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const Case cases[] = {
    { .n = 70001, .n_rows = 3, .lo = -100, .hi = 100, .softcap = 30 },
    { .n = 262144, .n_rows = 1, .lo = -60, .hi = 60, .softcap = 30, .lse_only = TRUE },
    { .n = 4099, .n_rows = 2, .lo = -40, .hi = 40, .lse_only = TRUE },
  };

  if (ctx == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (ctx, rand, &cases[i]);
}

/* A NaN logit makes its row NaN, not confident; an all -inf row has a
 * logsumexp of -inf; a target past the row is NaN; the other rows stand. */
static void
test_special_values (void)
{
  LbVkContext *ctx = vk_test_context ();
  const guint32 n = 5000;
  g_autofree float *x = g_new (float, 4 * n);
  const guint32 targets[4] = { 3, 4, 5, n };
  g_autofree float *got = NULL, *lse = NULL;
  g_autoptr(LbVkBuffer) bx = NULL, bt = NULL, bo = NULL, bl = NULL, bs = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (ctx == NULL)
    return;
  for (guint32 i = 0; i < 4 * n; i++)
    x[i] = (float) ((i * 7919) % 1000) / 100.0f;
  x[n + 4321] = NAN;                       /* row 1 */
  for (guint32 i = 0; i < n; i++)
    x[2 * n + i] = -INFINITY;              /* row 2 */
  bx = vk_test_upload_floats (ctx, x, 4 * n, "logits");
  bt = vk_test_upload (ctx, targets, sizeof targets, "targets");
  cmds = vk_test_commands (ctx);
  bo = vk_test_poisoned (ctx, cmds, 4 * sizeof (float), "log-probabilities");
  bl = vk_test_poisoned (ctx, cmds, 4 * sizeof (float), "logsumexp");
  bs = vk_test_poisoned (ctx, cmds, lb_vk_logprob_scratch_bytes (n, 4), "logprob scratch");
  g_assert_true (lb_vk_logprob (cmds, &(LbVkLogprob) { .values = lb_vk_bind (bx), .n = n, .n_rows = 4,
                                                       .targets = lb_vk_bind (bt), .out = lb_vk_bind (bo),
                                                       .scratch = lb_vk_bind (bs) }, &error));
  g_assert_true (lb_vk_logprob (cmds, &(LbVkLogprob) { .values = lb_vk_bind (bx), .n = n, .n_rows = 4,
                                                       .out = lb_vk_bind (bl), .scratch = lb_vk_bind (bs) },
                                &error));
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (bo, 4);
  lse = vk_test_download_floats (bl, 4);

  g_assert_cmpfloat_with_epsilon (got[0], x[3] - ref_logsumexp (x, n, 0), 1e-4);
  g_assert_true (isnan (got[1]));
  g_assert_true (isnan (lse[1]));
  g_assert_true (isnan (got[2]));           /* -inf − -inf */
  g_assert_true (lse[2] == -INFINITY);
  g_assert_true (isnan (got[3]));
  g_assert_cmpfloat_with_epsilon (lse[3], ref_logsumexp (x + 3 * n, n, 0), 1e-4);
}

/* Empty rows, overlapping rows, a negative cap, bindings too small. */
static void
test_invalid (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkBuffer) small = NULL, scratch = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;
  float zeros[64] = { 0 };
  const LbVkLogprob cases[] = {
    { .n = 0, .n_rows = 1 },
    { .n = 8, .n_rows = 0 },
    { .n = 8, .n_rows = 2, .stride = 4 },
    { .n = 8, .n_rows = 1, .softcap = -1 },
    { .n = 65, .n_rows = 1 },                 /* more values than the binding holds */
    { .n = 8, .n_rows = 2, .first = 63 },      /* out too small */
  };

  if (ctx == NULL)
    return;
  small = vk_test_upload_floats (ctx, zeros, 64, "small");
  scratch = vk_test_upload_floats (ctx, zeros, 64, "scratch");
  cmds = vk_test_commands (ctx);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LbVkLogprob op = cases[i];
      op.values = op.out = lb_vk_bind (small);
      op.scratch = lb_vk_bind (scratch);
      g_assert_false (lb_vk_logprob (cmds, &op, &error));
      g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
      g_clear_error (&error);
    }
  vk_test_run_commands (cmds);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/logprob/sizes", test_sizes);
  g_test_add_func ("/vk/logprob/large-magnitudes", test_large_magnitudes);
  g_test_add_func ("/vk/logprob/softcap", test_softcap);
  g_test_add_func ("/vk/logprob/special-values", test_special_values);
  g_test_add_func ("/vk/logprob/invalid", test_invalid);
  return vk_test_run ();
}
