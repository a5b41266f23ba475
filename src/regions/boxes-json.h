/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small JSON reader that tells "not yet" from "wrong", for the boxes a
 * model writes while its answer is still streaming (boxes.c). Private to
 * src/regions/boxes*.c.
 *
 * A Reader reads text[pos, length); the functions move pos past what they
 * read. READ_MORE means the text ends inside the value: call again when
 * more text has come.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

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

void lb_boxes_json_value_free (gpointer data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Value, lb_boxes_json_value_free)

typedef struct {
  const char *text;
  gsize length;
  gsize pos;
  const char *problem;   /* with READ_BAD: what was wrong at pos */
} Reader;

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void lb_boxes_json_skip_space (Reader *r);
/* A value at r->pos (leading space skipped), nested at most 32 deep; *out
 * is set only with READ_OK. */
ReadStatus lb_boxes_json_read_value (Reader *r, guint depth, Value **out);
/* Reads "," or the closing bracket after an item; READ_OK with *closed. */
ReadStatus lb_boxes_json_read_separator (Reader *r, char close, gboolean *closed);
/* The member called name of an object value, or NULL. */
const Value *lb_boxes_json_object_member (const Value *object, const char *name);

G_END_DECLS
