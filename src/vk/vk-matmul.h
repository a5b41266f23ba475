/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weight-matrix kernels: y = W · x with W kept in its GGUF block layout on
 * the GPU and dequantized on the fly (shaders/mul-mat-vec.comp for decode,
 * shaders/mul-mm.comp for prefill and the vision encoder, and
 * shaders/mul-mm-coopmat.comp, its cooperative-matrix twin; all built on
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
 * Epilogues: GELU applies gelu_tanh to every output (the vision MLP's fc1);
 * GELU_MUL takes two parts, gate and up, and writes gelu_tanh(gate) × up
 * into the gate's output (the text MLP), the same workgroup computing row
 * r of both, so the pair costs one dispatch and no round trip through
 * memory. Where the parts cannot share one dispatch (bindings in different
 * buffers or beyond one binding) it falls back to two products and an
 * elementwise pass, writing the up projection into part 1's output.
 *
 * Kernel shapes (workgroup size, rows per workgroup, tiles) are chosen per
 * device and shape in vk-matmul.c; for tuning on a new device without a
 * rebuild, LIGHTBOX_VK_MATVEC=WG,ROWS and LIGHTBOX_VK_MATMUL_TILE=BM,BN,TM,TN
 * override them (ignored when malformed or beyond the device's limits).
 *
 * Cooperative matrices (tensor cores), for the tiled products only: where
 * the context enabled VK_NV_cooperative_matrix (vk-context.h: an f16 × f16
 * → f32 subgroup shape of 16 × 16 × 16 or 16 × 8 × 16), the first tiled
 * product of each weight layout runs a check on the device: the
 * cooperative-matrix kernel against the scalar tiled kernel on random
 * weights of that type (80 rows, 72 vectors, with bias, and the GELU_MUL
 * pair), within the tolerance lb_vk_matmul_check_kernel states (f16
 * rounding of both operands). Only when it agrees do that type's tiled
 * products use it; otherwise a g_message says why and the scalar kernel
 * runs. LIGHTBOX_VK_COOPMAT=0 never uses it (the context does not even
 * enable the extension); LIGHTBOX_VK_COOPMAT=1 uses it without the check,
 * and makes every tiled product fail with LB_VK_ERROR_MISSING_FEATURE on a
 * device without it.
 *
 * What was verified where (keep this honest): the cooperative-matrix shader
 * compiles with Debian 12's glslc and passes spirv-val (tests/vk/test-matmul.c
 * runs spirv-val when installed); the selection, the fallbacks, the check's
 * harness and the epilogues run on lavapipe, which has no cooperative
 * matrices. The kernel itself has NOT yet run on a GPU: the check above is
 * what keeps a wrong result out on the first device that has one.
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
  LB_VK_MATMUL_VEC,           /* matrix × vector, LB_VK_MATMUL_VEC_MAX vectors per workgroup at most */
  LB_VK_MATMUL_TILED,         /* shared-memory tiles: cooperative matrices where checked (above) */
  LB_VK_MATMUL_TILED_SCALAR,  /* shared-memory tiles, never cooperative matrices */
  LB_VK_MATMUL_COOPMAT,       /* cooperative matrices, unchecked; LB_VK_ERROR_MISSING_FEATURE without */
} LbVkMatmulKernel;

/* What is written (see above). */
typedef enum {
  LB_VK_MATMUL_PLAIN,         /* y_p = W_p x (+ b_p) */
  LB_VK_MATMUL_GELU,          /* y_p = gelu_tanh (W_p x (+ b_p)) */
  LB_VK_MATMUL_GELU_MUL,      /* two parts of equal rows: y_0 = gelu_tanh (W_0 x (+ b_0)) · (W_1 x (+ b_1));
                               * part 1's output is scratch, written or not */
} LbVkMatmulEpilogue;

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
  LbVkMatmulEpilogue epilogue;
} LbVkMatmul;

/* Whether the kernels read weights of this type (F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K). */
gboolean lb_vk_matmul_supported (LbTensorType type);

/* How the kernels read rows of a weight type (shaders/dequant.glsl);
 * shared by the matrix kernels and the row lookup (vk-get-rows.h). */
typedef struct {
  const char *variant;        /* shader suffix: "q4_k", or "f16_4" for F16 rows of 4k+4 */
  guint32 word_bytes;         /* the shader's addressing unit: 2, 4, 8 or 16 bytes (2: blocks only
                               * 2-byte aligned, read as runs of 32-bit words all the same) */
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

/* Whether the tiled products of this weight type (and width: F16 / BF16
 * rows of 8k + 4 are another layout) run on cooperative matrices: runs the
 * check on first use for that layout (a synchronous submit on the
 * context's queue, outside any recording). FALSE with error set only where
 * LIGHTBOX_VK_COOPMAT=1 asks for them on a device without. */
gboolean lb_vk_matmul_uses_coopmat (LbVkContext *ctx, LbTensorType type, guint32 cols, gboolean *out_uses,
                                    GError **error);

/* The outcome of lb_vk_matmul_check_kernel. */
typedef struct {
  gboolean agrees;
  double worst;         /* the largest |candidate - scalar| / tolerance over all outputs; <= 1 agrees */
  char where[96];       /* which output that was: "gelu_mul y[3][70]" */
} LbVkMatmulCheck;

/* Runs `kernel` and the scalar tiled kernel on the same random weights of
 * the type (80 rows of `cols`, 72 vectors, a bias; then the GELU_MUL pair
 * of two such weights) and compares every output. Tolerance, from f16
 * rounding of weights and activations (relative 2^-11 each) in the
 * cooperative-matrix kernel and f32 sums in both:
 *   |a - b| <= 2e-3 · sum_k |W[r][k] x[k]| + 2^-24 · sum_k (|W[r][k]| + |x[k]|) + 1e-6
 * for a product, propagated through gelu (|gelu'| <= 1.13) and the
 * product for GELU_MUL. FALSE only on Vulkan errors (a kernel that cannot
 * be built among them). */
gboolean lb_vk_matmul_check_kernel (LbVkContext *ctx, LbTensorType type, guint32 cols, LbVkMatmulKernel kernel,
                                    LbVkMatmulCheck *result, GError **error);

G_END_DECLS
