/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Perceptual colormaps for heat overlays: small tables of stops sampled
 * from matplotlib's viridis and inferno (eight equal steps), interpolated
 * linearly in sRGB. Both are monotonic in lightness, so a brighter colour
 * always means a larger value, also in grey print and for colour-blind
 * readers.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LB_COLORMAP_VIRIDIS,
  LB_COLORMAP_INFERNO,
} LbColormap;

/* "viridis", "inferno". */
const char *lb_colormap_name (LbColormap colormap);
gboolean lb_colormap_from_name (const char *name, LbColormap *out_colormap);

/* The colour of t in [0, 1] (clamped; NaN counts as 0). */
void lb_colormap_lookup (LbColormap colormap, float t, guint8 rgb[3]);

G_END_DECLS
