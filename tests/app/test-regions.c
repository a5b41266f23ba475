/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The image regions in the real window (under Xvfb; skipped without a
 * display), on a small random model and the reference backend: answers
 * teacher-forced to a known text with two sentences and two boxes
 * (lightbox --demo-answer), the regions bar switching the heat map's
 * source, colours and opacity, per-sentence and per-token maps, a click
 * on a box selecting it and its sentence (marked in the report) and a
 * click on a sentence of the report lighting its box, occlusion maps run from the UI
 * (progress, Cancel, completion, a new document cancelling one), and the
 * exact context of a chat follow-up rebuilt for occlusion: its attention,
 * scored again on that context, equals the attention captured while the
 * answer was written.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "app/lb-application.h"
#include "app/lb-demo.h"
#include "app/lb-generation.h"
#include "app/lb-regions-bar.h"
#include "app/lb-window.h"
#include "lb-test.h"
#include "lb-test-gtk.h"
#include "regions/answer-scorer.h"
#include "regions/sentences.h"

/* Two sentences, each named by one box. */
#define ANSWER                                                                   \
  "The heart is enlarged. There is an opacity in the right lower lobe.\n"        \
  "```json\n"                                                                    \
  "[{\"box_2d\": [500,380,720,700], \"label\": \"heart\"}, "                  \
  "{\"box_2d\": [350,180,520,380], \"label\": \"opacity\"}]\n"                \
  "```"

static LbApplication *app;
static LbWindow *window;
static GSettings *settings;
static LbRegions *regions;
static double max_fraction;

static void
activate (const char *action, GVariant *parameter)
{
  g_action_group_activate_action (G_ACTION_GROUP (window), action, parameter);
}

static gboolean
enabled (const char *action)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (window), action);
}

static const char *
caption (void)
{
  return lb_heatmap_overlay_get_caption (lb_window_get_heatmap_overlay (window));
}

static void
open_and_settle (const char *name)
{
  g_autofree char *path = g_build_filename (lb_demo_get_samples_dir (), name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  lb_window_open (window, file);
  LB_TEST_WAIT_FOR (lb_window_get_document (window) != NULL
                    && g_str_equal (lb_document_get_title (lb_window_get_document (window)), name)
                    && lb_window_get_settled (window), 30);
}

/* A report teacher-forced to ANSWER. */
static LbRegionAnswer *
forced_report (void)
{
  LbReportPanel *report = lb_window_get_report_panel (window);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (lb_report_panel_get_text_view (report)), "", 0);
  lb_generation_set_demo_answer (ANSWER);
  activate ("generate", NULL);
  lb_generation_set_demo_answer (NULL);
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 30);
  LbRegionAnswer *answer = lb_regions_get_answer (regions);
  g_assert_nonnull (answer);
  g_assert_true (lb_region_answer_get_generation (answer) == lb_report_panel_get_generation (report));
  g_assert_cmpstr (lb_region_answer_get_text (answer), ==, ANSWER);
  return answer;
}

static gboolean
is_report_answer (LbRegionAnswer *answer)
{
  return answer != NULL && g_str_equal (lb_region_answer_get_label (answer), "Report");
}

/* Bytes of sentence index of the answer. */
static void
sentence (LbRegionAnswer *answer, guint index, gssize *start, gssize *end)
{
  g_autoptr(GArray) sentences = lb_sentences_split (lb_region_answer_get_text (answer), -1);
  g_assert_cmpuint (sentences->len, >=, index + 1);
  *start = (gssize) g_array_index (sentences, LbTextSpan, index).start;
  *end = (gssize) g_array_index (sentences, LbTextSpan, index).end;
}

static LbRegionMap *
shown_map (void)
{
  const LbRegionMap *map = lb_heatmap_overlay_get_map (lb_window_get_heatmap_overlay (window));
  g_assert_nonnull (map);
  return lb_region_map_copy (map);
}

static double
map_distance (const LbRegionMap *a, const LbRegionMap *b)
{
  double d = 0;
  g_assert_cmpuint (a->grid, ==, b->grid);
  for (guint i = 0; i < a->grid * a->grid; i++)
    d = MAX (d, fabs ((double) a->values[i] - b->values[i]));
  return d;
}

/* ---- tests -------------------------------------------------------------------- */

static void
test_load (void)
{
  LbModelManager *models = lb_application_get_models (app);
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *mmproj = lb_test_reference_path ("models/a-f32/mmproj.gguf");

  open_and_settle ("chest-xray-phantom.dcm");
  g_assert_true (gtk_widget_get_visible (lb_window_get_regions_bar (window)));
  g_assert_null (lb_regions_get_answer (regions));
  g_assert_false (enabled ("occlusion-map"));
  g_settings_set_string (settings, "text-model-path", text);
  g_settings_set_string (settings, "mmproj-path", mmproj);
  g_action_group_activate_action (G_ACTION_GROUP (app), "load-model", NULL);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_READY, 60);
}

/* The source, colours and opacity controls change what is drawn. */
static void
test_controls (void)
{
  LbHeatmapOverlay *heatmap = lb_window_get_heatmap_overlay (window);
  LbRegionAnswer *answer = forced_report ();

  g_assert_true (lb_region_answer_has_attention (answer));
  g_assert_true (enabled ("occlusion-map"));
  g_assert_nonnull (strstr (caption (), "Attention, whole answer (Report)"));
  g_assert_nonnull (strstr (lb_regions_get_status (regions), "2 boxes"));
  g_autoptr(LbRegionMap) whole = shown_map ();

  /* One token: its own row, not the mean. */
  activate ("regions-source", g_variant_new_string ("token"));
  g_assert_cmpint (lb_regions_get_source (regions), ==, LB_REGIONS_SOURCE_TOKEN);
  g_assert_nonnull (strstr (caption (), "Attention, token 1 “The”"));
  lb_regions_set_token (regions, 2);
  g_assert_nonnull (strstr (caption (), "token 3 “is”"));
  g_autoptr(LbRegionMap) token = shown_map ();
  g_assert_cmpfloat (map_distance (token, whole), >, 1e-6);

  /* Colours follow the setting both ways; opacity follows the bar's slider. */
  activate ("heatmap-colormap", g_variant_new_string ("inferno"));
  g_assert_cmpstr (lb_heatmap_overlay_get_colormap (heatmap), ==, "inferno");
  g_settings_set_string (settings, "heatmap-colormap", "viridis");
  g_assert_cmpstr (lb_heatmap_overlay_get_colormap (heatmap), ==, "viridis");
  GtkRange *opacity = lb_regions_bar_get_opacity_scale (LB_REGIONS_BAR (lb_window_get_regions_bar (window)));
  g_assert_nonnull (gtk_widget_get_ancestor (GTK_WIDGET (opacity), GTK_TYPE_POPOVER_MENU)); /* in the menu */
  gtk_range_set_value (opacity, 0.35);
  g_assert_cmpfloat_with_epsilon (lb_heatmap_overlay_get_opacity (heatmap), 0.35, 1e-9);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "heatmap-opacity"), 0.35, 1e-9);
  gtk_range_set_value (opacity, 0.6);

  /* Hidden, the heat map leaves the view; the boxes stay. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "show-attention", g_variant_new_boolean (FALSE));
  g_assert_false (lb_report_panel_get_running (lb_window_get_report_panel (window)));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "show-attention", g_variant_new_boolean (TRUE));
  activate ("regions-source", g_variant_new_string ("answer"));
  g_autoptr(LbRegionMap) again = shown_map ();
  g_assert_cmpfloat (map_distance (again, whole), ==, 0);
}

/* A sentence selected in a panel: its boxes light up, its map is shown,
 * and each sentence's map differs from the whole answer's. */
static void
test_sentences (void)
{
  LbRegionAnswer *answer = lb_regions_get_answer (regions);
  LbBoxOverlay *boxes = lb_window_get_box_overlay (window);
  LbGeneration *generation = lb_region_answer_get_generation (answer);
  gssize s0, e0, s1, e1;

  g_autoptr(LbRegionMap) whole = shown_map ();
  sentence (answer, 0, &s0, &e0);
  sentence (answer, 1, &s1, &e1);
  activate ("regions-source", g_variant_new_string ("sentence"));
  /* None selected yet: the whole answer, and a hint. */
  g_assert_nonnull (strstr (caption (), "whole answer"));
  g_assert_nonnull (strstr (lb_regions_get_status (regions), "click a sentence"));

  lb_regions_select_sentence (regions, generation, s0, e0);
  g_assert_nonnull (strstr (caption (), "Attention, sentence 1 (Report)"));
  g_autoptr(LbRegionMap) first = shown_map ();
  lb_regions_select_sentence (regions, generation, s1, e1);
  g_assert_nonnull (strstr (caption (), "Attention, sentence 2 (Report)"));
  g_autoptr(LbRegionMap) second = shown_map ();
  g_assert_cmpfloat (map_distance (first, whole), >, 1e-6);
  g_assert_cmpfloat (map_distance (second, whole), >, 1e-6);
  g_assert_cmpfloat (map_distance (first, second), >, 1e-6);

  /* "opacity" names sentence 2: its box alone is lit. */
  g_assert_cmpuint (lb_box_overlay_get_n_boxes (boxes), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_true (lb_box_overlay_is_highlighted (boxes, i)
                   == g_str_equal (lb_box_overlay_get_label (boxes, i), "opacity"));
  /* The token map starts at the sentence. */
  g_assert_cmpuint (lb_regions_get_token (regions), >, 4);
}

/* A click on a box selects it and its sentence; elsewhere, nothing. */
static void
test_box_click (void)
{
  LbBoxOverlay *boxes = lb_window_get_box_overlay (window);
  LbImageView *view = lb_window_get_image_view (window);
  LbRegionAnswer *answer = lb_regions_get_answer (regions);

  for (guint i = 0; i < lb_box_overlay_get_n_boxes (boxes); i++)
    {
      double x, y, w, h, wx, wy;
      gssize start, end, s, e;
      lb_box_overlay_get_rect (boxes, i, &x, &y, &w, &h);
      lb_image_view_image_to_widget (view, x + w / 2, y + h * 0.75, &wx, &wy);
      g_assert_true (lb_regions_click (regions, wx, wy));
      g_assert_cmpint (lb_regions_get_box (regions), ==, (int) i);
      g_assert_true (lb_box_overlay_is_highlighted (boxes, i));
      g_assert_false (lb_box_overlay_is_highlighted (boxes, 1 - i));
      lb_box_overlay_get_sentence (boxes, i, &start, &end);
      lb_regions_get_sentence (regions, &s, &e);
      g_assert_cmpint (s, ==, start);
      g_assert_cmpint (e, ==, end);
      const char *label = lb_box_overlay_get_label (boxes, i);
      g_autofree char *text = g_strndup (lb_region_answer_get_text (answer) + start, (gsize) (end - start));
      g_assert_nonnull (strstr (text, label));
      g_assert_nonnull (strstr (caption (), g_str_equal (label, "heart") ? "sentence 1" : "sentence 2"));
    }
  /* A corner of the image is no box. */
  double wx, wy;
  lb_image_view_image_to_widget (view, 5, 5, &wx, &wy);
  g_assert_false (lb_regions_click (regions, wx, wy));
  g_assert_cmpint (lb_regions_get_box (regions), ==, -1);
  /* The keyboard's way: select-box. */
  activate ("select-box", g_variant_new_int32 (1));
  g_assert_cmpint (lb_regions_get_box (regions), ==, 1);
  activate ("select-box", g_variant_new_int32 (-1));
  g_assert_cmpint (lb_regions_get_box (regions), ==, -1);
  /* Any other negative index is no box either (--action "select-box(-5)"). */
  activate ("select-box", g_variant_new_int32 (1));
  activate ("select-box", g_variant_new_int32 (-5));
  g_assert_cmpint (lb_regions_get_box (regions), ==, -1);
}

/* The text the report panel marks ("" when none). */
static char *
report_mark (void)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (lb_report_panel_get_text_view (lb_window_get_report_panel (window)));
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), "sentence-highlight");
  GtkTextIter start, end;
  g_assert_nonnull (tag);
  gtk_text_buffer_get_start_iter (buffer, &start);
  if (!gtk_text_iter_starts_tag (&start, tag) && !gtk_text_iter_forward_to_tag_toggle (&start, tag))
    return g_strdup ("");
  end = start;
  gtk_text_iter_forward_to_tag_toggle (&end, tag);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* Both ways between the report panel and the image: a click on a box
 * marks its sentence in the draft, a click on a sentence in the draft
 * lights its box and shows its map. */
static void
test_panel_linking (void)
{
  LbReportPanel *report = lb_window_get_report_panel (window);
  LbBoxOverlay *boxes = lb_window_get_box_overlay (window);
  LbImageView *view = lb_window_get_image_view (window);
  GtkTextView *text_view = lb_report_panel_get_text_view (report);
  double x, y, w, h, wx, wy;

  activate ("regions-source", g_variant_new_string ("sentence"));
  guint heart = g_str_equal (lb_box_overlay_get_label (boxes, 0), "heart") ? 0 : 1;
  lb_box_overlay_get_rect (boxes, heart, &x, &y, &w, &h);
  lb_image_view_image_to_widget (view, x + w / 2, y + h * 0.75, &wx, &wy);
  g_assert_true (lb_regions_click (regions, wx, wy));
  g_autofree char *marked = report_mark ();
  g_assert_cmpstr (marked, ==, "The heart is enlarged.");
  lb_image_view_image_to_widget (view, 5, 5, &wx, &wy);
  lb_regions_click (regions, wx, wy);
  g_autofree char *cleared = report_mark ();
  g_assert_cmpstr (cleared, ==, "");

  /* A click on "opacity" in the draft. */
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (text_view);
  GtkTextIter start, match;
  GdkRectangle rect;
  int bx, by;
  gtk_text_buffer_get_start_iter (buffer, &start);
  g_assert_true (gtk_text_iter_forward_search (&start, "opacity", 0, &match, NULL, NULL));
  gtk_text_view_get_iter_location (text_view, &match, &rect);
  gtk_text_view_buffer_to_window_coords (text_view, GTK_TEXT_WINDOW_WIDGET, rect.x + 4, rect.y + rect.height / 2,
                                         &bx, &by);
  lb_report_panel_click_for_test (report, bx, by);
  gssize s, e;
  lb_regions_get_sentence (regions, &s, &e);
  g_assert_cmpint (s, >=, 0);
  g_assert_nonnull (strstr (caption (), "Attention, sentence 2 (Report)"));
  g_assert_true (lb_box_overlay_is_highlighted (boxes, 1 - heart));
  g_assert_false (lb_box_overlay_is_highlighted (boxes, heart));
  g_autofree char *second = report_mark ();
  g_assert_cmpstr (second, ==, "There is an opacity in the right lower lobe.");
}

static void
on_fraction (LbRegions *r, GParamSpec *pspec, gpointer data)
{
  max_fraction = MAX (max_fraction, lb_regions_get_occlusion_fraction (r));
}

/* Started from the UI: progress, Cancel back to idle with no map, then a
 * complete run whose map is shown and labelled. */
static void
test_occlusion (void)
{
  GtkWidget *bar = lb_window_get_regions_bar (window);
  GtkProgressBar *progress = lb_regions_bar_get_progress_bar (LB_REGIONS_BAR (bar));
  LbRegionAnswer *answer = lb_regions_get_answer (regions);

  g_settings_set_int (settings, "occlusion-grid", 2);
  gulong handler = g_signal_connect (regions, "notify::occlusion-fraction", G_CALLBACK (on_fraction), NULL);

  max_fraction = 0;
  activate ("occlusion-map", NULL);
  g_assert_true (lb_regions_get_occlusion_running (regions));
  g_assert_cmpint (lb_regions_get_source (regions), ==, LB_REGIONS_SOURCE_OCCLUSION);
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (progress))));
  g_assert_true (enabled ("cancel-occlusion"));
  g_assert_false (enabled ("occlusion-map"));
  g_assert_false (lb_window_get_settled (window));
  g_assert_false (lb_heatmap_overlay_has_map (lb_window_get_heatmap_overlay (window)));
  LB_TEST_WAIT_FOR (max_fraction > 0, 20);
  g_assert_nonnull (strstr (gtk_progress_bar_get_text (progress), " of 5 runs"));
  activate ("cancel-occlusion", NULL);
  g_assert_false (lb_regions_get_occlusion_running (regions));
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (progress))));
  g_assert_true (enabled ("occlusion-map"));
  g_assert_null (lb_region_answer_get_occlusion (answer, NULL, NULL));
  g_assert_false (lb_heatmap_overlay_has_map (lb_window_get_heatmap_overlay (window)));
  g_assert_nonnull (strstr (lb_regions_get_status (regions), "no occlusion map yet"));
  /* The cancelled run ends on the engine without a trace here. */
  lb_test_spin (300);
  g_assert_null (lb_region_answer_get_occlusion (answer, NULL, NULL));

  /* Sentence 1 to the end. */
  gssize start, end;
  sentence (answer, 0, &start, &end);
  lb_regions_select_sentence (regions, lb_region_answer_get_generation (answer), start, end);
  max_fraction = 0;
  activate ("occlusion-map", NULL);
  LB_TEST_WAIT_FOR (!lb_regions_get_occlusion_running (regions), 30);
  g_assert_cmpfloat (max_fraction, ==, 1.0);
  gssize covered;
  const LbRegionMap *map = lb_region_answer_get_occlusion (answer, &covered, NULL);
  g_assert_nonnull (map);
  g_assert_cmpuint (map->grid, ==, 2);
  g_assert_cmpint (covered, ==, start);
  g_assert_true (lb_heatmap_overlay_has_map (lb_window_get_heatmap_overlay (window)));
  g_assert_nonnull (strstr (caption (), "Occlusion 2 × 2, sentence 1 (Report)"));
  g_assert_nonnull (strstr (caption (), "hiding the image"));
  g_assert_true (lb_window_get_settled (window));
  g_signal_handler_disconnect (regions, handler);
}

/* A follow-up's context is rebuilt exactly: scored again there, its
 * tokens get the attention they had while they were written. */
static void
test_follow_up_context (void)
{
  LbChatPanel *chat = lb_window_get_chat_panel (window);
  LbModelManager *models = lb_application_get_models (app);
  g_autoptr(GError) error = NULL;

  g_settings_set_uint (settings, "answer-max-tokens", 16);
  lb_chat_panel_ask (chat, "Is there a pneumothorax?");
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 30);
  lb_generation_set_demo_answer ("The heart is enlarged. The lungs are clear.");
  lb_chat_panel_ask (chat, "What about the heart?");
  lb_generation_set_demo_answer (NULL);
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 30);
  g_assert_cmpuint (lb_regions_get_n_answers (regions), ==, 3);
  LbRegionAnswer *answer = lb_regions_get_answer (regions);
  g_assert_cmpstr (lb_region_answer_get_label (answer), ==, "Answer 2");
  g_assert_true (lb_region_answer_has_attention (answer));
  g_assert_nonnull (lb_region_answer_get_model_input (answer));

  LbEngine *engine = lb_model_manager_get_engine (models);
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GArray) tokens = NULL;
  g_assert_true (lb_region_answer_build_context (answer, engine, &prompt, &tokens, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tokens->len + 1, ==, lb_region_answer_get_n_tokens (answer)); /* the stop token */
  g_autoptr(LbAnswerScorer) scorer = lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data,
                                                                  prompt->len, (const gint32 *) (gpointer) tokens->data,
                                                                  tokens->len, &error);
  g_assert_no_error (error);
  lb_answer_scorer_set_capture_attention (scorer, TRUE);
  g_autoptr(LbAnswerScore) score = lb_answer_scorer_score_sync (scorer, lb_region_answer_get_model_input (answer),
                                                                NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (score->n_tokens, ==, tokens->len);
  for (guint i = 0; i < tokens->len; i++)
    {
      g_autoptr(LbRegionMap) row = lb_region_answer_map_token (answer, i, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (row->grid * row->grid, ==, score->n_image_positions);
      lb_test_assert_close (score->attention + (gsize) i * score->n_image_positions, row->values,
                            score->n_image_positions, 1e-5, 1e-3);
    }

  /* And the occlusion map of the follow-up runs on it. */
  activate ("occlusion-map", NULL);
  LB_TEST_WAIT_FOR (!lb_regions_get_occlusion_running (regions), 30);
  g_assert_nonnull (lb_region_answer_get_occlusion (answer, NULL, NULL));
  g_assert_nonnull (strstr (caption (), "Occlusion 2 × 2, whole answer (Answer 2)"));
}

/* The "Locate findings" preset from the regions bar's menu: a chat
 * question that asks for boxes. */
static void
test_locate_findings (void)
{
  LbChatPanel *chat = lb_window_get_chat_panel (window);
  guint n = lb_chat_panel_get_n_answers (chat);

  g_settings_set_string (settings, "sidebar-page", "report");
  activate ("locate-findings", NULL);
  g_assert_true (lb_chat_panel_get_running (chat));
  g_autofree char *page = g_settings_get_string (settings, "sidebar-page");
  g_assert_cmpstr (page, ==, "chat");
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, n + 1);
  g_assert_cmpstr (lb_chat_panel_get_question (chat, n), ==, LB_BOXES_LOCATE_PROMPT);
  /* The new answer is the one the regions follow. */
  g_assert_true (lb_region_answer_get_generation (lb_regions_get_answer (regions)) == lb_chat_panel_get_generation (chat));
  lb_chat_panel_stop (chat);
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 10);
}

/* Another image: every answer's regions go, a running map is cancelled. */
static void
test_new_document (void)
{
  activate ("occlusion-map", NULL);
  g_assert_true (lb_regions_get_occlusion_running (regions));
  open_and_settle ("test-pattern.png");
  g_assert_false (lb_regions_get_occlusion_running (regions));
  g_assert_null (lb_regions_get_answer (regions));
  g_assert_cmpuint (lb_regions_get_n_answers (regions), ==, 0);
  g_assert_false (lb_heatmap_overlay_has_map (lb_window_get_heatmap_overlay (window)));
  g_assert_cmpuint (lb_box_overlay_get_n_boxes (lb_window_get_box_overlay (window)), ==, 0);
  g_assert_false (enabled ("occlusion-map"));
  lb_test_spin (300);
  g_assert_null (lb_regions_get_answer (regions));
}

/* A chat answer's occlusion map is cancelled when the chat is cleared
 * while another answer (the report) is selected: the bar goes back to
 * idle, Compute Occlusion works again, Cancel is off. */
static void
test_occlusion_chat_cleared (void)
{
  LbChatPanel *chat = lb_window_get_chat_panel (window);

  open_and_settle ("chest-xray-phantom.dcm");
  LbRegionAnswer *report = forced_report ();
  lb_generation_set_demo_answer ("The heart is enlarged. The lungs are clear.");
  lb_chat_panel_ask (chat, "What about the heart?");
  lb_generation_set_demo_answer (NULL);
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 30);
  g_assert_false (is_report_answer (lb_regions_get_answer (regions)));
  activate ("occlusion-map", NULL);
  g_assert_true (lb_regions_get_occlusion_running (regions));

  gssize start, end;
  sentence (report, 0, &start, &end);
  lb_regions_select_sentence (regions, lb_region_answer_get_generation (report), start, end);
  g_assert_true (lb_regions_get_answer (regions) == report);
  lb_chat_panel_new_conversation (chat);
  g_assert_false (lb_regions_get_occlusion_running (regions));
  g_assert_false (enabled ("cancel-occlusion"));
  g_assert_true (enabled ("occlusion-map"));
  g_assert_null (strstr (lb_regions_get_status (regions), "computing"));
  /* The cancelled run ends on the engine without a trace here. */
  lb_test_spin (300);
  g_assert_true (lb_regions_get_answer (regions) == report);
  g_assert_null (lb_region_answer_get_occlusion (report, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_DATA_HOME", lb_test_tmpdir (), TRUE);
  if (!lb_test_gtk_init (&argc, &argv, "/app/regions/no-display"))
    return g_test_run ();

  app = lb_test_gtk_new_application (&settings);

  window = lb_window_new (GTK_APPLICATION (app));
  regions = lb_window_get_regions (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1366, 768);
  gtk_window_present (GTK_WINDOW (window));
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), 10);

  g_test_add_func ("/app/regions/load", test_load);
  g_test_add_func ("/app/regions/controls", test_controls);
  g_test_add_func ("/app/regions/sentences", test_sentences);
  g_test_add_func ("/app/regions/box-click", test_box_click);
  g_test_add_func ("/app/regions/panel-linking", test_panel_linking);
  g_test_add_func ("/app/regions/occlusion", test_occlusion);
  g_test_add_func ("/app/regions/follow-up-context", test_follow_up_context);
  g_test_add_func ("/app/regions/new-document", test_new_document);
  g_test_add_func ("/app/regions/locate-findings", test_locate_findings);
  g_test_add_func ("/app/regions/occlusion-chat-cleared", test_occlusion_chat_cleared);
  int status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  return status;
}
