/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <math.h>
#include <string.h>

#include "imaging/display.h"

guint8
lb_display_window_value (double value, double center, double width)
{
  if (width <= 1.0)
    return value > center - 0.5 ? 255 : 0;
  double lower = center - 0.5 - (width - 1.0) / 2.0;
  double upper = center - 0.5 + (width - 1.0) / 2.0;
  if (value <= lower)
    return 0;
  if (value > upper)
    return 255;
  double y = ((value - (center - 0.5)) / (width - 1.0) + 0.5) * 255.0;
  y = floor (y + 0.5);
  return (guint8) CLAMP (y, 0.0, 255.0);
}

static gboolean
effective_invert (const LbImage *image, const LbDisplayParams *params)
{
  gboolean monochrome1 = image->channels == 1
                         && g_strcmp0 (image->metadata.photometric, "MONOCHROME1") == 0;
  return params->invert != monochrome1;
}

guint8
lb_display_map_value (const LbImage *image, const LbDisplayParams *params, int stored)
{
  g_return_val_if_fail (image != NULL && params != NULL, 0);
  guint8 v = lb_display_window_value (lb_image_modality_value (image, stored),
                                      params->window_center, params->window_width);
  return effective_invert (image, params) ? 255 - v : v;
}

/* The stored values the container can hold: [first, first + count). */
static void
container_range (const LbImage *image, int *first, int *count)
{
  int n = image->bits_stored == 8 ? 256 : 65536;
  *count = n;
  *first = image->is_signed ? -(n / 2) : 0;
}

void
lb_display_full_range_window (const LbImage *image, double *center, double *width)
{
  g_return_if_fail (image != NULL);
  int first, count;
  container_range (image, &first, &count);
  double a = lb_image_modality_value (image, first);
  double b = lb_image_modality_value (image, first + count - 1);
  double lo = MIN (a, b), hi = MAX (a, b);
  *center = (lo + hi + 1.0) / 2.0;
  *width = hi - lo + 1.0;
}

void
lb_display_auto_window (const LbImage *image, double low_percent, double high_percent,
                        double *center, double *width)
{
  g_return_if_fail (image != NULL);
  int first, count;
  container_range (image, &first, &count);

  /* A histogram of stored values; percentiles of modality values follow
   * from it because the modality LUT is applied per value. */
  guint64 *histogram = g_new0 (guint64, count);
  gsize n = lb_image_n_samples (image);
  if (image->bits_stored == 8)
    {
      for (gsize i = 0; i < n; i++)
        histogram[(image->is_signed ? image->s8[i] : image->u8[i]) - first]++;
    }
  else
    {
      for (gsize i = 0; i < n; i++)
        histogram[(image->is_signed ? image->s16[i] : image->u16[i]) - first]++;
    }

  /* Sort the occurring values by modality value (monotonic for rescale,
   * maybe not for a LUT), then walk the cumulative counts. */
  typedef struct { double value; guint64 count; } Bin;
  Bin *bins = g_new (Bin, count);
  int n_bins = 0;
  for (int i = 0; i < count; i++)
    if (histogram[i] > 0)
      bins[n_bins++] = (Bin) { lb_image_modality_value (image, first + i), histogram[i] };
  g_free (histogram);

  gboolean sorted = TRUE;
  for (int i = 1; i < n_bins && sorted; i++)
    sorted = bins[i - 1].value <= bins[i].value;
  if (!sorted)
    {
      /* insertion sort over at most 65536 bins, only for odd LUTs */
      for (int i = 1; i < n_bins; i++)
        {
          Bin key = bins[i];
          int j = i - 1;
          while (j >= 0 && bins[j].value > key.value)
            {
              bins[j + 1] = bins[j];
              j--;
            }
          bins[j + 1] = key;
        }
    }

  double lo = 0, hi = 0;
  if (n_bins > 0)
    {
      double low_rank = CLAMP (low_percent, 0.0, 100.0) / 100.0 * (double) n;
      double high_rank = CLAMP (high_percent, 0.0, 100.0) / 100.0 * (double) n;
      guint64 cumulative = 0;
      lo = bins[0].value;
      hi = bins[n_bins - 1].value;
      gboolean found_lo = FALSE;
      for (int i = 0; i < n_bins; i++)
        {
          cumulative += bins[i].count;
          if (!found_lo && (double) cumulative > low_rank)
            {
              lo = bins[i].value;
              found_lo = TRUE;
            }
          if ((double) cumulative >= high_rank)
            {
              hi = bins[i].value;
              break;
            }
        }
      if (hi < lo)
        hi = lo;
    }
  g_free (bins);
  *center = (lo + hi + 1.0) / 2.0;
  *width = hi - lo + 1.0;
}

gboolean
lb_display_modality_default (const char *modality, double *center, double *width)
{
  if (g_strcmp0 (modality, "CT") == 0)
    {
      *center = 40;
      *width = 400;
      return TRUE;
    }
  return FALSE;
}

void
lb_display_params_init (LbDisplayParams *params, const LbImage *image)
{
  g_return_if_fail (params != NULL && image != NULL);
  memset (params, 0, sizeof *params);

  const LbImageMetadata *m = &image->metadata;
  if (m->windows != NULL && m->windows->len > 0)
    {
      const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, 0);
      params->window_center = w->center;
      params->window_width = MAX (w->width, 1.0);
    }
  else if (!lb_display_modality_default (m->modality, &params->window_center, &params->window_width))
    {
      if (image->bits_stored == 8)
        lb_display_full_range_window (image, &params->window_center, &params->window_width);
      else
        lb_display_auto_window (image, 0.0, 100.0, &params->window_center, &params->window_width);
    }
}

static void
add_preset (GArray *presets, const char *name, double center, double width)
{
  LbDisplayPreset preset = { g_strdup (name), center, MAX (width, 1.0) };
  g_array_append_val (presets, preset);
}

static void
clear_preset (gpointer data)
{
  LbDisplayPreset *preset = data;
  g_clear_pointer (&preset->name, g_free);
}

GArray *
lb_display_presets (const LbImage *image)
{
  g_return_val_if_fail (image != NULL, NULL);
  GArray *presets = g_array_new (FALSE, TRUE, sizeof (LbDisplayPreset));
  g_array_set_clear_func (presets, clear_preset);

  const LbImageMetadata *m = &image->metadata;
  for (guint i = 0; m->windows != NULL && i < m->windows->len; i++)
    {
      const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, i);
      g_autofree char *name = w->explanation != NULL && w->explanation[0] != '\0'
                                ? g_strdup_printf ("File: %s", w->explanation)
                                : g_strdup_printf ("File window %u", i + 1);
      add_preset (presets, name, w->center, w->width);
    }
  if (g_strcmp0 (m->modality, "CT") == 0)
    {
      /* Common radiology presets (Hounsfield units). */
      add_preset (presets, "Brain", 40, 80);
      add_preset (presets, "Subdural", 75, 215);
      add_preset (presets, "Stroke", 32, 8);
      add_preset (presets, "Lung", -600, 1500);
      add_preset (presets, "Mediastinum", 50, 350);
      add_preset (presets, "Abdomen", 40, 400);
      add_preset (presets, "Liver", 60, 160);
      add_preset (presets, "Bone", 400, 1800);
    }
  double c, w;
  lb_display_auto_window (image, 0.5, 99.5, &c, &w);
  add_preset (presets, "Auto", c, w);
  lb_display_auto_window (image, 0.0, 100.0, &c, &w);
  add_preset (presets, "Min–max", c, w);
  lb_display_full_range_window (image, &c, &w);
  add_preset (presets, "Full range", c, w);
  return presets;
}

void
lb_display_output_size (const LbImage *image, const LbDisplayParams *params,
                        guint *width, guint *height)
{
  gboolean swap = (params->rotation & 1) != 0;
  *width = swap ? image->height : image->width;
  *height = swap ? image->width : image->height;
}

void
lb_display_from_image (guint image_width, guint image_height, const LbDisplayParams *params,
                       double ix, double iy, double *dx, double *dy)
{
  double W = image_width, H = image_height;
  double x, y, dw, dh;
  switch (params->rotation & 3)
    {
    case 1: x = H - iy; y = ix; dw = H; dh = W; break;
    case 2: x = W - ix; y = H - iy; dw = W; dh = H; break;
    case 3: x = iy; y = W - ix; dw = H; dh = W; break;
    default: x = ix; y = iy; dw = W; dh = H; break;
    }
  if (params->flip_horizontal)
    x = dw - x;
  if (params->flip_vertical)
    y = dh - y;
  *dx = x;
  *dy = y;
}

void
lb_display_to_image (guint image_width, guint image_height, const LbDisplayParams *params,
                     double dx, double dy, double *ix, double *iy)
{
  double W = image_width, H = image_height;
  gboolean swap = (params->rotation & 1) != 0;
  double dw = swap ? H : W, dh = swap ? W : H;
  if (params->flip_horizontal)
    dx = dw - dx;
  if (params->flip_vertical)
    dy = dh - dy;
  switch (params->rotation & 3)
    {
    case 1: *ix = dy; *iy = H - dx; break;
    case 2: *ix = W - dx; *iy = H - dy; break;
    case 3: *ix = W - dy; *iy = dx; break;
    default: *ix = dx; *iy = dy; break;
    }
}

/* 8-bit value for each stored value of the container, indexed by
 * stored - first. */
static guint8 *
build_lut (const LbImage *image, const LbDisplayParams *params, int *first_out)
{
  int first, count;
  container_range (image, &first, &count);
  guint8 *lut = g_malloc (count);
  gboolean invert = effective_invert (image, params);
  const LbImageMetadata *m = &image->metadata;

  if (m->modality_lut == NULL && params->window_width > 1.0)
    {
      /* The common case, without a call per entry. */
      double slope = m->rescale_slope, intercept = m->rescale_intercept;
      double c = params->window_center, w = params->window_width;
      double lower = c - 0.5 - (w - 1.0) / 2.0, upper = c - 0.5 + (w - 1.0) / 2.0;
      for (int i = 0; i < count; i++)
        {
          double v = (first + i) * slope + intercept;
          guint8 y;
          if (v <= lower)
            y = 0;
          else if (v > upper)
            y = 255;
          else
            {
              double f = floor (((v - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0 + 0.5);
              y = (guint8) CLAMP (f, 0.0, 255.0);
            }
          lut[i] = invert ? 255 - y : y;
        }
    }
  else
    {
      for (int i = 0; i < count; i++)
        lut[i] = lb_display_map_value (image, params, first + i);
    }
  *first_out = first;
  return lut;
}

LbDisplayImage *
lb_display_render (const LbImage *image, const LbDisplayParams *params, gboolean force_rgb)
{
  g_return_val_if_fail (image != NULL && params != NULL, NULL);

  int first;
  g_autofree guint8 *lut = build_lut (image, params, &first);
  guint in_ch = image->channels;
  guint out_ch = force_rgb ? 3 : in_ch;
  guint W = image->width, H = image->height;

  LbDisplayImage *out = g_new0 (LbDisplayImage, 1);
  lb_display_output_size (image, params, &out->width, &out->height);
  out->channels = out_ch;
  out->stride = (gsize) out->width * out_ch;
  out->data = g_malloc (out->stride * out->height);

  /* Pass 1: values, in image orientation when no geometry changes;
   * otherwise gather through the inverse mapping per output pixel. */
  gboolean identity_geometry = (params->rotation & 3) == 0 && !params->flip_horizontal
                               && !params->flip_vertical;
  gsize n_pixels = (gsize) W * H;

#define SAMPLE(i) (image->bits_stored == 8                                          \
                     ? (image->is_signed ? (int) image->s8[i] : (int) image->u8[i])   \
                     : (image->is_signed ? (int) image->s16[i] : (int) image->u16[i]))

  if (identity_geometry)
    {
      guint8 *dst = out->data;
      if (in_ch == out_ch)
        {
          gsize n = n_pixels * in_ch;
          if (image->bits_stored == 16 && !image->is_signed)
            for (gsize i = 0; i < n; i++)
              dst[i] = lut[image->u16[i]];
          else if (image->bits_stored == 8 && !image->is_signed)
            for (gsize i = 0; i < n; i++)
              dst[i] = lut[image->u8[i]];
          else
            for (gsize i = 0; i < n; i++)
              dst[i] = lut[SAMPLE (i) - first];
        }
      else /* gray → RGB */
        {
          for (gsize i = 0; i < n_pixels; i++)
            {
              guint8 v = lut[SAMPLE (i) - first];
              dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = v;
            }
        }
      return out;
    }

  guint dw = out->width, dh = out->height;
  for (guint oy = 0; oy < dh; oy++)
    {
      guint8 *row = out->data + (gsize) oy * out->stride;
      for (guint ox = 0; ox < dw; ox++)
        {
          guint x = params->flip_horizontal ? dw - 1 - ox : ox;
          guint y = params->flip_vertical ? dh - 1 - oy : oy;
          guint sx, sy;
          switch (params->rotation & 3)
            {
            case 1: sx = y; sy = H - 1 - x; break;
            case 2: sx = W - 1 - x; sy = H - 1 - y; break;
            case 3: sx = W - 1 - y; sy = x; break;
            default: sx = x; sy = y; break;
            }
          gsize si = ((gsize) sy * W + sx) * in_ch;
          if (in_ch == 3)
            for (guint c = 0; c < 3; c++)
              row[ox * 3 + c] = lut[SAMPLE (si + c) - first];
          else
            {
              guint8 v = lut[SAMPLE (si) - first];
              for (guint c = 0; c < out_ch; c++)
                row[ox * out_ch + c] = v;
            }
        }
    }
#undef SAMPLE
  return out;
}

void
lb_display_image_free (LbDisplayImage *display)
{
  if (display == NULL)
    return;
  g_free (display->data);
  g_free (display);
}
