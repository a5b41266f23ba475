/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Drives the real window (under Xvfb; skipped without a display): opening
 * the bundled samples, the image view's pixels and transforms, actions,
 * errors, a study, the model (a small test model on the reference
 * backend), a streamed report, Stop, a chat with a follow-up and a
 * region question, and a screenshot. The assertions read the widgets'
 * state, not the code's intentions.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "app/lb-application.h"
#include "app/lb-demo.h"
#include "app/lb-preferences-window.h"
#include "app/lb-report-format.h"
#include "app/lb-screenshot.h"
#include "app/lb-window.h"
#include "lb-test.h"
#include "lb-test-gtk.h"

static LbApplication *app;
static LbWindow *window;
static GSettings *settings;

static GFile *
sample (const char *name)
{
  g_autofree char *path = g_build_filename (lb_demo_get_samples_dir (), name, NULL);
  return g_file_new_for_path (path);
}

static void
activate (const char *action, GVariant *parameter)
{
  g_action_group_activate_action (G_ACTION_GROUP (window), action, parameter);
}

static gboolean
action_state (const char *action)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), action);
  return g_variant_get_boolean (state);
}

static void
open_and_settle (const char *name)
{
  g_autoptr(GFile) file = sample (name);
  lb_window_open (window, file);
  LB_TEST_WAIT_FOR (lb_window_get_document (window) != NULL
            && g_str_equal (lb_document_get_title (lb_window_get_document (window)), name)
            && lb_window_get_settled (window), 30);
}

/* ---- opening ------------------------------------------------------------------ */

static void
test_open_dicom (void)
{
  open_and_settle ("chest-xray-phantom.dcm");
  LbDocument *document = lb_window_get_document (window);
  LbDetailsPanel *details = lb_window_get_details_panel (window);

  g_assert_cmpstr (lb_window_get_page (window), ==, "viewer");
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), "chest-xray-phantom.dcm"));
  g_assert_cmpint (lb_document_get_modality (document), ==, LB_MODALITY_CHEST_XRAY);
  g_assert_true (lb_image_view_get_fit (lb_window_get_image_view (window)));
  g_assert_cmpfloat (lb_image_view_get_zoom (lb_window_get_image_view (window)), <, 1.0);

  /* Identifying tags are marked and hidden until asked for. */
  g_assert_cmpuint (lb_details_panel_get_n_tags (details), >, 20);
  g_assert_cmpuint (lb_details_panel_get_n_identifying (details), >=, 3);
  g_assert_cmpstr (lb_details_panel_get_shown_value (details, "PatientName"), ==, "Hidden");
  g_assert_cmpstr (lb_details_panel_get_shown_value (details, "Modality"), ==, "DX");
  g_settings_set_boolean (settings, "hide-identifying", FALSE);
  g_assert_cmpstr (lb_details_panel_get_shown_value (details, "PatientName"), ==, "PHANTOM^SYNTHETIC");
  g_settings_set_boolean (settings, "hide-identifying", TRUE);
  g_assert_cmpstr (lb_details_panel_get_shown_value (details, "PatientName"), ==, "Hidden");
}

static void
test_open_bad_file (void)
{
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), "broken.dcm", NULL);
  g_assert_true (g_file_set_contents (path, "DICM? no: a text file", -1, NULL));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  LbDocument *before = lb_window_get_document (window);

  lb_window_open (window, file);
  LB_TEST_WAIT_FOR (lb_window_get_banner (window) != NULL, 10);
  g_assert_nonnull (strstr (lb_window_get_banner (window), "broken.dcm"));
  /* The image that was open stays open. */
  g_assert_true (lb_window_get_document (window) == before);
  activate ("dismiss-banner", NULL);
  g_assert_null (lb_window_get_banner (window));
}

/* ---- the image view ------------------------------------------------------------- */

static void
test_view_transform (void)
{
  LbImageView *view = lb_window_get_image_view (window);
  static const char *const steps[] = {
    NULL, "rotate-right", "rotate-right", "flip-horizontal", "rotate-left", "flip-vertical", "rotate-right",
  };
  for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
    {
      if (steps[s] != NULL)
        activate (steps[s], NULL);
      lb_test_spin (50);
      /* The snapshot's transform and the point mapping agree everywhere. */
      GskTransform *t = lb_image_view_get_image_transform (view);
      double points[][2] = { { 0, 0 }, { 1792, 0 }, { 0, 2048 }, { 900, 1000 } };
      for (guint i = 0; i < G_N_ELEMENTS (points); i++)
        {
          graphene_point_t p;
          gsk_transform_transform_point (t, &GRAPHENE_POINT_INIT (points[i][0], points[i][1]), &p);
          double wx, wy, ix, iy;
          lb_image_view_image_to_widget (view, points[i][0], points[i][1], &wx, &wy);
          g_assert_cmpfloat_with_epsilon (p.x, wx, 1e-3);
          g_assert_cmpfloat_with_epsilon (p.y, wy, 1e-3);
          lb_image_view_widget_to_image (view, wx, wy, &ix, &iy);
          g_assert_cmpfloat_with_epsilon (ix, points[i][0], 1e-3);
          g_assert_cmpfloat_with_epsilon (iy, points[i][1], 1e-3);
        }
      gsk_transform_unref (t);
    }
  activate ("reset-view", NULL);
  g_assert_cmpuint (lb_document_get_display (lb_window_get_document (window))->rotation, ==, 0);
}

/* The gray value the view shows at an image point, read back from a
 * rendering of the widget. */
static guint
shown_value (LbImageView *view, double ix, double iy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = lb_screenshot_render (GTK_WIDGET (view), &error);
  g_assert_no_error (error);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));
  double wx, wy;
  lb_image_view_image_to_widget (view, ix, iy, &wx, &wy);
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint8 *pixels = g_malloc ((gsize) w * h * 4);
  gdk_texture_download (texture, pixels, (gsize) w * 4);
  int x = (int) (wx * scale), y = (int) (wy * scale);
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, w);
  g_assert_cmpint (y, <, h);
  const guint8 *p = pixels + ((gsize) y * w + x) * 4; /* BGRA, premultiplied, opaque */
  g_assert_cmpuint (p[0], ==, p[1]);
  g_assert_cmpuint (p[1], ==, p[2]);
  return p[1];
}

static void
test_view_pixels (void)
{
  open_and_settle ("test-pattern.png");
  LbImageView *view = lb_window_get_image_view (window);
  LbDocument *document = lb_window_get_document (window);

  /* 1:1, the full 16-bit range: each wedge step k (k × 65535 / 15) shows
   * as round (v / 257) = 17 k, through the view's own lookup table. */
  activate ("zoom-actual", NULL);
  lb_document_set_window (document, 32768, 65536);
  LB_TEST_WAIT_FOR (lb_window_get_settled (window), 10);
  lb_test_spin (100);
  g_assert_cmpfloat (lb_image_view_get_zoom (view) * gtk_widget_get_scale_factor (GTK_WIDGET (view)), ==, 1.0);
  for (guint k = 0; k < 16; k += 5)
    g_assert_cmpuint (shown_value (view, 32 * k + 16, 48), ==, 17 * k);

  /* Invert, then a narrow window: the same pixels, mapped again. */
  activate ("invert", NULL);
  g_assert_true (action_state ("invert"));
  LB_TEST_WAIT_FOR (lb_window_get_settled (window), 10);
  lb_test_spin (50);
  g_assert_cmpuint (shown_value (view, 32 * 5 + 16, 48), ==, 255 - 85);
  activate ("invert", NULL);
  lb_document_set_window (document, 21845 + 0.5, 2);  /* a threshold at step 5 */
  LB_TEST_WAIT_FOR (lb_window_get_settled (window), 10);
  lb_test_spin (50);
  g_assert_cmpuint (shown_value (view, 32 * 4 + 16, 48), ==, 0);
  g_assert_cmpuint (shown_value (view, 32 * 6 + 16, 48), ==, 255);

  /* Zoomed out, the texture is a reduced level, then the full one again. */
  lb_image_view_set_zoom (view, 0.2);
  gboolean full;
  g_assert_cmpuint (lb_image_view_get_texture_level (view, &full), ==, 2);
  LB_TEST_WAIT_FOR (lb_window_get_settled (window), 10);
  activate ("zoom-fit", NULL);
  g_assert_true (lb_image_view_get_fit (view));
}

static void
test_view_readout_and_zoom (void)
{
  LbImageView *view = lb_window_get_image_view (window);
  activate ("zoom-fit", NULL);
  double fit = lb_image_view_get_zoom (view);
  activate ("zoom-in", NULL);
  g_assert_cmpfloat_with_epsilon (lb_image_view_get_zoom (view), fit * 1.25, 1e-9);
  g_assert_false (lb_image_view_get_fit (view));
  activate ("zoom-out", NULL);
  g_assert_cmpfloat_with_epsilon (lb_image_view_get_zoom (view), fit, 1e-9);
  /* Zooming around a point keeps that point in place. */
  double wx, wy, ix, iy;
  lb_image_view_image_to_widget (view, 100, 400, &wx, &wy);
  lb_image_view_zoom_at (view, 3.0, wx, wy);
  lb_image_view_widget_to_image (view, wx, wy, &ix, &iy);
  g_assert_cmpfloat_with_epsilon (ix, 100, 1e-6);
  g_assert_cmpfloat_with_epsilon (iy, 400, 1e-6);
  activate ("zoom-fit", NULL);
}

static void
test_model_input_view (void)
{
  LbImageView *view = lb_window_get_image_view (window);
  activate ("show-model-input", NULL);
  g_assert_true (action_state ("show-model-input"));
  g_assert_true (lb_image_view_get_show_model_input (view));
  LB_TEST_WAIT_FOR (lb_window_get_settled (window), 20);
  /* The square fills the view: its size is the model's (896 without one). */
  double wx0, wy0, wx1, wy1;
  lb_image_view_image_to_widget (view, 0, 0, &wx0, &wy0);
  lb_image_view_image_to_widget (view, 512, 512, &wx1, &wy1);
  g_assert_cmpfloat (wx1 - wx0, >, 0);
  /* Region mode turns the model's view off: one thing at a time. */
  activate ("ask-region", NULL);
  g_assert_false (action_state ("show-model-input"));
  g_assert_true (lb_image_view_get_region_mode (view));
  activate ("ask-region", NULL);
  g_assert_false (lb_image_view_get_region_mode (view));
}

/* A 4k 16-bit radiograph-like image: a window/level drag must follow the
 * pointer. Each motion re-maps samples through the table; the preview is
 * point-sampled at the screen's resolution, the full level follows. */
static void
test_view_4k_window_level (void)
{
  const guint size = 4096;
  g_autoptr(GError) error = NULL;
  LbImage *image = lb_image_new (size, size, 1, 16, FALSE, &error);
  g_assert_no_error (error);
  for (guint y = 0; y < size; y++)
    for (guint x = 0; x < size; x++)
      image->u16[(gsize) y * size + x] = (guint16) ((x * 7 + y * 13 + (x ^ y)) & 0x0fff);
  g_autoptr(LbDocument) document = lb_document_new_for_image (image, "4k.png");

  GtkWidget *toplevel = gtk_window_new ();
  GtkWidget *view = lb_image_view_new ();
  gtk_window_set_child (GTK_WINDOW (toplevel), view);
  gtk_window_set_default_size (GTK_WINDOW (toplevel), 1200, 900);
  gtk_window_present (GTK_WINDOW (toplevel));
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (view) && gtk_widget_get_width (view) > 0, 10);
  lb_image_view_set_document (LB_IMAGE_VIEW (view), document);
  gboolean full = FALSE;
  LB_TEST_WAIT_FOR ((lb_image_view_get_texture_level (LB_IMAGE_VIEW (view), &full), full), 30);

  /* Twenty "motion events" of a drag. */
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    lb_document_set_window (document, 2048 + 10 * i, 4096 - 50 * i);
  double per_event_ms = (g_get_monotonic_time () - start) / 1000.0 / 20;
  start = g_get_monotonic_time ();
  LB_TEST_WAIT_FOR ((lb_image_view_get_texture_level (LB_IMAGE_VIEW (view), &full), full), 30);
  double full_ms = (g_get_monotonic_time () - start) / 1000.0;
  g_test_message ("4096² 16-bit: %.1f ms per window/level change (table + preview), "
                  "%.0f ms for the full-quality level %u", per_event_ms, full_ms,
                  lb_image_view_get_texture_level (LB_IMAGE_VIEW (view), NULL));
  /* Generous for a loaded CI machine; a desktop does it in a few ms. */
  g_assert_cmpfloat (per_event_ms, <, 250);
  gtk_window_destroy (GTK_WINDOW (toplevel));
}

/* ---- studies -------------------------------------------------------------------- */

static void
test_study (void)
{
  g_autoptr(GFile) folder = g_file_new_for_path (lb_demo_get_samples_dir ());
  lb_window_open (window, folder);
  LB_TEST_WAIT_FOR (lb_window_get_study_size (window) == 5 && lb_window_get_document (window) != NULL
            && g_str_equal (lb_document_get_title (lb_window_get_document (window)), "chest-xray-phantom.dcm")
            && lb_window_get_settled (window), 30);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "previous-image"));
  activate ("next-image", NULL);
  LB_TEST_WAIT_FOR (g_str_equal (lb_document_get_title (lb_window_get_document (window)), "fundus-phantom.jpg")
            && lb_window_get_settled (window), 30);
  g_assert_cmpint (lb_document_get_modality (lb_window_get_document (window)), ==, LB_MODALITY_FUNDUS);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "previous-image"));
}

/* ---- the model ------------------------------------------------------------------ */

static void
test_model_bad (void)
{
  LbModelManager *models = lb_application_get_models (app);
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), "not-a-model.gguf", NULL);
  g_assert_true (g_file_set_contents (path, "GGUF but not really", -1, NULL));
  g_settings_set_string (settings, "text-model-path", path);
  g_settings_set_string (settings, "mmproj-path", path);
  g_action_group_activate_action (G_ACTION_GROUP (app), "load-model", NULL);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_FAILED, 20);
  g_assert_nonnull (lb_model_manager_get_error (models));
  g_assert_nonnull (strstr (lb_model_manager_get_error (models)->message, "not-a-model.gguf"));
  /* On the viewer, the failure is a banner that leads to the model page. */
  LB_TEST_WAIT_FOR (lb_window_get_banner (window) != NULL, 5);
  g_assert_false (lb_report_panel_get_can_generate (lb_window_get_report_panel (window)));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "generate"));
}

static void
test_model_load (void)
{
  LbModelManager *models = lb_application_get_models (app);
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *mmproj = lb_test_reference_path ("models/a-f32/mmproj.gguf");

  open_and_settle ("chest-xray-phantom.dcm");
  g_settings_set_string (settings, "text-model-path", text);
  g_settings_set_string (settings, "mmproj-path", mmproj);
  g_action_group_activate_action (G_ACTION_GROUP (app), "load-model", NULL);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_LOADING, 5);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_READY, 60);
  g_assert_null (lb_window_get_banner (window)); /* the failure's banner went away */
  /* A random model, whatever its name: never presented as MedGemma. */
  g_assert_true (lb_model_manager_get_is_test_model (models));
  g_assert_cmpuint (lb_model_manager_get_image_size (models), ==, 112);
  g_assert_true (lb_report_panel_get_demo_mark_visible (lb_window_get_report_panel (window)));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "generate"));
}

static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *contents = NULL;
  return g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, needle) != NULL;
}

static char *
report_text (void)
{
  return lb_report_panel_get_text (lb_window_get_report_panel (window));
}

static void
test_generate_report (void)
{
  LbReportPanel *report = lb_window_get_report_panel (window);
  g_settings_set_uint (settings, "report-max-tokens", 24);

  activate ("generate", NULL);
  g_assert_true (lb_report_panel_get_running (report));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "generate"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"));
  g_assert_false (gtk_text_view_get_editable (lb_report_panel_get_text_view (report)));
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 60);

  g_autofree char *text = report_text ();
  /* The mark is the first line of the output itself, then the text. */
  g_assert_true (g_str_has_prefix (text, "DEMO MODEL — RANDOM OUTPUT\n"));
  g_assert_cmpuint (strlen (text), >, strlen ("DEMO MODEL — RANDOM OUTPUT\n"));
  g_assert_nonnull (strstr (lb_report_panel_get_status (report), "tokens/s"));
  g_assert_true (gtk_text_view_get_editable (lb_report_panel_get_text_view (report)));

  /* What Copy gives says what it is. */
  g_autofree char *copied = lb_report_panel_get_text_with_provenance (report);
  g_assert_true (g_str_has_prefix (copied, "AI draft — verify before use."));
  g_assert_nonnull (strstr (copied, "chest-xray-phantom.dcm"));

  /* The draft is on disk, and the user's edits follow it there. */
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (lb_report_panel_get_text_view (report));
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_interactive (buffer, &end, "\nEdited by the radiologist.", -1, TRUE);
  const char *path = lb_report_panel_get_autosave_path (report);
  LB_TEST_WAIT_FOR (file_contains (path, "Edited by the radiologist."), 5);
  g_assert_true (file_contains (path, "DEMO MODEL — RANDOM OUTPUT"));

  /* Closing and opening the image again brings the draft back. */
  activate ("close-image", NULL);
  g_assert_null (lb_window_get_document (window));
  g_autofree char *empty = report_text ();
  g_assert_cmpstr (empty, ==, "");
  open_and_settle ("chest-xray-phantom.dcm");
  g_autofree char *restored = report_text ();
  g_assert_nonnull (strstr (restored, "Edited by the radiologist."));
  g_assert_true (g_str_has_prefix (lb_report_panel_get_status (report), "Draft restored"));
}

static void
test_stop_report (void)
{
  LbReportPanel *report = lb_window_get_report_panel (window);
  g_settings_set_uint (settings, "report-max-tokens", 4000);

  /* An empty report: Generate does not need to ask before replacing it. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (lb_report_panel_get_text_view (report)), "", 0);
  activate ("generate", NULL);
  g_assert_true (lb_report_panel_get_running (report));
  guint mark = g_utf8_strlen ("DEMO MODEL — RANDOM OUTPUT\n", -1);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (lb_report_panel_get_text_view (report));
  LB_TEST_WAIT_FOR ((guint) gtk_text_buffer_get_char_count (buffer) > mark + 4, 60);
  gint64 stop_time = g_get_monotonic_time ();
  activate ("stop", NULL);
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 5);
  g_test_message ("stopped after %.0f ms", (g_get_monotonic_time () - stop_time) / 1000.0);
  g_assert_true (g_str_has_prefix (lb_report_panel_get_status (report), "Stopped after"));
  guint n = 0;
  g_assert_cmpint (sscanf (lb_report_panel_get_status (report), "Stopped after %u", &n), ==, 1);
  g_assert_cmpuint (n, <, 4000);
  g_settings_set_uint (settings, "report-max-tokens", 24);
}

/* Regions: an answer written with attention capture leaves its heat map
 * over the image; another document clears it. */
static void
test_attention_overlay (void)
{
  LbReportPanel *report = lb_window_get_report_panel (window);
  LbHeatmapOverlay *heatmap = lb_window_get_heatmap_overlay (window);
  g_settings_set_uint (settings, "report-max-tokens", 16);
  g_assert_true (action_state ("show-attention"));

  lb_report_panel_set_capture_attention (report, TRUE);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (lb_report_panel_get_text_view (report)), "", 0);
  activate ("generate", NULL);
  g_assert_true (lb_report_panel_get_running (report));
  /* The last report's map went with it; the new one's comes at its end. */
  g_assert_false (lb_heatmap_overlay_has_map (heatmap));
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 60);
  g_assert_true (lb_heatmap_overlay_has_map (heatmap));
  g_assert_nonnull (strstr (lb_heatmap_overlay_get_caption (heatmap), "Attention, whole answer"));

  /* Hidden and shown again, it keeps its map and its opacity. */
  lb_heatmap_overlay_set_opacity (heatmap, 0.4);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "show-attention", g_variant_new_boolean (FALSE));
  g_assert_false (action_state ("show-attention"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "show-attention", g_variant_new_boolean (TRUE));
  g_assert_true (lb_heatmap_overlay_has_map (heatmap));
  g_assert_cmpfloat_with_epsilon (lb_heatmap_overlay_get_opacity (heatmap), 0.4, 1e-9);

  open_and_settle ("test-pattern.png");
  g_assert_false (lb_heatmap_overlay_has_map (heatmap));
  g_assert_cmpuint (lb_box_overlay_get_n_boxes (lb_window_get_box_overlay (window)), ==, 0);
  open_and_settle ("chest-xray-phantom.dcm");
  g_settings_set_uint (settings, "report-max-tokens", 24);
}

static void
test_chat_follow_up (void)
{
  LbChatPanel *chat = lb_window_get_chat_panel (window);
  g_settings_set_uint (settings, "answer-max-tokens", 16);

  g_assert_false (lb_chat_panel_get_is_follow_up (chat));
  lb_chat_panel_ask (chat, "Is there a pneumothorax?");
  g_assert_true (lb_chat_panel_get_running (chat));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"));
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 60);
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, 1);
  g_assert_cmpstr (lb_chat_panel_get_answer (chat, 0), !=, "");
  guint first = lb_chat_panel_get_n_past (chat);
  g_assert_cmpuint (first, >, 16); /* the image's 16 positions, the question, the answer */
  g_assert_nonnull (strstr (lb_chat_panel_get_limits (chat), "multi-turn"));

  /* A follow-up through the entry continues the same context. */
  g_assert_true (lb_chat_panel_get_is_follow_up (chat));
  gtk_editable_set_text (GTK_EDITABLE (lb_chat_panel_get_entry (chat)), "Is the heart size normal?");
  gtk_widget_activate_action (GTK_WIDGET (chat), "chat.ask", NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (lb_chat_panel_get_entry (chat))), ==, "");
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 60);
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, 2);
  guint second = lb_chat_panel_get_n_past (chat);
  g_assert_cmpuint (second, >, first);

  /* A region drawn on the image starts a new conversation about it. */
  LbImageView *view = lb_window_get_image_view (window);
  activate ("ask-region", NULL);
  g_assert_true (lb_image_view_get_region_mode (view));
  g_signal_emit_by_name (view, "region-selected", 600u, 500u, 300u, 240u);
  g_assert_false (lb_image_view_get_region_mode (view));
  g_assert_false (action_state ("ask-region"));
  g_assert_false (lb_chat_panel_get_is_follow_up (chat));
  g_assert_nonnull (strstr (lb_chat_panel_get_limits (chat), "new conversation"));
  lb_chat_panel_ask (chat, "What is in this region?");
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 60);
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, 3);
  g_assert_cmpuint (lb_chat_panel_get_n_past (chat), <, second); /* one turn, not three */
  g_assert_true (lb_chat_panel_get_is_follow_up (chat));

  /* Stop in the chat too. */
  g_settings_set_uint (settings, "answer-max-tokens", 4000);
  lb_chat_panel_ask (chat, "And now?");
  activate ("stop", NULL);
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 10);
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, 4);
}

/* Errors that need an action become a banner; others a toast. */
static void
test_error_routing (void)
{
  LbModelManager *models = lb_application_get_models (app);
  g_autoptr(GError) full = g_error_new_literal (LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL, "full");
  lb_window_show_error (window, NULL, full);
  g_assert_null (lb_window_get_banner (window));

  g_autoptr(GError) memory = g_error_new_literal (LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY,
                                                  "needs 3.6 GB of GPU memory, 2.1 GB free");
  lb_window_show_error (window, NULL, memory);
  g_assert_nonnull (strstr (lb_window_get_banner (window), "2.1 GB free"));

  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  activate ("dismiss-banner", NULL);
  lb_window_show_error (window, NULL, cancelled);
  g_assert_null (lb_window_get_banner (window));

  /* A lost device: the model is gone until reloaded; the banner offers it. */
  g_autoptr(GError) lost = g_error_new_literal (LB_ENGINE_ERROR, LB_ENGINE_ERROR_DEVICE_LOST, "the device was lost");
  lb_window_show_error (window, NULL, lost);
  g_assert_nonnull (strstr (lb_window_get_banner (window), "lost"));
  g_assert_cmpint (lb_model_manager_get_state (models), ==, LB_MODEL_STATE_FAILED);
  g_assert_false (lb_report_panel_get_can_generate (lb_window_get_report_panel (window)));
  g_action_group_activate_action (G_ACTION_GROUP (app), "load-model", NULL);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_READY, 60);
  g_assert_null (lb_window_get_banner (window));
}

/* Streamed Markdown-ish lines become headings and bullets, markers gone. */
static void
test_report_format_buffer (void)
{
  g_autoptr(GtkTextBuffer) buffer = gtk_text_buffer_new (NULL);
  lb_report_format_setup (buffer);
  gtk_text_buffer_set_text (buffer, "## Findings\n* Lungs are **clear**.\nImpression:\nNormal study.", -1);
  lb_report_format_lines (buffer, 0, 3);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  g_autofree char *text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "Findings\n• Lungs are clear.\nImpression:\nNormal study.");

  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);
  GtkTextTag *heading = gtk_text_tag_table_lookup (table, "heading");
  GtkTextTag *bullet = gtk_text_tag_table_lookup (table, "bullet");
  GtkTextTag *bold = gtk_text_tag_table_lookup (table, "bold");
  GtkTextIter it;
  gtk_text_buffer_get_iter_at_line_offset (buffer, &it, 0, 2);
  g_assert_true (gtk_text_iter_has_tag (&it, heading));
  gtk_text_buffer_get_iter_at_line_offset (buffer, &it, 1, 4);
  g_assert_true (gtk_text_iter_has_tag (&it, bullet));
  g_assert_false (gtk_text_iter_has_tag (&it, bold));
  gtk_text_buffer_get_iter_at_line_offset (buffer, &it, 1, 13); /* "clear" */
  g_assert_true (gtk_text_iter_has_tag (&it, bold));
  gtk_text_buffer_get_iter_at_line_offset (buffer, &it, 2, 1);
  g_assert_true (gtk_text_iter_has_tag (&it, heading));
  gtk_text_buffer_get_iter_at_line_offset (buffer, &it, 3, 1);
  g_assert_false (gtk_text_iter_has_tag (&it, heading));
}

/* The secondary windows build from their templates without a warning. */
static gboolean
has_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        return TRUE;
    }
  return FALSE;
}

static void
test_dialogs (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  lb_test_spin (300);
  g_assert_true (has_toplevel (LB_TYPE_PREFERENCES_WINDOW));
  g_assert_true (has_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_true (has_toplevel (GTK_TYPE_SHORTCUTS_WINDOW));

  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = g_list_model_get_n_items (toplevels); i-- > 0;)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);
      if (toplevel != GTK_WINDOW (window))
        gtk_window_destroy (toplevel);
    }
  lb_test_spin (100);
  g_assert_false (has_toplevel (LB_TYPE_PREFERENCES_WINDOW));
}

/* ---- look ------------------------------------------------------------------------ */

static void
test_screenshot_and_dark (void)
{
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), "window.png", NULL);
  g_autoptr(GError) error = NULL;

  g_settings_set_string (settings, "color-scheme", "dark");
  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  lb_test_spin (100);
  g_assert_true (lb_screenshot_save_png (GTK_WIDGET (window), path, &error));
  g_assert_no_error (error);
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (window));
  g_assert_cmpint (gdk_texture_get_width (texture), ==, gtk_widget_get_width (GTK_WIDGET (window)) * scale);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, gtk_widget_get_height (GTK_WIDGET (window)) * scale);
  g_settings_set_string (settings, "color-scheme", "light");
  g_assert_false (adw_style_manager_get_dark (adw_style_manager_get_default ()));
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_DATA_HOME", lb_test_tmpdir (), TRUE);
  if (!lb_test_gtk_init (&argc, &argv, "/app/window/no-display"))
    return g_test_run ();

  app = lb_test_gtk_new_application (&settings);

  window = lb_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1366, 768);
  gtk_window_present (GTK_WINDOW (window));
  /* No model set up: the welcome page first. */
  g_assert_cmpstr (lb_window_get_page (window), ==, "model");
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), 10);

  g_test_add_func ("/app/window/open-dicom", test_open_dicom);
  g_test_add_func ("/app/window/open-bad-file", test_open_bad_file);
  g_test_add_func ("/app/window/view-transform", test_view_transform);
  g_test_add_func ("/app/window/view-pixels", test_view_pixels);
  g_test_add_func ("/app/window/view-zoom", test_view_readout_and_zoom);
  g_test_add_func ("/app/window/model-input", test_model_input_view);
  g_test_add_func ("/app/window/view-4k-window-level", test_view_4k_window_level);
  g_test_add_func ("/app/window/study", test_study);
  g_test_add_func ("/app/window/model-bad", test_model_bad);
  g_test_add_func ("/app/window/model-load", test_model_load);
  g_test_add_func ("/app/window/generate", test_generate_report);
  g_test_add_func ("/app/window/stop", test_stop_report);
  g_test_add_func ("/app/window/attention-overlay", test_attention_overlay);
  g_test_add_func ("/app/window/chat", test_chat_follow_up);
  g_test_add_func ("/app/window/errors", test_error_routing);
  g_test_add_func ("/app/window/report-format", test_report_format_buffer);
  g_test_add_func ("/app/window/dialogs", test_dialogs);
  g_test_add_func ("/app/window/screenshot-dark", test_screenshot_and_dark);
  int status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  return status;
}
