/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A writer for GGUF v3 files (little-endian), the counterpart of gguf.h.
 * Used for test and benchmark models (lightbox-cli make-model), never to
 * modify a user's model.
 *
 * Three phases, in this order:
 *   1. metadata (lb_gguf_writer_add_*) and tensor declarations
 *      (lb_gguf_writer_add_tensor: name, type, shape) — kept in memory;
 *   2. lb_gguf_writer_begin writes the header, the metadata and the tensor
 *      infos to the file;
 *   3. lb_gguf_writer_write_tensor for each declared tensor, in declaration
 *      order; each is padded to the alignment. Tensor data is streamed to
 *      the file and never collected in memory, so multi-gigabyte models can
 *      be written from a few megabytes of RAM.
 * lb_gguf_writer_finish closes the file; it is written to a temporary name
 * and appears at the path only once complete.
 */
#pragma once

#include <gio/gio.h>

#include "model/gguf.h"

G_BEGIN_DECLS

typedef struct _LbGgufWriter LbGgufWriter;

LbGgufWriter *lb_gguf_writer_new (void);
void lb_gguf_writer_free (LbGgufWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbGgufWriter, lb_gguf_writer_free)

/* Metadata, written in the order added. Adding a key twice is a programmer
 * error. "general.alignment" (uint32, a power of two) also sets the
 * alignment of the tensor data; the default is 32. */
void lb_gguf_writer_add_uint8 (LbGgufWriter *writer, const char *key, guint8 value);
void lb_gguf_writer_add_int8 (LbGgufWriter *writer, const char *key, gint8 value);
void lb_gguf_writer_add_uint16 (LbGgufWriter *writer, const char *key, guint16 value);
void lb_gguf_writer_add_int16 (LbGgufWriter *writer, const char *key, gint16 value);
void lb_gguf_writer_add_uint32 (LbGgufWriter *writer, const char *key, guint32 value);
void lb_gguf_writer_add_int32 (LbGgufWriter *writer, const char *key, gint32 value);
void lb_gguf_writer_add_uint64 (LbGgufWriter *writer, const char *key, guint64 value);
void lb_gguf_writer_add_int64 (LbGgufWriter *writer, const char *key, gint64 value);
void lb_gguf_writer_add_float32 (LbGgufWriter *writer, const char *key, float value);
void lb_gguf_writer_add_float64 (LbGgufWriter *writer, const char *key, double value);
void lb_gguf_writer_add_bool (LbGgufWriter *writer, const char *key, gboolean value);
void lb_gguf_writer_add_string (LbGgufWriter *writer, const char *key, const char *value);
/* A string that may contain NUL bytes. */
void lb_gguf_writer_add_string_len (LbGgufWriter *writer, const char *key, const char *value, gsize length);

/* An array of numbers or booleans: n elements of element_type, given in
 * host order as the matching C type (guint8 … double; booleans as guint8). */
void lb_gguf_writer_add_array (LbGgufWriter *writer, const char *key, LbGgufType element_type,
                               const void *values, guint64 n);
/* An array of strings; lengths may be NULL (NUL-terminated strings). */
void lb_gguf_writer_add_string_array (LbGgufWriter *writer, const char *key,
                                      const char *const *strings, const guint32 *lengths, guint64 n);

/* Copies key `index` of another file: any scalar, and arrays of strings,
 * float32 and integers up to 32 bits (what tokenizers use). Other arrays
 * are LB_GGUF_ERROR_UNSUPPORTED. */
gboolean lb_gguf_writer_copy_key (LbGgufWriter *writer, const LbGguf *source, guint64 index,
                                  GError **error);

/* Declares a tensor. ne is innermost first (ne[0] = row length); ne[0]
 * must be a multiple of the type's block size. Errors name the tensor. */
gboolean lb_gguf_writer_add_tensor (LbGgufWriter *writer, const char *name, LbTensorType type,
                                    guint n_dims, const guint64 *ne, GError **error);
/* Bytes of a declared tensor's data. */
guint64 lb_gguf_writer_tensor_bytes (const LbGgufWriter *writer, guint index);
guint lb_gguf_writer_n_tensors (const LbGgufWriter *writer);

/* Phase 2: creates the file and writes everything before the tensor data. */
gboolean lb_gguf_writer_begin (LbGgufWriter *writer, const char *path, GError **error);

/* Phase 3: appends data to the next tensor, in declaration order. A tensor
 * may be written in several pieces; it is complete (and padded) when its
 * byte count is reached. */
gboolean lb_gguf_writer_write_tensor (LbGgufWriter *writer, const void *data, gsize n_bytes,
                                      GError **error);

/* Checks that all data was written, closes the file and moves it in place. */
gboolean lb_gguf_writer_finish (LbGgufWriter *writer, GError **error);

G_END_DECLS
