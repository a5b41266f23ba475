/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Micro-benchmark of the weight kernels (vk-matmul.h, vk-get-rows.h) on the
 * MedGemma 4B shapes: decode (matrix × vector) 2560→10240, 10240→2560,
 * 2560→2048, 2560→262144 (the output head), the fused q/k/v projection,
 * the fused gelu(gate) · up, prefill 512 × 2560→10240 (tiled: scalar,
 * cooperative matrices, and the fused gate/up), and the embedding lookup
 * from a 262144 × 2560 table. `lightbox-cli bench-kernels` prints these rows
 * next to the other kernels'.
 *
 * Weights are random but valid blocks (a few quantized rows repeated), so
 * the numbers do not depend on the data. Times are GPU timestamps (wall
 * time where the queue has none), medians over the timed runs after one
 * warm-up run.
 *
 * Threading: the context's thread.
 */
#pragma once

#include "model/tensor-type.h"
#include "vk/vk-context.h"

G_BEGIN_DECLS

typedef struct {
  const char *kernel;    /* "matvec", "matvec qkv", "matvec gelu", "matmul", "matmul coopmat",
                          * "matmul gelu", "get_rows" (static) */
  LbTensorType type;
  guint32 rows;          /* weight rows (output width); the table's rows for get_rows */
  guint32 cols;          /* weight columns (input width) */
  guint32 n;             /* activation vectors, or ids */
  double median_ms;
  double gb_per_s;       /* bytes of weights, activations and outputs moved / time */
  double gflop_per_s;    /* 2 · rows · cols · n / time; 0 for get_rows */
  const char *skipped;   /* why the shape did not run (too large for the device), or NULL */
} LbVkMatmulBenchRow;

typedef struct {
  const LbTensorType *types;  /* NULL: every type the kernels read */
  guint n_types;
  guint repeats;              /* timed runs per shape, 0: 10 */
  const char *kernels;        /* NULL: all; else a comma-separated subset of the kernel names above */
} LbVkMatmulBenchOptions;

/* Runs every shape for every type; returns a GArray of LbVkMatmulBenchRow.
 * Fails only on Vulkan errors; shapes too large for the device are rows
 * with `skipped` set. */
GArray *lb_vk_matmul_bench (LbVkContext *ctx, const LbVkMatmulBenchOptions *options, GError **error);

/* The rows as an aligned text table, one line per row. */
char *lb_vk_matmul_bench_format (GArray *rows);

G_END_DECLS
