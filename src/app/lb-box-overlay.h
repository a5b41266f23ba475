/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The boxes the model wrote (src/regions/boxes.h) drawn over the image:
 * an outline and the label of each, in a colour of its own, mapped through
 * the model-input transform (padding and crop undone, clipped to what the
 * model saw), labelled for what they are — boxes drawn by the model, not
 * verified.
 *
 * Boxes and sentences point at each other: a box is linked to the
 * sentence of the answer that names it (LbBox.sentence_start/end, bytes of
 * the answer text). The window finds the box under a click with
 * lb_box_overlay_hit_test and highlights its sentence; a click on a
 * sentence highlights that sentence's boxes with
 * lb_box_overlay_highlight_sentence.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-image-overlay.h"
#include "imaging/model-input.h"
#include "regions/boxes.h"

G_BEGIN_DECLS

#define LB_TYPE_BOX_OVERLAY (lb_box_overlay_get_type ())
G_DECLARE_FINAL_TYPE (LbBoxOverlay, lb_box_overlay, LB, BOX_OVERLAY, GObject)

LbBoxOverlay *lb_box_overlay_new (void);

/* Shows the boxes of list (copied) over the image that input was built
 * from (its geometry is copied, not its pixels); boxes wholly outside what
 * the model saw are left out. NULL clears. Call again as the answer
 * streams in (lb_boxes_parse on the text so far). */
void lb_box_overlay_set_boxes (LbBoxOverlay *self, const LbBoxList *list, const LbModelInput *input);

/* Boxes shown, and box i: its label, its rectangle in stored image pixels
 * and its sentence (bytes of the answer; -1 when it has none). */
guint lb_box_overlay_get_n_boxes (LbBoxOverlay *self);
const char *lb_box_overlay_get_label (LbBoxOverlay *self, guint index);
void lb_box_overlay_get_rect (LbBoxOverlay *self, guint index, double *x, double *y, double *width,
                              double *height);
void lb_box_overlay_get_sentence (LbBoxOverlay *self, guint index, gssize *start, gssize *end);

/* The topmost box whose outline or label contains the widget point, -1
 * when none. */
int lb_box_overlay_hit_test (LbBoxOverlay *self, LbImageView *view, double widget_x, double widget_y);

/* Highlights box index (-1: none), or every box linked to the sentence
 * that starts at byte start of the answer (-1: none). */
void lb_box_overlay_highlight_box (LbBoxOverlay *self, int index);
void lb_box_overlay_highlight_sentence (LbBoxOverlay *self, gssize start);
gboolean lb_box_overlay_is_highlighted (LbBoxOverlay *self, guint index);

G_END_DECLS
