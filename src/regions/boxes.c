/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "imaging/display.h"
#include "regions/boxes.h"
#include "regions/sentences.h"

/* ---- a small JSON reader that tells "not yet" from "wrong" ---------------------------------- */

#define MAX_DEPTH 32

typedef enum {
  READ_OK,
  READ_MORE,   /* the text ends inside the value: wait for more */
  READ_BAD,    /* the text is not JSON here */
} ReadStatus;

typedef enum {
  VALUE_NULL,
  VALUE_BOOL,
  VALUE_NUMBER,
  VALUE_STRING,
  VALUE_ARRAY,
  VALUE_OBJECT,
} ValueKind;

typedef struct _Value Value;
struct _Value {
  ValueKind kind;
  double number;
  char *string;        /* VALUE_STRING */
  GPtrArray *items;    /* VALUE_ARRAY: Value *; VALUE_OBJECT: the member values */
  GPtrArray *keys;     /* VALUE_OBJECT: char * */
};

static void
value_free (gpointer data)
{
  Value *value = data;

  if (value == NULL)
    return;
  g_free (value->string);
  if (value->items != NULL)
    g_ptr_array_unref (value->items);
  if (value->keys != NULL)
    g_ptr_array_unref (value->keys);
  g_free (value);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Value, value_free)

typedef struct {
  const char *text;
  gsize length;
  gsize pos;
  const char *problem;   /* with READ_BAD: what was wrong at pos */
} Reader;

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_space (Reader *r)
{
  while (r->pos < r->length && is_space (r->text[r->pos]))
    r->pos++;
}

static ReadStatus
bad (Reader *r, const char *problem)
{
  r->problem = problem;
  return READ_BAD;
}

static ReadStatus read_value (Reader *r, guint depth, Value **out);

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits at pos, or -1 (READ_MORE/READ_BAD in *status). */
static gint32
read_hex4 (Reader *r, ReadStatus *status)
{
  gint32 v = 0;

  for (guint k = 0; k < 4; k++)
    {
      int d;
      if (r->pos >= r->length)
        {
          *status = READ_MORE;
          return -1;
        }
      d = hex_digit (r->text[r->pos++]);
      if (d < 0)
        {
          *status = bad (r, "a \\u escape needs four hex digits");
          return -1;
        }
      v = v * 16 + d;
    }
  return v;
}

static ReadStatus
read_string (Reader *r, char **out)
{
  g_autoptr(GString) s = g_string_new (NULL);

  r->pos++;   /* the opening quote */
  while (r->pos < r->length)
    {
      char c = r->text[r->pos++];
      if (c == '"')
        {
          *out = g_utf8_make_valid (s->str, (gssize) s->len);
          return READ_OK;
        }
      if ((guchar) c < 0x20)
        return bad (r, "a control character inside a string");
      if (c != '\\')
        {
          g_string_append_c (s, c);
          continue;
        }
      if (r->pos >= r->length)
        return READ_MORE;
      c = r->text[r->pos++];
      switch (c)
        {
        case '"': case '\\': case '/': g_string_append_c (s, c); break;
        case 'b': g_string_append_c (s, '\b'); break;
        case 'f': g_string_append_c (s, '\f'); break;
        case 'n': g_string_append_c (s, '\n'); break;
        case 'r': g_string_append_c (s, '\r'); break;
        case 't': g_string_append_c (s, '\t'); break;
        case 'u':
          {
            ReadStatus status = READ_OK;
            gint32 u = read_hex4 (r, &status);
            if (u < 0)
              return status;
            if (u >= 0xd800 && u < 0xdc00)
              {
                gint32 low;
                if (r->pos + 1 >= r->length)
                  return READ_MORE;
                if (r->text[r->pos] != '\\' || r->text[r->pos + 1] != 'u')
                  return bad (r, "a lone UTF-16 surrogate in a string");
                r->pos += 2;
                low = read_hex4 (r, &status);
                if (low < 0)
                  return status;
                if (low < 0xdc00 || low >= 0xe000)
                  return bad (r, "a lone UTF-16 surrogate in a string");
                u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
              }
            else if (u >= 0xdc00 && u < 0xe000)
              return bad (r, "a lone UTF-16 surrogate in a string");
            g_string_append_unichar (s, (gunichar) (u == 0 ? 0xfffd : u));
            break;
          }
        default:
          return bad (r, "an unknown escape in a string");
        }
    }
  return READ_MORE;
}

static ReadStatus
read_number (Reader *r, double *out)
{
  gsize start = r->pos, i = r->pos;
  g_autofree char *copy = NULL;
  char *end;

  if (i < r->length && r->text[i] == '-')
    i++;
  if (i < r->length && !g_ascii_isdigit (r->text[i]))
    return bad (r, "a number was expected");
  while (i < r->length && (g_ascii_isdigit (r->text[i]) || r->text[i] == '.' || r->text[i] == 'e' ||
                           r->text[i] == 'E' || r->text[i] == '+' || r->text[i] == '-'))
    i++;
  /* More digits may still come. */
  if (i == r->length)
    return READ_MORE;
  copy = g_strndup (r->text + start, i - start);
  *out = g_ascii_strtod (copy, &end);
  if (*end != '\0' || !isfinite (*out))
    return bad (r, "a malformed number");
  r->pos = i;
  return READ_OK;
}

static ReadStatus
read_literal (Reader *r, const char *word)
{
  gsize n = strlen (word);

  for (gsize k = 0; k < n; k++)
    {
      if (r->pos + k >= r->length)
        return READ_MORE;
      if (r->text[r->pos + k] != word[k])
        return bad (r, "an unexpected character");
    }
  r->pos += n;
  return READ_OK;
}

/* Reads "," or the closing bracket after an item; READ_OK with *closed. */
static ReadStatus
read_separator (Reader *r, char close, gboolean *closed)
{
  skip_space (r);
  if (r->pos >= r->length)
    return READ_MORE;
  if (r->text[r->pos] == ',')
    {
      r->pos++;
      *closed = FALSE;
      return READ_OK;
    }
  if (r->text[r->pos] == close)
    {
      r->pos++;
      *closed = TRUE;
      return READ_OK;
    }
  return bad (r, close == ']' ? "',' or ']' was expected" : "',' or '}' was expected");
}

static ReadStatus
read_array (Reader *r, guint depth, Value *array)
{
  gboolean closed = FALSE;

  r->pos++;
  array->items = g_ptr_array_new_with_free_func (value_free);
  skip_space (r);
  if (r->pos >= r->length)
    return READ_MORE;
  if (r->text[r->pos] == ']')
    {
      r->pos++;
      return READ_OK;
    }
  while (!closed)
    {
      Value *item = NULL;
      ReadStatus status = read_value (r, depth + 1, &item);
      if (status != READ_OK)
        return status;
      g_ptr_array_add (array->items, item);
      status = read_separator (r, ']', &closed);
      if (status != READ_OK)
        return status;
    }
  return READ_OK;
}

static ReadStatus
read_object (Reader *r, guint depth, Value *object)
{
  gboolean closed = FALSE;

  r->pos++;
  object->items = g_ptr_array_new_with_free_func (value_free);
  object->keys = g_ptr_array_new_with_free_func (g_free);
  skip_space (r);
  if (r->pos >= r->length)
    return READ_MORE;
  if (r->text[r->pos] == '}')
    {
      r->pos++;
      return READ_OK;
    }
  while (!closed)
    {
      char *key = NULL;
      Value *member = NULL;
      ReadStatus status;

      skip_space (r);
      if (r->pos >= r->length)
        return READ_MORE;
      if (r->text[r->pos] != '"')
        return bad (r, "a member name in quotes was expected");
      status = read_string (r, &key);
      if (status != READ_OK)
        return status;
      g_ptr_array_add (object->keys, key);
      skip_space (r);
      if (r->pos >= r->length)
        return READ_MORE;
      if (r->text[r->pos] != ':')
        return bad (r, "':' was expected after a member name");
      r->pos++;
      status = read_value (r, depth + 1, &member);
      if (status != READ_OK)
        {
          g_ptr_array_remove_index (object->keys, object->keys->len - 1);
          return status;
        }
      g_ptr_array_add (object->items, member);
      status = read_separator (r, '}', &closed);
      if (status != READ_OK)
        return status;
    }
  return READ_OK;
}

static ReadStatus
read_value (Reader *r, guint depth, Value **out)
{
  g_autoptr(Value) value = g_new0 (Value, 1);
  ReadStatus status;
  char c;

  if (depth > MAX_DEPTH)
    return bad (r, "JSON nested too deeply");
  skip_space (r);
  if (r->pos >= r->length)
    return READ_MORE;
  c = r->text[r->pos];
  switch (c)
    {
    case '[':
      value->kind = VALUE_ARRAY;
      status = read_array (r, depth, value);
      break;
    case '{':
      value->kind = VALUE_OBJECT;
      status = read_object (r, depth, value);
      break;
    case '"':
      value->kind = VALUE_STRING;
      status = read_string (r, &value->string);
      break;
    case 't':
      value->kind = VALUE_BOOL;
      value->number = 1;
      status = read_literal (r, "true");
      break;
    case 'f':
      value->kind = VALUE_BOOL;
      status = read_literal (r, "false");
      break;
    case 'n':
      value->kind = VALUE_NULL;
      status = read_literal (r, "null");
      break;
    default:
      if (c == '-' || g_ascii_isdigit (c))
        {
          value->kind = VALUE_NUMBER;
          status = read_number (r, &value->number);
        }
      else
        status = bad (r, "a JSON value was expected");
    }
  if (status == READ_OK)
    *out = g_steal_pointer (&value);
  return status;
}

static const Value *
object_member (const Value *object, const char *name)
{
  for (guint i = 0; i < object->keys->len; i++)
    if (strcmp (g_ptr_array_index (object->keys, i), name) == 0)
      return g_ptr_array_index (object->items, i);
  return NULL;
}

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
  coords = object_member (item, "box_2d");
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
  label = object_member (item, "label");
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
  skip_space (&r);
  if (r.pos < end && p->text[r.pos] == ']')
    return r.pos + 1;
  while (!closed)
    {
      g_autoptr(Value) item = NULL;
      ReadStatus status;
      gsize item_start;

      skip_space (&r);
      item_start = r.pos;
      status = read_value (&r, 1, &item);
      if (status == READ_OK)
        {
          add_box (p, item, item_start, r.pos);
          status = read_separator (&r, ']', &closed);
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

  switch (read_value (&r, 1, &item))
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
