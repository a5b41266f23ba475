/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The small JSON reader of boxes.c (boxes-json.h): values are read from
 * text that may still be streaming, so that "not yet" (READ_MORE) is told
 * from "wrong" (READ_BAD, with what was wrong).
 */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>
#include <string.h>

#include "regions/boxes-json.h"

#define MAX_DEPTH 32

void
lb_boxes_json_value_free (gpointer data)
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

void
lb_boxes_json_skip_space (Reader *r)
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
ReadStatus
lb_boxes_json_read_separator (Reader *r, char close, gboolean *closed)
{
  lb_boxes_json_skip_space (r);
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
  array->items = g_ptr_array_new_with_free_func (lb_boxes_json_value_free);
  lb_boxes_json_skip_space (r);
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
      ReadStatus status = lb_boxes_json_read_value (r, depth + 1, &item);
      if (status != READ_OK)
        return status;
      g_ptr_array_add (array->items, item);
      status = lb_boxes_json_read_separator (r, ']', &closed);
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
  object->items = g_ptr_array_new_with_free_func (lb_boxes_json_value_free);
  object->keys = g_ptr_array_new_with_free_func (g_free);
  lb_boxes_json_skip_space (r);
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

      lb_boxes_json_skip_space (r);
      if (r->pos >= r->length)
        return READ_MORE;
      if (r->text[r->pos] != '"')
        return bad (r, "a member name in quotes was expected");
      status = read_string (r, &key);
      if (status != READ_OK)
        return status;
      g_ptr_array_add (object->keys, key);
      lb_boxes_json_skip_space (r);
      if (r->pos >= r->length)
        return READ_MORE;
      if (r->text[r->pos] != ':')
        return bad (r, "':' was expected after a member name");
      r->pos++;
      status = lb_boxes_json_read_value (r, depth + 1, &member);
      if (status != READ_OK)
        {
          g_ptr_array_remove_index (object->keys, object->keys->len - 1);
          return status;
        }
      g_ptr_array_add (object->items, member);
      status = lb_boxes_json_read_separator (r, '}', &closed);
      if (status != READ_OK)
        return status;
    }
  return READ_OK;
}

ReadStatus
lb_boxes_json_read_value (Reader *r, guint depth, Value **out)
{
  g_autoptr(Value) value = g_new0 (Value, 1);
  ReadStatus status;
  char c;

  if (depth > MAX_DEPTH)
    return bad (r, "JSON nested too deeply");
  lb_boxes_json_skip_space (r);
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

const Value *
lb_boxes_json_object_member (const Value *object, const char *name)
{
  for (guint i = 0; i < object->keys->len; i++)
    if (strcmp (g_ptr_array_index (object->keys, i), name) == 0)
      return g_ptr_array_index (object->items, i);
  return NULL;
}
