/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sentences in the Report and Chat panels (issue 9), under Xvfb (skipped
 * without a display): where the formatted text came from in the model's
 * text, clicks on the draft and on answers (from widget coordinates to
 * the bytes "sentence-activated" reports), the highlight (the tag's
 * range, the label's attributes; the demo mark kept to its line, as
 * drawn), an edited draft, a panel that keeps no drafts, multi-byte text,
 * older answers, and the "Locate findings" preset. Known texts are streamed
 * through the panels' own streaming code; real answers of the small
 * random model (reference backend) check the same mapping on whatever it
 * writes. Last, real pointer events through the X server (XTest): a click
 * activates, a drag selects text and activates nothing.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "app/lb-chat-panel.h"
#include "app/lb-demo.h"
#include "app/lb-report-format.h"
#include "app/lb-report-panel.h"
#include "app/lb-screenshot.h"
#include "lb-test.h"
#include "lb-test-gtk.h"
#include "regions/boxes.h"
#include "regions/sentences.h"

static GSettings *settings;
static GtkWidget *windows[2]; /* the report's, the chat's */
static LbModelManager *models;
static LbDocument *document;
static LbReportPanel *report;
static LbChatPanel *chat;

/* What "sentence-activated" last said, and how often it did. */
typedef struct {
  guint count;
  LbGeneration *generation;
  gint64 start, end;
} Activation;

static Activation report_activation, chat_activation;

static void
on_sentence_activated (GObject *panel, LbGeneration *generation, gint64 start, gint64 end, Activation *activation)
{
  activation->count++;
  activation->generation = generation;
  activation->start = start;
  activation->end = end;
}

/* A generation to stand for the writer of a known text (never started). */
static LbGeneration *
new_generation (void)
{
  g_autoptr(LbSession) session = lb_model_manager_new_session (models);
  g_assert_nonnull (session);
  return lb_generation_new (models, session);
}

/* The byte offset of needle in text (it must be there). */
static gint64
offset_of (const char *text, const char *needle)
{
  const char *found = strstr (text, needle);
  g_assert_nonnull (found);
  return found - text;
}

/* ---- the map, against the formatting itself ---------------------------------------- */

static const char *const sample_text =
  "## Befund\n"
  "* Ödem rechts. Zweiter Satz.\n"
  "  - **Kein** Erguss links.\r\n"
  "**Beurteilung:** Kein Nachweis.\n\n";

static void
test_map_buffer (void)
{
  /* The shown text is what lb_report_format_lines leaves in a buffer. */
  g_autoptr(GtkTextBuffer) buffer = gtk_text_buffer_new (NULL);
  gtk_text_buffer_set_text (buffer, sample_text, -1);
  lb_report_format_lines (buffer, 0, gtk_text_buffer_get_line_count (buffer) - 1);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  g_autofree char *formatted = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  g_autoptr(LbReportMap) map = lb_report_map_new_for_buffer (sample_text, -1, FALSE);
  g_assert_cmpstr (lb_report_map_get_shown (map), ==, formatted);
  g_assert_cmpstr (formatted, ==, "Befund\n• Ödem rechts. Zweiter Satz.\n• Kein Erguss links.\r\n"
                                  "Beurteilung: Kein Nachweis.\n\n");

  /* Every shown character came from the same character of the text,
   * except the bullets, which came from their markers. */
  const char *shown = lb_report_map_get_shown (map);
  for (const char *p = shown; *p; p = g_utf8_next_char (p))
    {
      gsize from = lb_report_map_to_text (map, p - shown);
      if (g_str_has_prefix (p, "•"))
        g_assert_true (sample_text[from] == '*' || sample_text[from] == '-');
      else
        g_assert_cmpint (g_utf8_get_char (sample_text + from), ==, g_utf8_get_char (p));
    }
  g_assert_cmpuint (lb_report_map_to_shown (map, strlen (sample_text)), ==, strlen (shown));
  g_assert_cmpuint (lb_report_map_to_text (map, strlen (shown)), ==, strlen (sample_text));

}

/* ---- the report ------------------------------------------------------------------ */

static GtkTextBuffer *
report_buffer (void)
{
  return gtk_text_view_get_buffer (lb_report_panel_get_text_view (report));
}

/* Whether the view has laid out the character at iter: its location maps
 * back to it (until then the lines above it have estimated heights), or
 * to a neighbour (GTK 4.8's two mappings differ by a pixel or two on an
 * indented line: the tests click in the middle of words). */
static gboolean
laid_out (GtkTextIter *iter, GdkRectangle *rect)
{
  GtkTextView *view = lb_report_panel_get_text_view (report);
  GtkTextIter back;
  gtk_text_view_get_iter_location (view, iter, rect);
  return gtk_text_view_get_iter_at_location (view, &back, rect->x + rect->width / 2, rect->y + rect->height / 2)
         && gtk_text_iter_get_line (&back) == gtk_text_iter_get_line (iter)
         && ABS (gtk_text_iter_get_offset (&back) - gtk_text_iter_get_offset (iter)) <= 1;
}

/* The middle of the character count characters into the first occurrence
 * of shown in the draft, in the text view's coordinates, once laid out
 * (as it is by the time anyone clicks). */
static void
report_point (const char *shown, int count, int *x, int *y)
{
  GtkTextIter start, match, match_end;
  GdkRectangle rect;
  gtk_text_buffer_get_start_iter (report_buffer (), &start);
  g_assert_true (gtk_text_iter_forward_search (&start, shown, 0, &match, &match_end, NULL));
  gtk_text_iter_forward_chars (&match, count);
  LB_TEST_WAIT_FOR (laid_out (&match, &rect), 10);
  gtk_text_view_buffer_to_window_coords (lb_report_panel_get_text_view (report), GTK_TEXT_WINDOW_WIDGET,
                                         rect.x + rect.width / 2, rect.y + rect.height / 2, x, y);
}

/* Clicks on the middle of the first occurrence of shown in the draft,
 * through the text view's coordinates: whether the panel answered. */
static gboolean
click_report_text (const char *shown)
{
  int x, y;
  report_point (shown, g_utf8_strlen (shown, -1) / 2, &x, &y);
  guint before = report_activation.count;
  lb_report_panel_click_for_test (report, x, y);
  g_assert_cmpuint (report_activation.count, <=, before + 1);
  return report_activation.count == before + 1;
}

static void
assert_span (const Activation *activation, gint64 start, gint64 end)
{
  g_assert_cmpint (activation->start, ==, start);
  g_assert_cmpint (activation->end, ==, end);
}

/* Asserts the marked text (which it frees). */
static void
assert_marked (char *marked, const char *expected)
{
  g_assert_cmpstr (marked, ==, expected);
  g_free (marked);
}

/* The text under the tag name, its ranges joined by "|" ("" when none). */
static char *
tagged (const char *name)
{
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (report_buffer ()), name);
  g_assert_nonnull (tag);
  GString *out = g_string_new (NULL);
  GtkTextIter start, end;
  gtk_text_buffer_get_start_iter (report_buffer (), &start);
  while (gtk_text_iter_starts_tag (&start, tag)
         || (gtk_text_iter_forward_to_tag_toggle (&start, tag) && gtk_text_iter_starts_tag (&start, tag)))
    {
      end = start;
      gtk_text_iter_forward_to_tag_toggle (&end, tag);
      g_autofree char *text = gtk_text_buffer_get_text (report_buffer (), &start, &end, FALSE);
      g_string_append_printf (out, "%s%s", out->len > 0 ? "|" : "", text);
      start = end;
    }
  return g_string_free (out, FALSE);
}

static char *
report_highlighted (void)
{
  return tagged ("sentence-highlight");
}

/* Pixels of the demo mark's red in the draft as drawn, below its line. */
static guint
red_below_mark (void)
{
  GtkTextView *view = lb_report_panel_get_text_view (report);
  GtkTextIter second;
  int y, height, top;
  gtk_text_buffer_get_iter_at_line (report_buffer (), &second, 1);
  gtk_text_view_get_line_yrange (view, &second, &y, &height);
  gtk_text_view_buffer_to_window_coords (view, GTK_TEXT_WINDOW_WIDGET, 0, y, NULL, &top);
  /* Once the view has drawn its new look (lb-screenshot.h). */
  g_autoptr(GdkTexture) texture = NULL;
  LB_TEST_WAIT_FOR ((texture = lb_screenshot_render (GTK_WIDGET (view), NULL)) != NULL, 10);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint8 *pixels = g_malloc ((gsize) w * h * 4);
  gdk_texture_download (texture, pixels, (gsize) w * 4);
  guint red = 0;
  for (int row = MAX (top * scale, 0); row < h; row++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = pixels + ((gsize) row * w + x) * 4; /* BGRA */
        red += p[2] > p[1] + 60 && p[2] > p[0] + 60;
      }
  return red;
}

static void
test_report_sentences (void)
{
  g_autoptr(LbGeneration) generation = new_generation ();
  const char *text = sample_text;

  /* Streamed in pieces that end mid-line and mid-word, as a model does. */
  lb_report_panel_stream_for_test (report, generation, "## Befund\n* Öd", FALSE);
  lb_report_panel_stream_for_test (report, generation, "em rechts. Zweiter Satz.\n  - **Kein** Er", FALSE);
  /* While streaming: the complete lines answer already. */
  g_assert_true (click_report_text ("Zweiter"));
  g_assert_true (report_activation.generation == generation);
  assert_span (&report_activation, offset_of (text, "Zweiter"), offset_of (text, "Satz.") + 5);

  lb_report_panel_stream_for_test (report, generation, "guss links.\r\n**Beurteilung:** Kein Nachweis.\n\n", TRUE);
  g_autofree char *draft = lb_report_panel_get_text (report);
  g_assert_cmpstr (draft, ==, LB_DEMO_OUTPUT_MARK "\nBefund\n• Ödem rechts. Zweiter Satz.\n"
                              "• Kein Erguss links.\r\nBeurteilung: Kein Nachweis.");

  /* Each sentence: bytes of the model's text, multi-byte characters and
   * the markers the draft dropped included. */
  struct { const char *click; const char *start; const char *end; } cases[] = {
    { "Befund", "## Befund", "\n* Ödem" },
    { "Ödem", "* Ödem", " Zweiter" },
    { "rechts", "* Ödem", " Zweiter" },
    { "Satz", "Zweiter", "\n  - **Kein" },
    { "Erguss", "- **Kein**", "\r\n**Beurteilung" },
    { "Nachweis", "**Beurteilung", "\n\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (click_report_text (cases[i].click));
      assert_span (&report_activation, offset_of (text, cases[i].start), offset_of (text, cases[i].end));
    }
  /* The demo mark is no sentence of the answer. */
  g_assert_true (click_report_text ("RANDOM"));
  assert_span (&report_activation, -1, -1);

  /* The highlight: bytes of the text, shown as the draft shows them. */
  lb_report_panel_highlight_sentence (report, generation, offset_of (text, "* Ödem"), offset_of (text, " Zweiter"));
  assert_marked (report_highlighted (), "• Ödem rechts.");
  lb_report_panel_highlight_sentence (report, generation, offset_of (text, "**Beurteilung"), offset_of (text, "\n\n"));
  assert_marked (report_highlighted (), "Beurteilung: Kein Nachweis.");
  /* Another generation's offsets mean nothing here. */
  g_autoptr(LbGeneration) other = new_generation ();
  lb_report_panel_highlight_sentence (report, other, 0, 5);
  assert_marked (report_highlighted (), "Beurteilung: Kein Nachweis.");
  /* The mark follows the colour scheme: stronger over a dark view. */
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (report_buffer ()), "sentence-highlight");
  AdwStyleManager *style = adw_style_manager_get_default ();
  g_autoptr(GdkRGBA) light = NULL, dark = NULL;
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_object_get (tag, "background-rgba", &light, NULL);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  g_object_get (tag, "background-rgba", &dark, NULL);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  g_assert_cmpfloat (light->alpha, >, 0.1);
  g_assert_cmpfloat (dark->alpha, >, light->alpha);

  lb_report_panel_highlight_sentence (report, NULL, -1, -1);
  assert_marked (report_highlighted (), "");

  /* Edited by the user: the offsets no longer hold, nothing answers. */
  lb_report_panel_highlight_sentence (report, generation, offset_of (text, "Zweiter"), offset_of (text, "\n  -"));
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (report_buffer (), &end);
  gtk_text_buffer_insert_interactive (report_buffer (), &end, " Ergänzt.", -1, TRUE);
  assert_marked (report_highlighted (), "");
  g_assert_false (click_report_text ("Zweiter"));
  lb_report_panel_highlight_sentence (report, generation, offset_of (text, "Zweiter"), offset_of (text, "\n  -"));
  assert_marked (report_highlighted (), "");
}

/* The demo mark stays on its line whatever sentence is highlighted: its
 * tag must not cover the line break, or GTK's layout paints the lines
 * laid out after it (not the one the highlight changed) as the mark. */
static void
test_report_mark (void)
{
  g_autoptr(LbGeneration) generation = new_generation ();
  const char *text = "The heart is enlarged. There is an opacity.\nNo effusion.\n"
                     "* Small nodule on the left.\nNo pneumothorax.";
  lb_report_panel_stream_for_test (report, generation, text, TRUE);
  struct { const char *start, *end, *shown; } cases[] = {
    { "The heart", " There", "The heart is enlarged." },
    { "There", "\nNo eff", "There is an opacity." },
    { "* Small", "\nNo pneu", "• Small nodule on the left." },
    { "No pneu", NULL, "No pneumothorax." },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 end = cases[i].end != NULL ? offset_of (text, cases[i].end) : (gint64) strlen (text);
      lb_report_panel_highlight_sentence (report, generation, offset_of (text, cases[i].start), end);
      assert_marked (report_highlighted (), cases[i].shown);
      assert_marked (tagged ("mark"), LB_DEMO_OUTPUT_MARK);
      assert_marked (tagged ("bullet"), "• Small nodule on the left.");
      assert_marked (tagged ("heading"), "");
      lb_test_spin (100);
      g_assert_cmpuint (red_below_mark (), ==, 0);
    }
  lb_report_panel_highlight_sentence (report, NULL, -1, -1);
}

/* A panel that keeps no drafts (a --screenshot run) restores none, so
 * that --generate has no edits to ask about; then one that does. */
static void
test_report_no_drafts (void)
{
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (report_buffer (), &end);
  gtk_text_buffer_insert_interactive (report_buffer (), &end, "Eigener Text.", -1, TRUE);
  lb_report_panel_set_document (report, NULL); /* writes the draft */
  lb_report_panel_set_keep_drafts (report, FALSE);
  lb_report_panel_set_document (report, document);
  g_assert_null (lb_report_panel_get_autosave_path (report));
  assert_marked (lb_report_panel_get_text (report), "");
  lb_report_panel_set_document (report, NULL);
  lb_report_panel_set_keep_drafts (report, TRUE);
  lb_report_panel_set_document (report, document);
  g_autofree char *restored = lb_report_panel_get_text (report);
  g_assert_nonnull (strstr (restored, "Eigener Text."));
}

/* A real draft of the random model: whatever it wrote, each sentence of
 * lb_generation_get_text maps to the draft. */
static void
test_report_real (void)
{
  g_settings_set_uint (settings, "report-max-tokens", 64);
  gtk_text_buffer_set_text (report_buffer (), "", 0); /* no edits to confirm replacing */
  lb_report_panel_generate (report);
  g_assert_true (lb_report_panel_get_running (report));
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 60);

  LbGeneration *generation = lb_report_panel_get_generation (report);
  const char *text = lb_generation_get_text (generation);
  g_autoptr(GArray) sentences = lb_sentences_split (text, -1);
  g_test_message ("%u sentences in %zu bytes: %s", sentences->len, strlen (text), text);

  /* Each sentence of the text shows in the draft, whatever the model wrote
   * (random pieces, U+FFFD, markers, spaces)... */
  for (guint i = 0; i < sentences->len; i++)
    {
      const LbTextSpan *span = &g_array_index (sentences, LbTextSpan, i);
      lb_report_panel_highlight_sentence (report, generation, span->start, span->end);
      g_autofree char *marked = report_highlighted ();
      g_assert_cmpstr (marked, !=, "");
    }
  /* ... and the draft still is its text: a click on the demo mark answers
   * (outside any sentence), which it would not if the draft differed from
   * what the panel reports offsets into. */
  g_assert_true (click_report_text ("RANDOM"));
  g_assert_cmpint (report_activation.start, ==, -1);
  g_settings_reset (settings, "report-max-tokens");
}

/* ---- the chat ----------------------------------------------------------------------- */

/* Where byte index of label's text is drawn, in the label's coordinates. */
static void
label_point (GtkLabel *label, int index, double *x, double *y)
{
  PangoRectangle rect;
  int layout_x, layout_y;
  pango_layout_index_to_pos (gtk_label_get_layout (label), index, &rect);
  gtk_label_get_layout_offsets (label, &layout_x, &layout_y);
  *x = layout_x + (rect.x + rect.width / 2.0) / PANGO_SCALE;
  *y = layout_y + (rect.y + rect.height / 2.0) / PANGO_SCALE;
}

/* Clicks on shown in answer index: whether the panel answered. */
static gboolean
click_answer_text (guint index, const char *shown)
{
  GtkLabel *label = lb_chat_panel_get_answer_label (chat, index);
  const char *text = gtk_label_get_text (label);
  double x, y;
  /* The second character of it (the first may be multi-byte). */
  label_point (label, g_utf8_next_char (text + offset_of (text, shown)) - text, &x, &y);
  guint before = chat_activation.count;
  lb_chat_panel_click_for_test (chat, index, x, y);
  g_assert_cmpuint (chat_activation.count, <=, before + 1);
  return chat_activation.count == before + 1;
}

/* The label's text under its background attribute ("" when none). */
static char *
answer_highlighted (guint index)
{
  GtkLabel *label = lb_chat_panel_get_answer_label (chat, index);
  PangoAttrList *attrs = gtk_label_get_attributes (label);
  if (attrs == NULL)
    return g_strdup ("");
  GSList *list = pango_attr_list_get_attributes (attrs);
  char *found = g_strdup ("");
  for (GSList *l = list; l != NULL; l = l->next)
    {
      PangoAttribute *attr = l->data;
      if (attr->klass->type == PANGO_ATTR_BACKGROUND)
        {
          g_free (found);
          found = g_strndup (gtk_label_get_text (label) + attr->start_index, attr->end_index - attr->start_index);
        }
    }
  g_slist_free_full (list, (GDestroyNotify) pango_attribute_destroy);
  return found;
}

/* Whether shown, in label, is inside the visible part of its scroller. */
static gboolean
in_view (GtkLabel *label, const char *shown, GtkAdjustment *adj)
{
  double x, y;
  graphene_point_t point;
  GtkWidget *viewport = gtk_scrolled_window_get_child (
    GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (label), GTK_TYPE_SCROLLED_WINDOW)));
  label_point (label, offset_of (gtk_label_get_text (label), shown), &x, &y);
  return gtk_widget_compute_point (GTK_WIDGET (label), viewport, &GRAPHENE_POINT_INIT (x, y), &point)
         && point.y >= 0 && point.y <= gtk_adjustment_get_page_size (adj);
}

static void
test_chat_sentences (void)
{
  lb_chat_panel_new_conversation (chat);
  g_autoptr(LbGeneration) first = new_generation ();
  g_autoptr(LbGeneration) second = new_generation ();
  const char *first_text = "Ödem rechts. Zweiter Satz.";
  /* Escaped in the label's markup, leading blank lines stripped. */
  const char *second_text = "\n## Befund\n* **Ödem** <links> & rechts.\nKein Erguss.\n";
  lb_chat_panel_add_answer_for_test (chat, first, "Wo?", first_text);
  lb_chat_panel_add_answer_for_test (chat, second, "Und?", second_text);
  lb_chat_panel_add_answer_for_test (chat, NULL, "Ohne?", "Keine Generation. Kein Satz.");
  /* More answers, so that the first is scrolled out of view. */
  for (int i = 0; i < 12; i++)
    {
      g_autoptr(LbGeneration) filler = new_generation ();
      lb_chat_panel_add_answer_for_test (chat, filler, "Noch?", "Eine Zeile.\nNoch eine Zeile.\nUnd eine dritte.");
    }
  g_assert_true (lb_chat_panel_get_answer_generation (chat, 0) == first);
  g_assert_true (lb_chat_panel_get_answer_generation (chat, 1) == second);
  g_assert_null (lb_chat_panel_get_answer_generation (chat, 2));

  /* Clicks: label coordinates → the label's text → bytes of the answer. */
  g_assert_true (click_answer_text (0, "Ödem"));
  g_assert_true (chat_activation.generation == first);
  assert_span (&chat_activation, 0, strlen ("Ödem rechts."));
  g_assert_true (click_answer_text (0, "Satz"));
  assert_span (&chat_activation, offset_of (first_text, "Zweiter"), strlen (first_text));
  g_assert_true (click_answer_text (1, "rechts"));
  g_assert_true (chat_activation.generation == second);
  assert_span (&chat_activation, offset_of (second_text, "* **Ödem"), offset_of (second_text, "\nKein"));
  g_assert_true (click_answer_text (1, "Befund"));
  g_assert_cmpint (chat_activation.start, ==, offset_of (second_text, "## Befund"));
  /* The space between two sentences, and past a line's end, is in none. */
  guint before = chat_activation.count;
  GtkLabel *label = lb_chat_panel_get_answer_label (chat, 0);
  double x, y;
  label_point (label, strlen ("Ödem rechts."), &x, &y);
  lb_chat_panel_click_for_test (chat, 0, x, y);
  g_assert_cmpuint (chat_activation.count, ==, before + 1);
  g_assert_cmpint (chat_activation.start, ==, -1);
  GtkLabel *second_label = lb_chat_panel_get_answer_label (chat, 1);
  label_point (second_label, 0, &x, &y);
  lb_chat_panel_click_for_test (chat, 1, gtk_widget_get_width (GTK_WIDGET (second_label)) - 2, y);
  g_assert_cmpint (chat_activation.start, ==, -1);
  /* An answer without a generation has nothing to link to. */
  g_assert_false (click_answer_text (2, "Satz"));

  /* The highlight, in an older answer: scrolled into view. */
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (label), GTK_TYPE_SCROLLED_WINDOW)));
  LB_TEST_WAIT_FOR (gtk_adjustment_get_upper (adj) > 2 * gtk_adjustment_get_page_size (adj), 10);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  LB_TEST_WAIT_FOR (!in_view (label, "Zweiter", adj), 10);
  double bottom = gtk_adjustment_get_value (adj);
  lb_chat_panel_highlight_sentence (chat, first, offset_of (first_text, "Zweiter"), strlen (first_text));
  assert_marked (answer_highlighted (0), "Zweiter Satz.");
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), <, bottom);
  /* Laid out again, the sentence is inside the visible part. */
  LB_TEST_WAIT_FOR (in_view (label, "Zweiter", adj), 10);

  /* One mark in the chat: another answer's takes its place. */
  lb_chat_panel_highlight_sentence (chat, second, offset_of (second_text, "* **Ödem"),
                                    offset_of (second_text, "\nKein"));
  g_autofree char *marked_second = answer_highlighted (1);
  g_autofree char *marked_first = answer_highlighted (0);
  g_assert_cmpstr (marked_second, ==, "• Ödem <links> & rechts.");
  g_assert_cmpstr (marked_first, ==, "");
  /* Unknown generations are ignored; -1 clears. */
  g_autoptr(LbGeneration) unknown = new_generation ();
  lb_chat_panel_highlight_sentence (chat, unknown, 0, 3);
  assert_marked (answer_highlighted (1), "• Ödem <links> & rechts.");
  lb_chat_panel_highlight_sentence (chat, NULL, -1, -1);
  assert_marked (answer_highlighted (1), "");
  lb_chat_panel_new_conversation (chat);
}

/* Real generations teacher-forced to known text (lb_generation_set_demo_answer):
 * the offsets are bytes of lb_generation_get_text, whatever tokens
 * carried them. */
static void
test_forced (void)
{
  /* (Not " Ö": the reference model's small vocabulary spells that space
   * as the bytes of "▁", which its text then keeps.) */
  const char *report_text = "## Befund\nÖdem rechts. Zweiter Satz.\n* Kein **Erguss** links.\n"
                            "**Beurteilung:** Kein Nachweis.";
  gtk_text_buffer_set_text (report_buffer (), "", 0);
  lb_generation_set_demo_answer (report_text);
  lb_report_panel_generate (report);
  lb_generation_set_demo_answer (NULL);
  LB_TEST_WAIT_FOR (!lb_report_panel_get_running (report), 30);
  LbGeneration *generation = lb_report_panel_get_generation (report);
  g_assert_cmpstr (lb_generation_get_text (generation), ==, report_text);
  g_assert_true (click_report_text ("rechts"));
  g_assert_true (report_activation.generation == generation);
  assert_span (&report_activation, offset_of (report_text, "Ödem"), offset_of (report_text, " Zweiter"));
  g_assert_true (click_report_text ("Erguss"));
  assert_span (&report_activation, offset_of (report_text, "* Kein"), offset_of (report_text, "\n**"));
  g_assert_true (click_report_text ("Nachweis"));
  assert_span (&report_activation, offset_of (report_text, "**Beurteilung"), strlen (report_text));
  lb_report_panel_highlight_sentence (report, generation, offset_of (report_text, "* Kein"),
                                      offset_of (report_text, "\n**"));
  assert_marked (report_highlighted (), "• Kein Erguss links.");

  /* Two answers in the chat: the first stays linkable. */
  const char *answers[] = { "Ödem rechts. Zweiter Satz.", "* Kein **Erguss** links." };
  lb_chat_panel_new_conversation (chat);
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      lb_generation_set_demo_answer (answers[i]);
      lb_chat_panel_ask (chat, "Wo?");
      lb_generation_set_demo_answer (NULL);
      LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 30);
      g_assert_cmpstr (lb_generation_get_text (lb_chat_panel_get_answer_generation (chat, i)), ==, answers[i]);
    }
  lb_test_spin (100);
  g_assert_true (lb_chat_panel_get_answer_generation (chat, 0) != lb_chat_panel_get_answer_generation (chat, 1));
  g_assert_true (click_answer_text (0, "Zweiter"));
  g_assert_true (chat_activation.generation == lb_chat_panel_get_answer_generation (chat, 0));
  assert_span (&chat_activation, offset_of (answers[0], "Zweiter"), strlen (answers[0]));
  g_assert_true (click_answer_text (1, "Erguss"));
  g_assert_true (chat_activation.generation == lb_chat_panel_get_generation (chat));
  assert_span (&chat_activation, 0, strlen (answers[1]));
  lb_chat_panel_highlight_sentence (chat, lb_chat_panel_get_answer_generation (chat, 1), 0, strlen (answers[1]));
  assert_marked (answer_highlighted (1), "• Kein Erguss links.");
  lb_chat_panel_new_conversation (chat);
}

/* The preset, from its suggestion button, for every modality; then its
 * real answer maps like any other. */
static void
test_locate_findings (void)
{
  lb_chat_panel_new_conversation (chat);
  GtkFlowBox *suggestions = lb_chat_panel_get_suggestions (chat);
  for (guint m = 0; m < LB_N_MODALITIES; m++)
    {
      lb_document_set_modality (document, m);
      GtkWidget *child = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (suggestions, 0));
      g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (child)), ==, "Locate findings");
      g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (child), LB_BOXES_LOCATE_PROMPT));
      g_assert_nonnull (gtk_flow_box_get_child_at_index (suggestions, 1)); /* the modality's questions follow */
    }
  lb_document_set_modality (document, LB_MODALITY_CHEST_XRAY);

  g_settings_set_uint (settings, "answer-max-tokens", 48);
  GtkWidget *button = gtk_flow_box_child_get_child (gtk_flow_box_get_child_at_index (suggestions, 0));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (lb_chat_panel_get_running (chat));
  g_assert_cmpuint (lb_chat_panel_get_n_answers (chat), ==, 1);
  /* Shown short; asked in full, in English; the full prompt in reach. */
  g_assert_cmpstr (lb_chat_panel_get_question (chat, 0), ==, LB_BOXES_LOCATE_PROMPT);
  GtkLabel *question = lb_chat_panel_get_question_label (chat, 0);
  g_assert_cmpstr (gtk_label_get_text (question), ==, "Locate findings");
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (question)), LB_BOXES_LOCATE_PROMPT));
  LB_TEST_WAIT_FOR (!lb_chat_panel_get_running (chat), 60);

  LbGeneration *generation = lb_chat_panel_get_generation (chat);
  g_assert_true (lb_chat_panel_get_answer_generation (chat, 0) == generation);
  const char *text = lb_generation_get_text (generation);
  g_assert_cmpstr (lb_chat_panel_get_answer (chat, 0), ==, text);
  g_autoptr(GArray) sentences = lb_sentences_split (text, -1);
  g_test_message ("%u sentences in %zu bytes: %s", sentences->len, strlen (text), text);
  /* Whatever it wrote, each sentence of it shows in the label. */
  for (guint i = 0; i < sentences->len; i++)
    {
      const LbTextSpan *span = &g_array_index (sentences, LbTextSpan, i);
      lb_chat_panel_highlight_sentence (chat, generation, span->start, span->end);
      g_autofree char *marked = answer_highlighted (0);
      g_assert_cmpstr (marked, !=, "");
    }
  g_settings_reset (settings, "answer-max-tokens");
}

/* ---- real clicks, through the X server ---------------------------------------------- */

/* Button events the windows received: a fake one is waited for, however
 * busy the machine. */
static guint buttons_seen;

static gboolean
count_buttons (GtkEventControllerLegacy *controller, GdkEvent *event, gpointer user_data)
{
  GdkEventType type = gdk_event_get_event_type (event);
  if (type == GDK_BUTTON_PRESS || type == GDK_BUTTON_RELEASE)
    buttons_seen++;
  return GDK_EVENT_PROPAGATE;
}

#ifdef GDK_WINDOWING_X11
#include <dlfcn.h>
#include <gdk/x11/gdkx.h>

/* XTest and Xlib, looked up at run time: no build dependency for a test. */
static int (*fake_button) (Display *, unsigned int, int, unsigned long);
static int (*fake_motion) (Display *, int, int, int, unsigned long);
static int (*translate_coordinates) (Display *, Window, Window, int, int, int *, int *, Window *);
static int (*fake_key) (Display *, unsigned int, int, unsigned long);
static unsigned char (*keysym_to_keycode) (Display *, unsigned long);

static gboolean
xtest_found (void)
{
  void *xtst = GDK_IS_X11_DISPLAY (gdk_display_get_default ()) ? dlopen ("libXtst.so.6", RTLD_NOW) : NULL;
  if (xtst == NULL)
    return FALSE;
  fake_button = (int (*) (Display *, unsigned int, int, unsigned long)) dlsym (xtst, "XTestFakeButtonEvent");
  fake_motion = (int (*) (Display *, int, int, int, unsigned long)) dlsym (xtst, "XTestFakeMotionEvent");
  translate_coordinates = (int (*) (Display *, Window, Window, int, int, int *, int *, Window *))
    dlsym (RTLD_DEFAULT, "XTranslateCoordinates");
  fake_key = (int (*) (Display *, unsigned int, int, unsigned long)) dlsym (xtst, "XTestFakeKeyEvent");
  keysym_to_keycode = (unsigned char (*) (Display *, unsigned long)) dlsym (RTLD_DEFAULT, "XKeysymToKeycode");
  return fake_button != NULL && fake_motion != NULL && translate_coordinates != NULL && fake_key != NULL
         && keysym_to_keycode != NULL;
}

/* Moves the pointer to x, y of widget, and lets the events arrive. */
static void
pointer_to (GtkWidget *widget, double x, double y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  Display *display = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  graphene_point_t point;
  double surface_x, surface_y;
  int origin_x, origin_y;
  Window child;
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (x, y), &point));
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  translate_coordinates (display, gdk_x11_surface_get_xid (gtk_native_get_surface (native)),
                         gdk_x11_display_get_xrootwindow (gdk_display_get_default ()), 0, 0, &origin_x, &origin_y,
                         &child);
  fake_motion (display, -1, origin_x + (int) (point.x + surface_x), origin_y + (int) (point.y + surface_y), 0);
  gdk_display_flush (gdk_display_get_default ());
  lb_test_spin (50);
}

static void
pointer_button (gboolean press)
{
  Display *display = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  guint expected = buttons_seen + 1;
  fake_button (display, 1, press, 0);
  gdk_display_flush (gdk_display_get_default ());
  LB_TEST_WAIT_FOR (buttons_seen >= expected, 10);
}

/* Alt+Return, pressed and released through the X server. */
static void
real_alt_return (void)
{
  Display *display = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  unsigned int alt = keysym_to_keycode (display, 0xffe9 /* XK_Alt_L */);
  unsigned int ret = keysym_to_keycode (display, 0xff0d /* XK_Return */);
  g_assert_cmpuint (alt, !=, 0);
  g_assert_cmpuint (ret, !=, 0);
  fake_key (display, alt, TRUE, 0);
  fake_key (display, ret, TRUE, 0);
  fake_key (display, ret, FALSE, 0);
  fake_key (display, alt, FALSE, 0);
  gdk_display_flush (gdk_display_get_default ());
}

/* A click at x, y of widget; a drag from x0, y0 to x1, y1. */
static void
real_click (GtkWidget *widget, double x, double y)
{
  pointer_to (widget, x, y);
  pointer_button (TRUE);
  pointer_button (FALSE);
}

static void
real_drag (GtkWidget *widget, double x0, double y0, double x1, double y1)
{
  pointer_to (widget, x0, y0);
  pointer_button (TRUE);
  pointer_to (widget, (x0 + x1) / 2, (y0 + y1) / 2);
  pointer_to (widget, x1, y1);
  pointer_button (FALSE);
}

/* Only window index shows (they overlap: there is no window manager). */
static void
show_only (guint index)
{
  for (guint i = 0; i < 2; i++)
    gtk_widget_set_visible (windows[i], i == index);
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (windows[index]) && !gtk_widget_get_mapped (windows[1 - index]), 10);
  lb_test_spin (100);
}

/* Past the double-click time: the next press is a new click. */
static void
pause_clicks (void)
{
  int time = 400;
  g_object_get (gtk_settings_get_default (), "gtk-double-click-time", &time, NULL);
  lb_test_spin (time + 100);
}

static void
test_real_clicks (void)
{
  if (!xtest_found ())
    {
      g_test_skip ("no X display with the XTest library: the clicks above are the panels' own handlers");
      return;
    }

  /* An answer: a click says its sentence, a drag selects and says nothing. */
  show_only (1);
  lb_chat_panel_new_conversation (chat);
  g_autoptr(LbGeneration) generation = new_generation ();
  const char *text = "Ödem rechts. Zweiter Satz. Dritter Satz hier.";
  lb_chat_panel_add_answer_for_test (chat, generation, "Wo?", text);
  GtkLabel *label = lb_chat_panel_get_answer_label (chat, 0);
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (label)) && gtk_widget_get_width (GTK_WIDGET (label)) > 100, 10);
  double x, y, x2, y2;
  guint before = chat_activation.count;
  label_point (label, offset_of (gtk_label_get_text (label), "weiter"), &x, &y);
  real_click (GTK_WIDGET (label), x, y);
  g_assert_cmpuint (chat_activation.count, ==, before + 1);
  g_assert_cmpint (chat_activation.start, ==, offset_of (text, "Zweiter"));
  pause_clicks ();
  label_point (label, offset_of (gtk_label_get_text (label), "echts"), &x2, &y2);
  label_point (label, offset_of (gtk_label_get_text (label), "ritter"), &x, &y);
  real_drag (GTK_WIDGET (label), x2, y2, x, y);
  g_assert_true (gtk_label_get_selection_bounds (label, NULL, NULL));
  g_assert_cmpuint (chat_activation.count, ==, before + 1);
  pause_clicks ();

  /* The draft: the same. */
  show_only (0);
  gtk_text_buffer_set_text (report_buffer (), "", 0);
  lb_report_panel_stream_for_test (report, generation, sample_text, TRUE);
  GtkTextView *view = lb_report_panel_get_text_view (report);
  int points[2][2];
  report_point ("Zweiter", 1, &points[0][0], &points[0][1]);
  report_point ("Erguss", 1, &points[1][0], &points[1][1]);
  before = report_activation.count;
  real_click (GTK_WIDGET (view), points[0][0], points[0][1]);
  g_assert_cmpuint (report_activation.count, ==, before + 1);
  g_assert_cmpint (report_activation.start, ==, offset_of (sample_text, "Zweiter"));
  pause_clicks ();
  real_drag (GTK_WIDGET (view), points[0][0], points[0][1], points[1][0], points[1][1]);
  g_assert_true (gtk_text_buffer_get_has_selection (report_buffer ()));
  g_assert_cmpuint (report_activation.count, ==, before + 1);

  /* The keyboard: Alt+Enter says the sentence at the text cursor and types
   * nothing into the draft. */
  GtkTextIter start, end, match;
  gtk_text_buffer_get_bounds (report_buffer (), &start, &end);
  g_autofree char *draft = gtk_text_buffer_get_text (report_buffer (), &start, &end, FALSE);
  g_assert_true (gtk_text_iter_forward_search (&start, "Erguss", 0, &match, NULL, NULL));
  gtk_text_buffer_place_cursor (report_buffer (), &match);
  gtk_widget_grab_focus (GTK_WIDGET (view));
  lb_test_spin (50);
  real_alt_return ();
  LB_TEST_WAIT_FOR (report_activation.count == before + 2, 10);
  g_assert_cmpint (report_activation.start, <=, offset_of (sample_text, "Erguss"));
  g_assert_cmpint (report_activation.start, >, offset_of (sample_text, "Zweiter"));
  g_assert_cmpint (report_activation.end, >, offset_of (sample_text, "Erguss"));
  gtk_text_buffer_get_bounds (report_buffer (), &start, &end);
  g_autofree char *after = gtk_text_buffer_get_text (report_buffer (), &start, &end, FALSE);
  g_assert_cmpstr (after, ==, draft);
  gtk_widget_set_visible (windows[1], TRUE);
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (windows[1]), 10);
}
#else
static void
test_real_clicks (void)
{
  g_test_skip ("not built with GTK's X11 backend");
}
#endif

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  lb_model_manager_load_finish (LB_MODEL_MANAGER (source), result, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_DATA_HOME", lb_test_tmpdir (), TRUE);
  if (!lb_test_gtk_init (&argc, &argv, "/app/panels/no-display"))
    return g_test_run ();
  adw_init ();

  /* The small random model on the reference backend: no GPU needed. */
  settings = g_settings_new ("org.lightbox.Lightbox");
  models = lb_model_manager_new ();
  g_autofree char *text_model = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *mmproj = lb_test_reference_path ("models/a-f32/mmproj.gguf");
  lb_model_manager_load_async (models, text_model, mmproj, LB_ENGINE_BACKEND_REF, NULL, NULL, on_loaded, NULL);
  LB_TEST_WAIT_FOR (lb_model_manager_get_state (models) == LB_MODEL_STATE_READY, 60);
  g_assert_true (lb_model_manager_get_is_test_model (models));

  g_autofree char *sample = g_build_filename (lb_demo_get_samples_dir (), "chest-xray-phantom.dcm", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (sample);
  g_autoptr(GError) error = NULL;
  document = lb_document_load (file, &error);
  g_assert_no_error (error);

  /* Each panel in a window as narrow as the main window's side panel. */
  report = g_object_new (LB_TYPE_REPORT_PANEL, NULL);
  chat = g_object_new (LB_TYPE_CHAT_PANEL, NULL);
  for (guint i = 0; i < 2; i++)
    {
      windows[i] = gtk_window_new ();
      gtk_window_set_child (GTK_WINDOW (windows[i]), i == 0 ? GTK_WIDGET (report) : GTK_WIDGET (chat));
      gtk_window_set_default_size (GTK_WINDOW (windows[i]), 400, 600);
      GtkEventController *counter = gtk_event_controller_legacy_new ();
      gtk_event_controller_set_propagation_phase (counter, GTK_PHASE_CAPTURE);
      g_signal_connect (counter, "event", G_CALLBACK (count_buttons), NULL);
      gtk_widget_add_controller (windows[i], counter);
    }
  lb_report_panel_setup (report, settings, models);
  lb_chat_panel_setup (chat, settings, models);
  lb_report_panel_set_document (report, document);
  lb_chat_panel_set_document (chat, document);
  g_signal_connect (report, "sentence-activated", G_CALLBACK (on_sentence_activated), &report_activation);
  g_signal_connect (chat, "sentence-activated", G_CALLBACK (on_sentence_activated), &chat_activation);
  for (guint i = 0; i < 2; i++)
    gtk_window_present (GTK_WINDOW (windows[i]));
  LB_TEST_WAIT_FOR (gtk_widget_get_mapped (windows[0]) && gtk_widget_get_mapped (windows[1]), 10);
  lb_test_spin (100);

  g_test_add_func ("/app/panels/map-buffer", test_map_buffer);
  g_test_add_func ("/app/panels/report-sentences", test_report_sentences);
  g_test_add_func ("/app/panels/report-mark", test_report_mark);
  g_test_add_func ("/app/panels/report-no-drafts", test_report_no_drafts);
  g_test_add_func ("/app/panels/report-real", test_report_real);
  g_test_add_func ("/app/panels/chat-sentences", test_chat_sentences);
  g_test_add_func ("/app/panels/forced", test_forced);
  g_test_add_func ("/app/panels/real-clicks", test_real_clicks);
  g_test_add_func ("/app/panels/locate-findings", test_locate_findings);
  int status = g_test_run ();

  for (guint i = 0; i < 2; i++)
    gtk_window_destroy (GTK_WINDOW (windows[i]));
  g_clear_object (&document);
  g_clear_object (&models);
  g_clear_object (&settings);
  return status;
}
