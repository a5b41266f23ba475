/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "lb-test-gtk.h"

static void
skip_no_display (void)
{
  g_test_skip ("no display: run under xvfb-run (meson does when it is installed)");
}

/* GTK says so when there is no D-Bus session (Xvfb in CI): not a failure. */
static gboolean
ignore_session_bus (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  return !(message != NULL && strstr (message, "Unable to acquire session bus") != NULL);
}

gboolean
lb_test_gtk_init (int *argc, char ***argv, const char *no_display_path)
{
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_test_init (argc, argv, NULL);
  g_test_log_set_fatal_handler (ignore_session_bus, NULL);
  if (gtk_init_check ())
    return TRUE;
  g_test_add_func (no_display_path, skip_no_display);
  return FALSE;
}

LbApplication *
lb_test_gtk_new_application (GSettings **out_settings)
{
  LbApplication *app = lb_application_new (G_APPLICATION_NON_UNIQUE);
  g_assert_nonnull (app);
  GSettings *settings = lb_application_get_settings (app);
  g_settings_set_string (settings, "backend", "ref");
  g_settings_set_boolean (settings, "load-model-at-start", FALSE);
  g_settings_set_string (settings, "text-model-path", "");
  g_autoptr(GError) error = NULL;
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  if (out_settings != NULL)
    *out_settings = settings;
  return app;
}
