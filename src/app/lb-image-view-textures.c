/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbImageView's textures: the lookup table of the current window, the
 * full-quality levels rendered in worker threads, the point-sampled
 * preview rendered at once during a window/level drag, and for whole
 * slides the visible part read from a finer level of the slide.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>

#include "app/lb-image-render.h"
#include "app/lb-image-view-private.h"

/* A preview (during a window/level drag) has at most this many pixels. */
#define PREVIEW_PIXELS (1400 * 1400)

/* ---- the lookup table ------------------------------------------------------------ */

void
lb_image_view_clear_textures (LbImageView *self)
{
  for (guint i = 0; i < MAX_LEVELS; i++)
    g_clear_object (&self->levels[i]);
  g_clear_object (&self->preview);
  g_clear_object (&self->detail);
  self->rendering = 0;
  if (self->render_cancellable != NULL)
    {
      g_cancellable_cancel (self->render_cancellable);
      g_clear_object (&self->render_cancellable);
    }
}

void
lb_image_view_rebuild_lut (LbImageView *self)
{
  const LbImage *image = lb_document_get_image (self->document);
  const LbDisplayParams *display = lb_document_get_display (self->document);
  guint n = image->bits_stored == 8 ? 256 : 65536;

  self->lut_first = image->is_signed ? -(int) (n / 2) : 0;
  if (self->lut == NULL)
    self->lut = g_malloc0 (65536);
  for (guint i = 0; i < n; i++)
    self->lut[i] = lb_display_map_value (image, display, self->lut_first + (int) i);
  self->lut_serial++;
  lb_image_view_clear_textures (self);
}

/* ---- rendering jobs --------------------------------------------------------------- */

typedef struct {
  LbDocument *document;
  guint8 *lut;
  guint level;
  guint serial;
} RenderJob;

static void
render_job_free (RenderJob *job)
{
  g_clear_object (&job->document);
  g_free (job->lut);
  g_free (job);
}

static void
render_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  RenderJob *job = task_data;
  GBytes *bytes = lb_image_render_pixels (lb_document_get_image (job->document), job->lut, job->level, FALSE,
                                          cancellable);
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_bytes_unref (bytes);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return;
    }
  g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
render_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbImageView *self = LB_IMAGE_VIEW (source);
  RenderJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GBytes) bytes = g_task_propagate_pointer (G_TASK (result), NULL);

  if (bytes == NULL || job->serial != self->lut_serial || self->document != job->document)
    return;
  self->rendering &= ~(1u << job->level);
  guint w, h;
  lb_image_render_level_size (lb_document_get_image (self->document), job->level, &w, &h);
  g_set_object (&self->levels[job->level], NULL);
  self->levels[job->level] = lb_image_render_texture_from_rgb (bytes, w, h);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
lb_image_view_start_render (LbImageView *self, guint level)
{
  if (self->rendering & (1u << level))
    return;
  if (self->render_cancellable == NULL)
    self->render_cancellable = g_cancellable_new ();
  self->rendering |= 1u << level;

  RenderJob *job = g_new0 (RenderJob, 1);
  job->document = g_object_ref (self->document);
  job->lut = g_memdup2 (self->lut, 65536);
  job->level = level;
  job->serial = self->lut_serial;
  g_autoptr(GTask) task = g_task_new (self, self->render_cancellable, render_done, NULL);
  g_task_set_source_tag (task, lb_image_view_start_render);
  g_task_set_task_data (task, job, (GDestroyNotify) render_job_free);
  /* A few tens of milliseconds for a 4k image: bounded work for the pool. */
  g_task_run_in_thread (task, render_thread);
}

/* At once, in this thread: a point-sampled picture no larger than the
 * screen, so a window/level drag follows the pointer. */
void
lb_image_view_render_preview (LbImageView *self)
{
  const LbImage *image = lb_document_get_image (self->document);
  guint level = lb_image_view_wanted_level (self), w, h;
  lb_image_render_level_size (image, level, &w, &h);
  while ((gsize) w * h > PREVIEW_PIXELS && level + 1 < MAX_LEVELS)
    lb_image_render_level_size (image, ++level, &w, &h);
  g_autoptr(GBytes) bytes = lb_image_render_pixels (image, self->lut, level, TRUE, NULL);
  g_set_object (&self->preview, NULL);
  self->preview = lb_image_render_texture_from_rgb (bytes, w, h);
  self->preview_level = level;
}
/* ---- whole slides: the visible part from a finer level ----------------------------- */

typedef struct {
  LbDocument *document;
  double x, y, w, h;   /* overview pixels */
  double downsample;   /* level-0 pixels per screen pixel */
  guint serial;
} DetailJob;

static void
detail_job_free (DetailJob *job)
{
  g_clear_object (&job->document);
  g_free (job);
}

static void
detail_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  DetailJob *job = task_data;
  GError *error = NULL;
  LbImage *region = lb_document_read_slide_region (job->document, job->x, job->y, job->w, job->h,
                                                   job->downsample, &error);
  if (region == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, region, (GDestroyNotify) lb_image_free);
}

static void
detail_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbImageView *self = LB_IMAGE_VIEW (source);
  DetailJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) region = g_task_propagate_pointer (G_TASK (result), &error);

  if (region == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("slide region: %s", error->message);
          if (job->serial == self->detail_serial)
            self->detail_failed = TRUE;
        }
      return;
    }
  if (job->serial != self->detail_serial || job->document != self->document)
    return;
  /* The region is 8-bit RGB like the overview: the same table applies. */
  g_autoptr(GBytes) bytes = lb_image_render_pixels (region, self->lut, 0, FALSE, NULL);
  g_set_object (&self->detail, NULL);
  self->detail = lb_image_render_texture_from_rgb (bytes, region->width, region->height);
  self->detail_x = job->x;
  self->detail_y = job->y;
  self->detail_w = job->w;
  self->detail_h = job->h;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
request_detail (gpointer user_data)
{
  LbImageView *self = user_data;
  self->detail_timeout = 0;

  if (self->document == NULL || !lb_document_is_slide (self->document) || showing_model_input (self))
    return G_SOURCE_REMOVE;
  double device_zoom = self->zoom * gtk_widget_get_scale_factor (GTK_WIDGET (self));
  if (device_zoom <= 1.0)
    return G_SOURCE_REMOVE;

  /* The visible part of the overview, in overview pixels. */
  const LbImage *image = lb_document_get_image (self->document);
  double x0, y0, x1, y1;
  int w = view_width (self), h = view_height (self);
  double corners[4][2] = { { 0, 0 }, { w, 0 }, { 0, h }, { w, h } };
  x0 = y0 = G_MAXDOUBLE;
  x1 = y1 = -G_MAXDOUBLE;
  for (guint i = 0; i < 4; i++)
    {
      double ix, iy;
      lb_image_view_widget_to_image (self, corners[i][0], corners[i][1], &ix, &iy);
      x0 = MIN (x0, ix);
      y0 = MIN (y0, iy);
      x1 = MAX (x1, ix);
      y1 = MAX (y1, iy);
    }
  x0 = CLAMP (floor (x0), 0, image->width);
  y0 = CLAMP (floor (y0), 0, image->height);
  x1 = CLAMP (ceil (x1), 0, image->width);
  y1 = CLAMP (ceil (y1), 0, image->height);
  if (x1 <= x0 || y1 <= y0)
    return G_SOURCE_REMOVE;

  if (self->detail_cancellable != NULL)
    g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  self->detail_cancellable = g_cancellable_new ();

  DetailJob *job = g_new0 (DetailJob, 1);
  job->document = g_object_ref (self->document);
  job->x = x0;
  job->y = y0;
  job->w = x1 - x0;
  job->h = y1 - y0;
  job->downsample = lb_document_get_slide_scale (self->document) / device_zoom;
  job->serial = ++self->detail_serial;
  g_autoptr(GTask) task = g_task_new (self, self->detail_cancellable, detail_done, NULL);
  g_task_set_source_tag (task, request_detail);
  g_task_set_task_data (task, job, (GDestroyNotify) detail_job_free);
  g_task_run_in_thread (task, detail_thread);
  return G_SOURCE_REMOVE;
}

/* After the view settles (pan, zoom), ask for the finer slide level. */
void
lb_image_view_viewport_changed (LbImageView *self)
{
  if (self->document == NULL || !lb_document_is_slide (self->document))
    return;
  self->detail_serial++; /* a detail in flight is for another view */
  self->detail_failed = FALSE;
  g_clear_object (&self->detail);
  g_clear_handle_id (&self->detail_timeout, g_source_remove);
  self->detail_timeout = g_timeout_add (150, request_detail, self);
}
