/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <string.h>

#include "vk/vk-memory.h"

/* Blocks: one VkDeviceMemory + one VkBuffer over all of it. Requests over
 * half a block get a block of their own. */
#define DEVICE_BLOCK_BYTES (128u << 20)
#define HOST_BLOCK_BYTES (16u << 20)
/* Staging ring: two slots, so the host fills one while the device copies
 * the other. */
#define STAGING_SLOT_BYTES (16u << 20)
#define STAGING_SLOTS 2
#define FENCE_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)

typedef struct {
  VkDeviceSize offset, size;
} Range;

typedef struct _LbVkBlock {
  VkDeviceMemory memory;
  VkBuffer buffer;
  VkDeviceSize size;
  guint8 *mapped;
  LbVkMemoryKind kind;
  GArray *free_ranges;    /* Range, sorted by offset, coalesced */
  guint n_buffers;
} LbVkBlock;

typedef struct _LbVkAllocator {
  GPtrArray *blocks[2];   /* LbVkBlock *, per LbVkMemoryKind */
  guint64 allocated;
} LbVkAllocator;

typedef struct _LbVkStaging {
  VkBuffer buffer;
  VkDeviceMemory memory;
  guint8 *mapped;
  VkCommandPool pool;
  VkCommandBuffer cmd[STAGING_SLOTS];
  VkFence fence[STAGING_SLOTS];
  gboolean pending[STAGING_SLOTS];
} LbVkStaging;

static const char *
kind_name (LbVkMemoryKind kind)
{
  return kind == LB_VK_MEMORY_DEVICE ? "device" : "host";
}

static VkDeviceSize
allocation_alignment (const LbVkContext *ctx)
{
  VkDeviceSize a = 256;

  a = MAX (a, ctx->info.min_storage_buffer_offset_alignment);
  a = MAX (a, ctx->info.non_coherent_atom_size);
  return a;
}

static VkDeviceSize
align_up (VkDeviceSize value, VkDeviceSize alignment)
{
  return (value + alignment - 1) / alignment * alignment;
}

typedef struct {
  VkMemoryPropertyFlags want, avoid;
} MemoryPass;

static LbVkAllocator *
get_allocator (LbVkContext *ctx)
{
  if (ctx->allocator == NULL)
    {
      ctx->allocator = g_new0 (LbVkAllocator, 1);
      ctx->allocator->blocks[0] = g_ptr_array_new ();
      ctx->allocator->blocks[1] = g_ptr_array_new ();
    }
  return ctx->allocator;
}

/* Memory types in order of preference for the kind; the mapping is used
 * only where it is coherent. */
static guint
rank_memory_types (const LbVkContext *ctx, LbVkMemoryKind kind, guint32 type_bits, guint32 *out)
{
  const VkPhysicalDeviceMemoryProperties *mem = &ctx->memory_properties;
  guint n = 0;
  /* Each pass lists the types with all `want` flags, in index order. */
  MemoryPass passes[4];
  guint n_passes = 0;

  if (kind == LB_VK_MEMORY_DEVICE)
    {
      if (ctx->info.unified_memory)
        passes[n_passes++] = (MemoryPass) {
          VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
            | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0 };
      passes[n_passes++] = (MemoryPass) { VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT };
      passes[n_passes++] = (MemoryPass) { VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0 };
      passes[n_passes++] = (MemoryPass) { 0, 0 };
    }
  else
    {
      VkMemoryPropertyFlags hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      passes[n_passes++] = (MemoryPass) { hv | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0 };
      passes[n_passes++] = (MemoryPass) { hv, 0 };
    }

  for (guint p = 0; p < n_passes; p++)
    for (guint32 t = 0; t < mem->memoryTypeCount; t++)
      {
        VkMemoryPropertyFlags f = mem->memoryTypes[t].propertyFlags;
        gboolean seen = FALSE;

        if (!(type_bits & (1u << t)) || (f & passes[p].want) != passes[p].want || (f & passes[p].avoid))
          continue;
        for (guint i = 0; i < n; i++)
          seen |= out[i] == t;
        if (!seen)
          out[n++] = t;
      }
  return n;
}

static void
block_free (LbVkContext *ctx, LbVkBlock *block)
{
  if (block->mapped != NULL)
    vkUnmapMemory (ctx->device, block->memory);
  if (block->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (ctx->device, block->buffer, NULL);
  if (block->memory != VK_NULL_HANDLE)
    {
      vkFreeMemory (ctx->device, block->memory, NULL);
      ctx->allocator->allocated -= block->size;
    }
  if (block->free_ranges != NULL)
    g_array_unref (block->free_ranges);
  g_free (block);
}

static LbVkBlock *
block_new (LbVkContext *ctx, LbVkMemoryKind kind, VkDeviceSize size, const char *purpose, GError **error)
{
  LbVkAllocator *allocator = get_allocator (ctx);
  LbVkBlock *block = g_new0 (LbVkBlock, 1);
  VkBufferCreateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT
             | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  guint32 types[VK_MAX_MEMORY_TYPES];
  guint n_types;
  VkResult result = VK_ERROR_OUT_OF_DEVICE_MEMORY;
  g_autofree char *size_text = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
  Range whole = { 0, size };

  block->kind = kind;
  block->size = size;
  if (!lb_vk_checkf (vkCreateBuffer (ctx->device, &buffer_info, NULL, &block->buffer), error,
                     "vkCreateBuffer of %s for %s", size_text, purpose))
    goto fail;
  vkGetBufferMemoryRequirements (ctx->device, block->buffer, &req);
  n_types = rank_memory_types (ctx, kind, req.memoryTypeBits, types);
  if (n_types == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                   "allocating %s of %s memory for %s: the device has no suitable memory type",
                   size_text, kind_name (kind), purpose);
      goto fail;
    }
  for (guint i = 0; i < n_types; i++)
    {
      VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = types[i],
      };
      VkMemoryPropertyFlags flags = ctx->memory_properties.memoryTypes[types[i]].propertyFlags;

      result = vkAllocateMemory (ctx->device, &alloc, NULL, &block->memory);
      if (result == VK_SUCCESS)
        {
          allocator->allocated += block->size;
          if ((flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
              && (kind == LB_VK_MEMORY_HOST || ctx->info.unified_memory))
            {
              void *p = NULL;

              if (!lb_vk_checkf (vkMapMemory (ctx->device, block->memory, 0, VK_WHOLE_SIZE, 0, &p), error,
                                 "vkMapMemory of %s for %s", size_text, purpose))
                goto fail;
              block->mapped = p;
            }
          break;
        }
      if (result != VK_ERROR_OUT_OF_DEVICE_MEMORY && result != VK_ERROR_OUT_OF_HOST_MEMORY)
        break;
    }
  if (!lb_vk_checkf (result, error, "vkAllocateMemory of %s of %s memory for %s", size_text,
                     kind_name (kind), purpose))
    goto fail;
  if (!lb_vk_checkf (vkBindBufferMemory (ctx->device, block->buffer, block->memory, 0), error,
                     "vkBindBufferMemory for %s", purpose))
    goto fail;

  block->free_ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  g_array_append_val (block->free_ranges, whole);
  g_ptr_array_add (allocator->blocks[kind], block);
  g_debug ("new %s memory block of %s (for %s)", kind_name (kind), size_text, purpose);
  return block;

fail:
  block_free (ctx, block);
  return NULL;
}

/* First fit; returns FALSE when no free range is large enough. */
static gboolean
block_take (LbVkBlock *block, VkDeviceSize size, VkDeviceSize *out_offset)
{
  for (guint i = 0; i < block->free_ranges->len; i++)
    {
      Range *r = &g_array_index (block->free_ranges, Range, i);

      if (r->size < size)
        continue;
      *out_offset = r->offset;
      r->offset += size;
      r->size -= size;
      if (r->size == 0)
        g_array_remove_index (block->free_ranges, i);
      return TRUE;
    }
  return FALSE;
}

static void
block_give_back (LbVkBlock *block, VkDeviceSize offset, VkDeviceSize size)
{
  GArray *ranges = block->free_ranges;
  Range range = { offset, size };
  guint i = 0;

  while (i < ranges->len && g_array_index (ranges, Range, i).offset < offset)
    i++;
  g_array_insert_val (ranges, i, range);
  /* Coalesce with the next, then with the previous. */
  if (i + 1 < ranges->len)
    {
      Range *a = &g_array_index (ranges, Range, i), *b = &g_array_index (ranges, Range, i + 1);
      if (a->offset + a->size == b->offset)
        {
          a->size += b->size;
          g_array_remove_index (ranges, i + 1);
        }
    }
  if (i > 0)
    {
      Range *a = &g_array_index (ranges, Range, i - 1), *b = &g_array_index (ranges, Range, i);
      if (a->offset + a->size == b->offset)
        {
          a->size += b->size;
          g_array_remove_index (ranges, i);
        }
    }
}

LbVkBuffer *
lb_vk_buffer_new (LbVkContext *ctx, LbVkMemoryKind kind, VkDeviceSize size, const char *name, GError **error)
{
  LbVkAllocator *allocator;
  VkDeviceSize alignment, padded, block_bytes, largest;
  LbVkBlock *block = NULL;
  VkDeviceSize offset = 0;
  LbVkBuffer *buffer;
  const char *label = name != NULL ? name : "a buffer";

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (kind == LB_VK_MEMORY_DEVICE || kind == LB_VK_MEMORY_HOST, NULL);
  g_return_val_if_fail (size > 0, NULL);

  allocator = get_allocator (ctx);
  alignment = allocation_alignment (ctx);
  padded = align_up (size, alignment);
  largest = MIN (ctx->info.max_memory_allocation_size, ctx->info.max_buffer_size);
  if (padded > largest)
    {
      g_autofree char *want = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *limit = g_format_size_full (largest, G_FORMAT_SIZE_IEC_UNITS);
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT,
                   "%s needs %s, more than %s allows in one allocation (%s)", label, want,
                   ctx->info.name, limit);
      return NULL;
    }
  block_bytes = kind == LB_VK_MEMORY_DEVICE ? DEVICE_BLOCK_BYTES : HOST_BLOCK_BYTES;
  block_bytes = MIN (block_bytes, largest / alignment * alignment);

  if (padded <= block_bytes / 2)
    {
      GPtrArray *blocks = allocator->blocks[kind];

      for (guint i = 0; i < blocks->len && block == NULL; i++)
        if (block_take (blocks->pdata[i], padded, &offset))
          block = blocks->pdata[i];
      if (block == NULL)
        {
          block = block_new (ctx, kind, block_bytes, label, error);
          if (block == NULL || !block_take (block, padded, &offset))
            return NULL;
        }
    }
  else
    {
      block = block_new (ctx, kind, padded, label, error);
      if (block == NULL || !block_take (block, padded, &offset))
        return NULL;
    }

  buffer = g_new0 (LbVkBuffer, 1);
  buffer->ctx = ctx;
  buffer->handle = block->buffer;
  buffer->offset = offset;
  buffer->size = size;
  buffer->mapped = block->mapped != NULL ? block->mapped + offset : NULL;
  buffer->kind = kind;
  buffer->block = block;
  buffer->name = g_strdup (label);
  block->n_buffers++;
  return buffer;
}

void
lb_vk_buffer_free (LbVkBuffer *buffer)
{
  LbVkContext *ctx;
  LbVkBlock *block;

  if (buffer == NULL)
    return;
  ctx = buffer->ctx;
  block = buffer->block;
  block_give_back (block, buffer->offset, align_up (buffer->size, allocation_alignment (ctx)));
  if (--block->n_buffers == 0)
    {
      GPtrArray *blocks = ctx->allocator->blocks[block->kind];
      guint n_empty = 0;

      /* Keep one empty block per kind for the next buffers; free others. */
      for (guint i = 0; i < blocks->len; i++)
        n_empty += ((LbVkBlock *) blocks->pdata[i])->n_buffers == 0;
      if (n_empty > 1 || block->size > (block->kind == LB_VK_MEMORY_DEVICE ? DEVICE_BLOCK_BYTES : HOST_BLOCK_BYTES))
        {
          g_ptr_array_remove (blocks, block);
          block_free (ctx, block);
        }
    }
  g_free (buffer->name);
  g_free (buffer);
}

guint64
lb_vk_allocated_bytes (const LbVkContext *ctx)
{
  return ctx->allocator != NULL ? ctx->allocator->allocated : 0;
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

guint64
lb_vk_rows_per_binding (const LbVkContext *ctx, guint64 row_bytes)
{
  guint64 alignment, granule, rows;

  g_return_val_if_fail (ctx != NULL && row_bytes > 0, 1);
  alignment = MAX (ctx->info.min_storage_buffer_offset_alignment, 1);
  granule = alignment / gcd64 (row_bytes, alignment);
  rows = ctx->info.max_storage_buffer_range / row_bytes;
  rows -= rows % granule;
  return MAX (rows, granule);
}

/* Staging ------------------------------------------------------------- */

static void
staging_free (LbVkContext *ctx, LbVkStaging *s)
{
  for (guint i = 0; i < STAGING_SLOTS; i++)
    if (s->fence[i] != VK_NULL_HANDLE)
      vkDestroyFence (ctx->device, s->fence[i], NULL);
  if (s->pool != VK_NULL_HANDLE)
    vkDestroyCommandPool (ctx->device, s->pool, NULL);
  if (s->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (ctx->device, s->buffer, NULL);
  if (s->memory != VK_NULL_HANDLE)
    {
      if (s->mapped != NULL)
        vkUnmapMemory (ctx->device, s->memory);
      vkFreeMemory (ctx->device, s->memory, NULL);
    }
  g_free (s);
}

static LbVkStaging *
get_staging (LbVkContext *ctx, GError **error)
{
  LbVkStaging *s;
  VkBufferCreateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = (VkDeviceSize) STAGING_SLOT_BYTES * STAGING_SLOTS,
    .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT | VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
    .queueFamilyIndex = ctx->queue_family,
  };
  VkMemoryRequirements req;
  guint32 types[VK_MAX_MEMORY_TYPES];
  guint n_types;
  void *p = NULL;

  if (ctx->staging != NULL)
    return ctx->staging;
  s = g_new0 (LbVkStaging, 1);
  if (!lb_vk_check (vkCreateBuffer (ctx->device, &buffer_info, NULL, &s->buffer),
                    "vkCreateBuffer for the staging ring", error))
    goto fail;
  vkGetBufferMemoryRequirements (ctx->device, s->buffer, &req);
  n_types = rank_memory_types (ctx, LB_VK_MEMORY_HOST, req.memoryTypeBits, types);
  if (n_types == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                   "the device has no host-visible coherent memory for the staging ring");
      goto fail;
    }
  {
    VkMemoryAllocateInfo alloc = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = req.size,
      .memoryTypeIndex = types[0],
    };
    if (!lb_vk_check (vkAllocateMemory (ctx->device, &alloc, NULL, &s->memory),
                      "vkAllocateMemory for the staging ring", error))
      goto fail;
  }
  if (!lb_vk_check (vkBindBufferMemory (ctx->device, s->buffer, s->memory, 0),
                    "vkBindBufferMemory for the staging ring", error)
      || !lb_vk_check (vkMapMemory (ctx->device, s->memory, 0, VK_WHOLE_SIZE, 0, &p),
                       "vkMapMemory for the staging ring", error)
      || !lb_vk_check (vkCreateCommandPool (ctx->device, &pool_info, NULL, &s->pool),
                       "vkCreateCommandPool for the staging ring", error))
    goto fail;
  s->mapped = p;
  {
    VkCommandBufferAllocateInfo cmd_info = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = s->pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = STAGING_SLOTS,
    };
    VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

    if (!lb_vk_check (vkAllocateCommandBuffers (ctx->device, &cmd_info, s->cmd),
                      "vkAllocateCommandBuffers for the staging ring", error))
      goto fail;
    for (guint i = 0; i < STAGING_SLOTS; i++)
      if (!lb_vk_check (vkCreateFence (ctx->device, &fence_info, NULL, &s->fence[i]),
                        "vkCreateFence for the staging ring", error))
        goto fail;
  }
  ctx->staging = s;
  return s;

fail:
  staging_free (ctx, s);
  return NULL;
}

static gboolean
staging_wait (LbVkContext *ctx, LbVkStaging *s, guint slot, GError **error)
{
  if (!s->pending[slot])
    return TRUE;
  s->pending[slot] = FALSE;
  if (!lb_vk_check (vkWaitForFences (ctx->device, 1, &s->fence[slot], VK_TRUE, FENCE_TIMEOUT_NS),
                    "vkWaitForFences for a staging copy", error))
    return FALSE;
  return lb_vk_check (vkResetFences (ctx->device, 1, &s->fence[slot]), "vkResetFences", error);
}

static gboolean
staging_wait_all (LbVkContext *ctx, LbVkStaging *s, GError **error)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < STAGING_SLOTS; i++)
    if (!staging_wait (ctx, s, i, ok ? error : NULL))
      ok = FALSE;
  return ok;
}

/* Records and submits one copy between the slot and the buffer. */
static gboolean
staging_copy (LbVkContext *ctx, LbVkStaging *s, guint slot, LbVkBuffer *buffer, VkDeviceSize offset,
              VkDeviceSize size, gboolean to_device, GError **error)
{
  VkCommandBuffer cmd = s->cmd[slot];
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkBufferCopy region = {
    .srcOffset = to_device ? (VkDeviceSize) slot * STAGING_SLOT_BYTES : buffer->offset + offset,
    .dstOffset = to_device ? buffer->offset + offset : (VkDeviceSize) slot * STAGING_SLOT_BYTES,
    .size = size,
  };
  /* Earlier kernels' writes before a read-back; the copy before later
   * kernels (or the host) read. */
  VkMemoryBarrier before = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier after = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT
                     | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &cmd,
  };

  if (!lb_vk_check (vkResetCommandBuffer (cmd, 0), "vkResetCommandBuffer for a staging copy", error)
      || !lb_vk_check (vkBeginCommandBuffer (cmd, &begin), "vkBeginCommandBuffer for a staging copy", error))
    return FALSE;
  vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
  if (to_device)
    vkCmdCopyBuffer (cmd, s->buffer, buffer->handle, 1, &region);
  else
    vkCmdCopyBuffer (cmd, buffer->handle, s->buffer, 1, &region);
  vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT
                          | VK_PIPELINE_STAGE_HOST_BIT,
                        0, 1, &after, 0, NULL, 0, NULL);
  if (!lb_vk_check (vkEndCommandBuffer (cmd), "vkEndCommandBuffer for a staging copy", error))
    return FALSE;
  if (!lb_vk_checkf (vkQueueSubmit (ctx->queue, 1, &submit, s->fence[slot]), error,
                     "vkQueueSubmit of a staging copy %s %s", to_device ? "to" : "from", buffer->name))
    return FALSE;
  s->pending[slot] = TRUE;
  return TRUE;
}

static gboolean
check_range (LbVkBuffer *buffer, VkDeviceSize offset, VkDeviceSize size, const char *what, GError **error)
{
  if (offset > buffer->size || size > buffer->size - offset)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s %s: range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " exceeds its %"
                   G_GUINT64_FORMAT " bytes", what, buffer->name, (guint64) offset, (guint64) size,
                   (guint64) buffer->size);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_vk_buffer_write (LbVkBuffer *buffer, VkDeviceSize offset, const void *data, VkDeviceSize size, GError **error)
{
  LbVkContext *ctx;
  LbVkStaging *s;
  VkDeviceSize done = 0;
  guint slot = 0;

  g_return_val_if_fail (buffer != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  ctx = buffer->ctx;
  if (!check_range (buffer, offset, size, "writing", error))
    return FALSE;
  if (size == 0)
    return TRUE;
  if (buffer->mapped != NULL)
    {
      memcpy (buffer->mapped + offset, data, size);
      return TRUE;
    }
  s = get_staging (ctx, error);
  if (s == NULL)
    return FALSE;
  while (done < size)
    {
      VkDeviceSize n = MIN (size - done, (VkDeviceSize) STAGING_SLOT_BYTES);

      if (!staging_wait (ctx, s, slot, error))
        return FALSE;
      memcpy (s->mapped + (gsize) slot * STAGING_SLOT_BYTES, (const guint8 *) data + done, n);
      if (!staging_copy (ctx, s, slot, buffer, offset + done, n, TRUE, error))
        {
          staging_wait_all (ctx, s, NULL);
          return FALSE;
        }
      done += n;
      slot = (slot + 1) % STAGING_SLOTS;
    }
  return staging_wait_all (ctx, s, error);
}

gboolean
lb_vk_buffer_read (LbVkBuffer *buffer, VkDeviceSize offset, void *data, VkDeviceSize size, GError **error)
{
  LbVkContext *ctx;
  LbVkStaging *s;
  VkDeviceSize done = 0;

  g_return_val_if_fail (buffer != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  ctx = buffer->ctx;
  if (!check_range (buffer, offset, size, "reading", error))
    return FALSE;
  if (size == 0)
    return TRUE;
  if (buffer->mapped != NULL)
    {
      memcpy (data, buffer->mapped + offset, size);
      return TRUE;
    }
  s = get_staging (ctx, error);
  if (s == NULL)
    return FALSE;
  while (done < size)
    {
      VkDeviceSize n = MIN (size - done, (VkDeviceSize) STAGING_SLOT_BYTES);

      if (!staging_copy (ctx, s, 0, buffer, offset + done, n, FALSE, error)
          || !staging_wait (ctx, s, 0, error))
        return FALSE;
      memcpy ((guint8 *) data + done, s->mapped, n);
      done += n;
    }
  return TRUE;
}

void
lb_vk_memory_shutdown (LbVkContext *ctx)
{
  if (ctx->staging != NULL)
    {
      staging_wait_all (ctx, ctx->staging, NULL);
      staging_free (ctx, ctx->staging);
      ctx->staging = NULL;
    }
  if (ctx->allocator != NULL)
    {
      for (guint k = 0; k < 2; k++)
        {
          GPtrArray *blocks = ctx->allocator->blocks[k];

          for (guint i = 0; i < blocks->len; i++)
            {
              LbVkBlock *block = blocks->pdata[i];
              if (block->n_buffers > 0)
                g_warning ("%u %s buffers still alive when the Vulkan context is freed",
                           block->n_buffers, kind_name (block->kind));
              block_free (ctx, block);
            }
          g_ptr_array_unref (blocks);
        }
      g_free (ctx->allocator);
      ctx->allocator = NULL;
    }
}
