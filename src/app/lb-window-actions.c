/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbWindow's "win." actions and their handlers: open, close, pages, zoom,
 * rotate, flip, invert, window presets and reset, the model's own window,
 * what the model sees, asking about a region (and the region drawn),
 * Generate/Stop/Copy/Ask, the previous and next image, toasts and the
 * banner. The shortcuts are in ui/help-overlay.ui and LbApplication.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include "app/lb-window-private.h"

/* ---- actions -------------------------------------------------------------------------- */

static void
open_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_show_chooser (LB_WINDOW (user_data), FALSE);
}

static void
open_folder_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_show_chooser (LB_WINDOW (user_data), TRUE);
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
  lb_window_set_study (self, NULL);
  lb_window_set_document (self, NULL);
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
  lb_window_update_view_mode_label (self);
}

static void
show_model_input_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gboolean show = g_variant_get_boolean (state) && self->document != NULL;
  g_simple_action_set_state (action, g_variant_new_boolean (show));
  if (show)
    {
      lb_window_set_state_boolean (self, "ask-region", FALSE);
      lb_image_view_set_region_mode (self->image_view, FALSE);
      lb_window_build_model_input (self);
    }
  lb_image_view_set_show_model_input (self->image_view, show);
  lb_regions_set_model_input_shown (self->regions, show);
  lb_window_update_view_info (self);
  lb_window_update_view_mode_label (self);
}

static void
ask_region_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbWindow *self = LB_WINDOW (user_data);
  gboolean on = g_variant_get_boolean (state) && self->document != NULL;
  g_simple_action_set_state (action, g_variant_new_boolean (on));
  if (on && lb_window_model_input_shown (self))
    {
      lb_window_set_state_boolean (self, "show-model-input", FALSE);
      lb_image_view_set_show_model_input (self->image_view, FALSE);
    }
  lb_image_view_set_region_mode (self->image_view, on);
  lb_window_update_view_mode_label (self);
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
  lb_window_set_state_boolean (self, "ask-region", FALSE);
  lb_image_view_set_region_mode (view, FALSE);
  lb_window_update_view_mode_label (self);
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
previous_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_step_image (LB_WINDOW (user_data), -1);
}

static void
next_image_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_step_image (LB_WINDOW (user_data), 1);
}

static void
show_toast_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_show_toast (LB_WINDOW (user_data), g_variant_get_string (parameter, NULL));
}

static void
dismiss_banner_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_window_hide_banner (LB_WINDOW (user_data));
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

void
lb_window_add_actions (LbWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries), self);
  g_signal_connect (self->image_view, "region-selected", G_CALLBACK (on_region_selected), self);
}
