/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The image in the middle of the window: a widget that draws an
 * LbDocument with GtkSnapshot.
 *
 * Pixels are turned into textures by a lookup table on the stored samples
 * (65536 entries for 16-bit data), so a window/level drag only re-maps
 * samples, and rotation, flips, zoom and pan are transforms of the
 * snapshot that re-render nothing. Zoomed out, the texture is a box-filtered
 * level of the image (a level per power of two), rendered in a worker
 * thread; during a window/level drag a point-sampled level no larger than
 * the screen is rendered at once, and the full-quality one follows.
 *
 * Mouse: scroll zooms around the pointer, a pinch zooms, dragging pans,
 * right-drag (or Ctrl+drag) sets window (horizontal) and level (vertical);
 * in region mode a drag draws the rectangle to ask about. Keys (when the
 * view has the focus): + − 0 1 and the arrows.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-document.h"
#include "app/lb-image-overlay.h"
#include "imaging/model-input.h"

G_BEGIN_DECLS

#define LB_TYPE_IMAGE_VIEW (lb_image_view_get_type ())
G_DECLARE_FINAL_TYPE (LbImageView, lb_image_view, LB, IMAGE_VIEW, GtkWidget)

GtkWidget *lb_image_view_new (void);

LbDocument *lb_image_view_get_document (LbImageView *self);
void lb_image_view_set_document (LbImageView *self, LbDocument *document);

/* Zoom: screen pixels per displayed image pixel. "fit" follows the size. */
double lb_image_view_get_zoom (LbImageView *self);
void lb_image_view_set_zoom (LbImageView *self, double zoom);
gboolean lb_image_view_get_fit (LbImageView *self);
void lb_image_view_set_fit (LbImageView *self, gboolean fit);
void lb_image_view_zoom_in (LbImageView *self);
void lb_image_view_zoom_out (LbImageView *self);
/* Zooms by factor keeping the image point under (x, y) (widget) in place. */
void lb_image_view_zoom_at (LbImageView *self, double factor, double x, double y);
/* Pans by a fraction of the view's size. */
void lb_image_view_pan (LbImageView *self, double fraction_x, double fraction_y);

/* "What the model sees": shows the model-input square instead of the
 * image (set it with lb_image_view_set_model_input). */
gboolean lb_image_view_get_show_model_input (LbImageView *self);
void lb_image_view_set_show_model_input (LbImageView *self, gboolean show);
void lb_image_view_set_model_input (LbImageView *self, const LbModelInput *input);

/* Region mode: a drag draws a rectangle; "region-selected" gives it in
 * displayed pixels (LbCrop). */
gboolean lb_image_view_get_region_mode (LbImageView *self);
void lb_image_view_set_region_mode (LbImageView *self, gboolean region_mode);
/* The region drawn last, kept on screen until cleared. */
void lb_image_view_clear_region (LbImageView *self);

/* The coordinates and value under the pointer ("" when outside). */
const char *lb_image_view_get_readout (LbImageView *self);

/* Overlays (issue 9: boxes, heat maps). */
void lb_image_view_add_overlay (LbImageView *self, LbImageOverlay *overlay);
void lb_image_view_remove_overlay (LbImageView *self, LbImageOverlay *overlay);
/* Widget ↔ image pixel coordinates (stored image, before rotation). */
void lb_image_view_image_to_widget (LbImageView *self, double ix, double iy, double *wx, double *wy);
void lb_image_view_widget_to_image (LbImageView *self, double wx, double wy, double *ix, double *iy);
/* The map image pixel → widget (translations, quarter turns, mirrors). */
GskTransform *lb_image_view_get_image_transform (LbImageView *self);
/* Multiplies the snapshot's transform so that later drawing is in image
 * pixel coordinates; pair with gtk_snapshot_restore(). */
void lb_image_view_push_image_transform (LbImageView *self, GtkSnapshot *snapshot);

/* For tests: the texture level in use (0 = full resolution) and whether
 * it is the full-quality rendering. */
guint lb_image_view_get_texture_level (LbImageView *self, gboolean *full_quality);

G_END_DECLS
