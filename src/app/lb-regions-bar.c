/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-regions-bar.h"

struct _LbRegionsBar
{
  GtkBox parent_instance;

  GtkLabel *status_label;
  GtkWidget *token_box;
  GtkScale *token_scale;
  GtkLabel *token_label;
  GtkWidget *progress_box;
  GtkProgressBar *progress_bar;
  GtkMenuButton *source_button;
  GtkWidget *occlusion_button;
  GtkWidget *opacity_scale;

  GWeakRef regions;
};

G_DEFINE_FINAL_TYPE (LbRegionsBar, lb_regions_bar, GTK_TYPE_BOX)

static gboolean
double_to_uint (GBinding *binding, const GValue *from, GValue *to, gpointer data)
{
  g_value_set_uint (to, (guint) MAX (0.0, g_value_get_double (from) + 0.5));
  return TRUE;
}

static gboolean
uint_to_double (GBinding *binding, const GValue *from, GValue *to, gpointer data)
{
  g_value_set_double (to, g_value_get_uint (from));
  return TRUE;
}

/* The slider spans the selected answer's tokens; the label shows one. */
static void
update_token (LbRegionsBar *self)
{
  g_autoptr(LbRegions) regions = g_weak_ref_get (&self->regions);
  if (regions == NULL)
    return;
  LbRegionAnswer *answer = lb_regions_get_answer (regions);
  guint n = answer != NULL ? lb_region_answer_get_n_tokens (answer) : 0;
  guint token = lb_regions_get_token (regions);
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->token_scale));

  gtk_adjustment_set_upper (adjustment, n > 0 ? n - 1 : 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->token_scale), n > 1);
  if (n == 0)
    {
      gtk_label_set_label (self->token_label, "");
      return;
    }
  g_autofree char *text = lb_region_answer_get_token_text (answer, MIN (token, n - 1));
/* Translators: the token slider's label: the token's number and its
   * text, in your language's quotation marks. */
  g_autofree char *shown = g_strdup_printf (_("%u: “%s”"), MIN (token, n - 1) + 1, g_strstrip (text));
  gtk_label_set_label (self->token_label, shown);
}

static void
on_token_notify (LbRegions *regions, GParamSpec *pspec, LbRegionsBar *self)
{
  update_token (self);
}

static void
on_status_notify (LbRegions *regions, GParamSpec *pspec, LbRegionsBar *self)
{
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), lb_regions_get_status (regions));
}

void
lb_regions_bar_set_regions (LbRegionsBar *self, LbRegions *regions)
{
  g_return_if_fail (LB_IS_REGIONS_BAR (self));
  g_return_if_fail (LB_IS_REGIONS (regions));

  g_weak_ref_set (&self->regions, regions);
  g_object_bind_property (regions, "status", self->status_label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (regions, "source-label", self->source_button, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (regions, "token-mode", self->token_box, "visible", G_BINDING_SYNC_CREATE);
  g_object_bind_property (regions, "occlusion-running", self->progress_box, "visible", G_BINDING_SYNC_CREATE);
  g_object_bind_property (regions, "occlusion-fraction", self->progress_bar, "fraction", G_BINDING_SYNC_CREATE);
  g_object_bind_property (regions, "occlusion-text", self->progress_bar, "text", G_BINDING_SYNC_CREATE);
  g_object_bind_property_full (regions, "token", gtk_range_get_adjustment (GTK_RANGE (self->token_scale)), "value",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE, uint_to_double, double_to_uint,
                               NULL, NULL);
  g_object_bind_property (lb_regions_get_heatmap_overlay (regions), "opacity",
                          gtk_range_get_adjustment (GTK_RANGE (self->opacity_scale)), "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (regions, "notify::token", G_CALLBACK (on_token_notify), self, 0);
  g_signal_connect_object (regions, "notify::n-tokens", G_CALLBACK (on_token_notify), self, 0);
  g_signal_connect_object (regions, "notify::status", G_CALLBACK (on_status_notify), self, 0);
  update_token (self);
  on_status_notify (regions, NULL, self);
}

GtkProgressBar *
lb_regions_bar_get_progress_bar (LbRegionsBar *self)
{
  g_return_val_if_fail (LB_IS_REGIONS_BAR (self), NULL);
  return self->progress_bar;
}

GtkRange *
lb_regions_bar_get_opacity_scale (LbRegionsBar *self)
{
  g_return_val_if_fail (LB_IS_REGIONS_BAR (self), NULL);
  return GTK_RANGE (self->opacity_scale);
}

static void
lb_regions_bar_dispose (GObject *object)
{
  LbRegionsBar *self = LB_REGIONS_BAR (object);

  g_weak_ref_set (&self->regions, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), LB_TYPE_REGIONS_BAR);
  G_OBJECT_CLASS (lb_regions_bar_parent_class)->dispose (object);
}

static void
lb_regions_bar_finalize (GObject *object)
{
  LbRegionsBar *self = LB_REGIONS_BAR (object);

  g_weak_ref_clear (&self->regions);
  G_OBJECT_CLASS (lb_regions_bar_parent_class)->finalize (object);
}

static void
lb_regions_bar_class_init (LbRegionsBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_regions_bar_dispose;
  object_class->finalize = lb_regions_bar_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-regions-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, status_label);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, token_box);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, token_scale);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, token_label);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, progress_box);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, source_button);
  gtk_widget_class_bind_template_child (widget_class, LbRegionsBar, occlusion_button);
}

static void
lb_regions_bar_init (LbRegionsBar *self)
{
  g_weak_ref_init (&self->regions, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The opacity slider lives in the source menu, under the colours. */
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_("Opacity"));
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  self->opacity_scale = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0.1, 1.0, 0.05);
  gtk_scale_set_draw_value (GTK_SCALE (self->opacity_scale), FALSE);
  gtk_widget_set_hexpand (self->opacity_scale, TRUE);
  gtk_widget_set_size_request (self->opacity_scale, 120, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->opacity_scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Heat Map Opacity"), -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), self->opacity_scale);
  gtk_popover_menu_add_child (GTK_POPOVER_MENU (gtk_menu_button_get_popover (self->source_button)), box, "opacity");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->token_scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Token"), -1);
}
