/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-rows.h"

/* Mirrors shaders/rmsnorm.comp. */
typedef struct {
  guint32 n_cols, n_rows;
  guint32 x_stride, y_stride;
  float eps;
} RmsNormPush;
G_STATIC_ASSERT (sizeof (RmsNormPush) == 20);

/* Mirrors shaders/add_rmsnorm.comp. */
typedef struct {
  guint32 n_cols, n_rows;
  guint32 a_stride, x_stride, h_stride;
  float eps;
} AddRmsNormPush;
G_STATIC_ASSERT (sizeof (AddRmsNormPush) == 24);

/* Mirrors shaders/layernorm.comp and shaders/softmax.comp. */
typedef struct {
  guint32 n_cols, n_rows;
  guint32 x_stride, y_stride;
  float eps_or_scale;
} RowPush;
G_STATIC_ASSERT (sizeof (RowPush) == 20);

guint32
lb_vk_row_workgroup_size (guint32 n_cols)
{
  /* About four elements per invocation, 64 to 256 invocations. */
  if (n_cols >= 1024)
    return 256;
  if (n_cols >= 512)
    return 128;
  return 64;
}

static guint32
stride_or (guint32 stride, guint32 n_cols)
{
  return stride != 0 ? stride : n_cols;
}

gboolean
lb_vk_rmsnorm (LbVkCommands *cmds, const LbVkRmsNorm *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "rmsnorm",
    .n_bindings = 3,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (RmsNormPush),
    .local_size = { lb_vk_row_workgroup_size (op->n_cols), 1, 1 },
    .n_constants = 1,
    .constants = { op->weight.buffer != NULL },
  };
  RmsNormPush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .x_stride = stride_or (op->x_stride, op->n_cols),
    .y_stride = stride_or (op->y_stride, op->n_cols),
    .eps = op->eps,
  };
  LbVkBinding bindings[3] = { op->x, lb_vk_bind_or (op->weight, op->x), op->y };
  LbVkPipeline *pipeline = lb_vk_pipeline_get (ctx, &desc, error);

  return pipeline != NULL && lb_vk_dispatch (cmds, pipeline, bindings, &push, op->n_rows, 1, 1, error);
}

gboolean
lb_vk_add_rmsnorm (LbVkCommands *cmds, const LbVkAddRmsNorm *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  gboolean second = op->h.buffer != NULL;
  LbVkPipelineDesc desc = {
    .shader = "add_rmsnorm",
    .n_bindings = 5,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_READ_WRITE, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (AddRmsNormPush),
    .local_size = { lb_vk_row_workgroup_size (op->n_cols), 1, 1 },
    .n_constants = 1,
    .constants = { second },
  };
  AddRmsNormPush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .a_stride = stride_or (op->a_stride, op->n_cols),
    .x_stride = stride_or (op->x_stride, op->n_cols),
    .h_stride = stride_or (op->h_stride, op->n_cols),
    .eps = op->eps,
  };
  /* Without h, the unused bindings repeat read-only operands; h's slot is
   * declared written, so it gets a (harmless) alias of x. */
  LbVkBinding bindings[5] = {
    op->a, op->w_post, op->x,
    second ? op->w_next : op->w_post,
    second ? op->h : op->x,
  };
  LbVkPipeline *pipeline;

  g_return_val_if_fail (!second || op->w_next.buffer != NULL, FALSE);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL && lb_vk_dispatch (cmds, pipeline, bindings, &push, op->n_rows, 1, 1, error);
}

gboolean
lb_vk_layernorm (LbVkCommands *cmds, const LbVkLayerNorm *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "layernorm",
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (RowPush),
    .local_size = { lb_vk_row_workgroup_size (op->n_cols), 1, 1 },
  };
  RowPush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .x_stride = stride_or (op->x_stride, op->n_cols),
    .y_stride = stride_or (op->y_stride, op->n_cols),
    .eps_or_scale = op->eps,
  };
  LbVkBinding bindings[4] = { op->x, op->weight, op->bias, op->y };
  LbVkPipeline *pipeline = lb_vk_pipeline_get (ctx, &desc, error);

  return pipeline != NULL && lb_vk_dispatch (cmds, pipeline, bindings, &push, op->n_rows, 1, 1, error);
}

gboolean
lb_vk_softmax (LbVkCommands *cmds, const LbVkSoftmax *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "softmax",
    .n_bindings = 2,
    .access = { LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (RowPush),
    .local_size = { lb_vk_row_workgroup_size (op->n_cols), 1, 1 },
  };
  RowPush push = {
    .n_cols = op->n_cols,
    .n_rows = op->n_rows,
    .x_stride = stride_or (op->x_stride, op->n_cols),
    .y_stride = stride_or (op->y_stride, op->n_cols),
    .eps_or_scale = op->scale != 0 ? op->scale : 1.0f,
  };
  LbVkBinding bindings[2] = { op->x, op->y };
  LbVkPipeline *pipeline = lb_vk_pipeline_get (ctx, &desc, error);

  return pipeline != NULL && lb_vk_dispatch (cmds, pipeline, bindings, &push, op->n_rows, 1, 1, error);
}
