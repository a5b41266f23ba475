/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The start of every test program that needs a display (the app, the
 * overlays): run under xvfb-run by meson when it is installed, skipped
 * with the reason when there is no display at all.
 */
#pragma once

#include "app/lb-application.h"

G_BEGIN_DECLS

/* No accessibility bus (under Xvfb there is no D-Bus session, and GTK's
 * warning about it would be fatal with G_DEBUG=fatal-warnings), then
 * g_test_init and gtk_init_check. FALSE when there is no display: a test
 * at no_display_path that skips, saying why, was added, and main should
 * return g_test_run () at once. */
gboolean lb_test_gtk_init (int *argc, char ***argv, const char *no_display_path);

/* A registered application on the reference backend (tests never depend
 * on a GPU or on lavapipe's speed) that loads no model at start, and its
 * settings (owned by the application). */
LbApplication *lb_test_gtk_new_application (GSettings **out_settings);

G_END_DECLS
