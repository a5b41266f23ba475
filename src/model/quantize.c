/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <math.h>
#include <string.h>

#include "model/quantize.h"

/* ---- helpers ------------------------------------------------------------ */

static inline void
write_u16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static inline void
write_f16 (guint8 *p, float f)
{
  write_u16 (p, lb_f32_to_f16 (f));
}

/* The value as it will be read back from an f16. */
static inline float
f16_round (float f)
{
  return lb_f16_to_f32 (lb_f32_to_f16 (f));
}

/* The smallest f16 value >= f (f >= 0): a scale that still covers its
 * range after being stored (f16 is coarse for tiny, subnormal scales). */
static float
f16_round_up (float f)
{
  guint16 h = lb_f32_to_f16 (f);

  if (lb_f16_to_f32 (h) < f)
    h++;
  return lb_f16_to_f32 (h);
}

static inline int
clamp_int (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

static inline int
round_int (float f)
{
  return (int) lrintf (f);
}

/* The element of largest magnitude, with its sign. */
static float
signed_absmax (const float *x, int n)
{
  float best = 0.0f;

  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > fabsf (best))
      best = x[i];
  return best;
}

static void
min_max (const float *x, int n, float *out_min, float *out_max)
{
  float lo = x[0], hi = x[0];

  for (int i = 1; i < n; i++)
    {
      lo = MIN (lo, x[i]);
      hi = MAX (hi, x[i]);
    }
  *out_min = lo;
  *out_max = hi;
}

/* Symmetric: value = d * (q - offset) with q in [0, 2*offset - 1]. The
 * largest magnitude maps to offset - 0.5 steps, so that both ends of
 * [-max|x|, max|x|] are within half a step of a code. Returns the stored d. */
static float
symmetric_scale (const float *x, int n, int offset)
{
  return f16_round_up (fabsf (signed_absmax (x, n)) / ((float) offset - 0.5f));
}

static inline int
symmetric_q (float x, float d, int offset)
{
  return d != 0.0f ? clamp_int (round_int (x / d) + offset, 0, 2 * offset - 1) : offset;
}

/* ---- 32-element blocks ------------------------------------------------- */

/* Q4_0: f16 d, 16 bytes of nibbles (elements j and j+16 share byte j). */
static void
quantize_q4_0 (const float *x, guint8 *b)
{
  float d = symmetric_scale (x, 32, 8);

  write_f16 (b, d);
  for (int j = 0; j < 16; j++)
    b[2 + j] = symmetric_q (x[j], d, 8) | (symmetric_q (x[j + 16], d, 8) << 4);
}

/* Q5_0: f16 d, 32 fifth bits, nibbles; q in [0, 31] centred on 16. */
static void
quantize_q5_0 (const float *x, guint8 *b)
{
  float d = symmetric_scale (x, 32, 16);
  guint32 qh = 0;

  write_f16 (b, d);
  for (int j = 0; j < 16; j++)
    {
      int lo = symmetric_q (x[j], d, 16), hi = symmetric_q (x[j + 16], d, 16);
      b[6 + j] = (lo & 0x0f) | ((hi & 0x0f) << 4);
      qh |= (guint32) (lo >> 4) << j;
      qh |= (guint32) (hi >> 4) << (j + 16);
    }
  for (int i = 0; i < 4; i++)
    b[2 + i] = (qh >> (8 * i)) & 0xff;
}

/* Affine: value = q*d + m, q in [0, levels]. Returns the stored d and m. */
static void
affine_scale (const float *x, int n, int levels, float *d, float *m)
{
  float lo, hi;

  min_max (x, n, &lo, &hi);
  *d = f16_round_up ((hi - lo) / levels);
  *m = f16_round (lo);
}

static inline int
affine_q (float x, float d, float m, int levels)
{
  return d != 0.0f ? clamp_int (round_int ((x - m) / d), 0, levels) : 0;
}

/* Q4_1: f16 d, f16 m, nibbles. */
static void
quantize_q4_1 (const float *x, guint8 *b)
{
  float d, m;

  affine_scale (x, 32, 15, &d, &m);
  write_f16 (b, d);
  write_f16 (b + 2, m);
  for (int j = 0; j < 16; j++)
    b[4 + j] = affine_q (x[j], d, m, 15) | (affine_q (x[j + 16], d, m, 15) << 4);
}

/* Q5_1: f16 d, f16 m, 32 fifth bits, nibbles. */
static void
quantize_q5_1 (const float *x, guint8 *b)
{
  float d, m;
  guint32 qh = 0;

  affine_scale (x, 32, 31, &d, &m);
  write_f16 (b, d);
  write_f16 (b + 2, m);
  for (int j = 0; j < 16; j++)
    {
      int lo = affine_q (x[j], d, m, 31), hi = affine_q (x[j + 16], d, m, 31);
      b[8 + j] = (lo & 0x0f) | ((hi & 0x0f) << 4);
      qh |= (guint32) (lo >> 4) << j;
      qh |= (guint32) (hi >> 4) << (j + 16);
    }
  for (int i = 0; i < 4; i++)
    b[4 + i] = (qh >> (8 * i)) & 0xff;
}

/* Q8_0: f16 d, 32 signed bytes in [-127, 127]. */
static void
quantize_q8_0 (const float *x, guint8 *b)
{
  float amax = fabsf (signed_absmax (x, 32));
  float d = f16_round_up (amax / 127.0f);

  write_f16 (b, d);
  for (int j = 0; j < 32; j++)
    {
      int q = d != 0.0f ? clamp_int (round_int (x[j] / d), -127, 127) : 0;
      b[2 + j] = (guint8) (gint8) q;
    }
}

/* ---- k-quants: 256-element super-blocks -------------------------------- */

/* Sub-block scales and mins of the affine k-quants (Q2_K, Q4_K, Q5_K):
 * value = d*ls*q - dmin*lm, q in [0, levels]. The sub-block's minimum is
 * clamped to at most 0 (the format stores a non-negative lm). The super-
 * block scales d, dmin map the largest scale and min onto max_code. */
static void
affine_sub_scales (const float *x, int n_sub, int sub_size, int levels, int max_code,
                   float *d, float *dmin, guint8 *ls, guint8 *lm)
{
  float scales[16], mins[16];
  float max_scale = 0.0f, max_min = 0.0f;

  for (int s = 0; s < n_sub; s++)
    {
      float lo, hi;
      min_max (x + s * sub_size, sub_size, &lo, &hi);
      lo = MIN (lo, 0.0f);
      scales[s] = (hi - lo) / levels;
      mins[s] = -lo;
      max_scale = MAX (max_scale, scales[s]);
      max_min = MAX (max_min, mins[s]);
    }
  *d = f16_round_up (max_scale / max_code);
  *dmin = f16_round_up (max_min / max_code);
  for (int s = 0; s < n_sub; s++)
    {
      /* Scales round up (ceil) so that the sub-block's range still fits in
       * the levels; mins round to nearest. */
      ls[s] = *d > 0.0f ? clamp_int ((int) ceilf (scales[s] / *d - 1e-4f), 0, max_code) : 0;
      lm[s] = *dmin > 0.0f ? clamp_int (round_int (mins[s] / *dmin), 0, max_code) : 0;
    }
}

static inline int
affine_k_q (float x, float dl, float ml, int levels)
{
  return dl > 0.0f ? clamp_int (round_int ((x + ml) / dl), 0, levels) : 0;
}

/* Inverse of tensor-type.c's scale_min_k4: 8 six-bit scales and mins in 12 bytes. */
static void
pack_scale_min_k4 (const guint8 *ls, const guint8 *lm, guint8 *q)
{
  memset (q, 0, 12);
  for (int j = 0; j < 8; j++)
    {
      if (j < 4)
        {
          q[j] |= ls[j] & 63;
          q[j + 4] |= lm[j] & 63;
        }
      else
        {
          q[j + 4] |= (ls[j] & 0x0f) | ((lm[j] & 0x0f) << 4);
          q[j - 4] |= (ls[j] >> 4) << 6;
          q[j] |= (lm[j] >> 4) << 6;
        }
    }
}

/* Q4_K: f16 d, f16 dmin, 12 bytes of scales, 128 bytes of nibbles; each 64
 * elements share 32 bytes (the first 32 in low nibbles, the next in high). */
static void
quantize_q4_k (const float *x, guint8 *b)
{
  float d, dmin;
  guint8 ls[8], lm[8];
  guint8 *qs = b + 16;

  affine_sub_scales (x, 8, 32, 15, 63, &d, &dmin, ls, lm);
  write_f16 (b, d);
  write_f16 (b + 2, dmin);
  pack_scale_min_k4 (ls, lm, b + 4);
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++)
      {
        int s0 = 2 * c, s1 = 2 * c + 1;
        int q0 = affine_k_q (x[64 * c + l], d * ls[s0], dmin * lm[s0], 15);
        int q1 = affine_k_q (x[64 * c + 32 + l], d * ls[s1], dmin * lm[s1], 15);
        qs[32 * c + l] = q0 | (q1 << 4);
      }
}

/* Q5_K: as Q4_K with 32 bytes of fifth bits before the nibbles. */
static void
quantize_q5_k (const float *x, guint8 *b)
{
  float d, dmin;
  guint8 ls[8], lm[8];
  guint8 *qh = b + 16;
  guint8 *ql = b + 48;

  affine_sub_scales (x, 8, 32, 31, 63, &d, &dmin, ls, lm);
  write_f16 (b, d);
  write_f16 (b + 2, dmin);
  pack_scale_min_k4 (ls, lm, b + 4);
  memset (qh, 0, 32);
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++)
      {
        int s0 = 2 * c, s1 = 2 * c + 1;
        int q0 = affine_k_q (x[64 * c + l], d * ls[s0], dmin * lm[s0], 31);
        int q1 = affine_k_q (x[64 * c + 32 + l], d * ls[s1], dmin * lm[s1], 31);
        ql[32 * c + l] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
        if (q0 > 15)
          qh[l] |= 1 << (2 * c);
        if (q1 > 15)
          qh[l] |= 2 << (2 * c);
      }
}

/* Q2_K: 16 bytes of scales (low nibble scale, high nibble min), 64 bytes of
 * 2-bit values, f16 d, f16 dmin. Element n + 32j + 16h + l (n = 0, 128)
 * lives in byte n/4 + 16h + l at bit 2j. */
static void
quantize_q2_k (const float *x, guint8 *b)
{
  float d, dmin;
  guint8 ls[16], lm[16];
  guint8 *qs = b + 16;

  affine_sub_scales (x, 16, 16, 3, 15, &d, &dmin, ls, lm);
  for (int s = 0; s < 16; s++)
    b[s] = ls[s] | (lm[s] << 4);
  memset (qs, 0, 64);
  for (int e = 0; e < LB_QK_K; e++)
    {
      int s = e / 16;
      int n = e / 128, j = (e % 128) / 32, h = (e % 32) / 16, l = e % 16;
      int q = affine_k_q (x[e], d * ls[s], dmin * lm[s], 3);
      qs[32 * n + 16 * h + l] |= q << (2 * j);
    }
  write_f16 (b + 80, d);
  write_f16 (b + 82, dmin);
}

/* Symmetric sub-block scales of Q3_K and Q6_K: value = d*ls*(q - offset),
 * each sub-block's scale as above; ls in [0, code], rounded up so that the
 * sub-block's values stay within range. Returns the stored d. */
static float
symmetric_sub_scales (const float *x, int n_sub, int sub_size, int offset, int code, gint8 *ls)
{
  float scales[16];
  float max_scale = 0.0f;
  float d;

  for (int s = 0; s < n_sub; s++)
    {
      scales[s] = fabsf (signed_absmax (x + s * sub_size, sub_size)) / ((float) offset - 0.5f);
      max_scale = MAX (max_scale, scales[s]);
    }
  d = f16_round_up (max_scale / (float) code);
  for (int s = 0; s < n_sub; s++)
    ls[s] = d > 0.0f ? clamp_int ((int) ceilf (scales[s] / d - 1e-4f), 0, code) : 0;
  return d;
}

/* Q3_K: 32 bytes of high bits, 64 bytes of low 2 bits, 12 bytes of 6-bit
 * scales, f16 d; q in [-4, 3]. The high bit of element n + 32j + 16h + l
 * is bit (4n/128 + j) of hmask[16h + l]. */
static void
quantize_q3_k (const float *x, guint8 *b)
{
  gint8 ls[16];
  guint8 *hmask = b, *qs = b + 32, *packed = b + 96;
  float d = symmetric_sub_scales (x, 16, 16, 4, 31, ls);

  memset (b, 0, 108);
  for (int i = 0; i < 16; i++)
    {
      int u = ls[i] + 32;
      if (i < 8)
        packed[i] |= u & 0x0f;
      else
        packed[i - 8] |= (u & 0x0f) << 4;
      packed[8 + (i % 4)] |= (u >> 4) << (2 * (i / 4));
    }
  for (int e = 0; e < LB_QK_K; e++)
    {
      int s = e / 16;
      int n = e / 128, j = (e % 128) / 32, h = (e % 32) / 16, l = e % 16;
      int u = symmetric_q (x[e], d * ls[s], 4);
      qs[32 * n + 16 * h + l] |= (u & 3) << (2 * j);
      if (u & 4)
        hmask[16 * h + l] |= 1 << (4 * n + j);
    }
  write_f16 (b + 108, d);
}

/* Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 signed
 * scales, f16 d; q in [0, 63] centred on 32. */
static void
quantize_q6_k (const float *x, guint8 *b)
{
  gint8 ls[16];
  guint8 q[LB_QK_K];
  float d = symmetric_sub_scales (x, 16, 16, 32, 127, ls);
  guint8 *ql = b, *qh = b + 128;

  for (int e = 0; e < LB_QK_K; e++)
    q[e] = symmetric_q (x[e], d * ls[e / 16], 32);
  for (int n = 0; n < 2; n++)
    for (int l = 0; l < 32; l++)
      {
        const guint8 *y = q + 128 * n;
        int q1 = y[l], q2 = y[l + 32], q3 = y[l + 64], q4 = y[l + 96];
        ql[64 * n + l] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
        ql[64 * n + l + 32] = (q2 & 0x0f) | ((q4 & 0x0f) << 4);
        qh[32 * n + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
  memcpy (b + 192, ls, 16);
  write_f16 (b + 208, d);
}

/* ---- entry points ------------------------------------------------------- */

typedef void (*QuantizeBlockFunc) (const float *x, guint8 *block);

static QuantizeBlockFunc
block_func_for (LbTensorType type)
{
  switch (type)
    {
    case LB_TENSOR_Q4_0: return quantize_q4_0;
    case LB_TENSOR_Q4_1: return quantize_q4_1;
    case LB_TENSOR_Q5_0: return quantize_q5_0;
    case LB_TENSOR_Q5_1: return quantize_q5_1;
    case LB_TENSOR_Q8_0: return quantize_q8_0;
    case LB_TENSOR_Q2_K: return quantize_q2_k;
    case LB_TENSOR_Q3_K: return quantize_q3_k;
    case LB_TENSOR_Q4_K: return quantize_q4_k;
    case LB_TENSOR_Q5_K: return quantize_q5_k;
    case LB_TENSOR_Q6_K: return quantize_q6_k;
    default: return NULL;
    }
}

gboolean
lb_quantize_supported (LbTensorType type)
{
  return type == LB_TENSOR_F32 || type == LB_TENSOR_F16 || type == LB_TENSOR_BF16 ||
         block_func_for (type) != NULL;
}

void
lb_quantize (LbTensorType type, const float *src, void *dst, gsize n_elements)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  guint8 *bytes = dst;
  QuantizeBlockFunc block_func;

  g_return_if_fail (lb_quantize_supported (type));
  g_return_if_fail (n_elements % info->block_elements == 0);

  switch (type)
    {
    case LB_TENSOR_F32:
      memcpy (dst, src, n_elements * sizeof (float));
      return;
    case LB_TENSOR_F16:
      for (gsize i = 0; i < n_elements; i++)
        write_u16 (bytes + 2 * i, lb_f32_to_f16 (src[i]));
      return;
    case LB_TENSOR_BF16:
      for (gsize i = 0; i < n_elements; i++)
        write_u16 (bytes + 2 * i, lb_f32_to_bf16 (src[i]));
      return;
    default:
      break;
    }

  block_func = block_func_for (type);
  for (gsize i = 0; i < n_elements / info->block_elements; i++)
    block_func (src + i * info->block_elements, bytes + i * info->block_bytes);
}
