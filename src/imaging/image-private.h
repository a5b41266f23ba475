/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to src/imaging: the loaders behind lb_image_load. Each reads a
 * whole file already in memory (data, size), names it `name` in messages,
 * and checks dimensions with lb_image_check_dimensions before allocating.
 */
#pragma once

#include "imaging/image.h"

G_BEGIN_DECLS

LbImage *lb_image_load_png (const guint8 *data, gsize size, const char *name, guint frame, GError **error);
LbImage *lb_image_load_jpeg (const guint8 *data, gsize size, const char *name, guint frame, GError **error);
LbImage *lb_image_load_tiff (const guint8 *data, gsize size, const char *name, guint frame, GError **error);
/* dicom-dcmtk.cpp. DCMTK reads from a file so that it can defer loading
 * long values and check lengths against the file; path is the file data
 * came from, or NULL to have the bytes written to a temporary file. */
LbImage *lb_image_load_dicom (const guint8 *data, gsize size, const char *name, const char *path,
                              guint frame, GError **error);

/* Applies an EXIF orientation (2–8) in place, swapping width and height
 * for the transposing ones. */
void lb_image_apply_exif_orientation (LbImage *image, guint orientation);

/* Parses a TIFF-structured EXIF block ("Exif\0\0" already skipped) and
 * returns the Orientation tag (1–8), or 0. */
guint lb_image_exif_orientation (const guint8 *tiff, gsize size);

G_END_DECLS
