/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <string.h>

#include "regions/sentences.h"

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Whether a bare JSON list of objects starts at i: '[' then '{'. */
static gboolean
json_list_starts (const char *text, gsize length, gsize i)
{
  if (text[i] != '[')
    return FALSE;
  for (i++; i < length && is_space (text[i]); i++)
    ;
  return i < length && text[i] == '{';
}

/* Whether a bare box object starts at i: '{' then "box_2d". */
static gboolean
json_box_starts (const char *text, gsize length, gsize i)
{
  if (text[i] != '{')
    return FALSE;
  for (i++; i < length && is_space (text[i]); i++)
    ;
  return i + 8 <= length && strncmp (text + i, "\"box_2d\"", 8) == 0;
}

/* The end of the JSON value starting at i (after its closing bracket), or
 * length when it is not closed; strings are skipped whole. */
static gsize
json_skip (const char *text, gsize length, gsize i)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (; i < length; i++)
    {
      char c = text[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        depth++;
      else if ((c == ']' || c == '}') && depth > 0 && --depth == 0)
        return i + 1;
    }
  return length;
}

static void
add_sentence (GArray *out, const char *text, gsize start, gsize end)
{
  gboolean has_word = FALSE;

  while (start < end && is_space (text[start]))
    start++;
  while (end > start && is_space (text[end - 1]))
    end--;
  for (gsize i = start; i < end && !has_word; i++)
    has_word = g_ascii_isalnum (text[i]) || (guchar) text[i] >= 0x80;
  if (has_word)
    {
      LbTextSpan span = { start, end };
      g_array_append_val (out, span);
    }
}

GArray *
lb_sentences_split (const char *text, gssize length)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (LbTextSpan));
  gsize n, start = 0, i = 0;

  g_return_val_if_fail (text != NULL || length == 0, out);
  n = length < 0 ? strlen (text) : (gsize) length;

  while (i < n)
    {
      char c = text[i];

      if (c == '`' && i + 2 < n && text[i + 1] == '`' && text[i + 2] == '`')
        {
          const char *close;
          add_sentence (out, text, start, i);
          close = g_strstr_len (text + i + 3, (gssize) (n - i - 3), "```");
          i = close != NULL ? (gsize) (close - text) + 3 : n;
          start = i;
        }
      else if (json_list_starts (text, n, i) || json_box_starts (text, n, i))
        {
          add_sentence (out, text, start, i);
          i = json_skip (text, n, i);
          start = i;
        }
      else if (c == '\n')
        {
          add_sentence (out, text, start, i);
          start = ++i;
        }
      else if (c == '.' || c == '!' || c == '?')
        {
          gsize j = i + 1;
          /* Closing quotes and brackets stay with their sentence. */
          while (j < n && (text[j] == '"' || text[j] == '\'' || text[j] == ')' || text[j] == ']'))
            j++;
          if (j == n || is_space (text[j]))
            {
              add_sentence (out, text, start, j);
              start = j;
            }
          i = j;
        }
      else
        i++;
    }
  add_sentence (out, text, start, n);
  return out;
}

int
lb_sentences_find (const GArray *sentences, gsize offset)
{
  for (guint i = 0; i < sentences->len; i++)
    {
      const LbTextSpan *s = &g_array_index (sentences, LbTextSpan, i);
      if (offset >= s->start && offset < s->end)
        return (int) i;
    }
  return -1;
}

gboolean
lb_sentences_token_range (const gsize *text_ends, guint n_tokens, gsize start, gsize end,
                          guint *out_first, guint *out_n)
{
  guint first = 0, last;

  while (first < n_tokens && text_ends[first] <= start)
    first++;
  if (first == n_tokens || end <= start)
    return FALSE;
  last = first;
  while (last + 1 < n_tokens && text_ends[last] < end)
    last++;
  *out_first = first;
  *out_n = last - first + 1;
  return TRUE;
}
