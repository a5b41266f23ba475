/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "app/lb-document.h"
#include "imaging/slide.h"

struct _LbDocument
{
  GObject parent_instance;

  GFile *file;
  char *title;
  char *key;
  LbImage *image;     /* the image, or a whole slide's overview */
  LbSlide *slide;     /* NULL unless a whole slide */
  GMutex slide_lock;  /* an LbSlide is used by one thread at a time */
  double slide_scale; /* level-0 pixels per overview pixel */
  gint64 full_width;
  gint64 full_height;

  LbDisplayParams display;
  GArray *presets;
  double value_min;
  double value_max;

  LbModality modality;
  gboolean separate_model_window;
  double model_center;
  double model_width;
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_WINDOW_CENTER,
  PROP_WINDOW_WIDTH,
  PROP_INVERT,
  PROP_ROTATION,
  PROP_FLIP_HORIZONTAL,
  PROP_FLIP_VERTICAL,
  PROP_MODALITY,
  PROP_SEPARATE_MODEL_WINDOW,
  N_PROPS
};

enum {
  DISPLAY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbDocument, lb_document, G_TYPE_OBJECT)

static void
lb_document_finalize (GObject *object)
{
  LbDocument *self = LB_DOCUMENT (object);

  g_clear_object (&self->file);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->image, lb_image_free);
  g_clear_pointer (&self->slide, lb_slide_free);
  g_mutex_clear (&self->slide_lock);
  g_clear_pointer (&self->presets, g_array_unref);

  G_OBJECT_CLASS (lb_document_parent_class)->finalize (object);
}

static void
lb_document_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbDocument *self = LB_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_WINDOW_CENTER:
      g_value_set_double (value, self->display.window_center);
      break;
    case PROP_WINDOW_WIDTH:
      g_value_set_double (value, self->display.window_width);
      break;
    case PROP_INVERT:
      g_value_set_boolean (value, self->display.invert);
      break;
    case PROP_ROTATION:
      g_value_set_uint (value, self->display.rotation);
      break;
    case PROP_FLIP_HORIZONTAL:
      g_value_set_boolean (value, self->display.flip_horizontal);
      break;
    case PROP_FLIP_VERTICAL:
      g_value_set_boolean (value, self->display.flip_vertical);
      break;
    case PROP_MODALITY:
      g_value_set_enum (value, self->modality);
      break;
    case PROP_SEPARATE_MODEL_WINDOW:
      g_value_set_boolean (value, self->separate_model_window);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_document_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbDocument *self = LB_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_INVERT:
      lb_document_set_invert (self, g_value_get_boolean (value));
      break;
    case PROP_MODALITY:
      lb_document_set_modality (self, g_value_get_enum (value));
      break;
    case PROP_SEPARATE_MODEL_WINDOW:
      lb_document_set_separate_model_window (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_document_class_init (LbDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lb_document_finalize;
  object_class->get_property = lb_document_get_property;
  object_class->set_property = lb_document_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_WINDOW_CENTER] =
    g_param_spec_double ("window-center", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WINDOW_WIDTH] =
    g_param_spec_double ("window-width", NULL, NULL, 0, G_MAXDOUBLE, 1,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INVERT] =
    g_param_spec_boolean ("invert", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROTATION] =
    g_param_spec_uint ("rotation", NULL, NULL, 0, 3, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FLIP_HORIZONTAL] =
    g_param_spec_boolean ("flip-horizontal", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FLIP_VERTICAL] =
    g_param_spec_boolean ("flip-vertical", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODALITY] =
    g_param_spec_enum ("modality", NULL, NULL, LB_TYPE_MODALITY, LB_MODALITY_OTHER,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEPARATE_MODEL_WINDOW] =
    g_param_spec_boolean ("separate-model-window", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted after any change of the display parameters or of what the
   * model is given, with the LbDocumentChange flags of what changed. */
  signals[DISPLAY_CHANGED] =
    g_signal_new ("display-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
lb_document_init (LbDocument *self)
{
  g_mutex_init (&self->slide_lock);
  self->slide_scale = 1.0;
  self->modality = LB_MODALITY_OTHER;
}

static void
emit_changed (LbDocument *self, LbDocumentChange change)
{
  g_signal_emit (self, signals[DISPLAY_CHANGED], 0, (guint) change);
}

/* Everything that needs the pixels, done in the loading thread. */
static void
lb_document_setup (LbDocument *self, LbImage *image, const char *file_name)
{
  self->image = image;
  lb_display_params_init (&self->display, image);
  self->presets = lb_display_presets (image);
  int min, max;
  lb_image_sample_range (image, &min, &max);
  double a = lb_image_modality_value (image, min), b = lb_image_modality_value (image, max);
  self->value_min = MIN (a, b);
  self->value_max = MAX (a, b);
  self->model_center = self->display.window_center;
  self->model_width = self->display.window_width;
  if (self->slide == NULL)
    {
      self->full_width = image->width;
      self->full_height = image->height;
    }
  self->modality = lb_modality_guess (image, file_name);
}

LbDocument *
lb_document_new_for_image (LbImage *image, const char *title)
{
  g_return_val_if_fail (image != NULL, NULL);

  LbDocument *self = g_object_new (LB_TYPE_DOCUMENT, NULL);
  self->title = g_strdup (title != NULL ? title : _("Untitled"));
  self->key = g_strdup (self->title);
  lb_document_setup (self, image, title);
  return self;
}

LbDocument *
lb_document_load (GFile *file, GError **error)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s: only local files can be opened"), uri);
      return NULL;
    }

  g_autoptr(LbDocument) self = g_object_new (LB_TYPE_DOCUMENT, NULL);
  self->file = g_object_ref (file);
  self->title = g_filename_display_basename (path);
  self->key = g_strdup (path);

  LbImage *image = NULL;
  /* A tiled TIFF or a vendor slide: through OpenSlide, when it has levels
   * worth navigating; anything else through the image loaders. */
  if (lb_slide_detect (path) != NULL)
    {
      g_autoptr(GError) slide_error = NULL;
      LbSlide *slide = lb_slide_open (path, &slide_error);
      if (slide != NULL)
        {
          gint64 w, h;
          lb_slide_level_size (slide, 0, &w, &h);
          if (w > 0 && h > 0)
            {
              image = lb_slide_read_overview (slide, LB_DOCUMENT_SLIDE_OVERVIEW, error);
              if (image == NULL)
                {
                  lb_slide_free (slide);
                  return NULL;
                }
              self->slide = slide;
              self->full_width = w;
              self->full_height = h;
              self->slide_scale = (double) w / image->width;
            }
          else
            lb_slide_free (slide);
        }
      else
        g_debug ("%s: not opened as a slide: %s", path, slide_error->message);
    }
  if (image == NULL)
    {
      image = lb_image_load (path, 0, error);
      if (image == NULL)
        return NULL;
    }
  lb_document_setup (self, image, self->title);
  return g_steal_pointer (&self);
}

static void
load_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  LbDocument *document = lb_document_load (G_FILE (task_data), &error);
  if (document == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, document, g_object_unref);
}

void
lb_document_load_async (GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_return_if_fail (G_IS_FILE (file));

  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_document_load_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  /* Decoding one image is short, bounded work: the shared pool suits it. */
  g_task_run_in_thread (task, load_thread);
}

LbDocument *
lb_document_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GFile *
lb_document_get_file (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return self->file;
}

const char *
lb_document_get_title (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return self->title;
}

const char *
lb_document_get_key (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return self->key;
}

const LbImage *
lb_document_get_image (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return self->image;
}

gboolean
lb_document_is_slide (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), FALSE);
  return self->slide != NULL;
}

double
lb_document_get_slide_scale (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), 1.0);
  return self->slide_scale;
}

void
lb_document_get_full_size (LbDocument *self, gint64 *width, gint64 *height)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));
  *width = self->full_width;
  *height = self->full_height;
}

const LbDisplayParams *
lb_document_get_display (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return &self->display;
}

void
lb_document_set_window (LbDocument *self, double center, double width)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  width = MAX (width, 1.0);
  if (center == self->display.window_center && width == self->display.window_width)
    return;
  self->display.window_center = center;
  self->display.window_width = width;
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WINDOW_CENTER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WINDOW_WIDTH]);
  g_object_thaw_notify (G_OBJECT (self));
  emit_changed (self, LB_DOCUMENT_CHANGE_WINDOW | (self->separate_model_window ? 0 : LB_DOCUMENT_CHANGE_MODEL));
}

gboolean
lb_document_get_invert (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), FALSE);
  return self->display.invert;
}

void
lb_document_set_invert (LbDocument *self, gboolean invert)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  invert = !!invert;
  if (invert == self->display.invert)
    return;
  self->display.invert = invert;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INVERT]);
  emit_changed (self, LB_DOCUMENT_CHANGE_WINDOW | LB_DOCUMENT_CHANGE_MODEL);
}

void
lb_document_rotate (LbDocument *self, int quarter_turns)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  /* A rotation after a single flip turns the other way on screen: keep the
   * rotation the user sees by rotating the other way in the parameters. */
  if (self->display.flip_horizontal != self->display.flip_vertical)
    quarter_turns = -quarter_turns;
  self->display.rotation = (guint) (((int) self->display.rotation + quarter_turns) % 4 + 4) % 4;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROTATION]);
  emit_changed (self, LB_DOCUMENT_CHANGE_GEOMETRY | LB_DOCUMENT_CHANGE_MODEL);
}

void
lb_document_flip (LbDocument *self, gboolean horizontal)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  if (horizontal)
    {
      self->display.flip_horizontal = !self->display.flip_horizontal;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLIP_HORIZONTAL]);
    }
  else
    {
      self->display.flip_vertical = !self->display.flip_vertical;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLIP_VERTICAL]);
    }
  emit_changed (self, LB_DOCUMENT_CHANGE_GEOMETRY | LB_DOCUMENT_CHANGE_MODEL);
}

void
lb_document_reset_display (LbDocument *self)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  lb_display_params_init (&self->display, self->image);
  g_object_freeze_notify (G_OBJECT (self));
  for (guint p = PROP_WINDOW_CENTER; p <= PROP_FLIP_VERTICAL; p++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[p]);
  g_object_thaw_notify (G_OBJECT (self));
  emit_changed (self, LB_DOCUMENT_CHANGE_WINDOW | LB_DOCUMENT_CHANGE_GEOMETRY | LB_DOCUMENT_CHANGE_MODEL);
}

GArray *
lb_document_get_presets (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  return self->presets;
}

void
lb_document_get_value_range (LbDocument *self, double *min, double *max)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));
  *min = self->value_min;
  *max = self->value_max;
}

LbModality
lb_document_get_modality (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), LB_MODALITY_OTHER);
  return self->modality;
}

void
lb_document_set_modality (LbDocument *self, LbModality modality)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));
  g_return_if_fail (modality < LB_N_MODALITIES);

  if (modality == self->modality)
    return;
  self->modality = modality;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODALITY]);
}

gboolean
lb_document_get_separate_model_window (LbDocument *self)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), FALSE);
  return self->separate_model_window;
}

void
lb_document_set_separate_model_window (LbDocument *self, gboolean separate)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  separate = !!separate;
  if (separate == self->separate_model_window)
    return;
  self->separate_model_window = separate;
  if (separate)
    {
      /* Start from what the user sees. */
      self->model_center = self->display.window_center;
      self->model_width = self->display.window_width;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEPARATE_MODEL_WINDOW]);
  emit_changed (self, LB_DOCUMENT_CHANGE_MODEL);
}

void
lb_document_get_model_window (LbDocument *self, double *center, double *width)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));
  *center = self->separate_model_window ? self->model_center : self->display.window_center;
  *width = self->separate_model_window ? self->model_width : self->display.window_width;
}

void
lb_document_set_model_window (LbDocument *self, double center, double width)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  if (!self->separate_model_window)
    {
      lb_document_set_window (self, center, width);
      return;
    }
  self->model_center = center;
  self->model_width = MAX (width, 1.0);
  emit_changed (self, LB_DOCUMENT_CHANGE_MODEL);
}

void
lb_document_get_model_input_params (LbDocument *self, const LbCrop *crop, LbModelInputParams *params)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));

  lb_model_input_params_init (params, self->image);
  params->display = self->display;
  lb_document_get_model_window (self, &params->display.window_center, &params->display.window_width);
  if (crop != NULL)
    {
      params->has_crop = TRUE;
      params->crop_x = crop->x;
      params->crop_y = crop->y;
      params->crop_width = crop->width;
      params->crop_height = crop->height;
    }
}

LbImage *
lb_document_read_slide_region (LbDocument *self, double x, double y, double width, double height,
                               double downsample, GError **error)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (self->slide != NULL, NULL);

  double s = self->slide_scale;
  g_mutex_lock (&self->slide_lock);
  guint level = lb_slide_best_level (self->slide, MAX (1.0, downsample));
  double ds = lb_slide_level_downsample (self->slide, level);
  guint w = MAX (1u, (guint) ceil (width * s / ds)), h = MAX (1u, (guint) ceil (height * s / ds));
  LbImage *region = lb_slide_read_region (self->slide, (gint64) floor (x * s), (gint64) floor (y * s),
                                          level, w, h, error);
  g_mutex_unlock (&self->slide_lock);
  return region;
}

typedef struct {
  LbModelInputParams params;
  guint size;
} BuildData;

/* A crop of a whole slide, read from the level that gives at least `size`
 * pixels across it, then shown with the same transform (no crop). */
static LbModelInput *
build_slide_crop (LbDocument *self, const LbModelInputParams *params, guint size, GError **error)
{
  const LbImage *overview = self->image;
  double x0, y0, x1, y1;
  lb_display_to_image (overview->width, overview->height, &params->display, params->crop_x,
                       params->crop_y, &x0, &y0);
  lb_display_to_image (overview->width, overview->height, &params->display,
                       params->crop_x + params->crop_width, params->crop_y + params->crop_height,
                       &x1, &y1);
  double s = self->slide_scale;
  gint64 lx = (gint64) floor (MIN (x0, x1) * s), ly = (gint64) floor (MIN (y0, y1) * s);
  double lw = fabs (x1 - x0) * s, lh = fabs (y1 - y0) * s;

  g_autoptr(LbImage) region = NULL;
  {
    g_mutex_lock (&self->slide_lock);
    guint level = lb_slide_best_level (self->slide, MAX (1.0, MAX (lw, lh) / size));
    double ds = lb_slide_level_downsample (self->slide, level);
    guint rw = MAX (1u, (guint) ceil (lw / ds)), rh = MAX (1u, (guint) ceil (lh / ds));
    region = lb_slide_read_region (self->slide, lx, ly, level, rw, rh, error);
    g_mutex_unlock (&self->slide_lock);
  }
  if (region == NULL)
    return NULL;

  LbModelInputParams region_params;
  lb_model_input_params_init (&region_params, region);
  region_params.display = params->display;
  return lb_model_input_build (region, &region_params, size, error);
}

LbModelInput *
lb_document_build_model_input (LbDocument *self, guint size, const LbCrop *crop, GError **error)
{
  g_return_val_if_fail (LB_IS_DOCUMENT (self), NULL);

  LbModelInputParams params;
  lb_document_get_model_input_params (self, crop, &params);
  if (crop != NULL && self->slide != NULL)
    return build_slide_crop (self, &params, size, error);
  return lb_model_input_build (self->image, &params, size, error);
}

static void
build_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LbDocument *self = source_object;
  BuildData *data = task_data;
  GError *error = NULL;
  LbModelInput *input;

  if (data->params.has_crop && self->slide != NULL)
    input = build_slide_crop (self, &data->params, data->size, &error);
  else
    input = lb_model_input_build (self->image, &data->params, data->size, &error);
  if (input == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, input, (GDestroyNotify) lb_model_input_free);
}

void
lb_document_build_model_input_async (LbDocument *self, guint size, const LbCrop *crop,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_return_if_fail (LB_IS_DOCUMENT (self));
  g_return_if_fail (size > 0);

  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_document_build_model_input_async);
  BuildData *data = g_new0 (BuildData, 1);
  /* The parameters are copied now: the user may go on changing them. */
  lb_document_get_model_input_params (self, crop, &data->params);
  data->size = size;
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, build_thread);
}

LbModelInput *
lb_document_build_model_input_finish (LbDocument *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
