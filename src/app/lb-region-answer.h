/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the regions keep of one answer (the report, or one chat answer:
 * one LbGeneration), following it as it streams (DESIGN §5, issue 9):
 *
 *   - its attention trace, over the tokens of the visible text only (a
 *     thinking trace is left out), so that byte offsets into
 *     lb_generation_get_text are offsets into the trace's text: maps per
 *     token, per sentence and for the whole answer;
 *   - the boxes it wrote, parsed again as the text grows;
 *   - the image the model saw (a follow-up's is its conversation's first);
 *   - the exact context that produced it, rebuilt for occlusion maps:
 *     the first turn through the conversation format, then for each
 *     earlier answer its tokens and the follow-up question, checked
 *     against the positions the engine reported before each ask;
 *   - the last occlusion map computed for it.
 *
 * Main thread only.
 */
#pragma once

#include <glib-object.h>

#include "app/lb-generation.h"
#include "regions/boxes.h"
#include "regions/occlusion.h"
#include "regions/region-map.h"

G_BEGIN_DECLS

#define LB_TYPE_REGION_ANSWER (lb_region_answer_get_type ())
G_DECLARE_FINAL_TYPE (LbRegionAnswer, lb_region_answer, LB, REGION_ANSWER, GObject)

/* earlier: the generations of the same conversation before this one, in
 * ask order (NULL or empty: this one opened it); the array is copied.
 * label: what the UI calls the answer ("Report", "Answer 2"). Emits
 * "changed" whenever text, tokens or boxes arrive and when it finishes. */
LbRegionAnswer *lb_region_answer_new (LbGeneration *generation, GPtrArray *earlier, const char *label);

LbGeneration *lb_region_answer_get_generation (LbRegionAnswer *self);
const char *lb_region_answer_get_label (LbRegionAnswer *self);
const char *lb_region_answer_get_text (LbRegionAnswer *self);
gboolean lb_region_answer_get_finished (LbRegionAnswer *self);
/* The image the model saw (geometry and pixels); NULL while it is being
 * prepared or when there was none. */
const LbModelInput *lb_region_answer_get_model_input (LbRegionAnswer *self);
/* The boxes written so far (never NULL). */
const LbBoxList *lb_region_answer_get_boxes (LbRegionAnswer *self);

/* Attention: captured for every visible token (FALSE when capture was off
 * or the model has no global layer). */
gboolean lb_region_answer_has_attention (LbRegionAnswer *self);
guint lb_region_answer_get_n_tokens (LbRegionAnswer *self);
/* The text token i produced (may be empty: a stop token). */
char *lb_region_answer_get_token_text (LbRegionAnswer *self, guint token);
/* The first token that produced bytes [start, end) of the text. */
gboolean lb_region_answer_find_token (LbRegionAnswer *self, gsize start, gsize end, guint *out_token);
/* The map of bytes [start, end) of the text (start < 0: the whole answer). */
LbRegionMap *lb_region_answer_map_text (LbRegionAnswer *self, gssize start, gssize end, GError **error);
LbRegionMap *lb_region_answer_map_token (LbRegionAnswer *self, guint token, GError **error);
/* 1-based number of the sentence that starts at byte start, 0 if none. */
guint lb_region_answer_sentence_number (LbRegionAnswer *self, gsize start);

/* Occlusion. The prompt tokens (one run of LB_IMAGE_POSITION) and answer
 * tokens (without a final stop token) as the engine of the loaded model
 * saw them; errors when the conversation cannot be rebuilt exactly (an
 * earlier turn is missing or the engine's count of positions disagrees).
 * The answer tokens that produced bytes [start, end) of the text
 * (start < 0: all of them) for lb_answer_scorer_set_range. */
gboolean lb_region_answer_build_context (LbRegionAnswer *self, LbEngine *engine, GArray **out_prompt,
                                         GArray **out_answer, GError **error);
gboolean lb_region_answer_answer_range (LbRegionAnswer *self, gssize start, gssize end, guint *out_first,
                                        guint *out_n, GError **error);

/* The last occlusion map (takes map), what it covers (start < 0: the
 * whole answer) and its grid; NULL when none. */
void lb_region_answer_set_occlusion (LbRegionAnswer *self, LbRegionMap *map, gssize start, gssize end);
const LbRegionMap *lb_region_answer_get_occlusion (LbRegionAnswer *self, gssize *out_start, gssize *out_end);

G_END_DECLS
