/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The weight kernels' micro-benchmark (vk-matmul-bench.h).
 */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <stdlib.h>

#include "model/quantize.h"
#include "vk/vk-get-rows.h"
#include "vk/vk-matmul-bench.h"
#include "vk/vk-matmul.h"

typedef enum {
  SHAPE_MATVEC,
  SHAPE_MATMUL,
  SHAPE_GET_ROWS,
} ShapeKind;

typedef struct {
  const char *kernel;
  ShapeKind kind;
  guint32 rows, cols, n;
  guint n_parts;          /* > 1: rows split into parts (fused q/k/v, gate/up) */
  guint32 part_rows[3];
  LbVkMatmulKernel which; /* 0: VEC for SHAPE_MATVEC, TILED_SCALAR for SHAPE_MATMUL */
  LbVkMatmulEpilogue epilogue;
} Shape;

/* MedGemma 4B: E = 2560, FFN 10240, H·D = 2048, KV·D = 1024, vocabulary 262144.
 * "matmul" is the scalar tiled kernel; "matmul coopmat" the cooperative-
 * matrix one (skipped where the device has none); the "gelu" rows are the
 * fused gelu(gate) · up of the MLP (both weights counted in rows). */
static const Shape shapes[] = {
  { "matvec", SHAPE_MATVEC, 10240, 2560, 1, 1, { 10240 } },     /* ffn_gate / ffn_up */
  { "matvec", SHAPE_MATVEC, 2560, 10240, 1, 1, { 2560 } },      /* ffn_down */
  { "matvec", SHAPE_MATVEC, 2048, 2560, 1, 1, { 2048 } },       /* attn_q */
  { "matvec qkv", SHAPE_MATVEC, 4096, 2560, 1, 3, { 2048, 1024, 1024 } },
  { "matvec gelu", SHAPE_MATVEC, 20480, 2560, 1, 2, { 10240, 10240 }, 0, LB_VK_MATMUL_GELU_MUL },
  { "matvec", SHAPE_MATVEC, 262144, 2560, 1, 1, { 262144 } },   /* output head */
  { "matvec", SHAPE_MATVEC, 10240, 2560, 8, 1, { 10240 } },     /* eight sequences */
  { "matmul", SHAPE_MATMUL, 10240, 2560, 512, 1, { 10240 } },   /* prefill of 512 tokens */
  { "matmul coopmat", SHAPE_MATMUL, 10240, 2560, 512, 1, { 10240 }, LB_VK_MATMUL_COOPMAT },
  { "matmul gelu", SHAPE_MATMUL, 20480, 2560, 512, 2, { 10240, 10240 }, 0, LB_VK_MATMUL_GELU_MUL },
  { "get_rows", SHAPE_GET_ROWS, 262144, 2560, 1, 1, { 262144 } },
  { "get_rows", SHAPE_GET_ROWS, 262144, 2560, 512, 1, { 262144 } },
};

static const LbTensorType default_types[] = {
  LB_TENSOR_F32, LB_TENSOR_F16, LB_TENSOR_BF16, LB_TENSOR_Q8_0, LB_TENSOR_Q4_0, LB_TENSOR_Q4_1,
  LB_TENSOR_Q5_0, LB_TENSOR_Q5_1, LB_TENSOR_Q2_K, LB_TENSOR_Q3_K, LB_TENSOR_Q4_K, LB_TENSOR_Q5_K,
  LB_TENSOR_Q6_K,
};

/* Fills rows × cols of the type with valid random blocks: 256 quantized
 * rows written over and over. */
static gboolean
fill_weights (LbVkBuffer *buffer, LbTensorType type, guint32 rows, guint32 cols, GRand *rand, GError **error)
{
  guint32 block_rows = MIN (rows, 256);
  gsize n = (gsize) block_rows * cols;
  gsize bytes = lb_tensor_type_bytes (type, n);
  g_autofree float *values = g_new (float, n);
  g_autofree guint8 *block = g_malloc (bytes);

  for (gsize i = 0; i < n; i++)
    values[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  lb_quantize (type, values, block, n);
  for (guint32 r = 0; r < rows; r += block_rows)
    {
      guint32 count = MIN (block_rows, rows - r);
      if (!lb_vk_buffer_write (buffer, lb_tensor_type_bytes (type, (guint64) r * cols), block,
                               lb_tensor_type_bytes (type, (guint64) count * cols), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
fill_floats (LbVkBuffer *buffer, gsize n, GRand *rand, GError **error)
{
  g_autofree float *values = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    values[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  return lb_vk_buffer_write (buffer, 0, values, n * sizeof (float), error);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Runs the ended recording once to warm up, then up to `repeats` times
 * (at least three, at most ~2 s of runs); the median in ms. */
static gboolean
time_recording (LbVkCommands *cmds, guint repeats, double *out_ms, GError **error)
{
  g_autofree double *times = g_new (double, MAX (repeats, 3));
  gint64 start = g_get_monotonic_time ();
  guint n = 0;

  if (!lb_vk_commands_submit (cmds, error) || !lb_vk_commands_wait (cmds, error))
    return FALSE;
  while (n < MAX (repeats, 3))
    {
      gint64 t0 = g_get_monotonic_time ();
      double gpu;
      if (!lb_vk_commands_submit (cmds, error) || !lb_vk_commands_wait (cmds, error))
        return FALSE;
      gpu = lb_vk_commands_gpu_ms (cmds);
      times[n++] = gpu > 0 ? gpu : (g_get_monotonic_time () - t0) / 1000.0;
      if (n >= 3 && g_get_monotonic_time () - start > 2 * G_USEC_PER_SEC)
        break;
    }
  qsort (times, n, sizeof (double), compare_doubles);
  *out_ms = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  return TRUE;
}

/* Allocates, fills, records and times one shape; sets row->skipped when a
 * buffer exceeds what the device can allocate. */
static gboolean
bench_shape (LbVkContext *ctx, const Shape *shape, LbTensorType type, guint repeats, GRand *rand,
             LbVkMatmulBenchRow *row, GError **error)
{
  g_autoptr(LbVkBuffer) weights = NULL, x = NULL, y = NULL, ids = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  /* A CPU device (lavapipe) needs minutes for a 27 GFLOP prefill, beyond
   * the runtime's hang detection: it runs 64 tokens instead of 512. */
  guint32 n = shape->kind == SHAPE_MATMUL && ctx->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? MIN (shape->n, 64)
                                                                                          : shape->n;
  guint64 w_bytes = lb_tensor_type_bytes (type, (guint64) shape->rows * shape->cols);
  guint64 x_floats = (guint64) n * shape->cols, y_floats = (guint64) n * shape->rows;
  guint64 moved;
  GError *local = NULL;

  *row = (LbVkMatmulBenchRow) {
    .kernel = shape->kernel, .type = type, .rows = shape->rows, .cols = shape->cols, .n = n,
  };
  if (shape->kind == SHAPE_GET_ROWS)
    x_floats = 0, y_floats = (guint64) n * shape->cols;
  if (shape->which == LB_VK_MATMUL_COOPMAT && !ctx->info.cooperative_matrix_nv)
    {
      row->skipped = "no usable VK_NV_cooperative_matrix on this device";
      return TRUE;
    }
  if (MAX (w_bytes, MAX (x_floats, y_floats) * 4) > ctx->info.max_memory_allocation_size)
    {
      row->skipped = "larger than one allocation on this device";
      return TRUE;
    }

  weights = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, w_bytes, "bench weights", &local);
  if (weights != NULL)
    y = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, y_floats * 4, "bench output", &local);
  if (y != NULL)
    x = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, MAX (x_floats, 4) * 4, "bench activations", &local);
  if (x == NULL)
    {
      if (g_error_matches (local, LB_VK_ERROR, LB_VK_ERROR_OUT_OF_MEMORY)
          || g_error_matches (local, LB_VK_ERROR, LB_VK_ERROR_LIMIT))
        {
          row->skipped = "out of device memory";
          g_clear_error (&local);
          return TRUE;
        }
      g_propagate_error (error, local);
      return FALSE;
    }
  if (!fill_weights (weights, type, shape->rows, shape->cols, rand, error)
      || (x_floats > 0 && !fill_floats (x, x_floats, rand, error)))
    return FALSE;

  cmds = lb_vk_commands_new (ctx, error);
  if (cmds == NULL || !lb_vk_commands_begin (cmds, error))
    return FALSE;

  if (shape->kind == SHAPE_GET_ROWS)
    {
      g_autofree guint32 *id_values = g_new (guint32, n);
      for (guint32 i = 0; i < n; i++)
        id_values[i] = g_rand_int_range (rand, 0, shape->rows);
      ids = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, n * sizeof (guint32), "bench ids", error);
      if (ids == NULL || !lb_vk_buffer_write (ids, 0, id_values, n * sizeof (guint32), error))
        return FALSE;
      if (!lb_vk_get_rows (cmds,
                           &(LbVkGetRows) {
                             .type = type, .table = lb_vk_bind (weights), .rows = shape->rows, .cols = shape->cols,
                             .ids = lb_vk_bind (ids), .n_ids = n, .out = lb_vk_bind (y),
                           },
                           error))
        return FALSE;
      /* Only the looked-up rows are read. */
      moved = (guint64) n * (lb_tensor_type_bytes (type, shape->cols) + shape->cols * 4 + 4);
    }
  else
    {
      LbVkMatmul op = {
        .type = type,
        .cols = shape->cols,
        .n = n,
        .x = lb_vk_bind (x),
        .n_parts = shape->n_parts,
        .kernel = shape->which != 0 ? shape->which
                  : shape->kind == SHAPE_MATVEC ? LB_VK_MATMUL_VEC : LB_VK_MATMUL_TILED_SCALAR,
        .epilogue = shape->epilogue,
      };
      guint64 w_offset = 0, y_offset = 0;

      for (guint p = 0; p < shape->n_parts; p++)
        {
          guint64 part_bytes = lb_tensor_type_bytes (type, (guint64) shape->part_rows[p] * shape->cols);
          op.parts[p] = (LbVkMatmulPart) {
            .weight = lb_vk_bind_range (weights, w_offset, part_bytes),
            .rows = shape->part_rows[p],
            .out = lb_vk_bind_range (y, y_offset, (guint64) n * shape->part_rows[p] * 4),
          };
          w_offset += part_bytes;
          y_offset += (guint64) n * shape->part_rows[p] * 4;
        }
      if (!lb_vk_matmul (cmds, &op, error))
        return FALSE;
      /* The gate/up pair writes one output of half the rows. */
      moved = w_bytes + (x_floats + (shape->epilogue == LB_VK_MATMUL_GELU_MUL ? y_floats / 2 : y_floats)) * 4;
      row->gflop_per_s = 2.0 * shape->rows * shape->cols * n;
    }

  if (!lb_vk_commands_end (cmds, error) || !time_recording (cmds, repeats, &row->median_ms, error))
    return FALSE;
  row->gb_per_s = moved / (row->median_ms * 1e6);
  row->gflop_per_s /= row->median_ms * 1e6;
  return TRUE;
}

static gboolean
kernel_selected (const char *list, const char *kernel)
{
  g_auto(GStrv) names = g_strsplit (list, ",", -1);

  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (g_strstrip (names[i]), kernel))
      return TRUE;
  return FALSE;
}

GArray *
lb_vk_matmul_bench (LbVkContext *ctx, const LbVkMatmulBenchOptions *options, GError **error)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (LbVkMatmulBenchRow));
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261128);
  const LbTensorType *types = options != NULL && options->types != NULL ? options->types : default_types;
  guint n_types = options != NULL && options->types != NULL ? options->n_types : G_N_ELEMENTS (default_types);
  guint repeats = options != NULL && options->repeats > 0 ? options->repeats : 10;

  g_return_val_if_fail (ctx != NULL, NULL);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      if (options != NULL && options->kernels != NULL && !kernel_selected (options->kernels, shapes[s].kernel))
        continue;
      for (guint t = 0; t < n_types; t++)
        {
          LbVkMatmulBenchRow row;

          if (!lb_vk_matmul_supported (types[t]))
            {
              g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID, "bench: the kernels do not read %s weights",
                           lb_tensor_type_name (types[t]));
              return NULL;
            }
          if (!bench_shape (ctx, &shapes[s], types[t], repeats, rand, &row, error))
            return NULL;
          g_debug ("bench %s %s %u×%u n=%u: %.3f ms", row.kernel, lb_tensor_type_name (row.type), row.rows,
                   row.cols, row.n, row.median_ms);
          g_array_append_val (rows, row);
        }
    }
  return g_steal_pointer (&rows);
}

char *
lb_vk_matmul_bench_format (GArray *rows)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%-14s %-5s %-26s %10s %9s %10s\n", "kernel", "type", "shape", "median ms", "GB/s",
                          "GFLOP/s");
  for (guint i = 0; i < rows->len; i++)
    {
      const LbVkMatmulBenchRow *r = &g_array_index (rows, LbVkMatmulBenchRow, i);
      g_autofree char *shape = NULL;

      if (g_str_equal (r->kernel, "get_rows"))
        shape = g_strdup_printf ("%u ids of %ux%u", r->n, r->rows, r->cols);
      else
        shape = g_strdup_printf ("%ux%u -> %u", r->n, r->cols, r->rows);
      if (r->skipped != NULL)
        g_string_append_printf (s, "%-14s %-5s %-26s skipped: %s\n", r->kernel, lb_tensor_type_name (r->type), shape,
                                r->skipped);
      else
        g_string_append_printf (s, "%-14s %-5s %-26s %10.3f %9.1f %10.1f\n", r->kernel, lb_tensor_type_name (r->type),
                                shape, r->median_ms, r->gb_per_s, r->gflop_per_s);
    }
  return g_string_free (s, FALSE);
}
