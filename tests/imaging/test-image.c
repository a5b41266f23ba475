/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PNG, JPEG and TIFF loading: files written by libpng, libjpeg and libtiff
 * from known samples, decoded and compared value for value; broken,
 * truncated and oversized files rejected with a clear error.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <png.h>
#include <string.h>
#include <tiffio.h>
#include <zlib.h>

#include "imaging-test.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "lb-test.h"

static LbImage *
load_ok (const char *path, guint frame)
{
  g_autoptr(GError) error = NULL;
  LbImage *image = lb_image_load (path, frame, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static void
assert_samples8 (const LbImage *image, const guint8 *expected, gsize n)
{
  g_assert_cmpuint (image->bits_stored, ==, 8);
  g_assert_cmpuint (lb_image_n_samples (image), ==, n);
  for (gsize i = 0; i < n; i++)
    if (image->u8[i] != expected[i])
      g_error ("sample %" G_GSIZE_FORMAT ": %u, expected %u", i, image->u8[i], expected[i]);
}

static void
assert_samples16 (const LbImage *image, const guint16 *expected, gsize n)
{
  g_assert_cmpuint (image->bits_stored, ==, 16);
  g_assert_cmpuint (lb_image_n_samples (image), ==, n);
  for (gsize i = 0; i < n; i++)
    if (image->u16[i] != expected[i])
      g_error ("sample %" G_GSIZE_FORMAT ": %u, expected %u", i, image->u16[i], expected[i]);
}

/* ---------------------------------------------------------------- PNG */

static void
test_png_gray8 (void)
{
  guint w = 37, h = 23;
  g_autofree guint8 *s = lb_imaging_test_samples8 (1, w * h);
  g_autofree char *path = lb_imaging_test_path ("gray8.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->width, ==, w);
  g_assert_cmpuint (image->height, ==, h);
  g_assert_cmpuint (image->channels, ==, 1);
  g_assert_false (image->is_signed);
  g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_PNG);
  g_assert_cmpstr (image->metadata.photometric, ==, "MONOCHROME2");
  assert_samples8 (image, s, w * h);
  /* PNG's Author keyword names a person. */
  const LbImageTag *author = lb_image_metadata_find_tag (&image->metadata, "Author");
  g_assert_nonnull (author);
  g_assert_cmpstr (author->value, ==, "Dr. Test");
  g_assert_true (author->identifying);
}

static void
test_png_gray16 (void)
{
  guint w = 41, h = 19;
  g_autofree guint16 *s = lb_imaging_test_samples16 (2, w * h, 0, 65535);
  g_autofree char *path = lb_imaging_test_path ("gray16.png");
  lb_imaging_test_write_png (path, w, h, 16, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->channels, ==, 1);
  assert_samples16 (image, s, w * h);
}

static void
test_png_rgb8 (void)
{
  guint w = 30, h = 17;
  g_autofree guint8 *s = lb_imaging_test_samples8 (3, w * h * 3);
  g_autofree char *path = lb_imaging_test_path ("rgb8.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_RGB, s, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->channels, ==, 3);
  g_assert_cmpstr (image->metadata.photometric, ==, "RGB");
  assert_samples8 (image, s, w * h * 3);
}

static void
test_png_rgb16_interlaced (void)
{
  guint w = 29, h = 31;
  g_autofree guint16 *s = lb_imaging_test_samples16 (4, w * h * 3, 0, 65535);
  g_autofree char *path = lb_imaging_test_path ("rgb16i.png");
  lb_imaging_test_write_png (path, w, h, 16, PNG_COLOR_TYPE_RGB, s, NULL, 0, TRUE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->channels, ==, 3);
  assert_samples16 (image, s, w * h * 3);
}

static void
test_png_alpha_dropped (void)
{
  /* RGBA and gray+alpha: the colour is kept as stored, alpha dropped (PIL's convert). */
  guint w = 13, h = 11;
  g_autofree guint8 *rgba = lb_imaging_test_samples8 (5, w * h * 4);
  g_autofree char *path = lb_imaging_test_path ("rgba.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_RGB_ALPHA, rgba, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->channels, ==, 3);
  g_autofree guint8 *rgb = g_new (guint8, w * h * 3);
  for (gsize i = 0; i < (gsize) w * h; i++)
    memcpy (rgb + 3 * i, rgba + 4 * i, 3);
  assert_samples8 (image, rgb, w * h * 3);

  g_autofree guint16 *ga = lb_imaging_test_samples16 (6, w * h * 2, 0, 65535);
  g_autofree char *path2 = lb_imaging_test_path ("ga16.png");
  lb_imaging_test_write_png (path2, w, h, 16, PNG_COLOR_TYPE_GRAY_ALPHA, ga, NULL, 0, FALSE);
  g_autoptr(LbImage) gray = load_ok (path2, 0);
  g_assert_cmpuint (gray->channels, ==, 1);
  g_autofree guint16 *g = g_new (guint16, w * h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    g[i] = ga[2 * i];
  assert_samples16 (gray, g, w * h);
}

static void
test_png_palette (void)
{
  guint w = 16, h = 9, n = 5;
  guint8 palette[15] = { 0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30, 200, 100, 50 };
  g_autofree guint8 *idx = g_new (guint8, w * h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    idx[i] = (guint8) ((i * 7) % n);
  g_autofree char *path = lb_imaging_test_path ("palette.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_PALETTE, idx, palette, n, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpuint (image->channels, ==, 3);
  g_autofree guint8 *rgb = g_new (guint8, w * h * 3);
  for (gsize i = 0; i < (gsize) w * h; i++)
    memcpy (rgb + 3 * i, palette + 3 * idx[i], 3);
  assert_samples8 (image, rgb, w * h * 3);
}

static void
test_png_low_bit_depth (void)
{
  /* 4-bit gray is scaled to 8 bits (v × 17), as every viewer shows it. */
  guint w = 10, h = 6;
  g_autofree guint8 *s = g_new (guint8, w * h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    s[i] = (guint8) (i % 16);
  g_autofree char *path = lb_imaging_test_path ("gray4.png");
  lb_imaging_test_write_png (path, w, h, 4, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  for (gsize i = 0; i < (gsize) w * h; i++)
    g_assert_cmpuint (image->u8[i], ==, s[i] * 17u);
}

static void
test_png_frame (void)
{
  guint8 s[4] = { 1, 2, 3, 4 };
  g_autofree char *path = lb_imaging_test_path ("tiny.png");
  lb_imaging_test_write_png (path, 2, 2, 8, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, 1, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME);
}

static void
test_png_truncated (void)
{
  guint w = 40, h = 30;
  g_autofree guint8 *s = lb_imaging_test_samples8 (7, w * h * 3);
  g_autofree char *path = lb_imaging_test_path ("trunc.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_RGB, s, NULL, 0, FALSE);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  const guint8 *data = g_bytes_get_data (whole, NULL);
  /* Every prefix of at least the signature: truncated or corrupt, never a crash. */
  for (gsize len = 8; len < size; len += 3)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load_bytes (part, "truncated.png", 0, &error);
      if (image != NULL)
        g_error ("PNG truncated to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes loaded", len, size);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT);
      g_assert_true (strstr (error->message, "truncated.png") != NULL);
    }
}

static void
test_png_corrupt (void)
{
  guint w = 32, h = 32;
  g_autofree guint8 *s = lb_imaging_test_samples8 (8, w * h);
  g_autofree char *path = lb_imaging_test_path ("corrupt.png");
  lb_imaging_test_write_png (path, w, h, 8, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (whole, NULL), size);
  /* Flip a byte in every chunk position after the signature: CRCs catch
   * each one, or the pixels differ; no crash either way. */
  GRand *rand = g_rand_new_with_seed (9);
  guint failures = 0;
  for (guint trial = 0; trial < 200; trial++)
    {
      gsize at = 8 + g_rand_int_range (rand, 0, (gint32) (size - 8));
      guint8 saved = copy[at];
      copy[at] ^= (guint8) g_rand_int_range (rand, 1, 256);
      g_autoptr(GBytes) bytes = g_bytes_new_static (copy, size);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "corrupt.png", 0, &error);
      if (image == NULL)
        {
          g_assert_true (error->domain == LB_IMAGE_ERROR);
          failures++;
        }
      copy[at] = saved;
    }
  g_rand_free (rand);
  /* Nearly every flip lands in CRC-protected data. */
  g_assert_cmpuint (failures, >, 150);
}

static void
append_chunk (GByteArray *out, const char *type, const guint8 *data, guint32 len)
{
  guint8 be[4] = { len >> 24, len >> 16, len >> 8, len };
  g_byte_array_append (out, be, 4);
  g_byte_array_append (out, (const guint8 *) type, 4);
  if (len > 0)
    g_byte_array_append (out, data, len);
  uLong crc = crc32 (0, (const Bytef *) type, 4);
  if (len > 0)
    crc = crc32 (crc, data, len);
  guint8 c[4] = { crc >> 24, crc >> 16, crc >> 8, crc };
  g_byte_array_append (out, c, 4);
}

static GBytes *
png_header_only (guint32 width, guint32 height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, signature, 8);
  guint8 ihdr[13] = { width >> 24, width >> 16, width >> 8, width, height >> 24, height >> 16,
                      height >> 8, height, 8, 0, 0, 0, 0 };
  append_chunk (out, "IHDR", ihdr, 13);
  /* A tiny IDAT: a real bomb would be a deflate stream of zeros. */
  guint8 idat[16];
  uLongf idat_len = sizeof idat;
  guint8 row[1] = { 0 };
  compress (idat, &idat_len, row, 1);
  append_chunk (out, "IDAT", idat, (guint32) idat_len);
  append_chunk (out, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (out);
}

static void
test_png_bomb (void)
{
  guint32 sizes[][2] = { { 100000, 100000 }, { 20000, 20000 }, { 65535, 65535 }, { 1, 2000000 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) bytes = png_header_only (sizes[i][0], sizes[i][1]);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "bomb.png", 0, &error);
      g_assert_null (image);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE);
      g_assert_true (strstr (error->message, "decompression bomb") != NULL);
    }
  /* A header claiming a plausible size with no data behind it: truncated. */
  g_autoptr(GBytes) bytes = png_header_only (3000, 3000);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "short.png", 0, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT);
}

/* ---------------------------------------------------------------- sniffing */

static void
test_sniff (void)
{
  g_autoptr(GError) error = NULL;
  /* Empty, text, random bytes: unknown, with the reason. */
  const char *texts[] = { "", "hello, this is not an image\n", "GIF89a......" };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (texts[i], strlen (texts[i]));
      g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "x.png", 0, &error);
      g_assert_null (image);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN);
      g_clear_error (&error);
    }
  /* The extension does not matter: a PNG named .dcm and .jpg loads as PNG. */
  guint8 s[6] = { 10, 20, 30, 40, 50, 60 };
  g_autofree char *path = lb_imaging_test_path ("really-a-png.dcm");
  lb_imaging_test_write_png (path, 3, 2, 8, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_PNG);
  assert_samples8 (image, s, 6);
  /* A missing file: an I/O error naming it. */
  g_autoptr(LbImage) none = lb_image_load ("/nonexistent/file.png", 0, &error);
  g_assert_null (none);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO);
  g_assert_true (strstr (error->message, "/nonexistent/file.png") != NULL);
}

/* ---------------------------------------------------------------- JPEG */

/* A smooth picture (JPEG keeps it within a few levels at quality 100). */
static guint8 *
smooth_samples (guint w, guint h, guint channels)
{
  guint8 *s = g_new (guint8, (gsize) w * h * channels);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      for (guint c = 0; c < channels; c++)
        s[((gsize) y * w + x) * channels + c] = (guint8) (40 + (x * 150) / w + (y * 50) / h + c * 10);
  return s;
}

static void
assert_close8 (const guint8 *a, const guint8 *b, gsize n, int tolerance)
{
  int worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, ABS ((int) a[i] - (int) b[i]));
  if (worst > tolerance)
    g_error ("largest difference %d exceeds %d", worst, tolerance);
}

static void
test_jpeg_gray_rgb (void)
{
  guint w = 64, h = 40;
  for (guint channels = 1; channels <= 3; channels += 2)
    {
      g_autofree guint8 *s = smooth_samples (w, h, channels);
      g_autofree char *path = lb_imaging_test_path (channels == 1 ? "gray.jpg" : "rgb.jpg");
      lb_imaging_test_write_jpeg (path, w, h, channels, s, 100, 0);
      g_autoptr(LbImage) image = load_ok (path, 0);
      g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_JPEG);
      g_assert_cmpuint (image->width, ==, w);
      g_assert_cmpuint (image->height, ==, h);
      g_assert_cmpuint (image->channels, ==, channels);
      g_assert_cmpuint (image->bits_stored, ==, 8);
      assert_close8 (image->u8, s, (gsize) w * h * channels, 3);
    }
}

static void
test_jpeg_exif_orientation (void)
{
  /* 48×32 gray, four flat 16×16 corner blocks TL=0, TR=80, BL=160, BR=240. */
  guint w = 48, h = 32;
  g_autofree guint8 *s = g_new (guint8, w * h);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        gboolean left = x < 16, right = x >= w - 16, top = y < 16;
        s[y * w + x] = left ? (top ? 0 : 160) : right ? (top ? 80 : 240) : 128;
      }
  enum { TL, TR, BL, BR };
  const guint8 value[4] = { 0, 80, 160, 240 };
  /* For each orientation: which stored corner shows at the displayed TL, TR, BL. */
  const int expect[9][3] = {
    { 0 }, { TL, TR, BL }, { TR, TL, BR }, { BR, BL, TR }, { BL, BR, TL },
    { TL, BL, TR }, { BL, TL, BR }, { BR, TR, BL }, { TR, BR, TL },
  };
  for (guint o = 1; o <= 8; o++)
    {
      g_autofree char *name = g_strdup_printf ("exif-%u.jpg", o);
      g_autofree char *path = lb_imaging_test_path (name);
      lb_imaging_test_write_jpeg (path, w, h, 1, s, 100, o);
      g_autoptr(LbImage) image = load_ok (path, 0);
      gboolean swapped = o >= 5;
      g_assert_cmpuint (image->width, ==, swapped ? h : w);
      g_assert_cmpuint (image->height, ==, swapped ? w : h);
      g_assert_cmpuint (image->metadata.exif_orientation, ==, o);
      guint W = image->width, H = image->height;
      int tl = image->u8[8 * W + 8], tr = image->u8[8 * W + W - 9], bl = image->u8[(H - 9) * W + 8];
      g_assert_cmpint (ABS (tl - value[expect[o][0]]), <=, 3);
      g_assert_cmpint (ABS (tr - value[expect[o][1]]), <=, 3);
      g_assert_cmpint (ABS (bl - value[expect[o][2]]), <=, 3);
    }
}

static void
test_jpeg_truncated (void)
{
  guint w = 64, h = 64;
  g_autofree guint8 *s = lb_imaging_test_samples8 (11, w * h * 3);
  g_autofree char *path = lb_imaging_test_path ("trunc.jpg");
  lb_imaging_test_write_jpeg (path, w, h, 3, s, 90, 0);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  const guint8 *data = g_bytes_get_data (whole, NULL);
  for (gsize len = 3; len < size - 2; len += 17)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load_bytes (part, "truncated.jpg", 0, &error);
      if (image != NULL)
        g_error ("JPEG truncated to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes loaded", len, size);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT);
      g_assert_true (strstr (error->message, "truncated.jpg") != NULL);
    }
}

static void
test_jpeg_corrupt_and_bomb (void)
{
  guint w = 32, h = 24;
  g_autofree guint8 *s = smooth_samples (w, h, 1);
  g_autofree char *path = lb_imaging_test_path ("bomb.jpg");
  lb_imaging_test_write_jpeg (path, w, h, 1, s, 90, 0);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (whole, NULL), size);

  /* Patch the frame header (SOF0) to claim 65000×65000. */
  gsize sof = 0;
  for (gsize i = 2; i + 9 < size; i++)
    if (copy[i] == 0xff && copy[i + 1] == 0xc0)
      {
        sof = i;
        break;
      }
  g_assert_cmpuint (sof, >, 0);
  copy[sof + 5] = 65000 >> 8;
  copy[sof + 6] = 65000 & 0xff;
  copy[sof + 7] = 65000 >> 8;
  copy[sof + 8] = 65000 & 0xff;
  g_autoptr(GBytes) bomb = g_bytes_new (copy, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load_bytes (bomb, "bomb.jpg", 0, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE);

  /* Random damage to the original: never a crash, errors in our domain. */
  memcpy (copy, g_bytes_get_data (whole, NULL), size);
  GRand *rand = g_rand_new_with_seed (12);
  for (guint trial = 0; trial < 150; trial++)
    {
      gsize at = g_rand_int_range (rand, 2, (gint32) size);
      guint8 saved = copy[at];
      copy[at] = (guint8) g_rand_int_range (rand, 0, 256);
      g_autoptr(GBytes) bytes = g_bytes_new_static (copy, size);
      g_autoptr(GError) e = NULL;
      g_autoptr(LbImage) im = lb_image_load_bytes (bytes, "damaged.jpg", 0, &e);
      g_assert_true ((im == NULL) == (e != NULL));
      if (e != NULL)
        g_assert_true (e->domain == LB_IMAGE_ERROR);
      copy[at] = saved;
    }
  g_rand_free (rand);
}

/* ---------------------------------------------------------------- TIFF */

static void
check_tiff (const char *name, guint w, guint h, const LbTestTiff *layout, guint keep)
{
  gsize n_in = (gsize) w * h * layout->spp;
  g_autofree void *s = layout->bits == 8 ? (void *) lb_imaging_test_samples8 (w * 31 + h, n_in)
                                          : (void *) lb_imaging_test_samples16 (w * 31 + h, n_in,
                                                                               layout->is_signed ? -32768 : 0,
                                                                               layout->is_signed ? 32767 : 65535);
  g_autofree char *path = lb_imaging_test_path (name);
  const void *pages[1] = { s };
  lb_imaging_test_write_tiff (path, w, h, layout, pages, 1);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_TIFF);
  g_assert_cmpuint (image->width, ==, w);
  g_assert_cmpuint (image->height, ==, h);
  g_assert_cmpuint (image->channels, ==, keep);
  g_assert_cmpuint (image->bits_stored, ==, layout->bits);
  g_assert_cmpint (image->is_signed, ==, layout->is_signed);
  gsize n = (gsize) w * h;
  for (gsize i = 0; i < n; i++)
    for (guint c = 0; c < keep; c++)
      {
        int expected = layout->bits == 8 ? ((guint8 *) s)[i * layout->spp + c]
                       : layout->is_signed ? (gint16) ((guint16 *) s)[i * layout->spp + c]
                                           : ((guint16 *) s)[i * layout->spp + c];
        int got = lb_image_get_sample (image, i % w, i / w, c);
        if (got != expected)
          g_error ("%s: pixel %" G_GSIZE_FORMAT " channel %u: %d, expected %d", name, i, c, got, expected);
      }
  /* 254 dpi across, 127 dpi down: 0.1 mm columns, 0.2 mm rows. */
  g_assert_true (image->metadata.has_pixel_spacing);
  g_assert_cmpfloat_with_epsilon (image->metadata.pixel_spacing[0], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (image->metadata.pixel_spacing[1], 0.1, 1e-6);
  const LbImageTag *artist = lb_image_metadata_find_tag (&image->metadata, "Artist");
  g_assert_nonnull (artist);
  g_assert_true (artist->identifying);
}

static void
test_tiff_layouts (void)
{
  LbTestTiff gray8_strips = { .bits = 8, .spp = 1, .rows_per_strip = 5, .compression = COMPRESSION_NONE,
                              .photometric = PHOTOMETRIC_MINISBLACK };
  check_tiff ("gray8-strips.tif", 37, 23, &gray8_strips, 1);
  LbTestTiff gray16_tiles = { .bits = 16, .spp = 1, .tile = 16, .compression = COMPRESSION_ADOBE_DEFLATE,
                              .photometric = PHOTOMETRIC_MINISBLACK };
  check_tiff ("gray16-tiles.tif", 40, 37, &gray16_tiles, 1);
  LbTestTiff signed16 = { .bits = 16, .spp = 1, .is_signed = TRUE, .rows_per_strip = 7,
                          .compression = COMPRESSION_LZW, .photometric = PHOTOMETRIC_MINISBLACK };
  check_tiff ("signed16.tif", 33, 20, &signed16, 1);
  LbTestTiff rgb8_planar = { .bits = 8, .spp = 3, .planar = TRUE, .rows_per_strip = 4,
                             .compression = COMPRESSION_PACKBITS, .photometric = PHOTOMETRIC_RGB };
  check_tiff ("rgb8-planar.tif", 21, 19, &rgb8_planar, 3);
  LbTestTiff rgb16_tiles = { .bits = 16, .spp = 3, .tile = 16, .compression = COMPRESSION_LZW,
                             .photometric = PHOTOMETRIC_RGB };
  check_tiff ("rgb16-tiles.tif", 35, 18, &rgb16_tiles, 3);
  LbTestTiff rgba8 = { .bits = 8, .spp = 4, .rows_per_strip = 3, .compression = COMPRESSION_NONE,
                       .photometric = PHOTOMETRIC_RGB };
  check_tiff ("rgba8.tif", 17, 9, &rgba8, 3);
  LbTestTiff ga16_planar_tiles = { .bits = 16, .spp = 2, .planar = TRUE, .tile = 16,
                                   .compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISBLACK };
  check_tiff ("ga16-planar-tiles.tif", 20, 33, &ga16_planar_tiles, 1);
}

static void
test_tiff_pages_and_photometric (void)
{
  guint w = 12, h = 10;
  g_autofree guint16 *p0 = lb_imaging_test_samples16 (20, w * h, 0, 4095);
  g_autofree guint16 *p1 = lb_imaging_test_samples16 (21, w * h, 0, 4095);
  g_autofree guint16 *p2 = lb_imaging_test_samples16 (22, w * h, 0, 4095);
  const void *pages[3] = { p0, p1, p2 };
  LbTestTiff layout = { .bits = 16, .spp = 1, .compression = COMPRESSION_NONE,
                        .photometric = PHOTOMETRIC_MINISWHITE };
  g_autofree char *path = lb_imaging_test_path ("pages.tif");
  lb_imaging_test_write_tiff (path, w, h, &layout, pages, 3);

  g_autoptr(LbImage) image = load_ok (path, 2);
  g_assert_cmpuint (image->metadata.n_frames, ==, 3);
  g_assert_cmpuint (image->metadata.frame, ==, 2);
  assert_samples16 (image, p2, w * h);
  /* MINISWHITE is kept as stored and shown inverted, like MONOCHROME1. */
  g_assert_cmpstr (image->metadata.photometric, ==, "MONOCHROME1");
  LbDisplayParams params;
  lb_display_params_init (&params, image);
  int min, max;
  lb_image_sample_range (image, &min, &max);
  g_assert_cmpuint (lb_display_map_value (image, &params, min), ==, 255);
  g_assert_cmpuint (lb_display_map_value (image, &params, max), ==, 0);

  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) none = lb_image_load (path, 3, &error);
  g_assert_null (none);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME);
}

static void
test_tiff_orientation (void)
{
  /* Orientation 3 (bottom-right origin): shown rotated by 180°. */
  guint w = 5, h = 3;
  guint8 s[15];
  for (guint i = 0; i < 15; i++)
    s[i] = (guint8) (i * 10);
  LbTestTiff layout = { .bits = 8, .spp = 1, .compression = COMPRESSION_NONE,
                        .photometric = PHOTOMETRIC_MINISBLACK, .orientation = ORIENTATION_BOTRIGHT };
  g_autofree char *path = lb_imaging_test_path ("orient.tif");
  const void *pages[1] = { s };
  lb_imaging_test_write_tiff (path, w, h, &layout, pages, 1);
  g_autoptr(LbImage) image = load_ok (path, 0);
  for (guint i = 0; i < 15; i++)
    g_assert_cmpuint (image->u8[i], ==, s[14 - i]);
}

static void
test_tiff_truncated_and_bomb (void)
{
  guint w = 30, h = 30;
  g_autofree guint16 *s = lb_imaging_test_samples16 (30, w * h, 0, 65535);
  LbTestTiff layout = { .bits = 16, .spp = 1, .rows_per_strip = 4, .compression = COMPRESSION_LZW,
                        .photometric = PHOTOMETRIC_MINISBLACK };
  g_autofree char *path = lb_imaging_test_path ("trunc.tif");
  const void *pages[1] = { s };
  lb_imaging_test_write_tiff (path, w, h, &layout, pages, 1);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  const guint8 *data = g_bytes_get_data (whole, NULL);
  /* libtiff writes the strips first and the directory last: every
   * truncation loses the directory or strip data. */
  for (gsize len = 4; len < size; len += 29)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load_bytes (part, "truncated.tif", 0, &error);
      if (image != NULL)
        g_error ("TIFF truncated to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes loaded", len, size);
      g_assert_true (error->domain == LB_IMAGE_ERROR);
      g_assert_true (strstr (error->message, "truncated.tif") != NULL);
    }

  /* A hand-made directory claiming 100000 × 100000 pixels. */
  guint8 tiff[8 + 2 + 12 * 4 + 4] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 4, 0 };
  const guint16 tags[4][2] = { { 256, 4 }, { 257, 4 }, { 258, 3 }, { 273, 4 } };
  const guint32 values[4] = { 100000, 100000, 8, 0 };
  for (guint i = 0; i < 4; i++)
    {
      guint8 *e = tiff + 10 + 12 * i;
      e[0] = tags[i][0] & 0xff; e[1] = tags[i][0] >> 8;
      e[2] = tags[i][1]; e[3] = 0;
      e[4] = 1;
      e[8] = values[i] & 0xff; e[9] = (values[i] >> 8) & 0xff; e[10] = (values[i] >> 16) & 0xff;
    }
  g_autoptr(GBytes) bomb = g_bytes_new (tiff, sizeof tiff);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load_bytes (bomb, "bomb.tif", 0, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/png/gray8", test_png_gray8);
  g_test_add_func ("/image/png/gray16", test_png_gray16);
  g_test_add_func ("/image/png/rgb8", test_png_rgb8);
  g_test_add_func ("/image/png/rgb16-interlaced", test_png_rgb16_interlaced);
  g_test_add_func ("/image/png/alpha-dropped", test_png_alpha_dropped);
  g_test_add_func ("/image/png/palette", test_png_palette);
  g_test_add_func ("/image/png/low-bit-depth", test_png_low_bit_depth);
  g_test_add_func ("/image/png/frame", test_png_frame);
  g_test_add_func ("/image/png/truncated", test_png_truncated);
  g_test_add_func ("/image/png/corrupt", test_png_corrupt);
  g_test_add_func ("/image/png/bomb", test_png_bomb);
  g_test_add_func ("/image/sniff", test_sniff);
  g_test_add_func ("/image/jpeg/gray-rgb", test_jpeg_gray_rgb);
  g_test_add_func ("/image/jpeg/exif-orientation", test_jpeg_exif_orientation);
  g_test_add_func ("/image/jpeg/truncated", test_jpeg_truncated);
  g_test_add_func ("/image/jpeg/corrupt-and-bomb", test_jpeg_corrupt_and_bomb);
  g_test_add_func ("/image/tiff/layouts", test_tiff_layouts);
  g_test_add_func ("/image/tiff/pages-and-photometric", test_tiff_pages_and_photometric);
  g_test_add_func ("/image/tiff/orientation", test_tiff_orientation);
  g_test_add_func ("/image/tiff/truncated-and-bomb", test_tiff_truncated_and_bomb);
  return g_test_run ();
}
