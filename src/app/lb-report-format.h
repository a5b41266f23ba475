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

/* Where the text a view shows came from (issue 9): sentences and boxes
 * are byte ranges of the model's text, the views show it formatted, the
 * markers gone. A map holds the shown text and, for each of its bytes,
 * the byte of the model's text it came from (a bullet's "• " from the
 * marker it replaced); those offsets only grow along the shown text.
 *
 * For a chat label: exactly the text of lb_report_format_markup
 * (g_strstrip (text)). For the report view: the text as
 * lb_report_format_lines leaves a buffer it was streamed into, the first
 * n_formatted_lines lines formatted (-1: all; the lines after them are
 * still as written), trimmed of trailing white space when trimmed (what
 * the panel does when the model has finished). */
typedef struct _LbReportMap LbReportMap;
LbReportMap *lb_report_map_new_for_label (const char *text);
LbReportMap *lb_report_map_new_for_buffer (const char *text, int n_formatted_lines, gboolean trimmed);
void lb_report_map_free (LbReportMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbReportMap, lb_report_map_free)

const char *lb_report_map_get_shown (const LbReportMap *map);
gsize lb_report_map_get_shown_length (const LbReportMap *map);
/* The byte of the text that shown byte came from (the text's length past
 * the end). */
gsize lb_report_map_to_text (const LbReportMap *map, gsize shown_offset);
/* The first shown byte that came from text_offset or later (the shown
 * length when none): [to_shown (start), to_shown (end)) shows the bytes
 * [start, end) of the text. */
gsize lb_report_map_to_shown (const LbReportMap *map, gsize text_offset);
/* The sentence (regions/sentences.h) of text, the text the map was made
 * from, that holds the byte shown_offset came from: bytes [*out_start,
 * *out_end) of text, or -1, -1 when none does. */
void lb_report_map_find_sentence (const LbReportMap *map, const char *text, gsize shown_offset,
                                  gint64 *out_start, gint64 *out_end);

/* The background of a highlighted sentence: the accent colour, light
 * enough under dark text (dark: false) or light text (dark: true). */
void lb_report_format_highlight_rgba (gboolean dark, GdkRGBA *out);

G_END_DECLS
