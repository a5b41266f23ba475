/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-elementwise.h"

#define WG 256
#define PER_THREAD 4 /* columns per invocation, see the shaders */

/* Mirrors shaders/elementwise.comp. */
typedef struct {
  guint32 n_cols, n_rows;
  guint32 a_stride, b_stride, y_stride;
  float scale;
} ElementwisePush;
G_STATIC_ASSERT (sizeof (ElementwisePush) == 24);

/* Mirrors shaders/convert.comp. */
typedef struct {
  guint32 n_cols, n_rows;
  guint32 src_stride, dst_stride;
} ConvertPush;
G_STATIC_ASSERT (sizeof (ConvertPush) == 16);

gboolean
lb_vk_elementwise (LbVkCommands *cmds, const LbVkElementwise *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  gboolean uses_b = op->op == LB_VK_ADD || op->op == LB_VK_MUL || op->op == LB_VK_GELU_MUL;
  LbVkPipelineDesc desc = {
    .shader = "elementwise",
    .n_bindings = 3,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (ElementwisePush),
    .local_size = { WG, 1, 1 },
    .n_constants = 1,
    .constants = { op->op },
  };
  ElementwisePush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .a_stride = op->a_stride ? op->a_stride : op->n_cols,
    .b_stride = op->b_broadcast ? 0 : (op->b_stride ? op->b_stride : op->n_cols),
    .y_stride = op->y_stride ? op->y_stride : op->n_cols,
    .scale = op->scale,
  };
  LbVkBinding bindings[3] = { op->a, uses_b ? op->b : op->a, op->y };
  LbVkPipeline *pipeline;

  g_return_val_if_fail (op->op <= LB_VK_GELU_MUL, FALSE);
  g_return_val_if_fail (!uses_b || op->b.buffer != NULL, FALSE);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  if (pipeline == NULL)
    return FALSE;
  return lb_vk_dispatch (cmds, pipeline, bindings, &push, lb_vk_groups (op->n_cols, WG * PER_THREAD),
                         op->n_rows, 1, error);
}

static gboolean
convert (LbVkCommands *cmds, const char *shader, const LbVkConvert *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = shader,
    .n_bindings = 2,
    .access = { LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (ConvertPush),
    .local_size = { WG, 1, 1 },
  };
  ConvertPush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .src_stride = op->src_stride ? op->src_stride : op->n_cols,
    .dst_stride = op->dst_stride ? op->dst_stride : op->n_cols,
  };
  LbVkBinding bindings[2] = { op->src, op->dst };
  LbVkPipeline *pipeline = lb_vk_pipeline_get (ctx, &desc, error);

  if (pipeline == NULL)
    return FALSE;
  return lb_vk_dispatch (cmds, pipeline, bindings, &push, lb_vk_groups (op->n_cols, WG * PER_THREAD),
                         op->n_rows, 1, error);
}

gboolean
lb_vk_convert_f32_to_f16 (LbVkCommands *cmds, const LbVkConvert *op, GError **error)
{
  return convert (cmds, "convert_f32_f16", op, error);
}

gboolean
lb_vk_convert_f16_to_f32 (LbVkCommands *cmds, const LbVkConvert *op, GError **error)
{
  return convert (cmds, "convert_f16_f32", op, error);
}
