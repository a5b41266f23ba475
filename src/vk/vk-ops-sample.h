/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sampling on the GPU (shaders/topk.comp): argmax and top-K over a
 * vocabulary (262144 logits) without copying the logits back. Results are
 * largest first, ties to the lower index; NaN counts as -inf and -0 as +0
 * (both come back as the value they count as). Argmax: two streaming
 * passes. K > 1: a radix select (histograms of 11, 11 and 10 bits of the
 * value's bits find the K-th largest) and a sort of the K survivors in one
 * workgroup: four dispatches and a fill, whatever K, all in one recording
 * without host round trips.
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

#define LB_VK_TOP_K_MAX 256

typedef struct {
  LbVkBinding values;       /* [n] f32 */
  LbVkBinding out_indices;  /* [k] uint32 */
  LbVkBinding out_values;   /* [k] f32, or { NULL } */
  LbVkBinding scratch;      /* lb_vk_top_k_scratch_bytes (n, k) bytes */
  guint32 n, k;             /* 1 <= k <= LB_VK_TOP_K_MAX; k > n pads with -inf, index 0xffffffff */
} LbVkTopK;

gboolean lb_vk_top_k (LbVkCommands *cmds, const LbVkTopK *op, GError **error);
/* Grows with n and k: the scratch for the largest n and k serves every
 * smaller call (argmax included). */
guint64 lb_vk_top_k_scratch_bytes (guint32 n, guint32 k);

/* lb_vk_top_k with k = 1. */
gboolean lb_vk_argmax (LbVkCommands *cmds, LbVkBinding values, guint32 n, LbVkBinding out_index,
                       LbVkBinding out_value, LbVkBinding scratch, GError **error);

G_END_DECLS
