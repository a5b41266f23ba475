/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Renders a realized widget (a whole window) to a PNG, at the window's
 * scale factor, with the renderer the window draws with: what
 * `lightbox --screenshot FILE` writes for tests and documentation.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GdkTexture *lb_screenshot_render (GtkWidget *widget, GError **error);
gboolean lb_screenshot_save_png (GtkWidget *widget, const char *path, GError **error);

G_END_DECLS
