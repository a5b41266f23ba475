/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Preferences: style (light, dark, the system's), the pixel readout, how
 * long reports and answers may be, greedy or sampled chat answers, hiding
 * identifying values, autosave, and loading the model at start. Every row
 * is bound to a GSettings key.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_PREFERENCES_WINDOW (lb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (LbPreferencesWindow, lb_preferences_window, LB, PREFERENCES_WINDOW, AdwPreferencesWindow)

LbPreferencesWindow *lb_preferences_window_new (GtkWindow *parent, GSettings *settings);

G_END_DECLS
