/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Device memory: a few large VkDeviceMemory blocks, each with one VkBuffer
 * over the whole block, sub-allocated into LbVkBuffer ranges (no Vulkan
 * allocation per tensor). Writes go through a staging ring, or straight
 * through a mapping where the memory is host-visible and the device shares
 * the host's memory (integrated GPUs, lavapipe).
 *
 * Large tensors (read this before writing a kernel that reads weights)
 * -------------------------------------------------------------------
 * A storage-buffer binding covers at most info.max_storage_buffer_range
 * bytes (128 MiB on lavapipe, 4 GiB on NVIDIA) and its offset must be a
 * multiple of info.min_storage_buffer_offset_alignment; an LbVkBuffer can be
 * as large as one allocation (max_memory_allocation_size, 2 GiB on lavapipe).
 * The 4B model's embedding / output table (262144 rows, ~0.5 GiB quantized)
 * exceeds one binding on some drivers, so kernels that read a tensor by rows
 * are dispatched in row chunks:
 *
 *   guint64 step = lb_vk_rows_per_binding (ctx, row_bytes);
 *   for (guint64 r0 = 0; r0 < n_rows; r0 += step)
 *     bind the tensor as (buffer, base + r0 * row_bytes, MIN (step, n_rows - r0) * row_bytes)
 *     and pass r0 in the push constants for the output index (out[t][r0 + r]);
 *
 * `step` keeps every chunk's offset aligned (a Q6_K row of 2560 is 2100
 * bytes: step is a multiple of 4 rows), so the kernel sees an ordinary,
 * aligned tensor of fewer rows. A kernel whose row is picked by data on the
 * GPU (the embedding lookup of a sampled token) gets row_begin/row_count in
 * its push constants, and each chunk's dispatch skips ids outside its range;
 * the chunks' dispatches write disjoint outputs, so no barrier separates
 * them. The tensor's own base offset must be aligned (LbVkBuffer offsets
 * are, and engines place tensors at aligned offsets). When the whole tensor
 * fits one binding (the usual case on real GPUs) the loop runs once.
 */
#pragma once

#include "vk/vk-context.h"

G_BEGIN_DECLS

typedef enum {
  /* Device-local: weights, activations, the KV cache. Mapped as well when
   * the device shares the host's memory (buffer->mapped != NULL). */
  LB_VK_MEMORY_DEVICE,
  /* Host-visible and cached where possible: results read back by the host,
   * per-step parameters the host writes before each submit (token ids,
   * positions). Always mapped. Shaders can bind it too. */
  LB_VK_MEMORY_HOST,
} LbVkMemoryKind;

/* One sub-allocated range. Bind it as (handle, offset + your offset); the
 * dispatch API (vk-commands.h) does that for you. */
typedef struct _LbVkBuffer LbVkBuffer;
struct _LbVkBuffer {
  LbVkContext *ctx;
  VkBuffer handle;        /* the block's buffer, shared with other LbVkBuffers */
  VkDeviceSize offset;    /* where this range starts in handle; 256-aligned */
  VkDeviceSize size;      /* bytes requested */
  guint8 *mapped;         /* host pointer to byte 0 of this range, or NULL */
  LbVkMemoryKind kind;
  struct _LbVkBlock *block;
  char *name;             /* for messages: "blk.3.attn_q.weight", "logits" */
};

/* Allocates size bytes (> 0) of the kind, aligned for any binding. name
 * appears in error messages ("allocating 512 MiB for token_embd.weight: …").
 * Fails with LB_VK_ERROR_OUT_OF_MEMORY or LB_VK_ERROR_LIMIT (larger than
 * one allocation may be). The contents are undefined. */
LbVkBuffer *lb_vk_buffer_new (LbVkContext *ctx, LbVkMemoryKind kind, VkDeviceSize size,
                              const char *name, GError **error);
void lb_vk_buffer_free (LbVkBuffer *buffer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbVkBuffer, lb_vk_buffer_free)

/* Copies host data into [offset, offset + size) of the buffer and returns
 * when the copy is complete (mapped memcpy, or staging copies through the
 * context's ring, overlapping the host copy of one slice with the device
 * copy of the previous). Must not race a submitted command buffer that uses
 * the range. */
gboolean lb_vk_buffer_write (LbVkBuffer *buffer, VkDeviceSize offset, const void *data,
                             VkDeviceSize size, GError **error);

/* Copies [offset, offset + size) of the buffer to host memory (tests,
 * results); synchronous. */
gboolean lb_vk_buffer_read (LbVkBuffer *buffer, VkDeviceSize offset, void *data,
                            VkDeviceSize size, GError **error);

/* The largest number of rows of row_bytes each that one binding may cover
 * while keeping every chunk start aligned (see "Large tensors" above);
 * at least the alignment granule, whatever the range. */
guint64 lb_vk_rows_per_binding (const LbVkContext *ctx, guint64 row_bytes);

/* Bytes the context has allocated from Vulkan, over all blocks. */
guint64 lb_vk_allocated_bytes (const LbVkContext *ctx);

/* Frees the context's allocator and staging ring (called by
 * lb_vk_context_free once every buffer is gone). */
void lb_vk_memory_shutdown (LbVkContext *ctx);

G_END_DECLS
