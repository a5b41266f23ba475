/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Maps without a model: attention traces (per token, per sentence, the
 * whole answer, and what they sum to), normalisation, the bilinear
 * upsampling and its geometry through padding and crop, the colormaps,
 * and which pixels an occlusion cell hides.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-test.h"
#include "regions/attention-map.h"
#include "regions/occlusion.h"
#include "regions/region-map.h"
#include "regions/regions.h"

/* Rows of a 2 × 2 grid for five tokens; the last is a stop token (no text). */
static const float rows[5][4] = {
  { 0.10f, 0.20f, 0.30f, 0.05f },
  { 0.40f, 0.00f, 0.10f, 0.10f },
  { 0.00f, 0.30f, 0.30f, 0.20f },
  { 0.20f, 0.20f, 0.20f, 0.20f },
  { 0.90f, 0.00f, 0.00f, 0.00f },
};

static LbAttentionTrace *
make_trace (void)
{
  /* "Big heart. Clear." in two batches: tokens "Big", " heart.", " Clear", "." and the stop. */
  const gint32 ids1[2] = { 11, 12 }, ids2[3] = { 13, 14, 1 };
  const gsize ends1[2] = { 3, 10 }, ends2[3] = { 6, 7, 7 };
  LbAttentionTrace *trace = lb_attention_trace_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (lb_attention_trace_add (trace, 2, ids1, "Big heart.", 10, ends1, 4, &rows[0][0], &error));
  g_assert_true (lb_attention_trace_add (trace, 3, ids2, " Clear.", 7, ends2, 4, &rows[2][0], &error));
  g_assert_no_error (error);
  return trace;
}

static void
assert_map (const LbRegionMap *map, const float *expected, guint n)
{
  g_assert_cmpuint (map->grid * map->grid, ==, n);
  lb_test_assert_close (map->values, expected, n, 1e-6, 0);
}

static void
test_trace (void)
{
  g_autoptr(LbAttentionTrace) trace = make_trace ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LbRegionMap) token = NULL, first = NULL, second = NULL, answer = NULL;
  float expected[4];
  gsize length;

  g_assert_cmpuint (lb_attention_trace_n_tokens (trace), ==, 5);
  g_assert_cmpuint (lb_attention_trace_grid (trace), ==, 2);
  g_assert_cmpstr (lb_attention_trace_text (trace, &length), ==, "Big heart. Clear.");
  g_assert_cmpuint (lb_attention_trace_text_ends (trace)[3], ==, 17);

  /* A token's map is its row; it sums to the share that went to the image. */
  token = lb_attention_trace_map_tokens (trace, 1, 1, &error);
  g_assert_no_error (error);
  assert_map (token, rows[1], 4);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sum (token), 0.6, 1e-6);

  /* Sentence "Big heart." = bytes 0–10 = tokens 0 and 1: their mean. */
  first = lb_attention_trace_map_text (trace, 0, 10, &error);
  g_assert_no_error (error);
  for (guint j = 0; j < 4; j++)
    expected[j] = (rows[0][j] + rows[1][j]) / 2;
  assert_map (first, expected, 4);

  /* "Clear." = bytes 11–17 = tokens 2 and 3 (the stop token adds no text). */
  second = lb_attention_trace_map_text (trace, 11, 17, &error);
  g_assert_no_error (error);
  for (guint j = 0; j < 4; j++)
    expected[j] = (rows[2][j] + rows[3][j]) / 2;
  assert_map (second, expected, 4);

  /* The answer: tokens 0–3, not the stop token. */
  answer = lb_attention_trace_map_answer (trace, &error);
  g_assert_no_error (error);
  for (guint j = 0; j < 4; j++)
    expected[j] = (rows[0][j] + rows[1][j] + rows[2][j] + rows[3][j]) / 4;
  assert_map (answer, expected, 4);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sum (answer), (0.65 + 0.6 + 0.8 + 0.8) / 4, 1e-6);

  /* Normalised to a distribution, then for the colormap. */
  g_assert_true (lb_region_map_normalize (answer, LB_REGION_NORMALIZE_SUM));
  g_assert_cmpfloat_with_epsilon (lb_region_map_sum (answer), 1.0, 1e-6);
  g_assert_true (lb_region_map_normalize (answer, LB_REGION_NORMALIZE_MAX));
  g_assert_cmpfloat_with_epsilon (lb_region_map_max (answer), 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (answer->values[0], 0.7 / 0.9, 1e-6);   /* column sums .7 .7 .9 .55 */

  /* Out of range. */
  g_assert_null (lb_attention_trace_map_tokens (trace, 4, 2, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
}

static void
test_trace_errors (void)
{
  g_autoptr(LbAttentionTrace) trace = lb_attention_trace_new ();
  g_autoptr(LbAttentionTrace) none = lb_attention_trace_new ();
  g_autoptr(GError) error = NULL;
  const gint32 ids[1] = { 5 };
  const gsize ends[1] = { 1 };
  const float row[6] = { 0 };
  g_autoptr(LbRegionMap) zero = lb_region_map_new (3);

  g_assert_false (lb_attention_trace_add (trace, 1, ids, "x", 1, ends, 6, row, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (lb_attention_trace_add (none, 1, ids, "x", 1, ends, 0, NULL, &error));
  g_assert_null (lb_attention_trace_map_answer (none, &error));
  g_assert_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_NO_ATTENTION);

  /* Nothing positive to normalise. */
  g_assert_false (lb_region_map_normalize (zero, LB_REGION_NORMALIZE_SUM));
  g_assert_false (lb_region_map_normalize (zero, LB_REGION_NORMALIZE_MAX));
}

static void
test_sample (void)
{
  g_autoptr(LbRegionMap) map = lb_region_map_new (2);
  const guint S = 100;

  /* Centres at 25 and 75. */
  map->values[0] = 1.0f;
  map->values[1] = 3.0f;
  map->values[2] = 5.0f;
  map->values[3] = 7.0f;
  g_assert_cmpfloat (lb_region_map_sample (map, S, 25, 25), ==, 1.0f);
  g_assert_cmpfloat (lb_region_map_sample (map, S, 75, 75), ==, 7.0f);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sample (map, S, 50, 25), 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sample (map, S, 50, 50), 4.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sample (map, S, 37.5, 25), 1.5, 1e-6);
  /* Constant between the outer centres and the edge. */
  g_assert_cmpfloat (lb_region_map_sample (map, S, 0, 0), ==, 1.0f);
  g_assert_cmpfloat (lb_region_map_sample (map, S, 99.9, 10), ==, 3.0f);
  /* A cell without a value: the others' weights renormalised. */
  map->values[1] = NAN;
  g_assert_cmpfloat_with_epsilon (lb_region_map_sample (map, S, 50, 25), 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (lb_region_map_sample (map, S, 50, 50), (1.0 + 5 + 7) / 3, 1e-6);
  g_assert_true (isnan (lb_region_map_sample (map, S, 80, 10)));
}

static LbModelInput *
make_input (guint width, guint height, guint size, const guint crop[4])
{
  g_autoptr(LbImage) image = lb_image_new (width, height, 3, 8, FALSE, NULL);
  g_autoptr(GError) error = NULL;
  LbModelInputParams params;
  LbModelInput *input;

  for (gsize i = 0; i < lb_image_n_samples (image); i++)
    image->u8[i] = (guint8) (50 + i % 101);
  lb_model_input_params_init (&params, image);
  if (crop != NULL)
    {
      params.has_crop = TRUE;
      params.crop_x = crop[0];
      params.crop_y = crop[1];
      params.crop_width = crop[2];
      params.crop_height = crop[3];
    }
  input = lb_model_input_build (image, &params, size, &error);
  g_assert_no_error (error);
  return input;
}

static const guint8 *
pixel (const LbHeatOverlay *overlay, guint x, guint y)
{
  return overlay->rgba + ((gsize) y * overlay->width + x) * 4;
}

/* A 2 × 2 map with only the top-left cell lit, over a 200 × 100 image (a
 * 200 square, 50 rows of padding above and below) cropped from 400 × 300. */
static void
test_render_geometry (void)
{
  const guint crop[4] = { 100, 50, 200, 100 };
  g_autoptr(LbModelInput) input = make_input (400, 300, 100, crop);
  g_autoptr(LbRegionMap) map = lb_region_map_new (2);
  g_autoptr(LbHeatOverlay) overlay = NULL;
  g_autoptr(LbHeatOverlay) small = NULL;
  LbHeatStyle style;
  guint8 top[3];

  map->values[0] = 2.0f;
  lb_heat_style_init (&style);
  style.max_side = 0;
  style.opacity = 1.0f;
  overlay = lb_region_map_render (map, input, &style);
  g_assert_cmpuint (overlay->width, ==, 400);
  g_assert_cmpuint (overlay->height, ==, 300);

  /* Outside the crop: nothing, even where the square's padding lies. */
  for (guint y = 0; y < 300; y++)
    for (guint x = 0; x < 400; x++)
      if (x < 100 || x >= 300 || y < 50 || y >= 150)
        g_assert_cmpuint (pixel (overlay, x, y)[3], ==, 0);

  /* The lit cell's centre is square (25, 25) (scale 0.5) = displayed (50, 0)
   * of the crop = image (150, 50), the crop's top row; pixel (149, 50) has
   * its centre next to it. The maximum: full alpha, the colormap's top. */
  lb_colormap_lookup (LB_COLORMAP_VIRIDIS, 1.0f, top);
  g_assert_cmpuint (pixel (overlay, 149, 50)[3], >=, 253);
  g_assert_cmpint (abs (pixel (overlay, 149, 50)[0] - top[0]), <=, 5);
  /* The crop's top-left corner: square (0, 50) is on the clamped edge
   * beside the centre: still the maximum. */
  g_assert_cmpuint (pixel (overlay, 100, 50)[3], >=, 253);
  /* Half-way between the lit centre and the next one to the right (square
   * x 100 → image x 200): half the value, half the alpha. */
  g_assert_cmpint (abs ((int) pixel (overlay, 200, 50)[3] - 128), <=, 3);
  /* The other cells' centres: dark. Square (150, 150) = image (250, 150) is
   * the crop's bottom edge; (75, 50) = image (250, 100) is on the next
   * column's centre, where the lit cell weighs nothing: transparent. */
  g_assert_cmpuint (pixel (overlay, 250, 100)[3], ==, 0);
  g_assert_cmpuint (pixel (overlay, 249, 149)[3], ==, 0);

  /* A smaller overlay keeps the aspect ratio. */
  style.max_side = 40;
  small = lb_region_map_render (map, input, &style);
  g_assert_cmpuint (small->width, ==, 40);
  g_assert_cmpuint (small->height, ==, 30);
  g_assert_cmpuint (small->image_width, ==, 400);
  g_assert_cmpuint (pixel (small, 0, 0)[3], ==, 0);
  g_assert_cmpuint (pixel (small, 14, 5)[3], >, 200);
}

static void
test_blend (void)
{
  LbHeatOverlay overlay = { 2, 1, (guint8[]) { 255, 0, 0, 255, 0, 0, 255, 0 }, 2, 1 };
  guint8 rgb[6] = { 10, 20, 30, 40, 50, 60 };

  lb_heat_overlay_blend_rgb (&overlay, rgb, 6);
  g_assert_cmpuint (rgb[0], ==, 255);
  g_assert_cmpuint (rgb[1], ==, 0);
  g_assert_cmpuint (rgb[3], ==, 40);
  g_assert_cmpuint (rgb[5], ==, 60);
}

/* Both colormaps get lighter all the way (Rec. 709 luma). */
static void
test_colormaps (void)
{
  const LbColormap maps[] = { LB_COLORMAP_VIRIDIS, LB_COLORMAP_INFERNO };

  for (gsize m = 0; m < G_N_ELEMENTS (maps); m++)
    {
      double last = -1;
      LbColormap parsed;
      guint8 rgb[3];

      g_assert_true (lb_colormap_from_name (lb_colormap_name (maps[m]), &parsed));
      g_assert_cmpint (parsed, ==, maps[m]);
      for (guint i = 0; i <= 64; i++)
        {
          double luma;
          lb_colormap_lookup (maps[m], i / 64.0f, rgb);
          luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
          g_assert_cmpfloat (luma, >, last);
          last = luma;
        }
      lb_colormap_lookup (maps[m], NAN, rgb);
      {
        guint8 zero[3];
        lb_colormap_lookup (maps[m], -3.0f, zero);
        g_assert_cmpmem (rgb, 3, zero, 3);
      }
    }
  {
    guint8 end[3];
    lb_colormap_lookup (LB_COLORMAP_VIRIDIS, 1.0f, end);
    g_assert_cmpuint (end[0], ==, 253);
    g_assert_cmpuint (end[1], ==, 231);
    g_assert_cmpuint (end[2], ==, 37);
  }
}

/* Which pixels a hidden cell covers: its own square, the image part only. */
static void
test_hide_cell (void)
{
  g_autoptr(LbModelInput) input = make_input (200, 100, 64, NULL);   /* pad_y 50 of 200: rows 16–47 */
  const float mean[3] = { 0.5f, 0.5f, 0.5f };
  const guint S = 64;

  /* 4 × 4 cells of 16: row 0 is all padding. */
  g_assert_null (lb_occlusion_hide_cell (input, 4, 0, 2, LB_OCCLUSION_FILL_MEAN, mean));
  for (guint row = 1; row < 3; row++)
    {
      g_autoptr(LbModelInput) hidden = lb_occlusion_hide_cell (input, 4, row, 1, LB_OCCLUSION_FILL_MEAN, mean);
      g_autoptr(LbModelInput) black = lb_occlusion_hide_cell (input, 4, row, 1, LB_OCCLUSION_FILL_BLACK, mean);
      g_assert_nonnull (hidden);
      for (guint y = 0; y < S; y++)
        for (guint x = 0; x < S; x++)
          {
            gsize at = ((gsize) y * S + x) * 3;
            gboolean inside = x >= 16 && x < 32 && y >= row * 16 && y < (row + 1) * 16 && y >= 16 && y < 48;
            for (guint c = 0; c < 3; c++)
              {
                g_assert_cmpuint (hidden->rgb[at + c], ==, inside ? 128 : input->rgb[at + c]);
                g_assert_cmpuint (black->rgb[at + c], ==, inside ? 0 : input->rgb[at + c]);
              }
          }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regions/attention/trace", test_trace);
  g_test_add_func ("/regions/attention/errors", test_trace_errors);
  g_test_add_func ("/regions/map/sample", test_sample);
  g_test_add_func ("/regions/map/render-geometry", test_render_geometry);
  g_test_add_func ("/regions/map/blend", test_blend);
  g_test_add_func ("/regions/map/colormaps", test_colormaps);
  g_test_add_func ("/regions/occlusion/hide-cell", test_hide_cell);
  return g_test_run ();
}
