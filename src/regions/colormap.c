/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "regions/colormap.h"

#define N_STOPS 9

/* Stops at t = 0, 1/8, …, 1 (matplotlib's tables at those points). */
static const guint8 viridis[N_STOPS][3] = {
  { 68, 1, 84 }, { 71, 45, 123 }, { 59, 82, 139 }, { 44, 114, 142 }, { 33, 145, 140 },
  { 40, 174, 128 }, { 94, 201, 98 }, { 173, 220, 48 }, { 253, 231, 37 },
};

static const guint8 inferno[N_STOPS][3] = {
  { 0, 0, 4 }, { 31, 12, 72 }, { 85, 15, 109 }, { 136, 34, 106 }, { 186, 54, 85 },
  { 227, 89, 51 }, { 249, 142, 9 }, { 249, 203, 53 }, { 252, 255, 164 },
};

const char *
lb_colormap_name (LbColormap colormap)
{
  return colormap == LB_COLORMAP_INFERNO ? "inferno" : "viridis";
}

gboolean
lb_colormap_from_name (const char *name, LbColormap *out_colormap)
{
  if (g_strcmp0 (name, "viridis") == 0)
    *out_colormap = LB_COLORMAP_VIRIDIS;
  else if (g_strcmp0 (name, "inferno") == 0)
    *out_colormap = LB_COLORMAP_INFERNO;
  else
    return FALSE;
  return TRUE;
}

void
lb_colormap_lookup (LbColormap colormap, float t, guint8 rgb[3])
{
  const guint8 (*table)[3] = colormap == LB_COLORMAP_INFERNO ? inferno : viridis;
  float x;
  guint i;

  if (!(t > 0.0f))        /* also NaN */
    t = 0.0f;
  if (t > 1.0f)
    t = 1.0f;
  x = t * (N_STOPS - 1);
  i = MIN ((guint) x, N_STOPS - 2);
  x -= (float) i;
  for (guint c = 0; c < 3; c++)
    rgb[c] = (guint8) lrintf ((1.0f - x) * table[i][c] + x * table[i + 1][c]);
}
