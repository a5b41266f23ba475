/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app's overlays drawn by a real LbImageView, read back from a
 * rendering: the heat map lands on the image where its cell is (through
 * the padding), in the colormap's colour at the set opacity, and nowhere
 * else; the model's boxes are outlined where their coordinates say, can be
 * hit, and light up with their sentence. With LIGHTBOX_SCREENSHOT_DIR set
 * the renderings are kept there as PNG (documentation).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "app/lb-box-overlay.h"
#include "app/lb-document.h"
#include "app/lb-heatmap-overlay.h"
#include "app/lb-image-view.h"
#include "app/lb-screenshot.h"
#include "lb-test.h"
#include "lb-test-gtk.h"
#include "regions/colormap.h"

typedef struct {
  GtkWidget *window;
  LbImageView *view;
  LbImage *image;            /* owned by the document */
  LbDocument *document;
  LbModelInput *input;
} Scene;

/* A 400 × 200 gray picture (a soft "chest" of two lung fields) in a view,
 * and its model input at 112: a 400 square with 100 rows of padding above
 * and below. */
static void
scene_init (Scene *s)
{
  g_autoptr(GError) error = NULL;
  LbModelInputParams params;

  s->image = lb_image_new (400, 200, 1, 8, FALSE, &error);
  g_assert_no_error (error);
  for (guint y = 0; y < 200; y++)
    for (guint x = 0; x < 400; x++)
      {
        double l = hypot ((x - 120.0) / 70, (y - 100.0) / 80), r = hypot ((x - 280.0) / 70, (y - 100.0) / 80);
        s->image->u8[y * 400 + x] = (guint8) (l < 1 || r < 1 ? 60 : 150);
      }
  lb_model_input_params_init (&params, s->image);
  s->input = lb_model_input_build (s->image, &params, 112, &error);
  g_assert_no_error (error);
  s->document = lb_document_new_for_image (s->image, "overlay-test.png");

  s->window = gtk_window_new ();
  s->view = LB_IMAGE_VIEW (lb_image_view_new ());
  gtk_window_set_child (GTK_WINDOW (s->window), GTK_WIDGET (s->view));
  gtk_window_set_default_size (GTK_WINDOW (s->window), 800, 500);
  gtk_window_present (GTK_WINDOW (s->window));
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (s->view)) && gtk_widget_get_width (GTK_WIDGET (s->view)) > 0, 10);
  lb_image_view_set_document (s->view, s->document);
  {
    gboolean full = FALSE;
    LB_TEST_WAIT_FOR ((lb_image_view_get_texture_level (s->view, &full), full), 30);
  }
  lb_test_spin (100);
}

static void
scene_clear (Scene *s)
{
  gtk_window_destroy (GTK_WINDOW (s->window));
  g_clear_object (&s->document);
  g_clear_pointer (&s->input, lb_model_input_free);
}

typedef struct {
  int width;
  int height;
  int scale;
  guint8 *pixels;   /* BGRA, premultiplied, opaque */
} Shot;

static void
shot_take (Shot *shot, Scene *s, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = lb_screenshot_render (GTK_WIDGET (s->view), &error);
  const char *dir = g_getenv ("LIGHTBOX_SCREENSHOT_DIR");

  g_assert_no_error (error);
  shot->scale = gtk_widget_get_scale_factor (GTK_WIDGET (s->view));
  shot->width = gdk_texture_get_width (texture);
  shot->height = gdk_texture_get_height (texture);
  shot->pixels = g_malloc ((gsize) shot->width * shot->height * 4);
  gdk_texture_download (texture, shot->pixels, (gsize) shot->width * 4);
  if (dir != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_assert_true (gdk_texture_save_to_png (texture, path));
    }
}

/* The colour shown at an image point, as RGB. */
static void
shot_rgb_at_image (const Shot *shot, Scene *s, double ix, double iy, guint8 rgb[3])
{
  double wx, wy;
  int x, y;
  const guint8 *p;

  lb_image_view_image_to_widget (s->view, ix, iy, &wx, &wy);
  x = (int) (wx * shot->scale);
  y = (int) (wy * shot->scale);
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, shot->width);
  g_assert_cmpint (y, <, shot->height);
  p = shot->pixels + ((gsize) y * shot->width + x) * 4;
  rgb[0] = p[2];
  rgb[1] = p[1];
  rgb[2] = p[0];
}

static void
assert_rgb_near (const guint8 got[3], double r, double g, double b, int tolerance)
{
  if (fabs (got[0] - r) > tolerance || fabs (got[1] - g) > tolerance || fabs (got[2] - b) > tolerance)
    g_error ("shown (%u, %u, %u), expected (%.0f, %.0f, %.0f) ± %d", got[0], got[1], got[2], r, g, b, tolerance);
}

static void
test_heatmap (void)
{
  Scene s = { 0 };
  Shot before = { 0 }, after = { 0 }, faint = { 0 };
  g_autoptr(LbHeatmapOverlay) overlay = lb_heatmap_overlay_new ();
  g_autoptr(LbRegionMap) map = lb_region_map_new (4);
  guint8 top[3], rgb[3];

  scene_init (&s);
  shot_take (&before, &s, "regions-no-overlay.png");

  /* Cell (1, 1) of 4 × 4 (28 model pixels, 100 image pixels each): its
   * centre, square (42, 42), is image (150, 50) once the 100 rows of
   * padding are taken off. Cell (2, 0) half as strong. */
  map->values[1 * 4 + 1] = 2.0f;
  map->values[2 * 4 + 0] = 1.0f;
  lb_heatmap_overlay_set_map (overlay, map, s.input, "Attention, whole answer");
  g_assert_true (g_str_has_suffix (lb_heatmap_overlay_get_caption (overlay), "where the model looked — not proof"));
  lb_image_view_add_overlay (s.view, LB_IMAGE_OVERLAY (overlay));
  lb_test_spin (100);
  shot_take (&after, &s, "regions-heatmap.png");

  lb_colormap_lookup (LB_COLORMAP_VIRIDIS, 1.0f, top);
  shot_rgb_at_image (&after, &s, 150, 50, rgb);
  /* Opacity 0.6 over the picture's gray. */
  {
    guint8 under[3];
    shot_rgb_at_image (&before, &s, 150, 50, under);
    assert_rgb_near (rgb, 0.6 * top[0] + 0.4 * under[0], 0.6 * top[1] + 0.4 * under[1],
                     0.6 * top[2] + 0.4 * under[2], 12);
  }
  /* Far from both lit cells: the picture as it was. */
  {
    guint8 under[3];
    shot_rgb_at_image (&after, &s, 350, 150, rgb);
    shot_rgb_at_image (&before, &s, 350, 150, under);
    assert_rgb_near (rgb, under[0], under[1], under[2], 2);
  }

  /* Opacity and colormap are live. */
  lb_heatmap_overlay_set_opacity (overlay, 0.2);
  lb_heatmap_overlay_set_colormap (overlay, "inferno");
  g_assert_cmpstr (lb_heatmap_overlay_get_colormap (overlay), ==, "inferno");
  lb_test_spin (100);
  shot_take (&faint, &s, "regions-heatmap-inferno.png");
  lb_colormap_lookup (LB_COLORMAP_INFERNO, 1.0f, top);
  {
    guint8 under[3];
    shot_rgb_at_image (&before, &s, 150, 50, under);
    shot_rgb_at_image (&faint, &s, 150, 50, rgb);
    assert_rgb_near (rgb, 0.2 * top[0] + 0.8 * under[0], 0.2 * top[1] + 0.8 * under[1],
                     0.2 * top[2] + 0.8 * under[2], 12);
  }

  lb_image_view_remove_overlay (s.view, LB_IMAGE_OVERLAY (overlay));
  g_free (before.pixels);
  g_free (after.pixels);
  g_free (faint.pixels);
  scene_clear (&s);
}

static void
test_boxes (void)
{
  const char *answer =
    "Opacity in the patient's right mid zone.\nThe left lung is clear.\n"
    "```json\n[{\"box_2d\": [300, 100, 500, 400], \"label\": \"opacity\"},\n"
    "{\"box_2d\": [280, 560, 560, 880], \"label\": \"left lung\"}]\n```\n";
  Scene s = { 0 };
  Shot shot = { 0 };
  g_autoptr(LbBoxOverlay) overlay = lb_box_overlay_new ();
  g_autoptr(LbBoxList) list = lb_boxes_parse (answer, -1);
  double x, y, w, h, wx, wy;
  gssize start, end;
  guint8 rgb[3];
  int opacity = -1;

  scene_init (&s);
  lb_box_overlay_set_boxes (overlay, list, s.input);
  lb_image_view_add_overlay (s.view, LB_IMAGE_OVERLAY (overlay));
  g_assert_cmpuint (lb_box_overlay_get_n_boxes (overlay), ==, 2);
  for (guint i = 0; i < 2; i++)
    if (g_str_equal (lb_box_overlay_get_label (overlay, i), "opacity"))
      opacity = (int) i;
  g_assert_cmpint (opacity, >=, 0);

  /* x 0.1–0.4 of the 400 square, y 0.3–0.5 less the 100 rows of padding. */
  lb_box_overlay_get_rect (overlay, opacity, &x, &y, &w, &h);
  g_assert_cmpfloat_with_epsilon (x, 40, 1e-9);
  g_assert_cmpfloat_with_epsilon (y, 20, 1e-9);
  g_assert_cmpfloat_with_epsilon (w, 120, 1e-9);
  g_assert_cmpfloat_with_epsilon (h, 80, 1e-9);
  lb_box_overlay_get_sentence (overlay, opacity, &start, &end);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, strlen ("Opacity in the patient's right mid zone."));

  /* Hit inside the box; not beside it. */
  lb_image_view_image_to_widget (s.view, 100, 60, &wx, &wy);
  g_assert_cmpint (lb_box_overlay_hit_test (overlay, s.view, wx, wy), ==, opacity);
  lb_image_view_image_to_widget (s.view, 200, 190, &wx, &wy);
  g_assert_cmpint (lb_box_overlay_hit_test (overlay, s.view, wx, wy), ==, -1);

  /* Its sentence lights it (and only it). */
  lb_box_overlay_highlight_sentence (overlay, 0);
  g_assert_true (lb_box_overlay_is_highlighted (overlay, opacity));
  g_assert_false (lb_box_overlay_is_highlighted (overlay, 1 - opacity));
  lb_test_spin (100);
  shot_take (&shot, &s, "regions-boxes.png");

  /* The outline: a coloured line just inside the box's left edge, where
   * the picture is gray. */
  lb_image_view_image_to_widget (s.view, 40, 60, &wx, &wy);
  {
    double ix, iy;
    lb_image_view_widget_to_image (s.view, wx + 1.5, wy, &ix, &iy);
    shot_rgb_at_image (&shot, &s, ix, iy, rgb);
  }
  g_assert_true (rgb[0] != rgb[1] || rgb[1] != rgb[2]);
  /* Its middle stays the picture, tinted only by the highlight. */
  shot_rgb_at_image (&shot, &s, 100, 60, rgb);
  g_assert_cmpint (abs ((int) rgb[0] - (int) rgb[2]), <, 60);

  lb_box_overlay_highlight_box (overlay, -1);
  g_assert_false (lb_box_overlay_is_highlighted (overlay, opacity));
  /* Cleared. */
  lb_box_overlay_set_boxes (overlay, NULL, NULL);
  g_assert_cmpuint (lb_box_overlay_get_n_boxes (overlay), ==, 0);
  g_free (shot.pixels);
  scene_clear (&s);
}

int
main (int argc, char **argv)
{
  if (!lb_test_gtk_init (&argc, &argv, "/regions/overlays/no-display"))
    return g_test_run ();
  g_test_add_func ("/regions/overlays/heatmap", test_heatmap);
  g_test_add_func ("/regions/overlays/boxes", test_boxes);
  return g_test_run ();
}
