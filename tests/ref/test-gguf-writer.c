/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GGUF writer against the GGUF reader: a file with every metadata type
 * (arrays included), several tensor types and shapes and a custom alignment
 * reads back with the same values and the same tensor bytes; the reference
 * models (written by llama.cpp's gguf-py) re-written key by key and tensor
 * by tensor come out byte-identical; misuse gives errors, and an abandoned
 * file leaves nothing behind.
 */
#define G_LOG_DOMAIN "lightbox-test"
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lb-test.h"
#include "model/gguf-writer.h"

typedef struct {
  const char *name;
  LbTensorType type;
  guint n_dims;
  guint64 ne[4];
} TensorSpec;

static const TensorSpec tensor_specs[] = {
  { "a", LB_TENSOR_F32, 1, { 3 } },              /* 12 bytes: padding follows */
  { "blk.0.b", LB_TENSOR_F16, 2, { 32, 2 } },
  { "c", LB_TENSOR_Q8_0, 2, { 64, 3 } },
  { "d", LB_TENSOR_Q4_K, 2, { 256, 2 } },
  { "e.weight", LB_TENSOR_F32, 4, { 2, 3, 4, 5 } },
  { "f", LB_TENSOR_BF16, 3, { 5, 1, 2 } },
  { "g", LB_TENSOR_Q6_K, 2, { 512, 1 } },
};

static char *
test_path (const char *name)
{
  return g_build_filename (lb_test_tmpdir (), name, NULL);
}

static guint8 *
random_bytes (GRand *rand, gsize n)
{
  guint8 *bytes = g_malloc (n + 1);

  for (gsize i = 0; i < n; i++)
    bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return bytes;
}

static void
test_every_type (void)
{
  g_autofree char *path = test_path ("every-type.gguf");
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
  g_autoptr(LbGguf) gguf = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func (g_free);
  const guint8 u8s[] = { 1, 2, 255 };
  const gint8 i8s[] = { -128, 0, 127 };
  const guint16 u16s[] = { 0, 65535 };
  const gint16 i16s[] = { -32768, 5 };
  const guint32 u32s[] = { 7, 2000000000 };
  const gint32 i32s[] = { -1, 0, 7 };
  const float f32s[] = { 0.5f, -1.25f, 3e-8f };
  const guint8 bools[] = { 1, 0, 1 };
  const guint64 u64s[] = { G_GUINT64_CONSTANT (1) << 40 };
  const double f64s[] = { -2.25 };
  const char *const strings[] = { "a", "", "\xe2\x96\x81" "b", "<0x0A>" };
  guint32 u32;
  gint32 i32;
  guint64 u64;
  float f;
  gboolean b;
  guint64 n;
  g_autofree const char **got_strings = NULL;
  g_autofree guint32 *got_lengths = NULL;
  g_autofree gint32 *got_ints = NULL;
  g_autofree float *got_floats = NULL;
  guint64 expected_end = 0;

  lb_gguf_writer_add_string (writer, "general.architecture", "test");
  lb_gguf_writer_add_uint32 (writer, "general.alignment", 64);
  lb_gguf_writer_add_uint8 (writer, "t.u8", 200);
  lb_gguf_writer_add_int8 (writer, "t.i8", -100);
  lb_gguf_writer_add_uint16 (writer, "t.u16", 60000);
  lb_gguf_writer_add_int16 (writer, "t.i16", -30000);
  lb_gguf_writer_add_uint32 (writer, "t.u32", 4000000000u);
  lb_gguf_writer_add_int32 (writer, "t.i32", -2000000000);
  lb_gguf_writer_add_uint64 (writer, "t.u64", (G_GUINT64_CONSTANT (1) << 40) + 7);
  lb_gguf_writer_add_int64 (writer, "t.i64", -(G_GINT64_CONSTANT (1) << 40));
  lb_gguf_writer_add_float32 (writer, "t.f32", 1.5f);
  lb_gguf_writer_add_float64 (writer, "t.f64", -2.25);
  lb_gguf_writer_add_bool (writer, "t.bool", TRUE);
  lb_gguf_writer_add_string (writer, "t.string", "hello \xe2\x96\x81 world");
  lb_gguf_writer_add_array (writer, "t.a.u8", LB_GGUF_TYPE_UINT8, u8s, G_N_ELEMENTS (u8s));
  lb_gguf_writer_add_array (writer, "t.a.i8", LB_GGUF_TYPE_INT8, i8s, G_N_ELEMENTS (i8s));
  lb_gguf_writer_add_array (writer, "t.a.u16", LB_GGUF_TYPE_UINT16, u16s, G_N_ELEMENTS (u16s));
  lb_gguf_writer_add_array (writer, "t.a.i16", LB_GGUF_TYPE_INT16, i16s, G_N_ELEMENTS (i16s));
  lb_gguf_writer_add_array (writer, "t.a.u32", LB_GGUF_TYPE_UINT32, u32s, G_N_ELEMENTS (u32s));
  lb_gguf_writer_add_array (writer, "t.a.i32", LB_GGUF_TYPE_INT32, i32s, G_N_ELEMENTS (i32s));
  lb_gguf_writer_add_array (writer, "t.a.f32", LB_GGUF_TYPE_FLOAT32, f32s, G_N_ELEMENTS (f32s));
  lb_gguf_writer_add_array (writer, "t.a.bool", LB_GGUF_TYPE_BOOL, bools, G_N_ELEMENTS (bools));
  lb_gguf_writer_add_array (writer, "t.a.u64", LB_GGUF_TYPE_UINT64, u64s, G_N_ELEMENTS (u64s));
  lb_gguf_writer_add_array (writer, "t.a.f64", LB_GGUF_TYPE_FLOAT64, f64s, G_N_ELEMENTS (f64s));
  lb_gguf_writer_add_array (writer, "t.a.empty", LB_GGUF_TYPE_INT32, NULL, 0);
  lb_gguf_writer_add_string_array (writer, "t.a.string", strings, NULL, G_N_ELEMENTS (strings));

  for (gsize i = 0; i < G_N_ELEMENTS (tensor_specs); i++)
    {
      const TensorSpec *t = &tensor_specs[i];
      lb_gguf_writer_add_tensor (writer, t->name, t->type, t->n_dims, t->ne, &error);
      g_assert_no_error (error);
      g_ptr_array_add (data, random_bytes (rand, lb_gguf_writer_tensor_bytes (writer, i)));
    }
  lb_gguf_writer_begin (writer, path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (tensor_specs); i++)
    {
      guint64 size = lb_gguf_writer_tensor_bytes (writer, i);
      const guint8 *bytes = data->pdata[i];
      /* In two pieces, to check that a tensor may be streamed. */
      lb_gguf_writer_write_tensor (writer, bytes, size / 3, &error);
      g_assert_no_error (error);
      lb_gguf_writer_write_tensor (writer, bytes + size / 3, size - size / 3, &error);
      g_assert_no_error (error);
    }
  lb_gguf_writer_finish (writer, &error);
  g_assert_no_error (error);

  gguf = lb_gguf_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_version (gguf), ==, 3);
  g_assert_cmpuint (lb_gguf_alignment (gguf), ==, 64);
  g_assert_cmpuint (lb_gguf_n_keys (gguf), ==, 26);
  g_assert_cmpstr (lb_gguf_key_name (gguf, 0), ==, "general.architecture");

  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.u8")), ==, LB_GGUF_TYPE_UINT8);
  g_assert_true (lb_gguf_get_uint32 (gguf, "t.u8", &u32, NULL) && u32 == 200);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.i8")), ==, LB_GGUF_TYPE_INT8);
  g_assert_true (lb_gguf_get_int32 (gguf, "t.i8", &i32, NULL) && i32 == -100);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.u16")), ==, LB_GGUF_TYPE_UINT16);
  g_assert_true (lb_gguf_get_uint32 (gguf, "t.u16", &u32, NULL) && u32 == 60000);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.i16")), ==, LB_GGUF_TYPE_INT16);
  g_assert_true (lb_gguf_get_int32 (gguf, "t.i16", &i32, NULL) && i32 == -30000);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.u32")), ==, LB_GGUF_TYPE_UINT32);
  g_assert_true (lb_gguf_get_uint32 (gguf, "t.u32", &u32, NULL) && u32 == 4000000000u);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.i32")), ==, LB_GGUF_TYPE_INT32);
  g_assert_true (lb_gguf_get_int32 (gguf, "t.i32", &i32, NULL) && i32 == -2000000000);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.u64")), ==, LB_GGUF_TYPE_UINT64);
  g_assert_true (lb_gguf_get_uint64 (gguf, "t.u64", &u64, NULL));
  g_assert_cmpuint (u64, ==, (G_GUINT64_CONSTANT (1) << 40) + 7);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.i64")), ==, LB_GGUF_TYPE_INT64);
  {
    g_autofree char *text = lb_gguf_key_to_string (gguf, lb_gguf_find_key (gguf, "t.i64"), 8);
    g_assert_cmpstr (text, ==, "-1099511627776");
  }
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.f32")), ==, LB_GGUF_TYPE_FLOAT32);
  g_assert_true (lb_gguf_get_float (gguf, "t.f32", &f, NULL) && f == 1.5f);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.f64")), ==, LB_GGUF_TYPE_FLOAT64);
  g_assert_true (lb_gguf_get_float (gguf, "t.f64", &f, NULL) && f == -2.25f);
  g_assert_cmpint (lb_gguf_key_type (gguf, lb_gguf_find_key (gguf, "t.bool")), ==, LB_GGUF_TYPE_BOOL);
  g_assert_true (lb_gguf_get_bool (gguf, "t.bool", &b, NULL) && b);
  g_assert_cmpstr (lb_gguf_get_string (gguf, "t.string", NULL), ==, "hello \xe2\x96\x81 world");

  {
    static const struct {
      const char *key;
      LbGgufType type;
      guint64 n;
    } arrays[] = {
      { "t.a.u8", LB_GGUF_TYPE_UINT8, 3 }, { "t.a.i8", LB_GGUF_TYPE_INT8, 3 },
      { "t.a.u16", LB_GGUF_TYPE_UINT16, 2 }, { "t.a.i16", LB_GGUF_TYPE_INT16, 2 },
      { "t.a.u32", LB_GGUF_TYPE_UINT32, 2 }, { "t.a.i32", LB_GGUF_TYPE_INT32, 3 },
      { "t.a.f32", LB_GGUF_TYPE_FLOAT32, 3 }, { "t.a.bool", LB_GGUF_TYPE_BOOL, 3 },
      { "t.a.u64", LB_GGUF_TYPE_UINT64, 1 }, { "t.a.f64", LB_GGUF_TYPE_FLOAT64, 1 },
      { "t.a.empty", LB_GGUF_TYPE_INT32, 0 }, { "t.a.string", LB_GGUF_TYPE_STRING, 4 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (arrays); i++)
      {
        gint64 index = lb_gguf_find_key (gguf, arrays[i].key);
        g_assert_cmpint (index, >=, 0);
        g_assert_cmpint (lb_gguf_key_type (gguf, index), ==, LB_GGUF_TYPE_ARRAY);
        g_assert_cmpint (lb_gguf_key_array_type (gguf, index), ==, arrays[i].type);
        g_assert_cmpuint (lb_gguf_key_array_length (gguf, index), ==, arrays[i].n);
      }
  }
  got_ints = lb_gguf_get_int32_array (gguf, "t.a.u8", &n, &error);
  g_assert_no_error (error);
  g_assert_true (n == 3 && got_ints[0] == 1 && got_ints[1] == 2 && got_ints[2] == 255);
  g_clear_pointer (&got_ints, g_free);
  got_ints = lb_gguf_get_int32_array (gguf, "t.a.i8", &n, &error);
  g_assert_no_error (error);
  g_assert_true (n == 3 && got_ints[0] == -128 && got_ints[1] == 0 && got_ints[2] == 127);
  g_clear_pointer (&got_ints, g_free);
  got_ints = lb_gguf_get_int32_array (gguf, "t.a.i16", &n, &error);
  g_assert_no_error (error);
  g_assert_true (n == 2 && got_ints[0] == -32768 && got_ints[1] == 5);
  g_clear_pointer (&got_ints, g_free);
  got_ints = lb_gguf_get_int32_array (gguf, "t.a.i32", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (got_ints, n * 4, i32s, sizeof i32s);
  got_floats = lb_gguf_get_float_array (gguf, "t.a.f32", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (got_floats, n * 4, f32s, sizeof f32s);
  lb_gguf_get_string_array (gguf, "t.a.string", &got_strings, &got_lengths, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (strings));
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpstr (got_strings[i], ==, strings[i]);
      g_assert_cmpuint (got_lengths[i], ==, strlen (strings[i]));
    }

  g_assert_cmpuint (lb_gguf_n_tensors (gguf), ==, G_N_ELEMENTS (tensor_specs));
  for (gsize i = 0; i < G_N_ELEMENTS (tensor_specs); i++)
    {
      const TensorSpec *spec = &tensor_specs[i];
      const LbGgufTensor *t = lb_gguf_tensor (gguf, i);
      g_assert_cmpstr (t->name, ==, spec->name);
      g_assert_cmpint (t->type, ==, spec->type);
      g_assert_cmpuint (t->n_dims, ==, spec->n_dims);
      for (guint d = 0; d < LB_GGUF_MAX_DIMS; d++)
        g_assert_cmpuint (t->ne[d], ==, d < spec->n_dims ? spec->ne[d] : 1);
      g_assert_cmpuint (t->file_offset % 64, ==, 0);
      g_assert_cmpmem (t->data, t->n_bytes, data->pdata[i], lb_gguf_writer_tensor_bytes (writer, i));
      expected_end = t->file_offset + (t->n_bytes + 63) / 64 * 64;
    }
  /* Every tensor, the last included, is padded to the alignment. */
  g_assert_cmpuint (lb_gguf_file_size (gguf), ==, expected_end);
}

/* Re-writes a file through the writer: every key copied, every tensor
 * declared and written from the reader's bytes. */
static void
rewrite (const char *source_path, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) source = lb_gguf_open (source_path, &error);
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();

  g_assert_no_error (error);
  for (guint64 i = 0; i < lb_gguf_n_keys (source); i++)
    {
      lb_gguf_writer_copy_key (writer, source, i, &error);
      g_assert_no_error (error);
    }
  for (guint64 i = 0; i < lb_gguf_n_tensors (source); i++)
    {
      const LbGgufTensor *t = lb_gguf_tensor (source, i);
      lb_gguf_writer_add_tensor (writer, t->name, t->type, t->n_dims, t->ne, &error);
      g_assert_no_error (error);
    }
  lb_gguf_writer_begin (writer, path, &error);
  g_assert_no_error (error);
  for (guint64 i = 0; i < lb_gguf_n_tensors (source); i++)
    {
      const LbGgufTensor *t = lb_gguf_tensor (source, i);
      lb_gguf_writer_write_tensor (writer, t->data, t->n_bytes, &error);
      g_assert_no_error (error);
    }
  lb_gguf_writer_finish (writer, &error);
  g_assert_no_error (error);
}

static void
test_rewrite_reference (void)
{
  static const char *const files[] = {
    "models/a-f32/text.gguf", "models/a-f32/mmproj.gguf", "models/b-q8/text.gguf",
    "models/b-q8/mmproj.gguf", "models/c-q4km/text.gguf", "models/c-q4km/mmproj.gguf",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *source = lb_test_reference_path (files[i]);
      g_autofree char *path = test_path ("rewritten.gguf");
      g_autofree char *original = NULL, *copy = NULL;
      gsize original_size, copy_size;
      g_autoptr(GError) error = NULL;

      rewrite (source, path);
      g_file_get_contents (source, &original, &original_size, &error);
      g_assert_no_error (error);
      g_file_get_contents (path, &copy, &copy_size, &error);
      g_assert_no_error (error);
      g_test_message ("%s: %" G_GSIZE_FORMAT " bytes", files[i], copy_size);
      g_assert_cmpmem (copy, copy_size, original, original_size);
    }
}

static void
test_abandoned (void)
{
  g_autofree char *path = test_path ("abandoned.gguf");
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);
  g_autoptr(GError) error = NULL;
  const guint64 ne[] = { 32 };
  float values[32] = { 0 };

  {
    g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
    lb_gguf_writer_add_tensor (writer, "x", LB_TENSOR_F32, 1, ne, &error);
    g_assert_no_error (error);
    lb_gguf_writer_add_tensor (writer, "y", LB_TENSOR_F32, 1, ne, &error);
    g_assert_no_error (error);
    lb_gguf_writer_begin (writer, path, &error);
    g_assert_no_error (error);
    lb_gguf_writer_write_tensor (writer, values, sizeof values, &error);
    g_assert_no_error (error);

    /* Finishing with a tensor missing is an error naming it. */
    g_assert_false (lb_gguf_writer_finish (writer, &error));
    g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "'y'"));
  }
  /* Freed unfinished: neither the file nor the partial one remains. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static void
test_bad_tensors (void)
{
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
  g_autoptr(GError) error = NULL;
  const guint64 ne[] = { 100, 2 };
  const guint64 zero[] = { 0 };

  /* Rows that the type's block does not divide. */
  g_assert_false (lb_gguf_writer_add_tensor (writer, "w", LB_TENSOR_Q4_K, 2, ne, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "'w'"));
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor (writer, "z", LB_TENSOR_F32, 1, zero, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_true (lb_gguf_writer_add_tensor (writer, "w", LB_TENSOR_F32, 2, ne, &error));
  g_assert_false (lb_gguf_writer_add_tensor (writer, "w", LB_TENSOR_F32, 2, ne, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT);
  g_clear_error (&error);
  /* A type Lightbox cannot write. */
  g_assert_false (lb_gguf_writer_add_tensor (writer, "q", LB_TENSOR_Q8_K, 1, (guint64[]) { 256 }, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gguf-writer/every-type", test_every_type);
  g_test_add_func ("/gguf-writer/rewrite-reference", test_rewrite_reference);
  g_test_add_func ("/gguf-writer/abandoned", test_abandoned);
  g_test_add_func ("/gguf-writer/bad-tensors", test_bad_tensors);
  return g_test_run ();
}
