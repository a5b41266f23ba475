/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The image regions behind the answers (DESIGN §5, issue 9), in the
 * window: the heat-map and box overlays over the image view, what each
 * answer of the document left (LbRegionAnswer: the report and every chat
 * answer, the last LB_REGIONS_MAX_ANSWERS of them), which answer,
 * sentence, token and box are selected, and the occlusion map being
 * computed.
 *
 * It follows the answer being written. What the heat map shows is its
 * "source": the attention of the whole answer, of the selected sentence
 * or of one token, or the answer's occlusion map. A click on a box
 * selects it and its sentence; a sentence activated in a panel selects
 * its boxes and its map.
 *
 * Occlusion maps run on the app's engine for the selected answer, or its
 * selected sentence: each cell is one more ask on the engine's queue, so
 * reports and questions asked meanwhile still run, taking turns with it.
 * A new document, a replaced answer or another model cancels it.
 *
 * Its actions go into the window's action map: show-attention (b),
 * regions-source (s: answer, sentence, token, occlusion), heatmap-colormap
 * and occlusion-grid (settings), occlusion-map, cancel-occlusion,
 * locate-findings, select-box (i: a box of the selected answer, -1 none).
 * Main thread only.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-box-overlay.h"
#include "app/lb-chat-panel.h"
#include "app/lb-heatmap-overlay.h"
#include "app/lb-image-view.h"
#include "app/lb-region-answer.h"
#include "app/lb-report-panel.h"

G_BEGIN_DECLS

/* Answers whose regions are kept (the rest of a conversation is kept
 * lightly, for follow-ups' occlusion maps). */
#define LB_REGIONS_MAX_ANSWERS 16

typedef enum {
  LB_REGIONS_SOURCE_ANSWER,
  LB_REGIONS_SOURCE_SENTENCE,
  LB_REGIONS_SOURCE_TOKEN,
  LB_REGIONS_SOURCE_OCCLUSION,
} LbRegionsSource;

#define LB_TYPE_REGIONS (lb_regions_get_type ())
G_DECLARE_FINAL_TYPE (LbRegions, lb_regions, LB, REGIONS, GObject)

LbRegions *lb_regions_new (LbImageView *view);
/* Once, before any document: follows both panels' answers, adds the
 * actions to actions (the window) and binds the settings. */
void lb_regions_setup (LbRegions *self, GSettings *settings, LbModelManager *models, LbReportPanel *report,
                       LbChatPanel *chat, GActionMap *actions);
/* Forgets every answer and cancels an occlusion map (a new document). */
void lb_regions_clear (LbRegions *self);
/* The overlays are drawn over the image, not over "what the model sees". */
void lb_regions_set_model_input_shown (LbRegions *self, gboolean shown);

LbHeatmapOverlay *lb_regions_get_heatmap_overlay (LbRegions *self);
LbBoxOverlay *lb_regions_get_box_overlay (LbRegions *self);

/* What is shown: "source", "status" (one line for the regions bar). */
LbRegionsSource lb_regions_get_source (LbRegions *self);
const char *lb_regions_get_status (LbRegions *self);
/* The selected answer (NULL: none yet), sentence (start -1: none), token
 * of the token map and box (-1: none). */
LbRegionAnswer *lb_regions_get_answer (LbRegions *self);
void lb_regions_get_sentence (LbRegions *self, gssize *out_start, gssize *out_end);
guint lb_regions_get_token (LbRegions *self);
void lb_regions_set_token (LbRegions *self, guint token);
int lb_regions_get_box (LbRegions *self);
guint lb_regions_get_n_answers (LbRegions *self);

/* A sentence of an answer was activated in a panel (start -1: none). */
void lb_regions_select_sentence (LbRegions *self, LbGeneration *generation, gssize start, gssize end);
/* A click on the image view at a widget point: selects the box there and
 * its sentence, or clears the selection. TRUE when it hit a box. */
gboolean lb_regions_click (LbRegions *self, double x, double y);

/* Occlusion: "occlusion-running", "occlusion-fraction" (0–1) and
 * "occlusion-text" ("12 of 65 runs") for the bar. */
void lb_regions_start_occlusion (LbRegions *self);
void lb_regions_cancel_occlusion (LbRegions *self);
gboolean lb_regions_get_occlusion_running (LbRegions *self);
double lb_regions_get_occlusion_fraction (LbRegions *self);
const char *lb_regions_get_occlusion_text (LbRegions *self);

G_END_DECLS
