/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-application.h"
#include "app/lb-box-overlay.h"
#include "app/lb-demo.h"
#include "app/lb-heatmap-overlay.h"
#include "app/lb-study.h"
#include "app/lb-window.h"
#include "imaging/slide.h"
#include "regions/attention-map.h"
#include "regions/boxes.h"

#define MAX_RECENT 8

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

  /* Regions (issue 9): the attention heat map and the model's boxes of
   * the answer streamed last, and what they are built from. */
  LbHeatmapOverlay *heatmap_overlay;
  LbBoxOverlay *box_overlay;
  GtkWidget *opacity_scale;
  gboolean overlays_added;
  LbGeneration *region_generation;
  LbAttentionTrace *attention_trace;
};

G_DEFINE_FINAL_TYPE (LbWindow, lb_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_document_actions (LbWindow *self);
static void update_generate (LbWindow *self);
static void track_generation (LbWindow *self, LbGeneration *generation);

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

static void
hide_banner (LbWindow *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  self->banner_action = BANNER_ACTION_NONE;
}

static void
on_banner_button_clicked (LbWindow *self, GtkButton *button)
{
  BannerAction action = self->banner_action;
  hide_banner (self);
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
  update_generate (self);
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
        hide_banner (self);
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

static void
update_generate (LbWindow *self)
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
  /* A new answer has started: its regions replace the last one's. */
  LbGeneration *generation = NULL;
  if (LB_IS_REPORT_PANEL (panel))
    generation = lb_report_panel_get_generation (LB_REPORT_PANEL (panel));
  else if (LB_IS_CHAT_PANEL (panel))
    generation = lb_chat_panel_get_generation (LB_CHAT_PANEL (panel));
  if (generation != NULL && generation != self->region_generation && lb_generation_get_running (generation))
    track_generation (self, generation);
  update_generate (self);
}

/* ---- regions -------------------------------------------------------------------------- */

static gboolean
get_state_boolean (LbWindow *self, const char *name)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_autoptr(GVariant) state = g_action_get_state (action);
  return g_variant_get_boolean (state);
}

/* The overlays are drawn over the image, not over "What the model sees";
 * the heat map only while "Show Attention" is on. */
static void
update_overlays (LbWindow *self)
{
  LbImageOverlay *heatmap = LB_IMAGE_OVERLAY (self->heatmap_overlay);
  LbImageOverlay *boxes = LB_IMAGE_OVERLAY (self->box_overlay);
  if (self->overlays_added)
    {
      lb_image_view_remove_overlay (self->image_view, heatmap);
      lb_image_view_remove_overlay (self->image_view, boxes);
      self->overlays_added = FALSE;
    }
  if (lb_image_view_get_show_model_input (self->image_view))
    return;
  /* The heat map first, so that the boxes are drawn on top. */
  if (get_state_boolean (self, "show-attention"))
    lb_image_view_add_overlay (self->image_view, heatmap);
  lb_image_view_add_overlay (self->image_view, boxes);
  self->overlays_added = TRUE;
}

static void
untrack_generation (LbWindow *self)
{
  if (self->region_generation != NULL)
    g_signal_handlers_disconnect_by_data (self->region_generation, self);
  g_clear_object (&self->region_generation);
  g_clear_pointer (&self->attention_trace, lb_attention_trace_free);
}

static void
clear_regions (LbWindow *self)
{
  untrack_generation (self);
  lb_heatmap_overlay_set_map (self->heatmap_overlay, NULL, NULL, NULL);
  lb_box_overlay_set_boxes (self->box_overlay, NULL, NULL);
}

static void
on_region_token_batch (LbGeneration *generation, gpointer batch, LbWindow *self)
{
  if (self->attention_trace == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (!lb_attention_trace_add_batch (self->attention_trace, batch, &error))
    {
      g_debug ("Attention trace: %s", error->message);
      g_clear_pointer (&self->attention_trace, lb_attention_trace_free);
    }
}

static void
on_region_text_appended (LbGeneration *generation, const char *text, LbWindow *self)
{
  const LbModelInput *input = lb_generation_get_model_input (generation);
  if (input == NULL)
    return;
  g_autoptr(LbBoxList) list = lb_boxes_parse (lb_generation_get_text (generation), -1);
  lb_box_overlay_set_boxes (self->box_overlay, list, input);
}

static void
on_region_finished (LbGeneration *generation, LbWindow *self)
{
  const LbModelInput *input = lb_generation_get_model_input (generation);
  if (input != NULL && self->attention_trace != NULL && lb_generation_get_error (generation) == NULL)
    {
      g_autoptr(GError) error = NULL;
      LbRegionMap *map = lb_attention_trace_map_answer (self->attention_trace, &error);
      if (map != NULL)
        {
          lb_heatmap_overlay_set_map (self->heatmap_overlay, map, input, _("Attention, whole answer"));
          lb_region_map_free (map);
        }
      else
        g_debug ("No attention map: %s", error->message);
    }
  g_clear_pointer (&self->attention_trace, lb_attention_trace_free);
}

static void
track_generation (LbWindow *self, LbGeneration *generation)
{
  clear_regions (self);
  self->region_generation = g_object_ref (generation);
  self->attention_trace = lb_attention_trace_new ();
  g_signal_connect (generation, "token-batch", G_CALLBACK (on_region_token_batch), self);
  g_signal_connect (generation, "text-appended", G_CALLBACK (on_region_text_appended), self);
  g_signal_connect (generation, "finished", G_CALLBACK (on_region_finished), self);
}

static void
show_attention_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gboolean show = g_variant_get_boolean (state);
  g_simple_action_set_state (action, state);
  /* New answers capture attention while the heat map is shown. */
  lb_report_panel_set_capture_attention (self->report_panel, show);
  lb_chat_panel_set_capture_attention (self->chat_panel, show);
  if (self->opacity_scale != NULL)
    gtk_widget_set_visible (self->opacity_scale, show);
  update_overlays (self);
}

LbHeatmapOverlay *
lb_window_get_heatmap_overlay (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->heatmap_overlay;
}

LbBoxOverlay *
lb_window_get_box_overlay (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->box_overlay;
}

/* ---- what the model sees ------------------------------------------------------------- */

static gboolean
model_input_shown (LbWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-model-input");
  g_autoptr(GVariant) state = g_action_get_state (action);
  return g_variant_get_boolean (state);
}

static void build_model_input (LbWindow *self);

static void
on_model_input_built (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbModelInput) input = lb_document_build_model_input_finish (LB_DOCUMENT (source), result, &error);

  self->building_model_input = FALSE;
  if (LB_DOCUMENT (source) != self->document)
    return;
  if (input == NULL)
    {
      lb_window_show_error (self, _("What the model sees"), error);
      return;
    }
  lb_image_view_set_model_input (self->image_view, input);
  if (self->model_input_dirty)
    build_model_input (self);
}

static void
build_model_input (LbWindow *self)
{
  if (self->document == NULL)
    return;
  if (self->building_model_input)
    {
      self->model_input_dirty = TRUE;
      return;
    }
  guint size = lb_model_manager_get_image_size (self->models);
  if (size == 0)
    size = LB_MODEL_INPUT_DEFAULT_SIZE;
  self->model_input_dirty = FALSE;
  self->building_model_input = TRUE;
  g_clear_object (&self->model_input_cancellable);
  self->model_input_cancellable = g_cancellable_new ();
  lb_document_build_model_input_async (self->document, size, NULL, self->model_input_cancellable,
                                       on_model_input_built, g_object_ref (self));
}

static void
update_view_mode_label (LbWindow *self)
{
  g_autofree char *text = NULL;
  if (lb_image_view_get_region_mode (self->image_view))
    text = g_strdup (_("Drag a rectangle around the region to ask about. It goes to the model at full resolution."));
  else if (lb_image_view_get_show_model_input (self->image_view) && self->document != NULL)
    {
      guint size = lb_model_manager_get_image_size (self->models);
      if (size == 0)
        size = LB_MODEL_INPUT_DEFAULT_SIZE;
      text = g_strdup_printf (lb_document_get_separate_model_window (self->document)
                                ? _("What the model sees: %u × %u px, with its own window (right-drag to change it), padded to a square")
                                : _("What the model sees: %u × %u px, the same window/level, padded to a square with black"),
                              size, size);
    }
  gtk_label_set_label (self->view_mode_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->view_mode_label), text != NULL);
}

/* ---- the document ------------------------------------------------------------------- */

static void
update_view_info (LbWindow *self)
{
  if (self->document == NULL)
    return;
  double zoom = lb_image_view_get_zoom (self->image_view) * gtk_widget_get_scale_factor (GTK_WIDGET (self));
  /* Percent of full resolution (a whole slide is shown from its overview). */
  g_autofree char *zoom_text = g_strdup_printf ("%.0f %%", 100 * zoom / lb_document_get_slide_scale (self->document));
  gtk_label_set_label (self->zoom_label, zoom_text);

  double center, width;
  if (lb_image_view_get_show_model_input (self->image_view))
    lb_document_get_model_window (self->document, &center, &width);
  else
    {
      const LbDisplayParams *display = lb_document_get_display (self->document);
      center = display->window_center;
      width = display->window_width;
    }
  g_autofree char *info = g_strdup_printf (_("W %.0f  L %.0f"), width, center);
  gtk_label_set_label (self->view_info_label, info);
}

static void
on_display_changed (LbDocument *document, guint change, LbWindow *self)
{
  update_view_info (self);
  update_document_actions (self);
  if ((change & LB_DOCUMENT_CHANGE_MODEL) && model_input_shown (self))
    build_model_input (self);
  update_view_mode_label (self);
}

static void
on_zoom_changed (LbImageView *view, GParamSpec *pspec, LbWindow *self)
{
  update_view_info (self);
}

static void
on_readout_changed (LbImageView *view, GParamSpec *pspec, LbWindow *self)
{
  const char *readout = lb_image_view_get_readout (view);
  gboolean show = *readout != '\0' && g_settings_get_boolean (self->settings, "show-readout");
  gtk_label_set_label (self->readout_label, readout);
  gtk_widget_set_visible (GTK_WIDGET (self->readout_label), show);
}

static void
fill_window_menu (LbWindow *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) presets = g_menu_new ();
  if (self->document != NULL)
    {
      GArray *list = lb_document_get_presets (self->document);
      for (guint i = 0; list != NULL && i < list->len; i++)
        {
          const LbDisplayPreset *preset = &g_array_index (list, LbDisplayPreset, i);
          g_autofree char *label = g_strdup_printf (_("%s  (W %.0f, L %.0f)"), preset->name, preset->width, preset->center);
          g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);
          g_menu_item_set_action_and_target_value (item, "win.window-preset", g_variant_new_int32 ((int) i));
          g_menu_append_item (presets, item);
        }
    }
  g_menu_append_section (menu, _("Presets"), G_MENU_MODEL (presets));
  g_autoptr(GMenu) other = g_menu_new ();
  g_menu_append (other, _("_Reset the View"), "win.reset-view");
  g_menu_append (other, _("The Model Uses Its _Own Window"), "win.separate-model-window");
  g_menu_append (other, _("Show _Attention Map"), "win.show-attention");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (other));
  gtk_menu_button_set_menu_model (self->window_menu_button, G_MENU_MODEL (menu));
}

static void
update_title (LbWindow *self)
{
  if (self->document == NULL)
    {
      adw_window_title_set_title (self->window_title, _("Lightbox"));
      adw_window_title_set_subtitle (self->window_title, "");
      gtk_window_set_title (GTK_WINDOW (self), _("Lightbox"));
      return;
    }
  const LbImage *image = lb_document_get_image (self->document);
  const LbImageMetadata *m = &image->metadata;
  gint64 w, h;
  lb_document_get_full_size (self->document, &w, &h);
  guint bits = m->bits_used != 0 ? m->bits_used : image->bits_stored;
  g_autofree char *subtitle = g_strdup_printf (_("%s%s%s · %lld × %lld · %u-bit %s"),
                                               m->modality != NULL ? m->modality : "",
                                               m->modality != NULL ? " · " : "",
                                               lb_image_format_name (m->format), (long long) w, (long long) h, bits,
                                               image->channels == 3 ? _("colour") : _("gray"));
  adw_window_title_set_title (self->window_title, lb_document_get_title (self->document));
  adw_window_title_set_subtitle (self->window_title, subtitle);
  g_autofree char *title = g_strdup_printf (_("%s — Lightbox"), lb_document_get_title (self->document));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
update_document_actions (LbWindow *self)
{
  static const char *const actions[] = {
    "zoom-in", "zoom-out", "zoom-fit", "zoom-actual", "rotate-left", "rotate-right", "flip-horizontal",
    "flip-vertical", "invert", "window-preset", "reset-view", "show-model-input", "ask-region",
    "close-image", "separate-model-window", "copy-report",
  };
  gboolean has = self->document != NULL;
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), actions[i]);
      g_simple_action_set_enabled (G_SIMPLE_ACTION (action), has);
    }
  gtk_widget_set_sensitive (self->image_toolbar, has);
  gtk_widget_set_sensitive (GTK_WIDGET (self->modality_dropdown), has);
  if (has)
    {
      GAction *invert = g_action_map_lookup_action (G_ACTION_MAP (self), "invert");
      g_simple_action_set_state (G_SIMPLE_ACTION (invert), g_variant_new_boolean (lb_document_get_invert (self->document)));
      GAction *separate = g_action_map_lookup_action (G_ACTION_MAP (self), "separate-model-window");
      g_simple_action_set_state (G_SIMPLE_ACTION (separate),
                                 g_variant_new_boolean (lb_document_get_separate_model_window (self->document)));
    }
  guint n = self->study != NULL ? g_list_model_get_n_items (lb_study_get_items (self->study)) : 0;
  int position = self->study != NULL && self->document != NULL
                   ? lb_study_find (self->study, lb_document_get_file (self->document)) : -1;
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "previous-image")),
                               position > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "next-image")),
                               position >= 0 && (guint) position + 1 < n);
}

static void
on_modality_changed (LbDocument *document, GParamSpec *pspec, LbWindow *self)
{
  gtk_drop_down_set_selected (self->modality_dropdown, lb_document_get_modality (document));
}

static void
on_modality_selected (GtkDropDown *dropdown, GParamSpec *pspec, LbWindow *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);
  if (self->document != NULL && selected < LB_N_MODALITIES)
    lb_document_set_modality (self->document, selected);
}

static void
set_state_boolean (LbWindow *self, const char *name, gboolean value)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (value));
}

static void
set_document (LbWindow *self, LbDocument *document)
{
  if (self->document != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->document, self);
      lb_report_panel_flush (self->report_panel);
    }
  g_set_object (&self->document, document);
  if (self->model_input_cancellable != NULL)
    g_cancellable_cancel (self->model_input_cancellable);
  self->building_model_input = FALSE;
  set_state_boolean (self, "show-model-input", FALSE);
  set_state_boolean (self, "ask-region", FALSE);
  lb_image_view_set_show_model_input (self->image_view, FALSE);
  lb_image_view_set_region_mode (self->image_view, FALSE);
  clear_regions (self);
  update_overlays (self);

  lb_image_view_set_document (self->image_view, document);
  lb_report_panel_set_document (self->report_panel, document);
  lb_chat_panel_set_document (self->chat_panel, document);
  lb_details_panel_set_document (self->details_panel, document);
  lb_model_page_set_has_image (self->model_page, document != NULL);

  if (document != NULL)
    {
      g_signal_connect (document, "display-changed", G_CALLBACK (on_display_changed), self);
      g_signal_connect (document, "notify::modality", G_CALLBACK (on_modality_changed), self);
      gtk_drop_down_set_selected (self->modality_dropdown, lb_document_get_modality (document));
      gtk_stack_set_visible_child_name (self->image_stack, "image");
      gtk_widget_grab_focus (GTK_WIDGET (self->image_view));
    }
  else
    gtk_stack_set_visible_child_name (self->image_stack, "empty");
  fill_window_menu (self);
  update_title (self);
  update_view_info (self);
  update_view_mode_label (self);
  update_document_actions (self);
  update_generate (self);
}

LbDocument *
lb_window_get_document (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->document;
}

/* ---- recent files ------------------------------------------------------------------ */

/* Most recently used first. */
static int
compare_recent (gconstpointer a, gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *tb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);
  return g_date_time_compare (tb, ta);
}

static void
fill_recent (LbWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  const char *app = g_get_application_name ();
  guint n = 0;

  g_menu_remove_all (self->recent_section);
  items = g_list_sort (items, compare_recent);
  for (GList *l = items; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      if (app == NULL || !gtk_recent_info_has_application (info, app) || !gtk_recent_info_exists (info))
        continue;
      g_autoptr(GMenuItem) item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (gtk_recent_info_get_uri (info)));
      g_menu_append_item (self->recent_section, item);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

static void
add_recent (LbWindow *self, GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) "application/octet-stream",
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "lightbox %u",
  };
  if (data.app_name != NULL)
    gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

/* ---- opening ------------------------------------------------------------------------ */

static void
on_document_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbDocument) document = lb_document_load_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_set_spinning (self->loading_spinner, FALSE);
  g_autoptr(GFile) file = g_steal_pointer (&self->loading_file);
  if (document == NULL)
    {
      g_autofree char *name = file != NULL ? g_file_get_basename (file) : g_strdup ("");
      g_autofree char *context = g_strdup_printf (_("Cannot open %s"), name);
      gtk_stack_set_visible_child_name (self->image_stack, self->document != NULL ? "image" : "empty");
      lb_window_show_error (self, context, error);
      return;
    }
  if (self->banner_action == BANNER_ACTION_NONE)
    hide_banner (self);
  add_recent (self, file);
  fill_recent (self);
  set_document (self, document);
  lb_window_show_page (self, "viewer");
}

static void
load_document (LbWindow *self, GFile *file)
{
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  g_set_object (&self->loading_file, file);
  gtk_stack_set_visible_child_name (self->image_stack, "loading");
  gtk_spinner_set_spinning (self->loading_spinner, TRUE);
  lb_document_load_async (file, self->load_cancellable, on_document_loaded, g_object_ref (self));
}

static void
on_thumbnail_changed (LbStudyItem *item, GParamSpec *pspec, GtkListItem *list_item)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkPicture *picture = GTK_PICTURE (gtk_widget_get_first_child (box));
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (lb_study_item_get_thumbnail (item)));
}

static void
study_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (box, "study-thumbnail");
  GtkWidget *picture = gtk_picture_new ();
  gtk_widget_set_size_request (picture, 96, 80);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 14);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (list_item, box);
}

static void
study_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  LbStudyItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *label = gtk_widget_get_last_child (box);
  gtk_label_set_label (GTK_LABEL (label), lb_study_item_get_name (item));
  gtk_widget_set_tooltip_text (box, lb_study_item_get_name (item));
  on_thumbnail_changed (item, NULL, list_item);
  g_signal_connect_object (item, "notify::thumbnail", G_CALLBACK (on_thumbnail_changed), list_item, 0);
  if (self->study != NULL)
    lb_study_request_thumbnail (self->study, item);
}

static void
study_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  LbStudyItem *item = gtk_list_item_get_item (list_item);
  g_signal_handlers_disconnect_by_func (item, on_thumbnail_changed, list_item);
}

static void
set_study (LbWindow *self, LbStudy *study)
{
  g_set_object (&self->study, study);
  GListModel *items = study != NULL ? g_object_ref (lb_study_get_items (study)) : NULL;
  GtkSingleSelection *selection = gtk_single_selection_new (items);
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  g_set_object (&self->study_selection, selection);
  g_object_unref (selection);
  gtk_list_view_set_model (self->study_list, GTK_SELECTION_MODEL (self->study_selection));
  gtk_revealer_set_reveal_child (self->study_revealer,
                                 study != NULL && g_list_model_get_n_items (lb_study_get_items (study)) > 1);
}

static void
open_study_item (LbWindow *self, guint position)
{
  if (self->study == NULL || position >= g_list_model_get_n_items (lb_study_get_items (self->study)))
    return;
  g_autoptr(LbStudyItem) item = g_list_model_get_item (lb_study_get_items (self->study), position);
  gtk_single_selection_set_selected (self->study_selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self->study_list), "list.scroll-to-item", "u", position);
  load_document (self, lb_study_item_get_file (item));
}

static void
on_study_activate (LbWindow *self, guint position, GtkListView *list)
{
  open_study_item (self, position);
}

static void
on_study_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbStudy) study = lb_study_load_finish (result, &error);

  if (study == NULL)
    {
      lb_window_show_error (self, _("Cannot open the folder"), error);
      return;
    }
  set_study (self, study);
  open_study_item (self, 0);
}

void
lb_window_open (LbWindow *self, GFile *file)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  lb_window_open_files (self, &file, 1);
}

void
lb_window_open_files (LbWindow *self, GFile **files, guint n_files)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  if (n_files == 0)
    return;

  if (n_files > 1)
    {
      g_autoptr(LbStudy) study = lb_study_new_for_files (files, n_files);
      set_study (self, study);
      open_study_item (self, 0);
      return;
    }
  GFileType type = g_file_query_file_type (files[0], G_FILE_QUERY_INFO_NONE, NULL);
  if (type == G_FILE_TYPE_DIRECTORY)
    {
      g_autofree char *path = g_file_get_path (files[0]);
      /* Some whole-slide formats are folders (MIRAX has a folder beside its file). */
      if (path == NULL || lb_slide_detect (path) == NULL)
        {
          lb_study_load_async (files[0], NULL, on_study_loaded, g_object_ref (self));
          return;
        }
    }
  /* A file outside the open study closes it. */
  if (self->study != NULL && lb_study_find (self->study, files[0]) < 0)
    set_study (self, NULL);
  else if (self->study != NULL)
    gtk_single_selection_set_selected (self->study_selection, (guint) lb_study_find (self->study, files[0]));
  load_document (self, files[0]);
}

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  LbWindow *self = user_data;
  gboolean folder = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      guint n = g_list_model_get_n_items (files);
      g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (array, g_list_model_get_item (files, i));
      if (folder && n == 1)
        lb_study_load_async (g_ptr_array_index (array, 0), NULL, on_study_loaded, g_object_ref (self));
      else
        lb_window_open_files (self, (GFile **) array->pdata, array->len);
    }
  g_clear_object (&self->chooser);
}

static void
show_chooser (LbWindow *self, gboolean folder)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (folder ? _("Open a Folder as a Study") : _("Open Images"),
                                               GTK_WINDOW (self),
                                               folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                      : GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (!folder)
    {
      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
      g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
      gtk_file_filter_set_name (images, _("Medical images (DICOM, PNG, JPEG, TIFF, slides)"));
      static const char *const patterns[] = {
        "*.dcm", "*.DCM", "*.dicom", "*.png", "*.PNG", "*.jpg", "*.JPG", "*.jpeg", "*.JPEG", "*.tif",
        "*.TIF", "*.tiff", "*.TIFF", "*.svs", "*.ndpi", "*.mrxs", "*.scn", "*.bif", "*.vms",
      };
      for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
        gtk_file_filter_add_pattern (images, patterns[i]);
      gtk_file_filter_add_mime_type (images, "application/dicom");
      gtk_file_filter_add_mime_type (images, "image/png");
      gtk_file_filter_add_mime_type (images, "image/jpeg");
      gtk_file_filter_add_mime_type (images, "image/tiff");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), images);
      /* DICOM files often have no extension at all. */
      g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- drag and drop ------------------------------------------------------------------ */

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, LbWindow *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  GSList *list = g_value_get_boxed (value);
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  if (files->len == 0)
    return FALSE;
  lb_window_open_files (self, (GFile **) files->pdata, files->len);
  return TRUE;
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
  update_generate (self);
}

const char *
lb_window_get_page (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* ---- actions -------------------------------------------------------------------------- */

static void
open_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_chooser (LB_WINDOW (user_data), FALSE);
}

static void
open_folder_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_chooser (LB_WINDOW (user_data), TRUE);
}

static void
open_recent_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (parameter, NULL));
  lb_window_open (LB_WINDOW (user_data), file);
}

static void
open_sample_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));
  lb_window_open (LB_WINDOW (user_data), file);
}

static void
close_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  set_study (self, NULL);
  set_document (self, NULL);
}

static void
show_viewer_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_show_page (LB_WINDOW (user_data), "viewer");
}

static void
show_model_page_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gtk_popover_popdown (self->model_popover);
  lb_window_show_page (self, "model");
}

static void
zoom_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  const char *name = g_action_get_name (G_ACTION (action));
  if (g_str_equal (name, "zoom-in"))
    lb_image_view_zoom_in (self->image_view);
  else if (g_str_equal (name, "zoom-out"))
    lb_image_view_zoom_out (self->image_view);
  else if (g_str_equal (name, "zoom-fit"))
    lb_image_view_set_fit (self->image_view, TRUE);
  else
    lb_image_view_set_zoom (self->image_view, 1.0 / gtk_widget_get_scale_factor (GTK_WIDGET (self)));
}

static void
rotate_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  if (self->document != NULL)
    lb_document_rotate (self->document, g_str_equal (g_action_get_name (G_ACTION (action)), "rotate-left") ? -1 : 1);
}

static void
flip_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  if (self->document != NULL)
    lb_document_flip (self->document, g_str_equal (g_action_get_name (G_ACTION (action)), "flip-horizontal"));
}

static void
invert_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  g_simple_action_set_state (action, state);
  if (self->document != NULL)
    lb_document_set_invert (self->document, g_variant_get_boolean (state));
}

static void
window_preset_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  if (self->document == NULL)
    return;
  GArray *presets = lb_document_get_presets (self->document);
  int i = g_variant_get_int32 (parameter);
  if (presets == NULL || i < 0 || (guint) i >= presets->len)
    return;
  const LbDisplayPreset *preset = &g_array_index (presets, LbDisplayPreset, i);
  if (lb_image_view_get_show_model_input (self->image_view))
    lb_document_set_model_window (self->document, preset->center, preset->width);
  else
    lb_document_set_window (self->document, preset->center, preset->width);
}

static void
reset_view_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  if (self->document == NULL)
    return;
  lb_document_reset_display (self->document);
  lb_image_view_set_fit (self->image_view, TRUE);
}

static void
separate_model_window_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  g_simple_action_set_state (action, state);
  if (self->document != NULL)
    lb_document_set_separate_model_window (self->document, g_variant_get_boolean (state));
  update_view_mode_label (self);
}

static void
show_model_input_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gboolean show = g_variant_get_boolean (state) && self->document != NULL;
  g_simple_action_set_state (action, g_variant_new_boolean (show));
  if (show)
    {
      set_state_boolean (self, "ask-region", FALSE);
      lb_image_view_set_region_mode (self->image_view, FALSE);
      build_model_input (self);
    }
  lb_image_view_set_show_model_input (self->image_view, show);
  update_overlays (self);
  update_view_info (self);
  update_view_mode_label (self);
}

static void
ask_region_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gboolean on = g_variant_get_boolean (state) && self->document != NULL;
  g_simple_action_set_state (action, g_variant_new_boolean (on));
  if (on && model_input_shown (self))
    {
      set_state_boolean (self, "show-model-input", FALSE);
      lb_image_view_set_show_model_input (self->image_view, FALSE);
    }
  lb_image_view_set_region_mode (self->image_view, on);
  update_view_mode_label (self);
}

static void
clear_region_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  lb_image_view_clear_region (self->image_view);
  lb_chat_panel_clear_region (self->chat_panel);
}

static void
on_region_selected (LbImageView *view, guint x, guint y, guint width, guint height, LbWindow *self)
{
  LbCrop crop = { x, y, width, height };
  lb_chat_panel_set_region (self->chat_panel, &crop);
  set_state_boolean (self, "ask-region", FALSE);
  lb_image_view_set_region_mode (view, FALSE);
  update_view_mode_label (self);
  g_settings_set_boolean (self->settings, "sidebar-visible", TRUE);
  adw_view_stack_set_visible_child_name (self->side_stack, "chat");
  lb_chat_panel_focus_entry (self->chat_panel);
}

static void
generate_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  g_settings_set_boolean (self->settings, "sidebar-visible", TRUE);
  adw_view_stack_set_visible_child_name (self->side_stack, "report");
  lb_report_panel_generate (self->report_panel);
}

static void
stop_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  lb_report_panel_stop (self->report_panel);
  lb_chat_panel_stop (self->chat_panel);
}

static void
copy_report_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_report_panel_copy (LB_WINDOW (user_data)->report_panel);
}

static void
ask_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  g_settings_set_boolean (self->settings, "sidebar-visible", TRUE);
  adw_view_stack_set_visible_child_name (self->side_stack, "chat");
  lb_chat_panel_focus_entry (self->chat_panel);
}

static void
step_image (LbWindow *self, int step)
{
  if (self->study == NULL || self->document == NULL)
    return;
  int position = lb_study_find (self->study, lb_document_get_file (self->document));
  int n = (int) g_list_model_get_n_items (lb_study_get_items (self->study));
  if (position >= 0 && position + step >= 0 && position + step < n)
    open_study_item (self, (guint) (position + step));
}

static void
previous_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_image (LB_WINDOW (user_data), -1);
}

static void
next_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  step_image (LB_WINDOW (user_data), 1);
}

static void
show_toast_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_show_toast (LB_WINDOW (user_data), g_variant_get_string (parameter, NULL));
}

static void
dismiss_banner_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  hide_banner (LB_WINDOW (user_data));
}

static const GActionEntry win_entries[] = {
  { "open", open_action },
  { "open-folder", open_folder_action },
  { "open-recent", open_recent_action, "s" },
  { "open-sample", open_sample_action, "s" },
  { "close-image", close_image_action },
  { "show-viewer", show_viewer_action },
  { "show-model-page", show_model_page_action },
  { "zoom-in", zoom_action },
  { "zoom-out", zoom_action },
  { "zoom-fit", zoom_action },
  { "zoom-actual", zoom_action },
  { "rotate-left", rotate_action },
  { "rotate-right", rotate_action },
  { "flip-horizontal", flip_action },
  { "flip-vertical", flip_action },
  { "invert", NULL, NULL, "false", invert_action },
  { "window-preset", window_preset_action, "i" },
  { "reset-view", reset_view_action },
  { "separate-model-window", NULL, NULL, "false", separate_model_window_action },
  { "show-model-input", NULL, NULL, "false", show_model_input_action },
  { "show-attention", NULL, NULL, "true", show_attention_action },
  { "ask-region", NULL, NULL, "false", ask_region_action },
  { "clear-region", clear_region_action },
  { "generate", generate_action },
  { "stop", stop_action },
  { "copy-report", copy_report_action },
  { "ask", ask_action },
  { "previous-image", previous_image_action },
  { "next-image", next_image_action },
  { "show-toast", show_toast_action, "s" },
  { "dismiss-banner", dismiss_banner_action },
};

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
fill_samples (LbWindow *self)
{
  g_autoptr(GPtrArray) samples = lb_demo_list_samples ();
  for (guint i = 0; i < samples->len; i++)
    {
      const char *path = g_ptr_array_index (samples, i);
      g_autofree char *name = g_filename_display_basename (path);
      g_autoptr(GMenuItem) item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-sample", g_variant_new_string (path));
      g_menu_append_item (self->open_samples_section, item);
      g_menu_append_item (self->samples_section, item);
    }
}

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
  untrack_generation (self);

  G_OBJECT_CLASS (lb_window_parent_class)->dispose (object);
}

static void
lb_window_finalize (GObject *object)
{
  LbWindow *self = LB_WINDOW (object);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);
  g_clear_object (&self->heatmap_overlay);
  g_clear_object (&self->box_overlay);
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
  gtk_widget_class_bind_template_callback (widget_class, on_study_activate);
}

static void
lb_window_init (LbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->heatmap_overlay = lb_heatmap_overlay_new ();
  self->box_overlay = lb_box_overlay_new ();
  /* The heat map's opacity, in the image toolbar. */
  self->opacity_scale = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0.1, 1.0, 0.05);
  gtk_scale_set_draw_value (GTK_SCALE (self->opacity_scale), FALSE);
  gtk_widget_set_size_request (self->opacity_scale, 96, -1);
  gtk_widget_set_tooltip_text (self->opacity_scale, _("Attention Map Opacity"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->opacity_scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Attention Map Opacity"), -1);
  g_object_bind_property (self->heatmap_overlay, "opacity",
                          gtk_range_get_adjustment (GTK_RANGE (self->opacity_scale)), "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (self->image_toolbar), self->opacity_scale);
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries), self);

  GtkStringList *modalities = gtk_string_list_new (NULL);
  for (guint i = 0; i < LB_N_MODALITIES; i++)
    gtk_string_list_append (modalities, lb_modality_label (i));
  gtk_drop_down_set_model (self->modality_dropdown, G_LIST_MODEL (modalities));
  g_object_unref (modalities);
  g_signal_connect (self->modality_dropdown, "notify::selected", G_CALLBACK (on_modality_selected), self);

  g_signal_connect (self->image_view, "notify::zoom", G_CALLBACK (on_zoom_changed), self);
  g_signal_connect (self->image_view, "notify::readout", G_CALLBACK (on_readout_changed), self);
  g_signal_connect (self->image_view, "region-selected", G_CALLBACK (on_region_selected), self);
  g_signal_connect (self->report_panel, "notify::running", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self->report_panel, "notify::can-generate", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self->report_panel, "error", G_CALLBACK (on_panel_error), self);
  g_signal_connect (self->chat_panel, "error", G_CALLBACK (on_panel_error), self);
  g_signal_connect (self->chat_panel, "notify::running", G_CALLBACK (on_panel_running), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);

  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (study_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (study_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (study_unbind), self);
  gtk_list_view_set_factory (self->study_list, factory);
  g_object_unref (factory);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  fill_samples (self);
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
  lb_report_panel_set_capture_attention (self->report_panel, TRUE);
  lb_chat_panel_set_capture_attention (self->chat_panel, TRUE);

  g_signal_connect_object (self->models, "notify::state", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::state", G_CALLBACK (on_models_state), self, 0);
  g_signal_connect_object (self->models, "notify::progress", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::status", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (self->models, "notify::is-test-model", G_CALLBACK (on_models_notify), self, 0);

  fill_recent (self);
  update_model_status (self);
  set_document (self, NULL);

  /* No model set up and none loading: start on the welcome page. */
  g_autofree char *text_path = g_settings_get_string (self->settings, "text-model-path");
  if (*text_path == '\0' && lb_model_manager_get_state (self->models) == LB_MODEL_STATE_NONE)
    lb_window_show_page (self, "model");
  else
    lb_window_show_page (self, "viewer");
  return self;
}
