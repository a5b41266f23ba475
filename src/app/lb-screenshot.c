/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-screenshot.h"

GdkTexture *
lb_screenshot_render (GtkWidget *widget, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  if (renderer == NULL || width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   _("The window is not shown yet: nothing to render"));
      return NULL;
    }
  int scale = gtk_widget_get_scale_factor (widget);

  /* The widget's picture is the render node of its last frame. GTK drops
   * that node as soon as the widget, or anything inside it, asks for a
   * redraw, and makes a new one at the next frame: in between, there is
   * nothing to copy ("drew nothing"). Copy right after a frame, from the
   * frame clock's after-paint (what `--screenshot` does), or after letting
   * the main loop draw one. */
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The window drew nothing"));
      return NULL;
    }
  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, width * scale, height * scale));
}

gboolean
lb_screenshot_save_png (GtkWidget *widget, const char *path, GError **error)
{
  g_autoptr(GdkTexture) texture = lb_screenshot_render (widget, error);
  if (texture == NULL)
    return FALSE;
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write the screenshot to %s"), path);
      return FALSE;
    }
  return TRUE;
}
