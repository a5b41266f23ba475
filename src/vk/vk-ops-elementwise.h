/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Elementwise kernels over rows of floats (shaders/elementwise.comp,
 * shaders/convert.comp): add, multiply, scale, GELU-tanh and the fused
 * gelu(gate) * up, and F32 <-> F16 conversion.
 *
 * Shapes: n_rows rows of n_cols elements; strides are in elements and
 * default to n_cols when 0. Outputs may alias the first input (in place).
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

typedef enum {
  LB_VK_ADD,        /* y = a + b */
  LB_VK_MUL,        /* y = a * b */
  LB_VK_SCALE,      /* y = a * scale */
  LB_VK_GELU,       /* y = gelu_tanh (a) */
  LB_VK_GELU_MUL,   /* y = gelu_tanh (a) * b: a the gate, b the up projection */
} LbVkElementwiseOp;

typedef struct {
  LbVkElementwiseOp op;
  LbVkBinding a;          /* [n_rows][a_stride] f32 */
  LbVkBinding b;          /* [n_rows][b_stride] f32, or [n_cols] with b_broadcast; unused by scale/gelu */
  LbVkBinding y;          /* [n_rows][y_stride] f32 */
  guint32 n_rows, n_cols;
  guint32 a_stride, b_stride, y_stride;
  gboolean b_broadcast;   /* one row of b for every row of a (a bias, position embeddings) */
  float scale;            /* LB_VK_SCALE */
} LbVkElementwise;

gboolean lb_vk_elementwise (LbVkCommands *cmds, const LbVkElementwise *op, GError **error);

typedef struct {
  LbVkBinding src;        /* [n_rows][src_stride] of the source type */
  LbVkBinding dst;        /* [n_rows][dst_stride] of the other */
  guint32 n_rows, n_cols;
  guint32 src_stride, dst_stride;
} LbVkConvert;

/* F32 -> F16, rounding to nearest even (lb_f32_to_f16). */
gboolean lb_vk_convert_f32_to_f16 (LbVkCommands *cmds, const LbVkConvert *op, GError **error);
/* F16 -> F32 (exact). */
gboolean lb_vk_convert_f16_to_f32 (LbVkCommands *cmds, const LbVkConvert *op, GError **error);

G_END_DECLS
