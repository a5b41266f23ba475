/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <math.h>
#include <string.h>

#include <openslide.h>

#include "imaging/model-input.h"
#include "imaging/slide.h"

struct _LbSlide {
  openslide_t *osr;
  char *path;
  char *vendor;
};

const char *
lb_slide_detect (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);
  return openslide_detect_vendor (path);
}

LbSlide *
lb_slide_open (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  const char *vendor = openslide_detect_vendor (path);
  if (vendor == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN,
                   "%s: not a whole-slide image OpenSlide can read", path);
      return NULL;
    }
  openslide_t *osr = openslide_open (path);
  if (osr == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN,
                   "%s: OpenSlide cannot open this file", path);
      return NULL;
    }
  const char *message = openslide_get_error (osr);
  if (message != NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT, "%s: cannot read the slide: %s",
                   path, message);
      openslide_close (osr);
      return NULL;
    }
  LbSlide *slide = g_new0 (LbSlide, 1);
  slide->osr = osr;
  slide->path = g_strdup (path);
  slide->vendor = g_strdup (vendor);
  return slide;
}

void
lb_slide_free (LbSlide *slide)
{
  if (slide == NULL)
    return;
  openslide_close (slide->osr);
  g_free (slide->path);
  g_free (slide->vendor);
  g_free (slide);
}

const char *
lb_slide_vendor (const LbSlide *slide)
{
  return slide->vendor;
}

guint
lb_slide_n_levels (const LbSlide *slide)
{
  int32_t n = openslide_get_level_count (slide->osr);
  return n > 0 ? (guint) n : 0;
}

void
lb_slide_level_size (const LbSlide *slide, guint level, gint64 *width, gint64 *height)
{
  int64_t w = -1, h = -1;
  openslide_get_level_dimensions (slide->osr, (int32_t) level, &w, &h);
  *width = w;
  *height = h;
}

double
lb_slide_level_downsample (const LbSlide *slide, guint level)
{
  return openslide_get_level_downsample (slide->osr, (int32_t) level);
}

guint
lb_slide_best_level (const LbSlide *slide, double downsample)
{
  int32_t level = openslide_get_best_level_for_downsample (slide->osr, downsample);
  return level > 0 ? (guint) level : 0;
}

gboolean
lb_slide_microns_per_pixel (const LbSlide *slide, double *x, double *y)
{
  const char *mx = openslide_get_property_value (slide->osr, OPENSLIDE_PROPERTY_NAME_MPP_X);
  const char *my = openslide_get_property_value (slide->osr, OPENSLIDE_PROPERTY_NAME_MPP_Y);
  if (mx == NULL || my == NULL)
    return FALSE;
  *x = g_ascii_strtod (mx, NULL);
  *y = g_ascii_strtod (my, NULL);
  return *x > 0 && *y > 0;
}

LbImage *
lb_slide_read_region (LbSlide *slide, gint64 x, gint64 y, guint level, guint width, guint height,
                      GError **error)
{
  g_return_val_if_fail (slide != NULL, NULL);

  if (level >= lb_slide_n_levels (slide))
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_INVALID,
                   "%s: level %u requested, but the slide has %u levels", slide->path, level,
                   lb_slide_n_levels (slide));
      return NULL;
    }
  if (!lb_image_check_dimensions (slide->path, width, height, error))
    return NULL;

  g_autoptr(LbImage) image = lb_image_new (width, height, 3, 8, FALSE, error);
  if (image == NULL)
    return NULL;
  gsize n = (gsize) width * height;
  guint32 *argb = g_try_new (guint32, n);
  if (argb == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "%s: out of memory for a %u×%u region", slide->path, width, height);
      return NULL;
    }
  openslide_read_region (slide->osr, argb, x, y, (int32_t) level, width, height);
  const char *message = openslide_get_error (slide->osr);
  if (message != NULL)
    {
      g_free (argb);
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT, "%s: cannot read the slide: %s",
                   slide->path, message);
      return NULL;
    }
  /* Premultiplied ARGB over white. */
  for (gsize i = 0; i < n; i++)
    {
      guint32 p = argb[i];
      guint a = p >> 24;
      guint8 *out = image->u8 + 3 * i;
      for (guint c = 0; c < 3; c++)
        {
          guint v = (p >> (16 - 8 * c)) & 0xff;
          out[c] = (guint8) MIN (255u, v + (255 - a));
        }
    }
  g_free (argb);
  image->metadata.format = LB_IMAGE_FORMAT_SLIDE;
  image->metadata.n_frames = 1;
  return g_steal_pointer (&image);
}

LbImage *
lb_slide_read_overview (LbSlide *slide, guint max_side, GError **error)
{
  g_return_val_if_fail (slide != NULL && max_side > 0, NULL);

  guint n_levels = lb_slide_n_levels (slide);
  if (n_levels == 0)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT, "%s: the slide has no levels",
                   slide->path);
      return NULL;
    }
  /* The finest level no larger than twice the target, else the coarsest. */
  guint level = n_levels - 1;
  for (guint l = 0; l < n_levels; l++)
    {
      gint64 w, h;
      lb_slide_level_size (slide, l, &w, &h);
      if (w > 0 && h > 0 && w <= (gint64) max_side * 2 && h <= (gint64) max_side * 2)
        {
          level = l;
          break;
        }
    }
  gint64 w, h;
  lb_slide_level_size (slide, level, &w, &h);
  if (w <= 0 || h <= 0 || w > G_MAXUINT || h > G_MAXUINT)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT, "%s: level %u has no valid size",
                   slide->path, level);
      return NULL;
    }
  g_autoptr(LbImage) region = lb_slide_read_region (slide, 0, 0, level, (guint) w, (guint) h, error);
  if (region == NULL)
    return NULL;

  LbImage *image = NULL;
  double fit = MIN ((double) max_side / (double) w, (double) max_side / (double) h);
  if (fit < 1.0)
    {
      guint ow = MAX (1u, (guint) floor (w * fit + 0.5)), oh = MAX (1u, (guint) floor (h * fit + 0.5));
      image = lb_image_new (ow, oh, 3, 8, FALSE, error);
      if (image == NULL)
        return NULL;
      lb_resize_bilinear_u8 (region->u8, region->width, region->height, 3, image->u8, ow, oh);
    }
  else
    image = g_steal_pointer (&region);

  LbImageMetadata *m = &image->metadata;
  m->format = LB_IMAGE_FORMAT_SLIDE;
  double downsample = lb_slide_level_downsample (slide, level) * ((double) w / image->width);
  double mx, my;
  if (lb_slide_microns_per_pixel (slide, &mx, &my))
    {
      m->has_pixel_spacing = TRUE;
      m->pixel_spacing[0] = my * downsample / 1000.0;
      m->pixel_spacing[1] = mx * downsample / 1000.0;
    }
  m->compression = g_strdup_printf ("whole-slide image (%s), level %u of %u, downsample %.2f",
                                    slide->vendor, level, n_levels, downsample);
  const char *const *names = openslide_get_property_names (slide->osr);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      const char *value = openslide_get_property_value (slide->osr, names[i]);
      /* Scanner comments and file names can name the patient. */
      gboolean identifying = strstr (names[i], "Filename") != NULL || strstr (names[i], "comment") != NULL
                             || strstr (names[i], "Date") != NULL || strstr (names[i], "User") != NULL;
      lb_image_metadata_add_tag (m, 0, names[i], value, identifying);
    }
  return image;
}
