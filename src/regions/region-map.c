/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "regions/region-map.h"
#include "regions/regions.h"

G_DEFINE_QUARK (lb-regions-error-quark, lb_regions_error)

LbRegionMap *
lb_region_map_new (guint grid)
{
  LbRegionMap *map;

  g_return_val_if_fail (grid > 0 && grid <= 4096, NULL);
  map = g_new0 (LbRegionMap, 1);
  map->grid = grid;
  map->values = g_new0 (float, (gsize) grid * grid);
  return map;
}

LbRegionMap *
lb_region_map_copy (const LbRegionMap *map)
{
  LbRegionMap *copy;

  g_return_val_if_fail (map != NULL, NULL);
  copy = lb_region_map_new (map->grid);
  memcpy (copy->values, map->values, (gsize) map->grid * map->grid * sizeof (float));
  return copy;
}

void
lb_region_map_free (LbRegionMap *map)
{
  if (map == NULL)
    return;
  g_free (map->values);
  g_free (map);
}

float
lb_region_map_max (const LbRegionMap *map)
{
  float best = -INFINITY;

  for (gsize i = 0; i < (gsize) map->grid * map->grid; i++)
    if (!isnan (map->values[i]) && map->values[i] > best)
      best = map->values[i];
  return best;
}

double
lb_region_map_sum (const LbRegionMap *map)
{
  double sum = 0.0;

  for (gsize i = 0; i < (gsize) map->grid * map->grid; i++)
    if (!isnan (map->values[i]))
      sum += map->values[i];
  return sum;
}

gboolean
lb_region_map_normalize (LbRegionMap *map, LbRegionNormalize mode)
{
  gsize n = (gsize) map->grid * map->grid;
  double scale = 0.0;

  g_return_val_if_fail (map != NULL, FALSE);
  if (mode == LB_REGION_NORMALIZE_SUM)
    {
      for (gsize i = 0; i < n; i++)
        if (map->values[i] > 0.0f)
          scale += map->values[i];
    }
  else
    scale = MAX (lb_region_map_max (map), 0.0f);
  if (!(scale > 0.0) || !isfinite (scale))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    map->values[i] = (float) (map->values[i] / scale);
  return TRUE;
}

/* The cell coordinate of a point (cell centres at integers), clamped to
 * the outermost centres, as two neighbours and the weight of the second. */
static void
cell_neighbours (guint grid, guint size, double m, guint *i0, guint *i1, double *w)
{
  double f = m * grid / size - 0.5;

  if (f <= 0.0)
    f = 0.0;
  if (f >= grid - 1)
    f = grid - 1;
  *i0 = (guint) floor (f);
  *i1 = MIN (*i0 + 1, grid - 1);
  *w = f - *i0;
}

float
lb_region_map_sample (const LbRegionMap *map, guint size, double mx, double my)
{
  guint c0, c1, r0, r1;
  double wx, wy, total = 0.0, weight = 0.0;

  g_return_val_if_fail (map != NULL && size > 0, NAN);
  cell_neighbours (map->grid, size, mx, &c0, &c1, &wx);
  cell_neighbours (map->grid, size, my, &r0, &r1, &wy);
  {
    const guint rows[4] = { r0, r0, r1, r1 };
    const guint cols[4] = { c0, c1, c0, c1 };
    const double weights[4] = { (1 - wx) * (1 - wy), wx * (1 - wy), (1 - wx) * wy, wx * wy };

    for (guint k = 0; k < 4; k++)
      {
        float v = map->values[(gsize) rows[k] * map->grid + cols[k]];
        if (isnan (v) || weights[k] <= 0.0)
          continue;
        total += weights[k] * v;
        weight += weights[k];
      }
  }
  return weight > 0.0 ? (float) (total / weight) : NAN;
}

gboolean
lb_model_input_point_in_image (const LbModelInput *input, double mx, double my)
{
  double dx, dy;

  if (!(mx >= 0.0 && my >= 0.0 && mx < input->size && my < input->size))
    return FALSE;
  if (input->scale <= 0.0)
    return TRUE;    /* no geometry: the square is the image */
  /* Displayed pixels relative to the crop's origin. */
  dx = mx / input->scale - input->pad_x;
  dy = my / input->scale - input->pad_y;
  return dx >= 0.0 && dy >= 0.0 && dx < input->crop_width && dy < input->crop_height;
}

void
lb_heat_style_init (LbHeatStyle *style)
{
  *style = (LbHeatStyle) {
    .colormap = LB_COLORMAP_VIRIDIS,
    .opacity = 0.6f,
    .low = 0.0f,
    .high = 0.0f,
    .max_side = 1024,
  };
}

LbHeatOverlay *
lb_region_map_render (const LbRegionMap *map, const LbModelInput *input, const LbHeatStyle *style)
{
  LbHeatOverlay *overlay;
  guint iw, ih, longest;
  float low, high, opacity;

  g_return_val_if_fail (map != NULL && input != NULL && style != NULL, NULL);
  g_return_val_if_fail (input->scale > 0.0 && input->image_width > 0 && input->image_height > 0, NULL);

  iw = input->image_width;
  ih = input->image_height;
  longest = MAX (iw, ih);
  overlay = g_new0 (LbHeatOverlay, 1);
  overlay->image_width = iw;
  overlay->image_height = ih;
  if (style->max_side > 0 && style->max_side < longest)
    {
      overlay->width = MAX (1, (guint) lround ((double) iw * style->max_side / longest));
      overlay->height = MAX (1, (guint) lround ((double) ih * style->max_side / longest));
    }
  else
    {
      overlay->width = iw;
      overlay->height = ih;
    }
  overlay->rgba = g_new0 (guint8, (gsize) overlay->width * overlay->height * 4);

  low = style->low;
  high = style->high;
  if (!(high > low))
    {
      low = 0.0f;
      high = lb_region_map_max (map);
    }
  opacity = CLAMP (style->opacity, 0.0f, 1.0f);
  if (!(high > low))
    return overlay;   /* nothing positive: all transparent */

  for (guint v = 0; v < overlay->height; v++)
    {
      double iy = (v + 0.5) * ih / overlay->height;
      guint8 *row = overlay->rgba + (gsize) v * overlay->width * 4;

      for (guint u = 0; u < overlay->width; u++)
        {
          double ix = (u + 0.5) * iw / overlay->width, mx, my;
          float value, t;

          lb_model_input_from_image (input, ix, iy, &mx, &my);
          if (!lb_model_input_point_in_image (input, mx, my))
            continue;
          value = lb_region_map_sample (map, input->size, mx, my);
          t = (value - low) / (high - low);
          if (!(t > 0.0f))
            continue;
          t = MIN (t, 1.0f);
          lb_colormap_lookup (style->colormap, t, row + 4 * u);
          row[4 * u + 3] = (guint8) lrintf (255.0f * opacity * t);
        }
    }
  return overlay;
}

void
lb_heat_overlay_free (LbHeatOverlay *overlay)
{
  if (overlay == NULL)
    return;
  g_free (overlay->rgba);
  g_free (overlay);
}

void
lb_heat_overlay_blend_rgb (const LbHeatOverlay *overlay, guint8 *rgb, gsize stride)
{
  g_return_if_fail (overlay != NULL && rgb != NULL);

  for (guint v = 0; v < overlay->height; v++)
    {
      const guint8 *src = overlay->rgba + (gsize) v * overlay->width * 4;
      guint8 *dst = rgb + v * stride;

      for (guint u = 0; u < overlay->width; u++, src += 4, dst += 3)
        {
          guint a = src[3];
          for (guint c = 0; c < 3; c++)
            dst[c] = (guint8) ((src[c] * a + dst[c] * (255 - a) + 127) / 255);
        }
    }
}
