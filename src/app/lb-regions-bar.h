/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The regions' controls, a bar under the image: what is shown and why
 * (LbRegions' status), the heat map's source, colours and opacity in a
 * menu, the token slider of the per-token map, "Occlusion Map" with its
 * grid, and while it runs a progress bar and Cancel. Every control is one
 * of LbRegions' window actions or bound to its properties.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-regions.h"

G_BEGIN_DECLS

#define LB_TYPE_REGIONS_BAR (lb_regions_bar_get_type ())
G_DECLARE_FINAL_TYPE (LbRegionsBar, lb_regions_bar, LB, REGIONS_BAR, GtkBox)

/* Once; regions must outlive the bar's use of it (the window owns both). */
void lb_regions_bar_set_regions (LbRegionsBar *self, LbRegions *regions);

/* For tests. */
GtkProgressBar *lb_regions_bar_get_progress_bar (LbRegionsBar *self);
GtkRange *lb_regions_bar_get_opacity_scale (LbRegionsBar *self);

G_END_DECLS
