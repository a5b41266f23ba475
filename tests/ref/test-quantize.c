/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The quantizers (src/model/quantize.c) round-trip through the reference
 * dequantizers (lb_dequantize, itself checked against llama.cpp's values in
 * tests/model): for each type, random blocks come back within the type's
 * resolution, and special blocks (zeros, constants, one outlier) behave.
 *
 * Bounds, per block of values x with range r = max(x) - min(x) (or
 * a = max|x| for the symmetric types), from the number of levels: half a
 * step of the finest code plus what the stored scales cost (f16 scales,
 * 4-, 6- and 8-bit sub-block scales, clamping at the ends of the range).
 */
#define G_LOG_DOMAIN "lightbox-test"
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-test.h"
#include "model/quantize.h"

typedef struct {
  LbTensorType type;
  /* Largest error allowed, as a fraction of the block's max |x| over a
   * uniform [-1, 1) input… */
  double max_error;
  /* …and the root-mean-square error. */
  double rms_error;
} TypeBound;

/* Steps: Q8_0 2/254, Q6_K 2/63, Q5_* 2/31, Q4_* 2/15, Q3_K 2/7, Q2_K 2/3 of
 * the range; the max error is about half a step plus the cost of the
 * scales; the rms of a uniform rounding error is step/sqrt(12). */
static const TypeBound bounds[] = {
  { LB_TENSOR_F32, 0.0, 0.0 },
  { LB_TENSOR_F16, 1.0 / 2048, 1.0 / 4096 },
  { LB_TENSOR_BF16, 1.0 / 256, 1.0 / 512 },
  { LB_TENSOR_Q8_0, 0.0045, 0.0025 },
  { LB_TENSOR_Q6_K, 0.018, 0.010 },
  { LB_TENSOR_Q5_0, 0.036, 0.020 },
  { LB_TENSOR_Q5_1, 0.036, 0.020 },
  { LB_TENSOR_Q5_K, 0.036, 0.020 },
  { LB_TENSOR_Q4_0, 0.075, 0.042 },
  { LB_TENSOR_Q4_1, 0.075, 0.042 },
  { LB_TENSOR_Q4_K, 0.075, 0.042 },
  { LB_TENSOR_Q3_K, 0.16, 0.09 },
  { LB_TENSOR_Q2_K, 0.36, 0.18 },
};

static void
round_trip (LbTensorType type, const float *x, float *y, gsize n)
{
  g_autofree guint8 *bytes = g_malloc (lb_tensor_type_bytes (type, n));

  lb_quantize (type, x, bytes, n);
  lb_dequantize (type, bytes, y, n);
}

static void
test_uniform (gconstpointer data)
{
  const TypeBound *bound = data;
  const gsize n = 256 * 64;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7 + bound->type);
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  double worst = 0.0, sum2 = 0.0;

  lb_test_fill_uniform (rand, x, n, -1.0f, 1.0f);
  round_trip (bound->type, x, y, n);
  for (gsize i = 0; i < n; i++)
    {
      double e = fabs ((double) y[i] - x[i]);
      g_assert_true (isfinite (y[i]));
      worst = MAX (worst, e);
      sum2 += e * e;
    }
  g_test_message ("%s: max error %.5f, rms %.5f", lb_tensor_type_name (bound->type), worst, sqrt (sum2 / n));
  g_assert_cmpfloat (worst, <=, bound->max_error);
  g_assert_cmpfloat (sqrt (sum2 / n), <=, bound->rms_error);
  if (bound->type == LB_TENSOR_F32)
    g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
}

/* Blocks of very different magnitudes in one super-block: the error scales
 * with each block's own values, not the tensor's. */
static void
test_scaled_blocks (gconstpointer data)
{
  const TypeBound *bound = data;
  const gsize n = 256 * 8;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  const LbTensorTypeInfo *info = lb_tensor_type_info (bound->type);
  gsize block = info->block_elements == 1 ? 32 : info->block_elements;

  lb_test_fill_uniform (rand, x, n, -1.0f, 1.0f);
  /* Each block of 'block' values gets its own scale, 1e-3 … 1e3. */
  for (gsize b = 0; b < n / block; b++)
    for (gsize i = 0; i < block; i++)
      x[b * block + i] *= powf (10.0f, (float) (b % 7) - 3.0f);
  round_trip (bound->type, x, y, n);
  for (gsize b = 0; b < n / block; b++)
    {
      double amax = 0.0, worst = 0.0;
      for (gsize i = 0; i < block; i++)
        {
          amax = MAX (amax, fabs (x[b * block + i]));
          worst = MAX (worst, fabs ((double) y[b * block + i] - x[b * block + i]));
        }
      /* k-quant super-blocks share one f16 scale for sub-blocks of equal
       * magnitude here, so the same relative bound holds. */
      g_assert_cmpfloat (worst, <=, bound->max_error * amax + 1e-7);
    }
}

static void
test_special_blocks (gconstpointer data)
{
  const TypeBound *bound = data;
  const gsize n = 256;
  float x[256], y[256];

  /* Zeros stay zeros. */
  memset (x, 0, sizeof x);
  round_trip (bound->type, x, y, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, 0.0f);

  /* A constant block: within the type's resolution of the constant. */
  for (gsize i = 0; i < n; i++)
    x[i] = 0.37f;
  round_trip (bound->type, x, y, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabsf (y[i] - x[i]), <=, bound->max_error * 0.37 + 1e-6);

  /* One outlier among small values: the outlier is kept (it sets the
   * scale) and the rest stay within the block's resolution. */
  for (gsize i = 0; i < n; i++)
    x[i] = 0.01f * (float) ((int) (i % 17) - 8);
  x[100] = -5.0f;
  round_trip (bound->type, x, y, n);
  g_assert_cmpfloat (fabsf (y[100] - x[100]), <=, bound->max_error * 5.0 + 1e-6);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabsf (y[i] - x[i]), <=, bound->max_error * 5.0 + 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      const char *name = lb_tensor_type_name (bounds[i].type);
      g_autofree char *uniform = g_strdup_printf ("/quantize/%s/uniform", name);
      g_autofree char *scaled = g_strdup_printf ("/quantize/%s/scaled-blocks", name);
      g_autofree char *special = g_strdup_printf ("/quantize/%s/special-blocks", name);

      g_assert_true (lb_quantize_supported (bounds[i].type));
      g_test_add_data_func (uniform, &bounds[i], test_uniform);
      g_test_add_data_func (scaled, &bounds[i], test_scaled_blocks);
      g_test_add_data_func (special, &bounds[i], test_special_blocks);
    }
  return g_test_run ();
}
