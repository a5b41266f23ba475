/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Row kernels, one workgroup per row (shaders/rmsnorm.comp,
 * add_rmsnorm.comp, layernorm.comp, softmax.comp). Strides are in elements
 * and default to n_cols when 0; outputs may alias inputs where noted.
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

/* y = x / sqrt(mean(x²) + eps) [* weight].
 * Per-head norms: n_rows = tokens × heads, n_cols = head_dim, rows of a
 * token contiguous (x_stride = head_dim), weight [head_dim]. (A text
 * layer's q/k norms are fused with rope and the KV cache stores:
 * lb_vk_attention_prologue in vk-ops-rope.h.) */
typedef struct {
  LbVkBinding x;            /* [n_rows][x_stride] f32 */
  LbVkBinding weight;       /* [n_cols] f32, or { NULL } */
  LbVkBinding y;            /* [n_rows][y_stride] f32; may be x */
  guint32 n_rows, n_cols;
  guint32 x_stride, y_stride;
  float eps;
} LbVkRmsNorm;

gboolean lb_vk_rmsnorm (LbVkCommands *cmds, const LbVkRmsNorm *op, GError **error);

/* Gemma's norm sandwich: x += rmsnorm(a) * w_post; then, when h is given,
 * h = rmsnorm(x) * w_next. */
typedef struct {
  LbVkBinding a;            /* [n_rows][a_stride] f32: the block's output */
  LbVkBinding w_post;       /* [n_cols] f32 */
  LbVkBinding x;            /* [n_rows][x_stride] f32: the residual stream, updated */
  LbVkBinding w_next;       /* [n_cols] f32, or { NULL } with h */
  LbVkBinding h;            /* [n_rows][h_stride] f32, or { NULL } */
  guint32 n_rows, n_cols;
  guint32 a_stride, x_stride, h_stride;
  float eps;
} LbVkAddRmsNorm;

gboolean lb_vk_add_rmsnorm (LbVkCommands *cmds, const LbVkAddRmsNorm *op, GError **error);

/* y = (x - mean) / sqrt(var + eps) * weight + bias. */
typedef struct {
  LbVkBinding x;            /* [n_rows][x_stride] f32 */
  LbVkBinding weight;       /* [n_cols] f32 */
  LbVkBinding bias;         /* [n_cols] f32 */
  LbVkBinding y;            /* [n_rows][y_stride] f32; may be x */
  guint32 n_rows, n_cols;
  guint32 x_stride, y_stride;
  float eps;
} LbVkLayerNorm;

gboolean lb_vk_layernorm (LbVkCommands *cmds, const LbVkLayerNorm *op, GError **error);

/* y = softmax(x * scale) per row (scale 0 means 1). */
typedef struct {
  LbVkBinding x;            /* [n_rows][x_stride] f32 */
  LbVkBinding y;            /* [n_rows][y_stride] f32; may be x */
  guint32 n_rows, n_cols;
  guint32 x_stride, y_stride;
  float scale;
} LbVkSoftmax;

gboolean lb_vk_softmax (LbVkCommands *cmds, const LbVkSoftmax *op, GError **error);

/* The workgroup size the row kernels use for rows of n_cols. */
guint32 lb_vk_row_workgroup_size (guint32 n_cols);

G_END_DECLS
