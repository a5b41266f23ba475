/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The boxes of boxes.h: finding the lists and objects in the text (fenced
 * blocks or bare), turning each complete object into a box or a note, and
 * linking each box to its sentence. The JSON itself is read by
 * boxes-json.c.
 */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "imaging/display.h"
#include "regions/boxes-json.h"
#include "regions/boxes.h"
#include "regions/sentences.h"

/* ---- boxes ------------------------------------------------------------------------------- */

typedef struct {
  const char *text;
  gsize length;
  LbBoxList *list;
} Parser;

static void
note (Parser *p, gsize offset, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
note (Parser *p, gsize offset, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (p->list->notes, g_strdup_printf ("byte %" G_GSIZE_FORMAT ": %s", offset, message));
}

static void
box_clear (gpointer data)
{
  LbBox *box = data;
  g_free (box->label);
}

/* Turns one complete list item into a box, or notes why not. */
static void
add_box (Parser *p, const Value *item, gsize start, gsize end)
{
  const Value *coords, *label;
  double v[4], full;
  LbBox box = { 0 };
  gboolean clamped = FALSE;

  if (item->kind != VALUE_OBJECT)
    {
      note (p, start, "skipped a list item that is not an object");
      return;
    }
  coords = lb_boxes_json_object_member (item, "box_2d");
  if (coords == NULL)
    {
      note (p, start, "skipped an object without \"box_2d\"");
      return;
    }
  if (coords->kind != VALUE_ARRAY || coords->items->len != 4)
    {
      note (p, start, "skipped a box: \"box_2d\" must be a list of four numbers [y0, x0, y1, x1]");
      return;
    }
  for (guint k = 0; k < 4; k++)
    {
      const Value *n = g_ptr_array_index (coords->items, k);
      if (n->kind != VALUE_NUMBER)
        {
          note (p, start, "skipped a box: \"box_2d\" must be a list of four numbers [y0, x0, y1, x1]");
          return;
        }
      v[k] = n->number;
    }

  box.scale = MAX (MAX (v[0], v[1]), MAX (v[2], v[3])) <= 1.0 ? LB_BOX_SCALE_UNIT : LB_BOX_SCALE_1000;
  full = box.scale == LB_BOX_SCALE_UNIT ? 1.0 : 1000.0;
  for (guint k = 0; k < 4; k++)
    {
      double c = CLAMP (v[k], 0.0, full);
      clamped |= c != v[k];
      v[k] = c / full;
    }
  if (clamped)
    note (p, start, "box coordinates outside 0–%g were clamped", full);
  if (v[0] > v[2] || v[1] > v[3])
    note (p, start, "box corners given in reverse order were swapped");
  box.top = MIN (v[0], v[2]);
  box.bottom = MAX (v[0], v[2]);
  box.left = MIN (v[1], v[3]);
  box.right = MAX (v[1], v[3]);
  if (box.bottom <= box.top || box.right <= box.left)
    {
      note (p, start, "skipped an empty box");
      return;
    }
  label = lb_boxes_json_object_member (item, "label");
  box.label = g_strdup (label != NULL && label->kind == VALUE_STRING ? label->string : "");
  box.text_start = start;
  box.text_end = end;
  box.sentence_start = box.sentence_end = -1;
  g_array_append_val (p->list->boxes, box);
}

/* Reads a list at r->pos item by item, so that the items complete so far
 * count while the rest streams in. Returns where scanning continues. */
static gsize
parse_list (Parser *p, gsize start, gsize end)
{
  Reader r = { p->text, end, start, NULL };
  gboolean closed = FALSE;

  r.pos++;
  lb_boxes_json_skip_space (&r);
  if (r.pos < end && p->text[r.pos] == ']')
    return r.pos + 1;
  while (!closed)
    {
      g_autoptr(Value) item = NULL;
      ReadStatus status;
      gsize item_start;

      lb_boxes_json_skip_space (&r);
      item_start = r.pos;
      status = lb_boxes_json_read_value (&r, 1, &item);
      if (status == READ_OK)
        {
          add_box (p, item, item_start, r.pos);
          status = lb_boxes_json_read_separator (&r, ']', &closed);
        }
      if (status == READ_MORE)
        {
          p->list->complete = FALSE;
          return end;
        }
      if (status == READ_BAD)
        {
          note (p, r.pos, "malformed JSON (%s); the rest of this list was skipped", r.problem);
          /* Scanning goes on where it broke: a box object there still counts. */
          return MAX (r.pos, start + 1);
        }
    }
  return r.pos;
}

/* One object on its own (not in a list). */
static gsize
parse_object (Parser *p, gsize start, gsize end)
{
  Reader r = { p->text, end, start, NULL };
  g_autoptr(Value) item = NULL;

  switch (lb_boxes_json_read_value (&r, 1, &item))
    {
    case READ_OK:
      add_box (p, item, start, r.pos);
      return r.pos;
    case READ_MORE:
      p->list->complete = FALSE;
      return end;
    case READ_BAD:
    default:
      note (p, r.pos, "malformed JSON (%s)", r.problem);
      return MAX (r.pos, start + 1);
    }
}

/* The JSON inside a fenced block [start, end): lists and objects. */
static void
parse_block (Parser *p, gsize start, gsize end)
{
  gsize i = start;

  while (i < end)
    {
      char c = p->text[i];
      if (c == '[')
        i = parse_list (p, i, end);
      else if (c == '{')
        i = parse_object (p, i, end);
      else if (is_space (c) || c == ',')
        i++;
      else
        {
          /* The start of the closing fence of a block still streaming. */
          gsize j = i;
          while (j < end && p->text[j] == '`')
            j++;
          if (j == end && end == p->length)
            return;
          note (p, i, "skipped text in a JSON block that is not a list or an object");
          return;
        }
    }
}

static gboolean
bare_list_starts (const char *text, gsize length, gsize i)
{
  if (text[i] != '[')
    return FALSE;
  for (i++; i < length && is_space (text[i]); i++)
    ;
  return i < length && text[i] == '{';
}

/* A bare object that names a box: {"box_2d" … (so that braces in prose
 * are left alone). */
static gboolean
bare_object_starts (const char *text, gsize length, gsize i)
{
  if (text[i] != '{')
    return FALSE;
  for (i++; i < length && is_space (text[i]); i++)
    ;
  return i + 8 <= length && strncmp (text + i, "\"box_2d\"", 8) == 0;
}

static gboolean
fence_at (const char *text, gsize length, gsize i)
{
  return i + 3 <= length && text[i] == '`' && text[i + 1] == '`' && text[i + 2] == '`';
}

static void
parse_text (Parser *p)
{
  gsize i = 0, n = p->length;

  while (i < n)
    {
      if (fence_at (p->text, n, i))
        {
          const char *newline = memchr (p->text + i + 3, '\n', n - i - 3);
          const char *close;
          g_autofree char *tag = NULL;
          gsize body, body_end;

          if (newline == NULL)
            {
              /* The language tag is still coming. */
              p->list->complete = FALSE;
              return;
            }
          body = (gsize) (newline - p->text) + 1;
          tag = g_ascii_strdown (p->text + i + 3, (gssize) (body - 1 - i - 3));
          g_strstrip (tag);
          close = g_strstr_len (p->text + body, (gssize) (n - body), "```");
          body_end = close != NULL ? (gsize) (close - p->text) : n;
          if (close == NULL)
            p->list->complete = FALSE;
          /* A block of another language is not ours. */
          if (tag[0] == '\0' || strcmp (tag, "json") == 0)
            {
              gsize j = body;
              while (j < body_end && is_space (p->text[j]))
                j++;
              if (strcmp (tag, "json") == 0 || (j < body_end && (p->text[j] == '[' || p->text[j] == '{')))
                parse_block (p, body, body_end);
            }
          i = close != NULL ? body_end + 3 : n;
        }
      else if (bare_list_starts (p->text, n, i))
        i = parse_list (p, i, n);
      else if (bare_object_starts (p->text, n, i))
        i = parse_object (p, i, n);
      else
        i++;
    }
}

/* Lower-case words of at least three letters, laterality and filler aside. */
static GPtrArray *
label_words (const char *label)
{
  static const char *const ignored[] = {
    "the", "and", "with", "left", "right", "upper", "lower", "mid", "middle", "of", "in", "on",
    "at", "bilateral", "side", "zone", "region", "area", "possible", "likely", "small", "large",
    "mild", "moderate", "severe", NULL,
  };
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *lower = g_utf8_strdown (label, -1);
  const char *s = lower;

  while (*s != '\0')
    {
      const char *e = s;
      while (*e != '\0' && (g_ascii_isalnum (*e) || (guchar) *e >= 0x80))
        e++;
      if (e - s >= 3)
        {
          char *word = g_strndup (s, (gsize) (e - s));
          if (g_strv_contains (ignored, word))
            g_free (word);
          else
            g_ptr_array_add (words, word);
        }
      s = *e != '\0' ? e + 1 : e;
    }
  return words;
}

static gboolean
has_word (const char *haystack, const char *word)
{
  gsize n = strlen (word);

  for (const char *s = strstr (haystack, word); s != NULL; s = strstr (s + 1, word))
    {
      gboolean before = s == haystack || !(g_ascii_isalnum (s[-1]) || (guchar) s[-1] >= 0x80);
      gboolean after = !(g_ascii_isalnum (s[n]) || (guchar) s[n] >= 0x80);
      if (before && after)
        return TRUE;
    }
  return FALSE;
}

static void
link_sentences (Parser *p)
{
  g_autoptr(GArray) sentences = lb_sentences_split (p->text, (gssize) p->length);
  g_autoptr(GPtrArray) lowered = g_ptr_array_new_with_free_func (g_free);

  for (guint s = 0; s < sentences->len; s++)
    {
      const LbTextSpan *span = &g_array_index (sentences, LbTextSpan, s);
      g_autofree char *piece = g_utf8_make_valid (p->text + span->start, (gssize) (span->end - span->start));
      g_ptr_array_add (lowered, g_utf8_strdown (piece, -1));
    }

  for (guint b = 0; b < p->list->boxes->len; b++)
    {
      LbBox *box = &g_array_index (p->list->boxes, LbBox, b);
      g_autofree char *label = g_utf8_strdown (box->label, -1);
      g_autoptr(GPtrArray) words = label_words (box->label);
      int best = -1, before = -1;
      guint best_score = 0;

      for (guint s = 0; s < sentences->len; s++)
        {
          const LbTextSpan *span = &g_array_index (sentences, LbTextSpan, s);
          const char *sentence = g_ptr_array_index (lowered, s);
          guint score = 0;

          if (span->end <= box->text_start)
            before = (int) s;
          if (label[0] != '\0' && strstr (sentence, label) != NULL)
            score = 1000;
          else
            for (guint w = 0; w < words->len; w++)
              score += has_word (sentence, g_ptr_array_index (words, w)) ? 1 : 0;
          /* Ties go to the later sentence before the box: the one that
           * introduced it. */
          if (score > best_score || (score == best_score && score > 0 && span->end <= box->text_start))
            {
              best_score = score;
              best = (int) s;
            }
        }
      if (best < 0)
        best = before;
      if (best >= 0)
        {
          const LbTextSpan *span = &g_array_index (sentences, LbTextSpan, best);
          box->sentence_start = (gssize) span->start;
          box->sentence_end = (gssize) span->end;
        }
    }
}

LbBoxList *
lb_boxes_parse (const char *text, gssize length)
{
  LbBoxList *list = g_new0 (LbBoxList, 1);
  Parser p;

  list->boxes = g_array_new (FALSE, TRUE, sizeof (LbBox));
  g_array_set_clear_func (list->boxes, box_clear);
  list->notes = g_ptr_array_new_with_free_func (g_free);
  list->complete = TRUE;
  if (text == NULL)
    return list;
  p = (Parser) { text, length < 0 ? strlen (text) : (gsize) length, list };
  parse_text (&p);
  link_sentences (&p);
  return list;
}

void
lb_box_list_free (LbBoxList *list)
{
  if (list == NULL)
    return;
  g_array_unref (list->boxes);
  g_ptr_array_unref (list->notes);
  g_free (list);
}

gboolean
lb_box_to_image (const LbBox *box, const LbModelInput *input, double *out_x, double *out_y,
                 double *out_width, double *out_height)
{
  double d[2][2], ix[2], iy[2];

  g_return_val_if_fail (box != NULL && input != NULL && input->scale > 0.0, FALSE);
  *out_x = *out_y = *out_width = *out_height = 0.0;

  /* Model-input square → displayed pixels, clipped to the crop (the rest
   * of the square is padding). */
  d[0][0] = box->left * input->size / input->scale - input->pad_x;
  d[1][0] = box->right * input->size / input->scale - input->pad_x;
  d[0][1] = box->top * input->size / input->scale - input->pad_y;
  d[1][1] = box->bottom * input->size / input->scale - input->pad_y;
  for (guint k = 0; k < 2; k++)
    {
      d[k][0] = CLAMP (d[k][0], 0.0, (double) input->crop_width) + input->crop_x;
      d[k][1] = CLAMP (d[k][1], 0.0, (double) input->crop_height) + input->crop_y;
    }
  if (!(d[1][0] > d[0][0] && d[1][1] > d[0][1]))
    return FALSE;

  /* Displayed → stored pixels: quarter turns and mirrors keep a rectangle
   * a rectangle, so two opposite corners are enough. */
  for (guint k = 0; k < 2; k++)
    lb_display_to_image (input->image_width, input->image_height, &input->display, d[k][0], d[k][1],
                         &ix[k], &iy[k]);
  *out_x = MIN (ix[0], ix[1]);
  *out_y = MIN (iy[0], iy[1]);
  *out_width = fabs (ix[1] - ix[0]);
  *out_height = fabs (iy[1] - iy[0]);
  return TRUE;
}
