/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whole-slide pathology images (Aperio SVS, pyramidal TIFF, Hamamatsu,
 * MIRAX, …) through OpenSlide: too large to decode whole, so they are read
 * as levels (level 0 is full resolution, each next one downsampled) and
 * regions. Regions come back as 8-bit RGB LbImages, composited over white
 * where the slide has no tissue scanned (OpenSlide's transparent areas).
 *
 * An LbSlide may be used from one thread at a time.
 */
#pragma once

#include <glib.h>

#include "imaging/image.h"

G_BEGIN_DECLS

typedef struct _LbSlide LbSlide;

/* The OpenSlide vendor ("aperio", "generic-tiff", …) when the file is a
 * slide OpenSlide can open, else NULL. */
const char *lb_slide_detect (const char *path);

LbSlide *lb_slide_open (const char *path, GError **error);
void lb_slide_free (LbSlide *slide);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSlide, lb_slide_free)

const char *lb_slide_vendor (const LbSlide *slide);
guint lb_slide_n_levels (const LbSlide *slide);
void lb_slide_level_size (const LbSlide *slide, guint level, gint64 *width, gint64 *height);
double lb_slide_level_downsample (const LbSlide *slide, guint level);
/* The level to read for a given downsample (level-0 pixels per screen pixel). */
guint lb_slide_best_level (const LbSlide *slide, double downsample);
/* Microns per pixel at level 0 (openslide.mpp-x / -y), FALSE if unknown. */
gboolean lb_slide_microns_per_pixel (const LbSlide *slide, double *x, double *y);

/* Reads width × height pixels of `level`, whose top-left corner is (x, y)
 * in level-0 coordinates (OpenSlide's convention). Regions are limited like
 * images (LB_IMAGE_MAX_PIXELS). */
LbImage *lb_slide_read_region (LbSlide *slide, gint64 x, gint64 y, guint level,
                               guint width, guint height, GError **error);

/* The whole slide as one image no larger than max_side a side: the finest
 * level that fits in max_side × 2, read whole, then resized (PIL bilinear)
 * to fit. Metadata: format Slide, the properties as tags, pixel spacing. */
LbImage *lb_slide_read_overview (LbSlide *slide, guint max_side, GError **error);

G_END_DECLS
