/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbImageView: drawing, following the document, the public API and the
 * class. The other parts of the widget are in lb-image-view-geometry.c,
 * lb-image-view-textures.c and lb-image-view-input.c (see
 * lb-image-view-private.h); the pixel rendering in lb-image-render.c.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include "app/lb-image-render.h"
#include "app/lb-image-view-private.h"

GParamSpec *lb_image_view_properties[N_PROPS];
guint lb_image_view_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbImageView, lb_image_view, GTK_TYPE_WIDGET)

/* ---- drawing --------------------------------------------------------------------- */

static void
lb_image_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  LbImageView *self = LB_IMAGE_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  /* Medical images are read on black, in light and dark mode alike. */
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 1 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->document == NULL)
    return;

  double pw, ph;
  lb_image_view_picture_size (self, &pw, &ph);
  if (showing_model_input (self))
    {
      if (self->model_texture == NULL)
        {
          guint s = self->model_input->size;
          g_autoptr(GBytes) bytes = g_bytes_new (self->model_input->rgb, (gsize) s * s * 3);
          self->model_texture = lb_image_render_texture_from_rgb (bytes, s, s);
        }
      double x0, y0;
      lb_image_view_picture_to_widget (self, 0, 0, &x0, &y0);
      gtk_snapshot_append_texture (snapshot, self->model_texture,
                                   &GRAPHENE_RECT_INIT (x0, y0, pw * self->zoom, ph * self->zoom));
    }
  else
    {
      const LbImage *image = lb_document_get_image (self->document);
      guint level = lb_image_view_wanted_level (self);
      GdkTexture *texture = self->levels[level];
      if (texture == NULL)
        {
          lb_image_view_start_render (self, level);
          texture = self->preview;
          /* Else the nearest finished level, finer first. */
          for (guint d = 1; texture == NULL && d < MAX_LEVELS; d++)
            {
              if (level >= d && self->levels[level - d] != NULL)
                texture = self->levels[level - d];
              else if (level + d < MAX_LEVELS && self->levels[level + d] != NULL)
                texture = self->levels[level + d];
            }
        }
      if (texture != NULL)
        {
          lb_image_view_push_image_transform (self, snapshot);
#if GTK_CHECK_VERSION (4, 10, 0)
          /* Magnified, pixels are shown as the squares they are. */
          double device_zoom = self->zoom * gtk_widget_get_scale_factor (widget);
          gtk_snapshot_append_scaled_texture (snapshot, texture,
                                              device_zoom >= 2.0 ? GSK_SCALING_FILTER_NEAREST
                                                                 : GSK_SCALING_FILTER_LINEAR,
                                              &GRAPHENE_RECT_INIT (0, 0, image->width, image->height));
#else
          gtk_snapshot_append_texture (snapshot, texture,
                                       &GRAPHENE_RECT_INIT (0, 0, image->width, image->height));
#endif
          if (self->detail != NULL)
            gtk_snapshot_append_texture (snapshot, self->detail,
                                         &GRAPHENE_RECT_INIT (self->detail_x, self->detail_y,
                                                              self->detail_w, self->detail_h));
          gtk_snapshot_restore (snapshot);
        }
    }

  for (guint i = 0; i < self->overlays->len; i++)
    lb_image_overlay_snapshot (g_ptr_array_index (self->overlays, i), self, snapshot);

  if (self->has_region || self->drag_mode == DRAG_REGION)
    {
      double x0, y0, x1, y1;
      lb_image_view_picture_to_widget (self, MIN (self->region_x0, self->region_x1),
                                       MIN (self->region_y0, self->region_y1), &x0, &y0);
      lb_image_view_picture_to_widget (self, MAX (self->region_x0, self->region_x1),
                                       MAX (self->region_y0, self->region_y1), &x1, &y1);
      graphene_rect_t rect = GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0);
      GskRoundedRect outline;
      gsk_rounded_rect_init_from_rect (&outline, &rect, 0);
      GdkRGBA accent = { 0.98, 0.78, 0.2, 1 };
      GdkRGBA fill = { 0.98, 0.78, 0.2, 0.12 };
      gtk_snapshot_append_color (snapshot, &fill, &rect);
      gtk_snapshot_append_border (snapshot, &outline, (float[4]) { 2, 2, 2, 2 },
                                  (GdkRGBA[4]) { accent, accent, accent, accent });
    }
}

static void
lb_image_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  LbImageView *self = LB_IMAGE_VIEW (widget);
  self->width = width;
  self->height = height;
  if (self->fit)
    lb_image_view_apply_fit (self);
  lb_image_view_viewport_changed (self);
}

static void
lb_image_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                       int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 64;
  *natural = 480;
}

/* ---- document ----------------------------------------------------------------- */

static void
on_display_changed (LbDocument *document, guint change, LbImageView *self)
{
  if (change & LB_DOCUMENT_CHANGE_WINDOW)
    {
      lb_image_view_rebuild_lut (self);
      lb_image_view_render_preview (self);
      if (self->drag_mode != DRAG_WINDOW)
        lb_image_view_start_render (self, lb_image_view_wanted_level (self));
      lb_image_view_viewport_changed (self);
    }
  if (change & LB_DOCUMENT_CHANGE_GEOMETRY)
    {
      if (self->fit)
        lb_image_view_apply_fit (self);
      else
        lb_image_view_clamp_center (self);
      self->has_region = FALSE;
      lb_image_view_viewport_changed (self);
    }
  lb_image_view_update_readout (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

LbDocument *
lb_image_view_get_document (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), NULL);
  return self->document;
}

void
lb_image_view_set_document (LbImageView *self, LbDocument *document)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  g_return_if_fail (document == NULL || LB_IS_DOCUMENT (document));

  if (document == self->document)
    return;
  if (self->document != NULL)
    g_clear_signal_handler (&self->display_changed_id, self->document);
  lb_image_view_clear_textures (self);
  g_clear_pointer (&self->model_input, lb_model_input_free);
  g_clear_object (&self->model_texture);
  g_set_object (&self->document, document);
  self->has_region = FALSE;
  self->drag_mode = DRAG_NONE;
  if (document != NULL)
    {
      self->display_changed_id = g_signal_connect (document, "display-changed",
                                                   G_CALLBACK (on_display_changed), self);
      lb_image_view_rebuild_lut (self);
    }
  self->fit = TRUE;
  lb_image_view_apply_fit (self);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_DOCUMENT]);
  lb_image_view_update_readout (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---- public ------------------------------------------------------------------- */

double
lb_image_view_get_zoom (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), 1.0);
  return self->zoom;
}

void
lb_image_view_set_zoom (LbImageView *self, double zoom)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  lb_image_view_zoom_at (self, zoom / self->zoom, view_width (self) / 2.0,
                         view_height (self) / 2.0);
}

gboolean
lb_image_view_get_fit (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), FALSE);
  return self->fit;
}

void
lb_image_view_set_fit (LbImageView *self, gboolean fit)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));

  fit = !!fit;
  if (fit != self->fit)
    {
      self->fit = fit;
      g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
    }
  if (fit)
    {
      lb_image_view_apply_fit (self);
      lb_image_view_viewport_changed (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

void
lb_image_view_zoom_in (LbImageView *self)
{
  lb_image_view_set_zoom (self, self->zoom * ZOOM_STEP);
}

void
lb_image_view_zoom_out (LbImageView *self)
{
  lb_image_view_set_zoom (self, self->zoom / ZOOM_STEP);
}

void
lb_image_view_pan (LbImageView *self, double fraction_x, double fraction_y)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  if (self->document == NULL)
    return;
  if (self->fit)
    {
      self->fit = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
    }
  self->center_x += fraction_x * view_width (self) / self->zoom;
  self->center_y += fraction_y * view_height (self) / self->zoom;
  lb_image_view_clamp_center (self);
  lb_image_view_viewport_changed (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
lb_image_view_get_show_model_input (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), FALSE);
  return self->show_model_input;
}

void
lb_image_view_set_show_model_input (LbImageView *self, gboolean show)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));

  show = !!show;
  if (show == self->show_model_input)
    return;
  self->show_model_input = show;
  self->has_region = FALSE;
  self->fit = TRUE;
  lb_image_view_apply_fit (self);
  lb_image_view_viewport_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_SHOW_MODEL_INPUT]);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
  lb_image_view_update_readout (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
lb_image_view_set_model_input (LbImageView *self, const LbModelInput *input)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));

  gboolean had = self->model_input != NULL;
  g_clear_pointer (&self->model_input, lb_model_input_free);
  g_clear_object (&self->model_texture);
  if (input != NULL)
    {
      LbModelInput *copy = g_memdup2 (input, sizeof *input);
      copy->rgb = g_memdup2 (input->rgb, (gsize) input->size * input->size * 3);
      self->model_input = copy;
    }
  if (self->show_model_input && had != (input != NULL))
    {
      self->fit = TRUE;
      lb_image_view_apply_fit (self);
    }
  lb_image_view_update_readout (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
lb_image_view_get_region_mode (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), FALSE);
  return self->region_mode;
}

void
lb_image_view_set_region_mode (LbImageView *self, gboolean region_mode)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));

  region_mode = !!region_mode;
  if (region_mode == self->region_mode)
    return;
  self->region_mode = region_mode;
  if (region_mode)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
  else
    gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_REGION_MODE]);
}

void
lb_image_view_clear_region (LbImageView *self)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  self->has_region = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
lb_image_view_get_readout (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), NULL);
  return self->readout != NULL ? self->readout : "";
}

static void
on_overlay_changed (LbImageOverlay *overlay, LbImageView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
lb_image_view_add_overlay (LbImageView *self, LbImageOverlay *overlay)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  g_return_if_fail (LB_IS_IMAGE_OVERLAY (overlay));

  g_ptr_array_add (self->overlays, g_object_ref (overlay));
  g_signal_connect_object (overlay, "changed", G_CALLBACK (on_overlay_changed), self, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
lb_image_view_remove_overlay (LbImageView *self, LbImageOverlay *overlay)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));

  g_signal_handlers_disconnect_by_func (overlay, on_overlay_changed, self);
  g_ptr_array_remove (self->overlays, overlay);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
lb_image_view_get_texture_level (LbImageView *self, gboolean *full_quality)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), 0);
  guint level = lb_image_view_wanted_level (self);
  if (full_quality != NULL)
    {
      /* Zoomed into a whole slide, the finer level's region is part of it
       * (unless reading it failed: then the overview is all there is). */
      gboolean detail_wanted = self->document != NULL && lb_document_is_slide (self->document)
                               && !showing_model_input (self)
                               && self->zoom * gtk_widget_get_scale_factor (GTK_WIDGET (self)) > 1.0;
      *full_quality = self->levels[level] != NULL
                      && (!detail_wanted || self->detail != NULL || self->detail_failed);
    }
  return level;
}

/* ---- class -------------------------------------------------------------------- */

static void
zoom_in_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_image_view_zoom_in (LB_IMAGE_VIEW (widget));
}

static void
zoom_out_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_image_view_zoom_out (LB_IMAGE_VIEW (widget));
}

static void
zoom_fit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_image_view_set_fit (LB_IMAGE_VIEW (widget), TRUE);
}

static void
zoom_actual_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbImageView *self = LB_IMAGE_VIEW (widget);
  lb_image_view_set_zoom (self, 1.0 / gtk_widget_get_scale_factor (widget));
}

static void
pan_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  double x, y;
  g_variant_get (parameter, "(dd)", &x, &y);
  lb_image_view_pan (LB_IMAGE_VIEW (widget), x, y);
}

static void
lb_image_view_dispose (GObject *object)
{
  LbImageView *self = LB_IMAGE_VIEW (object);

  if (self->document != NULL)
    g_clear_signal_handler (&self->display_changed_id, self->document);
  lb_image_view_clear_textures (self);
  g_clear_handle_id (&self->detail_timeout, g_source_remove);
  g_clear_handle_id (&self->zoom_notify_source, g_source_remove);
  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  g_clear_object (&self->document);
  g_clear_object (&self->model_texture);
  g_clear_pointer (&self->model_input, lb_model_input_free);
  if (self->overlays != NULL)
    g_ptr_array_set_size (self->overlays, 0);

  G_OBJECT_CLASS (lb_image_view_parent_class)->dispose (object);
}

static void
lb_image_view_finalize (GObject *object)
{
  LbImageView *self = LB_IMAGE_VIEW (object);

  g_free (self->lut);
  g_free (self->readout);
  g_ptr_array_unref (self->overlays);

  G_OBJECT_CLASS (lb_image_view_parent_class)->finalize (object);
}

static void
lb_image_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbImageView *self = LB_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_FIT:
      g_value_set_boolean (value, self->fit);
      break;
    case PROP_SHOW_MODEL_INPUT:
      g_value_set_boolean (value, self->show_model_input);
      break;
    case PROP_REGION_MODE:
      g_value_set_boolean (value, self->region_mode);
      break;
    case PROP_READOUT:
      g_value_set_string (value, lb_image_view_get_readout (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_image_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbImageView *self = LB_IMAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      lb_image_view_set_document (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      lb_image_view_set_zoom (self, g_value_get_double (value));
      break;
    case PROP_FIT:
      lb_image_view_set_fit (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_MODEL_INPUT:
      lb_image_view_set_show_model_input (self, g_value_get_boolean (value));
      break;
    case PROP_REGION_MODE:
      lb_image_view_set_region_mode (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_image_view_class_init (LbImageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_image_view_dispose;
  object_class->finalize = lb_image_view_finalize;
  object_class->get_property = lb_image_view_get_property;
  object_class->set_property = lb_image_view_set_property;

  widget_class->snapshot = lb_image_view_snapshot;
  widget_class->size_allocate = lb_image_view_size_allocate;
  widget_class->measure = lb_image_view_measure;

  lb_image_view_properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, LB_TYPE_DOCUMENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  lb_image_view_properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0, MAX_ZOOM, 1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  lb_image_view_properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  lb_image_view_properties[PROP_SHOW_MODEL_INPUT] =
    g_param_spec_boolean ("show-model-input", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  lb_image_view_properties[PROP_REGION_MODE] =
    g_param_spec_boolean ("region-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  lb_image_view_properties[PROP_READOUT] =
    g_param_spec_string ("readout", NULL, NULL, "", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, lb_image_view_properties);

  /* A rectangle drawn in region mode, in displayed pixels: x, y, width, height. */
  lb_image_view_signals[REGION_SELECTED] =
    g_signal_new ("region-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);

  gtk_widget_class_install_action (widget_class, "view.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-fit", NULL, zoom_fit_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-actual", NULL, zoom_actual_action);
  gtk_widget_class_install_action (widget_class, "view.pan", "(dd)", pan_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "view.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, 0, "view.zoom-actual", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "view.pan", "(dd)", -0.1, 0.0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "view.pan", "(dd)", 0.1, 0.0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "view.pan", "(dd)", 0.0, -0.1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "view.pan", "(dd)", 0.0, 0.1);

  gtk_widget_class_set_css_name (widget_class, "lb-image-view");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lb_image_view_init (LbImageView *self)
{
  self->zoom = 1.0;
  self->fit = TRUE;
  self->overlays = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  lb_image_view_add_controllers (self);
}

GtkWidget *
lb_image_view_new (void)
{
  return g_object_new (LB_TYPE_IMAGE_VIEW, NULL);
}
