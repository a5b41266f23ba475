/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Command recording: one command buffer with its fence, descriptor sets and
 * timestamp queries, and lb_vk_dispatch, the one choke point every kernel
 * goes through.
 *
 * A recording can be submitted many times: record a whole decode step once
 * (begin, dispatches, end), then per token write the step's inputs (token
 * id, position) into a LB_VK_MEMORY_HOST buffer the kernels read, submit,
 * wait. Push constants are fixed at record time, so anything that changes
 * per step must come from a buffer.
 *
 * Barriers: the recording tracks the byte ranges read and written since the
 * last barrier and inserts one compute/transfer barrier only before a
 * command that reads what an earlier one wrote, or writes what an earlier
 * one read or wrote. Independent dispatches (q, k and v projections, row
 * chunks of one tensor) run without barriers between them. Each recording
 * also starts with one barrier that orders it after earlier submits (a
 * replayed decode step reads what the previous token wrote).
 *
 *   g_autoptr(LbVkCommands) cmds = lb_vk_commands_new (ctx, error);
 *   lb_vk_commands_begin (cmds, error);
 *   lb_vk_commands_phase (cmds, "attention");
 *   lb_vk_rmsnorm (cmds, …, error);                 // wrappers in vk-ops-*.h
 *   lb_vk_commands_run (cmds, error);               // end + submit + wait
 *   phases = lb_vk_commands_phases (cmds, &n);      // GPU time per phase
 *
 * Threading: the context's thread.
 */
#pragma once

#include "vk/vk-context.h"
#include "vk/vk-memory.h"
#include "vk/vk-pipeline.h"

G_BEGIN_DECLS

/* A range of a buffer bound to one kernel binding. offset must be a
 * multiple of info.min_storage_buffer_offset_alignment, size (0 = to the end
 * of the buffer) at most info.max_storage_buffer_range. */
typedef struct {
  LbVkBuffer *buffer;
  VkDeviceSize offset;
  VkDeviceSize size;
} LbVkBinding;

static inline LbVkBinding
lb_vk_bind (LbVkBuffer *buffer)
{
  return (LbVkBinding) { .buffer = buffer, .offset = 0, .size = 0 };
}

static inline LbVkBinding
lb_vk_bind_range (LbVkBuffer *buffer, VkDeviceSize offset, VkDeviceSize size)
{
  return (LbVkBinding) { .buffer = buffer, .offset = offset, .size = size };
}

/* An optional operand left out ({ NULL }) binds `fallback` instead (a
 * buffer the kernel ignores; use a read-only operand of the same dispatch). */
static inline LbVkBinding
lb_vk_bind_or (LbVkBinding binding, LbVkBinding fallback)
{
  return binding.buffer != NULL ? binding : fallback;
}

/* Workgroups needed for n items at per_group each. */
static inline guint32
lb_vk_groups (guint64 n, guint64 per_group)
{
  return (guint32) ((n + per_group - 1) / per_group);
}

typedef struct _LbVkCommands LbVkCommands;

/* GPU time of one named phase of the last completed submit. */
typedef struct {
  const char *name;       /* interned */
  double ms;              /* 0 where the queue has no timestamps */
  guint n_dispatches;
} LbVkPhase;

LbVkCommands *lb_vk_commands_new (LbVkContext *ctx, GError **error);
void lb_vk_commands_free (LbVkCommands *cmds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbVkCommands, lb_vk_commands_free)

LbVkContext *lb_vk_commands_get_context (LbVkCommands *cmds);

/* Starts a new recording, waiting first for a submit still in flight;
 * forgets the previous recording (descriptor sets, phases). */
gboolean lb_vk_commands_begin (LbVkCommands *cmds, GError **error);

/* Records one dispatch of groups_x × groups_y × groups_z workgroups.
 * bindings has pipeline->desc.n_bindings entries; push holds
 * pipeline->desc.push_size bytes (NULL when 0). Checks every binding
 * against the device limits (LB_VK_ERROR_LIMIT / LB_VK_ERROR_INVALID, naming
 * the kernel and the binding), splits a grid beyond
 * maxComputeWorkGroupCount into several vkCmdDispatchBase calls, and adds a
 * barrier first when the dispatch depends on an earlier command. A zero
 * count records nothing. */
gboolean lb_vk_dispatch (LbVkCommands *cmds, LbVkPipeline *pipeline, const LbVkBinding *bindings,
                         const void *push, guint32 groups_x, guint32 groups_y, guint32 groups_z,
                         GError **error);

/* Fills a range with a 32-bit pattern (size a multiple of 4): zeroing, or
 * poisoning outputs with NaN (0x7fc00000) in tests. */
gboolean lb_vk_commands_fill (LbVkCommands *cmds, LbVkBinding range, guint32 value, GError **error);

/* Copies src to dst (same sizes; size 0 = to the end of src). */
gboolean lb_vk_commands_copy (LbVkCommands *cmds, LbVkBinding src, LbVkBinding dst, GError **error);

/* A full barrier now, whatever the tracker thinks (for dependencies it
 * cannot see, e.g. kernels that index buffers beyond their bindings). */
void lb_vk_commands_barrier (LbVkCommands *cmds);

/* Starts a named phase (a GPU timestamp); it lasts until the next phase or
 * the end. Phases beyond the query pool's capacity are merged into the
 * last one. */
void lb_vk_commands_phase (LbVkCommands *cmds, const char *name);

/* Ends the recording; reports the first recording error if any. */
gboolean lb_vk_commands_end (LbVkCommands *cmds, GError **error);

/* Submits the ended recording (again, for a replay) with a fence; returns
 * at once. */
gboolean lb_vk_commands_submit (LbVkCommands *cmds, GError **error);

/* Waits for the submit and reads the timestamps. Device loss and timeouts
 * become errors (a hung device after 60 s: LB_VK_ERROR_DEVICE_LOST). */
gboolean lb_vk_commands_wait (LbVkCommands *cmds, GError **error);

/* end (when still recording) + submit + wait. */
gboolean lb_vk_commands_run (LbVkCommands *cmds, GError **error);

/* Phases of the last completed submit (owned by cmds). */
const LbVkPhase *lb_vk_commands_phases (LbVkCommands *cmds, guint *n_phases);
/* GPU time from begin to end of the last completed submit, in ms. */
double lb_vk_commands_gpu_ms (LbVkCommands *cmds);

/* Counts in the current recording (tests check the barrier economy). */
guint lb_vk_commands_n_dispatches (LbVkCommands *cmds);
guint lb_vk_commands_n_barriers (LbVkCommands *cmds);

G_END_DECLS
