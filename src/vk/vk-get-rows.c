/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Row lookup: the C side of shaders/get-rows.comp.
 */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include "vk/vk-get-rows.h"
#include "vk/vk-matmul.h"

/* Mirrors LbGetRowsPush in shaders/get-rows.comp. */
typedef struct {
  guint32 cols;
  guint32 n_ids;
  guint32 ids_offset;
  guint32 row_begin;
  guint32 row_count;
  guint32 row_words;
  guint32 out_stride;
  float scale;
} LbVkGetRowsPush;
G_STATIC_ASSERT (sizeof (LbVkGetRowsPush) == 32);

#define GET_ROWS_WORKGROUP 64

static guint64
binding_size (const LbVkBinding *b)
{
  if (b->buffer == NULL || b->offset > b->buffer->size)
    return 0;
  return b->size != 0 ? b->size : b->buffer->size - b->offset;
}

static guint64
gcd64 (guint64 a, guint64 b)
{
  while (b != 0)
    {
      guint64 t = a % b;
      a = b;
      b = t;
    }
  return a;
}

gboolean
lb_vk_get_rows (LbVkCommands *cmds, const LbVkGetRows *op, GError **error)
{
  LbVkContext *ctx;
  LbVkWeightLayout layout;
  LbVkPipeline *pipeline;
  const char *name;
  guint32 out_stride;
  guint64 row_step, out_range, out_granule, id_step, alignment;
  g_autofree char *shader = NULL;

  g_return_val_if_fail (cmds != NULL && op != NULL, FALSE);
  g_return_val_if_fail (op->table.buffer != NULL && op->ids.buffer != NULL && op->out.buffer != NULL, FALSE);

  ctx = lb_vk_commands_get_context (cmds);
  name = op->table.buffer->name != NULL ? op->table.buffer->name : "(unnamed table)";
  out_stride = op->out_stride != 0 ? op->out_stride : op->cols;
  if (!lb_vk_weight_layout (op->type, op->cols, &layout, name, error))
    return FALSE;
  if (op->rows == 0 || op->table.offset % layout.word_bytes != 0
      || binding_size (&op->table) < (guint64) op->rows * layout.row_bytes)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "row lookup in %s: %u rows of %u %s (%" G_GUINT64_FORMAT " bytes) at offset %" G_GUINT64_FORMAT
                   " do not fit the %" G_GUINT64_FORMAT " bytes bound, or are misaligned", name, op->rows, op->cols,
                   lb_tensor_type_name (op->type), (guint64) op->rows * layout.row_bytes,
                   (guint64) op->table.offset, binding_size (&op->table));
      return FALSE;
    }
  if (out_stride < op->cols || out_stride % 4 != 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "row lookup in %s: output stride %u for rows of %u (at least the row, a multiple of 4)", name,
                   out_stride, op->cols);
      return FALSE;
    }
  if (op->n_ids == 0)
    return TRUE;
  if (binding_size (&op->ids) < ((guint64) op->ids_offset + op->n_ids) * sizeof (guint32)
      || binding_size (&op->out) < ((guint64) (op->n_ids - 1) * out_stride + op->cols) * sizeof (float))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "row lookup in %s: the ids (%s) or the output (%s) hold fewer than %u rows", name,
                   op->ids.buffer->name, op->out.buffer->name, op->n_ids);
      return FALSE;
    }
  if (((guint64) op->ids_offset + op->n_ids) * sizeof (guint32) > ctx->info.max_storage_buffer_range)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT, "row lookup in %s: %u ids exceed one binding", name,
                   op->n_ids);
      return FALSE;
    }

  shader = g_strconcat ("get_rows_", layout.variant, NULL);
  {
    LbVkPipelineDesc desc = {
      .shader = shader,
      .n_bindings = 3,
      .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
      .push_size = sizeof (LbVkGetRowsPush),
      .local_size = { GET_ROWS_WORKGROUP, 1, 1 },
    };
    pipeline = lb_vk_pipeline_get (ctx, &desc, error);
    if (pipeline == NULL)
      return FALSE;
  }

  /* Output rows in groups that fit one binding, starting aligned. */
  alignment = MAX (ctx->info.min_storage_buffer_offset_alignment, 1);
  out_granule = alignment / gcd64 ((guint64) out_stride * sizeof (float), alignment);
  out_range = ctx->info.max_storage_buffer_range / sizeof (float);
  if (out_range < op->cols)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT, "row lookup in %s: one row exceeds one binding", name);
      return FALSE;
    }
  id_step = (out_range - op->cols) / out_stride + 1;
  id_step -= id_step % out_granule;
  if (id_step == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT,
                   "row lookup in %s: output rows of stride %u cannot be bound in aligned groups", name, out_stride);
      return FALSE;
    }
  row_step = MIN (op->rows, lb_vk_rows_per_binding (ctx, layout.row_bytes));

  for (guint64 t0 = 0; t0 < op->n_ids; t0 += id_step)
    {
      guint32 count = (guint32) MIN (id_step, op->n_ids - t0);
      LbVkBinding out = lb_vk_bind_range (op->out.buffer, op->out.offset + t0 * out_stride * sizeof (float),
                                          ((guint64) (count - 1) * out_stride + op->cols) * sizeof (float));
      LbVkBinding ids = lb_vk_bind_range (op->ids.buffer, op->ids.offset,
                                          ((guint64) op->ids_offset + op->n_ids) * sizeof (guint32));

      for (guint64 r0 = 0; r0 < op->rows; r0 += row_step)
        {
          guint32 rows = (guint32) MIN (row_step, op->rows - r0);
          LbVkBinding bindings[3] = {
            lb_vk_bind_range (op->table.buffer, op->table.offset + r0 * layout.row_bytes, rows * layout.row_bytes),
            ids,
            out,
          };
          LbVkGetRowsPush push = {
            .cols = op->cols,
            .n_ids = count,
            .ids_offset = (guint32) (op->ids_offset + t0),
            .row_begin = (guint32) r0,
            .row_count = rows,
            .row_words = (guint32) (layout.row_bytes / layout.word_bytes),
            .out_stride = out_stride,
            .scale = op->scale != 0.0f ? op->scale : 1.0f,
          };
          guint32 units = op->cols / layout.unit_elements;

          if (!lb_vk_dispatch (cmds, pipeline, bindings, &push, (units + GET_ROWS_WORKGROUP - 1) / GET_ROWS_WORKGROUP,
                               count, 1, error))
            return FALSE;
        }
    }
  return TRUE;
}
