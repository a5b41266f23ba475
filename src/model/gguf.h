/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reader for GGUF v2/v3 model files (little-endian). The file is mapped,
 * never copied whole; it is treated as untrusted input: every count, length,
 * shape and offset is checked against the file before use, and every
 * violation is a GError naming the file, the key or tensor, and what was
 * expected.
 */
#pragma once

#include <gio/gio.h>

#include "model/tensor-type.h"

G_BEGIN_DECLS

#define LB_GGUF_ERROR (lb_gguf_error_quark ())
GQuark lb_gguf_error_quark (void);

typedef enum {
  LB_GGUF_ERROR_IO,           /* cannot open or map the file */
  LB_GGUF_ERROR_FORMAT,       /* malformed or truncated file */
  LB_GGUF_ERROR_UNSUPPORTED,  /* valid GGUF that Lightbox cannot use (big-endian, IQ types) */
  LB_GGUF_ERROR_MISSING,      /* a required key or tensor is absent */
  LB_GGUF_ERROR_WRONG_TYPE,   /* a key has a value of another type */
  LB_GGUF_ERROR_SHAPE,        /* a tensor has the wrong shape */
  LB_GGUF_ERROR_ARCHITECTURE, /* a GGUF of another model family */
} LbGgufError;

/* The numbers are part of the GGUF format. */
typedef enum {
  LB_GGUF_TYPE_UINT8 = 0,
  LB_GGUF_TYPE_INT8 = 1,
  LB_GGUF_TYPE_UINT16 = 2,
  LB_GGUF_TYPE_INT16 = 3,
  LB_GGUF_TYPE_UINT32 = 4,
  LB_GGUF_TYPE_INT32 = 5,
  LB_GGUF_TYPE_FLOAT32 = 6,
  LB_GGUF_TYPE_BOOL = 7,
  LB_GGUF_TYPE_STRING = 8,
  LB_GGUF_TYPE_ARRAY = 9,
  LB_GGUF_TYPE_UINT64 = 10,
  LB_GGUF_TYPE_INT64 = 11,
  LB_GGUF_TYPE_FLOAT64 = 12,
  LB_GGUF_N_TYPES,
} LbGgufType;

#define LB_GGUF_MAX_DIMS 4
#define LB_GGUF_DEFAULT_ALIGNMENT 32

typedef struct {
  const char *name;
  LbTensorType type;
  guint n_dims;
  guint64 ne[LB_GGUF_MAX_DIMS]; /* ne[0] is the row length (innermost); unused dims are 1 */
  guint64 n_elements;
  guint64 n_bytes;
  guint64 file_offset;          /* absolute offset of the data in the file */
  const guint8 *data;           /* the data inside the mapping (n_bytes long) */
} LbGgufTensor;

typedef struct _LbGguf LbGguf;

LbGguf *lb_gguf_open (const char *path, GError **error);
/* Parses a file already in memory; name is used in messages. Keeps a ref. */
LbGguf *lb_gguf_open_bytes (GBytes *bytes, const char *name, GError **error);
void lb_gguf_free (LbGguf *gguf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbGguf, lb_gguf_free)

const char *lb_gguf_name (const LbGguf *gguf);     /* the path, or the name given */
guint32 lb_gguf_version (const LbGguf *gguf);
guint64 lb_gguf_file_size (const LbGguf *gguf);
guint32 lb_gguf_alignment (const LbGguf *gguf);

/* Metadata. Keys are looked up by exact name; index order is file order. */
guint64 lb_gguf_n_keys (const LbGguf *gguf);
const char *lb_gguf_key_name (const LbGguf *gguf, guint64 index);
LbGgufType lb_gguf_key_type (const LbGguf *gguf, guint64 index);
gint64 lb_gguf_find_key (const LbGguf *gguf, const char *key); /* -1 if absent */
gboolean lb_gguf_has_key (const LbGguf *gguf, const char *key);
/* For arrays: the element type and count. */
LbGgufType lb_gguf_key_array_type (const LbGguf *gguf, guint64 index);
guint64 lb_gguf_key_array_length (const LbGguf *gguf, guint64 index);
/* A printable rendering of any value ("[262144 strings]" for long arrays). */
char *lb_gguf_key_to_string (const LbGguf *gguf, guint64 index, guint max_items);

/* Typed getters. Integer getters accept any integer type whose value fits;
 * float getters accept any number. A missing key is LB_GGUF_ERROR_MISSING,
 * a value of the wrong kind LB_GGUF_ERROR_WRONG_TYPE. */
gboolean lb_gguf_get_uint32 (const LbGguf *gguf, const char *key, guint32 *out, GError **error);
gboolean lb_gguf_get_uint64 (const LbGguf *gguf, const char *key, guint64 *out, GError **error);
gboolean lb_gguf_get_int32 (const LbGguf *gguf, const char *key, gint32 *out, GError **error);
gboolean lb_gguf_get_float (const LbGguf *gguf, const char *key, float *out, GError **error);
gboolean lb_gguf_get_bool (const LbGguf *gguf, const char *key, gboolean *out, GError **error);
/* The string is owned by the LbGguf and NUL-terminated. */
const char *lb_gguf_get_string (const LbGguf *gguf, const char *key, GError **error);

/* The same, with a default when the key is absent (a present key of the
 * wrong type is still an error). */
gboolean lb_gguf_get_uint32_or (const LbGguf *gguf, const char *key, guint32 fallback, guint32 *out, GError **error);
gboolean lb_gguf_get_float_or (const LbGguf *gguf, const char *key, float fallback, float *out, GError **error);
gboolean lb_gguf_get_bool_or (const LbGguf *gguf, const char *key, gboolean fallback, gboolean *out, GError **error);

/* Arrays. Strings: pointers owned by the LbGguf (NUL-terminated; lengths
 * given because a piece may contain a NUL byte); the returned vectors are
 * the caller's to g_free. Numbers are converted and copied. */
gboolean lb_gguf_get_string_array (const LbGguf *gguf, const char *key,
                                   const char ***out_strings, guint32 **out_lengths,
                                   guint64 *out_n, GError **error);
float *lb_gguf_get_float_array (const LbGguf *gguf, const char *key, guint64 *out_n, GError **error);
gint32 *lb_gguf_get_int32_array (const LbGguf *gguf, const char *key, guint64 *out_n, GError **error);

/* Tensors, in file order. */
guint64 lb_gguf_n_tensors (const LbGguf *gguf);
const LbGgufTensor *lb_gguf_tensor (const LbGguf *gguf, guint64 index);
const LbGgufTensor *lb_gguf_find_tensor (const LbGguf *gguf, const char *name); /* NULL if absent */

/* Finds a tensor and checks its shape; ne is given innermost first and has
 * n_dims entries. Errors name the file, the tensor and both shapes. */
const LbGgufTensor *lb_gguf_require_tensor (const LbGguf *gguf, const char *name,
                                            guint n_dims, const guint64 *ne, GError **error);

/* "[2560, 262144]" */
char *lb_gguf_shape_to_string (guint n_dims, const guint64 *ne);

/* Dequantizes a whole tensor (or rows [row0, row0+n_rows) of it, rows being
 * ne[0] elements) to float. */
float *lb_gguf_tensor_to_float (const LbGgufTensor *tensor, GError **error);
void lb_gguf_tensor_rows_to_float (const LbGgufTensor *tensor, guint64 row0, guint64 n_rows, float *out);

G_END_DECLS
