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

  g_autoptr(LbApplication) app = lb_application_new (G_APPLICATION_DEFAULT_FLAGS);
  if (app == NULL)
    return 1;
  return g_application_run (G_APPLICATION (app), argc, argv);
}
