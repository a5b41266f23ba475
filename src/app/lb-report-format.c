/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include "app/lb-model-manager.h"
#include "app/lb-report-format.h"

void
lb_report_format_setup (GtkTextBuffer *buffer)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);
  if (gtk_text_tag_table_lookup (table, "heading") != NULL)
    return;
  gtk_text_buffer_create_tag (buffer, "heading", "weight", PANGO_WEIGHT_BOLD, "scale", 1.15,
                              "pixels-above-lines", 10, "pixels-below-lines", 2, NULL);
  gtk_text_buffer_create_tag (buffer, "bullet", "left-margin", 16, "indent", -12, NULL);
  gtk_text_buffer_create_tag (buffer, "bold", "weight", PANGO_WEIGHT_BOLD, NULL);
  /* The demo mark: loud, and never taken for part of a real report. */
  gtk_text_buffer_create_tag (buffer, "mark", "weight", PANGO_WEIGHT_BOLD, "foreground", "#c01c28",
                              "pixels-below-lines", 6, NULL);
}

/* A line that is only a short label followed by a colon, like "Findings:". */
static gboolean
is_label_line (const char *text)
{
  gsize n = strlen (text);
  if (n < 2 || n > 40 || text[n - 1] != ':')
    return FALSE;
  /* A sentence ending in a colon has several words and lower-case starts. */
  guint words = 1;
  for (const char *p = text; *p; p++)
    if (*p == ' ')
      words++;
  return words <= 4 && g_unichar_isupper (g_utf8_get_char (text));
}

char *
lb_report_format_line (const char *line, LbReportLineKind *kind)
{
  const char *p = line;
  *kind = LB_REPORT_LINE_TEXT;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '#')
    {
      while (*p == '#')
        p++;
      while (*p == ' ')
        p++;
      *kind = LB_REPORT_LINE_HEADING;
    }
  else if ((p[0] == '*' || p[0] == '-' || p[0] == '+') && p[1] == ' ')
    {
      p += 2;
      *kind = LB_REPORT_LINE_BULLET;
    }

  /* Drop ** markers (the bold spans are tagged separately in a buffer). */
  GString *out = g_string_new (NULL);
  for (const char *q = p; *q; q++)
    {
      if (q[0] == '*' && q[1] == '*')
        {
          q++;
          continue;
        }
      g_string_append_c (out, *q);
    }
  g_strchomp (out->str);
  out->len = strlen (out->str);
  if (*kind == LB_REPORT_LINE_TEXT && is_label_line (out->str))
    *kind = LB_REPORT_LINE_HEADING;
  if (*kind == LB_REPORT_LINE_BULLET)
    g_string_prepend (out, "• ");
  return g_string_free (out, FALSE);
}

static void
format_line (GtkTextBuffer *buffer, int line)
{
  GtkTextIter start, end;
  if (!gtk_text_buffer_get_iter_at_line (buffer, &start, line))
    return;
  end = start;
  if (!gtk_text_iter_ends_line (&end))
    gtk_text_iter_forward_to_line_end (&end);
  g_autofree char *text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  if (*text == '\0')
    return;
  if (strcmp (text, LB_DEMO_OUTPUT_MARK) == 0)
    {
      gtk_text_buffer_apply_tag_by_name (buffer, "mark", &start, &end);
      return;
    }

  /* Where the bold spans are, in the line as it will be after the
   * markers are dropped (byte offsets of the output). */
  LbReportLineKind kind;
  g_autofree char *formatted = lb_report_format_line (text, &kind);
  g_autoptr(GArray) bold = g_array_new (FALSE, FALSE, sizeof (int));
  {
    const char *p = text;
    int offset = 0;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '#')
      {
        while (*p == '#')
          p++;
        while (*p == ' ')
          p++;
      }
    else if ((p[0] == '*' || p[0] == '-' || p[0] == '+') && p[1] == ' ')
      {
        p += 2;
        offset = strlen ("• ");
      }
    for (; *p; p++)
      {
        if (p[0] == '*' && p[1] == '*')
          {
            g_array_append_val (bold, offset);
            p++;
            continue;
          }
        offset++;
      }
  }

  if (strcmp (formatted, text) != 0)
    {
      gtk_text_buffer_delete (buffer, &start, &end);
      gtk_text_buffer_get_iter_at_line (buffer, &start, line);
      gtk_text_buffer_insert (buffer, &start, formatted, -1);
      gtk_text_buffer_get_iter_at_line (buffer, &start, line);
      end = start;
      if (!gtk_text_iter_ends_line (&end))
        gtk_text_iter_forward_to_line_end (&end);
    }
  if (kind == LB_REPORT_LINE_HEADING)
    gtk_text_buffer_apply_tag_by_name (buffer, "heading", &start, &end);
  else if (kind == LB_REPORT_LINE_BULLET)
    gtk_text_buffer_apply_tag_by_name (buffer, "bullet", &start, &end);
  int length = (int) strlen (formatted);
  for (guint i = 0; i + 1 < bold->len; i += 2)
    {
      GtkTextIter a = start, b = start;
      gtk_text_iter_set_line_index (&a, MIN (g_array_index (bold, int, i), length));
      gtk_text_iter_set_line_index (&b, MIN (g_array_index (bold, int, i + 1), length));
      gtk_text_buffer_apply_tag_by_name (buffer, "bold", &a, &b);
    }
}

void
lb_report_format_lines (GtkTextBuffer *buffer, int first_line, int last_line)
{
  g_return_if_fail (GTK_IS_TEXT_BUFFER (buffer));
  lb_report_format_setup (buffer);
  for (int line = first_line; line <= last_line; line++)
    format_line (buffer, line);
}

char *
lb_report_format_markup (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  GString *out = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      LbReportLineKind kind;
      g_autofree char *line = lb_report_format_line (lines[i], &kind);
      g_autofree char *escaped = g_markup_escape_text (line, -1);
      if (i > 0)
        g_string_append_c (out, '\n');
      if (kind == LB_REPORT_LINE_HEADING)
        g_string_append_printf (out, "<b>%s</b>", escaped);
      else
        g_string_append (out, escaped);
    }
  return g_string_free (out, FALSE);
}
