/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Positions: NEOX rope (shaders/rope.comp; rmsnorm can fuse it, see
 * vk-ops-rows.h) and stores into the F16 KV cache (shaders/kv_store.comp).
 * Positions always come from a buffer, so a pre-recorded decode step only
 * rewrites that buffer per token.
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

/* Rotates pairs (i, i + head_dim/2) of every head of every token by
 * theta_i = position / scale_factor × base^(-2i/head_dim). */
typedef struct {
  LbVkBinding x;            /* [n_tok][n_heads][head_dim] f32 (strides below) */
  LbVkBinding positions;    /* [n_tok] int32 */
  LbVkBinding y;            /* like x; may be x */
  guint32 n_tok, n_heads, head_dim;
  guint32 x_tok_stride, x_head_stride;  /* 0: n_heads × head_dim, head_dim */
  guint32 y_tok_stride, y_head_stride;
  float base;               /* 10000, 1e6 */
  float scale_factor;       /* linear scaling; 0 or 1 = none */
} LbVkRope;

gboolean lb_vk_rope (LbVkCommands *cmds, const LbVkRope *op, GError **error);

/* The KV cache of one layer: per kv head, `capacity` slots of head_dim F16
 * values, and the position held by each slot (int32, INT32_MAX or any
 * negative value = empty; the attention kernel skips those). Slot of
 * position p: p % capacity (a ring for sliding-window layers). */
typedef struct {
  LbVkBinding src;          /* [n_tok][src_tok_stride] f32, kv heads contiguous */
  LbVkBinding positions;    /* [n_tok] int32 */
  LbVkBinding cache;        /* F16, element (slot, head, d) at head*head_stride + slot*slot_stride + d */
  LbVkBinding slot_positions; /* [capacity] int32, written */
  guint32 n_tok, n_kv_heads, head_dim;
  guint32 src_tok_stride;   /* 0: n_kv_heads × head_dim */
  guint32 capacity;
  guint32 cache_slot_stride;  /* 0: head_dim */
  guint32 cache_head_stride;  /* 0: capacity × slot stride */
} LbVkKvStore;

/* Two tokens of one call must not fall on the same slot. */
gboolean lb_vk_kv_store (LbVkCommands *cmds, const LbVkKvStore *op, GError **error);

/* Everything a text layer does between its q/k/v projections and the
 * attention, in one dispatch (decode is bound by the number of dependent
 * dispatches, DESIGN §6):
 *   q ← rope(rmsnorm_head(q) * q_norm)                    in place, f32
 *   K cache ← rope(rmsnorm_head(k) * k_norm)               F16
 *   V cache ← v                                            F16
 *   slot_positions[slot] ← position
 * with the slots and the rotation of lb_vk_kv_store and lb_vk_rope (cache
 * element (slot, head, d) at head × capacity × head_dim + slot × head_dim
 * + d). The normed k is not written back: the attention reads keys from
 * the cache. Two tokens of one call must not fall on the same slot. */
typedef struct {
  LbVkBinding q;              /* [n_tok][n_heads][head_dim] f32, read and rewritten */
  LbVkBinding kv;             /* f32: k [n_tok][n_kv_heads][head_dim] at 0, v likewise at v_offset */
  guint32 v_offset;           /* floats */
  LbVkBinding q_norm, k_norm; /* [head_dim] f32 */
  LbVkBinding positions;      /* [n_tok] int32 */
  LbVkBinding cache_k;        /* F16 [n_kv_heads][capacity][head_dim], written */
  LbVkBinding cache_v;        /* likewise */
  LbVkBinding slot_positions; /* [capacity] int32, written */
  guint32 n_tok, n_heads, n_kv_heads, head_dim;
  guint32 capacity;
  float eps;
  float rope_base;            /* 10000, 1e6 */
  float rope_scale_factor;    /* linear scaling; 0 or 1 = none */
} LbVkAttentionPrologue;

gboolean lb_vk_attention_prologue (LbVkCommands *cmds, const LbVkAttentionPrologue *op, GError **error);

G_END_DECLS
