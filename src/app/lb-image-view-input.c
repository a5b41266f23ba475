/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbImageView's input: the readout of the position and value under the
 * pointer, and the event controllers (scroll and pinch zoom, drags that
 * pan, set window/level or draw a region, double click to fit or 1:1).
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "app/lb-image-view-private.h"

/* ---- the readout ----------------------------------------------------------------- */

static void
set_readout (LbImageView *self, const char *text)
{
  if (g_strcmp0 (self->readout, text) == 0)
    return;
  g_free (self->readout);
  self->readout = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_READOUT]);
}

void
lb_image_view_update_readout (LbImageView *self)
{
  if (self->document == NULL || !self->pointer_inside)
    {
      set_readout (self, "");
      return;
    }
  const LbImage *image = lb_document_get_image (self->document);
  double ix, iy;
  lb_image_view_widget_to_image (self, self->pointer_x, self->pointer_y, &ix, &iy);
  if (ix < 0 || iy < 0 || ix >= image->width || iy >= image->height)
    {
      set_readout (self, "");
      return;
    }
  guint x = (guint) ix, y = (guint) iy;
  double scale = lb_document_get_slide_scale (self->document);
  g_autofree char *position = g_strdup_printf (_("X %u  Y %u"), (guint) (x * scale), (guint) (y * scale));
  g_autofree char *value = NULL;
  if (image->channels == 3)
    value = g_strdup_printf (_("R %d  G %d  B %d"), lb_image_get_sample (image, x, y, 0),
                             lb_image_get_sample (image, x, y, 1), lb_image_get_sample (image, x, y, 2));
  else
    {
      int stored = lb_image_get_sample (image, x, y, 0);
      double modality = lb_image_modality_value (image, stored);
      const char *unit = image->metadata.rescale_type;
      if (modality != stored || unit != NULL)
        value = g_strdup_printf (_("Value %g %s (stored %d)"), modality, unit != NULL ? unit : "", stored);
      else
        value = g_strdup_printf (_("Value %d"), stored);
    }
  g_autofree char *text = g_strdup_printf ("%s   %s", position, value);
  set_readout (self, text);
}

/* ---- input ----------------------------------------------------------------------- */

static void
set_zoom_internal (LbImageView *self, double zoom)
{
  zoom = CLAMP (zoom, MIN (MIN_ZOOM, lb_image_view_fit_zoom (self)), MAX_ZOOM);
  if (self->fit)
    {
      self->fit = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
    }
  if (zoom != self->zoom)
    {
      self->zoom = zoom;
      g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_ZOOM]);
    }
}

void
lb_image_view_zoom_at (LbImageView *self, double factor, double x, double y)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  if (self->document == NULL)
    return;

  double px, py;
  lb_image_view_widget_to_picture (self, x, y, &px, &py);
  set_zoom_internal (self, self->zoom * factor);
  /* Keep (px, py) under (x, y). */
  self->center_x = px - (x - view_width (self) / 2.0) / self->zoom;
  self->center_y = py - (y - view_height (self) / 2.0) / self->zoom;
  lb_image_view_clamp_center (self);
  lb_image_view_update_readout (self);
  lb_image_view_viewport_changed (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, LbImageView *self)
{
  if (self->document == NULL || dy == 0)
    return FALSE;
  GdkScrollUnit unit = gtk_event_controller_scroll_get_unit (controller);
  double factor = unit == GDK_SCROLL_UNIT_WHEEL ? pow (ZOOM_STEP, -dy) : pow (1.01, -dy);
  lb_image_view_zoom_at (self, factor, self->pointer_x, self->pointer_y);
  return TRUE;
}

static void
on_motion (GtkEventControllerMotion *controller, double x, double y, LbImageView *self)
{
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  lb_image_view_update_readout (self);
}

static void
on_leave (GtkEventControllerMotion *controller, LbImageView *self)
{
  self->pointer_inside = FALSE;
  lb_image_view_update_readout (self);
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, LbImageView *self)
{
  if (self->document == NULL)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  gtk_widget_grab_focus (GTK_WIDGET (self));
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  if (button == GDK_BUTTON_SECONDARY || (button == GDK_BUTTON_PRIMARY && (state & GDK_CONTROL_MASK)))
    {
      self->drag_mode = DRAG_WINDOW;
      if (showing_model_input (self))
        lb_document_get_model_window (self->document, &self->drag_window_center, &self->drag_window_width);
      else
        {
          const LbDisplayParams *display = lb_document_get_display (self->document);
          self->drag_window_center = display->window_center;
          self->drag_window_width = display->window_width;
        }
    }
  else if (button == GDK_BUTTON_PRIMARY && self->region_mode && !showing_model_input (self))
    {
      self->drag_mode = DRAG_REGION;
      self->has_region = FALSE;
      lb_image_view_widget_to_picture (self, x, y, &self->region_x0, &self->region_y0);
      self->region_x1 = self->region_x0;
      self->region_y1 = self->region_y0;
    }
  else if (button == GDK_BUTTON_PRIMARY || button == GDK_BUTTON_MIDDLE)
    {
      self->drag_mode = DRAG_PAN;
      self->drag_center_x = self->center_x;
      self->drag_center_y = self->center_y;
    }
  else
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, LbImageView *self)
{
  double sx, sy;
  gtk_gesture_drag_get_start_point (gesture, &sx, &sy);
  self->pointer_x = sx + dx;
  self->pointer_y = sy + dy;

  switch (self->drag_mode)
    {
    case DRAG_PAN:
      if (self->fit)
        {
          self->fit = FALSE;
          g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_FIT]);
        }
      self->center_x = self->drag_center_x - dx / self->zoom;
      self->center_y = self->drag_center_y - dy / self->zoom;
      lb_image_view_clamp_center (self);
      lb_image_view_viewport_changed (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    case DRAG_WINDOW:
      {
        /* The whole value range of the image in about 600 pixels of drag. */
        double lo, hi;
        lb_document_get_value_range (self->document, &lo, &hi);
        double per_pixel = MAX (hi - lo, 16.0) / 600.0;
        double width = MAX (1.0, self->drag_window_width + dx * per_pixel);
        double center = self->drag_window_center + dy * per_pixel;
        if (showing_model_input (self))
          lb_document_set_model_window (self->document, center, width);
        else
          lb_document_set_window (self->document, center, width);
      }
      break;
    case DRAG_REGION:
      lb_image_view_widget_to_picture (self, sx + dx, sy + dy, &self->region_x1, &self->region_y1);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    case DRAG_NONE:
    default:
      break;
    }
  lb_image_view_update_readout (self);
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, LbImageView *self)
{
  DragMode mode = self->drag_mode;
  self->drag_mode = DRAG_NONE;

  if (mode == DRAG_WINDOW && self->document != NULL)
    {
      /* The preview was point-sampled: now the full-quality level. */
      lb_image_view_start_render (self, lb_image_view_wanted_level (self));
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (mode == DRAG_REGION && self->document != NULL)
    {
      double pw, ph;
      lb_image_view_picture_size (self, &pw, &ph);
      double x0 = CLAMP (MIN (self->region_x0, self->region_x1), 0, pw);
      double y0 = CLAMP (MIN (self->region_y0, self->region_y1), 0, ph);
      double x1 = CLAMP (MAX (self->region_x0, self->region_x1), 0, pw);
      double y1 = CLAMP (MAX (self->region_y0, self->region_y1), 0, ph);
      self->region_x0 = x0;
      self->region_y0 = y0;
      self->region_x1 = x1;
      self->region_y1 = y1;
      /* A click, or a sliver, is not a region. */
      if ((x1 - x0) * self->zoom < 8 || (y1 - y0) * self->zoom < 8)
        {
          self->has_region = FALSE;
          gtk_widget_queue_draw (GTK_WIDGET (self));
          return;
        }
      self->has_region = TRUE;
      gtk_widget_queue_draw (GTK_WIDGET (self));
      LbCrop crop = {
        .x = (guint) floor (x0),
        .y = (guint) floor (y0),
        .width = (guint) ceil (x1) - (guint) floor (x0),
        .height = (guint) ceil (y1) - (guint) floor (y0),
      };
      g_signal_emit (self, lb_image_view_signals[REGION_SELECTED], 0, crop.x, crop.y, crop.width, crop.height);
    }
}

static void
on_zoom_begin (GtkGesture *gesture, GdkEventSequence *sequence, LbImageView *self)
{
  self->zoom_gesture_start = self->zoom;
}

static void
on_zoom_scale_changed (GtkGestureZoom *gesture, double scale, LbImageView *self)
{
  double cx, cy;
  if (self->document == NULL || !gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &cx, &cy))
    return;
  double target = self->zoom_gesture_start * scale;
  lb_image_view_zoom_at (self, target / self->zoom, cx, cy);
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, LbImageView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (n_press == 2 && self->document != NULL && !self->region_mode)
    {
      /* Double click: fit ↔ 1:1 at the pointer. */
      if (self->fit)
        lb_image_view_zoom_at (self, 1.0 / (self->zoom * gtk_widget_get_scale_factor (GTK_WIDGET (self))), x, y);
      else
        lb_image_view_set_fit (self, TRUE);
    }
}

/* The controllers of the gestures above, from lb_image_view_init (). */
void
lb_image_view_add_controllers (LbImageView *self)
{
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  GtkGesture *drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0); /* any button */
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  GtkGesture *zoom = gtk_gesture_zoom_new ();
  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
}
