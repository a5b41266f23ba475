/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox: the desktop app (see lb-application.h for the command line).
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "app/lb-application.h"

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Screenshots (tests, docs) render in software so that they come out the
   * same on every machine; a GL renderer on a virtual display may draw
   * nothing at all.
   *
   * They also keep their settings in memory: a screenshot shows the
   * defaults and the command line, not what this user saved (window size,
   * colour scheme, side panel), and saves nothing for the user either. It
   * also needs no session bus: dconf without one (xvfb-run, CI) cannot
   * store anything and puts back every value written, and the window,
   * whose size is bound to the settings, then never stops resizing.
   * GSETTINGS_BACKEND=dconf in the environment (say, to show the model
   * configured in the settings) is kept. */
  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], "--screenshot"))
      {
        g_setenv ("GSK_RENDERER", "cairo", FALSE);
        g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
      }

  g_autoptr(LbApplication) app = lb_application_new (G_APPLICATION_DEFAULT_FLAGS);
  if (app == NULL)
    return 1;
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : lb_application_get_exit_status (app);
}
