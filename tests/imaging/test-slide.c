/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whole-slide images through OpenSlide: a tiled pyramidal TIFF written
 * with libtiff (OpenSlide's generic-tiff), its levels and region reads, and
 * a slide too large to open whole coming back from lb_image_load as an
 * overview.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>
#include <tiffio.h>

#include "imaging-test.h"
#include "imaging/image.h"
#include "imaging/slide.h"
#include "lb-test.h"

/* The colour of level-0 pixel (x, y): distinct per 16-pixel block. */
static void
pattern (guint64 x, guint64 y, guint8 rgb[3])
{
  rgb[0] = (guint8) ((x / 16) * 37 % 256);
  rgb[1] = (guint8) ((y / 16) * 53 % 256);
  rgb[2] = (guint8) (((x / 16) + (y / 16)) * 11 % 256);
}

/* Levels of width w >> l, height h >> l, each sampled from the pattern at
 * level-0 coordinates (x << l, y << l); tiles of 64. */
static void
write_pyramid (const char *path, guint64 w, guint64 h, guint levels, gboolean constant)
{
  TIFF *tif = TIFFOpen (path, w * h > 100000000 ? "w8" : "w");
  g_assert_nonnull (tif);
  const guint t = constant ? 16 : 64;
  g_autofree guint8 *tile = g_malloc ((gsize) t * t * 3);
  for (guint l = 0; l < levels; l++)
    {
      guint64 lw = w >> l, lh = h >> l;
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, (uint32_t) lw);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, (uint32_t) lh);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, 8);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, 3);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
      TIFFSetField (tif, TIFFTAG_TILEWIDTH, t);
      TIFFSetField (tif, TIFFTAG_TILELENGTH, t);
      if (l > 0)
        TIFFSetField (tif, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
      for (guint64 y0 = 0; y0 < lh; y0 += t)
        for (guint64 x0 = 0; x0 < lw; x0 += t)
          {
            for (guint y = 0; y < t; y++)
              for (guint x = 0; x < t; x++)
                {
                  guint8 *p = tile + ((gsize) y * t + x) * 3;
                  if (constant)
                    p[0] = p[1] = p[2] = 200;
                  else
                    pattern ((x0 + x) << l, (y0 + y) << l, p);
                }
            g_assert_cmpint (TIFFWriteTile (tif, tile, (uint32_t) x0, (uint32_t) y0, 0, 0), >, 0);
          }
      TIFFWriteDirectory (tif);
    }
  TIFFClose (tif);
}

static void
test_levels_and_regions (void)
{
  g_autofree char *path = lb_imaging_test_path ("pyramid.tif");
  write_pyramid (path, 512, 384, 3, FALSE);
  g_assert_nonnull (lb_slide_detect (path));
  g_autoptr(GError) error = NULL;
  g_autoptr(LbSlide) slide = lb_slide_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_slide_n_levels (slide), ==, 3);
  for (guint l = 0; l < 3; l++)
    {
      gint64 w, h;
      lb_slide_level_size (slide, l, &w, &h);
      g_assert_cmpint (w, ==, 512 >> l);
      g_assert_cmpint (h, ==, 384 >> l);
      g_assert_cmpfloat_with_epsilon (lb_slide_level_downsample (slide, l), 1 << l, 1e-9);
    }
  g_assert_cmpuint (lb_slide_best_level (slide, 4.5), ==, 2);

  /* Regions at level 0 and level 1, across tile borders. */
  for (guint l = 0; l < 2; l++)
    {
      gint64 x = 100, y = 50;
      guint w = 90, h = 70;
      g_autoptr(LbImage) region = lb_slide_read_region (slide, x, y, l, w, h, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (region->width, ==, w);
      g_assert_cmpuint (region->channels, ==, 3);
      for (guint ry = 0; ry < h; ry++)
        for (guint rx = 0; rx < w; rx++)
          {
            guint8 want[3];
            pattern ((guint64) x + ((guint64) rx << l), (guint64) y + ((guint64) ry << l), want);
            g_assert_cmpmem (region->u8 + ((gsize) ry * w + rx) * 3, 3, want, 3);
          }
    }
  /* Outside the slide: transparent, composited over white. */
  g_autoptr(LbImage) outside = lb_slide_read_region (slide, 600, 0, 0, 4, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outside->u8[0], ==, 255);

  g_autoptr(LbImage) huge = lb_slide_read_region (slide, 0, 0, 0, 70000, 70000, &error);
  g_assert_null (huge);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_autoptr(LbImage) bad_level = lb_slide_read_region (slide, 0, 0, 7, 4, 4, &error);
  g_assert_null (bad_level);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr(LbImage) overview = lb_slide_read_overview (slide, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (overview->width, ==, 100);
  g_assert_cmpuint (overview->height, ==, 75);
  g_assert_cmpint (overview->metadata.format, ==, LB_IMAGE_FORMAT_SLIDE);
}

static void
test_large_slide_opens_as_overview (void)
{
  /* 70000 × 128 is beyond the 65535-a-side limit for whole images. */
  g_autofree char *path = lb_imaging_test_path ("wide.tif");
  write_pyramid (path, 70000, 128, 4, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_SLIDE);
  g_assert_cmpuint (image->width, <=, 4096);
  g_assert_cmpuint (image->channels, ==, 3);
  g_assert_cmpuint (image->u8[(image->height / 2 * image->width + image->width / 2) * 3], ==, 200);
}

static void
test_not_a_slide (void)
{
  guint8 s[4] = { 0 };
  g_autofree char *path = lb_imaging_test_path ("plain.txt");
  lb_imaging_test_write (path, s, 4);
  g_assert_null (lb_slide_detect (path));
  g_autoptr(GError) error = NULL;
  g_autoptr(LbSlide) slide = lb_slide_open (path, &error);
  g_assert_null (slide);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/slide/levels-and-regions", test_levels_and_regions);
  g_test_add_func ("/slide/large-slide-opens-as-overview", test_large_slide_opens_as_overview);
  g_test_add_func ("/slide/not-a-slide", test_not_a_slide);
  return g_test_run ();
}
