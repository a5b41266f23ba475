/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app's pieces that need no display: modalities, report formatting,
 * the autosave's timing and atomic writes, the test-model rule, documents
 * (DICOM windows, rotation, the model input with a crop, whole slides),
 * the bundled samples and studies.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "app/lb-autosave.h"
#include "app/lb-demo.h"
#include "app/lb-document.h"
#include "app/lb-image-render.h"
#include "app/lb-modality.h"
#include "app/lb-model-manager.h"
#include "app/lb-report-format.h"
#include "app/lb-study.h"
#include "lb-test.h"
#include "model/random-model.h"

static char *
sample_path (const char *name)
{
  const char *dir = lb_demo_get_samples_dir ();
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static LbDocument *
load_sample (const char *name)
{
  g_autofree char *path = sample_path (name);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  LbDocument *document = lb_document_load (file, &error);
  g_assert_no_error (error);
  return document;
}

/* ---- modalities ---------------------------------------------------------------- */

static void
test_modality_ids (void)
{
  for (guint m = 0; m < LB_N_MODALITIES; m++)
    {
      LbModality back;
      g_assert_true (lb_modality_from_id (lb_modality_id (m), &back));
      g_assert_cmpint (back, ==, m);
      g_assert_cmpstr (lb_modality_label (m), !=, "");
      g_assert_cmpuint (strlen (lb_modality_default_prompt (m)), >, 20);
      g_assert_true (g_str_has_prefix (lb_modality_default_system (m), "You are an expert"));
      const char *const *questions = lb_modality_suggested_questions (m);
      g_assert_nonnull (questions[0]);
      for (guint i = 0; questions[i] != NULL; i++)
        g_assert_true (g_str_has_suffix (questions[i], "?") || g_str_has_suffix (questions[i], "."));
    }
  LbModality unused;
  g_assert_false (lb_modality_from_id ("x-ray", &unused));
}

static void
test_modality_guess (void)
{
  struct { const char *name; LbModality expected; } cases[] = {
    { "chest-xray-phantom.dcm", LB_MODALITY_CHEST_XRAY },   /* DICOM DX, body part CHEST */
    { "fundus-phantom.jpg", LB_MODALITY_FUNDUS },            /* the file name */
    { "skin-lesion-phantom.jpg", LB_MODALITY_DERMATOLOGY },
    { "pathology-phantom.tif", LB_MODALITY_PATHOLOGY },      /* a whole slide */
    { "test-pattern.png", LB_MODALITY_OTHER },               /* gray, but no hint */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LbDocument) document = load_sample (cases[i].name);
      g_assert_cmpint (lb_document_get_modality (document), ==, cases[i].expected);
    }
  /* Names alone, without an image. */
  g_assert_cmpint (lb_modality_guess (NULL, "Patient CXR 2.png"), ==, LB_MODALITY_CHEST_XRAY);
  g_assert_cmpint (lb_modality_guess (NULL, "retina_left.jpg"), ==, LB_MODALITY_FUNDUS);
  g_assert_cmpint (lb_modality_guess (NULL, "photo.jpg"), ==, LB_MODALITY_OTHER);
}

/* ---- report formatting -------------------------------------------------------------- */

static void
test_report_format_lines (void)
{
  struct { const char *line; const char *text; LbReportLineKind kind; } cases[] = {
    { "## Findings", "Findings", LB_REPORT_LINE_HEADING },
    { "**Impression:**", "Impression:", LB_REPORT_LINE_HEADING },
    { "Findings:", "Findings:", LB_REPORT_LINE_HEADING },
    { "* Lungs are clear.", "• Lungs are clear.", LB_REPORT_LINE_BULLET },
    { "  - No effusion.", "• No effusion.", LB_REPORT_LINE_BULLET },
    { "The heart is **normal** in size.", "The heart is normal in size.", LB_REPORT_LINE_TEXT },
    { "There is no evidence of the following:", "There is no evidence of the following:", LB_REPORT_LINE_TEXT },
    { "5 * 3 = 15", "5 * 3 = 15", LB_REPORT_LINE_TEXT },
    { "", "", LB_REPORT_LINE_TEXT },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LbReportLineKind kind;
      g_autofree char *text = lb_report_format_line (cases[i].line, &kind);
      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpint (kind, ==, cases[i].kind);
    }
}

static void
test_report_format_markup (void)
{
  g_autofree char *markup = lb_report_format_markup ("## A < B & C\n* one\nplain <b>");
  g_assert_cmpstr (markup, ==, "<b>A &lt; B &amp; C</b>\n• one\nplain &lt;b&gt;");
}

/* ---- autosave -------------------------------------------------------------------------- */

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_autosave_throttle (void)
{
  g_autoptr(LbAutosave) autosave = lb_autosave_new ("/images/test-autosave.dcm");
  const char *path = lb_autosave_get_path (autosave);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_null (strstr (path, "test-autosave")); /* named by a hash, not the image's name */
  lb_autosave_discard (autosave);
  lb_autosave_set_provenance (autosave, "image: test\nAI draft — verify before use.");

  /* Typing without pause: the first change starts the clock, later ones
   * do not postpone the save. */
  gint64 start = g_get_monotonic_time ();
  lb_autosave_changed (autosave, "Findings: first");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, (LB_AUTOSAVE_DELAY_MS + 1500) * 1000);
      lb_autosave_changed (autosave, "Findings: typing");
      for (int i = 0; i < 20; i++)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (5000);
        }
    }
  gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (elapsed_ms, >=, LB_AUTOSAVE_DELAY_MS - 50);
  g_assert_cmpint (elapsed_ms, <, LB_AUTOSAVE_DELAY_MS + 1500);

  g_autoptr(GDateTime) saved = NULL;
  g_autofree char *text = lb_autosave_load (autosave, &saved);
  g_assert_cmpstr (text, ==, "Findings: typing");
  g_assert_nonnull (saved);
  g_autofree char *raw = NULL;
  g_assert_true (g_file_get_contents (path, &raw, NULL, NULL));
  g_assert_nonnull (strstr (raw, "AI draft — verify before use."));

  /* Flush writes at once; no temporary file is left behind. */
  lb_autosave_changed (autosave, "Impression: normal.\n");
  g_assert_true (lb_autosave_get_pending (autosave));
  g_assert_true (lb_autosave_flush (autosave, NULL));
  g_assert_false (lb_autosave_get_pending (autosave));
  g_free (text);
  text = lb_autosave_load (autosave, NULL);
  g_assert_cmpstr (text, ==, "Impression: normal.\n");
  g_assert_cmpuint (count_files (dir), ==, 1);

  lb_autosave_discard (autosave);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (text);
  text = lb_autosave_load (autosave, NULL);
  g_assert_null (text);
}

static void
test_autosave_dispose_writes (void)
{
  LbAutosave *autosave = lb_autosave_new ("/images/closing.png");
  g_autofree char *path = g_strdup (lb_autosave_get_path (autosave));
  lb_autosave_changed (autosave, "typed just before closing");
  g_object_unref (autosave);
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "typed just before closing"));
  g_unlink (path);
}

/* ---- the test-model rule -------------------------------------------------------------- */

static void
test_model_is_test_model (void)
{
  g_assert_true (lb_model_is_test_model (LB_RANDOM_MODEL_NAME_PREFIX " (tiny)", 2560, 262144));
  g_assert_true (lb_model_is_test_model ("tiny-medgemma-oracle", 128, 4096));
  g_assert_true (lb_model_is_test_model ("MedGemma 4b It", 128, 262144));
  g_assert_false (lb_model_is_test_model ("MedGemma 4b It", 2560, 262144));
  g_assert_false (lb_model_is_test_model (NULL, 2560, 262144));
}

/* ---- documents ------------------------------------------------------------------------ */

static void
on_display_changed (LbDocument *document, guint change, guint *seen)
{
  *seen |= change;
}

static void
test_document_dicom (void)
{
  g_autoptr(LbDocument) document = load_sample ("chest-xray-phantom.dcm");
  const LbImage *image = lb_document_get_image (document);
  const LbDisplayParams *display = lb_document_get_display (document);
  guint seen = 0;

  g_assert_cmpuint (image->width, ==, 1792);
  g_assert_cmpuint (image->height, ==, 2048);
  g_assert_cmpuint (image->bits_stored, ==, 16);
  g_assert_false (lb_document_is_slide (document));
  /* The file's first window is the default presentation. */
  g_assert_cmpfloat (display->window_center, ==, 2850);
  g_assert_cmpfloat (display->window_width, ==, 2600);
  GArray *presets = lb_document_get_presets (document);
  g_assert_cmpuint (presets->len, >=, 2);
  g_assert_nonnull (strstr (g_array_index (presets, LbDisplayPreset, 1).name, "SOFT"));

  g_signal_connect (document, "display-changed", G_CALLBACK (on_display_changed), &seen);
  lb_document_set_window (document, 2000, 1000);
  g_assert_cmpuint (seen, ==, LB_DOCUMENT_CHANGE_WINDOW | LB_DOCUMENT_CHANGE_MODEL);
  g_assert_cmpfloat (display->window_center, ==, 2000);

  /* With its own window, the model no longer follows the display's. */
  seen = 0;
  lb_document_set_separate_model_window (document, TRUE);
  lb_document_set_window (document, 2500, 900);
  g_assert_cmpuint (seen & LB_DOCUMENT_CHANGE_WINDOW, !=, 0);
  double c, w;
  lb_document_get_model_window (document, &c, &w);
  g_assert_cmpfloat (c, ==, 2000);
  g_assert_cmpfloat (w, ==, 1000);
  lb_document_set_model_window (document, 3000, 2000);
  LbModelInputParams params;
  lb_document_get_model_input_params (document, NULL, &params);
  g_assert_cmpfloat (params.display.window_center, ==, 3000);
  g_assert_false (params.has_crop);

  /* Rotation as seen on screen, also after a flip. */
  lb_document_rotate (document, 1);
  g_assert_cmpuint (display->rotation, ==, 1);
  lb_document_flip (document, TRUE);
  lb_document_rotate (document, 1); /* clockwise on screen: the parameter turns back */
  g_assert_cmpuint (display->rotation, ==, 0);
  lb_document_reset_display (document);
  g_assert_cmpuint (display->rotation, ==, 0);
  g_assert_false (display->flip_horizontal);
  g_assert_cmpfloat (display->window_center, ==, 2850);
}

static void
test_document_model_input (void)
{
  g_autoptr(LbDocument) document = load_sample ("chest-xray-phantom.dcm");
  g_autoptr(GError) error = NULL;

  g_autoptr(LbModelInput) whole = lb_document_build_model_input (document, 224, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (whole->size, ==, 224);
  g_assert_cmpuint (whole->side, ==, 2048); /* padded to a square */
  g_assert_cmpuint (whole->pad_x, ==, (2048 - 1792) / 2);

  /* A crop goes at full resolution: 400 image pixels onto 224. */
  LbCrop crop = { 600, 500, 400, 300 };
  g_autoptr(LbModelInput) region = lb_document_build_model_input (document, 224, &crop, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (region->crop_width, ==, 400);
  g_assert_cmpuint (region->crop_height, ==, 300);
  double ix, iy;
  lb_model_input_to_image (region, 112, 112, &ix, &iy);
  g_assert_cmpfloat_with_epsilon (ix, 800, 1.0);
  g_assert_cmpfloat_with_epsilon (iy, 650, 1.0);
}

static void
on_built (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbModelInput **out = user_data;
  g_autoptr(GError) error = NULL;
  *out = lb_document_build_model_input_finish (LB_DOCUMENT (source), result, &error);
  g_assert_no_error (error);
}

static void
test_document_slide (void)
{
  g_autoptr(LbDocument) document = load_sample ("pathology-phantom.tif");
  g_autoptr(GError) error = NULL;
  gint64 w, h;

  g_assert_true (lb_document_is_slide (document));
  lb_document_get_full_size (document, &w, &h);
  g_assert_cmpint (w, ==, 4096);
  g_assert_cmpint (h, ==, 4096);
  const LbImage *overview = lb_document_get_image (document);
  g_assert_cmpuint (overview->width, <=, LB_DOCUMENT_SLIDE_OVERVIEW);
  double scale = lb_document_get_slide_scale (document);
  g_assert_cmpfloat_with_epsilon (scale * overview->width, 4096, 1e-6);

  /* The detail the view reads when zoomed in comes from a finer level. */
  g_autoptr(LbImage) region = lb_document_read_slide_region (document, 10, 20, 64, 32, 1.0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (region->width, ==, (guint) (64 * scale + 0.5));
  g_assert_cmpuint (region->channels, ==, 3);

  /* A crop of an overview goes to the model from the slide itself. */
  LbCrop crop = { 100, 100, 128, 128 };
  LbModelInput *input = NULL;
  lb_document_build_model_input_async (document, 112, &crop, NULL, on_built, &input);
  LB_TEST_WAIT_FOR (input != NULL, 20);
  g_assert_cmpuint (input->size, ==, 112);
  g_assert_cmpuint (input->crop_width, >=, 112); /* read at least at the model's size */
  lb_model_input_free (input);
}

static void
test_document_bad_file (void)
{
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), "not-an-image.dcm", NULL);
  g_assert_true (g_file_set_contents (path, "this is not a medical image", -1, NULL));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbDocument) document = lb_document_load (file, &error);
  g_assert_null (document);
  g_assert_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "not-an-image.dcm"));
}

/* ---- samples and studies ---------------------------------------------------------------- */

static void
test_samples (void)
{
  g_autoptr(GPtrArray) samples = lb_demo_list_samples ();
  g_assert_cmpuint (samples->len, ==, 5);
  for (guint i = 0; i < samples->len; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_path (g_ptr_array_index (samples, i));
      g_autoptr(GError) error = NULL;
      g_autoptr(LbDocument) document = lb_document_load (file, &error);
      g_assert_no_error (error);
      /* Every sample says it is synthetic and ours somewhere inside. */
      g_autofree char *contents = NULL;
      gsize length;
      g_assert_true (g_file_get_contents (g_ptr_array_index (samples, i), &contents, &length, NULL));
      gboolean marked = memmem (contents, length, "Lightbox", 8) != NULL; /* binary: memmem, not strstr */
      if (!g_str_has_suffix (g_ptr_array_index (samples, i), ".png"))
        g_assert_true (marked);
    }
  g_autoptr(GFile) sample = lb_demo_get_default_sample ();
  g_assert_true (g_file_query_exists (sample, NULL));
}

static void
on_study (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbStudy **out = user_data;
  g_autoptr(GError) error = NULL;
  *out = lb_study_load_finish (result, &error);
  g_assert_no_error (error);
}

static void
on_study_error (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  g_autoptr(LbStudy) study = lb_study_load_finish (result, out);
  g_assert_null (study);
}

static void
test_study (void)
{
  g_autoptr(GFile) folder = g_file_new_for_path (lb_demo_get_samples_dir ());
  LbStudy *study = NULL;
  lb_study_load_async (folder, NULL, on_study, &study);
  LB_TEST_WAIT_FOR (study != NULL, 10);
  GListModel *items = lb_study_get_items (study);
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 5);
  g_autoptr(LbStudyItem) first = g_list_model_get_item (items, 0);
  g_assert_cmpstr (lb_study_item_get_name (first), ==, "chest-xray-phantom.dcm");
  g_assert_cmpint (lb_study_find (study, lb_study_item_get_file (first)), ==, 0);

  /* Thumbnails are made in the study's threads and arrive here. */
  g_autoptr(LbStudyItem) last = g_list_model_get_item (items, 4);
  lb_study_request_thumbnail (study, first);
  lb_study_request_thumbnail (study, last);
  LB_TEST_WAIT_FOR (lb_study_item_get_thumbnail (first) != NULL && lb_study_item_get_thumbnail (last) != NULL, 20);
  g_assert_cmpint (MAX (gdk_texture_get_width (lb_study_item_get_thumbnail (first)),
                        gdk_texture_get_height (lb_study_item_get_thumbnail (first))), ==, LB_STUDY_THUMBNAIL_SIZE);
  g_object_unref (study);

  /* An empty folder is an error, not an empty strip. */
  g_autofree char *empty = g_build_filename (lb_test_tmpdir (), "empty-study", NULL);
  g_mkdir_with_parents (empty, 0700);
  g_autoptr(GFile) empty_folder = g_file_new_for_path (empty);
  GError *error = NULL;
  lb_study_load_async (empty_folder, NULL, on_study_error, &error);
  LB_TEST_WAIT_FOR (error != NULL, 10);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_error_free (error);
}


/* The slow, obvious definition of a level: the rounded mean of each
 * block's table values (a partial block at the right/bottom edge counts
 * only its own samples), or the block's centre sample (clamped). */
static guint8
expected_level_value (const LbImage *image, const guint8 *lut, int lut_offset, guint level,
                      gboolean point, guint ox, guint oy, guint c)
{
  guint f = 1u << level;
  guint ch = image->channels == 1 ? 0 : c;
  if (point || level == 0)
    {
      guint x = MIN (ox * f + f / 2, image->width - 1), y = MIN (oy * f + f / 2, image->height - 1);
      return lut[lb_image_get_sample (image, x, y, ch) + lut_offset];
    }
  guint sum = 0, n = 0;
  for (guint y = oy * f; y < MIN (oy * f + f, image->height); y++)
    for (guint x = ox * f; x < MIN (ox * f + f, image->width); x++, n++)
      sum += lut[lb_image_get_sample (image, x, y, ch) + lut_offset];
  return (guint8) ((sum + n / 2) / n);
}

static void
test_image_render (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree guint8 *lut = g_malloc (65536);
  for (guint i = 0; i < 65536; i++)
    lut[i] = (guint8) g_rand_int (rand);

  struct { guint width, height, channels, bits; gboolean is_signed; } cases[] = {
    { 37, 23, 1, 16, FALSE }, { 37, 23, 1, 16, TRUE }, { 19, 30, 3, 8, FALSE },
    { 64, 1, 1, 8, TRUE }, { 1, 1, 1, 16, FALSE },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LbImage) image = lb_image_new (cases[k].width, cases[k].height, cases[k].channels,
                                               cases[k].bits, cases[k].is_signed, &error);
      g_assert_no_error (error);
      gsize n = lb_image_n_samples (image);
      for (gsize i = 0; i < n; i++)
        if (cases[k].bits == 8)
          image->u8[i] = (guint8) g_rand_int (rand);
        else
          image->u16[i] = (guint16) g_rand_int (rand);
      int lut_offset = !cases[k].is_signed ? 0 : cases[k].bits == 8 ? 128 : 32768;

      for (guint level = 0; level < 6; level++)
        for (int point = 0; point < 2; point++)
          {
            guint w, h;
            lb_image_render_level_size (image, level, &w, &h);
            g_assert_cmpuint (w, ==, MAX (1u, (cases[k].width + (1u << level) - 1) >> level));
            g_assert_cmpuint (h, ==, MAX (1u, (cases[k].height + (1u << level) - 1) >> level));
            g_autoptr(GBytes) bytes = lb_image_render_pixels (image, lut, level, point, NULL);
            gsize size;
            const guint8 *rgb = g_bytes_get_data (bytes, &size);
            g_assert_cmpuint (size, ==, (gsize) w * h * 3);
            for (guint y = 0; y < h; y++)
              for (guint x = 0; x < w; x++)
                for (guint c = 0; c < 3; c++)
                  if (rgb[((gsize) y * w + x) * 3 + c] != expected_level_value (image, lut, lut_offset, level, point, x, y, c))
                    g_error ("case %u level %u point %d: pixel (%u, %u) channel %u is %u, expected %u", k, level,
                             point, x, y, c, rgb[((gsize) y * w + x) * 3 + c],
                             expected_level_value (image, lut, lut_offset, level, point, x, y, c));

            g_autoptr(GdkTexture) texture = lb_image_render_texture_from_rgb (bytes, w, h);
            g_assert_cmpint (gdk_texture_get_width (texture), ==, (int) w);
            g_assert_cmpint (gdk_texture_get_height (texture), ==, (int) h);
          }
    }
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_DATA_HOME", lb_test_tmpdir (), TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/modality/ids", test_modality_ids);
  g_test_add_func ("/app/modality/guess", test_modality_guess);
  g_test_add_func ("/app/report-format/lines", test_report_format_lines);
  g_test_add_func ("/app/report-format/markup", test_report_format_markup);
  g_test_add_func ("/app/autosave/throttle", test_autosave_throttle);
  g_test_add_func ("/app/autosave/dispose-writes", test_autosave_dispose_writes);
  g_test_add_func ("/app/model/is-test-model", test_model_is_test_model);
  g_test_add_func ("/app/document/dicom", test_document_dicom);
  g_test_add_func ("/app/document/model-input", test_document_model_input);
  g_test_add_func ("/app/document/slide", test_document_slide);
  g_test_add_func ("/app/document/bad-file", test_document_bad_file);
  g_test_add_func ("/app/samples/open", test_samples);
  g_test_add_func ("/app/study/list", test_study);
  g_test_add_func ("/app/image-render/levels", test_image_render);
  return g_test_run ();
}
