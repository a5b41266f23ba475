/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attention maps (DESIGN §5): for each generated token, the attention that
 * the position which chose it paid to each image position, averaged over
 * the heads of the global-attention layers (LbTokenBatch.attention). The
 * image positions are a g × g grid over the model-input square (16 × 16
 * for MedGemma, row-major), so each row is a g × g map.
 *
 * A trace collects the rows as the answer streams in, with the text each
 * token produced, and gives maps:
 *   - per token: the row itself;
 *   - per sentence (a byte range of the text): the mean of the rows of the
 *     tokens that produced it (lb_sentences_token_range);
 *   - for the whole answer: the mean over its tokens, up to the one that
 *     completed its last character (a stop token, which adds no text, is
 *     left out).
 * The values are shares of attention: a row sums to the share of that
 * token's attention that went to the image (<= 1), and a mean of rows sums
 * to the mean share. lb_region_map_normalize (…, SUM) turns a map into a
 * distribution over the image (sums to 1); (…, MAX) scales it for the
 * colormap. A mean rather than a sum keeps sentences of different lengths
 * comparable; the colours are the same either way.
 *
 * What it is: where the model looked while writing — not proof of why.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "regions/region-map.h"

G_BEGIN_DECLS

typedef struct _LbAttentionTrace LbAttentionTrace;

LbAttentionTrace *lb_attention_trace_new (void);
void lb_attention_trace_free (LbAttentionTrace *trace);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbAttentionTrace, lb_attention_trace_free)

/* Appends tokens: text is what they produced (text_length bytes) and
 * text_ends[i] the bytes of it produced up to and including token i (as in
 * LbTokenBatch); attention [n_tokens][n_image_positions] or NULL (then the
 * trace has no maps). FALSE when n_image_positions changes or is not a
 * square. */
gboolean lb_attention_trace_add (LbAttentionTrace *trace, guint n_tokens, const gint32 *ids,
                                 const char *text, gsize text_length, const gsize *text_ends,
                                 guint n_image_positions, const float *attention, GError **error);

/* The same from an engine batch (an LbTokenBatchFunc can call it). */
gboolean lb_attention_trace_add_batch (LbAttentionTrace *trace, const LbTokenBatch *batch,
                                       GError **error);

guint lb_attention_trace_n_tokens (const LbAttentionTrace *trace);
const gint32 *lb_attention_trace_ids (const LbAttentionTrace *trace);
/* The text so far and, per token, the bytes produced up to and including it. */
const char *lb_attention_trace_text (const LbAttentionTrace *trace, gsize *out_length);
const gsize *lb_attention_trace_text_ends (const LbAttentionTrace *trace);
/* g (0 before the first row, or without attention). */
guint lb_attention_trace_grid (const LbAttentionTrace *trace);
/* Row i ([g × g]) or NULL. */
const float *lb_attention_trace_row (const LbAttentionTrace *trace, guint token);

/* The mean of the rows of tokens [first, first + n). Errors:
 * LB_REGIONS_ERROR_NO_ATTENTION (no rows were captured: the model has no
 * global layer, or capture was off), LB_REGIONS_ERROR_INVALID (an empty or
 * out-of-range span). */
LbRegionMap *lb_attention_trace_map_tokens (const LbAttentionTrace *trace, guint first, guint n,
                                            GError **error);
/* The map of the tokens that produced bytes [start, end) of the text. */
LbRegionMap *lb_attention_trace_map_text (const LbAttentionTrace *trace, gsize start, gsize end,
                                          GError **error);
/* The map of the whole answer. */
LbRegionMap *lb_attention_trace_map_answer (const LbAttentionTrace *trace, GError **error);

G_END_DECLS
