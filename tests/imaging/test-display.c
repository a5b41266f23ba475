/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The display transform: DICOM's linear window on the full bit depth, the
 * modality LUT before it, MONOCHROME1 and invert, quarter turns and flips,
 * automatic windows and defaults.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "imaging-test.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "lb-test.h"

/* PS3.3 C.11.2.1.2.1, written out independently, to 0..255 rounded. */
static int
dicom_linear (double x, double c, double w)
{
  if (w <= 1)
    return x > c - 0.5 ? 255 : 0;
  if (x <= c - 0.5 - (w - 1) / 2)
    return 0;
  if (x > c - 0.5 + (w - 1) / 2)
    return 255;
  return (int) floor (((x - (c - 0.5)) / (w - 1) + 0.5) * 255 + 0.5);
}

static void
test_window_function (void)
{
  /* Identity on 8 bits, /257 on 16 bits. */
  for (int v = 0; v < 256; v++)
    g_assert_cmpuint (lb_display_window_value (v, 128, 256), ==, v);
  for (int v = 0; v < 65536; v += 97)
    g_assert_cmpuint (lb_display_window_value (v, 32768, 65536), ==, (guint) floor (v / 257.0 + 0.5));
  /* Width 1 is a threshold at c - 0.5. */
  g_assert_cmpuint (lb_display_window_value (99, 100, 1), ==, 0);
  g_assert_cmpuint (lb_display_window_value (100, 100, 1), ==, 255);
  /* Random windows, values and fractions. */
  GRand *rand = g_rand_new_with_seed (600);
  for (guint i = 0; i < 20000; i++)
    {
      double c = g_rand_double_range (rand, -2000, 4000), w = g_rand_double_range (rand, 1, 5000);
      double v = g_rand_double_range (rand, -4000, 8000);
      g_assert_cmpint (lb_display_window_value (v, c, w), ==, dicom_linear (v, c, w));
    }
  g_rand_free (rand);
}

static void
test_render_matches_map (void)
{
  /* Signed 16-bit with rescale, unsigned 16, signed 8, RGB 16: the LUT
   * render equals the per-value map for every pixel. */
  struct { guint channels, bits; gboolean is_signed; double slope, intercept; } cases[] = {
    { 1, 16, TRUE, 1, -1024 }, { 1, 16, FALSE, 0.5, 10 }, { 1, 8, TRUE, 2, 0 }, { 3, 16, FALSE, 1, 0 },
    { 1, 8, FALSE, -1, 255 },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      guint w = 31, h = 17;
      g_autoptr(LbImage) image = lb_image_new (w, h, cases[k].channels, cases[k].bits, cases[k].is_signed, NULL);
      image->metadata.rescale_slope = cases[k].slope;
      image->metadata.rescale_intercept = cases[k].intercept;
      gsize n = lb_image_n_samples (image);
      g_autofree guint16 *s = lb_imaging_test_samples16 (610 + k, n, cases[k].is_signed ? -3000 : 0, 4000);
      for (gsize i = 0; i < n; i++)
        {
          if (cases[k].bits == 16)
            image->u16[i] = s[i];
          else
            image->u8[i] = (guint8) s[i];
        }
      LbDisplayParams params = { .window_center = 300, .window_width = 1500 };
      for (guint invert = 0; invert < 2; invert++)
        {
          params.invert = invert;
          g_autoptr(LbDisplayImage) shown = lb_display_render (image, &params, FALSE);
          g_assert_cmpuint (shown->channels, ==, cases[k].channels);
          for (guint y = 0; y < h; y++)
            for (guint x = 0; x < w; x++)
              for (guint c = 0; c < cases[k].channels; c++)
                {
                  int stored = lb_image_get_sample (image, x, y, c);
                  int want = dicom_linear (stored * cases[k].slope + cases[k].intercept, 300, 1500);
                  if (invert)
                    want = 255 - want;
                  g_assert_cmpuint (lb_display_map_value (image, &params, stored), ==, want);
                  g_assert_cmpuint (shown->data[y * shown->stride + x * shown->channels + c], ==, want);
                }
          if (cases[k].channels == 1)
            {
              g_autoptr(LbDisplayImage) rgb = lb_display_render (image, &params, TRUE);
              g_assert_cmpuint (rgb->channels, ==, 3);
              for (gsize i = 0; i < (gsize) w * h; i++)
                for (guint c = 0; c < 3; c++)
                  g_assert_cmpuint (rgb->data[3 * i + c], ==, shown->data[i]);
            }
        }
    }
}

static void
test_rotate_flip (void)
{
  /* 3×2:  0 1 2
   *       3 4 5 */
  g_autoptr(LbImage) image = lb_image_new (3, 2, 1, 8, FALSE, NULL);
  for (guint i = 0; i < 6; i++)
    image->u8[i] = (guint8) (i * 40);
  LbDisplayParams params = { .window_center = 128, .window_width = 256 };
  struct { guint rotation; gboolean fh, fv; guint w, h; guint8 expect[6]; } cases[] = {
    { 0, FALSE, FALSE, 3, 2, { 0, 1, 2, 3, 4, 5 } },
    { 1, FALSE, FALSE, 2, 3, { 3, 0, 4, 1, 5, 2 } },   /* clockwise */
    { 2, FALSE, FALSE, 3, 2, { 5, 4, 3, 2, 1, 0 } },
    { 3, FALSE, FALSE, 2, 3, { 2, 5, 1, 4, 0, 3 } },   /* counter-clockwise */
    { 0, TRUE, FALSE, 3, 2, { 2, 1, 0, 5, 4, 3 } },
    { 0, FALSE, TRUE, 3, 2, { 3, 4, 5, 0, 1, 2 } },
    { 1, TRUE, FALSE, 2, 3, { 0, 3, 1, 4, 2, 5 } },    /* transpose */
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      params.rotation = cases[k].rotation;
      params.flip_horizontal = cases[k].fh;
      params.flip_vertical = cases[k].fv;
      g_autoptr(LbDisplayImage) shown = lb_display_render (image, &params, FALSE);
      g_assert_cmpuint (shown->width, ==, cases[k].w);
      g_assert_cmpuint (shown->height, ==, cases[k].h);
      for (guint i = 0; i < 6; i++)
        g_assert_cmpuint (shown->data[i], ==, cases[k].expect[i] * 40);
      /* The coordinate mapping agrees with the pixels, and inverts. */
      for (guint y = 0; y < shown->height; y++)
        for (guint x = 0; x < shown->width; x++)
          {
            double ix, iy, dx, dy;
            lb_display_to_image (3, 2, &params, x + 0.5, y + 0.5, &ix, &iy);
            g_assert_cmpuint (image->u8[(guint) iy * 3 + (guint) ix], ==, shown->data[y * shown->stride + x]);
            lb_display_from_image (3, 2, &params, ix, iy, &dx, &dy);
            g_assert_cmpfloat (fabs (dx - (x + 0.5)), <, 1e-12);
            g_assert_cmpfloat (fabs (dy - (y + 0.5)), <, 1e-12);
          }
    }
}

static void
test_auto_window_and_defaults (void)
{
  /* 1000 values 0..999 once each, plus outliers at 60000. */
  g_autoptr(LbImage) image = lb_image_new (1010, 1, 1, 16, FALSE, NULL);
  for (guint i = 0; i < 1000; i++)
    image->u16[i] = (guint16) i;
  for (guint i = 1000; i < 1010; i++)
    image->u16[i] = 60000;
  double c, w;
  lb_display_auto_window (image, 0, 100, &c, &w);
  g_assert_cmpfloat (c, ==, (0 + 60000 + 1) / 2.0);
  g_assert_cmpfloat (w, ==, 60001);
  lb_display_auto_window (image, 1, 98, &c, &w);
  /* 1 % of 1010 ≈ 10.1 → value 10; 98 % ≈ 989.8 → value 989. */
  double lo = c - (w - 1) / 2 - 0.5, hi = c + (w - 1) / 2 - 0.5;
  g_assert_cmpfloat (lo, ==, 10);
  g_assert_cmpfloat (hi, ==, 989);
  LbDisplayParams params = { .window_center = c, .window_width = w };
  g_assert_cmpuint (lb_display_map_value (image, &params, 10), ==, 0);
  g_assert_cmpuint (lb_display_map_value (image, &params, 989), ==, 255);

  /* Defaults: a 16-bit file without windows → min to max. */
  lb_display_params_init (&params, image);
  g_assert_cmpuint (lb_display_map_value (image, &params, 0), ==, 0);
  g_assert_cmpuint (lb_display_map_value (image, &params, 60000), ==, 255);
  g_assert_false (params.invert);
  g_assert_cmpuint (params.rotation, ==, 0);
  /* The file's first window wins. */
  lb_image_metadata_add_window (&image->metadata, 500, 200, "MID");
  lb_image_metadata_add_window (&image->metadata, 100, 50, NULL);
  lb_display_params_init (&params, image);
  g_assert_cmpfloat (params.window_center, ==, 500);
  g_assert_cmpfloat (params.window_width, ==, 200);
  /* 8-bit files are shown as they are. */
  g_autoptr(LbImage) photo = lb_image_new (4, 4, 3, 8, FALSE, NULL);
  photo->u8[0] = 37;
  lb_display_params_init (&params, photo);
  g_assert_cmpuint (lb_display_map_value (photo, &params, 37), ==, 37);

  /* Presets: file windows first, then the modality's, then automatic ones. */
  g_autoptr(LbImage) ct = lb_image_new (8, 8, 1, 16, TRUE, NULL);
  ct->metadata.modality = g_strdup ("CT");
  ct->metadata.rescale_intercept = -1024;
  lb_image_metadata_add_window (&ct->metadata, 40, 400, "SOFT TISSUE");
  g_autoptr(GArray) presets = lb_display_presets (ct);
  LbDisplayPreset *first = &g_array_index (presets, LbDisplayPreset, 0);
  g_assert_cmpstr (first->name, ==, "File: SOFT TISSUE");
  gboolean lung = FALSE, full = FALSE;
  for (guint i = 0; i < presets->len; i++)
    {
      LbDisplayPreset *p = &g_array_index (presets, LbDisplayPreset, i);
      if (g_strcmp0 (p->name, "Lung") == 0)
        lung = p->center == -600 && p->width == 1500;
      if (g_strcmp0 (p->name, "Full range") == 0)
        full = p->center == -1024 && p->width == 65536;
      g_assert_cmpfloat (p->width, >=, 1);
    }
  g_assert_true (lung);
  g_assert_true (full);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/display/window-function", test_window_function);
  g_test_add_func ("/display/render-matches-map", test_render_matches_map);
  g_test_add_func ("/display/rotate-flip", test_rotate_flip);
  g_test_add_func ("/display/auto-window-and-defaults", test_auto_window_and_defaults);
  return g_test_run ();
}
