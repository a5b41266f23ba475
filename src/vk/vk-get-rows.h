/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Row lookup (the embedding table): out[t] = scale · W[ids[t]] dequantized
 * to float32, for every type the matrix kernels read (vk-matmul.h), by
 * shaders/get-rows.comp.
 *
 * Tables larger than one binding (the 4B model's 262144 × 2560 token_embd)
 * are bound in row chunks, one dispatch each; a chunk's dispatch skips the
 * ids outside it, so the ids may come from the GPU (a sampled token) and
 * the recording can be replayed with new ids. An id >= rows leaves its
 * output row unwritten.
 *
 * Threading: the context's thread (vk-context.h).
 */
#pragma once

#include "model/tensor-type.h"
#include "vk/vk-commands.h"

G_BEGIN_DECLS

typedef struct {
  LbTensorType type;
  LbVkBinding table;    /* W[rows][cols] in its GGUF layout; size 0: to the buffer's end */
  guint32 rows;
  guint32 cols;
  LbVkBinding ids;      /* guint32 ids[ids_offset + n_ids] */
  guint32 ids_offset;   /* first id read, in elements */
  guint32 n_ids;        /* 0 records nothing */
  LbVkBinding out;      /* float32 out[n_ids][out_stride] */
  guint32 out_stride;   /* elements between output rows; 0 = cols; a multiple of 4 */
  float scale;          /* multiplies every value (Gemma: sqrt(E)); 0 means 1 */
} LbVkGetRows;

/* Records the lookup. Checks type, shapes and binding sizes first
 * (LB_VK_ERROR_INVALID naming the table's buffer). */
gboolean lb_vk_get_rows (LbVkCommands *cmds, const LbVkGetRows *op, GError **error);

G_END_DECLS
