/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Lightbox application: its settings, the one model manager its
 * windows share, the colour scheme, application actions (quit, about,
 * preferences, new window, loading the configured or the demo model) and
 * every keyboard shortcut. Command line:
 *
 *   lightbox [FILE…]          open images (a folder opens as a study)
 *   lightbox --demo           the demo model and the bundled sample
 *   lightbox --screenshot F   render the window to F (PNG) once settled, and quit
 *            [--size WxH] [--color-scheme light|dark] [--generate] [--ask QUESTION]
 *            [--panel report|chat|details]
 */
#pragma once

#include <adwaita.h>

#include "app/lb-model-manager.h"

G_BEGIN_DECLS

#define LB_TYPE_APPLICATION (lb_application_get_type ())
G_DECLARE_FINAL_TYPE (LbApplication, lb_application, LB, APPLICATION, AdwApplication)

LbApplication *lb_application_new (GApplicationFlags flags);

GSettings *lb_application_get_settings (LbApplication *self);
LbModelManager *lb_application_get_models (LbApplication *self);

/* Loads the model pair named in the settings (nothing if none). */
void lb_application_load_model (LbApplication *self);
/* Writes the demo model once (cache folder) and loads it. */
void lb_application_load_demo_model (LbApplication *self);

/* 1 when a --screenshot run could not write its picture, else 0. */
int lb_application_get_exit_status (LbApplication *self);

/* The settings: the installed schema, else the one compiled in the build
 * folder (uninstalled runs). NULL with an error when neither exists. */
GSettings *lb_application_create_settings (GError **error);

G_END_DECLS
