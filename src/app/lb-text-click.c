/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>

#include "app/lb-text-click.h"

typedef struct {
  LbTextClickFunc func;
  gpointer user_data;
  gboolean pressed;
  graphene_point_t press;
} Watch;

/* Where a pointer event is, in widget's coordinates (the event's position
 * is the surface's). */
static gboolean
event_point (GtkWidget *widget, GdkEvent *event, graphene_point_t *out)
{
  GtkNative *native = gtk_widget_get_native (widget);
  double x, y, surface_x, surface_y;
  if (native == NULL || !gdk_event_get_position (event, &x, &y))
    return FALSE;
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  return gtk_widget_compute_point (GTK_WIDGET (native), widget,
                                   &GRAPHENE_POINT_INIT ((float) (x - surface_x), (float) (y - surface_y)), out);
}

static gboolean
has_selection (GtkWidget *widget)
{
  if (GTK_IS_TEXT_VIEW (widget))
    return gtk_text_buffer_get_has_selection (gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget)));
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_selection_bounds (GTK_LABEL (widget), NULL, NULL);
  return FALSE;
}

static gboolean
on_event (GtkEventControllerLegacy *controller, GdkEvent *event, Watch *watch)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GdkEventType type = gdk_event_get_event_type (event);
  graphene_point_t point;

  if ((type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE)
      || gdk_button_event_get_button (event) != GDK_BUTTON_PRIMARY || !event_point (widget, event, &point))
    return GDK_EVENT_PROPAGATE;
  if (type == GDK_BUTTON_PRESS)
    {
      watch->pressed = TRUE;
      watch->press = point;
      return GDK_EVENT_PROPAGATE;
    }
  if (!watch->pressed)
    return GDK_EVENT_PROPAGATE;
  watch->pressed = FALSE;

  /* The release is seen before the widget's own handlers: what it selected
   * while the button was down is there, what the release itself does is
   * not yet (a press inside a selection clears it only now: that click
   * does not count). */
  int threshold = 8;
  g_object_get (gtk_widget_get_settings (widget), "gtk-dnd-drag-threshold", &threshold, NULL);
  if (fabs (point.x - watch->press.x) <= threshold && fabs (point.y - watch->press.y) <= threshold
      && !has_selection (widget))
    watch->func (widget, point.x, point.y, watch->user_data);
  return GDK_EVENT_PROPAGATE;
}

static void
watch_free (gpointer data, GClosure *closure)
{
  g_free (data);
}

void
lb_text_click_watch (GtkWidget *widget, LbTextClickFunc func, gpointer user_data)
{
  g_return_if_fail (GTK_IS_TEXT_VIEW (widget) || GTK_IS_LABEL (widget));
  g_return_if_fail (func != NULL);

  Watch *watch = g_new0 (Watch, 1);
  watch->func = func;
  watch->user_data = user_data;
  GtkEventController *controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_data (controller, "event", G_CALLBACK (on_event), watch, watch_free, 0);
  gtk_widget_add_controller (widget, controller);
}
