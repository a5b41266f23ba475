/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <string.h>

#include "vk/vk-commands.h"

#define SETS_PER_POOL 256
#define MAX_TIMESTAMPS 512
#define FENCE_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)

/* A byte range of a block's VkBuffer touched since the last barrier. */
typedef struct {
  VkBuffer handle;
  VkDeviceSize begin, end;
  gboolean written;
} Access;

typedef struct {
  const char *name;
  guint n_dispatches;
} Mark;

struct _LbVkCommands {
  LbVkContext *ctx;
  VkCommandPool pool;
  VkCommandBuffer cmd;
  VkFence fence;
  GArray *descriptor_pools;   /* VkDescriptorPool */
  guint pool_index;           /* the pool sets come from now */
  VkQueryPool queries;        /* VK_NULL_HANDLE without timestamps */
  GArray *marks;              /* Mark; timestamp i starts mark i */
  GArray *tracked;            /* Access since the last barrier */
  GArray *phases;             /* LbVkPhase of the last completed submit */
  double gpu_ms;
  VkPipeline bound;
  gboolean recording, ended, in_flight, wrote;
  GError *error;              /* the first recording error */
  guint n_dispatches, n_barriers;
};

LbVkContext *
lb_vk_commands_get_context (LbVkCommands *cmds)
{
  return cmds->ctx;
}

static gboolean
add_descriptor_pool (LbVkCommands *cmds, GError **error)
{
  VkDescriptorPoolSize size = {
    .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
    .descriptorCount = SETS_PER_POOL * LB_VK_MAX_BINDINGS,
  };
  VkDescriptorPoolCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = SETS_PER_POOL,
    .poolSizeCount = 1,
    .pPoolSizes = &size,
  };
  VkDescriptorPool pool;

  if (!lb_vk_check (vkCreateDescriptorPool (cmds->ctx->device, &info, NULL, &pool),
                    "vkCreateDescriptorPool", error))
    return FALSE;
  g_array_append_val (cmds->descriptor_pools, pool);
  return TRUE;
}

LbVkCommands *
lb_vk_commands_new (LbVkContext *ctx, GError **error)
{
  g_autoptr(LbVkCommands) cmds = g_new0 (LbVkCommands, 1);
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = ctx->queue_family,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  g_return_val_if_fail (ctx != NULL, NULL);
  cmds->ctx = ctx;
  cmds->descriptor_pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  cmds->marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  cmds->tracked = g_array_new (FALSE, FALSE, sizeof (Access));
  cmds->phases = g_array_new (FALSE, TRUE, sizeof (LbVkPhase));

  if (!lb_vk_check (vkCreateCommandPool (ctx->device, &pool_info, NULL, &cmds->pool),
                    "vkCreateCommandPool", error))
    return NULL;
  {
    VkCommandBufferAllocateInfo info = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = cmds->pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
    };
    if (!lb_vk_check (vkAllocateCommandBuffers (ctx->device, &info, &cmds->cmd),
                      "vkAllocateCommandBuffers", error))
      return NULL;
  }
  if (!lb_vk_check (vkCreateFence (ctx->device, &fence_info, NULL, &cmds->fence), "vkCreateFence", error))
    return NULL;
  if (!add_descriptor_pool (cmds, error))
    return NULL;
  if (ctx->info.timestamp_valid_bits > 0)
    {
      VkQueryPoolCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = MAX_TIMESTAMPS,
      };
      if (!lb_vk_check (vkCreateQueryPool (ctx->device, &info, NULL, &cmds->queries),
                        "vkCreateQueryPool for timestamps", error))
        return NULL;
    }
  return g_steal_pointer (&cmds);
}

void
lb_vk_commands_free (LbVkCommands *cmds)
{
  VkDevice device;

  if (cmds == NULL)
    return;
  device = cmds->ctx->device;
  if (cmds->in_flight)
    vkWaitForFences (device, 1, &cmds->fence, VK_TRUE, FENCE_TIMEOUT_NS);
  if (cmds->queries != VK_NULL_HANDLE)
    vkDestroyQueryPool (device, cmds->queries, NULL);
  for (guint i = 0; i < cmds->descriptor_pools->len; i++)
    vkDestroyDescriptorPool (device, g_array_index (cmds->descriptor_pools, VkDescriptorPool, i), NULL);
  if (cmds->fence != VK_NULL_HANDLE)
    vkDestroyFence (device, cmds->fence, NULL);
  if (cmds->pool != VK_NULL_HANDLE)
    vkDestroyCommandPool (device, cmds->pool, NULL);
  g_array_unref (cmds->descriptor_pools);
  g_array_unref (cmds->marks);
  g_array_unref (cmds->tracked);
  g_array_unref (cmds->phases);
  g_clear_error (&cmds->error);
  g_free (cmds);
}

/* Keeps the first error of a recording so that end() refuses to submit a
 * half-recorded buffer, and hands a copy to the caller. */
static gboolean
fail (LbVkCommands *cmds, GError **error, GError *local)
{
  if (cmds->error == NULL)
    cmds->error = g_error_copy (local);
  g_propagate_error (error, local);
  return FALSE;
}

static void
write_timestamp (LbVkCommands *cmds, const char *name)
{
  Mark mark = { name, 0 };

  if (cmds->queries != VK_NULL_HANDLE && cmds->marks->len + 1 < MAX_TIMESTAMPS)
    {
      vkCmdWriteTimestamp (cmds->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, cmds->queries, cmds->marks->len);
      g_array_append_val (cmds->marks, mark);
    }
  else if (cmds->queries == VK_NULL_HANDLE)
    g_array_append_val (cmds->marks, mark);
}

gboolean
lb_vk_commands_wait (LbVkCommands *cmds, GError **error)
{
  LbVkContext *ctx;
  guint64 stamps[MAX_TIMESTAMPS];
  guint n_stamps;
  VkResult result;

  g_return_val_if_fail (cmds != NULL, FALSE);
  ctx = cmds->ctx;
  if (!cmds->in_flight)
    return TRUE;
  result = vkWaitForFences (ctx->device, 1, &cmds->fence, VK_TRUE, FENCE_TIMEOUT_NS);
  if (result == VK_TIMEOUT)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_DEVICE_LOST,
                   "waiting for the GPU: no answer after 60 s (the device hangs)");
      return FALSE;
    }
  cmds->in_flight = FALSE;
  if (!lb_vk_check (result, "vkWaitForFences for a submitted command buffer", error))
    return FALSE;

  /* Timestamps: mark i starts phase i, the final stamp ends the last. */
  g_array_set_size (cmds->phases, 0);
  cmds->gpu_ms = 0;
  n_stamps = cmds->marks->len + 1;
  if (cmds->queries != VK_NULL_HANDLE && cmds->marks->len > 0 && n_stamps <= MAX_TIMESTAMPS)
    {
      guint64 mask = ctx->info.timestamp_valid_bits >= 64 ? G_MAXUINT64
                                                         : (1ull << ctx->info.timestamp_valid_bits) - 1;
      double tick_ms = ctx->info.timestamp_period_ns * 1e-6;

      if (!lb_vk_check (vkGetQueryPoolResults (ctx->device, cmds->queries, 0, n_stamps, sizeof stamps,
                                               stamps, sizeof (guint64),
                                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
                        "vkGetQueryPoolResults for timestamps", error))
        return FALSE;
      for (guint i = 0; i < cmds->marks->len; i++)
        {
          const Mark *m = &g_array_index (cmds->marks, Mark, i);
          LbVkPhase phase = {
            .name = m->name,
            .ms = (double) ((stamps[i + 1] - stamps[i]) & mask) * tick_ms,
            .n_dispatches = m->n_dispatches,
          };
          /* The stretch before the first named phase counts only if used. */
          if (i == 0 && m->n_dispatches == 0)
            continue;
          g_array_append_val (cmds->phases, phase);
        }
      cmds->gpu_ms = (double) ((stamps[n_stamps - 1] - stamps[0]) & mask) * tick_ms;
    }
  else
    for (guint i = 0; i < cmds->marks->len; i++)
      {
        const Mark *m = &g_array_index (cmds->marks, Mark, i);
        LbVkPhase phase = { .name = m->name, .ms = 0, .n_dispatches = m->n_dispatches };

        if (i > 0 || m->n_dispatches > 0)
          g_array_append_val (cmds->phases, phase);
      }
  return TRUE;
}

gboolean
lb_vk_commands_begin (LbVkCommands *cmds, GError **error)
{
  VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };

  g_return_val_if_fail (cmds != NULL, FALSE);
  g_return_val_if_fail (!cmds->recording, FALSE);
  if (!lb_vk_commands_wait (cmds, error))
    return FALSE;
  if (!lb_vk_check (vkResetCommandBuffer (cmds->cmd, 0), "vkResetCommandBuffer", error))
    return FALSE;
  for (guint i = 0; i < cmds->descriptor_pools->len; i++)
    if (!lb_vk_check (vkResetDescriptorPool (cmds->ctx->device,
                                             g_array_index (cmds->descriptor_pools, VkDescriptorPool, i), 0),
                      "vkResetDescriptorPool", error))
      return FALSE;
  cmds->pool_index = 0;
  if (!lb_vk_check (vkBeginCommandBuffer (cmds->cmd, &begin), "vkBeginCommandBuffer", error))
    return FALSE;
  g_clear_error (&cmds->error);
  g_array_set_size (cmds->marks, 0);
  g_array_set_size (cmds->tracked, 0);
  cmds->bound = VK_NULL_HANDLE;
  cmds->n_dispatches = cmds->n_barriers = 0;
  cmds->recording = TRUE;
  cmds->ended = FALSE;
  cmds->wrote = FALSE;
  if (cmds->queries != VK_NULL_HANDLE)
    vkCmdResetQueryPool (cmds->cmd, cmds->queries, 0, MAX_TIMESTAMPS);
  /* Orders this recording after whatever earlier submits wrote (the KV
   * cache, the residual stream of the previous token): a fence wait on the
   * host does not make device writes visible to later device reads. Not
   * counted: it is per submit, not per dependency. */
  {
    VkMemoryBarrier barrier = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT
                       | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

    vkCmdPipelineBarrier (cmds->cmd, stages, stages, 0, 1, &barrier, 0, NULL, 0, NULL);
  }
  write_timestamp (cmds, g_intern_static_string ("(unnamed)"));
  return TRUE;
}

void
lb_vk_commands_phase (LbVkCommands *cmds, const char *name)
{
  g_return_if_fail (cmds != NULL && cmds->recording);
  write_timestamp (cmds, g_intern_string (name));
}

static void
emit_barrier (LbVkCommands *cmds)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT
                     | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;

  vkCmdPipelineBarrier (cmds->cmd, stages, stages, 0, 1, &barrier, 0, NULL, 0, NULL);
  g_array_set_size (cmds->tracked, 0);
  cmds->n_barriers++;
}

void
lb_vk_commands_barrier (LbVkCommands *cmds)
{
  g_return_if_fail (cmds != NULL && cmds->recording);
  emit_barrier (cmds);
}

/* A hazard: the new access overlaps a tracked one and one of them writes. */
static gboolean
conflicts (LbVkCommands *cmds, const Access *a)
{
  for (guint i = 0; i < cmds->tracked->len; i++)
    {
      const Access *t = &g_array_index (cmds->tracked, Access, i);

      if (t->handle == a->handle && a->begin < t->end && t->begin < a->end && (a->written || t->written))
        return TRUE;
    }
  return FALSE;
}

static void
order_accesses (LbVkCommands *cmds, const Access *accesses, guint n)
{
  for (guint i = 0; i < n; i++)
    if (conflicts (cmds, &accesses[i]))
      {
        emit_barrier (cmds);
        break;
      }
  for (guint i = 0; i < n; i++)
    {
      g_array_append_val (cmds->tracked, accesses[i]);
      cmds->wrote |= accesses[i].written;
    }
}

/* Resolves size 0, checks bounds, alignment and range; fills *out. */
static gboolean
resolve_binding (LbVkCommands *cmds, const char *what, guint index, const LbVkBinding *b,
                 gboolean for_shader, LbVkBinding *out, GError **error)
{
  const LbVkDeviceInfo *info = &cmds->ctx->info;
  VkDeviceSize size;

  if (b->buffer == NULL)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID, "%s: binding %u has no buffer", what, index);
      return FALSE;
    }
  if (b->offset > b->buffer->size)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s: binding %u starts at %" G_GUINT64_FORMAT ", past the end of %s (%" G_GUINT64_FORMAT
                   " bytes)", what, index, (guint64) b->offset, b->buffer->name, (guint64) b->buffer->size);
      return FALSE;
    }
  size = b->size != 0 ? b->size : b->buffer->size - b->offset;
  if (size == 0 || size > b->buffer->size - b->offset)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s: binding %u range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " does not fit %s (%"
                   G_GUINT64_FORMAT " bytes)", what, index, (guint64) b->offset, (guint64) size,
                   b->buffer->name, (guint64) b->buffer->size);
      return FALSE;
    }
  if (for_shader && (b->buffer->offset + b->offset) % info->min_storage_buffer_offset_alignment != 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s: binding %u of %s at offset %" G_GUINT64_FORMAT " is not a multiple of the device's "
                   "storage buffer alignment (%" G_GUINT64_FORMAT ")", what, index, b->buffer->name,
                   (guint64) b->offset, info->min_storage_buffer_offset_alignment);
      return FALSE;
    }
  if (for_shader && size > info->max_storage_buffer_range)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT,
                   "%s: binding %u covers %" G_GUINT64_FORMAT " bytes of %s, more than the device's "
                   "maxStorageBufferRange (%" G_GUINT64_FORMAT "); dispatch it in row chunks "
                   "(lb_vk_rows_per_binding)", what, index, (guint64) size, b->buffer->name,
                   info->max_storage_buffer_range);
      return FALSE;
    }
  *out = (LbVkBinding) { b->buffer, b->offset, size };
  return TRUE;
}

static gboolean
allocate_set (LbVkCommands *cmds, LbVkPipeline *pipeline, VkDescriptorSet *out, GError **error)
{
  for (;;)
    {
      VkDescriptorSetAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = g_array_index (cmds->descriptor_pools, VkDescriptorPool, cmds->pool_index),
        .descriptorSetCount = 1,
        .pSetLayouts = &pipeline->set_layout,
      };
      VkResult result = vkAllocateDescriptorSets (cmds->ctx->device, &info, out);

      if (result == VK_SUCCESS)
        return TRUE;
      if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL)
        return lb_vk_checkf (result, error, "vkAllocateDescriptorSets for %s", pipeline->label);
      cmds->pool_index++;
      if (cmds->pool_index == cmds->descriptor_pools->len && !add_descriptor_pool (cmds, error))
        return FALSE;
    }
}

gboolean
lb_vk_dispatch (LbVkCommands *cmds, LbVkPipeline *pipeline, const LbVkBinding *bindings, const void *push,
                guint32 groups_x, guint32 groups_y, guint32 groups_z, GError **error)
{
  const LbVkDeviceInfo *info;
  const LbVkPipelineDesc *desc;
  LbVkBinding resolved[LB_VK_MAX_BINDINGS];
  Access accesses[LB_VK_MAX_BINDINGS];
  VkDescriptorBufferInfo buffer_infos[LB_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[LB_VK_MAX_BINDINGS];
  VkDescriptorSet set;
  GError *local = NULL;

  g_return_val_if_fail (cmds != NULL && pipeline != NULL, FALSE);
  g_return_val_if_fail (cmds->recording, FALSE);
  g_return_val_if_fail (bindings != NULL || pipeline->desc.n_bindings == 0, FALSE);
  g_return_val_if_fail (push != NULL || pipeline->desc.push_size == 0, FALSE);

  info = &cmds->ctx->info;
  desc = &pipeline->desc;
  if (groups_x == 0 || groups_y == 0 || groups_z == 0)
    return TRUE;

  for (guint i = 0; i < desc->n_bindings; i++)
    {
      if (!resolve_binding (cmds, pipeline->label, i, &bindings[i], TRUE, &resolved[i], &local))
        return fail (cmds, error, local);
      accesses[i] = (Access) {
        .handle = resolved[i].buffer->handle,
        .begin = resolved[i].buffer->offset + resolved[i].offset,
        .end = resolved[i].buffer->offset + resolved[i].offset + resolved[i].size,
        .written = (desc->access[i] & LB_VK_WRITE) != 0,
      };
      buffer_infos[i] = (VkDescriptorBufferInfo) {
        .buffer = resolved[i].buffer->handle,
        .offset = accesses[i].begin,
        .range = resolved[i].size,
      };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &buffer_infos[i],
      };
    }

  if (!allocate_set (cmds, pipeline, &set, &local))
    return fail (cmds, error, local);
  for (guint i = 0; i < desc->n_bindings; i++)
    writes[i].dstSet = set;
  vkUpdateDescriptorSets (cmds->ctx->device, desc->n_bindings, writes, 0, NULL);

  order_accesses (cmds, accesses, desc->n_bindings);

  if (cmds->bound != pipeline->pipeline)
    {
      vkCmdBindPipeline (cmds->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
      cmds->bound = pipeline->pipeline;
    }
  vkCmdBindDescriptorSets (cmds->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set, 0, NULL);
  if (desc->push_size > 0)
    vkCmdPushConstants (cmds->cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, desc->push_size, push);

  /* Grids beyond maxComputeWorkGroupCount: several dispatches with a base;
   * shaders see the full range in gl_WorkGroupID. */
  for (guint32 z = 0; z < groups_z; z += info->max_workgroup_count[2])
    for (guint32 y = 0; y < groups_y; y += info->max_workgroup_count[1])
      for (guint32 x = 0; x < groups_x; x += info->max_workgroup_count[0])
        vkCmdDispatchBase (cmds->cmd, x, y, z, MIN (groups_x - x, info->max_workgroup_count[0]),
                           MIN (groups_y - y, info->max_workgroup_count[1]),
                           MIN (groups_z - z, info->max_workgroup_count[2]));

  cmds->n_dispatches++;
  if (cmds->marks->len > 0)
    g_array_index (cmds->marks, Mark, cmds->marks->len - 1).n_dispatches++;
  return TRUE;
}

gboolean
lb_vk_commands_fill (LbVkCommands *cmds, LbVkBinding range, guint32 value, GError **error)
{
  LbVkBinding r;
  Access access;
  GError *local = NULL;

  g_return_val_if_fail (cmds != NULL && cmds->recording, FALSE);
  if (!resolve_binding (cmds, "fill", 0, &range, FALSE, &r, &local))
    return fail (cmds, error, local);
  if ((r.buffer->offset + r.offset) % 4 != 0 || r.size % 4 != 0)
    {
      g_set_error (&local, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "fill of %s: offset and size must be multiples of 4", r.buffer->name);
      return fail (cmds, error, local);
    }
  access = (Access) { r.buffer->handle, r.buffer->offset + r.offset, r.buffer->offset + r.offset + r.size, TRUE };
  order_accesses (cmds, &access, 1);
  vkCmdFillBuffer (cmds->cmd, r.buffer->handle, access.begin, r.size, value);
  return TRUE;
}

gboolean
lb_vk_commands_copy (LbVkCommands *cmds, LbVkBinding src, LbVkBinding dst, GError **error)
{
  LbVkBinding s, d;
  Access accesses[2];
  VkBufferCopy region;
  GError *local = NULL;

  g_return_val_if_fail (cmds != NULL && cmds->recording, FALSE);
  if (!resolve_binding (cmds, "copy source", 0, &src, FALSE, &s, &local))
    return fail (cmds, error, local);
  if (dst.size == 0)
    dst.size = s.size;
  if (!resolve_binding (cmds, "copy destination", 1, &dst, FALSE, &d, &local))
    return fail (cmds, error, local);
  if (s.size != d.size)
    {
      g_set_error (&local, LB_VK_ERROR, LB_VK_ERROR_INVALID, "copy from %s to %s: sizes differ (%"
                   G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT ")", s.buffer->name, d.buffer->name,
                   (guint64) s.size, (guint64) d.size);
      return fail (cmds, error, local);
    }
  accesses[0] = (Access) { s.buffer->handle, s.buffer->offset + s.offset, s.buffer->offset + s.offset + s.size, FALSE };
  accesses[1] = (Access) { d.buffer->handle, d.buffer->offset + d.offset, d.buffer->offset + d.offset + d.size, TRUE };
  order_accesses (cmds, accesses, 2);
  region = (VkBufferCopy) { .srcOffset = accesses[0].begin, .dstOffset = accesses[1].begin, .size = s.size };
  vkCmdCopyBuffer (cmds->cmd, s.buffer->handle, d.buffer->handle, 1, &region);
  return TRUE;
}

gboolean
lb_vk_commands_end (LbVkCommands *cmds, GError **error)
{
  g_return_val_if_fail (cmds != NULL && cmds->recording, FALSE);
  cmds->recording = FALSE;
  if (cmds->wrote)
    {
      /* Results become visible to the host (mapped read-back). */
      VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
      };
      vkCmdPipelineBarrier (cmds->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
    }
  if (cmds->queries != VK_NULL_HANDLE)
    vkCmdWriteTimestamp (cmds->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, cmds->queries, cmds->marks->len);
  if (!lb_vk_check (vkEndCommandBuffer (cmds->cmd), "vkEndCommandBuffer", error))
    return FALSE;
  if (cmds->error != NULL)
    {
      g_set_error (error, cmds->error->domain, cmds->error->code, "recording failed: %s", cmds->error->message);
      return FALSE;
    }
  cmds->ended = TRUE;
  return TRUE;
}

gboolean
lb_vk_commands_submit (LbVkCommands *cmds, GError **error)
{
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &cmds->cmd,
  };

  g_return_val_if_fail (cmds != NULL, FALSE);
  g_return_val_if_fail (cmds->ended && !cmds->recording, FALSE);
  if (!lb_vk_commands_wait (cmds, error))
    return FALSE;
  if (!lb_vk_check (vkResetFences (cmds->ctx->device, 1, &cmds->fence), "vkResetFences", error))
    return FALSE;
  if (!lb_vk_check (vkQueueSubmit (cmds->ctx->queue, 1, &submit, cmds->fence), "vkQueueSubmit", error))
    return FALSE;
  cmds->in_flight = TRUE;
  return TRUE;
}

gboolean
lb_vk_commands_run (LbVkCommands *cmds, GError **error)
{
  g_return_val_if_fail (cmds != NULL, FALSE);
  if (cmds->recording && !lb_vk_commands_end (cmds, error))
    return FALSE;
  return lb_vk_commands_submit (cmds, error) && lb_vk_commands_wait (cmds, error);
}

const LbVkPhase *
lb_vk_commands_phases (LbVkCommands *cmds, guint *n_phases)
{
  g_return_val_if_fail (cmds != NULL, NULL);
  if (n_phases != NULL)
    *n_phases = cmds->phases->len;
  return (const LbVkPhase *) cmds->phases->data;
}

double
lb_vk_commands_gpu_ms (LbVkCommands *cmds)
{
  return cmds->gpu_ms;
}

guint
lb_vk_commands_n_dispatches (LbVkCommands *cmds)
{
  return cmds->n_dispatches;
}

guint
lb_vk_commands_n_barriers (LbVkCommands *cmds)
{
  return cmds->n_barriers;
}
