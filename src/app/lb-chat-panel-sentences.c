/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbChatPanel's sentences (issue 9): a click on an answer becomes bytes
 * of its generation's text ("sentence-activated"), and bytes of it a
 * background in the answer's label, through the map of what the
 * formatting changed (lb-report-format.h). Each answer keeps its
 * generation, so older answers stay linkable.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>
#include <string.h>

#include "app/lb-chat-panel-private.h"
#include "app/lb-report-format.h"
#include "app/lb-text-click.h"

/* How answer's label shows its text, while it shows the text (not "…" or
 * "(no answer)"), else NULL. */
static LbReportMap *
answer_map (Answer *answer)
{
  if (answer->generation == NULL)
    return NULL;
  g_autoptr(LbReportMap) map = lb_report_map_new_for_label (answer->plain);
  if (lb_report_map_get_shown_length (map) == 0
      || strcmp (gtk_label_get_text (answer->text), lb_report_map_get_shown (map)) != 0)
    return NULL;
  return g_steal_pointer (&map);
}

/* Scrolls bytes [from, to) of answer's label into view, if it is laid out. */
static void
scroll_to_range (LbChatPanel *self, Answer *answer, gsize from, gsize to)
{
  PangoLayout *layout = gtk_label_get_layout (answer->text);
  const char *text = pango_layout_get_text (layout);
  const char *last = g_utf8_find_prev_char (text, text + MAX (to, from + 1));
  PangoRectangle first_rect, last_rect;
  int layout_x, layout_y;
  pango_layout_index_to_pos (layout, (int) from, &first_rect);
  pango_layout_index_to_pos (layout, last != NULL ? (int) (last - text) : (int) from, &last_rect);
  gtk_label_get_layout_offsets (answer->text, &layout_x, &layout_y);

  /* In the scrolled content's coordinates: those of the adjustment. */
  GtkWidget *content = gtk_widget_get_parent (GTK_WIDGET (self->messages));
  float first_y = layout_y + (float) first_rect.y / PANGO_SCALE;
  float last_y = layout_y + (float) (last_rect.y + last_rect.height) / PANGO_SCALE;
  graphene_point_t top, bottom;
  if (!gtk_widget_compute_point (GTK_WIDGET (answer->text), content, &GRAPHENE_POINT_INIT (0, first_y), &top)
      || !gtk_widget_compute_point (GTK_WIDGET (answer->text), content, &GRAPHENE_POINT_INIT (0, last_y), &bottom))
    return;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  double value = gtk_adjustment_get_value (adj), page = gtk_adjustment_get_page_size (adj);
  const double margin = 12;
  if (top.y < value)
    gtk_adjustment_set_value (adj, top.y - margin);
  else if (bottom.y > value + page)
    gtk_adjustment_set_value (adj, MIN (bottom.y + margin - page, top.y - margin));
}

static void
clear_highlight (LbChatPanel *self)
{
  if (self->highlighted >= 0 && (guint) self->highlighted < self->answers->len)
    {
      Answer *answer = &g_array_index (self->answers, Answer, self->highlighted);
      gtk_label_set_attributes (answer->text, NULL);
      gtk_widget_remove_css_class (answer->bubble, "sentence-highlighted");
    }
  self->highlighted = -1;
  self->highlight_start = self->highlight_end = -1;
}

/* Marks highlight_start..end in the highlighted answer: a background
 * attribute, which leaves the user's selection alone. */
void
lb_chat_panel_apply_highlight (LbChatPanel *self, gboolean scroll)
{
  if (self->highlighted < 0)
    return;
  Answer *answer = &g_array_index (self->answers, Answer, self->highlighted);
  g_autoptr(LbReportMap) map = answer_map (answer);
  if (map == NULL || (gsize) self->highlight_end > strlen (answer->plain))
    {
      gtk_label_set_attributes (answer->text, NULL);
      gtk_widget_remove_css_class (answer->bubble, "sentence-highlighted");
      return;
    }
  guint from = (guint) lb_report_map_to_shown (map, (gsize) self->highlight_start);
  guint to = (guint) lb_report_map_to_shown (map, (gsize) self->highlight_end);
  GdkRGBA colour;
  lb_report_format_highlight_rgba (adw_style_manager_get_dark (adw_style_manager_get_default ()), &colour);
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
  PangoAttribute *background = pango_attr_background_new ((guint16) (colour.red * 65535),
                                                          (guint16) (colour.green * 65535),
                                                          (guint16) (colour.blue * 65535));
  PangoAttribute *alpha = pango_attr_background_alpha_new ((guint16) (colour.alpha * 65535));
  background->start_index = alpha->start_index = from;
  background->end_index = alpha->end_index = to;
  pango_attr_list_insert (attrs, background);
  pango_attr_list_insert (attrs, alpha);
  gtk_label_set_attributes (answer->text, attrs);
  gtk_widget_add_css_class (answer->bubble, "sentence-highlighted");
  if (scroll)
    scroll_to_range (self, answer, from, to);
}

static void
on_dark_changed (LbChatPanel *self)
{
  lb_chat_panel_apply_highlight (self, FALSE);
}

void
lb_chat_panel_highlight_sentence (LbChatPanel *self, LbGeneration *generation, gssize start, gssize end)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));

  if (start < 0)
    {
      clear_highlight (self);
      return;
    }
  if (generation == NULL || end <= start)
    return;
  for (guint i = self->answers->len; i-- > 0;)
    if (g_array_index (self->answers, Answer, i).generation == generation)
      {
        clear_highlight (self);
        self->highlighted = (int) i;
        self->highlight_start = start;
        self->highlight_end = end;
        lb_chat_panel_apply_highlight (self, TRUE);
        return;
      }
}

LbGeneration *
lb_chat_panel_get_answer_generation (LbChatPanel *self, guint index)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  g_return_val_if_fail (index < self->answers->len, NULL);
  return g_array_index (self->answers, Answer, index).generation;
}

/* Emits "sentence-activated" for a click at x, y of answer index's label
 * (its coordinates). */
static void
activate_at_point (LbChatPanel *self, guint index, double x, double y)
{
  Answer *answer = &g_array_index (self->answers, Answer, index);
  g_autoptr(LbReportMap) map = answer_map (answer);
  if (map == NULL)
    return;

  /* The label's layout holds its text, the markup gone: the shown text. */
  int layout_x, layout_y, shown_byte, trailing;
  gint64 start = -1, end = -1;
  gtk_label_get_layout_offsets (answer->text, &layout_x, &layout_y);
  if (pango_layout_xy_to_index (gtk_label_get_layout (answer->text), (int) lround ((x - layout_x) * PANGO_SCALE),
                                (int) lround ((y - layout_y) * PANGO_SCALE), &shown_byte, &trailing))
    lb_report_map_find_sentence (map, answer->plain, (gsize) shown_byte, &start, &end);
  g_autoptr(LbGeneration) generation = g_object_ref (answer->generation);
  g_signal_emit (self, lb_chat_panel_signals[SENTENCE_ACTIVATED], 0, generation, start, end);
}

static void
on_click (GtkWidget *label, double x, double y, gpointer user_data)
{
  LbChatPanel *self = LB_CHAT_PANEL (user_data);
  for (guint i = 0; i < self->answers->len; i++)
    if (GTK_WIDGET (g_array_index (self->answers, Answer, i).text) == label)
      {
        activate_at_point (self, i, x, y);
        return;
      }
}

void
lb_chat_panel_watch_answer (LbChatPanel *self, GtkLabel *label)
{
  lb_text_click_watch (GTK_WIDGET (label), on_click, self);
}

void
lb_chat_panel_init_sentences (LbChatPanel *self)
{
  self->highlighted = -1;
  self->highlight_start = self->highlight_end = -1;
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (on_dark_changed),
                           self, G_CONNECT_SWAPPED);
}

void
lb_chat_panel_click_for_test (LbChatPanel *self, guint index, double x, double y)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  g_return_if_fail (index < self->answers->len);
  activate_at_point (self, index, x, y);
}
