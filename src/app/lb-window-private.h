/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of LbWindow share; nothing else includes this:
 *   lb-window.c           the class, banners, toasts and errors, the model's
 *                         status, Generate/Stop, pages, the public getters
 *   lb-window-document.c  the shown document: title, view labels, window
 *                         menu, which actions apply, what the model sees
 *   lb-window-files.c     opening files, folders, recent files and samples,
 *                         the study strip, drag and drop, loading documents
 *   lb-window-actions.c   the "win." actions and their handlers
 * (the image regions behind the answers are LbRegions, lb-regions*.c).
 */
#pragma once

#include "app/lb-regions-bar.h"
#include "app/lb-study.h"
#include "app/lb-window.h"

G_BEGIN_DECLS

typedef enum {
  BANNER_ACTION_NONE,
  BANNER_ACTION_RELOAD_MODEL,
  BANNER_ACTION_MODEL_PAGE,
} BannerAction;

struct _LbWindow
{
  AdwApplicationWindow parent_instance;

  /* Template children. */
  AdwToastOverlay *toast_overlay;
  GtkButton *back_button;
  AdwSplitButton *open_button;
  GtkDropDown *modality_dropdown;
  AdwWindowTitle *window_title;
  GtkToggleButton *sidebar_button;
  GtkMenuButton *model_button;
  GtkSpinner *model_spinner;
  GtkImage *model_icon;
  GtkLabel *model_label;
  GtkStack *generate_stack;
  GtkButton *generate_button;
  GtkRevealer *banner_revealer;
  GtkBox *banner_box;
  GtkLabel *banner_label;
  GtkButton *banner_button;
  GtkStack *main_stack;
  GtkPaned *paned;
  GtkWidget *image_toolbar;
  GtkLabel *zoom_label;
  GtkMenuButton *window_menu_button;
  GtkStack *image_stack;
  GtkSpinner *loading_spinner;
  LbImageView *image_view;
  GtkLabel *readout_label;
  GtkLabel *view_info_label;
  GtkLabel *view_mode_label;
  LbRegionsBar *regions_bar;
  GtkRevealer *study_revealer;
  GtkListView *study_list;
  GtkWidget *sidebar;
  AdwViewStack *side_stack;
  LbReportPanel *report_panel;
  LbChatPanel *chat_panel;
  LbDetailsPanel *details_panel;
  LbModelPage *model_page;
  GtkPopover *model_popover;
  GtkLabel *model_popover_title;
  GtkProgressBar *model_progress;
  GtkLabel *model_info_label;
  GtkButton *model_cancel_button;
  GMenu *open_samples_section;
  GMenu *recent_section;
  GMenu *samples_section;

  GSettings *settings;
  LbModelManager *models;

  LbDocument *document;
  GFile *loading_file;
  GCancellable *load_cancellable;
  LbStudy *study;
  GtkSingleSelection *study_selection;
  GtkFileChooserNative *chooser;

  /* "What the model sees". */
  GCancellable *model_input_cancellable;
  gboolean model_input_dirty;
  gboolean building_model_input;

  BannerAction banner_action;
  gboolean sidebar_width_applied;

  /* The image regions behind the answers (issue 9). */
  LbRegions *regions;
};

/* lb-window.c: hides the banner; Generate/Stop follow the panels and the page. */
void lb_window_hide_banner (LbWindow *self);
void lb_window_update_generate (LbWindow *self);

/* lb-window-document.c. set_document shows a document (or none) in the
 * image view and the panels; init_document is part of lb_window_init (). */
void lb_window_set_document (LbWindow *self, LbDocument *document);
void lb_window_set_state_boolean (LbWindow *self, const char *name, gboolean value);
gboolean lb_window_model_input_shown (LbWindow *self);
void lb_window_build_model_input (LbWindow *self);
void lb_window_update_view_info (LbWindow *self);
void lb_window_update_view_mode_label (LbWindow *self);
void lb_window_init_document (LbWindow *self);

/* lb-window-files.c. on_study_activate is the template's "on_study_activate";
 * init_files is part of lb_window_init (). */
void lb_window_fill_recent (LbWindow *self);
void lb_window_set_study (LbWindow *self, LbStudy *study);
void lb_window_step_image (LbWindow *self, int step);
void lb_window_show_chooser (LbWindow *self, gboolean folder);
void lb_window_on_study_activate (LbWindow *self, guint position, GtkListView *list);
void lb_window_init_files (LbWindow *self);

/* lb-window-actions.c: part of lb_window_init (). */
void lb_window_add_actions (LbWindow *self);

G_END_DECLS
