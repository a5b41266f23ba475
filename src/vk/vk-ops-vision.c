/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-ops-vision.h"

#define PATCH_TILE 64 /* shaders/patch_embed.comp */
#define POOL_WG 128

/* Mirrors shaders/patch_embed.comp. */
typedef struct {
  guint32 channels, height, width, patch_size;
  guint32 n_out;
  guint32 has_bias;
} PatchEmbedPush;
G_STATIC_ASSERT (sizeof (PatchEmbedPush) == 24);

/* Mirrors shaders/avgpool.comp. */
typedef struct {
  guint32 grid_w, grid_h, channels, k;
} AvgPoolPush;
G_STATIC_ASSERT (sizeof (AvgPoolPush) == 16);

gboolean
lb_vk_patch_embed (LbVkCommands *cmds, const LbVkPatchEmbed *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = op->weight_f16 ? "patch_embed_f16" : "patch_embed_f32",
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (PatchEmbedPush),
    .local_size = { 256, 1, 1 },
  };
  PatchEmbedPush push = {
    .channels = op->channels,
    .height = op->height,
    .width = op->width,
    .patch_size = op->patch,
    .n_out = op->n_out,
    .has_bias = op->bias.buffer != NULL,
  };
  LbVkBinding bindings[4] = { op->image, op->weight, lb_vk_bind_or (op->bias, op->image), op->out };
  LbVkPipeline *pipeline;
  guint32 n_patches;

  if (op->patch == 0 || op->height % op->patch != 0 || op->width % op->patch != 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "patch embedding: a %u×%u image does not divide into %u-pixel patches", op->width,
                   op->height, op->patch);
      return FALSE;
    }
  n_patches = (op->height / op->patch) * (op->width / op->patch);
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL
         && lb_vk_dispatch (cmds, pipeline, bindings, &push, lb_vk_groups (n_patches, PATCH_TILE),
                            lb_vk_groups (op->n_out, PATCH_TILE), 1, error);
}

gboolean
lb_vk_avg_pool (LbVkCommands *cmds, const LbVkAvgPool *op, GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  LbVkPipelineDesc desc = {
    .shader = "avgpool",
    .n_bindings = 2,
    .access = { LB_VK_READ, LB_VK_WRITE },
    .push_size = sizeof (AvgPoolPush),
    .local_size = { POOL_WG, 1, 1 },
  };
  AvgPoolPush push = { .grid_w = op->grid_w, .grid_h = op->grid_h, .channels = op->channels, .k = op->k };
  LbVkBinding bindings[2] = { op->in, op->out };
  LbVkPipeline *pipeline;

  if (op->k == 0 || op->grid_w % op->k != 0 || op->grid_h % op->k != 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "average pooling: a %u×%u grid does not divide into %u×%u cells", op->grid_w, op->grid_h,
                   op->k, op->k);
      return FALSE;
    }
  pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  return pipeline != NULL
         && lb_vk_dispatch (cmds, pipeline, bindings, &push,
                            lb_vk_groups ((guint64) (op->grid_w / op->k) * (op->grid_h / op->k) * op->channels,
                                          POOL_WG), 1, 1, error);
}
