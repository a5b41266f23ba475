/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Light formatting of the model's Markdown-ish text in a GtkTextBuffer:
 * "#"/"##" lines and short lines ending in ':' ("Findings:", "**Impression:**")
 * become headings, "* " and "- " items become indented bullets ("•"), and
 * **bold** spans become bold. The markers are removed, so the buffer's
 * plain text is what a report needs. Lines are formatted once, when they
 * are complete; the user's later edits are left alone.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Creates the tags ("heading", "bullet", "bold", "mark") once per buffer. */
void lb_report_format_setup (GtkTextBuffer *buffer);

/* Formats lines first_line..last_line (inclusive). */
void lb_report_format_lines (GtkTextBuffer *buffer, int first_line, int last_line);

/* Formats one line of plain text the same way, without a buffer: returns
 * the text without markers and what kind of line it is (for tests and
 * the chat's labels). */
typedef enum {
  LB_REPORT_LINE_TEXT,
  LB_REPORT_LINE_HEADING,
  LB_REPORT_LINE_BULLET,
} LbReportLineKind;
char *lb_report_format_line (const char *line, LbReportLineKind *kind);

/* Pango markup for a whole answer (the chat shows answers in labels). */
char *lb_report_format_markup (const char *text);

G_END_DECLS
