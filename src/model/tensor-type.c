/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Block layouts and reference dequantizers of the ggml tensor types. The
 * layouts are fixed by the GGUF files in the wild; every multi-byte field is
 * little-endian and blocks are packed (no padding), so fields are read with
 * explicit byte loads rather than through C structs.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <math.h>
#include <string.h>

#include "model/tensor-type.h"

static const LbTensorTypeInfo type_infos[LB_TENSOR_N_IDS] = {
  [LB_TENSOR_F32] = { "F32", 1, 4, TRUE },
  [LB_TENSOR_F16] = { "F16", 1, 2, TRUE },
  [LB_TENSOR_Q4_0] = { "Q4_0", 32, 18, TRUE },
  [LB_TENSOR_Q4_1] = { "Q4_1", 32, 20, TRUE },
  [4] = { "Q4_2", 32, 18, FALSE }, /* removed from ggml long ago */
  [5] = { "Q4_3", 32, 20, FALSE },
  [LB_TENSOR_Q5_0] = { "Q5_0", 32, 22, TRUE },
  [LB_TENSOR_Q5_1] = { "Q5_1", 32, 24, TRUE },
  [LB_TENSOR_Q8_0] = { "Q8_0", 32, 34, TRUE },
  [LB_TENSOR_Q8_1] = { "Q8_1", 32, 36, FALSE },
  [LB_TENSOR_Q2_K] = { "Q2_K", LB_QK_K, 84, TRUE },
  [LB_TENSOR_Q3_K] = { "Q3_K", LB_QK_K, 110, TRUE },
  [LB_TENSOR_Q4_K] = { "Q4_K", LB_QK_K, 144, TRUE },
  [LB_TENSOR_Q5_K] = { "Q5_K", LB_QK_K, 176, TRUE },
  [LB_TENSOR_Q6_K] = { "Q6_K", LB_QK_K, 210, TRUE },
  [LB_TENSOR_Q8_K] = { "Q8_K", LB_QK_K, 292, FALSE },
  [16] = { "IQ2_XXS", LB_QK_K, 66, FALSE },
  [17] = { "IQ2_XS", LB_QK_K, 74, FALSE },
  [18] = { "IQ3_XXS", LB_QK_K, 98, FALSE },
  [19] = { "IQ1_S", LB_QK_K, 50, FALSE },
  [20] = { "IQ4_NL", 32, 18, FALSE },
  [21] = { "IQ3_S", LB_QK_K, 110, FALSE },
  [22] = { "IQ2_S", LB_QK_K, 82, FALSE },
  [23] = { "IQ4_XS", LB_QK_K, 136, FALSE },
  [LB_TENSOR_I8] = { "I8", 1, 1, FALSE },
  [LB_TENSOR_I16] = { "I16", 1, 2, FALSE },
  [LB_TENSOR_I32] = { "I32", 1, 4, FALSE },
  [LB_TENSOR_I64] = { "I64", 1, 8, FALSE },
  [LB_TENSOR_F64] = { "F64", 1, 8, FALSE },
  [29] = { "IQ1_M", LB_QK_K, 56, FALSE },
  [LB_TENSOR_BF16] = { "BF16", 1, 2, TRUE },
  [34] = { "TQ1_0", LB_QK_K, 54, FALSE },
  [35] = { "TQ2_0", LB_QK_K, 66, FALSE },
  [39] = { "MXFP4", 32, 17, FALSE },
};

const LbTensorTypeInfo *
lb_tensor_type_info (guint32 type)
{
  if (type >= G_N_ELEMENTS (type_infos) || type_infos[type].name == NULL)
    return NULL;
  return &type_infos[type];
}

const char *
lb_tensor_type_name (guint32 type)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  g_autofree char *unknown = NULL;

  if (info != NULL)
    return info->name;
  unknown = g_strdup_printf ("type %u", type);
  return g_intern_string (unknown);
}

gboolean
lb_tensor_type_from_name (const char *name, LbTensorType *out_type)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (type_infos); i++)
    if (type_infos[i].name != NULL && g_ascii_strcasecmp (type_infos[i].name, name) == 0)
      {
        *out_type = (LbTensorType) i;
        return TRUE;
      }
  return FALSE;
}

guint64
lb_tensor_type_bytes (LbTensorType type, guint64 n_elements)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);

  g_return_val_if_fail (info != NULL, 0);
  g_return_val_if_fail (n_elements % info->block_elements == 0, 0);
  return n_elements / info->block_elements * info->block_bytes;
}

/* ---- scalar conversions ------------------------------------------------ */

static inline guint32
f32_bits (float f)
{
  guint32 u;
  memcpy (&u, &f, 4);
  return u;
}

static inline float
bits_f32 (guint32 u)
{
  float f;
  memcpy (&f, &u, 4);
  return f;
}

float
lb_f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;

  if (exponent == 0x1f) /* inf / nan */
    return bits_f32 (sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0)
    {
      /* zero or subnormal: mantissa * 2^-24 */
      float value = (float) mantissa * 5.9604644775390625e-8f;
      return sign ? -value : value;
    }
  return bits_f32 (sign | ((exponent + 112) << 23) | (mantissa << 13));
}

guint16
lb_f32_to_f16 (float f)
{
  guint32 x = f32_bits (f);
  guint32 sign = (x >> 16) & 0x8000;
  guint32 abs = x & 0x7fffffff;

  if (abs >= 0x7f800000) /* inf or nan (keep nan quiet) */
    return (guint16) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
  if (abs >= 0x477ff000) /* rounds to >= 65520: overflow to inf */
    return (guint16) (sign | 0x7c00);
  if (abs < 0x38800000)
    {
      /* result is subnormal (or zero): round abs / 2^-24 to nearest even */
      float scaled = bits_f32 (abs) * 16777216.0f;
      return (guint16) (sign | (guint32) lrintf (scaled));
    }
  /* normal: rebias the exponent, round the 13 dropped bits to nearest even */
  guint32 rounded = abs + 0xfff + ((abs >> 13) & 1);
  return (guint16) (sign | ((rounded - 0x38000000) >> 13));
}

float
lb_bf16_to_f32 (guint16 b)
{
  return bits_f32 ((guint32) b << 16);
}

guint16
lb_f32_to_bf16 (float f)
{
  guint32 x = f32_bits (f);

  if ((x & 0x7fffffff) > 0x7f800000) /* nan: keep it a quiet nan */
    return (guint16) ((x >> 16) | 64);
  return (guint16) ((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

/* ---- little-endian field reads ---------------------------------------- */

static inline guint16
read_u16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static inline guint32
read_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static inline float
read_f16 (const guint8 *p)
{
  return lb_f16_to_f32 (read_u16 (p));
}

/* ---- 32-element blocks ------------------------------------------------- */

/* Q4_0: f16 d, 16 bytes of nibbles; low nibbles are elements 0..15, high 16..31. */
static void
dequantize_q4_0 (const guint8 *b, float *y)
{
  float d = read_f16 (b);
  const guint8 *qs = b + 2;

  for (int j = 0; j < 16; j++)
    {
      y[j] = ((qs[j] & 0x0f) - 8) * d;
      y[j + 16] = ((qs[j] >> 4) - 8) * d;
    }
}

/* Q4_1: f16 d, f16 m, nibbles; value = q*d + m. */
static void
dequantize_q4_1 (const guint8 *b, float *y)
{
  float d = read_f16 (b), m = read_f16 (b + 2);
  const guint8 *qs = b + 4;

  for (int j = 0; j < 16; j++)
    {
      y[j] = (qs[j] & 0x0f) * d + m;
      y[j + 16] = (qs[j] >> 4) * d + m;
    }
}

/* Q5_0: f16 d, 32 high bits, nibbles; 5-bit values centred on 16. */
static void
dequantize_q5_0 (const guint8 *b, float *y)
{
  float d = read_f16 (b);
  guint32 qh = read_u32 (b + 2);
  const guint8 *qs = b + 6;

  for (int j = 0; j < 16; j++)
    {
      int lo = (qs[j] & 0x0f) | (((qh >> j) & 1) << 4);
      int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = (lo - 16) * d;
      y[j + 16] = (hi - 16) * d;
    }
}

/* Q5_1: f16 d, f16 m, 32 high bits, nibbles; value = q*d + m. */
static void
dequantize_q5_1 (const guint8 *b, float *y)
{
  float d = read_f16 (b), m = read_f16 (b + 2);
  guint32 qh = read_u32 (b + 4);
  const guint8 *qs = b + 8;

  for (int j = 0; j < 16; j++)
    {
      int lo = (qs[j] & 0x0f) | (((qh >> j) & 1) << 4);
      int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = lo * d + m;
      y[j + 16] = hi * d + m;
    }
}

/* Q8_0: f16 d, 32 signed bytes. */
static void
dequantize_q8_0 (const guint8 *b, float *y)
{
  float d = read_f16 (b);

  for (int j = 0; j < 32; j++)
    y[j] = (gint8) b[2 + j] * d;
}

/* ---- 256-element k-quant super-blocks ----------------------------------- */

/* Q2_K: 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit
 * values, f16 d, f16 dmin. */
static void
dequantize_q2_k (const guint8 *b, float *y)
{
  const guint8 *scales = b;
  const guint8 *q = b + 16;
  float d = read_f16 (b + 80), dmin = read_f16 (b + 82);
  int is = 0;

  for (int n = 0; n < LB_QK_K; n += 128, q += 32)
    for (int shift = 0; shift < 8; shift += 2)
      for (int half = 0; half < 2; half++)
        {
          guint8 sc = scales[is++];
          float dl = d * (sc & 0x0f), ml = dmin * (sc >> 4);
          for (int l = 0; l < 16; l++)
            *y++ = dl * ((q[l + 16 * half] >> shift) & 3) - ml;
        }
}

/* Q3_K: 32 bytes of high-bit mask, 64 bytes of 2-bit values, 12 bytes of
 * packed 6-bit scales, f16 d. */
static void
dequantize_q3_k (const guint8 *b, float *y)
{
  const guint8 *hmask = b;
  const guint8 *q = b + 32;
  const guint8 *packed = b + 96;
  float d = read_f16 (b + 108);
  gint8 scales[16];
  guint8 m = 1;
  int is = 0;

  /* 16 six-bit scales: low 4 bits from bytes 0..7, high 2 bits from 8..11. */
  for (int i = 0; i < 16; i++)
    {
      int low = (i < 8) ? (packed[i] & 0x0f) : (packed[i - 8] >> 4);
      int high = (packed[8 + (i % 4)] >> (2 * (i / 4))) & 3;
      scales[i] = (gint8) ((low | (high << 4)) - 32);
    }

  for (int n = 0; n < LB_QK_K; n += 128, q += 32)
    for (int shift = 0; shift < 8; shift += 2, m <<= 1)
      for (int half = 0; half < 2; half++)
        {
          float dl = d * scales[is++];
          for (int l = 0; l < 16; l++)
            {
              int k = l + 16 * half;
              int value = ((q[k] >> shift) & 3) - ((hmask[k] & m) ? 0 : 4);
              *y++ = dl * value;
            }
        }
}

/* The 6-bit scale and min of sub-block j of Q4_K / Q5_K, packed in 12 bytes. */
static inline void
scale_min_k4 (int j, const guint8 *q, guint8 *scale, guint8 *min)
{
  if (j < 4)
    {
      *scale = q[j] & 63;
      *min = q[j + 4] & 63;
    }
  else
    {
      *scale = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
      *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* Q4_K: f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles;
 * 8 sub-blocks of 32: value = d*scale*q - dmin*min. */
static void
dequantize_q4_k (const guint8 *b, float *y)
{
  float d = read_f16 (b), dmin = read_f16 (b + 2);
  const guint8 *scales = b + 4;
  const guint8 *q = b + 16;

  for (int is = 0; is < 8; is += 2, q += 32)
    {
      guint8 sc, m;
      scale_min_k4 (is, scales, &sc, &m);
      float d1 = d * sc, m1 = dmin * m;
      scale_min_k4 (is + 1, scales, &sc, &m);
      float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        *y++ = d1 * (q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; l++)
        *y++ = d2 * (q[l] >> 4) - m2;
    }
}

/* Q5_K: as Q4_K plus 32 bytes of fifth bits. */
static void
dequantize_q5_k (const guint8 *b, float *y)
{
  float d = read_f16 (b), dmin = read_f16 (b + 2);
  const guint8 *scales = b + 4;
  const guint8 *qh = b + 16;
  const guint8 *ql = b + 48;
  guint8 u1 = 1, u2 = 2;

  for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2)
    {
      guint8 sc, m;
      scale_min_k4 (is, scales, &sc, &m);
      float d1 = d * sc, m1 = dmin * m;
      scale_min_k4 (is + 1, scales, &sc, &m);
      float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++)
        *y++ = d1 * ((ql[l] & 0x0f) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; l++)
        *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
}

/* Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 signed
 * 8-bit scales, f16 d; 6-bit values centred on 32. */
static void
dequantize_q6_k (const guint8 *b, float *y)
{
  const guint8 *ql = b;
  const guint8 *qh = b + 128;
  const gint8 *sc = (const gint8 *) (b + 192);
  float d = read_f16 (b + 208);

  for (int n = 0; n < LB_QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8)
    for (int l = 0; l < 32; l++)
      {
        int is = l / 16;
        int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
}

typedef void (*DequantizeBlockFunc) (const guint8 *block, float *out);

void
lb_dequantize (LbTensorType type, const void *src, float *dst, gsize n_elements)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  const guint8 *bytes = src;
  DequantizeBlockFunc block_func = NULL;

  g_return_if_fail (info != NULL && info->readable);
  g_return_if_fail (n_elements % info->block_elements == 0);

  switch (type)
    {
    case LB_TENSOR_F32:
      memcpy (dst, src, n_elements * sizeof (float));
      return;
    case LB_TENSOR_F16:
      for (gsize i = 0; i < n_elements; i++)
        dst[i] = read_f16 (bytes + 2 * i);
      return;
    case LB_TENSOR_BF16:
      for (gsize i = 0; i < n_elements; i++)
        dst[i] = lb_bf16_to_f32 (read_u16 (bytes + 2 * i));
      return;
    case LB_TENSOR_Q4_0: block_func = dequantize_q4_0; break;
    case LB_TENSOR_Q4_1: block_func = dequantize_q4_1; break;
    case LB_TENSOR_Q5_0: block_func = dequantize_q5_0; break;
    case LB_TENSOR_Q5_1: block_func = dequantize_q5_1; break;
    case LB_TENSOR_Q8_0: block_func = dequantize_q8_0; break;
    case LB_TENSOR_Q2_K: block_func = dequantize_q2_k; break;
    case LB_TENSOR_Q3_K: block_func = dequantize_q3_k; break;
    case LB_TENSOR_Q4_K: block_func = dequantize_q4_k; break;
    case LB_TENSOR_Q5_K: block_func = dequantize_q5_k; break;
    case LB_TENSOR_Q6_K: block_func = dequantize_q6_k; break;
    default:
      g_return_if_reached ();
    }

  for (gsize i = 0; i < n_elements / info->block_elements; i++)
    block_func (bytes + i * info->block_bytes, dst + i * info->block_elements);
}
