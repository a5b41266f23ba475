/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: the image in the middle (LbImageView, its toolbar, a
 * study's thumbnail strip), the side panel (Report, Chat, Details), the
 * header bar (Open, modality, Generate/Stop, the model's status) and the
 * model's welcome page. Every command is a "win." action with a shortcut.
 * Errors appear as toasts, or as a banner when they need an action.
 */
#pragma once

#include <adwaita.h>

#include "app/lb-box-overlay.h"
#include "app/lb-chat-panel.h"
#include "app/lb-details-panel.h"
#include "app/lb-document.h"
#include "app/lb-heatmap-overlay.h"
#include "app/lb-image-view.h"
#include "app/lb-model-manager.h"
#include "app/lb-model-page.h"
#include "app/lb-regions.h"
#include "app/lb-report-panel.h"

G_BEGIN_DECLS

#define LB_TYPE_WINDOW (lb_window_get_type ())
G_DECLARE_FINAL_TYPE (LbWindow, lb_window, LB, WINDOW, AdwApplicationWindow)

/* app is an LbApplication (its settings and model manager are shared). */
LbWindow *lb_window_new (GtkApplication *app);

/* Opens files: one image; one folder, as a study; several files, as a study. */
void lb_window_open_files (LbWindow *self, GFile **files, guint n_files);
void lb_window_open (LbWindow *self, GFile *file);

LbDocument *lb_window_get_document (LbWindow *self);
/* The model page ("model") or the viewer ("viewer"). */
void lb_window_show_page (LbWindow *self, const char *name);
const char *lb_window_get_page (LbWindow *self);

/* Shows an error the way it deserves (toast, banner, nothing if cancelled). */
void lb_window_show_error (LbWindow *self, const char *context, const GError *error);
void lb_window_show_toast (LbWindow *self, const char *text);

/* Nothing is loading, building, rendering or generating (screenshots). */
gboolean lb_window_get_settled (LbWindow *self);

/* For tests. */
LbImageView *lb_window_get_image_view (LbWindow *self);
LbReportPanel *lb_window_get_report_panel (LbWindow *self);
LbChatPanel *lb_window_get_chat_panel (LbWindow *self);
LbDetailsPanel *lb_window_get_details_panel (LbWindow *self);
LbModelPage *lb_window_get_model_page (LbWindow *self);
const char *lb_window_get_banner (LbWindow *self); /* NULL when hidden */
guint lb_window_get_study_size (LbWindow *self);
/* The image regions behind the answers and their overlays (issue 9). */
LbRegions *lb_window_get_regions (LbWindow *self);
GtkWidget *lb_window_get_regions_bar (LbWindow *self);
LbHeatmapOverlay *lb_window_get_heatmap_overlay (LbWindow *self);
LbBoxOverlay *lb_window_get_box_overlay (LbWindow *self);

G_END_DECLS
