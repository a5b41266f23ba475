/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model's boxes: fenced and bare JSON, every prefix of a stream, broken
 * input (never a crash, a note instead), both scales, the links to
 * sentences, and the mapping through padding, crop and rotation to image
 * pixels, with the coordinates worked out by hand.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "imaging/model-input.h"
#include "lb-test.h"
#include "regions/boxes.h"
#include "regions/sentences.h"

static const char *fenced_text =
  "There is a small opacity in the patient's right lower lobe.\n"
  "The cardiac silhouette is enlarged.\n"
  "```json\n"
  "[\n"
  "  {\"box_2d\": [550, 120, 780, 400], \"label\": \"right lower lobe opacity\"},\n"
  "  {\"box_2d\": [400, 300, 800, 700], \"label\": \"cardiomegaly\"}\n"
  "]\n"
  "```\n";

static void
assert_box (const LbBox *box, const char *label, double top, double left, double bottom, double right)
{
  g_assert_cmpstr (box->label, ==, label);
  g_assert_cmpfloat_with_epsilon (box->top, top, 1e-12);
  g_assert_cmpfloat_with_epsilon (box->left, left, 1e-12);
  g_assert_cmpfloat_with_epsilon (box->bottom, bottom, 1e-12);
  g_assert_cmpfloat_with_epsilon (box->right, right, 1e-12);
}

static char *
sentence_of (const char *text, const LbBox *box)
{
  if (box->sentence_start < 0)
    return NULL;
  return g_strndup (text + box->sentence_start, (gsize) (box->sentence_end - box->sentence_start));
}

static void
test_fenced (void)
{
  g_autoptr(LbBoxList) list = lb_boxes_parse (fenced_text, -1);
  g_autofree char *s0 = NULL, *s1 = NULL;

  g_assert_true (list->complete);
  g_assert_cmpuint (list->notes->len, ==, 0);
  g_assert_cmpuint (list->boxes->len, ==, 2);
  assert_box (&g_array_index (list->boxes, LbBox, 0), "right lower lobe opacity", 0.55, 0.12, 0.78, 0.4);
  assert_box (&g_array_index (list->boxes, LbBox, 1), "cardiomegaly", 0.4, 0.3, 0.8, 0.7);
  g_assert_cmpint (g_array_index (list->boxes, LbBox, 0).scale, ==, LB_BOX_SCALE_1000);

  /* The object's bytes in the text. */
  {
    const LbBox *b = &g_array_index (list->boxes, LbBox, 1);
    g_autofree char *object = g_strndup (fenced_text + b->text_start, b->text_end - b->text_start);
    g_assert_cmpstr (object, ==, "{\"box_2d\": [400, 300, 800, 700], \"label\": \"cardiomegaly\"}");
  }

  /* "opacity" (laterality words aside) names the first sentence; nothing
   * names cardiomegaly, but "enlarged" is no match either: it falls back
   * to the last sentence before the block. */
  s0 = sentence_of (fenced_text, &g_array_index (list->boxes, LbBox, 0));
  s1 = sentence_of (fenced_text, &g_array_index (list->boxes, LbBox, 1));
  g_assert_cmpstr (s0, ==, "There is a small opacity in the patient's right lower lobe.");
  g_assert_cmpstr (s1, ==, "The cardiac silhouette is enlarged.");
}

static void
test_bare (void)
{
  const char *text =
    "Findings: nodule in the left upper lobe. Pleural effusion on the right.\n"
    "[{\"box_2d\": [100, 600, 250, 750], \"label\": \"pleural effusion\"}, "
    "{\"label\": \"nodule\", \"box_2d\": [0.1, 0.2, 0.3, 0.4]}] and also "
    "{\"box_2d\": [10, 20, 30, 40]} [see report]";
  g_autoptr(LbBoxList) list = lb_boxes_parse (text, -1);
  g_autofree char *s0 = NULL, *s1 = NULL;

  g_assert_true (list->complete);
  g_assert_cmpuint (list->notes->len, ==, 0);
  g_assert_cmpuint (list->boxes->len, ==, 3);
  assert_box (&g_array_index (list->boxes, LbBox, 0), "pleural effusion", 0.1, 0.6, 0.25, 0.75);
  assert_box (&g_array_index (list->boxes, LbBox, 1), "nodule", 0.1, 0.2, 0.3, 0.4);
  g_assert_cmpint (g_array_index (list->boxes, LbBox, 1).scale, ==, LB_BOX_SCALE_UNIT);
  assert_box (&g_array_index (list->boxes, LbBox, 2), "", 0.01, 0.02, 0.03, 0.04);

  s0 = sentence_of (text, &g_array_index (list->boxes, LbBox, 0));
  s1 = sentence_of (text, &g_array_index (list->boxes, LbBox, 1));
  g_assert_cmpstr (s0, ==, "Pleural effusion on the right.");
  g_assert_cmpstr (s1, ==, "Findings: nodule in the left upper lobe.");
}

/* Every prefix of a stream gives exactly the boxes whose objects it holds
 * whole, the same as the whole text gives, and no note. */
static void
test_partial (void)
{
  g_autofree char *text = g_strconcat (
    fenced_text,
    "Also a bare one: [ {\"box_2d\": [0.5, 0.5, 0.75, 1.0], \"label\": \"tube \\\"tip\\\" \\u00e9\"} ,\n"
    "{ \"label\" : \"x\", \"extra\": [true, false, null, {\"a\": -1.5e2}], \"box_2d\":[1,2,3,4] } ]\n"
    "```\n[{\"box_2d\": [5, 6, 7, 8], \"label\": \"unfenced in fence\"}]\n```\ndone.", NULL);
  gsize n = strlen (text);
  g_autoptr(LbBoxList) full = lb_boxes_parse (text, (gssize) n);

  g_assert_cmpuint (full->boxes->len, ==, 5);
  g_assert_cmpuint (full->notes->len, ==, 0);
  g_assert_cmpstr (g_array_index (full->boxes, LbBox, 2).label, ==, "tube \"tip\" \xc3\xa9");
  for (gsize length = 0; length <= n; length++)
    {
      g_autoptr(LbBoxList) part = lb_boxes_parse (text, (gssize) length);
      guint expected = 0;

      for (guint b = 0; b < full->boxes->len; b++)
        expected += g_array_index (full->boxes, LbBox, b).text_end <= length;
      if (part->notes->len > 0)
        g_error ("prefix of %" G_GSIZE_FORMAT " bytes: %s", length,
                 (const char *) g_ptr_array_index (part->notes, 0));
      if (part->boxes->len != expected)
        g_error ("prefix of %" G_GSIZE_FORMAT " bytes: %u boxes, expected %u", length,
                 part->boxes->len, expected);
      for (guint b = 0; b < part->boxes->len; b++)
        {
          const LbBox *x = &g_array_index (part->boxes, LbBox, b);
          const LbBox *y = &g_array_index (full->boxes, LbBox, b);
          g_assert_cmpstr (x->label, ==, y->label);
          g_assert_cmpfloat (x->top, ==, y->top);
          g_assert_cmpfloat (x->right, ==, y->right);
          g_assert_cmpuint (x->text_start, ==, y->text_start);
        }
    }
  /* Cut inside the first fenced list: more is coming. */
  {
    const char *inside = strstr (text, "cardiomegaly");
    g_autoptr(LbBoxList) part = lb_boxes_parse (text, inside - text);
    g_assert_false (part->complete);
  }
}

static void
test_malformed (void)
{
  static const struct {
    const char *text;
    guint n_boxes;    /* still found */
  } cases[] = {
    /* A missing comma: the list is abandoned there, the bare box after it is still found. */
    { "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"} {\"box_2d\": [5, 6, 7, 8]}]", 2 },
    { "```json\n[{\"box_2d\": [1, 2, 3], \"label\": \"three\"}, {\"box_2d\": [10, 20, 30, 40]}]\n```", 1 },
    { "```json\n[{\"box_2d\": [\"1\", 2, 3, 4]}, {\"box_2d\": \"none\"}, 7, {\"label\": \"no box\"}]\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"bad \\q escape\"}]\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"lone \\ud800\"}]\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, 3, 4] \"label\": 5}]\n```", 0 },
    { "```json\n[{box_2d: [1, 2, 3, 4]}]\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, 3, 4],}]\n```", 0 },
    { "```json\n[{\"box_2d\": [1e999, 2, 3, 4]}]\n```", 0 },
    { "```json\nnot json at all\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, --3, 4]}]\n```", 0 },
    { "```json\n[{\"box_2d\": [10, 10, 10, 50]}]\n```", 0 },          /* empty */
    { "```json\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n```", 0 },
    { "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"ctrl \x01\"}]\n```", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LbBoxList) list = lb_boxes_parse (cases[i].text, -1);
      if (list->boxes->len != cases[i].n_boxes || list->notes->len == 0)
        g_error ("case %" G_GSIZE_FORMAT ": %u boxes (expected %u), %u notes", i, list->boxes->len,
                 cases[i].n_boxes, list->notes->len);
    }
}

/* Random bytes from JSON's alphabet: no crash, and every box is sane. */
static void
test_fuzz (void)
{
  static const char alphabet[] = "[]{}\":,0123456789.-eE \n\\ubox_2dlabeltrufsn`json";
  GRand *rand = g_rand_new_with_seed (9);

  for (guint round = 0; round < 3000; round++)
    {
      char text[96];
      guint n = (guint) g_rand_int_range (rand, 0, sizeof text);
      g_autoptr(LbBoxList) list = NULL;

      for (guint i = 0; i < n; i++)
        text[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      /* Often start like a box list, so that the parser gets deep. */
      if (round % 2 == 0 && n > 12)
        memcpy (text, "[{\"box_2d\": [", 13);
      list = lb_boxes_parse (text, n);
      for (guint b = 0; b < list->boxes->len; b++)
        {
          const LbBox *box = &g_array_index (list->boxes, LbBox, b);
          g_assert_true (box->top >= 0 && box->top < box->bottom && box->bottom <= 1);
          g_assert_true (box->left >= 0 && box->left < box->right && box->right <= 1);
          g_assert_true (g_utf8_validate (box->label, -1, NULL));
          g_assert_cmpuint (box->text_end, <=, n);
        }
    }
  g_rand_free (rand);
}

static void
test_scales (void)
{
  g_autoptr(LbBoxList) a = lb_boxes_parse ("[{\"box_2d\": [250, 100, 750, 500]}]", -1);
  g_autoptr(LbBoxList) b = lb_boxes_parse ("[{\"box_2d\": [0.25, 0.1, 0.75, 0.5]}]", -1);
  g_autoptr(LbBoxList) whole = lb_boxes_parse ("[{\"box_2d\": [0, 0, 1, 1]}]", -1);
  g_autoptr(LbBoxList) clamped = lb_boxes_parse ("[{\"box_2d\": [-20, 100, 1040, 500]}]", -1);
  g_autoptr(LbBoxList) swapped = lb_boxes_parse ("[{\"box_2d\": [750, 500, 250, 100]}]", -1);

  assert_box (&g_array_index (a->boxes, LbBox, 0), "", 0.25, 0.1, 0.75, 0.5);
  assert_box (&g_array_index (b->boxes, LbBox, 0), "", 0.25, 0.1, 0.75, 0.5);
  g_assert_cmpint (g_array_index (a->boxes, LbBox, 0).scale, ==, LB_BOX_SCALE_1000);
  g_assert_cmpint (g_array_index (b->boxes, LbBox, 0).scale, ==, LB_BOX_SCALE_UNIT);
  /* All four at most 1: the 0–1 scale, the whole square. */
  assert_box (&g_array_index (whole->boxes, LbBox, 0), "", 0, 0, 1, 1);
  g_assert_cmpuint (a->notes->len + b->notes->len + whole->notes->len, ==, 0);

  assert_box (&g_array_index (clamped->boxes, LbBox, 0), "", 0, 0.1, 1, 0.5);
  g_assert_cmpuint (clamped->notes->len, ==, 1);
  assert_box (&g_array_index (swapped->boxes, LbBox, 0), "", 0.25, 0.1, 0.75, 0.5);
  g_assert_cmpuint (swapped->notes->len, ==, 1);
}

/* A gray 8-bit image, its model input at size (optionally cropped and rotated). */
static LbModelInput *
make_input (guint width, guint height, guint size, const guint crop[4], guint rotation)
{
  g_autoptr(LbImage) image = lb_image_new (width, height, 1, 8, FALSE, NULL);
  g_autoptr(GError) error = NULL;
  LbModelInputParams params;
  LbModelInput *input;

  lb_model_input_params_init (&params, image);
  params.display.rotation = rotation;
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

static void
assert_rect (const LbBox *box, const LbModelInput *input, double x, double y, double w, double h)
{
  double rx, ry, rw, rh;

  g_assert_true (lb_box_to_image (box, input, &rx, &ry, &rw, &rh));
  g_assert_cmpfloat_with_epsilon (rx, x, 1e-9);
  g_assert_cmpfloat_with_epsilon (ry, y, 1e-9);
  g_assert_cmpfloat_with_epsilon (rw, w, 1e-9);
  g_assert_cmpfloat_with_epsilon (rh, h, 1e-9);
}

static void
test_mapping (void)
{
  g_autoptr(LbBoxList) list = lb_boxes_parse (
    "[{\"box_2d\": [250, 100, 750, 500]}, {\"box_2d\": [0, 0, 1000, 1000]}, "
    "{\"box_2d\": [0, 0, 200, 1000]}]", -1);
  const LbBox *box = &g_array_index (list->boxes, LbBox, 0);
  const LbBox *all = &g_array_index (list->boxes, LbBox, 1);
  const LbBox *top_band = &g_array_index (list->boxes, LbBox, 2);
  const guint crop[4] = { 100, 50, 200, 100 };
  double x, y, w, h;

  /* 200 × 100: a 200 square with 50 black rows above and below. y 0.25 of
   * the square is row 50 of it, row 0 of the image; x 0.1 is column 20. */
  {
    g_autoptr(LbModelInput) input = make_input (200, 100, 100, NULL, 0);
    g_assert_cmpuint (input->pad_y, ==, 50);
    assert_rect (box, input, 20, 0, 80, 100);
    assert_rect (all, input, 0, 0, 200, 100);
    /* The top fifth of the square is 40 rows, all padding. */
    g_assert_false (lb_box_to_image (top_band, input, &x, &y, &w, &h));
    g_assert_cmpfloat (w, ==, 0);
  }
  /* The same region cut from a 400 × 300 image at (100, 50): shifted by the crop. */
  {
    g_autoptr(LbModelInput) input = make_input (400, 300, 100, crop, 0);
    assert_rect (box, input, 120, 50, 80, 100);
    /* Clipped to the crop, not the image: the model saw only the crop. */
    assert_rect (all, input, 100, 50, 200, 100);
  }
  /* Stored 100 × 200, shown turned a quarter clockwise (200 × 100): the
   * displayed rectangle x 20–100, y 0–100 is stored x = y_displayed,
   * y = 200 − x_displayed. */
  {
    g_autoptr(LbModelInput) input = make_input (100, 200, 100, NULL, 1);
    assert_rect (box, input, 0, 100, 100, 80);
  }
}

static void
test_sentences (void)
{
  const char *text = "Heart size 12.5 cm. Lungs clear!\n- No effusion\n```json\n[]\n```\n"
                     "[{\"box_2d\": [1,2,3,4]}] Done?\"  ";
  const char *expected[] = { "Heart size 12.5 cm.", "Lungs clear!", "- No effusion", "Done?\"" };
  g_autoptr(GArray) s = lb_sentences_split (text, -1);
  const gsize ends[] = { 3, 5, 5, 9, 12 };   /* token 2 completes nothing of its own */
  guint first, n;

  g_assert_cmpuint (s->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < s->len; i++)
    {
      const LbTextSpan *span = &g_array_index (s, LbTextSpan, i);
      g_autofree char *piece = g_strndup (text + span->start, span->end - span->start);
      g_assert_cmpstr (piece, ==, expected[i]);
    }
  g_assert_cmpint (lb_sentences_find (s, 2), ==, 0);
  g_assert_cmpint (lb_sentences_find (s, strlen (text) - 1), ==, -1);

  g_assert_true (lb_sentences_token_range (ends, 5, 0, 3, &first, &n));
  g_assert_cmpuint (first, ==, 0);
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (lb_sentences_token_range (ends, 5, 4, 9, &first, &n));
  g_assert_cmpuint (first, ==, 1);
  g_assert_cmpuint (n, ==, 3);
  g_assert_false (lb_sentences_token_range (ends, 5, 12, 14, &first, &n));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regions/boxes/fenced", test_fenced);
  g_test_add_func ("/regions/boxes/bare", test_bare);
  g_test_add_func ("/regions/boxes/partial", test_partial);
  g_test_add_func ("/regions/boxes/malformed", test_malformed);
  g_test_add_func ("/regions/boxes/fuzz", test_fuzz);
  g_test_add_func ("/regions/boxes/scales", test_scales);
  g_test_add_func ("/regions/boxes/mapping", test_mapping);
  g_test_add_func ("/regions/sentences/split", test_sentences);
  return g_test_run ();
}
