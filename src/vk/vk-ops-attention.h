/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attention for decode and prefill (shaders/attention.comp and
 * attention_combine.comp): flash-style tiles with an online float32
 * softmax, so any number of keys works; F16 keys and values from the KV
 * cache (vk-ops-rope.h stores them); grouped-query heads (query head h reads
 * kv head h / (n_heads / n_kv_heads)); head sizes that are multiples of 8
 * up to 256 (Gemma 256, SigLIP 72).
 *
 * Masking (causal = TRUE) works on positions, not slots, so rings and
 * images are handled alike: slot j of the cache holds position
 * key_positions[j] (negative or INT32_MAX = empty), and query i has
 * query_info[i] = { position, key limit }. A key is visible iff
 *   0 <= p_k < limit  and  (window == 0 or p_q - p_k < window).
 * Text queries have limit = p_q + 1 (causal); a query inside an image that
 * spans positions [a, b) has limit = b, so the image attends both ways,
 * and the sliding window still drops only earlier keys (DESIGN §4).
 * lb_vk_attention_query_info() builds these pairs. causal = FALSE: every
 * slot below n_kv is visible (the vision encoder).
 *
 * Attention maps: with span_len > 0 the kernel also writes, for every
 * query and head, the softmax weight of each key whose position lies in
 * [span_begin, span_begin + span_len) (zero where masked) to weights
 * [n_q][n_heads][span_len]; every position of the span must be in the
 * cache. The engine averages heads and layers itself.
 *
 * The scale is applied to q·k (Gemma: 1/sqrt(head_dim), folded here rather
 * than into q).
 */
#pragma once

#include "vk/vk-commands.h"

G_BEGIN_DECLS

typedef struct {
  LbVkBinding q;              /* [n_q][q_stride] f32; head h at h * head_dim */
  LbVkBinding k;              /* F16: (slot, kv head, d) at head*k_head_stride + slot*k_slot_stride + d */
  LbVkBinding v;              /* F16, likewise */
  LbVkBinding key_positions;  /* [n_kv] int32 (causal) */
  LbVkBinding query_info;     /* [n_q][2] int32 { position, key limit } (causal) */
  LbVkBinding out;            /* [n_q][o_stride] f32; head h at h * head_dim */
  LbVkBinding scratch;        /* lb_vk_attention_scratch_bytes () when that is > 0 */
  LbVkBinding weights;        /* [n_q][n_heads][span_len] f32, with span_len > 0 */
  guint32 n_q, n_kv;          /* queries; cache slots scanned (0 .. n_kv-1) */
  guint32 n_heads, n_kv_heads, head_dim;
  guint32 q_stride, o_stride;             /* 0: n_heads × head_dim */
  guint32 k_slot_stride, k_head_stride;   /* halves, multiples of 8; 0: head_dim, n_kv × slot stride */
  guint32 v_slot_stride, v_head_stride;
  float scale;
  gboolean causal;
  guint32 window;             /* sliding window, 0 = none */
  gint32 span_begin;
  guint32 span_len;           /* 0: no attention weights */
  guint32 n_splits;           /* key splits; 0 = choose (decode spreads keys over workgroups) */
} LbVkAttention;

gboolean lb_vk_attention (LbVkCommands *cmds, const LbVkAttention *op, GError **error);

/* Scratch bytes for op and for every smaller n_q and n_kv (0 when they all
 * run in one pass): the scratch for the largest shapes serves every
 * smaller call, e.g. the last, shorter chunk of a prefill. */
guint64 lb_vk_attention_scratch_bytes (LbVkContext *ctx, const LbVkAttention *op);

/* One bidirectional span of positions [begin, end): an image. */
typedef struct {
  gint32 begin, end;
} LbVkSpan;

/* out[2*i] = positions[i], out[2*i+1] = its key limit (see above). */
void lb_vk_attention_query_info (const gint32 *positions, gsize n, const LbVkSpan *spans, gsize n_spans,
                                 gint32 *out);

G_END_DECLS
