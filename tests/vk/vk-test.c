/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include "vk-test.h"

static LbVkContext *context;
static char *no_device;

void
vk_test_init (void)
{
  g_autoptr(GError) error = NULL;

  context = lb_vk_context_new (&error);
  if (context == NULL)
    {
      /* No Vulkan at all is a reason to skip; anything else (a missing
       * validation layer, a broken driver) is a failure. */
      if (!g_error_matches (error, LB_VK_ERROR, LB_VK_ERROR_NO_DEVICE))
        g_error ("cannot create the Vulkan context: %s", error->message);
      no_device = g_strdup_printf ("no Vulkan device: %s", error->message);
    }
}

int
vk_test_run (void)
{
  int status = g_test_run ();

  g_clear_pointer (&context, lb_vk_context_free);
  g_free (no_device);
  return status;
}

LbVkContext *
vk_test_context (void)
{
  if (context == NULL)
    g_test_skip (no_device);
  return context;
}

GRand *
vk_test_rand (void)
{
  return g_rand_new_with_seed (g_test_rand_int ());
}

LbVkBuffer *
vk_test_upload (LbVkContext *ctx, const void *data, gsize bytes, const char *name)
{
  g_autoptr(GError) error = NULL;
  LbVkBuffer *buffer = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, MAX (bytes, 4), name, &error);

  g_assert_no_error (error);
  lb_vk_buffer_write (buffer, 0, data, bytes, &error);
  g_assert_no_error (error);
  return buffer;
}

LbVkBuffer *
vk_test_upload_floats (LbVkContext *ctx, const float *data, gsize n, const char *name)
{
  return vk_test_upload (ctx, data, n * sizeof (float), name);
}

LbVkBuffer *
vk_test_poisoned (LbVkContext *ctx, LbVkCommands *cmds, gsize bytes, const char *name)
{
  g_autoptr(GError) error = NULL;
  gsize padded = (MAX (bytes, 4) + 3) / 4 * 4;
  LbVkBuffer *buffer = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, padded, name, &error);

  g_assert_no_error (error);
  lb_vk_commands_fill (cmds, lb_vk_bind (buffer), 0x7fc00000u, &error);
  g_assert_no_error (error);
  return buffer;
}

void *
vk_test_download (LbVkBuffer *buffer, gsize bytes)
{
  g_autoptr(GError) error = NULL;
  void *data = g_malloc (MAX (bytes, 1));

  lb_vk_buffer_read (buffer, 0, data, bytes, &error);
  g_assert_no_error (error);
  return data;
}

float *
vk_test_download_floats (LbVkBuffer *buffer, gsize n)
{
  return vk_test_download (buffer, n * sizeof (float));
}

LbVkCommands *
vk_test_commands (LbVkContext *ctx)
{
  g_autoptr(GError) error = NULL;
  LbVkCommands *cmds = lb_vk_commands_new (ctx, &error);

  g_assert_no_error (error);
  lb_vk_commands_begin (cmds, &error);
  g_assert_no_error (error);
  return cmds;
}

void
vk_test_run_commands (LbVkCommands *cmds)
{
  g_autoptr(GError) error = NULL;

  lb_vk_commands_run (cmds, &error);
  g_assert_no_error (error);
}

float *
vk_test_random_floats (GRand *rand, gsize n, float lo, float hi)
{
  float *values = g_new (float, MAX (n, 1));

  lb_test_fill_uniform (rand, values, n, lo, hi);
  return values;
}
