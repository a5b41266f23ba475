/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include "app/lb-image-overlay.h"

G_DEFINE_INTERFACE (LbImageOverlay, lb_image_overlay, G_TYPE_OBJECT)

static guint changed_signal;

static void
lb_image_overlay_default_init (LbImageOverlayInterface *iface)
{
  changed_signal = g_signal_new ("changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
}

void
lb_image_overlay_snapshot (LbImageOverlay *self, LbImageView *view, GtkSnapshot *snapshot)
{
  g_return_if_fail (LB_IS_IMAGE_OVERLAY (self));

  LbImageOverlayInterface *iface = LB_IMAGE_OVERLAY_GET_IFACE (self);
  if (iface->snapshot != NULL)
    iface->snapshot (self, view, snapshot);
}

void
lb_image_overlay_changed (LbImageOverlay *self)
{
  g_return_if_fail (LB_IS_IMAGE_OVERLAY (self));
  g_signal_emit (self, changed_signal, 0);
}
