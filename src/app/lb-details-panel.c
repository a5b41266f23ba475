/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-details-panel.h"

struct _LbDetailsPanel
{
  AdwBin parent_instance;

  GtkStack *stack;
  AdwPreferencesGroup *image_group;
  GtkToggleButton *show_identifying_button;
  GtkSearchEntry *search_entry;
  GtkLabel *identifying_label;
  GtkListBox *tags_list;

  GSettings *settings;
  LbDocument *document;
  GPtrArray *image_rows; /* rows added to image_group, to remove them */
  guint n_identifying;
};

G_DEFINE_FINAL_TYPE (LbDetailsPanel, lb_details_panel, ADW_TYPE_BIN)

#define TAG_KEY "lb-tag"

static gboolean
hiding (LbDetailsPanel *self)
{
  return !gtk_toggle_button_get_active (self->show_identifying_button);
}

static void
add_image_row (LbDetailsPanel *self, const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 6);
  adw_preferences_group_add (self->image_group, row);
  g_ptr_array_add (self->image_rows, row);
}

static void
fill_image_group (LbDetailsPanel *self)
{
  for (guint i = 0; i < self->image_rows->len; i++)
    adw_preferences_group_remove (self->image_group, g_ptr_array_index (self->image_rows, i));
  g_ptr_array_set_size (self->image_rows, 0);
  if (self->document == NULL)
    return;

  const LbImage *image = lb_document_get_image (self->document);
  const LbImageMetadata *m = &image->metadata;
  g_autofree char *size = NULL;
  if (lb_document_is_slide (self->document))
    {
      gint64 w, h;
      lb_document_get_full_size (self->document, &w, &h);
      size = g_strdup_printf (_("%lld × %lld px (whole slide; overview %u × %u)"),
                              (long long) w, (long long) h, image->width, image->height);
    }
  else
    size = g_strdup_printf (_("%u × %u px"), image->width, image->height);
  g_autofree char *depth = m->bits_used != 0 && m->bits_used != image->bits_stored
                             ? g_strdup_printf (_("%u-bit (%u used)%s"), image->bits_stored, m->bits_used,
                                                image->is_signed ? _(", signed") : "")
                             : g_strdup_printf (_("%u-bit%s"), image->bits_stored, image->is_signed ? _(", signed") : "");

  add_image_row (self, _("File"), lb_document_get_title (self->document));
  add_image_row (self, _("Format"), lb_image_format_name (m->format));
  add_image_row (self, _("Size"), size);
  add_image_row (self, _("Depth"), depth);
  add_image_row (self, _("Colour"), m->photometric != NULL ? m->photometric : "");
  if (m->modality != NULL)
    add_image_row (self, _("DICOM modality"), m->modality);
  if (m->has_pixel_spacing)
    {
      g_autofree char *spacing = g_strdup_printf (_("%.3g × %.3g mm"), m->pixel_spacing[0], m->pixel_spacing[1]);
      add_image_row (self, _("Pixel spacing"), spacing);
    }
  if (m->rescale_slope != 1 || m->rescale_intercept != 0)
    {
      g_autofree char *rescale = g_strdup_printf ("× %g + %g %s", m->rescale_slope, m->rescale_intercept,
                                                  m->rescale_type != NULL ? m->rescale_type : "");
      add_image_row (self, _("Rescale"), rescale);
    }
  if (m->windows != NULL && m->windows->len > 0)
    {
      GString *windows = g_string_new (NULL);
      for (guint i = 0; i < m->windows->len; i++)
        {
          const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, i);
          if (i > 0)
            g_string_append_c (windows, '\n');
          g_string_append_printf (windows, _("%s: centre %g, width %g"),
                                  w->explanation != NULL ? w->explanation : _("Window"), w->center, w->width);
        }
      add_image_row (self, _("Windows in the file"), windows->str);
      g_string_free (windows, TRUE);
    }
  if (m->n_frames > 1)
    {
      g_autofree char *frames = g_strdup_printf (_("%u (showing frame %u)"), m->n_frames, m->frame + 1);
      add_image_row (self, _("Frames"), frames);
    }
  if (m->compression != NULL)
    add_image_row (self, _("Compression"), m->compression);
  if (m->transfer_syntax != NULL)
    add_image_row (self, _("Transfer syntax"), m->transfer_syntax);
}

static const char *
shown_value (LbDetailsPanel *self, const LbImageTag *tag)
{
  return tag->identifying && hiding (self) ? _("Hidden") : tag->value;
}

static void
update_tag_row (LbDetailsPanel *self, GtkWidget *row)
{
  const LbImageTag *tag = g_object_get_data (G_OBJECT (row), TAG_KEY);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), shown_value (self, tag));
}

static void
fill_tags (LbDetailsPanel *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->tags_list))) != NULL)
    gtk_list_box_remove (self->tags_list, child);
  self->n_identifying = 0;
  if (self->document == NULL)
    return;

  const GArray *tags = lb_document_get_image (self->document)->metadata.tags;
  for (guint i = 0; tags != NULL && i < tags->len; i++)
    {
      const LbImageTag *tag = &g_array_index (tags, LbImageTag, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = tag->tag != 0
                                 ? g_strdup_printf ("%s (%04X,%04X)", tag->name, tag->tag >> 16, tag->tag & 0xffff)
                                 : g_strdup (tag->name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      g_object_set_data (G_OBJECT (row), TAG_KEY, (gpointer) tag);
      if (tag->identifying)
        {
          GtkWidget *mark = gtk_label_new (_("Identifying"));
          gtk_widget_add_css_class (mark, "identifying-tag");
          gtk_widget_add_css_class (mark, "caption");
          gtk_widget_set_tooltip_text (mark, _("This tag can identify the patient"));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), mark);
          self->n_identifying++;
        }
      update_tag_row (self, row);
      gtk_list_box_append (self->tags_list, row);
    }

  g_autofree char *note = NULL;
  if (self->n_identifying > 0)
    note = g_strdup_printf (ngettext ("%u tag can identify the patient; its value is hidden unless you show it.",
                                      "%u tags can identify the patient; their values are hidden unless you show them.",
                                      self->n_identifying),
                            self->n_identifying);
  gtk_label_set_label (self->identifying_label, note != NULL ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->identifying_label), note != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->tags_list), tags != NULL && tags->len > 0);
}

static void
on_show_identifying (GtkToggleButton *button, GParamSpec *pspec, LbDetailsPanel *self)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->tags_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    update_tag_row (self, row);
}

static gboolean
filter_row (GtkListBoxRow *row, gpointer user_data)
{
  LbDetailsPanel *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  if (query == NULL || *query == '\0')
    return TRUE;
  const LbImageTag *tag = g_object_get_data (G_OBJECT (row), TAG_KEY);
  g_autofree char *needle = g_utf8_casefold (query, -1);
  g_autofree char *name = g_utf8_casefold (tag->name, -1);
  g_autofree char *value = g_utf8_casefold (shown_value (self, tag), -1);
  return strstr (name, needle) != NULL || strstr (value, needle) != NULL;
}

static void
on_search_changed (LbDetailsPanel *self, GtkSearchEntry *entry)
{
  gtk_list_box_invalidate_filter (self->tags_list);
}

void
lb_details_panel_set_document (LbDetailsPanel *self, LbDocument *document)
{
  g_return_if_fail (LB_IS_DETAILS_PANEL (self));

  if (document == self->document)
    return;
  /* The rows point into the old document's tags: drop them first. */
  LbDocument *old = self->document;
  self->document = NULL;
  fill_tags (self);
  g_clear_object (&old);
  self->document = document != NULL ? g_object_ref (document) : NULL;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  fill_image_group (self);
  fill_tags (self);
  gtk_stack_set_visible_child_name (self->stack, document != NULL ? "details" : "empty");
}

void
lb_details_panel_setup (LbDetailsPanel *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_DETAILS_PANEL (self));
  g_set_object (&self->settings, settings);
  /* The setting is "hide"; the button is "show". */
  g_settings_bind (settings, "hide-identifying", self->show_identifying_button, "active",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_INVERT_BOOLEAN);
}

guint
lb_details_panel_get_n_tags (LbDetailsPanel *self)
{
  g_return_val_if_fail (LB_IS_DETAILS_PANEL (self), 0);
  guint n = 0;
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->tags_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    n++;
  return n;
}

guint
lb_details_panel_get_n_identifying (LbDetailsPanel *self)
{
  g_return_val_if_fail (LB_IS_DETAILS_PANEL (self), 0);
  return self->n_identifying;
}

const char *
lb_details_panel_get_shown_value (LbDetailsPanel *self, const char *name)
{
  g_return_val_if_fail (LB_IS_DETAILS_PANEL (self), NULL);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->tags_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const LbImageTag *tag = g_object_get_data (G_OBJECT (row), TAG_KEY);
      if (g_strcmp0 (tag->name, name) == 0)
        return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
    }
  return NULL;
}

static void
lb_details_panel_dispose (GObject *object)
{
  LbDetailsPanel *self = LB_DETAILS_PANEL (object);

  if (self->settings != NULL)
    g_settings_unbind (self->show_identifying_button, "active");
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_details_panel_parent_class)->dispose (object);
}

static void
lb_details_panel_finalize (GObject *object)
{
  LbDetailsPanel *self = LB_DETAILS_PANEL (object);
  /* After the template's widgets are gone: they pointed into its tags. */
  g_clear_object (&self->document);
  g_ptr_array_unref (self->image_rows);
  G_OBJECT_CLASS (lb_details_panel_parent_class)->finalize (object);
}

static void
lb_details_panel_class_init (LbDetailsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_details_panel_dispose;
  object_class->finalize = lb_details_panel_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-details-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, image_group);
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, show_identifying_button);
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, search_entry);
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, identifying_label);
  gtk_widget_class_bind_template_child (widget_class, LbDetailsPanel, tags_list);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
}

static void
lb_details_panel_init (LbDetailsPanel *self)
{
  self->image_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_list_box_set_filter_func (self->tags_list, filter_row, self, NULL);
  g_signal_connect (self->show_identifying_button, "notify::active", G_CALLBACK (on_show_identifying), self);
}
