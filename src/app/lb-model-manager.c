/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-model-manager.h"
#include "model/gguf.h"
#include "model/model-config.h"
#include "model/random-model.h"
#include "vk/vk-context.h"

G_DEFINE_ENUM_TYPE (LbModelState, lb_model_state,
  G_DEFINE_ENUM_VALUE (LB_MODEL_STATE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (LB_MODEL_STATE_LOADING, "loading"),
  G_DEFINE_ENUM_VALUE (LB_MODEL_STATE_READY, "ready"),
  G_DEFINE_ENUM_VALUE (LB_MODEL_STATE_FAILED, "failed"))

struct _LbModelManager
{
  GObject parent_instance;

  LbEngine *engine;
  LbEngineBackend engine_backend; /* the options the engine was made with */
  char *engine_device;

  LbModelState state;
  double progress;
  char *status;
  char *model_name;
  gboolean is_test_model;
  GError *error;
  char *text_path;
  char *mmproj_path;
  GCancellable *load_cancellable;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_PROGRESS,
  PROP_STATUS,
  PROP_MODEL_NAME,
  PROP_IS_TEST_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (LbModelManager, lb_model_manager, G_TYPE_OBJECT)

gboolean
lb_model_is_test_model (const char *general_name, guint32 n_embd, guint32 n_vocab)
{
  if (general_name != NULL && g_str_has_prefix (general_name, LB_RANDOM_MODEL_NAME_PREFIX))
    return TRUE;
  /* The smallest Gemma 3 (1B) is 1152 wide with 262144 tokens; anything
   * far smaller is a test model, whatever it calls itself. */
  return n_embd < 1024 || n_vocab < 32000;
}

static void
set_state (LbModelManager *self, LbModelState state, const char *status)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (status, self->status) != 0)
    {
      g_free (self->status);
      self->status = g_strdup (status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_progress (LbModelManager *self, double progress)
{
  if (progress == self->progress)
    return;
  self->progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
set_model (LbModelManager *self, const char *name, gboolean is_test)
{
  g_free (self->model_name);
  self->model_name = g_strdup (name);
  self->is_test_model = is_test;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_TEST_MODEL]);
}

/* ---- checking the files (worker thread) --------------------------------------------- */

typedef struct {
  char *text_path;
  char *mmproj_path;
  LbEngineBackend backend;
  char *device;
  /* Results of the check. */
  char *name;
  gboolean is_test;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->text_path);
  g_free (data->mmproj_path);
  g_free (data->device);
  g_free (data->name);
  g_free (data);
}

static void
check_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;

  g_autoptr(LbGguf) text = lb_gguf_open (data->text_path, &error);
  if (text == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  LbTextConfig text_config;
  if (!lb_text_config_load (text, &text_config, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_autoptr(LbGguf) mmproj = lb_gguf_open (data->mmproj_path, &error);
  if (mmproj == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  LbVisionConfig vision_config;
  if (!lb_vision_config_load (mmproj, &vision_config, &error)
      || !lb_vision_config_matches_text (&vision_config, &text_config, data->mmproj_path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  const char *name = NULL;
  if (lb_gguf_has_key (text, "general.name"))
    name = lb_gguf_get_string (text, "general.name", NULL);
  data->is_test = lb_model_is_test_model (name, text_config.n_embd, text_config.n_vocab);
  if (name != NULL && g_str_has_prefix (name, LB_RANDOM_MODEL_NAME_PREFIX))
    data->name = g_strdup (_("Demo model (random weights)"));
  else if (name != NULL && *name != '\0')
    data->name = data->is_test ? g_strdup_printf (_("%s (test model)"), name) : g_strdup (name);
  else
    {
      g_autofree char *base = g_path_get_basename (data->text_path);
      data->name = data->is_test ? g_strdup_printf (_("%s (test model)"), base) : g_steal_pointer (&base);
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- loading -------------------------------------------------------------------- */

static void
on_load_progress (LbEngine *engine, guint64 done, guint64 total, gpointer user_data)
{
  LbModelManager *self = user_data;
  if (self->state != LB_MODEL_STATE_LOADING || total == 0)
    return;
  double fraction = (double) done / total;
  set_progress (self, fraction);
  g_autofree char *status = g_strdup_printf (_("Loading model… %.0f %%"), 100 * fraction);
  set_state (self, LB_MODEL_STATE_LOADING, status);
}

static void
fail (LbModelManager *self, GTask *task, GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Cancelled by a newer load: that one owns the state now. */
      if (g_task_get_cancellable (task) == self->load_cancellable)
        set_state (self, LB_MODEL_STATE_NONE, _("No model loaded"));
    }
  else if (g_task_get_cancellable (task) == self->load_cancellable)
    {
      g_clear_error (&self->error);
      self->error = g_error_copy (error);
      set_state (self, LB_MODEL_STATE_FAILED, _("Model failed to load"));
    }
  g_task_return_error (task, error);
}

static void
on_engine_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  LbModelManager *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!lb_engine_load_finish (LB_ENGINE (source), result, &error))
    {
      fail (self, task, error);
      return;
    }
  if (g_task_get_cancellable (task) != self->load_cancellable)
    {
      /* A newer load was started meanwhile; it will replace this one. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Replaced by another load"));
      return;
    }
  set_progress (self, 1.0);
  set_model (self, data->name, data->is_test);
  const LbEngineModelInfo *info = lb_engine_get_model_info (self->engine);
  g_autofree char *status = g_strdup_printf ("%s · %s", data->name,
                                             info != NULL && info->device_name != NULL ? info->device_name : "");
  set_state (self, LB_MODEL_STATE_READY, status);
  g_task_return_boolean (task, TRUE);
}

static void
on_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbModelManager *self = LB_MODEL_MANAGER (source);
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      fail (self, task, error);
      return;
    }
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      fail (self, task, error);
      return;
    }

  /* The device and backend are options of the engine: a change makes a new one. */
  if (self->engine == NULL || self->engine_backend != data->backend
      || g_strcmp0 (self->engine_device, data->device) != 0)
    {
      if (self->engine != NULL)
        lb_engine_close (self->engine);
      g_clear_object (&self->engine);
      LbEngineOptions options;
      lb_engine_options_init (&options);
      options.backend = data->backend;
      options.device = data->device;
      self->engine = lb_engine_new (&options, &error);
      if (self->engine == NULL)
        {
          fail (self, task, error);
          return;
        }
      self->engine_backend = data->backend;
      g_free (self->engine_device);
      self->engine_device = g_strdup (data->device);
    }

  set_state (self, LB_MODEL_STATE_LOADING, _("Loading model…"));
  lb_engine_load_async (self->engine, data->text_path, data->mmproj_path, on_load_progress,
                        g_object_ref (self), g_object_unref, g_task_get_cancellable (task),
                        on_engine_loaded, g_object_ref (task));
}

void
lb_model_manager_load_async (LbModelManager *self, const char *text_path, const char *mmproj_path,
                             LbEngineBackend backend, const char *device, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (LB_IS_MODEL_MANAGER (self));
  g_return_if_fail (text_path != NULL);

  lb_model_manager_cancel_load (self);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();

  g_autoptr(GTask) task = g_task_new (self, self->load_cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_model_manager_load_async);

  if (mmproj_path == NULL || *mmproj_path == '\0')
    {
      g_autoptr(GError) error = g_error_new (LB_ENGINE_ERROR, LB_ENGINE_ERROR_BAD_MODEL,
                                             _("Choose the vision projector (mmproj) file too: "
                                               "without it the model cannot see images"));
      fail (self, task, g_steal_pointer (&error));
      return;
    }

  LoadData *data = g_new0 (LoadData, 1);
  data->text_path = g_strdup (text_path);
  data->mmproj_path = g_strdup (mmproj_path);
  data->backend = backend;
  data->device = device != NULL && *device != '\0' ? g_strdup (device) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);

  g_free (self->text_path);
  self->text_path = g_strdup (text_path);
  g_free (self->mmproj_path);
  self->mmproj_path = g_strdup (mmproj_path);
  g_clear_error (&self->error);
  set_progress (self, 0);
  set_state (self, LB_MODEL_STATE_LOADING, _("Checking the model files…"));

  /* Checking reads the files' headers (the tokenizer alone is megabytes). */
  g_autoptr(GTask) check = g_task_new (self, self->load_cancellable, on_checked, g_steal_pointer (&task));
  g_task_set_task_data (check, data, NULL);
  g_task_run_in_thread (check, check_thread);
}

gboolean
lb_model_manager_load_finish (LbModelManager *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
lb_model_manager_cancel_load (LbModelManager *self)
{
  g_return_if_fail (LB_IS_MODEL_MANAGER (self));
  if (self->load_cancellable != NULL && self->state == LB_MODEL_STATE_LOADING)
    g_cancellable_cancel (self->load_cancellable);
}

void
lb_model_manager_report_lost (LbModelManager *self, const GError *error)
{
  g_return_if_fail (LB_IS_MODEL_MANAGER (self));
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  set_state (self, LB_MODEL_STATE_FAILED, _("The GPU was lost"));
}

/* ---- devices ------------------------------------------------------------------- */

static void
list_devices_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autofree char *text = lb_vk_list_devices (&error);
  if (text == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_auto(GStrv) lines = g_strsplit (g_strstrip (text), "\n", -1);
  GPtrArray *devices = g_ptr_array_new ();
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* "0: NAME (type), score S[, unusable: why]": the score is noise here. */
      char *score = g_strrstr (lines[i], ", score ");
      if (score != NULL)
        {
          char *unusable = strstr (score, ", unusable: ");
          if (unusable != NULL)
            memmove (score, unusable, strlen (unusable) + 1);
          else
            *score = '\0';
        }
      if (*lines[i] != '\0')
        g_ptr_array_add (devices, g_strdup (lines[i]));
    }
  g_ptr_array_add (devices, NULL);
  g_task_return_pointer (task, g_ptr_array_free (devices, FALSE), (GDestroyNotify) g_strfreev);
}

void
lb_model_manager_list_devices_async (LbModelManager *self, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (LB_IS_MODEL_MANAGER (self));
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_model_manager_list_devices_async);
  g_task_run_in_thread (task, list_devices_thread);
}

GStrv
lb_model_manager_list_devices_finish (LbModelManager *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- getters ------------------------------------------------------------------- */

LbModelState
lb_model_manager_get_state (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), LB_MODEL_STATE_NONE);
  return self->state;
}

double
lb_model_manager_get_progress (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), 0);
  return self->progress;
}

const char *
lb_model_manager_get_status (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->status;
}

const char *
lb_model_manager_get_model_name (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->model_name;
}

gboolean
lb_model_manager_get_is_test_model (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), TRUE);
  return self->is_test_model;
}

const GError *
lb_model_manager_get_error (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->error;
}

const char *
lb_model_manager_get_text_path (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->text_path;
}

const char *
lb_model_manager_get_mmproj_path (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->mmproj_path;
}

LbEngine *
lb_model_manager_get_engine (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  return self->state == LB_MODEL_STATE_READY ? self->engine : NULL;
}

guint
lb_model_manager_get_image_size (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), 0);
  LbEngine *engine = lb_model_manager_get_engine (self);
  return engine != NULL ? lb_engine_get_image_size (engine) : 0;
}

LbSession *
lb_model_manager_new_session (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);
  LbEngine *engine = lb_model_manager_get_engine (self);
  return engine != NULL ? lb_engine_new_session (engine) : NULL;
}

static char *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}

char *
lb_model_manager_describe (LbModelManager *self)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (self), NULL);

  LbEngine *engine = lb_model_manager_get_engine (self);
  const LbEngineModelInfo *info = engine != NULL ? lb_engine_get_model_info (engine) : NULL;
  if (info == NULL)
    return g_strdup (self->status != NULL ? self->status : _("No model loaded"));

  GString *s = g_string_new (NULL);
  g_autofree char *weights = format_bytes (info->weight_bytes);
  g_autofree char *device_bytes = format_bytes (info->device_bytes);
  g_autofree char *text_name = g_path_get_basename (info->model_path);
  g_string_append_printf (s, _("Model: %s\n"), self->model_name);
  g_string_append_printf (s, _("Text model: %s\n"), text_name);
  if (info->mmproj_path != NULL)
    {
      g_autofree char *mmproj_name = g_path_get_basename (info->mmproj_path);
      g_string_append_printf (s, _("Vision projector: %s (%u px, %u image tokens)\n"), mmproj_name,
                              info->vision.image_size, info->vision.n_image_tokens);
    }
  g_string_append_printf (s, _("Layers: %u, width %u, vocabulary %u\n"), info->text.n_layer,
                          info->text.n_embd, info->text.n_vocab);
  g_string_append_printf (s, _("Device: %s (%s)\n"), info->device_name, lb_engine_backend_name (info->backend));
  g_string_append_printf (s, _("Weights: %s; on the device: %s\n"), weights, device_bytes);
  g_string_append_printf (s, _("Context: %u positions\n"), info->context_length);
  g_string_append_printf (s, _("Loaded in %.1f s"), info->load_seconds);
  if (info->self_test_ran)
    g_string_append_printf (s, _("; self-test passed (largest difference %.2g)"), info->self_test_max_error);
  if (self->is_test_model)
    g_string_append_printf (s, "\n%s", _("A random test model: its output is noise."));
  return g_string_free (s, FALSE);
}

/* ---- class ---------------------------------------------------------------------- */

static void
lb_model_manager_dispose (GObject *object)
{
  LbModelManager *self = LB_MODEL_MANAGER (object);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  if (self->engine != NULL)
    lb_engine_close (self->engine);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (lb_model_manager_parent_class)->dispose (object);
}

static void
lb_model_manager_finalize (GObject *object)
{
  LbModelManager *self = LB_MODEL_MANAGER (object);

  g_free (self->engine_device);
  g_free (self->status);
  g_free (self->model_name);
  g_clear_error (&self->error);
  g_free (self->text_path);
  g_free (self->mmproj_path);

  G_OBJECT_CLASS (lb_model_manager_parent_class)->finalize (object);
}

static void
lb_model_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbModelManager *self = LB_MODEL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_IS_TEST_MODEL:
      g_value_set_boolean (value, self->is_test_model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_model_manager_class_init (LbModelManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_model_manager_dispose;
  object_class->finalize = lb_model_manager_finalize;
  object_class->get_property = lb_model_manager_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LB_TYPE_MODEL_STATE, LB_MODEL_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_NAME] =
    g_param_spec_string ("model-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_TEST_MODEL] =
    g_param_spec_boolean ("is-test-model", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lb_model_manager_init (LbModelManager *self)
{
  self->status = g_strdup (_("No model loaded"));
}

LbModelManager *
lb_model_manager_new (void)
{
  return g_object_new (LB_TYPE_MODEL_MANAGER, NULL);
}
