/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Something drawn over the image in an LbImageView: the model's boxes, an
 * attention or occlusion heat map (the regions issue), a measurement. An
 * overlay draws in image pixel coordinates (before rotation and flips:
 * 0,0 is the top-left corner of the stored image) after
 * lb_image_view_push_image_transform(), or in widget coordinates with
 * lb_image_view_image_to_widget(). It emits "changed" when it must be
 * drawn again.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _LbImageView LbImageView;

#define LB_TYPE_IMAGE_OVERLAY (lb_image_overlay_get_type ())
G_DECLARE_INTERFACE (LbImageOverlay, lb_image_overlay, LB, IMAGE_OVERLAY, GObject)

struct _LbImageOverlayInterface
{
  GTypeInterface parent_iface;

  /* Draws the overlay; the snapshot is in the view's widget coordinates. */
  void (*snapshot) (LbImageOverlay *self, LbImageView *view, GtkSnapshot *snapshot);
};

void lb_image_overlay_snapshot (LbImageOverlay *self, LbImageView *view, GtkSnapshot *snapshot);
/* Asks the views showing this overlay to draw again. */
void lb_image_overlay_changed (LbImageOverlay *self);

G_END_DECLS
