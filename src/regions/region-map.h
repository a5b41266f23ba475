/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A grid of values over the model-input square (an attention map, an
 * occlusion map), and how it becomes pixels over the image.
 *
 * Geometry. Cell (r, c) of a g × g map covers the model-input square's
 * pixels [c·S/g, (c+1)·S/g) × [r·S/g, (r+1)·S/g) (S = the square's side);
 * its value sits at the cell's centre ((c + ½)·S/g, (r + ½)·S/g). Between
 * centres the map is bilinear; between the outermost centres and the
 * square's edge it is constant (edge clamp). A NaN cell has no value (an
 * occlusion cell that lies wholly in the black padding): bilinear weights
 * are renormalised over the cells that have one.
 *
 * Rendering walks the overlay's pixels, which cover the stored image
 * (before rotation and flips, as LbImageOverlay draws): each pixel's centre
 * goes through lb_model_input_from_image to the square, and is dropped
 * (transparent) when it falls outside the part of the square that holds
 * the image: outside the crop, or in the padding. So crop, padding,
 * rotation and flips are undone exactly as for the model's boxes.
 */
#pragma once

#include <glib.h>

#include "imaging/model-input.h"
#include "regions/colormap.h"

G_BEGIN_DECLS

typedef struct {
  guint grid;       /* g: cells per side */
  float *values;    /* [g][g], row-major over the square; NaN: no value */
} LbRegionMap;

/* A g × g map of zeros. */
LbRegionMap *lb_region_map_new (guint grid);
LbRegionMap *lb_region_map_copy (const LbRegionMap *map);
void lb_region_map_free (LbRegionMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRegionMap, lb_region_map_free)

/* The largest value (NaN cells skipped); -INFINITY when every cell is NaN. */
float lb_region_map_max (const LbRegionMap *map);
/* The sum of the values (NaN cells skipped). */
double lb_region_map_sum (const LbRegionMap *map);

typedef enum {
  /* Divide by the sum of the positive values, so that they sum to 1: a
   * distribution over the image (attention: "what share of the attention
   * that went to the image went here"). */
  LB_REGION_NORMALIZE_SUM,
  /* Divide by the largest value, which becomes 1: what the colormap shows. */
  LB_REGION_NORMALIZE_MAX,
} LbRegionNormalize;

/* Normalises in place. FALSE (the map unchanged) when no value is
 * positive: there is nothing to scale. */
gboolean lb_region_map_normalize (LbRegionMap *map, LbRegionNormalize mode);

/* The map's value at the point (mx, my) of a square of side size (see
 * above); NaN where no cell with a value contributes. */
float lb_region_map_sample (const LbRegionMap *map, guint size, double mx, double my);

/* Whether the model-input point (mx, my) shows the image: inside the
 * square, not in the padding, inside the crop. */
gboolean lb_model_input_point_in_image (const LbModelInput *input, double mx, double my);

typedef struct {
  LbColormap colormap;
  /* Alpha of the largest value; alpha grows with the value (opacity × t),
   * so quiet regions leave the image visible. */
  float opacity;
  /* Values mapped to the colormap: t = (v - low) / (high - low); at or
   * below low (and NaN) transparent. high <= low: low = 0 and high = the
   * map's largest value (negative occlusion drops stay transparent). */
  float low;
  float high;
  /* Longest side of the overlay in pixels; the image's own size when 0 or
   * larger than the image. */
  guint max_side;
} LbHeatStyle;

/* viridis, opacity 0.6, automatic range, max_side 1024. */
void lb_heat_style_init (LbHeatStyle *style);

typedef struct {
  guint width;           /* overlay pixels */
  guint height;
  guint8 *rgba;          /* [height][width][4], straight (not premultiplied) alpha */
  guint image_width;     /* the stored image it covers: pixel (u, v) covers image */
  guint image_height;    /* [u, u+1) × [v, v+1) scaled by image_width / width */
} LbHeatOverlay;

/* Renders the map over the image that input was built from (needs its
 * geometry: input->scale > 0). */
LbHeatOverlay *lb_region_map_render (const LbRegionMap *map, const LbModelInput *input,
                                     const LbHeatStyle *style);
void lb_heat_overlay_free (LbHeatOverlay *overlay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbHeatOverlay, lb_heat_overlay_free)

/* Blends the overlay over 8-bit RGB pixels of its own size (rows of
 * stride bytes), "over" compositing. */
void lb_heat_overlay_blend_rgb (const LbHeatOverlay *overlay, guint8 *rgb, gsize stride);

G_END_DECLS
