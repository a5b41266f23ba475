/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weight-matrix kernels: y = W · x with W kept in its GGUF block layout on
 * the GPU and dequantized on the fly (shaders/mul-mat-vec.comp for decode,
 * shaders/mul-mm.comp for prefill and the vision encoder, both built on
 * shaders/dequant.glsl).
 *
 * Shapes follow GGUF: a weight tensor's ne[0] = cols is the input width,
 * ne[1] = rows the output width, and each row is a run of blocks.
 *
 *   W[rows][cols]  (type, row_bytes = lb_tensor_type_bytes (type, cols))
 *   x[n][x_stride] float32, the first cols elements of each vector used
 *   y[n][out_stride] float32, y[c][r] = sum_k W[r][k] x[c][k] (+ bias[r])
 *
 * Fused weights: up to three weights of one type and width reading the same
 * x (q/k/v, gate/up) are one LbVkMatmul with n_parts > 1. They run as ONE
 * dispatch when each group of bindings lives in one LbVkBuffer and fits one
 * binding: all weights in one buffer, all outputs in one buffer, all biases
 * in one buffer (an engine allocates each layer's fused weights together
 * for this); otherwise as one dispatch per part, with no barrier between
 * them. Offsets must be multiples of the device's storage-buffer alignment.
 *
 * Large tensors: weights beyond maxStorageBufferRange are dispatched in row
 * chunks (lb_vk_rows_per_binding), activations/outputs beyond it in groups
 * of vectors; all of that is internal.
 *
 *   LbVkMatmul mm = {
 *     .type = LB_TENSOR_Q4_K, .cols = 2560, .n = 1, .x = lb_vk_bind (h),
 *     .n_parts = 3,
 *     .parts = { { lb_vk_bind_range (layer, q_off, q_bytes), 2048, lb_vk_bind_range (qkv, 0, 8192) },
 *                { lb_vk_bind_range (layer, k_off, k_bytes), 1024, lb_vk_bind_range (qkv, 8192, 4096) },
 *                { lb_vk_bind_range (layer, v_off, v_bytes), 1024, lb_vk_bind_range (qkv, 12288, 4096) } },
 *   };
 *   lb_vk_matmul (cmds, &mm, error);
 *
 * Kernel shapes (workgroup size, rows per workgroup, tiles) are chosen per
 * device and shape in vk-matmul.c; for tuning on a new device without a
 * rebuild, LIGHTBOX_VK_MATVEC=WG,ROWS and LIGHTBOX_VK_MATMUL_TILE=BM,BN,TM,TN
 * override them (ignored when malformed or beyond the device's limits).
 *
 * Threading: the context's thread (vk-context.h).
 */
#pragma once

#include "model/tensor-type.h"
#include "vk/vk-commands.h"

G_BEGIN_DECLS

#define LB_VK_MATMUL_MAX_PARTS 3

/* Which kernel multiplies. AUTO takes the matrix × vector kernel for
 * n <= LB_VK_MATMUL_VEC_MAX and the tiled one beyond. */
typedef enum {
  LB_VK_MATMUL_AUTO,
  LB_VK_MATMUL_VEC,     /* matrix × vector, LB_VK_MATMUL_VEC_MAX vectors per workgroup at most */
  LB_VK_MATMUL_TILED,   /* shared-memory tiles */
} LbVkMatmulKernel;

#define LB_VK_MATMUL_VEC_MAX 8

typedef struct {
  LbVkBinding weight;   /* W[rows][cols], row-major blocks; size 0: to the buffer's end */
  guint32 rows;
  LbVkBinding out;      /* y[n][out_stride] float32 */
  guint32 out_stride;   /* elements between output vectors; 0 = rows */
  LbVkBinding bias;     /* float32[rows], or .buffer == NULL for none */
} LbVkMatmulPart;

typedef struct {
  LbTensorType type;    /* of every part's weight */
  guint32 cols;         /* K: elements per weight row and per activation vector */
  guint32 n;            /* activation vectors (0 records nothing) */
  LbVkBinding x;        /* x[n][x_stride] float32 */
  guint32 x_stride;     /* elements between activation vectors; 0 = cols; multiple of 4 */
  guint n_parts;        /* 1..LB_VK_MATMUL_MAX_PARTS */
  LbVkMatmulPart parts[LB_VK_MATMUL_MAX_PARTS];
  LbVkMatmulKernel kernel;
} LbVkMatmul;

/* Whether the kernels read weights of this type (F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K). */
gboolean lb_vk_matmul_supported (LbTensorType type);

/* How the kernels read rows of a weight type (shaders/dequant.glsl);
 * shared by the matrix kernels and the row lookup (vk-get-rows.h). */
typedef struct {
  const char *variant;        /* shader suffix: "q4_k", or "f16_4" for F16 rows of 4k+4 */
  guint32 word_bytes;         /* the shader's load unit: 2, 4, 8 or 16 bytes */
  guint32 unit_elements;      /* elements one invocation dequantizes at once */
  guint64 row_bytes;
} LbVkWeightLayout;

/* Fills layout for rows of cols elements of the type. Rows must be a
 * multiple of the block size (32 or 256 elements), or of 4 for the plain
 * float types (their rows are read as vec4 / f16x4). Sets
 * LB_VK_ERROR_INVALID naming `what` (a tensor) otherwise. */
gboolean lb_vk_weight_layout (LbTensorType type, guint32 cols, LbVkWeightLayout *layout, const char *what,
                              GError **error);

/* Records y_p = W_p · x for every part. Checks types, shapes and binding
 * sizes (LB_VK_ERROR_INVALID naming the weight's buffer) before recording
 * anything. */
gboolean lb_vk_matmul (LbVkCommands *cmds, const LbVkMatmul *op, GError **error);

/* One weight, whole bindings, packed vectors: out[n][rows] = W · x[n][cols]. */
gboolean lb_vk_matmul_simple (LbVkCommands *cmds, LbTensorType type, LbVkBinding weight, guint32 rows,
                              guint32 cols, LbVkBinding x, guint32 n, LbVkBinding out, GError **error);

G_END_DECLS
