/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internals shared by the GGUF parser (gguf.c) and the metadata accessors
 * (gguf-values.c). Not for use outside src/model/gguf*.c.
 */
#pragma once

#include "model/gguf.h"

typedef struct {
  const char *key;
  LbGgufType type;
  union {
    guint64 u;
    gint64 i;
    double f;
  } value;
  const char *string;       /* STRING */
  guint64 string_length;
  LbGgufType array_type;    /* ARRAY */
  guint64 array_length;
  guint64 array_offset;     /* file offset of the first element (numeric arrays) */
  const char **array_strings;
  guint32 *array_string_lengths;
} KeyValue;

struct _LbGguf {
  char *name;
  GMappedFile *mapped;
  GBytes *bytes;
  const guint8 *data;
  guint64 size;
  guint32 version;
  guint32 alignment;
  GStringChunk *strings;
  KeyValue *kvs;
  guint64 n_kv;
  GHashTable *kv_index;     /* key -> index + 1 */
  LbGgufTensor *tensors;
  guint64 n_tensors;
  GHashTable *tensor_index; /* name -> index + 1 */
  guint64 data_offset;
};

extern const char *const lb_gguf_type_names[LB_GGUF_N_TYPES];
extern const guint8 lb_gguf_scalar_sizes[LB_GGUF_N_TYPES];

/* "uint32", or "unknown" for a number outside the format. */
const char *lb_gguf_type_name (guint32 type);

/* Reads an n-byte little-endian unsigned integer. */
static inline guint64
lb_gguf_load_le (const guint8 *p, guint n)
{
  guint64 v = 0;
  for (guint i = 0; i < n; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}
