/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GGUF reader on the reference files, on a small file built here with
 * every value type, and on malformed variants of it: truncated at every
 * byte, bogus counts and lengths, overflowing shapes, offsets past the end,
 * unknown types, random corruption. Each must give an error, never a crash
 * (this suite also runs under ASan and UBSan).
 */
#include "config.h"

#include <string.h>

#include "lb-test.h"
#include "model/gguf.h"

/* ---- a tiny GGUF builder that remembers where its fields are ----------- */

typedef struct {
  GByteArray *bytes;
  gsize version_at, n_tensors_at, n_kv_at;
  gsize first_key_length_at;
  gsize string_value_length_at;   /* general.name's length */
  gsize array_length_at;          /* tokenizer.ggml.scores' count */
  gsize bool_value_at;
  gsize tensor_n_dims_at, tensor_ne0_at, tensor_ne1_at, tensor_type_at, tensor_offset_at;
  gsize last_tensor_offset_at;
  gsize alignment_value_at;
} Built;

static void
put (GByteArray *b, guint64 v, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint8 byte = (guint8) (v >> (8 * i));
      g_byte_array_append (b, &byte, 1);
    }
}

static void
put_string (GByteArray *b, const char *s)
{
  put (b, strlen (s), 8);
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static void
put_key (GByteArray *b, const char *key, LbGgufType type)
{
  put_string (b, key);
  put (b, type, 4);
}

static void
put_f32 (GByteArray *b, float f)
{
  guint32 u;
  memcpy (&u, &f, 4);
  put (b, u, 4);
}

static void
built_clear (Built *built)
{
  g_byte_array_unref (built->bytes);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Built, built_clear)

#define N_KV 13
#define N_TENSORS 3

/* Tensors: "a" F32 [4, 2], "b" Q8_0 [64], "c" Q4_K [256, 2]. */
static void
build_valid (Built *built)
{
  GByteArray *b = built->bytes = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) "GGUF", 4);
  built->version_at = b->len;
  put (b, 3, 4);
  built->n_tensors_at = b->len;
  put (b, N_TENSORS, 8);
  built->n_kv_at = b->len;
  put (b, N_KV, 8);

  built->first_key_length_at = b->len;
  put_key (b, "general.architecture", LB_GGUF_TYPE_STRING);
  put_string (b, "gemma3");
  put_key (b, "general.name", LB_GGUF_TYPE_STRING);
  built->string_value_length_at = b->len;
  put_string (b, "tiny \"test\"");
  put_key (b, "general.alignment", LB_GGUF_TYPE_UINT32);
  built->alignment_value_at = b->len;
  put (b, 64, 4);
  put_key (b, "test.u8", LB_GGUF_TYPE_UINT8);
  put (b, 200, 1);
  put_key (b, "test.i8", LB_GGUF_TYPE_INT8);
  put (b, (guint8) -5, 1);
  put_key (b, "test.i16", LB_GGUF_TYPE_INT16);
  put (b, (guint16) -3000, 2);
  put_key (b, "test.u64", LB_GGUF_TYPE_UINT64);
  put (b, G_GUINT64_CONSTANT (5000000000), 8);
  put_key (b, "test.i64", LB_GGUF_TYPE_INT64);
  put (b, (guint64) G_GINT64_CONSTANT (-7), 8);
  put_key (b, "test.f64", LB_GGUF_TYPE_FLOAT64);
  {
    double d = 0.25;
    guint64 u;
    memcpy (&u, &d, 8);
    put (b, u, 8);
  }
  put_key (b, "test.flag", LB_GGUF_TYPE_BOOL);
  built->bool_value_at = b->len;
  put (b, 1, 1);
  put_key (b, "tokenizer.ggml.tokens", LB_GGUF_TYPE_ARRAY);
  put (b, LB_GGUF_TYPE_STRING, 4);
  put (b, 3, 8);
  put_string (b, "<pad>");
  put_string (b, "\xe2\x96\x81hello");
  put (b, 3, 8); /* a piece with a NUL byte inside */
  g_byte_array_append (b, (const guint8 *) "a\0b", 3);
  put_key (b, "tokenizer.ggml.scores", LB_GGUF_TYPE_ARRAY);
  put (b, LB_GGUF_TYPE_FLOAT32, 4);
  built->array_length_at = b->len;
  put (b, 3, 8);
  put_f32 (b, 0.0f);
  put_f32 (b, -1.5f);
  put_f32 (b, -2.5f);
  put_key (b, "test.nested", LB_GGUF_TYPE_ARRAY);
  put (b, LB_GGUF_TYPE_ARRAY, 4);
  put (b, 2, 8);
  for (int i = 0; i < 2; i++)
    {
      put (b, LB_GGUF_TYPE_INT16, 4);
      put (b, 2, 8);
      put (b, 1, 2);
      put (b, 2, 2);
    }

  /* tensor infos */
  put_string (b, "a");
  built->tensor_n_dims_at = b->len;
  put (b, 2, 4);
  built->tensor_ne0_at = b->len;
  put (b, 4, 8);
  built->tensor_ne1_at = b->len;
  put (b, 2, 8);
  built->tensor_type_at = b->len;
  put (b, LB_TENSOR_F32, 4);
  built->tensor_offset_at = b->len;
  put (b, 0, 8);

  put_string (b, "b");
  put (b, 1, 4);
  put (b, 64, 8);
  put (b, LB_TENSOR_Q8_0, 4);
  put (b, 64, 8);

  put_string (b, "c");
  put (b, 2, 4);
  put (b, 256, 8);
  put (b, 2, 8);
  put (b, LB_TENSOR_Q4_K, 4);
  built->last_tensor_offset_at = b->len;
  put (b, 192, 8);

  while (b->len % 64 != 0)
    put (b, 0, 1);
  /* a: 8 floats */
  for (int i = 0; i < 8; i++)
    put_f32 (b, (float) i - 2.5f);
  while (b->len % 64 != 0)
    put (b, 0, 1);
  /* b: 2 Q8_0 blocks, d = 1.0, q = j */
  for (int blk = 0; blk < 2; blk++)
    {
      put (b, lb_f32_to_f16 (1.0f), 2);
      for (int j = 0; j < 32; j++)
        put (b, (guint8) (gint8) (j - 16 * blk), 1);
    }
  while (b->len % 64 != 0)
    put (b, 0, 1);
  /* c: 2 Q4_K blocks of zeros except d, so every value is -dmin*min = 0 */
  for (int blk = 0; blk < 2; blk++)
    for (int i = 0; i < 144; i++)
      put (b, 0, 1);
}

static void
patch (Built *built, gsize at, guint64 value, guint n)
{
  for (guint i = 0; i < n; i++)
    built->bytes->data[at + i] = (guint8) (value >> (8 * i));
}

static LbGguf *
open_built (Built *built, gsize length, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (built->bytes->data, length);
  return lb_gguf_open_bytes (bytes, "built.gguf", error);
}

static void
expect_error (Built *built, int code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = open_built (built, built->bytes->len, &error);

  g_assert_null (gguf);
  g_assert_error (error, LB_GGUF_ERROR, code);
  g_assert_nonnull (strstr (error->message, "built.gguf"));
  if (strstr (error->message, fragment) == NULL)
    g_error ("message \"%s\" does not mention \"%s\"", error->message, fragment);
}

/* ---- tests ---------------------------------------------------------- */

static void
test_built_valid (void)
{
  g_auto(Built) built = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  const char **strings = NULL;
  guint32 *lengths = NULL;
  guint64 n;
  guint32 u32;
  guint64 u64;
  gint32 i32;
  float f;
  gboolean flag;

  build_valid (&built);
  gguf = open_built (&built, built.bytes->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_version (gguf), ==, 3);
  g_assert_cmpuint (lb_gguf_alignment (gguf), ==, 64);
  g_assert_cmpuint (lb_gguf_n_keys (gguf), ==, N_KV);
  g_assert_cmpuint (lb_gguf_n_tensors (gguf), ==, N_TENSORS);
  g_assert_cmpstr (lb_gguf_get_string (gguf, "general.name", &error), ==, "tiny \"test\"");

  g_assert_true (lb_gguf_get_uint32 (gguf, "test.u8", &u32, &error));
  g_assert_cmpuint (u32, ==, 200);
  g_assert_true (lb_gguf_get_int32 (gguf, "test.i8", &i32, &error));
  g_assert_cmpint (i32, ==, -5);
  g_assert_true (lb_gguf_get_int32 (gguf, "test.i16", &i32, &error));
  g_assert_cmpint (i32, ==, -3000);
  g_assert_true (lb_gguf_get_uint64 (gguf, "test.u64", &u64, &error));
  g_assert_cmpuint (u64, ==, G_GUINT64_CONSTANT (5000000000));
  g_assert_true (lb_gguf_get_float (gguf, "test.f64", &f, &error));
  g_assert_cmpfloat (f, ==, 0.25f);
  g_assert_true (lb_gguf_get_bool (gguf, "test.flag", &flag, &error));
  g_assert_true (flag);
  g_assert_no_error (error);

  /* range and type errors */
  g_assert_false (lb_gguf_get_uint32 (gguf, "test.u64", &u32, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE);
  g_clear_error (&error);
  g_assert_false (lb_gguf_get_uint32 (gguf, "test.i64", &u32, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE);
  g_clear_error (&error);
  g_assert_null (lb_gguf_get_string (gguf, "test.u8", &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE);
  g_assert_nonnull (strstr (error->message, "test.u8"));
  g_clear_error (&error);
  g_assert_false (lb_gguf_get_float (gguf, "no.such.key", &f, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "no.such.key"));
  g_clear_error (&error);
  g_assert_true (lb_gguf_get_uint32_or (gguf, "no.such.key", 7, &u32, &error));
  g_assert_cmpuint (u32, ==, 7);
  g_assert_false (lb_gguf_get_uint32_or (gguf, "general.name", 7, &u32, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE);
  g_clear_error (&error);

  /* arrays */
  g_assert_true (lb_gguf_get_string_array (gguf, "tokenizer.ggml.tokens", &strings, &lengths, &n, &error));
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (strings[1], ==, "\xe2\x96\x81hello");
  g_assert_cmpuint (lengths[2], ==, 3);
  g_assert_cmpmem (strings[2], 3, "a\0b", 3);
  g_free (strings);
  g_free (lengths);
  g_autofree float *scores = lb_gguf_get_float_array (gguf, "tokenizer.ggml.scores", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (scores[1], ==, -1.5f);
  g_assert_null (lb_gguf_get_int32_array (gguf, "tokenizer.ggml.scores", &n, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_WRONG_TYPE);
  g_clear_error (&error);
  gint64 nested = lb_gguf_find_key (gguf, "test.nested");
  g_assert_cmpint (nested, >=, 0);
  g_assert_cmpint (lb_gguf_key_array_type (gguf, nested), ==, LB_GGUF_TYPE_ARRAY);
  g_assert_cmpuint (lb_gguf_key_array_length (gguf, nested), ==, 2);

  /* tensors */
  const LbGgufTensor *a = lb_gguf_find_tensor (gguf, "a");
  const LbGgufTensor *bq = lb_gguf_find_tensor (gguf, "b");
  g_assert_nonnull (a);
  g_assert_cmpuint (a->n_elements, ==, 8);
  g_assert_cmpuint (a->file_offset % 64, ==, 0);
  g_autofree float *av = lb_gguf_tensor_to_float (a, &error);
  g_assert_cmpfloat (av[7], ==, 4.5f);
  g_autofree float *bv = lb_gguf_tensor_to_float (bq, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (bv[5], ==, 5.0f);
  g_assert_cmpfloat (bv[32 + 5], ==, -11.0f);
  g_assert_null (lb_gguf_find_tensor (gguf, "d"));

  const guint64 want_shape[2] = { 4, 2 }, wrong_shape[2] = { 2, 4 };
  g_assert_nonnull (lb_gguf_require_tensor (gguf, "a", 2, want_shape, &error));
  g_assert_null (lb_gguf_require_tensor (gguf, "a", 2, wrong_shape, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "[4, 2]"));
  g_assert_nonnull (strstr (error->message, "[2, 4]"));
  g_clear_error (&error);
  g_assert_null (lb_gguf_require_tensor (gguf, "zzz", 2, want_shape, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING);
}

static void
test_truncated_everywhere (void)
{
  g_auto(Built) built = { 0 };

  build_valid (&built);
  /* The last tensor ends at the last byte: every shorter prefix is invalid. */
  for (gsize length = 0; length < built.bytes->len; length++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LbGguf) gguf = open_built (&built, length, &error);
      if (gguf != NULL)
        g_error ("a file truncated to %" G_GSIZE_FORMAT " of %u bytes was accepted", length, built.bytes->len);
      g_assert_nonnull (error);
      g_assert_true (error->domain == LB_GGUF_ERROR);
    }
}

static void
test_bad_header (void)
{
  g_auto(Built) built = { 0 };

  build_valid (&built);
  built.bytes->data[0] = 'X';
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "not a GGUF file");
  built.bytes->data[0] = 'G';

  patch (&built, built.version_at, 0x03000000, 4);
  expect_error (&built, LB_GGUF_ERROR_UNSUPPORTED, "big-endian");
  patch (&built, built.version_at, 1, 4);
  expect_error (&built, LB_GGUF_ERROR_UNSUPPORTED, "version 1");
  patch (&built, built.version_at, 4, 4);
  expect_error (&built, LB_GGUF_ERROR_UNSUPPORTED, "version 4");
  patch (&built, built.version_at, 2, 4);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(LbGguf) gguf = open_built (&built, built.bytes->len, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (lb_gguf_version (gguf), ==, 2);
  }
}

static void
test_bogus_counts (void)
{
  g_auto(Built) built = { 0 };

  build_valid (&built);
  patch (&built, built.n_kv_at, G_MAXUINT64, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "metadata entries");
  patch (&built, built.n_kv_at, N_KV + 1, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "");
  patch (&built, built.n_kv_at, N_KV, 8);

  patch (&built, built.n_tensors_at, G_GUINT64_CONSTANT (1) << 62, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "tensors");
  patch (&built, built.n_tensors_at, N_TENSORS, 8);

  patch (&built, built.first_key_length_at, G_MAXUINT64 - 3, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "metadata key");
  patch (&built, built.first_key_length_at, strlen ("general.architecture"), 8);

  patch (&built, built.string_value_length_at, 1u << 30, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "general.name");
  patch (&built, built.string_value_length_at, strlen ("tiny \"test\""), 8);

  patch (&built, built.array_length_at, G_GUINT64_CONSTANT (1) << 61, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "tokenizer.ggml.scores");
  patch (&built, built.array_length_at, 3, 8);

  patch (&built, built.bool_value_at, 2, 1);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "test.flag");
  patch (&built, built.bool_value_at, 1, 1);

  /* unknown value type of the first key */
  patch (&built, built.first_key_length_at + 8 + strlen ("general.architecture"), 13, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "unknown value type 13");
}

static void
test_bad_tensors (void)
{
  g_auto(Built) built = { 0 };

  build_valid (&built);
  patch (&built, built.tensor_n_dims_at, 5, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "5 dimensions");
  patch (&built, built.tensor_n_dims_at, 0, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "0 dimensions");
  patch (&built, built.tensor_n_dims_at, 2, 4);

  patch (&built, built.tensor_ne0_at, G_GUINT64_CONSTANT (1) << 40, 8);
  patch (&built, built.tensor_ne1_at, G_GUINT64_CONSTANT (1) << 40, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "invalid shape");
  patch (&built, built.tensor_ne1_at, 0, 8);
  patch (&built, built.tensor_ne0_at, 4, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "invalid shape");
  patch (&built, built.tensor_ne1_at, 2, 8);

  /* a shape whose byte size runs past the file */
  patch (&built, built.tensor_ne1_at, 1u << 20, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "runs past the end");
  patch (&built, built.tensor_ne1_at, 2, 8);

  patch (&built, built.tensor_type_at, 99, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "unknown type 99");
  /* a block type whose row length is not a multiple of the block */
  patch (&built, built.tensor_type_at, LB_TENSOR_Q8_0, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "block size");
  patch (&built, built.tensor_type_at, LB_TENSOR_F32, 4);

  patch (&built, built.tensor_offset_at, 1u << 30, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "runs past the end");
  patch (&built, built.tensor_offset_at, G_MAXUINT64 - 63, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "runs past the end");
  patch (&built, built.tensor_offset_at, 4, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "alignment");
  patch (&built, built.tensor_offset_at, 0, 8);

  patch (&built, built.alignment_value_at, 0, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "general.alignment");
  patch (&built, built.alignment_value_at, 48, 4);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "general.alignment");
  patch (&built, built.alignment_value_at, 64, 4);

  /* the last tensor moved one block further: past the end */
  patch (&built, built.last_tensor_offset_at, 256, 8);
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "'c'");
}

static void
test_unreadable_type (void)
{
  g_auto(Built) built = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  const guint64 shape[2] = { 256, 2 };

  /* Q4_K (144-byte blocks) relabelled IQ4_XS (136-byte blocks): the file
   * still opens so that `info` can describe it, but the tensor is refused
   * by name. */
  build_valid (&built);
  patch (&built, built.last_tensor_offset_at - 4, 23, 4);
  gguf = open_built (&built, built.bytes->len, &error);
  g_assert_no_error (error);
  g_assert_null (lb_gguf_require_tensor (gguf, "c", 2, shape, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "IQ4_XS"));
  g_clear_error (&error);
  g_assert_null (lb_gguf_tensor_to_float (lb_gguf_find_tensor (gguf, "c"), &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED);
}

static void
test_duplicates (void)
{
  g_auto(Built) built = { 0 };

  build_valid (&built);
  /* rename tensor "b" to "a" */
  for (guint i = built.tensor_offset_at; i < built.bytes->len; i++)
    if (built.bytes->data[i] == 'b' && built.bytes->data[i - 1] == 0)
      {
        built.bytes->data[i] = 'a';
        break;
      }
  expect_error (&built, LB_GGUF_ERROR_FORMAT, "appears twice");
}

static void
test_random_corruption (void)
{
  g_auto(Built) built = { 0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr(GByteArray) pristine = NULL;
  guint accepted = 0;

  build_valid (&built);
  pristine = g_byte_array_new ();
  g_byte_array_append (pristine, built.bytes->data, built.bytes->len);

  for (int round = 0; round < 3000; round++)
    {
      g_autoptr(GError) error = NULL;
      memcpy (built.bytes->data, pristine->data, pristine->len);
      int flips = g_rand_int_range (rand, 1, 4);
      for (int f = 0; f < flips; f++)
        {
          /* corrupt the header and descriptors, not the tensor payload */
          guint at = (guint) g_rand_int_range (rand, 0, (gint32) built.last_tensor_offset_at + 8);
          built.bytes->data[at] = (guint8) g_rand_int_range (rand, 0, 256);
        }
      g_autoptr(LbGguf) gguf = open_built (&built, built.bytes->len, &error);
      if (gguf == NULL)
        g_assert_true (error != NULL && error->domain == LB_GGUF_ERROR);
      else
        {
          accepted++;
          /* whatever was accepted is consistent: every tensor lies inside the file */
          for (guint64 i = 0; i < lb_gguf_n_tensors (gguf); i++)
            {
              const LbGgufTensor *t = lb_gguf_tensor (gguf, i);
              g_assert_cmpuint (t->file_offset + t->n_bytes, <=, lb_gguf_file_size (gguf));
              for (guint64 k = 0; k < lb_gguf_n_keys (gguf); k++)
                g_free (lb_gguf_key_to_string (gguf, k, 8));
            }
        }
    }
  g_test_message ("%u of 3000 corrupted files were still valid GGUF", accepted);
}

static void
test_reference_files (void)
{
  static const struct {
    const char *path;
    const char *arch;
    guint64 min_tensors;
  } files[] = {
    { "models/a-f32/text.gguf", "gemma3", 2 + 6 * 13 },
    { "models/a-f32/mmproj.gguf", "clip", 7 + 2 * 16 },
    { "models/b-q8/text.gguf", "gemma3", 3 + 6 * 13 },
    { "models/b-q8/mmproj.gguf", "clip", 7 + 3 * 16 },
    { "models/c-q4km/text.gguf", "gemma3", 2 + 12 * 13 },
    { "models/c-q4km/mmproj.gguf", "clip", 7 + 2 * 16 },
    { "vocab/gemma3-vocab.gguf", "gemma3", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = lb_test_reference_path (files[i].path);
      g_autoptr(GError) error = NULL;
      g_autoptr(LbGguf) gguf = lb_gguf_open (path, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (lb_gguf_get_string (gguf, "general.architecture", &error), ==, files[i].arch);
      g_assert_cmpuint (lb_gguf_n_tensors (gguf), ==, files[i].min_tensors);
      for (guint64 t = 0; t < lb_gguf_n_tensors (gguf); t++)
        {
          const LbGgufTensor *tensor = lb_gguf_tensor (gguf, t);
          g_assert_cmpuint (tensor->file_offset % lb_gguf_alignment (gguf), ==, 0);
          g_assert_cmpuint (tensor->file_offset + tensor->n_bytes, <=, lb_gguf_file_size (gguf));
        }
    }
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = lb_gguf_open ("/nonexistent/model.gguf", &error);

  g_assert_null (gguf);
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.gguf"));
}

static void
test_empty_file (void)
{
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), "empty.gguf", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  g_autoptr(LbGguf) gguf = lb_gguf_open (path, &error);
  g_assert_null (gguf);
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gguf/reference-files", test_reference_files);
  g_test_add_func ("/gguf/built/valid", test_built_valid);
  g_test_add_func ("/gguf/built/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/gguf/built/bad-header", test_bad_header);
  g_test_add_func ("/gguf/built/bogus-counts", test_bogus_counts);
  g_test_add_func ("/gguf/built/bad-tensors", test_bad_tensors);
  g_test_add_func ("/gguf/built/unreadable-type", test_unreadable_type);
  g_test_add_func ("/gguf/built/duplicates", test_duplicates);
  g_test_add_func ("/gguf/built/random-corruption", test_random_corruption);
  g_test_add_func ("/gguf/missing-file", test_missing_file);
  g_test_add_func ("/gguf/empty-file", test_empty_file);
  return g_test_run ();
}
