/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbWindow's shown document: showing one (or none) in the image view and
 * the panels, the title, the zoom, window/level and mode labels, the
 * window menu and its presets, which actions apply, the modality, and
 * "what the model sees" (the model-input square, rebuilt as the document
 * changes).
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-window-private.h"

static void update_document_actions (LbWindow *self);

/* ---- what the model sees ------------------------------------------------------------- */

gboolean
lb_window_model_input_shown (LbWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-model-input");
  g_autoptr(GVariant) state = g_action_get_state (action);
  return g_variant_get_boolean (state);
}

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
    lb_window_build_model_input (self);
}

void
lb_window_build_model_input (LbWindow *self)
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

void
lb_window_update_view_mode_label (LbWindow *self)
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

void
lb_window_update_view_info (LbWindow *self)
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
  lb_window_update_view_info (self);
  update_document_actions (self);
  if ((change & LB_DOCUMENT_CHANGE_MODEL) && lb_window_model_input_shown (self))
    lb_window_build_model_input (self);
  lb_window_update_view_mode_label (self);
}

static void
on_zoom_changed (LbImageView *view, GParamSpec *pspec, LbWindow *self)
{
  lb_window_update_view_info (self);
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

void
lb_window_set_state_boolean (LbWindow *self, const char *name, gboolean value)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (value));
}

void
lb_window_set_document (LbWindow *self, LbDocument *document)
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
  lb_window_set_state_boolean (self, "show-model-input", FALSE);
  lb_window_set_state_boolean (self, "ask-region", FALSE);
  lb_image_view_set_show_model_input (self->image_view, FALSE);
  lb_image_view_set_region_mode (self->image_view, FALSE);
  lb_regions_clear (self->regions);
  lb_regions_set_model_input_shown (self->regions, FALSE);

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
  gtk_widget_set_visible (GTK_WIDGET (self->regions_bar), document != NULL);
  fill_window_menu (self);
  update_title (self);
  lb_window_update_view_info (self);
  lb_window_update_view_mode_label (self);
  update_document_actions (self);
  lb_window_update_generate (self);
}

LbDocument *
lb_window_get_document (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->document;
}

void
lb_window_init_document (LbWindow *self)
{
  GtkStringList *modalities = gtk_string_list_new (NULL);
  for (guint i = 0; i < LB_N_MODALITIES; i++)
    gtk_string_list_append (modalities, lb_modality_label (i));
  gtk_drop_down_set_model (self->modality_dropdown, G_LIST_MODEL (modalities));
  g_object_unref (modalities);
  g_signal_connect (self->modality_dropdown, "notify::selected", G_CALLBACK (on_modality_selected), self);

  g_signal_connect (self->image_view, "notify::zoom", G_CALLBACK (on_zoom_changed), self);
  g_signal_connect (self->image_view, "notify::readout", G_CALLBACK (on_readout_changed), self);
}
