/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-preferences-window.h"

struct _LbPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow *style_row;
  GtkSwitch *readout_switch;
  GtkSpinButton *report_tokens_spin;
  GtkSpinButton *answer_tokens_spin;
  AdwComboRow *sampling_row;
  GtkSwitch *hide_switch;
  GtkSwitch *autosave_switch;
  GtkSwitch *load_switch;

  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (LbPreferencesWindow, lb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The enum values of color-scheme and chat-sampling are the rows' positions. */
static void
sync_combo (AdwComboRow *row, GSettings *settings, const char *key)
{
  adw_combo_row_set_selected (row, (guint) g_settings_get_enum (settings, key));
}

static void
on_style_selected (AdwComboRow *row, GParamSpec *pspec, LbPreferencesWindow *self)
{
  g_settings_set_enum (self->settings, "color-scheme", (int) adw_combo_row_get_selected (row));
}

static void
on_sampling_selected (AdwComboRow *row, GParamSpec *pspec, LbPreferencesWindow *self)
{
  g_settings_set_enum (self->settings, "chat-sampling", (int) adw_combo_row_get_selected (row));
}

static void
lb_preferences_window_dispose (GObject *object)
{
  LbPreferencesWindow *self = LB_PREFERENCES_WINDOW (object);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lb_preferences_window_parent_class)->dispose (object);
}

static void
lb_preferences_window_class_init (LbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, readout_switch);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, report_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, answer_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, sampling_row);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, hide_switch);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, autosave_switch);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, load_switch);
}

static void
lb_preferences_window_init (LbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

LbPreferencesWindow *
lb_preferences_window_new (GtkWindow *parent, GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  LbPreferencesWindow *self = g_object_new (LB_TYPE_PREFERENCES_WINDOW,
                                            "transient-for", parent,
                                            "modal", TRUE,
                                            NULL);
  self->settings = g_object_ref (settings);
  g_settings_bind (settings, "show-readout", self->readout_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "report-max-tokens", self->report_tokens_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "answer-max-tokens", self->answer_tokens_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "hide-identifying", self->hide_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "autosave-reports", self->autosave_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "load-model-at-start", self->load_switch, "active", G_SETTINGS_BIND_DEFAULT);
  sync_combo (self->style_row, settings, "color-scheme");
  sync_combo (self->sampling_row, settings, "chat-sampling");
  g_signal_connect (self->style_row, "notify::selected", G_CALLBACK (on_style_selected), self);
  g_signal_connect (self->sampling_row, "notify::selected", G_CALLBACK (on_sampling_selected), self);
  return self;
}
