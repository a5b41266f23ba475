/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dequantizers against the reference implementation's own dequantized
 * values (tests/reference/models/NAME/FILE.dequant.json), and the half/bfloat16
 * conversions against exhaustive round trips.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "lb-test.h"
#include "model/gguf.h"

static void
check_values (const char *what, JsonArray *expected, const float *actual)
{
  guint n = json_array_get_length (expected);
  g_autofree float *want = g_new (float, n);

  for (guint i = 0; i < n; i++)
    want[i] = (float) json_array_get_double_element (expected, i);
  /* "A correct dequantizer reproduces them to float32 rounding." */
  lb_test_assert_close_impl (__FILE__, __LINE__, what, actual, want, n, 0.0, 1e-6);
}

static void
check_model_file (gconstpointer data)
{
  const char *relative = data;
  g_autofree char *gguf_path = lb_test_reference_path (relative);
  g_autofree char *json_relative = NULL;
  g_autofree char *json_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(LbGguf) gguf = NULL;
  JsonArray *entries;
  guint checked = 0;

  /* models/x/text.gguf -> models/x/text.dequant.json */
  json_relative = g_strndup (relative, strlen (relative) - strlen (".gguf"));
  g_autofree char *json_base = lb_test_reference_path (json_relative);
  json_path = g_strconcat (json_base, ".dequant.json", NULL);

  gguf = lb_gguf_open (gguf_path, &error);
  g_assert_no_error (error);
  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  entries = json_node_get_array (json_parser_get_root (parser));

  for (guint e = 0; e < json_array_get_length (entries); e++)
    {
      JsonObject *entry = json_array_get_object_element (entries, e);
      const char *name = json_object_get_string_member (entry, "name");
      const LbGgufTensor *t = lb_gguf_find_tensor (gguf, name);
      g_autofree float *values = NULL;
      double sum = 0, max_abs = 0;
      guint64 row = 0, n_rows;

      g_assert_nonnull (t);
      g_assert_cmpstr (lb_tensor_type_name (t->type), ==, json_object_get_string_member (entry, "type"));
      values = lb_gguf_tensor_to_float (t, &error);
      g_assert_no_error (error);
      for (guint64 i = 0; i < t->n_elements; i++)
        {
          sum += values[i];
          max_abs = MAX (max_abs, fabs (values[i]));
        }
      n_rows = t->n_elements / t->ne[0];
      row = (n_rows - 1) * t->ne[0];
      check_values (name, json_object_get_array_member (entry, "row0_head"), values);
      /* rows shorter than 32 values give fewer than 32 in head and tail */
      JsonArray *tail = json_object_get_array_member (entry, "row0_tail");
      g_assert_cmpuint (json_array_get_length (tail), ==, MIN (32, t->ne[0]));
      check_values (name, tail, values + t->ne[0] - json_array_get_length (tail));
      check_values (name, json_object_get_array_member (entry, "last_row_head"), values + row);
      g_assert_cmpfloat_with_epsilon (max_abs, json_object_get_double_member (entry, "max_abs"), 1e-7);
      /* float64 sums of float32 values: the order of summation barely matters */
      g_assert_cmpfloat_with_epsilon (sum, json_object_get_double_member (entry, "sum"),
                                      1e-9 * t->n_elements + 1e-6 * fabs (sum));

      /* Row access agrees with whole-tensor access. */
      g_autofree float *last = g_new (float, t->ne[0]);
      lb_gguf_tensor_rows_to_float (t, n_rows - 1, 1, last);
      g_assert_cmpmem (last, t->ne[0] * sizeof (float), values + row, t->ne[0] * sizeof (float));
      checked++;
    }
  /* c-q4km's mmproj is all F32 (its dequant file is an empty list). */
  if (strstr (relative, "c-q4km/mmproj") == NULL)
    g_assert_cmpuint (checked, >, 0);
}

static void
test_f16_round_trip (void)
{
  /* Every finite half converts to float and back unchanged. */
  for (guint32 h = 0; h < 0x10000; h++)
    {
      float f = lb_f16_to_f32 ((guint16) h);
      if (isnan (f))
        {
          g_assert_true ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0);
          g_assert_true (isnan (lb_f16_to_f32 (lb_f32_to_f16 (f))));
          continue;
        }
      g_assert_cmphex (lb_f32_to_f16 (f), ==, h);
    }
  g_assert_cmpfloat (lb_f16_to_f32 (lb_f32_to_f16 (65519.0f)), ==, 65504.0f);
  g_assert_true (isinf (lb_f16_to_f32 (lb_f32_to_f16 (65520.0f))));
  g_assert_cmpfloat (lb_f16_to_f32 (lb_f32_to_f16 (1.0f + 1.0f / 2048)), ==, 1.0f); /* tie to even */
  g_assert_cmpfloat (lb_f16_to_f32 (lb_f32_to_f16 (1.0f + 3.0f / 2048)), ==, 1.0f + 2.0f / 1024);
  g_assert_cmpfloat (lb_f16_to_f32 (lb_f32_to_f16 (3e-8f)), ==, 5.9604644775390625e-8f);
}

static void
test_f16_nearest (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());

  /* The rounding picks the nearer of the two neighbouring halves. */
  for (int i = 0; i < 200000; i++)
    {
      float f = (float) g_rand_double_range (rand, -70000.0, 70000.0) * (float) pow (10, g_rand_int_range (rand, -9, 1));
      float r = lb_f16_to_f32 (lb_f32_to_f16 (f));
      if (isinf (r))
        {
          g_assert_cmpfloat (fabsf (f), >=, 65520.0f);
          continue;
        }
      guint16 h = lb_f32_to_f16 (f);
      float up = lb_f16_to_f32 ((guint16) (h + 1)), down = lb_f16_to_f32 ((guint16) (h - 1));
      if ((h & 0x7fff) != 0 && !isinf (up))
        g_assert_cmpfloat (fabsf (r - f), <=, fabsf (up - f));
      if ((h & 0x7fff) != 0 && !isinf (down))
        g_assert_cmpfloat (fabsf (r - f), <=, fabsf (down - f));
    }
}

static void
test_bf16 (void)
{
  g_assert_cmpfloat (lb_bf16_to_f32 (lb_f32_to_bf16 (1.0f)), ==, 1.0f);
  g_assert_cmphex (lb_f32_to_bf16 (1.0f + 1.0f / 256), ==, 0x3f80); /* tie to even (down) */
  g_assert_cmphex (lb_f32_to_bf16 (1.0f + 3.0f / 256), ==, 0x3f82); /* tie to even (up) */
  g_assert_true (isnan (lb_bf16_to_f32 (lb_f32_to_bf16 (NAN))));
  for (guint32 b = 0; b < 0x10000; b++)
    {
      float f = lb_bf16_to_f32 ((guint16) b);
      if (!isnan (f))
        g_assert_cmphex (lb_f32_to_bf16 (f), ==, b);
    }
}

static void
test_type_table (void)
{
  LbTensorType t;

  g_assert_cmpstr (lb_tensor_type_name (LB_TENSOR_Q4_K), ==, "Q4_K");
  g_assert_cmpstr (lb_tensor_type_name (16), ==, "IQ2_XXS");
  g_assert_cmpstr (lb_tensor_type_name (1000), ==, "type 1000");
  g_assert_null (lb_tensor_type_info (1000));
  g_assert_false (lb_tensor_type_info (16)->readable);
  g_assert_true (lb_tensor_type_from_name ("q6_k", &t));
  g_assert_cmpint (t, ==, LB_TENSOR_Q6_K);
  g_assert_false (lb_tensor_type_from_name ("Q7_K", &t));
  g_assert_cmpuint (lb_tensor_type_bytes (LB_TENSOR_Q4_K, 512), ==, 288);
  g_assert_cmpuint (lb_tensor_type_bytes (LB_TENSOR_Q8_0, 64), ==, 68);
  g_assert_cmpuint (lb_tensor_type_bytes (LB_TENSOR_BF16, 3), ==, 6);
}

/* Hand-built blocks with known values, for the types no reference model uses. */
static void
test_hand_blocks (void)
{
  guint8 block[34] = { 0 };
  float out[32];
  guint16 d = lb_f32_to_f16 (0.5f);

  /* Q8_0: d = 0.5, q[j] = j - 16 */
  block[0] = d & 0xff;
  block[1] = d >> 8;
  for (int j = 0; j < 32; j++)
    block[2 + j] = (guint8) (gint8) (j - 16);
  lb_dequantize (LB_TENSOR_Q8_0, block, out, 32);
  for (int j = 0; j < 32; j++)
    g_assert_cmpfloat (out[j], ==, 0.5f * (j - 16));

  /* Q4_0: nibble j holds j for the low half and 15 - j for the high half */
  guint8 q4[18] = { d & 0xff, d >> 8 };
  for (int j = 0; j < 16; j++)
    q4[2 + j] = (guint8) (j | ((15 - j) << 4));
  lb_dequantize (LB_TENSOR_Q4_0, q4, out, 32);
  for (int j = 0; j < 16; j++)
    {
      g_assert_cmpfloat (out[j], ==, 0.5f * (j - 8));
      g_assert_cmpfloat (out[j + 16], ==, 0.5f * (15 - j - 8));
    }

  /* Q5_1: d = 0.5, m = -1; high bits set for odd j: value = (q | 16*odd) * d + m */
  guint16 m = lb_f32_to_f16 (-1.0f);
  guint8 q5[24] = { d & 0xff, d >> 8, m & 0xff, m >> 8, 0xaa, 0xaa, 0xaa, 0xaa };
  for (int j = 0; j < 16; j++)
    q5[8 + j] = (guint8) (j | (j << 4));
  lb_dequantize (LB_TENSOR_Q5_1, q5, out, 32);
  for (int j = 0; j < 32; j++)
    g_assert_cmpfloat (out[j], ==, ((j % 16) + ((j & 1) ? 16 : 0)) * 0.5f - 1.0f);
}

int
main (int argc, char **argv)
{
  static const char *const files[] = {
    "models/b-q8/text.gguf", "models/b-q8/mmproj.gguf",
    "models/c-q4km/text.gguf", "models/c-q4km/mmproj.gguf",
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensor-type/table", test_type_table);
  g_test_add_func ("/tensor-type/f16/round-trip", test_f16_round_trip);
  g_test_add_func ("/tensor-type/f16/nearest", test_f16_nearest);
  g_test_add_func ("/tensor-type/bf16", test_bf16);
  g_test_add_func ("/tensor-type/hand-blocks", test_hand_blocks);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tensor-type/reference/%s", files[i]);
      g_test_add_data_func (path, files[i], check_model_file);
    }
  return g_test_run ();
}
