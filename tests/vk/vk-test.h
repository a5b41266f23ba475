/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the Vulkan kernel tests: one context per test program (skipped
 * when the machine has no Vulkan device at all), buffers from host arrays,
 * outputs poisoned with NaN, read-back.
 */
#pragma once

#include "lb-test.h"
#include "vk/vk-commands.h"

G_BEGIN_DECLS

/* Call after g_test_init; run tests with vk_test_run (). */
void vk_test_init (void);
int vk_test_run (void);

/* The program's context, or NULL after g_test_skip ("no Vulkan device: …"). */
LbVkContext *vk_test_context (void);

/* A fresh GRand seeded from the test's own random seed (new each run,
 * reproducible with --seed). */
GRand *vk_test_rand (void);

/* Device buffers filled from host data (asserting success). */
LbVkBuffer *vk_test_upload (LbVkContext *ctx, const void *data, gsize bytes, const char *name);
LbVkBuffer *vk_test_upload_floats (LbVkContext *ctx, const float *data, gsize n, const char *name);
/* A device buffer of n floats, every one NaN once the recording runs
 * (records the fill into cmds). */
LbVkBuffer *vk_test_poisoned (LbVkContext *ctx, LbVkCommands *cmds, gsize bytes, const char *name);
/* Reads n floats back (g_free the result). */
float *vk_test_download_floats (LbVkBuffer *buffer, gsize n);
void *vk_test_download (LbVkBuffer *buffer, gsize bytes);

/* begin + asserting success. */
LbVkCommands *vk_test_commands (LbVkContext *ctx);
void vk_test_run_commands (LbVkCommands *cmds);

/* Random floats from a GRand in [lo, hi). */
float *vk_test_random_floats (GRand *rand, gsize n, float lo, float hi);

G_END_DECLS
