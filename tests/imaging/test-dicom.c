/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DICOM loading: files written by DCMTK (the make-dicom helper) in every
 * transfer syntax it can encode, signed and unsigned, MONOCHROME1 and 2,
 * RGB (by pixel and by plane), multi-frame; the samples must come back as
 * written (lossy syntaxes within a few levels), with the metadata; JPEG
 * 2000, truncated files and absurd sizes are refused clearly.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include "imaging-test.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "lb-test.h"

static const char *lossless_syntaxes[] = {
  "le-implicit", "le-explicit", "be-explicit", "rle", "jpeg-lossless", "jpegls-lossless",
};

static char *
make (const char *name, const void *samples, gsize n_bytes, ...)
{
  /* Collect the options into an argv for the helper. */
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  va_start (ap, n_bytes);
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  char *path = lb_imaging_test_path (name);
  g_autofree char *message = NULL;
  gboolean ok = lb_imaging_test_make_dicom (path, samples, n_bytes, (const char *const *) args->pdata, &message);
  if (!ok)
    g_error ("make-dicom %s failed: %s", name, message);
  return path;
}

static LbImage *
load_ok (const char *path, guint frame)
{
  g_autoptr(GError) error = NULL;
  LbImage *image = lb_image_load (path, frame, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (image->metadata.format, ==, LB_IMAGE_FORMAT_DICOM);
  return image;
}

static void
assert_frame (const LbImage *image, const guint16 *expected, gboolean is_signed, int tolerance)
{
  gsize n = lb_image_n_samples (image);
  int worst = 0;
  for (gsize i = 0; i < n; i++)
    {
      int want = is_signed ? (gint16) expected[i] : expected[i];
      int got = is_signed ? image->s16[i] : image->u16[i];
      worst = MAX (worst, ABS (got - want));
      if (worst > tolerance)
        g_error ("sample %" G_GSIZE_FORMAT ": %d, expected %d", i, got, want);
    }
}

static void
test_unsigned16_multiframe (void)
{
  guint w = 23, h = 17, frames = 3;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = lb_imaging_test_samples16 (100, n * frames, 0, 4095);
  for (guint i = 0; i < G_N_ELEMENTS (lossless_syntaxes); i++)
    {
      const char *xfer = lossless_syntaxes[i];
      g_autofree char *name = g_strdup_printf ("u16-%s.dcm", xfer);
      g_autofree char *path = make (name, s, n * frames * 2, "--rows", "17", "--cols", "23", "--frames", "3",
                                    "--bits", "16", "--stored", "12", "--xfer", xfer, "--modality", "DX",
                                    "--window", "2000,3000,NORMAL", "--window", "1000,500,BONE", NULL);
      for (guint f = 0; f < frames; f++)
        {
          g_autoptr(LbImage) image = load_ok (path, f);
          g_assert_cmpuint (image->width, ==, w);
          g_assert_cmpuint (image->height, ==, h);
          g_assert_cmpuint (image->channels, ==, 1);
          g_assert_cmpuint (image->bits_stored, ==, 16);
          g_assert_false (image->is_signed);
          assert_frame (image, s + f * n, FALSE, 0);
          const LbImageMetadata *m = &image->metadata;
          g_assert_cmpuint (m->n_frames, ==, frames);
          g_assert_cmpuint (m->frame, ==, f);
          g_assert_cmpuint (m->bits_used, ==, 12);
          g_assert_cmpstr (m->modality, ==, "DX");
          g_assert_cmpstr (m->photometric, ==, "MONOCHROME2");
          g_assert_nonnull (m->transfer_syntax);
          g_assert_cmpuint (m->windows->len, ==, 2);
          LbImageWindow *w1 = &g_array_index (m->windows, LbImageWindow, 1);
          g_assert_cmpfloat (w1->center, ==, 1000);
          g_assert_cmpfloat (w1->width, ==, 500);
          g_assert_cmpstr (w1->explanation, ==, "BONE");
          g_assert_true (m->has_pixel_spacing);
          g_assert_cmpfloat (m->pixel_spacing[0], ==, 0.5);
          g_assert_cmpfloat (m->pixel_spacing[1], ==, 0.25);
          g_assert_cmpstr (m->patient_orientation, ==, "L\\F");
          const LbImageTag *name_tag = lb_image_metadata_find_tag (m, "PatientName");
          g_assert_nonnull (name_tag);
          g_assert_cmpstr (name_tag->value, ==, "Doe^Jane");
          g_assert_cmpuint (name_tag->tag, ==, 0x00100010);
          g_assert_true (name_tag->identifying);
          g_assert_true (lb_image_metadata_find_tag (m, "PatientID")->identifying);
          g_assert_true (lb_image_metadata_find_tag (m, "PatientBirthDate")->identifying);
          g_assert_false (lb_image_metadata_find_tag (m, "Modality")->identifying);
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) none = lb_image_load (path, frames, &error);
      g_assert_null (none);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME);
    }
}

static void
test_signed16 (void)
{
  guint w = 19, h = 14;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = lb_imaging_test_samples16 (101, n, -2000, 3000);
  for (guint i = 0; i < G_N_ELEMENTS (lossless_syntaxes); i++)
    {
      const char *xfer = lossless_syntaxes[i];
      g_autofree char *name = g_strdup_printf ("s16-%s.dcm", xfer);
      g_autofree char *path = make (name, s, n * 2, "--rows", "14", "--cols", "19", "--bits", "16", "--signed",
                                    "--xfer", xfer, "--modality", "CT", "--slope", "1", "--intercept", "-1024",
                                    "--rescale-type", "HU", NULL);
      g_autoptr(LbImage) image = load_ok (path, 0);
      g_assert_true (image->is_signed);
      assert_frame (image, s, TRUE, 0);
      const LbImageMetadata *m = &image->metadata;
      g_assert_cmpfloat (m->rescale_slope, ==, 1);
      g_assert_cmpfloat (m->rescale_intercept, ==, -1024);
      g_assert_cmpstr (m->rescale_type, ==, "HU");
      g_assert_cmpfloat (lb_image_modality_value (image, image->s16[0]), ==, (gint16) s[0] - 1024);
      /* CT without a window in the file: the soft-tissue default. */
      LbDisplayParams params;
      lb_display_params_init (&params, image);
      g_assert_cmpfloat (params.window_center, ==, 40);
      g_assert_cmpfloat (params.window_width, ==, 400);
    }
}

static void
test_signed12_masked (void)
{
  /* 12 bits stored in 16, signed, upper bits sign-extended in the file;
   * and unsigned 12-bit with junk in the upper 4 bits (an overlay). */
  guint w = 8, h = 5;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = lb_imaging_test_samples16 (102, n, -2048, 2047);
  const char *xfers[] = { "le-explicit", "be-explicit", "rle" };
  for (guint i = 0; i < G_N_ELEMENTS (xfers); i++)
    {
      g_autofree char *name = g_strdup_printf ("s12-%s.dcm", xfers[i]);
      g_autofree char *path = make (name, s, n * 2, "--rows", "5", "--cols", "8", "--bits", "16", "--stored",
                                    "12", "--signed", "--xfer", xfers[i], NULL);
      g_autoptr(LbImage) image = load_ok (path, 0);
      assert_frame (image, s, TRUE, 0);
    }
  g_autofree guint16 *u = lb_imaging_test_samples16 (103, n, 0, 4095);
  g_autofree guint16 *junk = g_new (guint16, n);
  for (gsize i = 0; i < n; i++)
    junk[i] = u[i] | (guint16) ((i % 16) << 12);
  g_autofree char *path = make ("u12-junk.dcm", junk, n * 2, "--rows", "5", "--cols", "8", "--bits", "16",
                                "--stored", "12", NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  assert_frame (image, u, FALSE, 0);
}

static guint8 *
smooth8 (guint w, guint h, guint channels)
{
  guint8 *s = g_new (guint8, (gsize) w * h * channels);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      for (guint c = 0; c < channels; c++)
        s[((gsize) y * w + x) * channels + c] = (guint8) (30 + (x * 160) / w + (y * 40) / h + 15 * c);
  return s;
}

static void
test_unsigned8_all_syntaxes (void)
{
  guint w = 32, h = 24;
  gsize n = (gsize) w * h;
  g_autofree guint8 *s = smooth8 (w, h, 1);
  const char *xfers[] = { "le-implicit", "le-explicit", "be-explicit", "rle", "jpeg-lossless",
                          "jpegls-lossless", "jpeg-baseline", "jpegls-near" };
  const int tolerance[] = { 0, 0, 0, 0, 0, 0, 3, 2 };
  for (guint i = 0; i < G_N_ELEMENTS (xfers); i++)
    {
      g_autofree char *name = g_strdup_printf ("u8-%s.dcm", xfers[i]);
      g_autofree char *path = make (name, s, n, "--rows", "24", "--cols", "32", "--bits", "8", "--xfer", xfers[i],
                                    NULL);
      g_autoptr(LbImage) image = load_ok (path, 0);
      g_assert_cmpuint (image->bits_stored, ==, 8);
      g_assert_cmpuint (image->channels, ==, 1);
      int worst = 0;
      for (gsize k = 0; k < n; k++)
        worst = MAX (worst, ABS ((int) image->u8[k] - (int) s[k]));
      if (worst > tolerance[i])
        g_error ("%s: largest difference %d", xfers[i], worst);
      /* 8-bit without a window: shown as stored. */
      LbDisplayParams params;
      lb_display_params_init (&params, image);
      g_assert_cmpuint (lb_display_map_value (image, &params, 77), ==, 77);
    }
}

static void
test_extended12 (void)
{
  guint w = 32, h = 32;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = g_new (guint16, n);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      s[y * w + x] = (guint16) (500 + x * 80 + y * 20);
  g_autofree char *path = make ("u12-extended.dcm", s, n * 2, "--rows", "32", "--cols", "32", "--bits", "16",
                                "--stored", "12", "--xfer", "jpeg-extended", NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  /* Lossy at quality 95 on a smooth ramp: within 1% of the 12-bit range. */
  assert_frame (image, s, FALSE, 40);
}

static void
test_monochrome1 (void)
{
  guint w = 6, h = 4;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = lb_imaging_test_samples16 (104, n, 0, 1023);
  s[0] = 0;
  s[1] = 1023;
  g_autofree char *path = make ("mono1.dcm", s, n * 2, "--rows", "4", "--cols", "6", "--bits", "16", "--stored",
                                "10", "--photometric", "MONOCHROME1", "--window", "512,1024", NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  assert_frame (image, s, FALSE, 0);
  g_assert_cmpstr (image->metadata.photometric, ==, "MONOCHROME1");
  LbDisplayParams params;
  lb_display_params_init (&params, image);
  /* The smallest value is white, the largest black; the user's invert undoes it. */
  g_assert_cmpuint (lb_display_map_value (image, &params, 0), ==, 255);
  g_assert_cmpuint (lb_display_map_value (image, &params, 1023), ==, 0);
  params.invert = TRUE;
  g_assert_cmpuint (lb_display_map_value (image, &params, 0), ==, 0);
  g_autoptr(LbDisplayImage) shown = lb_display_render (image, &params, FALSE);
  g_assert_cmpuint (shown->data[1], ==, 255);
}

static void
test_rgb (void)
{
  guint w = 20, h = 12;
  gsize n = (gsize) w * h;
  g_autofree guint8 *noise = lb_imaging_test_samples8 (105, n * 3);
  g_autofree guint8 *smooth = smooth8 (w, h, 3);
  struct { const char *xfer; const char *planar; gboolean lossy; } cases[] = {
    { "le-explicit", "0", FALSE }, { "le-explicit", "1", FALSE }, { "le-implicit", "1", FALSE },
    { "be-explicit", "0", FALSE }, { "rle", "0", FALSE }, { "rle", "1", FALSE },
    { "jpeg-lossless", "0", FALSE }, { "jpegls-lossless", "0", FALSE }, { "jpegls-lossless", "1", FALSE },
    { "jpeg-baseline", "0", TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const guint8 *s = cases[i].lossy ? smooth : noise;
      g_autofree char *name = g_strdup_printf ("rgb-%s-%s.dcm", cases[i].xfer, cases[i].planar);
      g_autofree char *path = make (name, s, n * 3, "--rows", "12", "--cols", "20", "--bits", "8", "--spp", "3",
                                    "--planar", cases[i].planar, "--xfer", cases[i].xfer, NULL);
      g_autoptr(LbImage) image = load_ok (path, 0);
      g_assert_cmpuint (image->channels, ==, 3);
      g_assert_cmpstr (image->metadata.photometric, ==, "RGB");
      int worst = 0;
      for (gsize k = 0; k < n * 3; k++)
        worst = MAX (worst, ABS ((int) image->u8[k] - (int) s[k]));
      /* Baseline is YCbCr 4:2:2 at quality 95: a few levels on a smooth image. */
      if (worst > (cases[i].lossy ? 8 : 0))
        g_error ("%s planar %s: largest difference %d", cases[i].xfer, cases[i].planar, worst);
    }
  /* 16-bit RGB, by plane, RLE. */
  g_autofree guint16 *s16 = lb_imaging_test_samples16 (106, n * 3, 0, 65535);
  g_autofree char *path = make ("rgb16-rle.dcm", s16, n * 6, "--rows", "12", "--cols", "20", "--bits", "16",
                                "--spp", "3", "--planar", "1", "--xfer", "rle", NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  assert_frame (image, s16, FALSE, 0);
}

static void
test_ybr_full (void)
{
  /* Uncompressed YBR_FULL (PS3.3 C.7.6.3.1.2) comes back as RGB. */
  guint w = 16, h = 8;
  gsize n = (gsize) w * h;
  g_autofree guint8 *rgb = smooth8 (w, h, 3);
  g_autofree guint8 *ybr = g_new (guint8, n * 3);
  for (gsize i = 0; i < n; i++)
    {
      double r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
      double v[3] = { 0.299 * r + 0.587 * g + 0.114 * b, -0.1687 * r - 0.3313 * g + 0.5 * b + 128,
                      0.5 * r - 0.4187 * g - 0.0813 * b + 128 };
      for (guint c = 0; c < 3; c++)
        ybr[3 * i + c] = (guint8) CLAMP (v[c] + 0.5, 0, 255);
    }
  g_autofree char *path = make ("ybr.dcm", ybr, n * 3, "--rows", "8", "--cols", "16", "--bits", "8", "--spp", "3",
                                "--photometric", "YBR_FULL", NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_cmpstr (image->metadata.photometric, ==, "RGB");
  for (gsize k = 0; k < n * 3; k++)
    g_assert_cmpint (ABS ((int) image->u8[k] - (int) rgb[k]), <=, 2);
}

static void
test_jpeg2000_refused (void)
{
  guint8 s[16] = { 0 };
  g_autofree char *path = make ("j2k.dcm", s, 16, "--rows", "4", "--cols", "4", "--bits", "8", "--xfer", "j2k",
                                NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED);
  g_assert_true (strstr (error->message, "JPEG 2000") != NULL);
}

static void
test_modality_lut_and_enhanced (void)
{
  guint w = 4, h = 4;
  guint8 s[16];
  for (guint i = 0; i < 16; i++)
    s[i] = (guint8) (i * 16);
  /* A LUT over stored values 0..255: v → 1000 + 3v. */
  g_autoptr(GString) lut = g_string_new ("0,16");
  for (guint v = 0; v < 256; v++)
    g_string_append_printf (lut, ",%u", 1000 + 3 * v);
  g_autofree char *path = make ("mlut.dcm", s, 16, "--rows", "4", "--cols", "4", "--bits", "8",
                                "--modality-lut", lut->str, NULL);
  g_autoptr(LbImage) image = load_ok (path, 0);
  g_assert_nonnull (image->metadata.modality_lut);
  g_assert_cmpuint (image->metadata.n_modality_lut, ==, 256);
  for (guint v = 0; v < 256; v += 15)
    g_assert_cmpfloat (lb_image_modality_value (image, (int) v), ==, 1000 + 3 * v);
  (void) w;
  (void) h;

  /* Enhanced multi-frame: rescale and window in the shared functional groups. */
  g_autofree guint16 *s16 = lb_imaging_test_samples16 (107, 32, 0, 4000);
  g_autofree char *path2 = make ("enhanced.dcm", s16, 64, "--rows", "4", "--cols", "4", "--frames", "2",
                                 "--bits", "16", "--enhanced", "--slope", "2", "--intercept", "-100",
                                 "--window", "300,600,WIDE", NULL);
  g_autoptr(LbImage) e = load_ok (path2, 1);
  assert_frame (e, s16 + 16, FALSE, 0);
  g_assert_cmpfloat (e->metadata.rescale_slope, ==, 2);
  g_assert_cmpfloat (e->metadata.rescale_intercept, ==, -100);
  g_assert_cmpuint (e->metadata.windows->len, ==, 1);
  g_assert_cmpstr (g_array_index (e->metadata.windows, LbImageWindow, 0).explanation, ==, "WIDE");
}

static void
test_bomb (void)
{
  guint8 s[16] = { 0 };
  const char *claims[] = { "65535,65535", "30000,30000" };
  for (guint i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      g_autofree char *name = g_strdup_printf ("bomb-%u.dcm", i);
      g_autofree char *path = make (name, s, 16, "--rows", "4", "--cols", "4", "--bits", "8", "--claim",
                                    claims[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
      g_assert_null (image);
      g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE);
    }
  /* A plausible claim with too few bytes behind it: corrupt, named. */
  g_autofree char *path = make ("short.dcm", s, 16, "--rows", "4", "--cols", "4", "--bits", "8", "--claim",
                                "100,100", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT);
  g_assert_true (strstr (error->message, "short.dcm") != NULL);
}

static void
test_huge_length_field (void)
{
  /* Implicit VR: PatientName's 4-byte length claims almost 4 GiB. The
   * reader must fail on it without allocating that much. */
  guint8 s[16] = { 0 };
  g_autofree char *path = make ("huge-length.dcm", s, 16, "--rows", "4", "--cols", "4", "--bits", "8", "--xfer",
                                "le-implicit", NULL);
  g_autoptr(GBytes) whole = lb_imaging_test_read (path);
  gsize size = g_bytes_get_size (whole);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (whole, NULL), size);
  guint8 *value = memmem (copy, size, "Doe^Jane", 8);
  g_assert_nonnull (value);
  g_assert_cmpuint (value[-4], ==, 8);
  value[-4] = 0x00;
  value[-3] = 0xff;
  value[-2] = 0xff;
  value[-1] = 0xf0;
  struct rusage before, after;
  getrusage (RUSAGE_SELF, &before);
  g_autoptr(GBytes) bytes = g_bytes_new_static (copy, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "huge-length.dcm", 0, &error);
  getrusage (RUSAGE_SELF, &after);
  g_assert_null (image);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT);
  /* ru_maxrss is in kilobytes: far below the 4 GiB claimed. */
  g_assert_cmpint (after.ru_maxrss - before.ru_maxrss, <, 256 * 1024);
}

static void
test_truncated (void)
{
  guint w = 16, h = 16;
  gsize n = (gsize) w * h;
  g_autofree guint16 *s = lb_imaging_test_samples16 (108, n, 0, 65535);
  const char *xfers[] = { "le-explicit", "le-implicit", "rle", "jpegls-lossless", "jpeg-lossless" };
  for (guint i = 0; i < G_N_ELEMENTS (xfers); i++)
    {
      g_autofree char *name = g_strdup_printf ("trunc-%s.dcm", xfers[i]);
      g_autofree char *path = make (name, s, n * 2, "--rows", "16", "--cols", "16", "--bits", "16", "--xfer",
                                    xfers[i], NULL);
      g_autoptr(GBytes) whole = lb_imaging_test_read (path);
      gsize size = g_bytes_get_size (whole);
      const guint8 *data = g_bytes_get_data (whole, NULL);
      /* From past the preamble to just short of the end. */
      for (gsize len = 132; len < size; len += 37)
        {
          g_autoptr(GBytes) part = g_bytes_new (data, len);
          g_autoptr(GError) error = NULL;
          g_autoptr(LbImage) image = lb_image_load_bytes (part, "truncated.dcm", 0, &error);
          if (image != NULL)
            g_error ("%s truncated to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes loaded", xfers[i], len, size);
          g_assert_true (error->domain == LB_IMAGE_ERROR);
          g_assert_true (strstr (error->message, "truncated.dcm") != NULL);
        }
      /* Random damage: never a crash. */
      g_autofree guint8 *copy = g_memdup2 (data, size);
      GRand *rand = g_rand_new_with_seed (109 + i);
      for (guint trial = 0; trial < 40; trial++)
        {
          gsize at = g_rand_int_range (rand, 128, (gint32) size);
          guint8 saved = copy[at];
          copy[at] = (guint8) g_rand_int_range (rand, 0, 256);
          g_autoptr(GBytes) bytes = g_bytes_new_static (copy, size);
          g_autoptr(GError) error = NULL;
          g_autoptr(LbImage) image = lb_image_load_bytes (bytes, "damaged.dcm", 0, &error);
          g_assert_true ((image == NULL) == (error != NULL));
          copy[at] = saved;
        }
      g_rand_free (rand);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dicom/unsigned16-multiframe", test_unsigned16_multiframe);
  g_test_add_func ("/dicom/signed16", test_signed16);
  g_test_add_func ("/dicom/signed12-masked", test_signed12_masked);
  g_test_add_func ("/dicom/unsigned8-all-syntaxes", test_unsigned8_all_syntaxes);
  g_test_add_func ("/dicom/jpeg-extended-12bit", test_extended12);
  g_test_add_func ("/dicom/monochrome1", test_monochrome1);
  g_test_add_func ("/dicom/rgb", test_rgb);
  g_test_add_func ("/dicom/ybr-full", test_ybr_full);
  g_test_add_func ("/dicom/jpeg2000-refused", test_jpeg2000_refused);
  g_test_add_func ("/dicom/modality-lut-and-enhanced", test_modality_lut_and_enhanced);
  g_test_add_func ("/dicom/bomb", test_bomb);
  g_test_add_func ("/dicom/huge-length-field", test_huge_length_field);
  g_test_add_func ("/dicom/truncated", test_truncated);
  return g_test_run ();
}
