/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Clicks on text the user can also select (issue 9: sentences of the
 * report and of the chat's answers are clickable). A GtkTextView and a
 * selectable GtkLabel claim the pointer for their cursor and selection,
 * which denies any gesture of ours the release; so the raw events are
 * watched in the capture phase instead, without taking them. A click is a
 * primary press and release on the widget that moved no more than the
 * drag threshold and left no selection: selecting text stays selecting
 * text, and a double click (which selects a word) counts once, for its
 * first click.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* x, y: where the click was, in the widget's coordinates. */
typedef void (*LbTextClickFunc) (GtkWidget *widget, double x, double y, gpointer user_data);

/* Calls func for each click on widget (a GtkTextView or a GtkLabel), for
 * as long as the widget lives. */
void lb_text_click_watch (GtkWidget *widget, LbTextClickFunc func, gpointer user_data);

G_END_DECLS
