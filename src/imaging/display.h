/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The display transform: stored samples → modality LUT (rescale
 * slope/intercept) → window/level on the full bit depth → 8 bits →
 * invert (MONOCHROME1 files are inverted by default) → rotate by quarter
 * turns → flip. The model-input transform (model-input.h) starts from the
 * same 8-bit picture, so the model sees what the user sees.
 *
 * Window mapping: DICOM's LINEAR VOI function (PS3.3 C.11.2.1.2.1) to
 * 0–255, rounded to nearest: with c = center, w = width (>= 1),
 *   v <= c - 0.5 - (w-1)/2        → 0
 *   v >  c - 0.5 + (w-1)/2        → 255
 *   else round (((v - (c - 0.5)) / (w - 1) + 0.5) × 255)
 * (w = 1 is a threshold at c - 0.5.) Center 128, width 256 is the identity
 * on 8-bit data; center 32768, width 65536 is round (v / 257) on 16-bit.
 * A window spanning values lo..hi exactly is center (lo + hi + 1) / 2,
 * width hi - lo + 1.
 */
#pragma once

#include <glib.h>

#include "imaging/image.h"

G_BEGIN_DECLS

typedef struct {
  double window_center;  /* modality units (after rescale) */
  double window_width;   /* > 0 */
  gboolean invert;       /* the user's toggle, relative to the standard presentation
                            (MONOCHROME1 is shown inverted when this is FALSE) */
  guint rotation;        /* quarter turns clockwise, 0–3 */
  gboolean flip_horizontal; /* mirror left-right, after the rotation */
  gboolean flip_vertical;   /* mirror top-bottom, after the rotation */
} LbDisplayParams;

/* The window spanning the container's whole range in modality units:
 * 8-bit unsigned → center 128, width 256 (the identity); 16-bit unsigned →
 * 32768, 65536; signed: the same range shifted. */
void lb_display_full_range_window (const LbImage *image, double *center, double *width);

/* A window spanning the image's modality values from the low to the high
 * percentile (e.g. 0.5 and 99.5; 0 and 100 give min/max). Every window has
 * width >= 1. */
void lb_display_auto_window (const LbImage *image, double low_percent, double high_percent,
                             double *center, double *width);

/* Per-modality defaults: CT → soft tissue (40, 400); FALSE when the
 * modality has no fixed default (radiographs differ between devices). */
gboolean lb_display_modality_default (const char *modality, double *center, double *width);

/* The default presentation of an image: the file's first window; else the
 * modality default; else, for 8-bit files, the full range (photos and 8-bit
 * exports are shown as they are); else the auto window (min to max). No
 * invert, rotation or flip. */
void lb_display_params_init (LbDisplayParams *params, const LbImage *image);

typedef struct {
  char *name;     /* "File: LUNG", "Lung", "Auto", "Full range" */
  double center;
  double width;
} LbDisplayPreset;

/* Presets for the image: the file's windows, then the modality's (CT: brain,
 * subdural, stroke, lung, mediastinum, abdomen, liver, bone), then "Auto"
 * (0.5–99.5 %), "Min–max" and "Full range". Free with g_array_unref. */
GArray *lb_display_presets (const LbImage *image);

/* The 8-bit picture. width/height are after rotation. */
typedef struct {
  guint width;
  guint height;
  guint channels;    /* 1 or 3 */
  gsize stride;      /* bytes per row: width × channels */
  guint8 *data;
} LbDisplayImage;

/* Size of the displayed picture (rotation by a quarter turn swaps them). */
void lb_display_output_size (const LbImage *image, const LbDisplayParams *params,
                             guint *width, guint *height);

/* Renders the image; with force_rgb a gray image is replicated to RGB. */
LbDisplayImage *lb_display_render (const LbImage *image, const LbDisplayParams *params,
                                   gboolean force_rgb);
void lb_display_image_free (LbDisplayImage *display);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbDisplayImage, lb_display_image_free)

/* The window function above, before any inversion. */
guint8 lb_display_window_value (double value, double center, double width);

/* The 8-bit value the transform gives a stored sample (before rotation,
 * which does not change values), for tests and the pixel probe. */
guint8 lb_display_map_value (const LbImage *image, const LbDisplayParams *params, int stored);

/* Maps a point of the displayed picture (continuous coordinates: 0 is the
 * left edge of the first pixel) to the image's coordinates, and back. */
void lb_display_to_image (guint image_width, guint image_height, const LbDisplayParams *params,
                          double dx, double dy, double *ix, double *iy);
void lb_display_from_image (guint image_width, guint image_height, const LbDisplayParams *params,
                            double ix, double iy, double *dx, double *dy);

G_END_DECLS
