/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-image-view.h"

#define MAX_LEVELS 16
#define MIN_ZOOM 0.01
#define MAX_ZOOM 64.0
#define ZOOM_STEP 1.25
/* A preview (during a window/level drag) has at most this many pixels. */
#define PREVIEW_PIXELS (1400 * 1400)

typedef enum {
  DRAG_NONE,
  DRAG_PAN,
  DRAG_WINDOW,
  DRAG_REGION,
} DragMode;

struct _LbImageView
{
  GtkWidget parent_instance;

  LbDocument *document;
  gulong display_changed_id;

  /* The lookup table of the current window and invert: stored value →
   * 8-bit, indexed by stored - lut_first. serial counts the tables. */
  guint8 *lut;
  int lut_first;
  guint lut_serial;

  /* Full-quality textures of the current table, by level (2^level
   * reduction); a point-sampled preview; renders in flight. */
  GdkTexture *levels[MAX_LEVELS];
  GdkTexture *preview;
  guint preview_level;
  guint rendering; /* bitmask of levels being rendered for lut_serial */
  GCancellable *render_cancellable;

  /* Whole slides: a finer texture for the visible part, read from a level
   * of the slide when zoomed in past the overview. */
  GdkTexture *detail;
  double detail_x, detail_y, detail_w, detail_h; /* in overview image pixels */
  guint detail_serial;
  guint detail_timeout;
  gboolean detail_failed;
  GCancellable *detail_cancellable;

  LbModelInput *model_input;
  GdkTexture *model_texture;
  gboolean show_model_input;

  int width;  /* allocated size */
  int height;
  double zoom;
  double center_x; /* displayed-picture coordinates at the widget's centre */
  double center_y;
  gboolean fit;

  DragMode drag_mode;
  double drag_center_x;
  double drag_center_y;
  double drag_window_center;
  double drag_window_width;
  double zoom_gesture_start;

  gboolean region_mode;
  gboolean has_region;
  double region_x0, region_y0, region_x1, region_y1; /* displayed-picture coordinates */

  guint zoom_notify_source;

  gboolean pointer_inside;
  double pointer_x;
  double pointer_y;
  char *readout;

  GPtrArray *overlays;
};

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_ZOOM,
  PROP_FIT,
  PROP_SHOW_MODEL_INPUT,
  PROP_REGION_MODE,
  PROP_READOUT,
  N_PROPS
};

enum {
  REGION_SELECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbImageView, lb_image_view, GTK_TYPE_WIDGET)

/* ---- rendering the pixels ---------------------------------------------------------- */

/* Maps stored samples through the table into 8-bit RGB at a reduction of
 * 2^level: box-filtered, or the centre sample of each block (point). */
#define DEFINE_RENDER(NAME, TYPE, OFFSET)                                                      \
  static void NAME (const TYPE *src, guint width, guint height, guint channels,                \
                    const guint8 *lut, guint level, gboolean point, guint8 *out, guint ow,      \
                    guint oh, GCancellable *cancellable)                                        \
  {                                                                                             \
    guint f = 1u << level;                                                                      \
    if (level == 0 || point)                                                                    \
      {                                                                                         \
        for (guint oy = 0; oy < oh; oy++)                                                       \
          {                                                                                     \
            guint sy = MIN (oy * f + f / 2, height - 1);                                        \
            const TYPE *row = src + (gsize) sy * width * channels;                              \
            guint8 *o = out + (gsize) oy * ow * 3;                                              \
            if (channels == 1)                                                                  \
              for (guint ox = 0; ox < ow; ox++)                                                 \
                {                                                                               \
                  guint sx = MIN (ox * f + f / 2, width - 1);                                   \
                  guint8 v = lut[(int) row[sx] + (OFFSET)];                                     \
                  o[0] = o[1] = o[2] = v;                                                       \
                  o += 3;                                                                       \
                }                                                                               \
            else                                                                                \
              for (guint ox = 0; ox < ow; ox++)                                                 \
                {                                                                               \
                  const TYPE *p = row + (gsize) MIN (ox * f + f / 2, width - 1) * 3;            \
                  o[0] = lut[(int) p[0] + (OFFSET)];                                            \
                  o[1] = lut[(int) p[1] + (OFFSET)];                                            \
                  o[2] = lut[(int) p[2] + (OFFSET)];                                            \
                  o += 3;                                                                       \
                }                                                                               \
            if ((oy & 63) == 0 && g_cancellable_is_cancelled (cancellable))                     \
              return;                                                                           \
          }                                                                                     \
        return;                                                                                 \
      }                                                                                         \
    g_autofree guint32 *acc = g_new (guint32, (gsize) ow * channels);                           \
    for (guint oy = 0; oy < oh; oy++)                                                           \
      {                                                                                         \
        memset (acc, 0, sizeof (guint32) * ow * channels);                                      \
        guint y0 = oy * f, y1 = MIN (y0 + f, height);                                           \
        for (guint y = y0; y < y1; y++)                                                         \
          {                                                                                     \
            const TYPE *row = src + (gsize) y * width * channels;                               \
            for (guint x = 0; x < width; x++)                                                   \
              for (guint c = 0; c < channels; c++)                                              \
                acc[(x >> level) * channels + c] += lut[(int) row[x * channels + c] + (OFFSET)]; \
          }                                                                                     \
        guint8 *o = out + (gsize) oy * ow * 3;                                                  \
        for (guint ox = 0; ox < ow; ox++)                                                       \
          {                                                                                     \
            guint x0 = ox * f, x1 = MIN (x0 + f, width);                                        \
            guint n = (x1 - x0) * (y1 - y0);                                                    \
            for (guint c = 0; c < 3; c++)                                                       \
              o[c] = (guint8) ((acc[ox * channels + (channels == 1 ? 0 : c)] + n / 2) / n);     \
            o += 3;                                                                             \
          }                                                                                     \
        if ((oy & 15) == 0 && g_cancellable_is_cancelled (cancellable))                         \
          return;                                                                               \
      }                                                                                         \
  }

DEFINE_RENDER (render_u8, guint8, 0)
DEFINE_RENDER (render_s8, gint8, 128)
DEFINE_RENDER (render_u16, guint16, 0)
DEFINE_RENDER (render_s16, gint16, 32768)

static void
level_size (const LbImage *image, guint level, guint *width, guint *height)
{
  guint f = 1u << level;
  *width = MAX (1u, (image->width + f - 1) / f);
  *height = MAX (1u, (image->height + f - 1) / f);
}

/* Any thread: the image is immutable, the table a private copy. */
static GBytes *
render_pixels (const LbImage *image, const guint8 *lut, guint level, gboolean point,
               GCancellable *cancellable)
{
  guint ow, oh;
  level_size (image, level, &ow, &oh);
  guint8 *out = g_malloc ((gsize) ow * oh * 3);
  if (image->bits_stored == 8 && !image->is_signed)
    render_u8 (image->u8, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else if (image->bits_stored == 8)
    render_s8 (image->s8, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else if (!image->is_signed)
    render_u16 (image->u16, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else
    render_s16 (image->s16, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  return g_bytes_new_take (out, (gsize) ow * oh * 3);
}

static GdkTexture *
texture_from_rgb (GBytes *bytes, guint width, guint height)
{
  return gdk_memory_texture_new ((int) width, (int) height, GDK_MEMORY_R8G8B8, bytes, (gsize) width * 3);
}

static void
clear_textures (LbImageView *self)
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

static void
rebuild_lut (LbImageView *self)
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
  clear_textures (self);
}

/* ---- geometry ----------------------------------------------------------------------- */

/* The size of the last allocation: during size_allocate () GTK may still
 * report the previous one through gtk_widget_get_width (). */
static int
view_width (LbImageView *self)
{
  return self->width;
}

static int
view_height (LbImageView *self)
{
  return self->height;
}

static gboolean
showing_model_input (LbImageView *self)
{
  return self->show_model_input && self->model_input != NULL;
}

/* The size of the displayed picture (after rotation; the model-input square). */
static gboolean
picture_size (LbImageView *self, double *width, double *height)
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

static void
picture_to_widget (LbImageView *self, double px, double py, double *wx, double *wy)
{
  *wx = (px - self->center_x) * self->zoom + view_width (self) / 2.0;
  *wy = (py - self->center_y) * self->zoom + view_height (self) / 2.0;
}

static void
widget_to_picture (LbImageView *self, double wx, double wy, double *px, double *py)
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
  picture_to_widget (self, px, py, wx, wy);
}

void
lb_image_view_widget_to_image (LbImageView *self, double wx, double wy, double *ix, double *iy)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  double px, py;
  widget_to_picture (self, wx, wy, &px, &py);
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

static double
fit_zoom (LbImageView *self)
{
  double pw, ph;
  int w = view_width (self), h = view_height (self);
  if (!picture_size (self, &pw, &ph) || pw <= 0 || ph <= 0 || w <= 0 || h <= 0)
    return 1.0;
  return MIN (w / pw, h / ph);
}

static gboolean
notify_zoom_idle (gpointer user_data)
{
  LbImageView *self = user_data;
  self->zoom_notify_source = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  return G_SOURCE_REMOVE;
}

static void
apply_fit (LbImageView *self)
{
  double pw, ph;
  picture_size (self, &pw, &ph);
  self->center_x = pw / 2;
  self->center_y = ph / 2;
  double zoom = fit_zoom (self);
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
static void
clamp_center (LbImageView *self)
{
  double pw, ph;
  picture_size (self, &pw, &ph);
  self->center_x = CLAMP (self->center_x, 0, pw);
  self->center_y = CLAMP (self->center_y, 0, ph);
}

/* The texture level that zoom asks for: the coarsest whose pixels are
 * still at least as fine as the screen's. */
static guint
wanted_level (LbImageView *self)
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
  GBytes *bytes = render_pixels (lb_document_get_image (job->document), job->lut, job->level, FALSE, cancellable);
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
  level_size (lb_document_get_image (self->document), job->level, &w, &h);
  g_set_object (&self->levels[job->level], NULL);
  self->levels[job->level] = texture_from_rgb (bytes, w, h);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
start_render (LbImageView *self, guint level)
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
  g_task_set_source_tag (task, start_render);
  g_task_set_task_data (task, job, (GDestroyNotify) render_job_free);
  /* A few tens of milliseconds for a 4k image: bounded work for the pool. */
  g_task_run_in_thread (task, render_thread);
}

/* At once, in this thread: a point-sampled picture no larger than the
 * screen, so a window/level drag follows the pointer. */
static void
render_preview (LbImageView *self)
{
  const LbImage *image = lb_document_get_image (self->document);
  guint level = wanted_level (self), w, h;
  level_size (image, level, &w, &h);
  while ((gsize) w * h > PREVIEW_PIXELS && level + 1 < MAX_LEVELS)
    level_size (image, ++level, &w, &h);
  g_autoptr(GBytes) bytes = render_pixels (image, self->lut, level, TRUE, NULL);
  g_set_object (&self->preview, NULL);
  self->preview = texture_from_rgb (bytes, w, h);
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
  g_autoptr(GBytes) bytes = render_pixels (region, self->lut, 0, FALSE, NULL);
  g_set_object (&self->detail, NULL);
  self->detail = texture_from_rgb (bytes, region->width, region->height);
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
static void
view_changed (LbImageView *self)
{
  if (self->document == NULL || !lb_document_is_slide (self->document))
    return;
  self->detail_serial++; /* a detail in flight is for another view */
  self->detail_failed = FALSE;
  g_clear_object (&self->detail);
  g_clear_handle_id (&self->detail_timeout, g_source_remove);
  self->detail_timeout = g_timeout_add (150, request_detail, self);
}

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
  picture_size (self, &pw, &ph);
  if (showing_model_input (self))
    {
      if (self->model_texture == NULL)
        {
          guint s = self->model_input->size;
          g_autoptr(GBytes) bytes = g_bytes_new (self->model_input->rgb, (gsize) s * s * 3);
          self->model_texture = texture_from_rgb (bytes, s, s);
        }
      double x0, y0;
      picture_to_widget (self, 0, 0, &x0, &y0);
      gtk_snapshot_append_texture (snapshot, self->model_texture,
                                   &GRAPHENE_RECT_INIT (x0, y0, pw * self->zoom, ph * self->zoom));
    }
  else
    {
      const LbImage *image = lb_document_get_image (self->document);
      guint level = wanted_level (self);
      GdkTexture *texture = self->levels[level];
      if (texture == NULL)
        {
          start_render (self, level);
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
      picture_to_widget (self, MIN (self->region_x0, self->region_x1), MIN (self->region_y0, self->region_y1), &x0, &y0);
      picture_to_widget (self, MAX (self->region_x0, self->region_x1), MAX (self->region_y0, self->region_y1), &x1, &y1);
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
    apply_fit (self);
  view_changed (self);
}

static void
lb_image_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                       int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 64;
  *natural = 480;
}

/* ---- the readout ----------------------------------------------------------------- */

static void
set_readout (LbImageView *self, const char *text)
{
  if (g_strcmp0 (self->readout, text) == 0)
    return;
  g_free (self->readout);
  self->readout = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READOUT]);
}

static void
update_readout (LbImageView *self)
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
  zoom = CLAMP (zoom, MIN (MIN_ZOOM, fit_zoom (self)), MAX_ZOOM);
  if (self->fit)
    {
      self->fit = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
    }
  if (zoom != self->zoom)
    {
      self->zoom = zoom;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
    }
}

void
lb_image_view_zoom_at (LbImageView *self, double factor, double x, double y)
{
  g_return_if_fail (LB_IS_IMAGE_VIEW (self));
  if (self->document == NULL)
    return;

  double px, py;
  widget_to_picture (self, x, y, &px, &py);
  set_zoom_internal (self, self->zoom * factor);
  /* Keep (px, py) under (x, y). */
  self->center_x = px - (x - view_width (self) / 2.0) / self->zoom;
  self->center_y = py - (y - view_height (self) / 2.0) / self->zoom;
  clamp_center (self);
  update_readout (self);
  view_changed (self);
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
  update_readout (self);
}

static void
on_leave (GtkEventControllerMotion *controller, LbImageView *self)
{
  self->pointer_inside = FALSE;
  update_readout (self);
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
      widget_to_picture (self, x, y, &self->region_x0, &self->region_y0);
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
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
        }
      self->center_x = self->drag_center_x - dx / self->zoom;
      self->center_y = self->drag_center_y - dy / self->zoom;
      clamp_center (self);
      view_changed (self);
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
      widget_to_picture (self, sx + dx, sy + dy, &self->region_x1, &self->region_y1);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      break;
    case DRAG_NONE:
    default:
      break;
    }
  update_readout (self);
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, LbImageView *self)
{
  DragMode mode = self->drag_mode;
  self->drag_mode = DRAG_NONE;

  if (mode == DRAG_WINDOW && self->document != NULL)
    {
      /* The preview was point-sampled: now the full-quality level. */
      start_render (self, wanted_level (self));
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (mode == DRAG_REGION && self->document != NULL)
    {
      double pw, ph;
      picture_size (self, &pw, &ph);
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
      g_signal_emit (self, signals[REGION_SELECTED], 0, crop.x, crop.y, crop.width, crop.height);
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

/* ---- document ----------------------------------------------------------------- */

static void
on_display_changed (LbDocument *document, guint change, LbImageView *self)
{
  if (change & LB_DOCUMENT_CHANGE_WINDOW)
    {
      rebuild_lut (self);
      render_preview (self);
      if (self->drag_mode != DRAG_WINDOW)
        start_render (self, wanted_level (self));
      view_changed (self);
    }
  if (change & LB_DOCUMENT_CHANGE_GEOMETRY)
    {
      if (self->fit)
        apply_fit (self);
      else
        clamp_center (self);
      self->has_region = FALSE;
      view_changed (self);
    }
  update_readout (self);
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
  clear_textures (self);
  g_clear_pointer (&self->model_input, lb_model_input_free);
  g_clear_object (&self->model_texture);
  g_set_object (&self->document, document);
  self->has_region = FALSE;
  self->drag_mode = DRAG_NONE;
  if (document != NULL)
    {
      self->display_changed_id = g_signal_connect (document, "display-changed",
                                                   G_CALLBACK (on_display_changed), self);
      rebuild_lut (self);
    }
  self->fit = TRUE;
  apply_fit (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  update_readout (self);
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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
    }
  if (fit)
    {
      apply_fit (self);
      view_changed (self);
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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
    }
  self->center_x += fraction_x * view_width (self) / self->zoom;
  self->center_y += fraction_y * view_height (self) / self->zoom;
  clamp_center (self);
  view_changed (self);
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
  apply_fit (self);
  view_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_MODEL_INPUT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
  update_readout (self);
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
      apply_fit (self);
    }
  update_readout (self);
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGION_MODE]);
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
  guint level = wanted_level (self);
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
  clear_textures (self);
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

  properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, LB_TYPE_DOCUMENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0, MAX_ZOOM, 1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_MODEL_INPUT] =
    g_param_spec_boolean ("show-model-input", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REGION_MODE] =
    g_param_spec_boolean ("region-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READOUT] =
    g_param_spec_string ("readout", NULL, NULL, "", G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A rectangle drawn in region mode, in displayed pixels: x, y, width, height. */
  signals[REGION_SELECTED] =
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

GtkWidget *
lb_image_view_new (void)
{
  return g_object_new (LB_TYPE_IMAGE_VIEW, NULL);
}
