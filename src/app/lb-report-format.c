/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include "app/lb-model-manager.h"
#include "app/lb-report-format.h"
#include "regions/sentences.h"

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

/* Formats one line (length bytes, without its end) onto out; for each byte
 * it appends, sources (when not NULL) gets the offset in the whole text
 * (base + offset in the line) that the byte came from: a bullet's "• "
 * from the marker it replaces. Offsets only grow along the output, which
 * is what lets LbReportMap search them. */
static LbReportLineKind
format_line_mapped (const char *line, gsize length, gsize base, GString *out, GArray *sources)
{
  LbReportLineKind kind = LB_REPORT_LINE_TEXT;
  gsize start = out->len, first_source = sources != NULL ? sources->len : 0, marker = 0, i = 0;

  while (i < length && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i < length && line[i] == '#')
    {
      while (i < length && line[i] == '#')
        i++;
      while (i < length && line[i] == ' ')
        i++;
      kind = LB_REPORT_LINE_HEADING;
    }
  else if (i + 1 < length && (line[i] == '*' || line[i] == '-' || line[i] == '+') && line[i + 1] == ' ')
    {
      marker = base + i;
      i += 2;
      kind = LB_REPORT_LINE_BULLET;
    }

  /* Drop ** markers (the bold spans are tagged separately in a buffer). */
  for (; i < length; i++)
    {
      if (line[i] == '*' && i + 1 < length && line[i + 1] == '*')
        {
          i++;
          continue;
        }
      g_string_append_c (out, line[i]);
      if (sources != NULL)
        {
          gsize from = base + i;
          g_array_append_val (sources, from);
        }
    }
  while (out->len > start && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  if (sources != NULL)
    g_array_set_size (sources, first_source + (out->len - start));
  if (kind == LB_REPORT_LINE_TEXT && is_label_line (out->str + start))
    kind = LB_REPORT_LINE_HEADING;
  if (kind == LB_REPORT_LINE_BULLET)
    {
      static const char bullet[] = "• ";
      g_string_insert (out, start, bullet);
      if (sources != NULL)
        {
          /* "•" (three bytes) from the marker, the space from its space. */
          gsize from[] = { marker, marker, marker, marker + 1 };
          G_STATIC_ASSERT (sizeof bullet - 1 == G_N_ELEMENTS (from));
          g_array_insert_vals (sources, first_source, from, G_N_ELEMENTS (from));
        }
    }
  return kind;
}

char *
lb_report_format_line (const char *line, LbReportLineKind *kind)
{
  GString *out = g_string_new (NULL);
  *kind = format_line_mapped (line, strlen (line), 0, out, NULL);
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

/* ---- where the shown text came from ------------------------------------------- */

struct _LbReportMap
{
  GString *shown;
  GArray *sources;      /* gsize per byte of shown: its offset in the text */
  gsize text_length;
};

static LbReportMap *
report_map_new (gsize text_length)
{
  LbReportMap *map = g_new0 (LbReportMap, 1);
  map->shown = g_string_new (NULL);
  map->sources = g_array_new (FALSE, FALSE, sizeof (gsize));
  map->text_length = text_length;
  return map;
}

/* Copies bytes [start, end) of the text unchanged. */
static void
report_map_copy (LbReportMap *map, const char *text, gsize start, gsize end)
{
  g_string_append_len (map->shown, text + start, (gssize) (end - start));
  for (gsize i = start; i < end; i++)
    g_array_append_val (map->sources, i);
}

LbReportMap *
lb_report_map_new_for_label (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  /* As the chat shows an answer: g_strstrip, then lines split at '\n'
   * (lb_report_format_markup), each formatted. */
  gsize start = 0, end = strlen (text);
  LbReportMap *map = report_map_new (end);
  while (start < end && g_ascii_isspace (text[start]))
    start++;
  while (end > start && g_ascii_isspace (text[end - 1]))
    end--;
  for (gsize line = start; line <= end;)
    {
      const char *newline = memchr (text + line, '\n', end - line);
      gsize line_end = newline != NULL ? (gsize) (newline - text) : end;
      format_line_mapped (text + line, line_end - line, line, map->shown, map->sources);
      if (newline == NULL)
        break;
      report_map_copy (map, text, line_end, line_end + 1);
      line = line_end + 1;
    }
  return map;
}

LbReportMap *
lb_report_map_new_for_buffer (const char *text, int n_formatted_lines, gboolean trimmed)
{
  g_return_val_if_fail (text != NULL, NULL);

  /* Lines as a GtkTextBuffer has them: any paragraph delimiter ends one
   * ("\n", "\r\n", "\r", U+2029), the delimiter kept as written. */
  gsize length = strlen (text);
  LbReportMap *map = report_map_new (length);
  gsize line = 0;
  for (int index = 0;; index++)
    {
      int delimiter, next;
      pango_find_paragraph_boundary (text + line, (int) (length - line), &delimiter, &next);
      if (n_formatted_lines < 0 || index < n_formatted_lines)
        format_line_mapped (text + line, (gsize) delimiter, line, map->shown, map->sources);
      else
        report_map_copy (map, text, line, line + (gsize) delimiter);
      report_map_copy (map, text, line + (gsize) delimiter, line + (gsize) next);
      if ((gsize) next == length - line || next == delimiter)
        break;
      line += (gsize) next;
    }
  if (trimmed)
    {
      /* What on_generation_finished removes: trailing white space. */
      const char *end = map->shown->str + map->shown->len;
      while (end > map->shown->str)
        {
          const char *previous = g_utf8_find_prev_char (map->shown->str, end);
          if (previous == NULL || !g_unichar_isspace (g_utf8_get_char (previous)))
            break;
          end = previous;
        }
      gsize kept = (gsize) (end - map->shown->str);
      g_string_truncate (map->shown, kept);
      g_array_set_size (map->sources, kept);
    }
  return map;
}

void
lb_report_map_free (LbReportMap *map)
{
  if (map == NULL)
    return;
  g_string_free (map->shown, TRUE);
  g_array_unref (map->sources);
  g_free (map);
}

const char *
lb_report_map_get_shown (const LbReportMap *map)
{
  g_return_val_if_fail (map != NULL, NULL);
  return map->shown->str;
}

gsize
lb_report_map_get_shown_length (const LbReportMap *map)
{
  g_return_val_if_fail (map != NULL, 0);
  return map->shown->len;
}

gsize
lb_report_map_to_text (const LbReportMap *map, gsize shown_offset)
{
  g_return_val_if_fail (map != NULL, 0);
  if (shown_offset >= map->sources->len)
    return map->text_length;
  return g_array_index (map->sources, gsize, shown_offset);
}

gsize
lb_report_map_to_shown (const LbReportMap *map, gsize text_offset)
{
  g_return_val_if_fail (map != NULL, 0);
  /* The first shown byte that came from text_offset or later. */
  gsize low = 0, high = map->sources->len;
  while (low < high)
    {
      gsize middle = low + (high - low) / 2;
      if (g_array_index (map->sources, gsize, middle) < text_offset)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

void
lb_report_map_find_sentence (const LbReportMap *map, const char *text, gsize shown_offset, gint64 *out_start,
                             gint64 *out_end)
{
  g_return_if_fail (map != NULL && text != NULL && out_start != NULL && out_end != NULL);
  *out_start = *out_end = -1;
  if (shown_offset >= map->shown->len)
    return;
  g_autoptr(GArray) sentences = lb_sentences_split (text, (gssize) map->text_length);
  int index = lb_sentences_find (sentences, lb_report_map_to_text (map, shown_offset));
  if (index < 0)
    return;
  *out_start = (gint64) g_array_index (sentences, LbTextSpan, index).start;
  *out_end = (gint64) g_array_index (sentences, LbTextSpan, index).end;
}

void
lb_report_format_highlight_rgba (gboolean dark, GdkRGBA *out)
{
  g_return_if_fail (out != NULL);
  /* libadwaita's accent background (#3584e4), translucent over the view. */
  *out = (GdkRGBA) { 0x35 / 255.0f, 0x84 / 255.0f, 0xe4 / 255.0f, dark ? 0.45f : 0.25f };
}
