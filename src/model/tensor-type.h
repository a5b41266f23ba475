/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tensor element types as GGUF numbers them (the ggml type ids), their block
 * layouts, and a plain-C reference dequantizer for every type Lightbox reads.
 * These dequantizers are the ground truth that the Vulkan shaders and the
 * reference forward pass are checked against.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The numbers are part of the GGUF format: never renumber. */
typedef enum {
  LB_TENSOR_F32 = 0,
  LB_TENSOR_F16 = 1,
  LB_TENSOR_Q4_0 = 2,
  LB_TENSOR_Q4_1 = 3,
  LB_TENSOR_Q5_0 = 6,
  LB_TENSOR_Q5_1 = 7,
  LB_TENSOR_Q8_0 = 8,
  LB_TENSOR_Q8_1 = 9,
  LB_TENSOR_Q2_K = 10,
  LB_TENSOR_Q3_K = 11,
  LB_TENSOR_Q4_K = 12,
  LB_TENSOR_Q5_K = 13,
  LB_TENSOR_Q6_K = 14,
  LB_TENSOR_Q8_K = 15,
  LB_TENSOR_I8 = 24,
  LB_TENSOR_I16 = 25,
  LB_TENSOR_I32 = 26,
  LB_TENSOR_I64 = 27,
  LB_TENSOR_F64 = 28,
  LB_TENSOR_BF16 = 30,
  LB_TENSOR_N_IDS = 40, /* one past the largest id we know a name for */
} LbTensorType;

/* Elements per super-block of the k-quants. */
#define LB_QK_K 256

typedef struct {
  const char *name;     /* "Q4_K" */
  guint block_elements; /* elements per block (1 for plain floats) */
  guint block_bytes;    /* bytes per block */
  gboolean readable;    /* Lightbox has a dequantizer (and shaders) for it */
} LbTensorTypeInfo;

/* NULL for an id that names no type at all (a corrupt file). Ids of known
 * but unreadable types (IQ2_XXS, TQ1_0, …) return an info with
 * readable = FALSE so that messages can name them. */
const LbTensorTypeInfo *lb_tensor_type_info (guint32 type);

/* "Q4_K", "IQ2_XXS", or "type 99" (static or interned string). */
const char *lb_tensor_type_name (guint32 type);

/* Looks a type up by its name ("q4_k" or "Q4_K"); FALSE if unknown. */
gboolean lb_tensor_type_from_name (const char *name, LbTensorType *out_type);

/* Bytes of n elements of a readable type; n must be a multiple of the block
 * size (callers validate shapes first). */
guint64 lb_tensor_type_bytes (LbTensorType type, guint64 n_elements);

/* Dequantizes n elements (a multiple of the block size) from src to dst.
 * src need not be aligned. The type must be readable. */
void lb_dequantize (LbTensorType type, const void *src, float *dst, gsize n_elements);

/* IEEE half and bfloat16 conversions (round to nearest even). */
float lb_f16_to_f32 (guint16 h);
guint16 lb_f32_to_f16 (float f);
float lb_bf16_to_f32 (guint16 b);
guint16 lb_f32_to_bf16 (float f);

G_END_DECLS
