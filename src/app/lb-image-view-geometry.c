/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbImageView's geometry: the maps between widget, displayed picture and
 * stored image coordinates (and the same map as a GskTransform for
 * overlays), fitting the picture to the view, and the texture level a
 * zoom asks for.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>

#include "app/lb-image-view-private.h"

/* The size of the displayed picture (after rotation; the model-input square). */
gboolean
lb_image_view_picture_size (LbImageView *self, double *width, double *height)
{
  if (showing_model_input (self))
    {
      *width = *height = self->model_input->size;
      return TRUE;
    }
  if (self->document == NULL)
    {
      *width = *height = 0;
      return FALSE;
    }
  guint w, h;
  lb_display_output_size (lb_document_get_image (self->document), lb_document_get_display (self->document), &w, &h);
  *width = w;
  *height = h;
  return TRUE;
}

static void
image_to_picture (LbImageView *self, double ix, double iy, double *px, double *py)
{
  if (showing_model_input (self))
    {
      lb_model_input_from_image (self->model_input, ix, iy, px, py);
      return;
    }
  const LbImage *image = lb_document_get_image (self->document);
  lb_display_from_image (image->width, image->height, lb_document_get_display (self->document), ix, iy, px, py);
}

static void
picture_to_image (LbImageView *self, double px, double py, double *ix, double *iy)
{
  if (showing_model_input (self))
    {
      lb_model_input_to_image (self->model_input, px, py, ix, iy);
      return;
    }
  const LbImage *image = lb_document_get_image (self->document);
  lb_display_to_image (image->width, image->height, lb_document_get_display (self->document), px, py, ix, iy);
}

void
lb_image_view_picture_to_widget (LbImageView *self, double px, double py, double *wx, double *wy)
{
  *wx = (px - self->center_x) * self->zoom + view_width (self) / 2.0;
  *wy = (py - self->center_y) * self->zoom + view_height (self) / 2.0;
}

void
lb_image_view_widget_to_picture (LbImageView *self, double wx, double wy, double *px, double *py)
{
  *px = self->center_x + (wx - view_width (self) / 2.0) / self->zoom;
  *py = self->center_y + (wy - view_height (self) / 2.0) / self->zoom;
}

void
lb_image_view_image_to_widget (LbImageView *self, double ix, double iy, double *wx, double *wy)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  double px = 0, py = 0;
  if (self->document != NULL)
    image_to_picture (self, ix, iy, &px, &py);
  lb_image_view_picture_to_widget (self, px, py, wx, wy);
}

void
lb_image_view_widget_to_image (LbImageView *self, double wx, double wy, double *ix, double *iy)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  double px, py;
  lb_image_view_widget_to_picture (self, wx, wy, &px, &py);
  *ix = px;
  *iy = py;
  if (self->document != NULL)
    picture_to_image (self, px, py, ix, iy);
}

/* The map image → widget as a GskTransform made of translations, quarter
 * rotations and mirror scales (every renderer handles those), the same
 * map as lb_display_from_image () followed by the view's zoom and pan. */
GskTransform *
lb_image_view_get_image_transform (LbImageView *self)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (self), NULL);

  double w = view_width (self), h = view_height (self);
  GskTransform *t = gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (w / 2.0, h / 2.0));
  t = gsk_transform_scale (t, self->zoom, self->zoom);
  t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (-self->center_x, -self->center_y));
  if (self->document == NULL)
    return t;

  if (showing_model_input (self))
    {
      /* Image → model input: crop, pad and scale of the displayed
       * picture, itself rotated or flipped: an affine map, taken from
       * the images of three points. */
      double ox, oy, ax, ay, bx, by;
      lb_model_input_from_image (self->model_input, 0, 0, &ox, &oy);
      lb_model_input_from_image (self->model_input, 1, 0, &ax, &ay);
      lb_model_input_from_image (self->model_input, 0, 1, &bx, &by);
      graphene_matrix_t m;
      graphene_matrix_init_from_2d (&m, ax - ox, ay - oy, bx - ox, by - oy, ox, oy);
      return gsk_transform_matrix (t, &m);
    }

  const LbImage *image = lb_document_get_image (self->document);
  const LbDisplayParams *display = lb_document_get_display (self->document);
  double iw = image->width, ih = image->height;
  gboolean swap = (display->rotation & 1) != 0;
  double dw = swap ? ih : iw, dh = swap ? iw : ih;
  if (display->flip_horizontal)
    {
      t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (dw, 0));
      t = gsk_transform_scale (t, -1, 1);
    }
  if (display->flip_vertical)
    {
      t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (0, dh));
      t = gsk_transform_scale (t, 1, -1);
    }
  switch (display->rotation & 3)
    {
    case 1:
      t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (ih, 0));
      t = gsk_transform_rotate (t, 90);
      break;
    case 2:
      t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (iw, ih));
      t = gsk_transform_rotate (t, 180);
      break;
    case 3:
      t = gsk_transform_translate (t, &GRAPHENE_POINT_INIT (0, iw));
      t = gsk_transform_rotate (t, 270);
      break;
    default:
      break;
    }
  return t;
}

void
lb_image_view_push_image_transform (LbImageView *self, GtkSnapshot *snapshot)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  gtk_snapshot_save (snapshot);
  GskTransform *t = lb_image_view_get_image_transform (self);
  gtk_snapshot_transform (snapshot, t);
  gsk_transform_unref (t);
}

double
lb_image_view_fit_zoom (LbImageView *self)
{
  double pw, ph;
  int w = view_width (self), h = view_height (self);
  if (!lb_image_view_picture_size (self, &pw, &ph) || pw <= 0 || ph <= 0 || w <= 0 || h <= 0)
    return 1.0;
  return MIN (w / pw, h / ph);
}

static gboolean
notify_zoom_idle (gpointer user_data)
{
  LbImageView *self = user_data;
  self->zoom_notify_source = 0;
  g_object_notify_by_pspec (G_OBJECT (self), lb_image_view_properties[PROP_ZOOM]);
  return G_SOURCE_REMOVE;
}

void
lb_image_view_apply_fit (LbImageView *self)
{
  double pw, ph;
  lb_image_view_picture_size (self, &pw, &ph);
  self->center_x = pw / 2;
  self->center_y = ph / 2;
  double zoom = lb_image_view_fit_zoom (self);
  if (zoom != self->zoom)
    {
      self->zoom = zoom;
      /* Called during size allocation, where a handler that changes a
       * label's text would queue a resize that GTK then loses: later. */
      if (self->zoom_notify_source == 0)
        self->zoom_notify_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, notify_zoom_idle, self, NULL);
    }
}

/* Keeps the picture from leaving the view entirely. */
void
lb_image_view_clamp_center (LbImageView *self)
{
  double pw, ph;
  lb_image_view_picture_size (self, &pw, &ph);
  self->center_x = CLAMP (self->center_x, 0, pw);
  self->center_y = CLAMP (self->center_y, 0, ph);
}

/* The texture level that zoom asks for: the coarsest whose pixels are
 * still at least as fine as the screen's. */
guint
lb_image_view_wanted_level (LbImageView *self)
{
  double device_zoom = self->zoom * gtk_widget_get_scale_factor (GTK_WIDGET (self));
  if (device_zoom >= 1.0 || self->document == NULL)
    return 0;
  guint level = (guint) floor (log2 (1.0 / device_zoom));
  const LbImage *image = lb_document_get_image (self->document);
  while (level > 0 && (1u << level) > MAX (image->width, image->height))
    level--;
  return MIN (level, MAX_LEVELS - 1);
}
