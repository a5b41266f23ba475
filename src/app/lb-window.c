/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbWindow itself: the class and its template, construction, banners,
 * toasts and errors, the model's status in the header bar, Generate/Stop,
 * the model page and the viewer, "settled", and the getters. The shown
 * document, the files and the actions are in lb-window-{document,files,
 * actions}.c around lb-window-private.h.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-application.h"
#include "app/lb-window-private.h"

G_DEFINE_FINAL_TYPE (LbWindow, lb_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- messages ------------------------------------------------------------------ */

void
lb_window_show_toast (LbWindow *self, const char *text)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  AdwToast *toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_banner (LbWindow *self, const char *text, gboolean warning, const char *button, BannerAction action)
{
  gtk_label_set_label (self->banner_label, text);
  if (warning)
    gtk_widget_add_css_class (GTK_WIDGET (self->banner_box), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->banner_box), "warning");
  self->banner_action = action;
  gtk_widget_set_visible (GTK_WIDGET (self->banner_button), button != NULL);
  if (button != NULL)
    gtk_button_set_label (self->banner_button, button);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

void
lb_window_hide_banner (LbWindow *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  self->banner_action = BANNER_ACTION_NONE;
}

static void
on_banner_button_clicked (LbWindow *self, GtkButton *button)
{
  BannerAction action = self->banner_action;
  lb_window_hide_banner (self);
  if (action == BANNER_ACTION_RELOAD_MODEL)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.load-model", NULL);
  else if (action == BANNER_ACTION_MODEL_PAGE)
    lb_window_show_page (self, "model");
}

void
lb_window_show_error (LbWindow *self, const char *context, const GError *error)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_autofree char *text = context != NULL ? g_strdup_printf ("%s: %s", context, error->message)
                                          : g_strdup (error->message);
  if (error->domain == LB_ENGINE_ERROR)
    switch (error->code)
      {
      case LB_ENGINE_ERROR_DEVICE_LOST:
        lb_model_manager_report_lost (self->models, error);
        show_banner (self, text, FALSE, _("_Reload the Model"), BANNER_ACTION_RELOAD_MODEL);
        return;
      case LB_ENGINE_ERROR_OUT_OF_MEMORY:
      case LB_ENGINE_ERROR_SELF_TEST:
      case LB_ENGINE_ERROR_NO_DEVICE:
        show_banner (self, text, FALSE, _("Choose Another _GPU…"), BANNER_ACTION_MODEL_PAGE);
        return;
      case LB_ENGINE_ERROR_CONTEXT_FULL:
        lb_window_show_toast (self, _("The conversation is full: start a new one"));
        return;
      default:
        break;
      }
  if (error->domain == LB_IMAGE_ERROR || error->domain == G_FILE_ERROR || error->domain == G_IO_ERROR)
    {
      /* A file that cannot be opened: the whole message, until dismissed. */
      show_banner (self, text, TRUE, NULL, BANNER_ACTION_NONE);
      return;
    }
  lb_window_show_toast (self, text);
}

static void
on_panel_error (GtkWidget *panel, GError *error, LbWindow *self)
{
  lb_window_show_error (self, NULL, error);
}

/* ---- the model's status in the header bar ----------------------------------------- */

static void
update_model_status (LbWindow *self)
{
  LbModelState state = lb_model_manager_get_state (self->models);
  const char *name = lb_model_manager_get_model_name (self->models);
  g_autofree char *label = NULL;
  g_autofree char *info = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->model_spinner), state == LB_MODEL_STATE_LOADING);
  gtk_spinner_set_spinning (self->model_spinner, state == LB_MODEL_STATE_LOADING);
  gtk_widget_set_visible (GTK_WIDGET (self->model_icon), state != LB_MODEL_STATE_LOADING);
  gtk_image_set_from_icon_name (self->model_icon, state == LB_MODEL_STATE_FAILED ? "dialog-warning-symbolic"
                                                                                 : "applications-science-symbolic");
  gtk_widget_set_visible (GTK_WIDGET (self->model_progress), state == LB_MODEL_STATE_LOADING);
  gtk_widget_set_visible (GTK_WIDGET (self->model_cancel_button), state == LB_MODEL_STATE_LOADING);

  switch (state)
    {
    case LB_MODEL_STATE_NONE:
      label = g_strdup (_("No Model"));
      info = g_strdup (_("No model is loaded. Reports and answers need MedGemma: set it up from the model page."));
      break;
    case LB_MODEL_STATE_LOADING:
      label = g_strdup_printf (_("Loading %.0f %%"), 100 * lb_model_manager_get_progress (self->models));
      info = g_strdup (lb_model_manager_get_status (self->models));
      gtk_progress_bar_set_fraction (self->model_progress, lb_model_manager_get_progress (self->models));
      break;
    case LB_MODEL_STATE_READY:
      label = g_strdup (lb_model_manager_get_is_test_model (self->models) ? _("Demo Model") : name);
      info = lb_model_manager_describe (self->models);
      break;
    case LB_MODEL_STATE_FAILED:
    default:
      label = g_strdup (_("Model Failed"));
      info = g_strdup (lb_model_manager_get_error (self->models) != NULL
                         ? lb_model_manager_get_error (self->models)->message
                         : lb_model_manager_get_status (self->models));
      break;
    }
  gtk_label_set_label (self->model_label, label);
  gtk_label_set_label (self->model_popover_title, state == LB_MODEL_STATE_READY ? name : label);
  gtk_label_set_label (self->model_info_label, info);
  if (lb_model_manager_get_is_test_model (self->models) && state == LB_MODEL_STATE_READY)
    gtk_widget_add_css_class (GTK_WIDGET (self->model_label), "demo-mark-inline");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->model_label), "demo-mark-inline");
  lb_window_update_generate (self);
}

static void
on_models_notify (LbModelManager *models, GParamSpec *pspec, LbWindow *self)
{
  update_model_status (self);
}

static void
on_models_state (LbModelManager *models, GParamSpec *pspec, LbWindow *self)
{
  LbModelState state = lb_model_manager_get_state (models);
  if (state == LB_MODEL_STATE_READY)
    {
      if (self->banner_action == BANNER_ACTION_RELOAD_MODEL || self->banner_action == BANNER_ACTION_MODEL_PAGE)
        lb_window_hide_banner (self);
      /* Loaded from the model page: back to the image. */
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "model") == 0)
        lb_window_show_page (self, "viewer");
    }
  else if (state == LB_MODEL_STATE_FAILED
           && g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "model") != 0)
    {
      const GError *error = lb_model_manager_get_error (models);
      if (error != NULL && !g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_DEVICE_LOST))
        {
          g_autofree char *text = g_strdup_printf (_("The model did not load: %s"), error->message);
          show_banner (self, text, FALSE, _("_Open the Model Page"), BANNER_ACTION_MODEL_PAGE);
        }
    }
}

/* ---- Generate / Stop ------------------------------------------------------------------ */

void
lb_window_update_generate (LbWindow *self)
{
  gboolean report_running = lb_report_panel_get_running (self->report_panel);
  gboolean chat_running = lb_chat_panel_get_running (self->chat_panel);
  gtk_stack_set_visible_child_name (self->generate_stack, report_running ? "stop" : "generate");
  GAction *generate = g_action_map_lookup_action (G_ACTION_MAP (self), "generate");
  GAction *stop = g_action_map_lookup_action (G_ACTION_MAP (self), "stop");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (generate), lb_report_panel_get_can_generate (self->report_panel));
  g_simple_action_set_enabled (G_SIMPLE_ACTION (stop), report_running || chat_running);
  gtk_widget_set_visible (GTK_WIDGET (self->generate_stack),
                          g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "viewer") == 0);
}

static void
on_panel_running (GObject *panel, GParamSpec *pspec, LbWindow *self)
{
  lb_window_update_generate (self);
}

/* ---- regions (LbRegions does the work) -------------------------------------------------- */

static void
on_regions_error (LbRegions *regions, GError *error, LbWindow *self)
{
  lb_window_show_error (self, _("Image regions"), error);
}

static void
on_regions_toast (LbRegions *regions, const char *text, LbWindow *self)
{
  lb_window_show_toast (self, text);
}

LbRegions *
lb_window_get_regions (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->regions;
}

GtkWidget *
lb_window_get_regions_bar (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->regions_bar);
}

LbHeatmapOverlay *
lb_window_get_heatmap_overlay (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return lb_regions_get_heatmap_overlay (self->regions);
}

LbBoxOverlay *
lb_window_get_box_overlay (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return lb_regions_get_box_overlay (self->regions);
}

/* ---- pages ---------------------------------------------------------------------------- */

void
lb_window_show_page (LbWindow *self, const char *name)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  gtk_stack_set_visible_child_name (self->main_stack, name);
  gboolean model = g_strcmp0 (name, "model") == 0;
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), model && self->document != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_button), !model);
  gtk_widget_set_visible (GTK_WIDGET (self->open_button), !model);
  gtk_widget_set_visible (GTK_WIDGET (self->modality_dropdown), !model);
  lb_window_update_generate (self);
}

const char *
lb_window_get_page (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* ---- settled ------------------------------------------------------------------------ */

gboolean
lb_window_get_settled (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), FALSE);

  if (self->loading_file != NULL || self->building_model_input || self->model_input_dirty)
    return FALSE;
  if (lb_model_manager_get_state (self->models) == LB_MODEL_STATE_LOADING)
    return FALSE;
  if (lb_report_panel_get_running (self->report_panel) || lb_chat_panel_get_running (self->chat_panel))
    return FALSE;
  if (lb_regions_get_occlusion_running (self->regions))
    return FALSE;
  if (self->document != NULL && !lb_image_view_get_show_model_input (self->image_view))
    {
      gboolean full;
      lb_image_view_get_texture_level (self->image_view, &full);
      if (!full)
        return FALSE;
    }
  return TRUE;
}

/* ---- tests ------------------------------------------------------------------------- */

LbImageView *
lb_window_get_image_view (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->image_view;
}

LbReportPanel *
lb_window_get_report_panel (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->report_panel;
}

LbChatPanel *
lb_window_get_chat_panel (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->chat_panel;
}

LbDetailsPanel *
lb_window_get_details_panel (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->details_panel;
}

LbModelPage *
lb_window_get_model_page (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->model_page;
}

const char *
lb_window_get_banner (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return gtk_revealer_get_reveal_child (self->banner_revealer) ? gtk_label_get_label (self->banner_label) : NULL;
}

guint
lb_window_get_study_size (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), 0);
  return self->study != NULL ? g_list_model_get_n_items (lb_study_get_items (self->study)) : 0;
}

/* ---- class ------------------------------------------------------------------------ */

static void
on_map (GtkWidget *widget, LbWindow *self)
{
  /* The side panel keeps its width; the image takes the rest. */
  if (!self->sidebar_width_applied)
    {
      int width = gtk_widget_get_width (widget);
      int sidebar = g_settings_get_int (self->settings, "sidebar-width");
      if (width <= 0)
        g_settings_get (self->settings, "window-width", "i", &width);
      gtk_paned_set_position (self->paned, MAX (320, width - sidebar));
      self->sidebar_width_applied = TRUE;
    }
}

static gboolean
lb_window_close_request (GtkWindow *window)
{
  LbWindow *self = LB_WINDOW (window);

  lb_report_panel_flush (self->report_panel);
  int width = gtk_widget_get_width (GTK_WIDGET (self->paned)) - gtk_paned_get_position (self->paned);
  if (gtk_widget_get_visible (self->sidebar) && width >= 280)
    g_settings_set_int (self->settings, "sidebar-width", MIN (width, 2000));
  return GTK_WINDOW_CLASS (lb_window_parent_class)->close_request (window);
}

static void
lb_window_dispose (GObject *object)
{
  LbWindow *self = LB_WINDOW (object);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->model_input_cancellable != NULL)
    g_cancellable_cancel (self->model_input_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_clear_object (&self->document);
  g_clear_object (&self->loading_file);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->model_input_cancellable);
  g_clear_object (&self->study_selection);
  g_clear_object (&self->study);
  g_clear_object (&self->regions);

  G_OBJECT_CLASS (lb_window_parent_class)->dispose (object);
}

static void
lb_window_finalize (GObject *object)
{
  LbWindow *self = LB_WINDOW (object);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lb_window_parent_class)->finalize (object);
}

static void
lb_window_class_init (LbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = lb_window_dispose;
  object_class->finalize = lb_window_finalize;
  window_class->close_request = lb_window_close_request;

  g_type_ensure (LB_TYPE_IMAGE_VIEW);
  g_type_ensure (LB_TYPE_REPORT_PANEL);
  g_type_ensure (LB_TYPE_CHAT_PANEL);
  g_type_ensure (LB_TYPE_DETAILS_PANEL);
  g_type_ensure (LB_TYPE_MODEL_PAGE);
  g_type_ensure (LB_TYPE_REGIONS_BAR);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, modality_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_spinner);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_icon);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, generate_stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, generate_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, banner_box);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, banner_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, image_toolbar);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, window_menu_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, image_stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, image_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, readout_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, view_info_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, view_mode_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, regions_bar);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, study_revealer);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, study_list);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, report_panel);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, chat_panel);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, details_panel);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_popover);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_popover_title);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_progress);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_info_label);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, model_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, open_samples_section);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, recent_section);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, samples_section);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_button_clicked);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_study_activate",
                                                G_CALLBACK (lb_window_on_study_activate));
}

static void
lb_window_init (LbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->regions = lb_regions_new (self->image_view);
  lb_regions_bar_set_regions (self->regions_bar, self->regions);
  g_signal_connect_object (self->regions, "error", G_CALLBACK (on_regions_error), self, 0);
  g_signal_connect_object (self->regions, "toast", G_CALLBACK (on_regions_toast), self, 0);
  lb_window_add_actions (self);
  lb_window_init_document (self);

  g_signal_connect (self->report_panel, "notify::running", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self->report_panel, "notify::can-generate", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self->report_panel, "error", G_CALLBACK (on_panel_error), self);
  g_signal_connect (self->chat_panel, "error", G_CALLBACK (on_panel_error), self);
  g_signal_connect (self->chat_panel, "notify::running", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);

  lb_window_init_files (self);
}

LbWindow *
lb_window_new (GtkApplication *app)
{
  g_return_val_if_fail (LB_IS_APPLICATION (app), NULL);

  LbWindow *self = g_object_new (LB_TYPE_WINDOW, "application", app, NULL);
  LbApplication *lb_app = LB_APPLICATION (app);
  self->settings = g_object_ref (lb_application_get_settings (lb_app));
  self->models = g_object_ref (lb_application_get_models (lb_app));

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "sidebar-visible", self->sidebar, "visible", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "sidebar-page", self->side_stack, "visible-child-name", G_SETTINGS_BIND_DEFAULT);
  g_autoptr(GAction) sidebar = g_settings_create_action (self->settings, "sidebar-visible");
  g_action_map_add_action (G_ACTION_MAP (self), sidebar);
  g_autoptr(GAction) page = g_settings_create_action (self->settings, "sidebar-page");
  g_action_map_add_action (G_ACTION_MAP (self), page);

  lb_report_panel_setup (self->report_panel, self->settings, self->models);
  lb_chat_panel_setup (self->chat_panel, self->settings, self->models);
  lb_details_panel_setup (self->details_panel, self->settings);
  lb_model_page_setup (self->model_page, self->settings, self->models);
  lb_regions_setup (self->regions, self->settings, self->models, self->report_panel, self->chat_panel,
                    G_ACTION_MAP (self));

  g_signal_connect_object (self->models, "notify::state", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::state", G_CALLBACK (on_models_state), self, 0);
  g_signal_connect_object (self->models, "notify::progress", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::status", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::is-test-model", G_CALLBACK (on_models_notify), self, 0);

  lb_window_fill_recent (self);
  update_model_status (self);
  lb_window_set_document (self, NULL);

  /* No model set up and none loading: start on the welcome page. */
  g_autofree char *text_path = g_settings_get_string (self->settings, "text-model-path");
  if (*text_path == '\0' && lb_model_manager_get_state (self->models) == LB_MODEL_STATE_NONE)
    lb_window_show_page (self, "model");
  else
    lb_window_show_page (self, "viewer");
  return self;
}
