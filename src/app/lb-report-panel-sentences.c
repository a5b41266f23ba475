/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbReportPanel's sentences (issue 9): a click on the draft becomes bytes
 * of the generation's text ("sentence-activated"), and bytes of it a
 * mark in the draft, through the map of what the formatting changed
 * (lb-report-format.h), for as long as the draft still is what the model
 * wrote.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include "app/lb-report-format.h"
#include "app/lb-report-panel-private.h"
#include "app/lb-text-click.h"

/* How the draft shows the answer, while the draft still is the answer as
 * the panel wrote it (not after the user edited it): NULL otherwise.
 * Cheap enough to build on each click: a report is a few kilobytes. */
static LbReportMap *
draft_map (LbReportPanel *self, glong *out_prefix_chars)
{
  if (self->generation == NULL || self->loading || self->prefix == NULL)
    return NULL;
  int n_formatted = self->streaming ? MAX (self->format_from_line - self->prefix_lines, 0) : -1;
  g_autoptr(LbReportMap) map = lb_report_map_new_for_buffer (self->answer->str, n_formatted, !self->streaming);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (self->report_view), &start, &end);
  g_autofree char *text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (self->report_view), &start, &end, FALSE);
  gsize prefix_length = strlen (self->prefix);
  if (!g_str_has_prefix (text, self->prefix)
      || strcmp (text + prefix_length, lb_report_map_get_shown (map)) != 0)
    return NULL;
  *out_prefix_chars = g_utf8_strlen (self->prefix, -1);
  return g_steal_pointer (&map);
}

/* Marks highlight_start..end in the draft (or nothing when the draft is
 * no longer the answer). */
void
lb_report_panel_apply_highlight (LbReportPanel *self, gboolean scroll)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->report_view);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag (buffer, self->sentence_tag, &start, &end);
  if (self->highlight_start < 0)
    return;

  glong prefix = 0;
  g_autoptr(LbReportMap) map = draft_map (self, &prefix);
  if (map == NULL || (gsize) self->highlight_end > self->answer->len)
    {
      self->highlight_start = self->highlight_end = -1;
      return;
    }
  /* Bytes of the answer → bytes of the shown text → characters of the buffer. */
  const char *shown = lb_report_map_get_shown (map);
  gsize from = lb_report_map_to_shown (map, (gsize) self->highlight_start);
  gsize to = lb_report_map_to_shown (map, (gsize) self->highlight_end);
  gtk_text_buffer_get_iter_at_offset (buffer, &start, (int) (prefix + g_utf8_pointer_to_offset (shown, shown + from)));
  gtk_text_buffer_get_iter_at_offset (buffer, &end, (int) (prefix + g_utf8_pointer_to_offset (shown, shown + to)));
  gtk_text_buffer_apply_tag (buffer, self->sentence_tag, &start, &end);
  if (scroll)
    {
      GtkTextMark *mark = gtk_text_buffer_get_mark (buffer, "sentence");
      if (mark == NULL)
        mark = gtk_text_buffer_create_mark (buffer, "sentence", &start, TRUE);
      gtk_text_buffer_move_mark (buffer, mark, &start);
      gtk_text_view_scroll_to_mark (self->report_view, mark, 0.1, FALSE, 0, 0);
    }
}

void
lb_report_panel_highlight_sentence (LbReportPanel *self, LbGeneration *generation, gssize start, gssize end)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));

  if (start < 0)
    {
      self->highlight_start = self->highlight_end = -1;
      lb_report_panel_apply_highlight (self, FALSE);
      return;
    }
  if (generation == NULL || generation != self->generation || end <= start)
    return;
  self->highlight_start = start;
  self->highlight_end = end;
  lb_report_panel_apply_highlight (self, TRUE);
}

/* Emits "sentence-activated" for the character at offset of the buffer
 * (-1: not on any text). */
static void
activate_at_offset (LbReportPanel *self, int offset)
{
  glong prefix = 0;
  g_autoptr(LbReportMap) map = draft_map (self, &prefix);
  if (map == NULL)
    return;

  gint64 start = -1, end = -1;
  const char *shown = lb_report_map_get_shown (map);
  if (offset >= prefix && offset - prefix < g_utf8_strlen (shown, -1))
    lb_report_map_find_sentence (map, self->answer->str,
                                 (gsize) (g_utf8_offset_to_pointer (shown, offset - prefix) - shown), &start, &end);
  g_autoptr(LbGeneration) generation = g_object_ref (self->generation);
  g_signal_emit (self, lb_report_panel_signals[SENTENCE_ACTIVATED], 0, generation, start, end);
}

/* A click at x, y of the text view (its own coordinates). */
static void
activate_at_point (LbReportPanel *self, double x, double y)
{
  int buffer_x, buffer_y;
  GtkTextIter iter;
  gtk_text_view_window_to_buffer_coords (self->report_view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y,
                                         &buffer_x, &buffer_y);
  if (gtk_text_view_get_iter_at_location (self->report_view, &iter, buffer_x, buffer_y))
    activate_at_offset (self, gtk_text_iter_get_offset (&iter));
  else
    activate_at_offset (self, -1);
}

/* The keyboard's way to a click (report.sentence-regions, Alt+Enter):
 * the sentence at the text cursor. */
void
lb_report_panel_activate_cursor_sentence (LbReportPanel *self)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->report_view);
  GtkTextIter cursor;
  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  activate_at_offset (self, gtk_text_iter_get_offset (&cursor));
}

static void
update_highlight_colour (LbReportPanel *self)
{
  GdkRGBA colour;
  lb_report_format_highlight_rgba (adw_style_manager_get_dark (adw_style_manager_get_default ()), &colour);
  g_object_set (self->sentence_tag, "background-rgba", &colour, NULL);
}

static void
on_dark_changed (AdwStyleManager *manager, GParamSpec *pspec, LbReportPanel *self)
{
  update_highlight_colour (self);
}

static void
on_click (GtkWidget *view, double x, double y, gpointer user_data)
{
  activate_at_point (LB_REPORT_PANEL (user_data), x, y);
}

void
lb_report_panel_init_sentences (LbReportPanel *self)
{
  self->highlight_start = self->highlight_end = -1;
  self->sentence_tag = gtk_text_buffer_create_tag (gtk_text_view_get_buffer (self->report_view),
                                                   "sentence-highlight", NULL);
  update_highlight_colour (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (on_dark_changed),
                           self, 0);
  lb_text_click_watch (GTK_WIDGET (self->report_view), on_click, self);

  /* Alt+Enter: on the text view itself, before it (it would type a line
   * break otherwise). */
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  GtkShortcutTrigger *trigger = gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_ALT_MASK),
                                                             gtk_keyval_trigger_new (GDK_KEY_KP_Enter, GDK_ALT_MASK));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (trigger, gtk_named_action_new ("report.sentence-regions")));
  gtk_widget_add_controller (GTK_WIDGET (self->report_view), shortcuts);
}

void
lb_report_panel_click_for_test (LbReportPanel *self, double x, double y)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  activate_at_point (self, x, y);
}
