/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stored samples → 8-bit RGB through a lookup table, at a reduction of
 * 2^level: the pixel work behind LbImageView's textures, kept apart from
 * the widget so that it can run in any thread (the image is immutable,
 * the table the caller's own).
 *
 * The table has an entry per stored value, indexed by the value for
 * unsigned samples and by the value + 128 (signed 8-bit) or + 32768
 * (signed 16-bit) otherwise: 256 or 65536 entries. Colour images map each
 * channel through the same table.
 */
#pragma once

#include <gtk/gtk.h>

#include "imaging/image.h"

G_BEGIN_DECLS

/* The size of level (2^level reduction, rounded up, at least 1×1). */
void lb_image_render_level_size (const LbImage *image, guint level, guint *width, guint *height);

/* The image at level as packed 8-bit RGB (width × 3 bytes a row, the size
 * lb_image_render_level_size gives): each output pixel the mean of its
 * 2^level × 2^level block, or, with point, the block's centre sample
 * (fast enough for a window/level drag). When cancellable is cancelled
 * the pixels are incomplete: the caller drops them. */
GBytes *lb_image_render_pixels (const LbImage *image, const guint8 *lut, guint level, gboolean point,
                                GCancellable *cancellable);

/* A texture of packed 8-bit RGB pixels (as lb_image_render_pixels gives). */
GdkTexture *lb_image_render_texture_from_rgb (GBytes *bytes, guint width, guint height);

G_END_DECLS
