/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>

#include "imaging-test.h"
#include "lb-test.h"

char *
lb_imaging_test_path (const char *name)
{
  return g_build_filename (lb_test_tmpdir (), name, NULL);
}

guint16 *
lb_imaging_test_samples16 (guint32 seed, gsize n, int lo, int hi)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint16 *out = g_new (guint16, n);
  for (gsize i = 0; i < n; i++)
    out[i] = (guint16) (gint16) g_rand_int_range (rand, lo, hi + 1);
  g_rand_free (rand);
  return out;
}

guint8 *
lb_imaging_test_samples8 (guint32 seed, gsize n)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint8 *out = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    out[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  return out;
}

GBytes *
lb_imaging_test_read (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize size = 0;
  g_file_get_contents (path, &data, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

void
lb_imaging_test_write (const char *path, const void *data, gsize size)
{
  g_autoptr(GError) error = NULL;
  g_file_set_contents (path, data, (gssize) size, &error);
  g_assert_no_error (error);
}

static int
png_channels (int color_type)
{
  switch (color_type)
    {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    default: g_assert_not_reached ();
    }
}

void
lb_imaging_test_write_png (const char *path, guint width, guint height, int bit_depth, int color_type,
                           const void *samples, const guint8 *palette, guint n_palette, gboolean interlaced)
{
  FILE *f = fopen (path, "wb");
  g_assert_nonnull (f);
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  g_assert_nonnull (png);
  g_assert_nonnull (info);
  if (setjmp (png_jmpbuf (png)))
    g_error ("libpng failed writing %s", path);
  png_init_io (png, f);
  png_set_IHDR (png, info, width, height, bit_depth, color_type,
                interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    {
      png_color colors[256];
      for (guint i = 0; i < n_palette; i++)
        colors[i] = (png_color) { palette[3 * i], palette[3 * i + 1], palette[3 * i + 2] };
      png_set_PLTE (png, info, colors, (int) n_palette);
    }
  png_text text = { .compression = PNG_TEXT_COMPRESSION_NONE, .key = "Author", .text = "Dr. Test" };
  png_set_text (png, info, &text, 1);
  png_write_info (png, info);
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  if (bit_depth < 8)
    png_set_packing (png);

  int ch = png_channels (color_type);
  gsize bytes = bit_depth == 16 ? 2 : 1;
  gsize row_bytes = (gsize) width * ch * bytes;
  png_bytep *rows = g_new (png_bytep, height);
  for (guint y = 0; y < height; y++)
    rows[y] = (png_bytep) samples + y * row_bytes;
  png_write_image (png, rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_free (rows);
  fclose (f);
}

void
lb_imaging_test_write_jpeg (const char *path, guint width, guint height, guint channels,
                            const guint8 *samples, int quality, guint exif_orientation)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  FILE *f = fopen (path, "wb");
  g_assert_nonnull (f);
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, f);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = (int) channels;
  cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, quality, TRUE);
  if (quality >= 100 && channels == 3)
    {
      /* No chroma subsampling, so quality 100 stays within a few levels. */
      for (int c = 0; c < 3; c++)
        cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
    }
  jpeg_start_compress (&cinfo, TRUE);
  if (exif_orientation != 0)
    {
      /* "Exif\0\0" + little-endian TIFF header + one IFD entry (Orientation). */
      guint8 exif[6 + 8 + 2 + 12 + 4] = { 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                          0x12, 0x01, 3, 0, 1, 0, 0, 0, (guint8) exif_orientation, 0, 0, 0,
                                          0, 0, 0, 0 };
      jpeg_write_marker (&cinfo, JPEG_APP0 + 1, exif, sizeof exif);
    }
  gsize row_bytes = (gsize) width * channels;
  while (cinfo.next_scanline < cinfo.image_height)
    {
      JSAMPROW row = (JSAMPROW) samples + cinfo.next_scanline * row_bytes;
      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  fclose (f);
}

void
lb_imaging_test_write_tiff (const char *path, guint width, guint height, const LbTestTiff *layout,
                            const void *const *pages, guint n_pages)
{
  TIFF *tif = TIFFOpen (path, "w");
  g_assert_nonnull (tif);
  gsize B = layout->bits / 8;
  guint spp = layout->spp;
  for (guint page = 0; page < n_pages; page++)
    {
      const guint8 *src = pages[page];
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, width);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, height);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, layout->bits);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, spp);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, layout->is_signed ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, layout->planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, layout->photometric);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, layout->compression);
      if (spp == 2 || spp == 4)
        {
          uint16_t extra = EXTRASAMPLE_UNASSALPHA;
          TIFFSetField (tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
        }
      if (layout->orientation != 0)
        TIFFSetField (tif, TIFFTAG_ORIENTATION, layout->orientation);
      TIFFSetField (tif, TIFFTAG_ARTIST, "Dr. Test");
      TIFFSetField (tif, TIFFTAG_XRESOLUTION, 254.0);
      TIFFSetField (tif, TIFFTAG_YRESOLUTION, 127.0);
      TIFFSetField (tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
      if (n_pages > 1)
        {
          TIFFSetField (tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
          TIFFSetField (tif, TIFFTAG_PAGENUMBER, page, n_pages);
        }

      guint planes = layout->planar ? spp : 1;
      gsize in_pixel = B * spp, out_pixel = layout->planar ? B : B * spp;
      if (layout->tile != 0)
        {
          guint t = layout->tile;
          TIFFSetField (tif, TIFFTAG_TILEWIDTH, t);
          TIFFSetField (tif, TIFFTAG_TILELENGTH, t);
          g_autofree guint8 *tile = g_malloc0 ((gsize) t * t * out_pixel);
          for (guint p = 0; p < planes; p++)
            for (guint y0 = 0; y0 < height; y0 += t)
              for (guint x0 = 0; x0 < width; x0 += t)
                {
                  memset (tile, 0, (gsize) t * t * out_pixel);
                  for (guint y = 0; y < t && y0 + y < height; y++)
                    for (guint x = 0; x < t && x0 + x < width; x++)
                      memcpy (tile + ((gsize) y * t + x) * out_pixel,
                              src + ((gsize) (y0 + y) * width + x0 + x) * in_pixel + (layout->planar ? p * B : 0),
                              out_pixel);
                  g_assert_cmpint (TIFFWriteTile (tif, tile, x0, y0, 0, (uint16_t) p), >, 0);
                }
        }
      else
        {
          guint rps = layout->rows_per_strip ? layout->rows_per_strip : height;
          TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, rps);
          g_autofree guint8 *line = g_malloc ((gsize) width * out_pixel);
          for (guint p = 0; p < planes; p++)
            for (guint y = 0; y < height; y++)
              {
                for (guint x = 0; x < width; x++)
                  memcpy (line + x * out_pixel, src + ((gsize) y * width + x) * in_pixel + (layout->planar ? p * B : 0),
                          out_pixel);
                g_assert_cmpint (TIFFWriteScanline (tif, line, y, (uint16_t) p), ==, 1);
              }
        }
      TIFFWriteDirectory (tif);
    }
  TIFFClose (tif);
}

gboolean
lb_imaging_test_make_dicom (const char *out, const void *samples, gsize n_bytes,
                            const char *const *options, char **message)
{
  static guint counter;
  g_autofree char *name = g_strdup_printf ("samples-%u.raw", counter++);
  g_autofree char *raw = lb_imaging_test_path (name);
  lb_imaging_test_write (raw, samples, n_bytes);

  g_autofree char *helper = g_test_build_filename (G_TEST_BUILT, "imaging", "make-dicom", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, helper);
  g_ptr_array_add (argv, (char *) out);
  g_ptr_array_add (argv, "--raw");
  g_ptr_array_add (argv, raw);
  for (gsize i = 0; options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  g_ptr_array_add (argv, NULL);

  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  gboolean ok = g_spawn_check_wait_status (status, NULL);
  if (message != NULL)
    *message = g_steal_pointer (&err);
  return ok;
}

gboolean
lb_imaging_test_have_pil (char **reason)
{
  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      *reason = g_strdup ("/usr/bin/python3 is missing (install python3-pil)");
      return FALSE;
    }
  const char *argv[] = { "/usr/bin/python3", "-c", "import PIL.Image", NULL };
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                     &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      *reason = g_strdup ("python3-pil is not installed for /usr/bin/python3");
      return FALSE;
    }
  return TRUE;
}

void
lb_imaging_test_run_python (const char *script, ...)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "imaging", script, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, "/usr/bin/python3");
  g_ptr_array_add (argv, path);
  va_list args;
  va_start (args, script);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", script, err);
}
