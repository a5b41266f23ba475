/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Metadata accessors of the GGUF reader: typed getters that convert between
 * the integer and float widths a writer may have chosen, arrays, and a
 * printable rendering of any value.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <string.h>

#include "model/gguf-private.h"

const char *
lb_gguf_key_name (const LbGguf *g, guint64 index)
{
  g_return_val_if_fail (index < g->n_kv, NULL);
  return g->kvs[index].key;
}

LbGgufType
lb_gguf_key_type (const LbGguf *g, guint64 index)
{
  g_return_val_if_fail (index < g->n_kv, LB_GGUF_N_TYPES);
  return g->kvs[index].type;
}

LbGgufType
lb_gguf_key_array_type (const LbGguf *g, guint64 index)
{
  g_return_val_if_fail (index < g->n_kv, LB_GGUF_N_TYPES);
  return g->kvs[index].array_type;
}

guint64
lb_gguf_key_array_length (const LbGguf *g, guint64 index)
{
  g_return_val_if_fail (index < g->n_kv, 0);
  return g->kvs[index].array_length;
}

gint64
lb_gguf_find_key (const LbGguf *g, const char *key)
{
  gpointer found = g_hash_table_lookup (g->kv_index, key);
  return found != NULL ? (gint64) GPOINTER_TO_SIZE (found) - 1 : -1;
}

gboolean
lb_gguf_has_key (const LbGguf *g, const char *key)
{
  return lb_gguf_find_key (g, key) >= 0;
}

static const KeyValue *
require_key (const LbGguf *g, const char *key, GError **error)
{
  gint64 index = lb_gguf_find_key (g, key);

  if (index < 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING,
                   "%s: required key '%s' is missing", g->name, key);
      return NULL;
    }
  return &g->kvs[index];
}

static gboolean
wrong_type (const LbGguf *g, const KeyValue *kv, const char *expected, GError **error)
{
  g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE,
               "%s: key '%s' is a %s, expected %s", g->name, kv->key, lb_gguf_type_name (kv->type), expected);
  return FALSE;
}

static gboolean
is_unsigned_type (LbGgufType t)
{
  return t == LB_GGUF_TYPE_UINT8 || t == LB_GGUF_TYPE_UINT16 || t == LB_GGUF_TYPE_UINT32 ||
         t == LB_GGUF_TYPE_UINT64;
}

static gboolean
is_signed_type (LbGgufType t)
{
  return t == LB_GGUF_TYPE_INT8 || t == LB_GGUF_TYPE_INT16 || t == LB_GGUF_TYPE_INT32 ||
         t == LB_GGUF_TYPE_INT64;
}

/* Any integer value as a signed 128-bit-ish pair: fits tells whether it is in [min, max]. */
static gboolean
integer_in_range (const KeyValue *kv, gint64 min, guint64 max, guint64 *out_unsigned, gint64 *out_signed)
{
  if (is_unsigned_type (kv->type))
    {
      if (kv->value.u > max)
        return FALSE;
      *out_unsigned = kv->value.u;
      *out_signed = (gint64) kv->value.u;
      return TRUE;
    }
  if (kv->value.i < min || (kv->value.i >= 0 && (guint64) kv->value.i > max))
    return FALSE;
  *out_signed = kv->value.i;
  *out_unsigned = (guint64) kv->value.i;
  return TRUE;
}

static gboolean
get_integer (const LbGguf *g, const char *key, gint64 min, guint64 max,
             guint64 *out_unsigned, gint64 *out_signed, GError **error)
{
  const KeyValue *kv = require_key (g, key, error);

  if (kv == NULL)
    return FALSE;
  if (!is_unsigned_type (kv->type) && !is_signed_type (kv->type))
    return wrong_type (g, kv, "an integer", error);
  if (!integer_in_range (kv, min, max, out_unsigned, out_signed))
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE,
                   "%s: key '%s' has a value out of range (%" G_GINT64_FORMAT " to %" G_GUINT64_FORMAT
                   " expected)", g->name, key, min, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_gguf_get_uint32 (const LbGguf *g, const char *key, guint32 *out, GError **error)
{
  guint64 u;
  gint64 s;

  if (!get_integer (g, key, 0, G_MAXUINT32, &u, &s, error))
    return FALSE;
  *out = (guint32) u;
  return TRUE;
}

gboolean
lb_gguf_get_uint64 (const LbGguf *g, const char *key, guint64 *out, GError **error)
{
  gint64 s;
  return get_integer (g, key, 0, G_MAXUINT64, out, &s, error);
}

gboolean
lb_gguf_get_int32 (const LbGguf *g, const char *key, gint32 *out, GError **error)
{
  guint64 u;
  gint64 s;

  if (!get_integer (g, key, G_MININT32, G_MAXINT32, &u, &s, error))
    return FALSE;
  *out = (gint32) s;
  return TRUE;
}

gboolean
lb_gguf_get_float (const LbGguf *g, const char *key, float *out, GError **error)
{
  const KeyValue *kv = require_key (g, key, error);

  if (kv == NULL)
    return FALSE;
  if (kv->type == LB_GGUF_TYPE_FLOAT32 || kv->type == LB_GGUF_TYPE_FLOAT64)
    *out = (float) kv->value.f;
  else if (is_unsigned_type (kv->type))
    *out = (float) kv->value.u;
  else if (is_signed_type (kv->type))
    *out = (float) kv->value.i;
  else
    return wrong_type (g, kv, "a number", error);
  return TRUE;
}

gboolean
lb_gguf_get_bool (const LbGguf *g, const char *key, gboolean *out, GError **error)
{
  const KeyValue *kv = require_key (g, key, error);

  if (kv == NULL)
    return FALSE;
  if (kv->type != LB_GGUF_TYPE_BOOL)
    return wrong_type (g, kv, "a bool", error);
  *out = kv->value.u != 0;
  return TRUE;
}

const char *
lb_gguf_get_string (const LbGguf *g, const char *key, GError **error)
{
  const KeyValue *kv = require_key (g, key, error);

  if (kv == NULL)
    return NULL;
  if (kv->type != LB_GGUF_TYPE_STRING)
    {
      wrong_type (g, kv, "a string", error);
      return NULL;
    }
  return kv->string;
}

gboolean
lb_gguf_get_uint32_or (const LbGguf *g, const char *key, guint32 fallback, guint32 *out, GError **error)
{
  if (!lb_gguf_has_key (g, key))
    {
      *out = fallback;
      return TRUE;
    }
  return lb_gguf_get_uint32 (g, key, out, error);
}

gboolean
lb_gguf_get_float_or (const LbGguf *g, const char *key, float fallback, float *out, GError **error)
{
  if (!lb_gguf_has_key (g, key))
    {
      *out = fallback;
      return TRUE;
    }
  return lb_gguf_get_float (g, key, out, error);
}

gboolean
lb_gguf_get_bool_or (const LbGguf *g, const char *key, gboolean fallback, gboolean *out, GError **error)
{
  if (!lb_gguf_has_key (g, key))
    {
      *out = fallback;
      return TRUE;
    }
  return lb_gguf_get_bool (g, key, out, error);
}

static const KeyValue *
require_array (const LbGguf *g, const char *key, GError **error)
{
  const KeyValue *kv = require_key (g, key, error);

  if (kv != NULL && kv->type != LB_GGUF_TYPE_ARRAY)
    {
      wrong_type (g, kv, "an array", error);
      return NULL;
    }
  return kv;
}

gboolean
lb_gguf_get_string_array (const LbGguf *g, const char *key, const char ***out_strings,
                          guint32 **out_lengths, guint64 *out_n, GError **error)
{
  const KeyValue *kv = require_array (g, key, error);

  if (kv == NULL)
    return FALSE;
  if (kv->array_type != LB_GGUF_TYPE_STRING)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE,
                   "%s: key '%s' is an array of %s, expected an array of strings",
                   g->name, key, lb_gguf_type_name (kv->array_type));
      return FALSE;
    }
  *out_strings = g_memdup2 (kv->array_strings, kv->array_length * sizeof (char *));
  if (out_lengths != NULL)
    *out_lengths = g_memdup2 (kv->array_string_lengths, kv->array_length * sizeof (guint32));
  *out_n = kv->array_length;
  return TRUE;
}

/* Reads element i of a numeric array as a double. */
static double
array_element (const LbGguf *g, const KeyValue *kv, guint64 i)
{
  guint n = lb_gguf_scalar_sizes[kv->array_type];
  guint64 raw = lb_gguf_load_le (g->data + kv->array_offset + i * n, n);
  KeyValue element = { .type = kv->array_type };

  switch (kv->array_type)
    {
    case LB_GGUF_TYPE_UINT8:
    case LB_GGUF_TYPE_UINT16:
    case LB_GGUF_TYPE_UINT32:
    case LB_GGUF_TYPE_UINT64:
    case LB_GGUF_TYPE_BOOL:
      return (double) raw;
    case LB_GGUF_TYPE_INT8:
      return (gint8) raw;
    case LB_GGUF_TYPE_INT16:
      return (gint16) raw;
    case LB_GGUF_TYPE_INT32:
      return (gint32) raw;
    case LB_GGUF_TYPE_INT64:
      return (double) (gint64) raw;
    case LB_GGUF_TYPE_FLOAT32:
      {
        guint32 bits = (guint32) raw;
        float f;
        memcpy (&f, &bits, 4);
        return f;
      }
    case LB_GGUF_TYPE_FLOAT64:
      memcpy (&element.value.f, &raw, 8);
      return element.value.f;
    default:
      return 0;
    }
}

static const KeyValue *
require_numeric_array (const LbGguf *g, const char *key, gboolean integers_only, GError **error)
{
  const KeyValue *kv = require_array (g, key, error);
  LbGgufType t;

  if (kv == NULL)
    return NULL;
  t = kv->array_type;
  if (t == LB_GGUF_TYPE_STRING || t == LB_GGUF_TYPE_ARRAY || t == LB_GGUF_TYPE_BOOL ||
      (integers_only && (t == LB_GGUF_TYPE_FLOAT32 || t == LB_GGUF_TYPE_FLOAT64)))
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE,
                   "%s: key '%s' is an array of %s, expected an array of %s",
                   g->name, key, lb_gguf_type_name (t), integers_only ? "integers" : "numbers");
      return NULL;
    }
  return kv;
}

float *
lb_gguf_get_float_array (const LbGguf *g, const char *key, guint64 *out_n, GError **error)
{
  const KeyValue *kv = require_numeric_array (g, key, FALSE, error);
  float *values;

  if (kv == NULL)
    return NULL;
  values = g_new (float, MAX (kv->array_length, 1));
  for (guint64 i = 0; i < kv->array_length; i++)
    values[i] = (float) array_element (g, kv, i);
  *out_n = kv->array_length;
  return values;
}

gint32 *
lb_gguf_get_int32_array (const LbGguf *g, const char *key, guint64 *out_n, GError **error)
{
  const KeyValue *kv = require_numeric_array (g, key, TRUE, error);
  gint32 *values;

  if (kv == NULL)
    return NULL;
  values = g_new (gint32, MAX (kv->array_length, 1));
  for (guint64 i = 0; i < kv->array_length; i++)
    {
      double v = array_element (g, kv, i);
      if (v < G_MININT32 || v > G_MAXINT32)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE,
                       "%s: key '%s': element %" G_GUINT64_FORMAT " does not fit a 32-bit integer",
                       g->name, key, i);
          g_free (values);
          return NULL;
        }
      values[i] = (gint32) v;
    }
  *out_n = kv->array_length;
  return values;
}

char *
lb_gguf_key_to_string (const LbGguf *g, guint64 index, guint max_items)
{
  const KeyValue *kv;
  GString *s;

  g_return_val_if_fail (index < g->n_kv, NULL);
  kv = &g->kvs[index];
  switch (kv->type)
    {
    case LB_GGUF_TYPE_STRING:
      return g_strescape (kv->string, NULL);
    case LB_GGUF_TYPE_BOOL:
      return g_strdup (kv->value.u ? "true" : "false");
    case LB_GGUF_TYPE_FLOAT32:
    case LB_GGUF_TYPE_FLOAT64:
      return g_strdup_printf ("%g", kv->value.f);
    case LB_GGUF_TYPE_ARRAY:
      if (kv->array_type == LB_GGUF_TYPE_ARRAY || kv->array_length > max_items)
        return g_strdup_printf ("[%" G_GUINT64_FORMAT " %s values]", kv->array_length,
                                lb_gguf_type_name (kv->array_type));
      s = g_string_new ("[");
      for (guint64 i = 0; i < kv->array_length; i++)
        {
          if (i > 0)
            g_string_append (s, ", ");
          if (kv->array_type == LB_GGUF_TYPE_STRING)
            {
              g_autofree char *escaped = g_strescape (kv->array_strings[i], NULL);
              g_string_append_printf (s, "\"%s\"", escaped);
            }
          else
            g_string_append_printf (s, "%g", array_element (g, kv, i));
        }
      g_string_append_c (s, ']');
      return g_string_free (s, FALSE);
    default:
      if (is_unsigned_type (kv->type))
        return g_strdup_printf ("%" G_GUINT64_FORMAT, kv->value.u);
      return g_strdup_printf ("%" G_GINT64_FORMAT, kv->value.i);
    }
}
