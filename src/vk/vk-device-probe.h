/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Context internals: probing the physical devices (vk-context.c chooses
 * among them and opens one). Threading: as vk-context.h.
 */
#pragma once

#include "vk/vk-context.h"

G_BEGIN_DECLS

/* Everything we learn about one physical device before choosing. */
typedef struct {
  VkPhysicalDevice handle;
  LbVkDeviceInfo info;
  guint32 queue_family;
  gboolean has_compute_queue;
  gboolean has_memory_budget;
  char *unusable;       /* why the kernels cannot run there, or NULL */
  int score;
} LbVkCandidate;

/* "discrete GPU", "CPU", … */
const char *lb_vk_device_type_name (VkPhysicalDeviceType type);

/* Probes and scores every physical device of the instance: a GArray of
 * LbVkCandidate (free with lb_vk_free_candidates). Fails with
 * LB_VK_ERROR_NO_DEVICE when there is none. */
gboolean lb_vk_enumerate_candidates (VkInstance instance, guint32 instance_version, GArray **out, GError **error);
void lb_vk_free_candidates (GArray *candidates);

G_END_DECLS
