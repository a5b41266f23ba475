/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An attention or occlusion map drawn over the image (DESIGN §5): the map
 * upsampled through the model-input transform (src/regions/region-map.h),
 * coloured with a perceptual colormap, alpha growing with the value so
 * quiet regions leave the image visible, and labelled for what it is —
 * "where the model looked — not proof" — with a colour legend.
 *
 * The colours are rendered once per map and colormap into a texture of at
 * most 1024 pixels a side; opacity changes only the snapshot.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-image-overlay.h"
#include "imaging/model-input.h"
#include "regions/region-map.h"

G_BEGIN_DECLS

#define LB_TYPE_HEATMAP_OVERLAY (lb_heatmap_overlay_get_type ())
G_DECLARE_FINAL_TYPE (LbHeatmapOverlay, lb_heatmap_overlay, LB, HEATMAP_OVERLAY, GObject)

LbHeatmapOverlay *lb_heatmap_overlay_new (void);

/* Shows map over the image that input was built from (the input's
 * geometry is copied, not its pixels). title says which map it is
 * ("Attention, whole answer", "Occlusion, sentence 2"); the overlay adds
 * what it means. A NULL map clears the overlay. */
void lb_heatmap_overlay_set_map (LbHeatmapOverlay *self, const LbRegionMap *map,
                                 const LbModelInput *input, const char *title);
/* The same with what the map means in the caption (NULL: LB_REGIONS_LABEL,
 * "where the model looked — not proof", which suits attention maps). */
void lb_heatmap_overlay_set_map_full (LbHeatmapOverlay *self, const LbRegionMap *map,
                                      const LbModelInput *input, const char *title, const char *meaning);
gboolean lb_heatmap_overlay_has_map (LbHeatmapOverlay *self);
/* The map shown (NULL: none), for tests. */
const LbRegionMap *lb_heatmap_overlay_get_map (LbHeatmapOverlay *self);

/* Opacity of the strongest cell, 0–1 (default 0.6): "opacity". */
double lb_heatmap_overlay_get_opacity (LbHeatmapOverlay *self);
void lb_heatmap_overlay_set_opacity (LbHeatmapOverlay *self, double opacity);

/* "viridis" (default) or "inferno": "colormap" (bindable to a settings key). */
const char *lb_heatmap_overlay_get_colormap (LbHeatmapOverlay *self);
void lb_heatmap_overlay_set_colormap (LbHeatmapOverlay *self, const char *colormap);

/* The caption drawn with the map: title and "where the model looked — not proof". */
const char *lb_heatmap_overlay_get_caption (LbHeatmapOverlay *self);

G_END_DECLS
