/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Details page of the side panel: what the image is (format, size,
 * depth, photometric interpretation, windows, pixel spacing, frames) and
 * its tags, with patient-identifying tags marked and their values hidden
 * unless the user asks (the hide-identifying setting).
 */
#pragma once

#include <adwaita.h>

#include "app/lb-document.h"

G_BEGIN_DECLS

#define LB_TYPE_DETAILS_PANEL (lb_details_panel_get_type ())
G_DECLARE_FINAL_TYPE (LbDetailsPanel, lb_details_panel, LB, DETAILS_PANEL, AdwBin)

void lb_details_panel_setup (LbDetailsPanel *self, GSettings *settings);
void lb_details_panel_set_document (LbDetailsPanel *self, LbDocument *document);

/* For tests: rows shown, identifying rows, and the text of a tag's value
 * as shown (hidden values read "Hidden"). */
guint lb_details_panel_get_n_tags (LbDetailsPanel *self);
guint lb_details_panel_get_n_identifying (LbDetailsPanel *self);
const char *lb_details_panel_get_shown_value (LbDetailsPanel *self, const char *name);

G_END_DECLS
