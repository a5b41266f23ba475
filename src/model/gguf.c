/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GGUF reader. Layout (little-endian):
 *   magic "GGUF", u32 version (2 or 3), u64 n_tensors, u64 n_kv,
 *   n_kv × { string key, u32 type, value },
 *   n_tensors × { string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset },
 *   padding to general.alignment, tensor data (offsets relative to here).
 * A string is a u64 byte length followed by the bytes (no NUL).
 *
 * Every read goes through a bounds-checked cursor; nothing is trusted.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <string.h>

#include "model/gguf.h"

G_DEFINE_QUARK (lb-gguf-error-quark, lb_gguf_error)

#define MAX_ARRAY_DEPTH 4

#include "model/gguf-private.h"


typedef struct {
  LbGguf *gguf;
  guint64 pos;
} Cursor;

const char *const lb_gguf_type_names[LB_GGUF_N_TYPES] = {
  "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
  "bool", "string", "array", "uint64", "int64", "float64",
};

const guint8 lb_gguf_scalar_sizes[LB_GGUF_N_TYPES] = {
  1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8,
};

const char *
lb_gguf_type_name (guint32 type)
{
  return type < LB_GGUF_N_TYPES ? lb_gguf_type_names[type] : "unknown";
}

static gboolean
fail_truncated (Cursor *c, const char *what, GError **error)
{
  g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
               "%s: file is truncated or corrupt: %s at byte %" G_GUINT64_FORMAT
               " runs past the end of the file (%" G_GUINT64_FORMAT " bytes)",
               c->gguf->name, what, c->pos, c->gguf->size);
  return FALSE;
}

static gboolean
cursor_need (Cursor *c, guint64 n, const char *what, GError **error)
{
  if (c->pos > c->gguf->size || n > c->gguf->size - c->pos)
    return fail_truncated (c, what, error);
  return TRUE;
}


static gboolean
cursor_uint (Cursor *c, guint n, guint64 *out, const char *what, GError **error)
{
  if (!cursor_need (c, n, what, error))
    return FALSE;
  *out = lb_gguf_load_le (c->gguf->data + c->pos, n);
  c->pos += n;
  return TRUE;
}

static gboolean
cursor_u32 (Cursor *c, guint32 *out, const char *what, GError **error)
{
  guint64 v;
  if (!cursor_uint (c, 4, &v, what, error))
    return FALSE;
  *out = (guint32) v;
  return TRUE;
}

/* Reads a string into the chunk (NUL-terminated copy). */
static gboolean
cursor_string (Cursor *c, const char **out, guint64 *out_length, const char *what, GError **error)
{
  guint64 length;

  if (!cursor_uint (c, 8, &length, what, error))
    return FALSE;
  if (!cursor_need (c, length, what, error))
    return FALSE;
  if (length > G_MAXUINT32)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: %s at byte %" G_GUINT64_FORMAT " claims a length of %" G_GUINT64_FORMAT
                   " bytes (at most 4 GiB expected)", c->gguf->name, what, c->pos - 8, length);
      return FALSE;
    }
  *out = g_string_chunk_insert_len (c->gguf->strings, (const char *) c->gguf->data + c->pos,
                                    (gssize) length);
  if (out_length != NULL)
    *out_length = length;
  c->pos += length;
  return TRUE;
}

static gboolean
skip_value (Cursor *c, guint32 type, guint depth, const char *key, GError **error);

/* Skips an array's elements (used for nested arrays, which Lightbox never reads). */
static gboolean
skip_array (Cursor *c, guint depth, const char *key, GError **error)
{
  guint32 element_type;
  guint64 count;

  if (depth > MAX_ARRAY_DEPTH)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: key '%s' nests arrays more than %d deep", c->gguf->name, key, MAX_ARRAY_DEPTH);
      return FALSE;
    }
  if (!cursor_u32 (c, &element_type, "an array element type", error) ||
      !cursor_uint (c, 8, &count, "an array length", error))
    return FALSE;
  if (element_type >= LB_GGUF_N_TYPES)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: key '%s' is an array of unknown value type %u", c->gguf->name, key, element_type);
      return FALSE;
    }
  if (lb_gguf_scalar_sizes[element_type] > 0)
    {
      if (count > (c->gguf->size - c->pos) / lb_gguf_scalar_sizes[element_type])
        return fail_truncated (c, "array data", error);
      c->pos += count * lb_gguf_scalar_sizes[element_type];
      return TRUE;
    }
  /* strings or arrays: each element takes at least 8 bytes */
  if (count > (c->gguf->size - c->pos) / 8)
    return fail_truncated (c, "array data", error);
  for (guint64 i = 0; i < count; i++)
    if (!skip_value (c, element_type, depth + 1, key, error))
      return FALSE;
  return TRUE;
}

static gboolean
skip_value (Cursor *c, guint32 type, guint depth, const char *key, GError **error)
{
  guint64 length;

  if (type == LB_GGUF_TYPE_STRING)
    {
      if (!cursor_uint (c, 8, &length, "a string length", error) ||
          !cursor_need (c, length, "string data", error))
        return FALSE;
      c->pos += length;
      return TRUE;
    }
  if (type == LB_GGUF_TYPE_ARRAY)
    return skip_array (c, depth, key, error);
  if (!cursor_need (c, lb_gguf_scalar_sizes[type], "a value", error))
    return FALSE;
  c->pos += lb_gguf_scalar_sizes[type];
  return TRUE;
}

static gboolean
read_scalar (Cursor *c, KeyValue *kv, GError **error)
{
  guint64 raw;
  guint n = lb_gguf_scalar_sizes[kv->type];

  if (!cursor_uint (c, n, &raw, "a value", error))
    return FALSE;
  switch (kv->type)
    {
    case LB_GGUF_TYPE_UINT8:
    case LB_GGUF_TYPE_UINT16:
    case LB_GGUF_TYPE_UINT32:
    case LB_GGUF_TYPE_UINT64:
      kv->value.u = raw;
      break;
    case LB_GGUF_TYPE_BOOL:
      if (raw > 1)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: key '%s' is a bool with value %u (0 or 1 expected)",
                       c->gguf->name, kv->key, (guint) raw);
          return FALSE;
        }
      kv->value.u = raw;
      break;
    case LB_GGUF_TYPE_INT8:
      kv->value.i = (gint8) raw;
      break;
    case LB_GGUF_TYPE_INT16:
      kv->value.i = (gint16) raw;
      break;
    case LB_GGUF_TYPE_INT32:
      kv->value.i = (gint32) raw;
      break;
    case LB_GGUF_TYPE_INT64:
      kv->value.i = (gint64) raw;
      break;
    case LB_GGUF_TYPE_FLOAT32:
      {
        guint32 bits = (guint32) raw;
        float f;
        memcpy (&f, &bits, 4);
        kv->value.f = f;
      }
      break;
    case LB_GGUF_TYPE_FLOAT64:
      memcpy (&kv->value.f, &raw, 8);
      break;
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

static gboolean
read_array (Cursor *c, KeyValue *kv, GError **error)
{
  guint32 element_type;

  if (!cursor_u32 (c, &element_type, "an array element type", error) ||
      !cursor_uint (c, 8, &kv->array_length, "an array length", error))
    return FALSE;
  if (element_type >= LB_GGUF_N_TYPES)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: key '%s' is an array of unknown value type %u", c->gguf->name, kv->key, element_type);
      return FALSE;
    }
  kv->array_type = element_type;
  kv->array_offset = c->pos;

  if (element_type == LB_GGUF_TYPE_STRING)
    {
      /* Each string needs at least its 8-byte length: bound the count before allocating. */
      if (kv->array_length > (c->gguf->size - c->pos) / 8)
        return fail_truncated (c, "a string array", error);
      kv->array_strings = g_new (const char *, kv->array_length);
      kv->array_string_lengths = g_new (guint32, kv->array_length);
      for (guint64 i = 0; i < kv->array_length; i++)
        {
          guint64 length;
          if (!cursor_string (c, &kv->array_strings[i], &length, "a string in an array", error))
            return FALSE;
          kv->array_string_lengths[i] = (guint32) length;
        }
      return TRUE;
    }
  if (element_type == LB_GGUF_TYPE_ARRAY)
    {
      /* Rewind over the header and skip the nested structure. */
      c->pos -= 12;
      return skip_array (c, 0, kv->key, error);
    }

  if (kv->array_length > (c->gguf->size - c->pos) / lb_gguf_scalar_sizes[element_type])
    return fail_truncated (c, "array data", error);
  c->pos += kv->array_length * lb_gguf_scalar_sizes[element_type];
  return TRUE;
}

static gboolean
parse_header (Cursor *c, guint64 *n_tensors, guint64 *n_kv, GError **error)
{
  LbGguf *g = c->gguf;
  guint32 version;

  if (g->size < 4 || memcmp (g->data, "GGUF", 4) != 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: not a GGUF file (it does not start with the bytes \"GGUF\")", g->name);
      return FALSE;
    }
  c->pos = 4;
  if (!cursor_u32 (c, &version, "the version", error))
    return FALSE;
  if (version == 0x02000000 || version == 0x03000000)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: this is a big-endian GGUF file; Lightbox reads little-endian files only "
                   "(convert it with llama.cpp's tools)", g->name);
      return FALSE;
    }
  if (version != 2 && version != 3)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: GGUF version %u is not supported (versions 2 and 3 are)", g->name, version);
      return FALSE;
    }
  g->version = version;
  if (!cursor_uint (c, 8, n_tensors, "the tensor count", error) ||
      !cursor_uint (c, 8, n_kv, "the metadata count", error))
    return FALSE;

  /* A key-value pair takes at least 13 bytes, a tensor descriptor 28. */
  if (*n_kv > (g->size - c->pos) / 13)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: the header claims %" G_GUINT64_FORMAT " metadata entries, more than a file "
                   "of %" G_GUINT64_FORMAT " bytes can hold", g->name, *n_kv, g->size);
      return FALSE;
    }
  if (*n_tensors > (g->size - c->pos) / 28)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: the header claims %" G_GUINT64_FORMAT " tensors, more than a file "
                   "of %" G_GUINT64_FORMAT " bytes can hold", g->name, *n_tensors, g->size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_metadata (Cursor *c, guint64 n_kv, GError **error)
{
  LbGguf *g = c->gguf;

  g->kvs = g_new0 (KeyValue, n_kv);
  for (guint64 i = 0; i < n_kv; i++)
    {
      KeyValue *kv = &g->kvs[i];
      guint32 type;

      if (!cursor_string (c, &kv->key, NULL, "a metadata key", error))
        return FALSE;
      g->n_kv = i + 1; /* so that free() sees the arrays allocated so far */
      if (!cursor_u32 (c, &type, "a metadata value type", error))
        return FALSE;
      if (type >= LB_GGUF_N_TYPES)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: key '%s' has unknown value type %u (0–12 expected)", g->name, kv->key, type);
          return FALSE;
        }
      kv->type = type;
      if (g_hash_table_contains (g->kv_index, kv->key))
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: key '%s' appears twice", g->name, kv->key);
          return FALSE;
        }
      g_hash_table_insert (g->kv_index, (gpointer) kv->key, GSIZE_TO_POINTER (i + 1));

      gboolean ok;
      if (type == LB_GGUF_TYPE_STRING)
        ok = cursor_string (c, &kv->string, &kv->string_length, "a string value", error);
      else if (type == LB_GGUF_TYPE_ARRAY)
        ok = read_array (c, kv, error);
      else
        ok = read_scalar (c, kv, error);
      if (!ok)
        {
          g_prefix_error (error, "(key '%s') ", kv->key);
          return FALSE;
        }
    }
  g->n_kv = n_kv;
  return TRUE;
}

static gboolean
parse_tensor_infos (Cursor *c, guint64 n_tensors, GError **error)
{
  LbGguf *g = c->gguf;

  g->tensors = g_new0 (LbGgufTensor, n_tensors);
  for (guint64 i = 0; i < n_tensors; i++)
    {
      LbGgufTensor *t = &g->tensors[i];
      guint32 n_dims, type;
      const LbTensorTypeInfo *info;

      if (!cursor_string (c, &t->name, NULL, "a tensor name", error))
        return FALSE;
      g->n_tensors = i + 1;
      if (!cursor_u32 (c, &n_dims, "a tensor's dimension count", error))
        return FALSE;
      if (n_dims == 0 || n_dims > LB_GGUF_MAX_DIMS)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' has %u dimensions (1 to %d expected)",
                       g->name, t->name, n_dims, LB_GGUF_MAX_DIMS);
          return FALSE;
        }
      t->n_dims = n_dims;
      t->n_elements = 1;
      for (guint d = 0; d < LB_GGUF_MAX_DIMS; d++)
        {
          t->ne[d] = 1;
          if (d < n_dims && !cursor_uint (c, 8, &t->ne[d], "a tensor dimension", error))
            return FALSE;
          if (t->ne[d] == 0 || !g_uint64_checked_mul (&t->n_elements, t->n_elements, t->ne[d]) ||
              t->n_elements > G_MAXINT64)
            {
              g_autofree char *shape = lb_gguf_shape_to_string (d + 1, t->ne);
              g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                           "%s: tensor '%s' has an invalid shape %s (a zero or overflowing dimension)",
                           g->name, t->name, shape);
              return FALSE;
            }
        }
      if (!cursor_u32 (c, &type, "a tensor type", error) ||
          !cursor_uint (c, 8, &t->file_offset, "a tensor offset", error))
        return FALSE;
      info = lb_tensor_type_info (type);
      if (info == NULL)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' has unknown type %u", g->name, t->name, type);
          return FALSE;
        }
      t->type = type;
      if (t->ne[0] % info->block_elements != 0)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' of type %s has rows of %" G_GUINT64_FORMAT
                       " elements, not a multiple of its block size %u",
                       g->name, t->name, info->name, t->ne[0], info->block_elements);
          return FALSE;
        }
      if (!g_uint64_checked_mul (&t->n_bytes, t->n_elements / info->block_elements, info->block_bytes))
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' is too large", g->name, t->name);
          return FALSE;
        }
      if (g_hash_table_contains (g->tensor_index, t->name))
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' appears twice", g->name, t->name);
          return FALSE;
        }
      g_hash_table_insert (g->tensor_index, (gpointer) t->name, GSIZE_TO_POINTER (i + 1));
    }
  return TRUE;
}

static gboolean
resolve_layout (Cursor *c, GError **error)
{
  LbGguf *g = c->gguf;
  gint64 index = lb_gguf_find_key (g, "general.alignment");

  g->alignment = LB_GGUF_DEFAULT_ALIGNMENT;
  if (index >= 0)
    {
      guint32 alignment;
      if (!lb_gguf_get_uint32 (g, "general.alignment", &alignment, error))
        return FALSE;
      if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 1u << 20)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: general.alignment is %u (a power of two up to 1 MiB expected)",
                       g->name, alignment);
          return FALSE;
        }
      g->alignment = alignment;
    }

  g->data_offset = (c->pos + g->alignment - 1) / g->alignment * g->alignment;
  if (g->n_tensors > 0 && g->data_offset > g->size)
    return fail_truncated (c, "the tensor data section", error);

  for (guint64 i = 0; i < g->n_tensors; i++)
    {
      LbGgufTensor *t = &g->tensors[i];
      guint64 relative = t->file_offset;

      if (relative % g->alignment != 0)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' starts at data offset %" G_GUINT64_FORMAT
                       ", not a multiple of the alignment %u", g->name, t->name, relative, g->alignment);
          return FALSE;
        }
      if (relative > g->size - g->data_offset || t->n_bytes > g->size - g->data_offset - relative)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tensor '%s' (%" G_GUINT64_FORMAT " bytes at data offset %" G_GUINT64_FORMAT
                       ") runs past the end of the file (%" G_GUINT64_FORMAT " bytes); the file is truncated?",
                       g->name, t->name, t->n_bytes, relative, g->size);
          return FALSE;
        }
      t->file_offset = g->data_offset + relative;
      t->data = g->data + t->file_offset;
    }
  return TRUE;
}

static LbGguf *
parse (LbGguf *g, GError **error)
{
  Cursor c = { g, 0 };
  guint64 n_tensors, n_kv;

  g->strings = g_string_chunk_new (4096);
  g->kv_index = g_hash_table_new (g_str_hash, g_str_equal);
  g->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);

  if (!parse_header (&c, &n_tensors, &n_kv, error) ||
      !parse_metadata (&c, n_kv, error) ||
      !parse_tensor_infos (&c, n_tensors, error) ||
      !resolve_layout (&c, error))
    {
      lb_gguf_free (g);
      return NULL;
    }
  return g;
}

LbGguf *
lb_gguf_open (const char *path, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  LbGguf *g;
  GMappedFile *mapped;

  g_return_val_if_fail (path != NULL, NULL);

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  g = g_new0 (LbGguf, 1);
  g->name = g_strdup (path);
  g->mapped = mapped;
  g->data = (const guint8 *) g_mapped_file_get_contents (mapped);
  g->size = g_mapped_file_get_length (mapped);
  if (g->data == NULL)
    g->data = (const guint8 *) "";
  return parse (g, error);
}

LbGguf *
lb_gguf_open_bytes (GBytes *bytes, const char *name, GError **error)
{
  LbGguf *g;
  gsize size;

  g_return_val_if_fail (bytes != NULL, NULL);

  g = g_new0 (LbGguf, 1);
  g->name = g_strdup (name != NULL ? name : "(memory)");
  g->bytes = g_bytes_ref (bytes);
  g->data = g_bytes_get_data (bytes, &size);
  g->size = size;
  if (g->data == NULL)
    g->data = (const guint8 *) "";
  return parse (g, error);
}

void
lb_gguf_free (LbGguf *g)
{
  if (g == NULL)
    return;
  for (guint64 i = 0; i < g->n_kv; i++)
    {
      g_free (g->kvs[i].array_strings);
      g_free (g->kvs[i].array_string_lengths);
    }
  g_free (g->kvs);
  g_free (g->tensors);
  g_clear_pointer (&g->kv_index, g_hash_table_unref);
  g_clear_pointer (&g->tensor_index, g_hash_table_unref);
  g_clear_pointer (&g->strings, g_string_chunk_free);
  g_clear_pointer (&g->mapped, g_mapped_file_unref);
  g_clear_pointer (&g->bytes, g_bytes_unref);
  g_free (g->name);
  g_free (g);
}

const char *lb_gguf_name (const LbGguf *g) { return g->name; }
guint32 lb_gguf_version (const LbGguf *g) { return g->version; }
guint64 lb_gguf_file_size (const LbGguf *g) { return g->size; }
guint32 lb_gguf_alignment (const LbGguf *g) { return g->alignment; }
guint64 lb_gguf_n_keys (const LbGguf *g) { return g->n_kv; }
guint64 lb_gguf_n_tensors (const LbGguf *g) { return g->n_tensors; }

const LbGgufTensor *
lb_gguf_tensor (const LbGguf *g, guint64 index)
{
  g_return_val_if_fail (index < g->n_tensors, NULL);
  return &g->tensors[index];
}

const LbGgufTensor *
lb_gguf_find_tensor (const LbGguf *g, const char *name)
{
  gpointer found = g_hash_table_lookup (g->tensor_index, name);
  return found != NULL ? &g->tensors[GPOINTER_TO_SIZE (found) - 1] : NULL;
}

char *
lb_gguf_shape_to_string (guint n_dims, const guint64 *ne)
{
  GString *s = g_string_new ("[");

  for (guint d = 0; d < n_dims; d++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, d > 0 ? ", " : "", ne[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const LbGgufTensor *
lb_gguf_require_tensor (const LbGguf *g, const char *name, guint n_dims, const guint64 *ne, GError **error)
{
  const LbGgufTensor *t = lb_gguf_find_tensor (g, name);
  gboolean same = TRUE;

  if (t == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING,
                   "%s: required tensor '%s' is missing", g->name, name);
      return NULL;
    }
  /* Trailing dimensions of 1 are equivalent ([E] == [E, 1]). */
  for (guint d = 0; d < LB_GGUF_MAX_DIMS; d++)
    if (t->ne[d] != (d < n_dims ? ne[d] : 1))
      same = FALSE;
  if (!same)
    {
      g_autofree char *want = lb_gguf_shape_to_string (n_dims, ne);
      g_autofree char *have = lb_gguf_shape_to_string (t->n_dims, t->ne);
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE,
                   "%s: tensor '%s' has shape %s, expected %s", g->name, name, have, want);
      return NULL;
    }
  if (!lb_tensor_type_info (t->type)->readable)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: tensor '%s' has type %s, which Lightbox cannot read (supported: F32, F16, "
                   "BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)",
                   g->name, name, lb_tensor_type_name (t->type));
      return NULL;
    }
  return t;
}

void
lb_gguf_tensor_rows_to_float (const LbGgufTensor *t, guint64 row0, guint64 n_rows, float *out)
{
  guint64 row_bytes = lb_tensor_type_bytes (t->type, t->ne[0]);

  g_return_if_fail (row0 + n_rows <= t->n_elements / t->ne[0]);
  lb_dequantize (t->type, t->data + row0 * row_bytes, out, n_rows * t->ne[0]);
}

float *
lb_gguf_tensor_to_float (const LbGgufTensor *t, GError **error)
{
  float *out;

  if (!lb_tensor_type_info (t->type)->readable)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "tensor '%s' has type %s, which Lightbox cannot read", t->name,
                   lb_tensor_type_name (t->type));
      return NULL;
    }
  out = g_try_new (float, t->n_elements);
  if (out == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO,
                   "not enough memory to dequantize tensor '%s' (%" G_GUINT64_FORMAT " values)",
                   t->name, t->n_elements);
      return NULL;
    }
  lb_dequantize (t->type, t->data, out, t->n_elements);
  return out;
}
