/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model-input transform against PIL: the resize must equal
 * Image.resize(…, Image.BILINEAR) within one level (up- and down-scaling,
 * odd and non-square sizes), the whole crop → pad → resize pipeline must
 * equal PIL doing the same, an input already at the model's size must come
 * out bit-identical, and model coordinates must map back to image pixels.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <png.h>
#include <string.h>

#include "imaging-test.h"
#include "imaging/model-input.h"
#include "lb-test.h"

static gboolean
skip_without_pil (void)
{
  g_autofree char *reason = NULL;
  if (lb_imaging_test_have_pil (&reason))
    return FALSE;
  g_test_skip (reason);
  return TRUE;
}

static void
assert_within_one (const guint8 *got, const guint8 *expected, gsize n, const char *what)
{
  int worst = 0;
  gsize where = 0, differing = 0;
  for (gsize i = 0; i < n; i++)
    {
      int d = ABS ((int) got[i] - (int) expected[i]);
      if (d > 0)
        differing++;
      if (d > worst)
        {
          worst = d;
          where = i;
        }
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " samples differ from PIL, at most by %d",
                  what, differing, n, worst);
  if (worst > 1)
    g_error ("%s: sample %" G_GSIZE_FORMAT " is %u, PIL says %u", what, where, got[where], expected[where]);
}

static void
test_resize_matches_pil (void)
{
  if (skip_without_pil ())
    return;
  /* w, h, channels, out w, out h: down, up, odd, non-square, extreme ratios. */
  const guint cases[][5] = {
    { 100, 80, 3, 37, 53 }, { 17, 23, 1, 896, 896 }, { 1000, 700, 1, 224, 224 }, { 5, 7, 3, 11, 3 },
    { 640, 480, 3, 224, 168 }, { 13, 13, 1, 13, 40 }, { 301, 1, 1, 7, 1 }, { 2, 2, 3, 3, 3 },
    { 999, 333, 3, 896, 299 }, { 64, 64, 1, 63, 65 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint w = cases[i][0], h = cases[i][1], ch = cases[i][2], ow = cases[i][3], oh = cases[i][4];
      /* Noise and edges are the hard cases for rounding. */
      g_autofree guint8 *src = lb_imaging_test_samples8 (200 + i, (gsize) w * h * ch);
      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w / 3 && x < w; x++)
          for (guint c = 0; c < ch; c++)
            src[((gsize) y * w + x) * ch + c] = (y / 4) % 2 ? 255 : 0;
      g_autofree char *in = lb_imaging_test_path ("resize-in.raw");
      g_autofree char *out = lb_imaging_test_path ("resize-out.raw");
      lb_imaging_test_write (in, src, (gsize) w * h * ch);
      char a[5][16];
      for (guint k = 0; k < 5; k++)
        g_snprintf (a[k], sizeof a[k], "%u", cases[i][k]);
      lb_imaging_test_run_python ("pil-resize.py", "resize", in, a[0], a[1], a[2], a[3], a[4], out, NULL);
      g_autoptr(GBytes) expected = lb_imaging_test_read (out);
      g_assert_cmpuint (g_bytes_get_size (expected), ==, (gsize) ow * oh * ch);

      g_autofree guint8 *got = g_new (guint8, (gsize) ow * oh * ch);
      lb_resize_bilinear_u8 (src, w, h, ch, got, ow, oh);
      g_autofree char *what = g_strdup_printf ("%u×%u×%u → %u×%u", w, h, ch, ow, oh);
      assert_within_one (got, g_bytes_get_data (expected, NULL), (gsize) ow * oh * ch, what);
    }
}

static LbImage *
load_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  LbImage *image = lb_image_load (path, 0, &error);
  g_assert_no_error (error);
  return image;
}

static void
test_pipeline_matches_pil (void)
{
  if (skip_without_pil ())
    return;
  /* The displayed 8-bit picture (display.c, tested on its own) goes
   * through crop, pad and resize here and through PIL there. */
  struct { guint w, h, channels, size; gboolean crop; guint cx, cy, cw, ch; } cases[] = {
    { 300, 200, 1, 224, FALSE }, { 151, 380, 3, 112, FALSE }, { 640, 480, 3, 896, FALSE },
    { 300, 200, 3, 224, TRUE, 30, 20, 101, 150 }, { 90, 90, 1, 896, TRUE, 10, 0, 80, 33 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint w = cases[i].w, h = cases[i].h, ch = cases[i].channels;
      g_autofree guint16 *s = lb_imaging_test_samples16 (300 + i, (gsize) w * h * ch, 0, 4095);
      /* Smooth structure plus noise, 12 bits in 16. */
      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++)
          for (guint c = 0; c < ch; c++)
            {
              gsize k = ((gsize) y * w + x) * ch + c;
              s[k] = (guint16) ((s[k] % 300) + 1500 + 1200 * sin (x * 0.05) * cos (y * 0.03));
            }
      g_autofree char *src = lb_imaging_test_path ("pipeline.png");
      lb_imaging_test_write_png (src, w, h, 16, ch == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, s, NULL, 0, FALSE);
      g_autoptr(LbImage) image = load_ok (src);

      LbModelInputParams params;
      lb_model_input_params_init (&params, image);
      params.display.window_center = 1600;
      params.display.window_width = 2000;
      if (cases[i].crop)
        {
          params.has_crop = TRUE;
          params.crop_x = cases[i].cx;
          params.crop_y = cases[i].cy;
          params.crop_width = cases[i].cw;
          params.crop_height = cases[i].ch;
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, cases[i].size, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (input->size, ==, cases[i].size);

      g_autoptr(LbDisplayImage) shown = lb_display_render (image, &params.display, TRUE);
      g_autoptr(LbImage) shown_image = lb_image_new (shown->width, shown->height, 3, 8, FALSE, &error);
      memcpy (shown_image->u8, shown->data, shown->stride * shown->height);
      g_autofree char *shown_path = lb_imaging_test_path ("shown.png");
      g_assert_true (lb_image_save_png (shown_image, shown_path, &error));

      g_autofree char *out = lb_imaging_test_path ("model.raw");
      char size[16], cx[16], cy[16], cw[16], chh[16];
      g_snprintf (size, sizeof size, "%u", cases[i].size);
      g_snprintf (cx, sizeof cx, "%u", cases[i].cx);
      g_snprintf (cy, sizeof cy, "%u", cases[i].cy);
      g_snprintf (cw, sizeof cw, "%u", cases[i].cw);
      g_snprintf (chh, sizeof chh, "%u", cases[i].ch);
      if (cases[i].crop)
        lb_imaging_test_run_python ("pil-resize.py", "model", shown_path, size, out, cx, cy, cw, chh, NULL);
      else
        lb_imaging_test_run_python ("pil-resize.py", "model", shown_path, size, out, NULL);
      g_autoptr(GBytes) expected = lb_imaging_test_read (out);
      gsize n = (gsize) cases[i].size * cases[i].size * 3;
      g_assert_cmpuint (g_bytes_get_size (expected), ==, n);
      g_autofree char *what = g_strdup_printf ("model input of %u×%u×%u at %u%s", w, h, ch, cases[i].size,
                                               cases[i].crop ? " (cropped)" : "");
      assert_within_one (input->rgb, g_bytes_get_data (expected, NULL), n, what);
    }
}

static void
test_identity_at_model_size (void)
{
  /* The reference images are 8-bit RGB at their models' input sizes. */
  const char *names[][2] = { { "images/shapes-224.png", "224" }, { "images/gradient-112.png", "112" },
                             { "images/shapes-112.png", "112" } };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = lb_test_reference_path (names[i][0]);
      g_autoptr(LbImage) image = load_ok (path);
      guint size = (guint) atoi (names[i][1]);
      g_assert_cmpuint (image->width, ==, size);
      g_assert_cmpuint (image->height, ==, size);
      LbModelInputParams params;
      lb_model_input_params_init (&params, image);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, size, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (image->channels, ==, 3);
      g_assert_cmpmem (input->rgb, (gsize) size * size * 3, image->u8, (gsize) size * size * 3);
    }
  /* Gray at the model's size: replicated into the three channels, unchanged. */
  guint s = 56;
  g_autofree guint8 *gray = lb_imaging_test_samples8 (400, s * s);
  g_autofree char *path = lb_imaging_test_path ("gray56.png");
  lb_imaging_test_write_png (path, s, s, 8, PNG_COLOR_TYPE_GRAY, gray, NULL, 0, FALSE);
  g_autoptr(LbImage) image = load_ok (path);
  LbModelInputParams params;
  lb_model_input_params_init (&params, image);
  g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, s, NULL);
  for (gsize i = 0; i < (gsize) s * s; i++)
    for (guint c = 0; c < 3; c++)
      g_assert_cmpuint (input->rgb[3 * i + c], ==, gray[i]);
}

static void
test_geometry (void)
{
  /* 300×200 with a bright 6×6 block at (240, 30); everything else dark. */
  guint w = 300, h = 200;
  g_autoptr(LbImage) image = lb_image_new (w, h, 1, 8, FALSE, NULL);
  for (guint y = 30; y < 36; y++)
    for (guint x = 240; x < 246; x++)
      image->u8[y * w + x] = 255;
  LbModelInputParams params;
  lb_model_input_params_init (&params, image);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, 150, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (input->side, ==, 300);
  g_assert_cmpuint (input->pad_x, ==, 0);
  g_assert_cmpuint (input->pad_y, ==, 50);
  g_assert_cmpfloat (input->scale, ==, 0.5);

  /* The brightest model pixel maps back onto the block. */
  gsize best = 0;
  for (gsize i = 0; i < (gsize) 150 * 150; i++)
    if (input->rgb[3 * i] > input->rgb[3 * best])
      best = i;
  double ix, iy;
  lb_model_input_to_image (input, best % 150 + 0.5, best / 150 + 0.5, &ix, &iy);
  g_assert_cmpfloat (fabs (ix - 243), <=, 2.0);
  g_assert_cmpfloat (fabs (iy - 33), <=, 2.0);
  /* The model's top-left corner is padding above the image. */
  lb_model_input_to_image (input, 0, 0, &ix, &iy);
  g_assert_cmpfloat (ix, ==, 0);
  g_assert_cmpfloat (iy, ==, -50);

  /* With rotation, flips and a crop: to_image and from_image invert each other,
   * and a marked pixel lands where the mapping says. */
  for (guint rotation = 0; rotation < 4; rotation++)
    for (guint flips = 0; flips < 4; flips++)
      {
        params.display.rotation = rotation;
        params.display.flip_horizontal = flips & 1;
        params.display.flip_vertical = (flips >> 1) & 1;
        params.has_crop = TRUE;
        guint dw = rotation & 1 ? h : w, dh = rotation & 1 ? w : h;
        params.crop_x = dw / 10;
        params.crop_y = dh / 8;
        params.crop_width = dw / 2;
        params.crop_height = dh / 3;
        g_autoptr(LbModelInput) rotated = lb_model_input_build (image, &params, 64, &error);
        g_assert_no_error (error);
        GRand *rand = g_rand_new_with_seed (500 + rotation * 4 + flips);
        for (guint k = 0; k < 50; k++)
          {
            double mx = g_rand_double_range (rand, 0, 64), my = g_rand_double_range (rand, 0, 64);
            double x, y, bx, by;
            lb_model_input_to_image (rotated, mx, my, &x, &y);
            lb_model_input_from_image (rotated, x, y, &bx, &by);
            g_assert_cmpfloat (fabs (bx - mx), <, 1e-9);
            g_assert_cmpfloat (fabs (by - my), <, 1e-9);
          }
        g_rand_free (rand);
      }

  /* A crop outside the picture is refused. */
  params.display.rotation = 0;
  params.display.flip_horizontal = params.display.flip_vertical = FALSE;
  params.crop_x = 250;
  params.crop_y = 0;
  params.crop_width = 100;
  params.crop_height = 10;
  g_autoptr(LbModelInput) none = lb_model_input_build (image, &params, 64, &error);
  g_assert_null (none);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_INVALID);
}

static void
test_rotated_marker (void)
{
  /* A single bright pixel, rotated a quarter turn clockwise at the model's
   * size (no resampling): it must land where from_image says. */
  guint w = 40, h = 40;
  g_autoptr(LbImage) image = lb_image_new (w, h, 1, 8, FALSE, NULL);
  image->u8[5 * w + 30] = 200;
  LbModelInputParams params;
  lb_model_input_params_init (&params, image);
  for (guint rotation = 0; rotation < 4; rotation++)
    for (guint flip = 0; flip < 2; flip++)
      {
        params.display.rotation = rotation;
        params.display.flip_horizontal = flip;
        g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, 40, NULL);
        double mx, my;
        lb_model_input_from_image (input, 30.5, 5.5, &mx, &my);
        guint px = (guint) floor (mx), py = (guint) floor (my);
        g_assert_cmpuint (input->rgb[(py * 40 + px) * 3], ==, 200);
      }
}

static void
test_to_float (void)
{
  guint s = 4;
  g_autoptr(LbImage) image = lb_image_new (s, s, 3, 8, FALSE, NULL);
  for (gsize i = 0; i < (gsize) s * s * 3; i++)
    image->u8[i] = (guint8) (i * 5);
  image->u8[0] = 0;
  image->u8[1] = 255;
  LbModelInputParams params;
  lb_model_input_params_init (&params, image);
  g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, s, NULL);
  const float half[3] = { 0.5f, 0.5f, 0.5f };
  g_autofree float *out = g_new (float, 3 * s * s);
  lb_model_input_to_float (input, half, half, out);
  /* Channel-planar [3][S][S]; (v/255 - 0.5)/0.5 is in [-1, 1]. */
  g_assert_cmpfloat (out[0], ==, -1.0f);
  g_assert_cmpfloat (out[s * s + 0], ==, 1.0f);
  for (guint c = 0; c < 3; c++)
    for (gsize i = 0; i < (gsize) s * s; i++)
      {
        float want = (image->u8[3 * i + c] / 255.0f - 0.5f) / 0.5f;
        g_assert_cmpfloat (fabsf (out[c * s * s + i] - want), <, 1e-6f);
      }
  const float mean[3] = { 0.48f, 0.46f, 0.41f }, std[3] = { 0.27f, 0.26f, 0.28f };
  lb_model_input_to_float (input, mean, std, out);
  g_assert_cmpfloat (fabsf (out[2 * s * s + 5] - (image->u8[3 * 5 + 2] / 255.0f - 0.41f) / 0.28f), <, 1e-6f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model-input/resize-matches-pil", test_resize_matches_pil);
  g_test_add_func ("/model-input/pipeline-matches-pil", test_pipeline_matches_pil);
  g_test_add_func ("/model-input/identity-at-model-size", test_identity_at_model_size);
  g_test_add_func ("/model-input/geometry", test_geometry);
  g_test_add_func ("/model-input/rotated-marker", test_rotated_marker);
  g_test_add_func ("/model-input/to-float", test_to_float);
  return g_test_run ();
}
