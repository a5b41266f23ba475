/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vision encoder kernels: patch embedding (shaders/patch_embed.comp, a
 * convolution with stride = kernel computed as a tiled matrix product
 * without an im2col buffer) and average pooling of the token grid
 * (shaders/avgpool.comp).
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

typedef struct {
  LbVkBinding image;        /* [channels][height][width] f32, normalized */
  LbVkBinding weight;       /* [n_out][channels][patch][patch], F32 or F16 (GGUF v.patch_embd.weight) */
  LbVkBinding bias;         /* [n_out] f32, or { NULL } */
  LbVkBinding out;          /* [(height/patch) * (width/patch)][n_out] f32, patches row-major */
  guint32 channels, height, width, patch;
  guint32 n_out;
  gboolean weight_f16;
} LbVkPatchEmbed;

gboolean lb_vk_patch_embed (LbVkCommands *cmds, const LbVkPatchEmbed *op, GError **error);

typedef struct {
  LbVkBinding in;           /* [grid_h * grid_w][channels] f32 */
  LbVkBinding out;          /* [(grid_h/k) * (grid_w/k)][channels] f32 */
  guint32 grid_w, grid_h, channels, k;
} LbVkAvgPool;

gboolean lb_vk_avg_pool (LbVkCommands *cmds, const LbVkAvgPool *op, GError **error);

G_END_DECLS
