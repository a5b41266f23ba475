/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli image and bench-image: the model input written with --out
 * equals the library's for the same options; --info (text and JSON),
 * --pixels (PGM/PPM, signed offset), usage errors and file errors.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <png.h>
#include <string.h>

#include "imaging-test.h"
#include "imaging/model-input.h"
#include "lb-test.h"

static LbImage *
load_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  LbImage *image = lb_image_load (path, 0, &error);
  g_assert_no_error (error);
  return image;
}

static char *
radiograph_png (void)
{
  guint w = 120, h = 90;
  g_autofree guint16 *s = lb_imaging_test_samples16 (700, w * h, 0, 4095);
  for (guint x = 0; x < 10; x++)
    s[x] = 4095; /* a bright stripe at the top left */
  char *path = lb_imaging_test_path ("cli16.png");
  lb_imaging_test_write_png (path, w, h, 16, PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
  return path;
}

static void
check_out (const char *src, const char *window, gboolean invert, const char *crop, guint size)
{
  g_autofree char *out = lb_imaging_test_path ("cli-out.png");
  g_autofree char *size_text = g_strdup_printf ("%u", size);
  const char *args[16] = { "image", src, "--out", out, "--size", size_text };
  guint n = 6;
  if (window != NULL)
    {
      args[n++] = "--window";
      args[n++] = window;
    }
  if (invert)
    args[n++] = "--invert";
  if (crop != NULL)
    {
      args[n++] = "--crop";
      args[n++] = crop;
    }
  args[n] = NULL;
  g_autofree char *err = NULL;
  int status = lb_test_run_cli_argv (args, NULL, &err);
  if (status != 0)
    g_error ("lightbox-cli image failed (%d): %s", status, err);

  g_autoptr(LbImage) written = load_ok (out);
  g_assert_cmpuint (written->width, ==, size);
  g_assert_cmpuint (written->height, ==, size);
  g_assert_cmpuint (written->channels, ==, 3);
  g_assert_cmpuint (written->bits_stored, ==, 8);

  g_autoptr(LbImage) image = load_ok (src);
  LbModelInputParams params;
  lb_model_input_params_init (&params, image);
  if (window != NULL)
    sscanf (window, "%lf,%lf", &params.display.window_center, &params.display.window_width);
  params.display.invert = invert;
  if (crop != NULL)
    {
      params.has_crop = TRUE;
      sscanf (crop, "%u,%u,%u,%u", &params.crop_x, &params.crop_y, &params.crop_width, &params.crop_height);
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, size, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (written->u8, (gsize) size * size * 3, input->rgb, (gsize) size * size * 3);
}

static void
test_out (void)
{
  g_autofree char *src = radiograph_png ();
  check_out (src, NULL, FALSE, NULL, 64);
  check_out (src, "1000,800", FALSE, NULL, 50);
  check_out (src, "2048,4096", TRUE, "10,5,60,70", 33);

  /* The default size is 896. */
  g_autofree char *out = lb_imaging_test_path ("default.png");
  g_assert_cmpint (lb_test_run_cli (NULL, NULL, "image", src, "--out", out, NULL), ==, 0);
  g_autoptr(LbImage) written = load_ok (out);
  g_assert_cmpuint (written->width, ==, 896);
}

static char *
signed_dicom (void)
{
  gsize n = 6 * 4;
  g_autofree guint16 *s = lb_imaging_test_samples16 (701, n, -1000, 1000);
  s[0] = (guint16) (gint16) -1000;
  s[1] = 1000;
  char *path = lb_imaging_test_path ("cli.dcm");
  const char *options[] = { "--rows", "4", "--cols", "6", "--bits", "16", "--signed", "--modality", "CT",
                            "--window", "40,400,SOFT", "--slope", "1", "--intercept", "-1024", NULL };
  g_autofree char *message = NULL;
  if (!lb_imaging_test_make_dicom (path, s, n * 2, options, &message))
    g_error ("make-dicom failed: %s", message);
  return path;
}

static void
test_info (void)
{
  g_autofree char *dcm = signed_dicom ();
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (lb_test_run_cli (&out, &err, "image", dcm, "--info", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "DICOM"));
  g_assert_nonnull (strstr (out, "6 × 4"));
  g_assert_nonnull (strstr (out, "MONOCHROME2"));
  g_assert_nonnull (strstr (out, "SOFT"));
  g_assert_nonnull (strstr (out, "PatientName"));

  g_autofree char *json = NULL;
  g_assert_cmpint (lb_test_run_cli (&json, NULL, "image", dcm, "--info", "--json", NULL), ==, 0);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "DICOM");
  g_assert_cmpint (json_object_get_int_member (root, "width"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (root, "height"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (root, "bits_stored"), ==, 16);
  g_assert_true (json_object_get_boolean_member (root, "signed"));
  g_assert_cmpint (json_object_get_int_member (root, "min"), ==, -1000);
  g_assert_cmpint (json_object_get_int_member (root, "max"), ==, 1000);
  g_assert_cmpfloat (json_object_get_double_member (root, "rescale_intercept"), ==, -1024);
  JsonArray *windows = json_object_get_array_member (root, "windows");
  g_assert_cmpuint (json_array_get_length (windows), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (windows, 0), "explanation"), ==,
                   "SOFT");
  JsonArray *tags = json_object_get_array_member (root, "tags");
  gboolean found = FALSE;
  for (guint i = 0; i < json_array_get_length (tags); i++)
    {
      JsonObject *t = json_array_get_object_element (tags, i);
      if (g_strcmp0 (json_object_get_string_member (t, "name"), "PatientID") == 0)
        {
          found = TRUE;
          g_assert_cmpstr (json_object_get_string_member (t, "tag"), ==, "0010,0020");
          g_assert_cmpstr (json_object_get_string_member (t, "value"), ==, "LB-0001");
          g_assert_true (json_object_get_boolean_member (t, "identifying"));
        }
    }
  g_assert_true (found);
}

static GBytes *
run_pixels (const char *src, const char *name)
{
  g_autofree char *out = lb_imaging_test_path (name);
  g_autofree char *err = NULL;
  int status = lb_test_run_cli (NULL, &err, "image", src, "--pixels", out, NULL);
  if (status != 0)
    g_error ("--pixels failed: %s", err);
  return lb_imaging_test_read (out);
}

static void
test_pixels (void)
{
  /* Signed DICOM: 16-bit PGM, values + 32768, said so in a comment. */
  g_autofree char *dcm = signed_dicom ();
  g_autoptr(LbImage) image = load_ok (dcm);
  g_autoptr(GBytes) pgm = run_pixels (dcm, "signed.pgm");
  const char *header = "P5\n# offset 32768\n6 4\n65535\n";
  gsize hl = strlen (header);
  const guint8 *data = g_bytes_get_data (pgm, NULL);
  g_assert_cmpuint (g_bytes_get_size (pgm), ==, hl + 6 * 4 * 2);
  g_assert_cmpmem (data, hl, header, hl);
  for (guint i = 0; i < 24; i++)
    g_assert_cmpint ((data[hl + 2 * i] << 8 | data[hl + 2 * i + 1]) - 32768, ==, image->s16[i]);

  /* Unsigned 8-bit RGB PNG: PPM, values as stored, no offset. */
  guint8 rgb[2 * 3 * 3];
  for (guint i = 0; i < sizeof rgb; i++)
    rgb[i] = (guint8) (i * 13);
  g_autofree char *png = lb_imaging_test_path ("rgb-pixels.png");
  lb_imaging_test_write_png (png, 3, 2, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, FALSE);
  g_autoptr(GBytes) ppm = run_pixels (png, "rgb.ppm");
  const char *header2 = "P6\n3 2\n65535\n";
  gsize hl2 = strlen (header2);
  const guint8 *d2 = g_bytes_get_data (ppm, NULL);
  g_assert_cmpuint (g_bytes_get_size (ppm), ==, hl2 + sizeof rgb * 2);
  g_assert_cmpmem (d2, hl2, header2, hl2);
  for (guint i = 0; i < sizeof rgb; i++)
    g_assert_cmpuint (d2[hl2 + 2 * i] << 8 | d2[hl2 + 2 * i + 1], ==, rgb[i]);
}

static void
test_errors (void)
{
  g_autofree char *src = radiograph_png ();
  g_autofree char *out = lb_imaging_test_path ("never.png");
  g_autofree char *err = NULL;
  g_assert_cmpint (lb_test_run_cli (NULL, &err, "image", "/nonexistent.dcm", "--info", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.dcm"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (NULL, NULL, "image", src, NULL), ==, 2);
  g_assert_cmpint (lb_test_run_cli (NULL, NULL, "image", src, "--out", out, "--window", "40", NULL), ==, 2);
  g_assert_cmpint (lb_test_run_cli (NULL, NULL, "image", src, "--out", out, "--crop", "1,2,3", NULL), ==, 2);
  g_assert_cmpint (lb_test_run_cli (NULL, NULL, "image", src, "--json", NULL), ==, 2);
  g_assert_cmpint (lb_test_run_cli (NULL, &err, "image", src, "--out", out, "--crop", "100,80,50,50", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "crop"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (NULL, &err, "image", src, "--frame", "2", "--info", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "frame"));
}

static void
test_bench (void)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = lb_test_run_cli (&out, &err, "bench-image", "--size", "300", "--iterations", "1", "--json", NULL);
  if (status != 0)
    g_error ("bench-image failed: %s", err);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "width"), ==, 300);
  g_assert_cmpfloat (json_object_get_double_member (root, "decode_ms"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (root, "window_ms"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (root, "model_input_ms"), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/image/out", test_out);
  g_test_add_func ("/cli/image/info", test_info);
  g_test_add_func ("/cli/image/pixels", test_pixels);
  g_test_add_func ("/cli/image/errors", test_errors);
  g_test_add_func ("/cli/bench-image", test_bench);
  return g_test_run ();
}
