/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <string.h>

#include "model/gguf-writer.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_VERSION 3

typedef struct {
  char *name;
  LbTensorType type;
  guint n_dims;
  guint64 ne[LB_GGUF_MAX_DIMS];
  guint64 n_bytes;
  guint64 offset;   /* relative to the start of the data section */
} WriterTensor;

struct _LbGgufWriter {
  GByteArray *metadata;   /* the serialized key/value pairs, in order */
  guint64 n_keys;
  GHashTable *keys;       /* set of key names, to catch duplicates */
  guint32 alignment;
  GArray *tensors;        /* of WriterTensor */
  guint64 data_size;      /* sum of the aligned tensor sizes */

  /* Phase 2 and 3. */
  char *path;
  GFile *file;            /* path + ".partial", renamed to path by finish */
  GFileOutputStream *stream;
  GOutputStream *out;     /* buffered, over stream */
  guint next_tensor;
  guint64 written;        /* bytes of the current tensor written so far */
  gboolean failed;
};

LbGgufWriter *
lb_gguf_writer_new (void)
{
  LbGgufWriter *writer = g_new0 (LbGgufWriter, 1);

  writer->metadata = g_byte_array_new ();
  writer->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  writer->alignment = LB_GGUF_DEFAULT_ALIGNMENT;
  writer->tensors = g_array_new (FALSE, TRUE, sizeof (WriterTensor));
  return writer;
}

void
lb_gguf_writer_free (LbGgufWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->out != NULL)
    {
      /* Abandoned before finish: drop the partial file. */
      g_output_stream_close (writer->out, NULL, NULL);
      g_clear_object (&writer->out);
      g_file_delete (writer->file, NULL, NULL);
    }
  g_clear_object (&writer->stream);
  g_clear_object (&writer->file);
  for (guint i = 0; i < writer->tensors->len; i++)
    g_free (g_array_index (writer->tensors, WriterTensor, i).name);
  g_array_unref (writer->tensors);
  g_byte_array_unref (writer->metadata);
  g_hash_table_unref (writer->keys);
  g_free (writer->path);
  g_free (writer);
}

/* ---- serialization helpers (GGUF is little-endian) ---- */

static void
put_bytes (GByteArray *buffer, const void *data, gsize n)
{
  g_byte_array_append (buffer, data, (guint) n);
}

static void
put_u32 (GByteArray *buffer, guint32 value)
{
  guint32 le = GUINT32_TO_LE (value);
  put_bytes (buffer, &le, 4);
}

static void
put_u64 (GByteArray *buffer, guint64 value)
{
  guint64 le = GUINT64_TO_LE (value);
  put_bytes (buffer, &le, 8);
}

static void
put_string (GByteArray *buffer, const char *value, gsize length)
{
  put_u64 (buffer, length);
  put_bytes (buffer, value, length);
}

static gsize
scalar_size (LbGgufType type)
{
  switch (type)
    {
    case LB_GGUF_TYPE_UINT8:
    case LB_GGUF_TYPE_INT8:
    case LB_GGUF_TYPE_BOOL:
      return 1;
    case LB_GGUF_TYPE_UINT16:
    case LB_GGUF_TYPE_INT16:
      return 2;
    case LB_GGUF_TYPE_UINT32:
    case LB_GGUF_TYPE_INT32:
    case LB_GGUF_TYPE_FLOAT32:
      return 4;
    case LB_GGUF_TYPE_UINT64:
    case LB_GGUF_TYPE_INT64:
    case LB_GGUF_TYPE_FLOAT64:
      return 8;
    case LB_GGUF_TYPE_STRING:
    case LB_GGUF_TYPE_ARRAY:
    case LB_GGUF_N_TYPES:
    default:
      return 0;
    }
}

/* Appends a scalar given in host order, converted to little-endian. */
static void
put_scalar (GByteArray *buffer, LbGgufType type, const void *value)
{
  gsize size = scalar_size (type);
  guint8 bytes[8];

  memcpy (bytes, value, size);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < size / 2; i++)
    {
      guint8 t = bytes[i];
      bytes[i] = bytes[size - 1 - i];
      bytes[size - 1 - i] = t;
    }
#endif
  put_bytes (buffer, bytes, size);
}

/* Starts a key/value pair: the key string and the value type. */
static gboolean
begin_key (LbGgufWriter *writer, const char *key, LbGgufType type)
{
  g_return_val_if_fail (writer->out == NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  if (g_hash_table_contains (writer->keys, key))
    {
      g_critical ("GGUF key '%s' added twice", key);
      return FALSE;
    }
  g_hash_table_add (writer->keys, g_strdup (key));
  put_string (writer->metadata, key, strlen (key));
  put_u32 (writer->metadata, type);
  writer->n_keys++;
  return TRUE;
}

static void
add_scalar (LbGgufWriter *writer, const char *key, LbGgufType type, const void *value)
{
  if (begin_key (writer, key, type))
    put_scalar (writer->metadata, type, value);
}

void
lb_gguf_writer_add_uint8 (LbGgufWriter *writer, const char *key, guint8 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_UINT8, &value);
}

void
lb_gguf_writer_add_int8 (LbGgufWriter *writer, const char *key, gint8 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_INT8, &value);
}

void
lb_gguf_writer_add_uint16 (LbGgufWriter *writer, const char *key, guint16 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_UINT16, &value);
}

void
lb_gguf_writer_add_int16 (LbGgufWriter *writer, const char *key, gint16 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_INT16, &value);
}

void
lb_gguf_writer_add_uint32 (LbGgufWriter *writer, const char *key, guint32 value)
{
  if (g_strcmp0 (key, "general.alignment") == 0)
    {
      g_return_if_fail (value > 0 && (value & (value - 1)) == 0);
      writer->alignment = value;
    }
  add_scalar (writer, key, LB_GGUF_TYPE_UINT32, &value);
}

void
lb_gguf_writer_add_int32 (LbGgufWriter *writer, const char *key, gint32 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_INT32, &value);
}

void
lb_gguf_writer_add_uint64 (LbGgufWriter *writer, const char *key, guint64 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_UINT64, &value);
}

void
lb_gguf_writer_add_int64 (LbGgufWriter *writer, const char *key, gint64 value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_INT64, &value);
}

void
lb_gguf_writer_add_float32 (LbGgufWriter *writer, const char *key, float value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_FLOAT32, &value);
}

void
lb_gguf_writer_add_float64 (LbGgufWriter *writer, const char *key, double value)
{
  add_scalar (writer, key, LB_GGUF_TYPE_FLOAT64, &value);
}

void
lb_gguf_writer_add_bool (LbGgufWriter *writer, const char *key, gboolean value)
{
  guint8 byte = value ? 1 : 0;
  add_scalar (writer, key, LB_GGUF_TYPE_BOOL, &byte);
}

void
lb_gguf_writer_add_string_len (LbGgufWriter *writer, const char *key, const char *value, gsize length)
{
  g_return_if_fail (value != NULL || length == 0);
  if (begin_key (writer, key, LB_GGUF_TYPE_STRING))
    put_string (writer->metadata, value, length);
}

void
lb_gguf_writer_add_string (LbGgufWriter *writer, const char *key, const char *value)
{
  g_return_if_fail (value != NULL);
  lb_gguf_writer_add_string_len (writer, key, value, strlen (value));
}

void
lb_gguf_writer_add_array (LbGgufWriter *writer, const char *key, LbGgufType element_type,
                          const void *values, guint64 n)
{
  gsize size = scalar_size (element_type);

  g_return_if_fail (size > 0);
  g_return_if_fail (values != NULL || n == 0);
  if (!begin_key (writer, key, LB_GGUF_TYPE_ARRAY))
    return;
  put_u32 (writer->metadata, element_type);
  put_u64 (writer->metadata, n);
  for (guint64 i = 0; i < n; i++)
    put_scalar (writer->metadata, element_type, (const guint8 *) values + i * size);
}

void
lb_gguf_writer_add_string_array (LbGgufWriter *writer, const char *key,
                                 const char *const *strings, const guint32 *lengths, guint64 n)
{
  g_return_if_fail (strings != NULL || n == 0);
  if (!begin_key (writer, key, LB_GGUF_TYPE_ARRAY))
    return;
  put_u32 (writer->metadata, LB_GGUF_TYPE_STRING);
  put_u64 (writer->metadata, n);
  for (guint64 i = 0; i < n; i++)
    put_string (writer->metadata, strings[i], lengths != NULL ? lengths[i] : strlen (strings[i]));
}

gboolean
lb_gguf_writer_copy_key (LbGgufWriter *writer, const LbGguf *source, guint64 index, GError **error)
{
  const char *key = lb_gguf_key_name (source, index);
  LbGgufType type = lb_gguf_key_type (source, index);

  switch (type)
    {
    case LB_GGUF_TYPE_UINT8:
    case LB_GGUF_TYPE_INT8:
    case LB_GGUF_TYPE_UINT16:
    case LB_GGUF_TYPE_INT16:
    case LB_GGUF_TYPE_INT32:
      {
        gint32 value;
        if (!lb_gguf_get_int32 (source, key, &value, error))
          return FALSE;
        if (type == LB_GGUF_TYPE_UINT8)
          lb_gguf_writer_add_uint8 (writer, key, (guint8) value);
        else if (type == LB_GGUF_TYPE_INT8)
          lb_gguf_writer_add_int8 (writer, key, (gint8) value);
        else if (type == LB_GGUF_TYPE_UINT16)
          lb_gguf_writer_add_uint16 (writer, key, (guint16) value);
        else if (type == LB_GGUF_TYPE_INT16)
          lb_gguf_writer_add_int16 (writer, key, (gint16) value);
        else
          lb_gguf_writer_add_int32 (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_UINT32:
      {
        guint32 value;
        if (!lb_gguf_get_uint32 (source, key, &value, error))
          return FALSE;
        lb_gguf_writer_add_uint32 (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_UINT64:
      {
        guint64 value;
        if (!lb_gguf_get_uint64 (source, key, &value, error))
          return FALSE;
        lb_gguf_writer_add_uint64 (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_FLOAT32:
      {
        float value;
        if (!lb_gguf_get_float (source, key, &value, error))
          return FALSE;
        lb_gguf_writer_add_float32 (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_BOOL:
      {
        gboolean value;
        if (!lb_gguf_get_bool (source, key, &value, error))
          return FALSE;
        lb_gguf_writer_add_bool (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_STRING:
      {
        const char *value = lb_gguf_get_string (source, key, error);
        if (value == NULL)
          return FALSE;
        lb_gguf_writer_add_string (writer, key, value);
        return TRUE;
      }
    case LB_GGUF_TYPE_ARRAY:
      {
        LbGgufType element_type = lb_gguf_key_array_type (source, index);
        guint64 n = 0;

        if (element_type == LB_GGUF_TYPE_STRING)
          {
            g_autofree const char **strings = NULL;
            g_autofree guint32 *lengths = NULL;
            if (!lb_gguf_get_string_array (source, key, &strings, &lengths, &n, error))
              return FALSE;
            lb_gguf_writer_add_string_array (writer, key, strings, lengths, n);
            return TRUE;
          }
        if (element_type == LB_GGUF_TYPE_FLOAT32)
          {
            GError *local_error = NULL;
            g_autofree float *values = lb_gguf_get_float_array (source, key, &n, &local_error);
            if (local_error != NULL)
              {
                g_propagate_error (error, local_error);
                return FALSE;
              }
            lb_gguf_writer_add_array (writer, key, element_type, values, n);
            return TRUE;
          }
        if (element_type == LB_GGUF_TYPE_INT32 || element_type == LB_GGUF_TYPE_UINT32 ||
            element_type == LB_GGUF_TYPE_INT16 || element_type == LB_GGUF_TYPE_UINT16 ||
            element_type == LB_GGUF_TYPE_INT8 || element_type == LB_GGUF_TYPE_UINT8 ||
            element_type == LB_GGUF_TYPE_BOOL)
          {
            GError *local_error = NULL;
            g_autofree gint32 *values = lb_gguf_get_int32_array (source, key, &n, &local_error);
            g_autofree guint8 *packed = NULL;
            gsize size = scalar_size (element_type);

            if (local_error != NULL)
              {
                g_propagate_error (error, local_error);
                return FALSE;
              }
            /* Back to the element type: the values fit, they came from it. */
            packed = g_malloc0 (n * size + 1);
            for (guint64 i = 0; i < n; i++)
              {
                gint32 v = values[i];
                switch (size)
                  {
                  case 1: { gint8 b = (gint8) v; memcpy (packed + i, &b, 1); break; }
                  case 2: { gint16 h = (gint16) v; memcpy (packed + 2 * i, &h, 2); break; }
                  default: memcpy (packed + 4 * i, &v, 4); break;
                  }
              }
            lb_gguf_writer_add_array (writer, key, element_type, packed, n);
            return TRUE;
          }
        g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                     "%s: cannot copy key '%s': arrays of type %u are not supported",
                     lb_gguf_name (source), key, element_type);
        return FALSE;
      }
    case LB_GGUF_TYPE_INT64:
    case LB_GGUF_TYPE_FLOAT64:
    case LB_GGUF_N_TYPES:
    default:
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: cannot copy key '%s' of type %u", lb_gguf_name (source), key, type);
      return FALSE;
    }
}

/* ---- tensors ---- */

static guint64
align_up (guint64 value, guint32 alignment)
{
  return (value + alignment - 1) / alignment * alignment;
}

gboolean
lb_gguf_writer_add_tensor (LbGgufWriter *writer, const char *name, LbTensorType type,
                           guint n_dims, const guint64 *ne, GError **error)
{
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  WriterTensor tensor = { 0 };
  guint64 n_elements = 1;

  g_return_val_if_fail (writer != NULL && writer->out == NULL, FALSE);
  g_return_val_if_fail (name != NULL && ne != NULL, FALSE);
  g_return_val_if_fail (n_dims >= 1 && n_dims <= LB_GGUF_MAX_DIMS, FALSE);

  if (info == NULL || !info->readable)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "tensor '%s': cannot write type %s", name, lb_tensor_type_name (type));
      return FALSE;
    }
  for (guint i = 0; i < writer->tensors->len; i++)
    if (strcmp (g_array_index (writer->tensors, WriterTensor, i).name, name) == 0)
      {
        g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                     "tensor '%s' declared twice", name);
        return FALSE;
      }
  for (guint i = 0; i < n_dims; i++)
    {
      if (ne[i] == 0)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE,
                       "tensor '%s': dimension %u is zero", name, i);
          return FALSE;
        }
      n_elements *= ne[i];
    }
  if (ne[0] % info->block_elements != 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE,
                   "tensor '%s': rows of %" G_GUINT64_FORMAT " elements are not a multiple of "
                   "the %s block size %u", name, ne[0], info->name, info->block_elements);
      return FALSE;
    }

  tensor.name = g_strdup (name);
  tensor.type = type;
  tensor.n_dims = n_dims;
  for (guint i = 0; i < LB_GGUF_MAX_DIMS; i++)
    tensor.ne[i] = i < n_dims ? ne[i] : 1;
  tensor.n_bytes = lb_tensor_type_bytes (type, n_elements);
  g_array_append_val (writer->tensors, tensor);
  return TRUE;
}

guint
lb_gguf_writer_n_tensors (const LbGgufWriter *writer)
{
  return writer->tensors->len;
}

guint64
lb_gguf_writer_tensor_bytes (const LbGgufWriter *writer, guint index)
{
  g_return_val_if_fail (index < writer->tensors->len, 0);
  return g_array_index (writer->tensors, WriterTensor, index).n_bytes;
}

/* ---- the file ---- */

static gboolean
write_all (LbGgufWriter *writer, const void *data, gsize n, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_output_stream_write_all (writer->out, data, n, NULL, NULL, &local_error))
    {
      writer->failed = TRUE;
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO, "cannot write %s: %s",
                   writer->path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_padding (LbGgufWriter *writer, guint64 n, GError **error)
{
  static const guint8 zeros[256];

  while (n > 0)
    {
      gsize chunk = MIN (n, sizeof zeros);
      if (!write_all (writer, zeros, chunk, error))
        return FALSE;
      n -= chunk;
    }
  return TRUE;
}

gboolean
lb_gguf_writer_begin (LbGgufWriter *writer, const char *path, GError **error)
{
  g_autoptr(GByteArray) header = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (writer != NULL && writer->out == NULL && writer->file == NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  g_autofree char *partial = g_strconcat (path, ".partial", NULL);

  writer->path = g_strdup (path);
  writer->file = g_file_new_for_path (partial);
  writer->stream = g_file_replace (writer->file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                   NULL, &local_error);
  if (writer->stream == NULL)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO, "cannot create %s: %s",
                   partial, local_error->message);
      g_clear_object (&writer->file);
      return FALSE;
    }
  writer->out = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (writer->stream), 1 << 20);

  /* Offsets are known once the alignment is final. */
  writer->data_size = 0;
  for (guint i = 0; i < writer->tensors->len; i++)
    {
      WriterTensor *tensor = &g_array_index (writer->tensors, WriterTensor, i);
      tensor->offset = writer->data_size;
      writer->data_size = align_up (writer->data_size + tensor->n_bytes, writer->alignment);
    }

  put_bytes (header, GGUF_MAGIC, 4);
  put_u32 (header, GGUF_VERSION);
  put_u64 (header, writer->tensors->len);
  put_u64 (header, writer->n_keys);
  put_bytes (header, writer->metadata->data, writer->metadata->len);
  for (guint i = 0; i < writer->tensors->len; i++)
    {
      const WriterTensor *tensor = &g_array_index (writer->tensors, WriterTensor, i);
      put_string (header, tensor->name, strlen (tensor->name));
      put_u32 (header, tensor->n_dims);
      for (guint d = 0; d < tensor->n_dims; d++)
        put_u64 (header, tensor->ne[d]);
      put_u32 (header, tensor->type);
      put_u64 (header, tensor->offset);
    }
  if (!write_all (writer, header->data, header->len, error))
    return FALSE;
  /* The data section starts aligned. */
  if (!write_padding (writer, align_up (header->len, writer->alignment) - header->len, error))
    return FALSE;
  writer->next_tensor = 0;
  writer->written = 0;
  return TRUE;
}

gboolean
lb_gguf_writer_write_tensor (LbGgufWriter *writer, const void *data, gsize n_bytes, GError **error)
{
  const WriterTensor *tensor;

  g_return_val_if_fail (writer != NULL && writer->out != NULL && !writer->failed, FALSE);
  g_return_val_if_fail (writer->next_tensor < writer->tensors->len, FALSE);

  tensor = &g_array_index (writer->tensors, WriterTensor, writer->next_tensor);
  g_return_val_if_fail (writer->written + n_bytes <= tensor->n_bytes, FALSE);

  if (!write_all (writer, data, n_bytes, error))
    return FALSE;
  writer->written += n_bytes;
  if (writer->written == tensor->n_bytes)
    {
      guint64 padded = align_up (tensor->n_bytes, writer->alignment);
      /* The last tensor is padded too, as gguf-py does. */
      if (!write_padding (writer, padded - tensor->n_bytes, error))
        return FALSE;
      writer->next_tensor++;
      writer->written = 0;
    }
  return TRUE;
}

gboolean
lb_gguf_writer_finish (LbGgufWriter *writer, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_return_val_if_fail (writer != NULL && writer->out != NULL, FALSE);

  if (writer->next_tensor != writer->tensors->len)
    {
      const WriterTensor *tensor = &g_array_index (writer->tensors, WriterTensor, writer->next_tensor);
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: tensor '%s' has %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " bytes written", writer->path, tensor->name, writer->written, tensor->n_bytes);
      return FALSE;
    }
  if (writer->failed)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO, "%s: an earlier write failed",
                   writer->path);
      return FALSE;
    }
  ok = g_output_stream_close (writer->out, NULL, &local_error);
  g_clear_object (&writer->out);
  g_clear_object (&writer->stream);
  if (ok)
    {
      g_autoptr(GFile) destination = g_file_new_for_path (writer->path);
      ok = g_file_move (writer->file, destination, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL,
                        &local_error);
    }
  if (!ok)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO, "cannot write %s: %s",
                   writer->path, local_error->message);
      g_file_delete (writer->file, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}
