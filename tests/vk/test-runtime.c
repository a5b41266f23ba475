/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan runtime: device choice, memory, pipelines, the dispatch choke
 * point (limits, split grids, barriers), replays and timings.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vk-test.h"
#include "vk/vk-ops-elementwise.h"

static void
test_context_info (void)
{
  LbVkContext *ctx = vk_test_context ();
  const LbVkDeviceInfo *info;
  g_autofree char *text = NULL;
  guint64 budget = 0, usage = 0;

  if (ctx == NULL)
    return;
  info = &ctx->info;
  g_assert_cmpuint (info->subgroup_size, >=, 1);
  g_assert_true (info->storage_16bit && info->storage_8bit && info->subgroup_arithmetic);
  g_assert_cmpuint (info->max_storage_buffer_range, >=, 1u << 27);
  g_assert_cmpuint (info->max_push_constants_size, >=, 128);
  g_assert_cmpuint (info->min_storage_buffer_offset_alignment, >=, 1);
  text = lb_vk_context_describe (ctx);
  g_assert_nonnull (strstr (text, info->name));
  g_assert_nonnull (strstr (text, "subgroups"));
  lb_vk_context_memory_budget (ctx, &budget, &usage);
  g_assert_cmpuint (budget, >, 0);
}

static void
test_context_override (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbVkContext) other = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("LIGHTBOX_VK_DEVICE"));
  LbVkContext *ctx = vk_test_context ();
  g_autofree char *list = NULL;

  if (ctx == NULL)
    return;
  list = lb_vk_list_devices (&error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (list, ctx->info.name));

  g_setenv ("LIGHTBOX_VK_DEVICE", "no such device, really", TRUE);
  other = lb_vk_context_new (&error);
  g_assert_null (other);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "no such device, really"));
  g_clear_error (&error);

  g_setenv ("LIGHTBOX_VK_DEVICE", "4000", TRUE);
  other = lb_vk_context_new (&error);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE);
  g_clear_error (&error);

  /* By name, in another case than the driver's. */
  {
    g_autofree char *upper = g_ascii_strup (ctx->info.name, -1);
    g_setenv ("LIGHTBOX_VK_DEVICE", upper, TRUE);
  }
  other = lb_vk_context_new (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (other->info.name, ==, ctx->info.name);
  g_clear_pointer (&other, lb_vk_context_free);

  /* A device given by the caller (the engine's option) wins over the
   * variable, and is named in the message when it matches nothing. */
  g_setenv ("LIGHTBOX_VK_DEVICE", "no such device, really", TRUE);
  other = lb_vk_context_new_for_device ("0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (other->info.index, ==, 0);
  g_clear_pointer (&other, lb_vk_context_free);
  other = lb_vk_context_new_for_device ("nor this one", &error);
  g_assert_null (other);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "device \"nor this one\""));
  g_clear_error (&error);
  /* NULL and "": the variable again. */
  other = lb_vk_context_new_for_device ("", &error);
  g_assert_null (other);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "LIGHTBOX_VK_DEVICE=no such device, really"));
  g_clear_error (&error);

  if (saved != NULL)
    g_setenv ("LIGHTBOX_VK_DEVICE", saved, TRUE);
  else
    g_unsetenv ("LIGHTBOX_VK_DEVICE");
}

static void
test_memory_suballocation (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  LbVkBuffer *buffers[40];
  guint64 before;
  g_autoptr(GRand) rand = vk_test_rand ();

  if (ctx == NULL)
    return;
  before = lb_vk_allocated_bytes (ctx);
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, 5000);
      g_autofree float *data = vk_test_random_floats (rand, n, -1, 1);
      g_autofree float *back = g_new (float, n);

      buffers[i] = lb_vk_buffer_new (ctx, i % 3 ? LB_VK_MEMORY_DEVICE : LB_VK_MEMORY_HOST, n * 4, "piece", &error);
      g_assert_no_error (error);
      g_assert_cmpuint ((buffers[i]->offset) % ctx->info.min_storage_buffer_offset_alignment, ==, 0);
      lb_vk_buffer_write (buffers[i], 0, data, n * 4, &error);
      g_assert_no_error (error);
      lb_vk_buffer_read (buffers[i], 0, back, n * 4, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (back, n * 4, data, n * 4);
    }
  /* Forty buffers, at most one new block per kind: no allocation per tensor. */
  g_assert_cmpuint (lb_vk_allocated_bytes (ctx) - before, <=, (128u << 20) + (16u << 20));
  for (guint i = 0; i < G_N_ELEMENTS (buffers); i += 2)
    lb_vk_buffer_free (buffers[i]);
  /* Freed ranges are reused. */
  {
    guint64 mid = lb_vk_allocated_bytes (ctx);
    g_autoptr(LbVkBuffer) again = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 1000, "again", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (lb_vk_allocated_bytes (ctx), ==, mid);
  }
  for (guint i = 1; i < G_N_ELEMENTS (buffers); i += 2)
    lb_vk_buffer_free (buffers[i]);

  /* Out-of-range writes are errors, not crashes. */
  {
    g_autoptr(LbVkBuffer) small = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 16, "small", &error);
    guint8 bytes[32] = { 0 };
    g_assert_no_error (error);
    g_assert_false (lb_vk_buffer_write (small, 8, bytes, 16, &error));
    g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "small"));
  }
}

static void
test_memory_too_large (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkBuffer) huge = NULL;

  if (ctx == NULL)
    return;
  huge = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, ctx->info.max_memory_allocation_size + 4096,
                           "token_embd.weight", &error);
  g_assert_null (huge);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "token_embd.weight"));
}

/* The staging ring (discrete GPUs), forced on a unified-memory device.
 * 40 MiB spans three staging slices. */
static void
test_memory_staging (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbVkContext) ctx = NULL;
  gsize n = (40u << 20) / 4 + 123;
  g_autoptr(GRand) rand = vk_test_rand ();
  g_autofree float *data = NULL, *back = NULL;
  LbVkBuffer *buffer;

  if (vk_test_context () == NULL)
    return;
  g_setenv ("LIGHTBOX_VK_FORCE_STAGING", "1", TRUE);
  ctx = lb_vk_context_new (&error);
  g_unsetenv ("LIGHTBOX_VK_FORCE_STAGING");
  g_assert_no_error (error);
  buffer = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, n * 4, "staged", &error);
  g_assert_no_error (error);
  g_assert_null (buffer->mapped);
  data = vk_test_random_floats (rand, n, -5, 5);
  lb_vk_buffer_write (buffer, 0, data, n * 4, &error);
  g_assert_no_error (error);
  back = g_new0 (float, n);
  lb_vk_buffer_read (buffer, 0, back, n * 4, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, n * 4, data, n * 4);
  /* A partial read at an odd offset. */
  lb_vk_buffer_read (buffer, 4 * 1001, back, 4 * 7, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, 4 * 7, data + 1001, 4 * 7);
  lb_vk_buffer_free (buffer);
}

static void
reference_add (const float *a, const float *b, float *y, gsize n)
{
  for (gsize i = 0; i < n; i++)
    y[i] = a[i] + b[i];
}

/* A grid taller than maxComputeWorkGroupCount[1] (65535 on lavapipe) is
 * split by the choke point; every row must still be computed once. */
static void
test_dispatch_split (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  guint rows, cols = 3;
  gsize n;
  g_autofree float *a = NULL, *b = NULL, *want = NULL, *got = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) ba = NULL, bb = NULL, by = NULL;

  if (ctx == NULL)
    return;
  rows = MIN (ctx->info.max_workgroup_count[1], 1u << 20) + 1 + g_rand_int_range (rand, 0, 1000);
  n = (gsize) rows * cols;
  a = vk_test_random_floats (rand, n, -1, 1);
  b = vk_test_random_floats (rand, n, -1, 1);
  want = g_new (float, n);
  reference_add (a, b, want, n);
  ba = vk_test_upload_floats (ctx, a, n, "a");
  bb = vk_test_upload_floats (ctx, b, n, "b");
  cmds = vk_test_commands (ctx);
  by = vk_test_poisoned (ctx, cmds, n * 4, "y");
  lb_vk_elementwise (cmds, &(LbVkElementwise) {
      .op = LB_VK_ADD, .a = lb_vk_bind (ba), .b = lb_vk_bind (bb), .y = lb_vk_bind (by),
      .n_rows = rows, .n_cols = cols }, &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (by, n);
  lb_test_assert_close (got, want, n, 0, 0);
}

/* Barriers only where a later dispatch reads what an earlier one wrote. */
static void
test_dispatch_barriers (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  gsize n = 1000 + g_rand_int_range (rand, 0, 500);
  g_autofree float *a = NULL, *b = NULL, *want = NULL, *got = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) ba = NULL, bb = NULL, bc = NULL, bd = NULL;
  guint barriers_after_fill;

  if (ctx == NULL)
    return;
  a = vk_test_random_floats (rand, n, -1, 1);
  b = vk_test_random_floats (rand, n, -1, 1);
  want = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    want[i] = (a[i] + b[i]) + (a[i] * b[i]);
  ba = vk_test_upload_floats (ctx, a, n, "a");
  bb = vk_test_upload_floats (ctx, b, n, "b");
  cmds = vk_test_commands (ctx);
  bc = vk_test_poisoned (ctx, cmds, n * 4, "c");
  bd = vk_test_poisoned (ctx, cmds, n * 4, "d");
  g_assert_cmpuint (lb_vk_commands_n_barriers (cmds), ==, 0);
  /* c = a + b and d = a * b read what the fills wrote: one barrier for both. */
  lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_ADD, .a = lb_vk_bind (ba), .b = lb_vk_bind (bb),
                                                .y = lb_vk_bind (bc), .n_rows = 1, .n_cols = n }, &error);
  g_assert_no_error (error);
  barriers_after_fill = lb_vk_commands_n_barriers (cmds);
  g_assert_cmpuint (barriers_after_fill, ==, 1);
  lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_MUL, .a = lb_vk_bind (ba), .b = lb_vk_bind (bb),
                                                .y = lb_vk_bind (bd), .n_rows = 1, .n_cols = n }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_vk_commands_n_barriers (cmds), ==, 1);
  /* c = c + d depends on both. */
  lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_ADD, .a = lb_vk_bind (bc), .b = lb_vk_bind (bd),
                                                .y = lb_vk_bind (bc), .n_rows = 1, .n_cols = n }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_vk_commands_n_barriers (cmds), ==, 2);
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds), ==, 3);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (bc, n);
  lb_test_assert_close (got, want, n, 1e-6, 1e-6);
}

static void
test_dispatch_limits (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) big = NULL, small = NULL;
  VkDeviceSize range;

  if (ctx == NULL)
    return;
  range = ctx->info.max_storage_buffer_range;
  cmds = vk_test_commands (ctx);
  small = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "small", &error);
  g_assert_no_error (error);

  /* An offset that breaks the binding alignment. */
  if (ctx->info.min_storage_buffer_offset_alignment > 4)
    {
      g_assert_false (lb_vk_elementwise (cmds, &(LbVkElementwise) {
          .op = LB_VK_SCALE, .a = lb_vk_bind_range (small, 4, 64), .y = lb_vk_bind_range (small, 1024, 64),
          .n_rows = 1, .n_cols = 16, .scale = 2 }, &error));
      g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "alignment"));
      g_clear_error (&error);
    }

  /* A binding beyond maxStorageBufferRange (when one allocation can hold it). */
  if (range < G_MAXUINT32 && range + 4096 <= ctx->info.max_memory_allocation_size)
    {
      big = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, range + 4096, "too wide", &error);
      g_assert_no_error (error);
      g_assert_false (lb_vk_elementwise (cmds, &(LbVkElementwise) {
          .op = LB_VK_SCALE, .a = lb_vk_bind (big), .y = lb_vk_bind_range (small, 0, 64),
          .n_rows = 1, .n_cols = 16, .scale = 2 }, &error));
      g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT);
      g_assert_nonnull (strstr (error->message, "too wide"));
      g_clear_error (&error);
    }

  /* A recording with an error refuses to end. */
  g_assert_false (lb_vk_commands_end (cmds, &error));
  g_assert_nonnull (error);
}

/* Record once, submit three times with new inputs written by the host in
 * between: what a pre-recorded decode step does. */
static void
test_commands_replay (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  gsize n = 777;
  g_autofree float *a = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) ba = NULL, params = NULL, by = NULL;

  if (ctx == NULL)
    return;
  a = vk_test_random_floats (rand, n, -1, 1);
  ba = vk_test_upload_floats (ctx, a, n, "a");
  params = lb_vk_buffer_new (ctx, LB_VK_MEMORY_HOST, n * 4, "step inputs", &error);
  g_assert_no_error (error);
  g_assert_nonnull (params->mapped);
  by = lb_vk_buffer_new (ctx, LB_VK_MEMORY_HOST, n * 4, "result", &error);
  g_assert_no_error (error);
  cmds = vk_test_commands (ctx);
  lb_vk_commands_phase (cmds, "multiply");
  lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_MUL, .a = lb_vk_bind (ba), .b = lb_vk_bind (params),
                                                .y = lb_vk_bind (by), .n_rows = 1, .n_cols = n }, &error);
  g_assert_no_error (error);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);
  for (guint step = 0; step < 3; step++)
    {
      float *p = (float *) params->mapped;
      const float *y = (const float *) by->mapped;
      guint n_phases = 0;
      const LbVkPhase *phases;

      for (gsize i = 0; i < n; i++)
        p[i] = (float) (step + 1) + (float) i / n;
      lb_vk_commands_submit (cmds, &error);
      g_assert_no_error (error);
      lb_vk_commands_wait (cmds, &error);
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat (y[i], ==, a[i] * ((float) (step + 1) + (float) i / n));
      phases = lb_vk_commands_phases (cmds, &n_phases);
      g_assert_cmpuint (n_phases, ==, 1);
      g_assert_cmpstr (phases[0].name, ==, "multiply");
      g_assert_cmpuint (phases[0].n_dispatches, ==, 1);
      g_assert_cmpfloat (phases[0].ms, >=, 0);
    }
}

static void
test_pipeline_errors (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  LbVkPipeline *p;
  guint before;

  if (ctx == NULL)
    return;
  p = lb_vk_pipeline_get (ctx, &(LbVkPipelineDesc) { .shader = "no_such_kernel", .n_bindings = 1,
                                                     .access = { LB_VK_READ } }, &error);
  g_assert_null (p);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no_such_kernel"));
  g_clear_error (&error);

  p = lb_vk_pipeline_get (ctx, &(LbVkPipelineDesc) { .shader = "elementwise", .n_bindings = 3,
                                                     .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE },
                                                     .push_size = ctx->info.max_push_constants_size + 4 },
                          &error);
  g_assert_null (p);
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT);
  g_clear_error (&error);

  /* The same description gives the same pipeline. */
  before = lb_vk_pipeline_count (ctx);
  {
    LbVkPipelineDesc desc = { .shader = "elementwise", .n_bindings = 3,
                              .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE }, .push_size = 24,
                              .local_size = { 64, 1, 1 }, .n_constants = 1, .constants = { 2 } };
    LbVkPipeline *p1 = lb_vk_pipeline_get (ctx, &desc, &error);
    LbVkPipeline *p2 = lb_vk_pipeline_get (ctx, &desc, &error);
    g_assert_no_error (error);
    g_assert_true (p1 == p2);
    g_assert_cmpuint (lb_vk_pipeline_count (ctx), ==, before + 1);
  }
  g_assert_true (lb_vk_shader_exists ("elementwise"));
  g_assert_false (lb_vk_shader_exists ("elementwise.comp"));
}

static void
test_pipeline_cache_saved (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autofree char *dir = NULL;

  if (ctx == NULL)
    return;
  lb_vk_context_save_pipeline_cache (ctx, &error);
  g_assert_no_error (error);
  dir = g_build_filename (g_get_user_cache_dir (), "lightbox", NULL);
  /* Drivers may keep nothing worth saving (then no file is written). */
  if (ctx->pipeline_cache_path != NULL && g_file_test (ctx->pipeline_cache_path, G_FILE_TEST_EXISTS))
    g_assert_true (g_str_has_prefix (ctx->pipeline_cache_path, dir));
}

/* A tensor wider than one binding, processed in row chunks as
 * vk-memory.h prescribes (only where one allocation can exceed a binding). */
static void
test_large_tensor_chunks (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  guint64 range, row_bytes, rows, step;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) buffer = NULL;
  guint n_chunks = 0;

  if (ctx == NULL)
    return;
  /* The step keeps chunk offsets aligned for awkward row sizes. */
  step = lb_vk_rows_per_binding (ctx, 2100);
  g_assert_cmpuint (step * 2100, <=, ctx->info.max_storage_buffer_range);
  g_assert_cmpuint ((step * 2100) % ctx->info.min_storage_buffer_offset_alignment, ==, 0);

  range = ctx->info.max_storage_buffer_range;
  if (range > (256u << 20) || range + (8u << 20) > ctx->info.max_memory_allocation_size)
    {
      g_test_skip ("the device's storage buffer range is too large to exceed cheaply");
      return;
    }
  row_bytes = 4 * 1001; /* not a multiple of the alignment */
  rows = range / row_bytes + 37;
  step = lb_vk_rows_per_binding (ctx, row_bytes);
  buffer = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, rows * row_bytes, "wide tensor", &error);
  g_assert_no_error (error);
  cmds = vk_test_commands (ctx);
  lb_vk_commands_fill (cmds, lb_vk_bind (buffer), 0x3f800000u /* 1.0f */, &error);
  g_assert_no_error (error);
  for (guint64 r0 = 0; r0 < rows; r0 += step)
    {
      guint64 n = MIN (step, rows - r0);
      LbVkBinding chunk = lb_vk_bind_range (buffer, r0 * row_bytes, n * row_bytes);

      lb_vk_elementwise (cmds, &(LbVkElementwise) { .op = LB_VK_SCALE, .a = chunk, .y = chunk,
                                                    .n_rows = n, .n_cols = 1001, .scale = (float) (r0 + 2) },
                         &error);
      g_assert_no_error (error);
      n_chunks++;
    }
  g_assert_cmpuint (n_chunks, >=, 2);
  /* The fill is ordered before the chunks, the chunks not among themselves. */
  g_assert_cmpuint (lb_vk_commands_n_barriers (cmds), ==, 1);
  vk_test_run_commands (cmds);
  for (guint64 r0 = 0; r0 < rows; r0 += step)
    {
      float first, last;
      guint64 n = MIN (step, rows - r0);

      lb_vk_buffer_read (buffer, r0 * row_bytes, &first, 4, &error);
      g_assert_no_error (error);
      lb_vk_buffer_read (buffer, (r0 + n) * row_bytes - 4, &last, 4, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (first, ==, (float) (r0 + 2));
      g_assert_cmpfloat (last, ==, (float) (r0 + 2));
    }
}

/* A validation message fails the program: provoke one in a subprocess. */
static void
test_validation_fails (void)
{
  LbVkContext *ctx = vk_test_context ();

  if (ctx == NULL)
    return;
  if (!ctx->validation)
    {
      g_test_skip ("LIGHTBOX_VK_VALIDATION is not set");
      return;
    }
  if (g_test_subprocess ())
    {
      VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = 0, /* invalid: VUID-VkBufferCreateInfo-size-00912 */
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
      };
      VkBuffer buffer = VK_NULL_HANDLE;

      vkCreateBuffer (ctx->device, &info, NULL, &buffer);
      if (buffer != VK_NULL_HANDLE)
        vkDestroyBuffer (ctx->device, buffer, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*Vulkan validation*VkBufferCreateInfo*");
}

/* After load, building a pipeline is a warning (lazy compilation). */
static void
test_pipeline_sealed (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GError) error = NULL;
  LbVkPipelineDesc desc = { .shader = "elementwise", .n_bindings = 3,
                            .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE }, .push_size = 24,
                            .local_size = { 32, 1, 1 }, .n_constants = 1, .constants = { 3 } };

  if (ctx == NULL)
    return;
  lb_vk_pipelines_seal (ctx);
  g_test_expect_message ("lightbox-vk", G_LOG_LEVEL_WARNING, "*elementwise*built after load*");
  g_assert_nonnull (lb_vk_pipeline_get (ctx, &desc, &error));
  g_test_assert_expected_messages ();
  /* A pipeline that exists is just looked up. */
  g_assert_nonnull (lb_vk_pipeline_get (ctx, &desc, &error));
  g_assert_no_error (error);
  ctx->pipelines_sealed = FALSE;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/context/info", test_context_info);
  g_test_add_func ("/vk/context/override", test_context_override);
  g_test_add_func ("/vk/memory/suballocation", test_memory_suballocation);
  g_test_add_func ("/vk/memory/too-large", test_memory_too_large);
  g_test_add_func ("/vk/memory/staging", test_memory_staging);
  g_test_add_func ("/vk/dispatch/split-grid", test_dispatch_split);
  g_test_add_func ("/vk/dispatch/barriers", test_dispatch_barriers);
  g_test_add_func ("/vk/dispatch/limits", test_dispatch_limits);
  g_test_add_func ("/vk/commands/replay", test_commands_replay);
  g_test_add_func ("/vk/pipeline/errors", test_pipeline_errors);
  g_test_add_func ("/vk/pipeline/cache-saved", test_pipeline_cache_saved);
  g_test_add_func ("/vk/memory/large-tensor-chunks", test_large_tensor_chunks);
  g_test_add_func ("/vk/context/validation-fails", test_validation_fails);
  g_test_add_func ("/vk/pipeline/sealed", test_pipeline_sealed);
  return vk_test_run ();
}
