/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Gemma 3 text decoder in plain C on float32 (DESIGN §4): the oracle
 * that the Vulkan engine is checked against, itself checked against the
 * reference implementation's outputs (tests/reference/).
 *
 * Weights are dequantized to float32 when the model is created (4 bytes
 * per parameter: fine for the small test models, ~16 GB for the real 4B).
 * A KV cache of `capacity` positions makes decoding incremental: each call
 * runs only the new positions. Not thread-safe; one caller at a time.
 */
#pragma once

#include <glib.h>

#include "model/gguf.h"
#include "model/model-config.h"
#include "ref/ref-ops.h"

G_BEGIN_DECLS

typedef struct _LbRefText LbRefText;

/* Loads a text model. capacity is the number of positions the KV cache
 * holds (0: the model's context length); more than the context is refused. */
LbRefText *lb_ref_text_new (const LbGguf *gguf, guint capacity, GError **error);
void lb_ref_text_free (LbRefText *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRefText, lb_ref_text_free)

const LbTextConfig *lb_ref_text_config (const LbRefText *model);
guint lb_ref_text_capacity (const LbRefText *model);
/* Positions processed so far (the next position's index). */
guint lb_ref_text_n_past (const LbRefText *model);
/* Forgets every position (the weights stay). */
void lb_ref_text_reset (LbRefText *model);
/* Forgets the positions from n_past on (n_past <= lb_ref_text_n_past ()):
 * the next call continues at position n_past, as if the later positions
 * had never been run. The logits and attention of the last run are kept
 * as they were, not recomputed. */
void lb_ref_text_truncate (LbRefText *model, guint n_past);

/* Runs n token positions, causally. Returns the logits of the last one
 * ([n_vocab], owned by the model, valid until the next call), or NULL
 * with an error (a token outside the vocabulary, a full cache). */
const float *lb_ref_text_forward_tokens (LbRefText *model, const gint32 *tokens, guint n,
                                         GError **error);

/* Runs the n positions of one image: embeddings [n][E] from the projector,
 * used as they are (not scaled by sqrt(E)). The positions of the image
 * attend to each other in both directions. Returns the logits of its last
 * position, as above. */
const float *lb_ref_text_forward_image (LbRefText *model, const float *embeddings, guint n,
                                        GError **error);

/* The logits of the last position run ([n_vocab]). */
const float *lb_ref_text_logits (const LbRefText *model);

/* The attention probabilities of the last position run, for one layer and
 * query head: [n_past] values (masked positions are 0) that sum to 1.
 * The engine's attention capture (DESIGN §5) takes the mean of these over
 * heads and chosen layers, over the image positions. */
const float *lb_ref_text_last_attention (const LbRefText *model, guint layer, guint head);

/* That mean: out[i] = mean over the given layers and all heads of the last
 * position's attention on position first + i, for i < n. */
void lb_ref_text_attention_over (const LbRefText *model, const guint *layers, guint n_layers,
                                 guint first, guint n, float *out);

G_END_DECLS
