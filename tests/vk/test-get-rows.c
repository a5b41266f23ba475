/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The row lookup (embedding table) against lb_dequantize for every weight
 * type: random tables quantized with lb_quantize, random ids with repeats,
 * outputs poisoned with NaN beforehand.
 *
 * Tolerance: the shader produces the same float32 values as lb_dequantize
 * times the scale; the only freedom is a GPU compiler fusing q*d + m into
 * one FMA (one rounding less), so |got - want| <= 1e-6 * (1 + |want|) for
 * tables of magnitude ~1 (a few ulps).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vk-test.h"
#include "model/quantize.h"
#include "vk/vk-get-rows.h"
#include "vk/vk-matmul.h"

static const LbTensorType all_types[] = {
  LB_TENSOR_F32, LB_TENSOR_F16, LB_TENSOR_BF16, LB_TENSOR_Q8_0, LB_TENSOR_Q4_0, LB_TENSOR_Q4_1,
  LB_TENSOR_Q5_0, LB_TENSOR_Q5_1, LB_TENSOR_Q2_K, LB_TENSOR_Q3_K, LB_TENSOR_Q4_K, LB_TENSOR_Q5_K,
  LB_TENSOR_Q6_K,
};

typedef struct {
  LbTensorType type;
  guint32 rows, cols;
} Table;

/* The table in its type's layout and its dequantized values. */
static guint8 *
random_table (GRand *rand, const Table *t, gsize *out_bytes, float **out_values)
{
  gsize n = (gsize) t->rows * t->cols;
  g_autofree float *values = vk_test_random_floats (rand, n, -1.0f, 1.0f);
  guint8 *data = g_malloc (lb_tensor_type_bytes (t->type, n));

  lb_quantize (t->type, values, data, n);
  *out_bytes = lb_tensor_type_bytes (t->type, n);
  *out_values = g_new (float, n);
  lb_dequantize (t->type, data, *out_values, n);
  return data;
}

/* Looks ids[ids_offset..] up in a fresh table and checks every output row:
 * rows of valid ids equal the table's row times the scale; rows of ids
 * past the table's end and the gaps of a wider stride stay NaN. */
static void
run_get_rows (LbVkContext *ctx, const Table *t, guint32 n_ids, guint32 ids_offset, guint32 out_stride,
              guint32 n_invalid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = vk_test_rand ();
  g_autofree float *values = NULL, *out = NULL, *want = NULL;
  g_autofree guint8 *table = NULL;
  g_autofree guint32 *ids = g_new (guint32, ids_offset + n_ids);
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) table_buf = NULL, ids_buf = NULL, out_buf = NULL;
  gsize table_bytes, out_len = (gsize) (n_ids - 1) * out_stride + t->cols;
  float scale = (float) g_rand_double_range (rand, 0.5, 3.0);

  table = random_table (rand, t, &table_bytes, &values);
  for (guint32 i = 0; i < ids_offset + n_ids; i++)
    ids[i] = g_rand_int_range (rand, 0, t->rows);
  /* Repeats, both ends, and ids past the end. */
  ids[ids_offset] = t->rows - 1;
  if (n_ids > 2)
    ids[ids_offset + 1] = 0, ids[ids_offset + 2] = t->rows - 1;
  for (guint32 i = 0; i < n_invalid && i < n_ids; i++)
    ids[ids_offset + n_ids - 1 - i] = t->rows + i * 1000;

  cmds = vk_test_commands (ctx);
  table_buf = vk_test_upload (ctx, table, table_bytes, "token_embd.weight");
  ids_buf = vk_test_upload (ctx, ids, (ids_offset + n_ids) * sizeof (guint32), "ids");
  out_buf = vk_test_poisoned (ctx, cmds, out_len * sizeof (float), "embeddings");
  lb_vk_get_rows (cmds,
                  &(LbVkGetRows) {
                    .type = t->type, .table = lb_vk_bind (table_buf), .rows = t->rows, .cols = t->cols,
                    .ids = lb_vk_bind (ids_buf), .ids_offset = ids_offset, .n_ids = n_ids,
                    .out = lb_vk_bind (out_buf), .out_stride = out_stride, .scale = scale,
                  },
                  &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  out = vk_test_download_floats (out_buf, out_len);

  for (guint32 i = 0; i < n_ids; i++)
    {
      guint32 id = ids[ids_offset + i];
      const float *got = out + (gsize) i * out_stride;

      if (id >= t->rows)
        {
          for (guint32 k = 0; k < t->cols; k++)
            g_assert_true (isnan (got[k]));
          continue;
        }
      want = g_renew (float, want, t->cols);
      for (guint32 k = 0; k < t->cols; k++)
        want[k] = values[(gsize) id * t->cols + k] * scale;
      lb_test_assert_close (got, want, t->cols, 1e-6, 1e-6);
      for (guint32 k = t->cols; k < out_stride && i + 1 < n_ids; k++)
        g_assert_true (isnan (got[k]));
    }
}

static void
test_get_rows_type (gconstpointer data)
{
  LbTensorType type = GPOINTER_TO_UINT (data);
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  LbVkContext *ctx = vk_test_context ();
  guint32 cols = info->block_elements == 1 ? 100 : info->block_elements == 32 ? 160 : 512;

  if (ctx == NULL)
    return;
  /* One id (decode), several with repeats and an invalid one (prefill),
   * F16/BF16 in both widths (rows of 8k + 4 and of 8k). */
  run_get_rows (ctx, &(Table) { type, 37, cols }, 1, 0, cols, 0);
  run_get_rows (ctx, &(Table) { type, 37, cols }, 9, 3, cols + 8, 1);
  if (info->block_elements == 1)
    run_get_rows (ctx, &(Table) { type, 37, 96 }, 5, 0, 96, 0);
}

/* A table bound in row chunks and outputs in groups of rows, through a
 * context whose bindings are capped at 64 KiB (see test-matmul.c). */
static void
test_get_rows_chunks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbVkContext) ctx = NULL;

  if (vk_test_context () == NULL)
    return;
  ctx = lb_vk_context_new (&error);
  g_assert_no_error (error);
  ctx->info.max_storage_buffer_range = 64 << 10;
  /* 1003 rows of 420 bytes: 7 chunks; 100 output rows of 2 KiB: 4 groups. */
  run_get_rows (ctx, &(Table) { LB_TENSOR_Q6_K, 1003, 512 }, 100, 1, 512, 2);
  run_get_rows (ctx, &(Table) { LB_TENSOR_Q4_0, 2001, 64 }, 40, 0, 68, 0);
}

/* More ids than maxComputeWorkGroupCount[1] (65535 on lavapipe): the
 * runtime splits the grid along y. */
static void
test_get_rows_many_ids (void)
{
  LbVkContext *ctx = vk_test_context ();

  if (ctx != NULL)
    run_get_rows (ctx, &(Table) { LB_TENSOR_Q4_K, 300, 256 }, 70003, 0, 256, 1);
}

/* Ids written by the host (or a sampler) between replays of one recording:
 * the lookup reads them when it runs, not when it is recorded. */
static void
test_get_rows_replay (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const Table t = { LB_TENSOR_Q4_K, 50, 256 };
  g_autofree float *values = NULL;
  g_autofree guint8 *table = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) table_buf = NULL, ids_buf = NULL, out_buf = NULL;
  gsize table_bytes;

  if (ctx == NULL)
    return;
  table = random_table (rand, &t, &table_bytes, &values);
  table_buf = vk_test_upload (ctx, table, table_bytes, "token_embd.weight");
  ids_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_HOST, 16, "next token", &error);
  g_assert_no_error (error);
  out_buf = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, t.cols * sizeof (float), "embedding", &error);
  g_assert_no_error (error);
  cmds = vk_test_commands (ctx);
  lb_vk_get_rows (cmds,
                  &(LbVkGetRows) {
                    .type = t.type, .table = lb_vk_bind (table_buf), .rows = t.rows, .cols = t.cols,
                    .ids = lb_vk_bind (ids_buf), .n_ids = 1, .out = lb_vk_bind (out_buf),
                  },
                  &error);
  g_assert_no_error (error);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);

  for (guint step = 0; step < 3; step++)
    {
      guint32 id = g_rand_int_range (rand, 0, t.rows);
      g_autofree float *got = NULL;

      lb_vk_buffer_write (ids_buf, 0, &id, sizeof id, &error);
      g_assert_no_error (error);
      lb_vk_commands_submit (cmds, &error);
      g_assert_no_error (error);
      lb_vk_commands_wait (cmds, &error);
      g_assert_no_error (error);
      got = vk_test_download_floats (out_buf, t.cols);
      lb_test_assert_close (got, values + (gsize) id * t.cols, t.cols, 1e-6, 1e-6);
    }
}

static void
test_get_rows_errors (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) table = NULL, ids = NULL, out = NULL;

  if (ctx == NULL)
    return;
  cmds = vk_test_commands (ctx);
  table = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "token_embd.weight", &error);
  ids = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 64, "ids", &error);
  out = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "out", &error);
  g_assert_no_error (error);

  /* 100 rows of 256 Q6_K elements do not fit 4096 bytes. */
  g_assert_false (lb_vk_get_rows (cmds,
                                  &(LbVkGetRows) { .type = LB_TENSOR_Q6_K, .table = lb_vk_bind (table), .rows = 100,
                                                   .cols = 256, .ids = lb_vk_bind (ids), .n_ids = 1,
                                                   .out = lb_vk_bind (out) },
                                  &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "token_embd.weight"));
  g_clear_error (&error);
  /* 17 ids, 16 in the buffer. */
  g_assert_false (lb_vk_get_rows (cmds,
                                  &(LbVkGetRows) { .type = LB_TENSOR_F32, .table = lb_vk_bind (table), .rows = 8,
                                                   .cols = 4, .ids = lb_vk_bind (ids), .n_ids = 17,
                                                   .out = lb_vk_bind (out) },
                                  &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  /* Rows of 30 F32 elements (not whole vec4s). */
  g_assert_false (lb_vk_get_rows (cmds,
                                  &(LbVkGetRows) { .type = LB_TENSOR_F32, .table = lb_vk_bind (table), .rows = 8,
                                                   .cols = 30, .ids = lb_vk_bind (ids), .n_ids = 1,
                                                   .out = lb_vk_bind (out) },
                                  &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds), ==, 0);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();

  for (guint t = 0; t < G_N_ELEMENTS (all_types); t++)
    {
      g_autofree char *type = g_ascii_strdown (lb_tensor_type_name (all_types[t]), -1);
      g_autofree char *path = g_strdup_printf ("/vk/get-rows/%s", type);
      g_test_add_data_func (path, GUINT_TO_POINTER (all_types[t]), test_get_rows_type);
    }
  g_test_add_func ("/vk/get-rows/chunks", test_get_rows_chunks);
  g_test_add_func ("/vk/get-rows/replay", test_get_rows_replay);
  g_test_add_func ("/vk/get-rows/many-ids", test_get_rows_many_ids);
  g_test_add_func ("/vk/get-rows/errors", test_get_rows_errors);
  return vk_test_run ();
}
