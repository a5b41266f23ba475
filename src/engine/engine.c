/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine object: LbEngine (creating, closing, loading a model from
 * the main thread, the model info), the small public helpers, the model
 * as both threads see it and the job record. The rest is in the files
 * engine-private.h lists: the events, the worker, sessions, an ask.
 *
 * Who touches what:
 *   - main thread: LbEngine/LbSession objects, GTasks, callbacks;
 *   - worker thread: everything in Worker and SessionCore, the backend;
 *   - both, under engine->lock: the event queue, the main-side model info,
 *     the peak memory figure, the closed flag.
 * A Job is written by the main thread before it is queued, then by the
 * worker until it posts the job's completion, then by the main thread
 * again, which frees it.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <string.h>

#include "engine/engine-private.h"
#include "vk/vk-context.h"

G_DEFINE_QUARK (lb-engine-error-quark, lb_engine_error)

/* ---- small public helpers -------------------------------------------------------- */

char *
lb_engine_describe_devices (GError **error)
{
  return lb_vk_list_devices (error);
}

const char *
lb_engine_backend_name (LbEngineBackend backend)
{
  switch (backend)
    {
    case LB_ENGINE_BACKEND_AUTO: return "auto";
    case LB_ENGINE_BACKEND_VULKAN: return "vulkan";
    case LB_ENGINE_BACKEND_REF: return "ref";
    default: return "unknown";
    }
}

gboolean
lb_engine_backend_from_name (const char *name, LbEngineBackend *out_backend)
{
  static const LbEngineBackend all[] = {
    LB_ENGINE_BACKEND_AUTO, LB_ENGINE_BACKEND_VULKAN, LB_ENGINE_BACKEND_REF,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_ascii_strcasecmp (name, lb_engine_backend_name (all[i])) == 0)
      {
        *out_backend = all[i];
        return TRUE;
      }
  return FALSE;
}

void
lb_engine_options_init (LbEngineOptions *options)
{
  memset (options, 0, sizeof *options);
  options->backend = LB_ENGINE_BACKEND_AUTO;
}

void
lb_sampling_params_init_greedy (LbSamplingParams *params)
{
  memset (params, 0, sizeof *params);
  params->top_p = 1.0f;
  params->repeat_penalty = 1.0f;
  params->repeat_last_n = 64;
}

void
lb_sampling_params_init_chat (LbSamplingParams *params, guint64 seed)
{
  lb_sampling_params_init_greedy (params);
  params->temperature = 1.0f;
  params->top_k = 64;
  params->top_p = 0.95f;
  params->seed = seed;
}

void
lb_ask_request_init (LbAskRequest *request)
{
  memset (request, 0, sizeof *request);
  lb_sampling_params_init_greedy (&request->sampling);
  request->stop_at_end_of_turn = TRUE;
}

/* ---- the loaded model, as both threads see it ----------------------------------- */

ModelMeta *
lb_engine_model_meta_ref (ModelMeta *meta)
{
  g_atomic_int_inc (&meta->ref_count);
  return meta;
}

void
lb_engine_model_meta_unref (ModelMeta *meta)
{
  if (meta == NULL || !g_atomic_int_dec_and_test (&meta->ref_count))
    return;
  lb_chat_format_free (meta->format);
  lb_tokenizer_free (meta->tokenizer);
  g_free (meta->model_path);
  g_free (meta->mmproj_path);
  g_free (meta->device_name);
  g_free (meta->capture_layers);
  g_free (meta);
}

/* ---- jobs ----------------------------------------------------------------------------- */

void
lb_engine_job_free (Job *job)
{
  if (job->progress_destroy != NULL)
    job->progress_destroy (job->progress_data);
  if (job->tokens_destroy != NULL)
    job->tokens_destroy (job->tokens_data);
  g_clear_object (&job->task);
  g_clear_object (&job->cancellable);
  g_free (job->model_path);
  g_free (job->mmproj_path);
  g_free (job->system);
  g_free (job->text);
  g_free (job->pixels);
  g_free (job->tokens);
  g_free (job->forced);
  g_clear_error (&job->error);
  g_clear_pointer (&job->meta, lb_engine_model_meta_unref);
  g_free (job);
}

/* ---- LbEngine ------------------------------------------------------------------------- */

G_DEFINE_FINAL_TYPE (LbEngine, lb_engine, G_TYPE_OBJECT)

void
lb_engine_queue_job (LbEngine *engine, Job *job)
{
  gboolean closed;

  g_mutex_lock (&engine->lock);
  closed = engine->closed;
  g_mutex_unlock (&engine->lock);

  if (closed)
    {
      if (job->task != NULL)
        {
          job->error = g_error_new (LB_ENGINE_ERROR, LB_ENGINE_ERROR_CLOSED, "the engine was closed");
          lb_engine_post_complete (engine, job);
        }
      else
        lb_engine_job_free (job);
      return;
    }
  g_async_queue_push (engine->jobs, job);
}

void
lb_engine_close (LbEngine *engine)
{
  Job *quit;

  g_return_if_fail (LB_IS_ENGINE (engine));

  g_mutex_lock (&engine->lock);
  if (engine->closed)
    {
      g_mutex_unlock (&engine->lock);
      return;
    }
  engine->closed = TRUE;
  g_mutex_unlock (&engine->lock);

  g_cancellable_cancel (engine->close_cancellable);
  quit = g_new0 (Job, 1);
  quit->kind = JOB_QUIT;
  g_async_queue_push (engine->jobs, quit);
  /* The worker frees every backend state before it exits; sessions still
   * alive keep their (now inert) cores until they go. */
  g_thread_join (g_steal_pointer (&engine->thread));
}

static void
lb_engine_dispose (GObject *object)
{
  LbEngine *engine = LB_ENGINE (object);

  if (engine->thread != NULL)
    lb_engine_close (engine);
  G_OBJECT_CLASS (lb_engine_parent_class)->dispose (object);
}

static void
lb_engine_finalize (GObject *object)
{
  LbEngine *engine = LB_ENGINE (object);
  Event *event;

  /* Events left over belong to jobs without tasks (their tasks would have
   * kept the engine alive). */
  while ((event = g_queue_pop_head (&engine->events)) != NULL)
    {
      if (event->kind == EVENT_COMPLETE)
        lb_engine_job_free (event->job);
      lb_engine_event_free (event);
    }
  g_async_queue_unref (engine->jobs);
  g_clear_object (&engine->close_cancellable);
  g_clear_pointer (&engine->meta, lb_engine_model_meta_unref);
  if (engine->worker.cores != NULL)
    g_ptr_array_unref (engine->worker.cores);
  g_main_context_unref (engine->context);
  g_free (engine->device_copy);
  g_mutex_clear (&engine->lock);
  G_OBJECT_CLASS (lb_engine_parent_class)->finalize (object);
}

static void
lb_engine_class_init (LbEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_engine_dispose;
  object_class->finalize = lb_engine_finalize;
}

static void
lb_engine_init (LbEngine *engine)
{
  g_mutex_init (&engine->lock);
  g_queue_init (&engine->events);
  engine->jobs = g_async_queue_new ();
  engine->close_cancellable = g_cancellable_new ();
  engine->worker.cores = g_ptr_array_new ();
}

LbEngine *
lb_engine_new (const LbEngineOptions *options, GError **error)
{
  g_autoptr(LbEngine) engine = g_object_new (LB_TYPE_ENGINE, NULL);

  if (options != NULL)
    engine->options = *options;
  else
    lb_engine_options_init (&engine->options);
  engine->device_copy = g_strdup (engine->options.device);
  engine->options.device = engine->device_copy;
  engine->context = options != NULL && options->main_context != NULL
    ? g_main_context_ref (options->main_context) : g_main_context_ref_thread_default ();
  engine->options.main_context = engine->context;

  engine->thread = g_thread_try_new ("lightbox-engine", lb_engine_worker_main, engine, error);
  if (engine->thread == NULL)
    {
      g_prefix_error (error, "cannot start the engine's worker thread: ");
      return NULL;
    }
  return g_steal_pointer (&engine);
}

void
lb_engine_load_async (LbEngine *engine, const char *model_path, const char *mmproj_path,
                      LbLoadProgressFunc progress, gpointer progress_data,
                      GDestroyNotify progress_destroy, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job;

  g_return_if_fail (LB_IS_ENGINE (engine));
  g_return_if_fail (model_path != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_LOAD;
  job->task = g_task_new (engine, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, lb_engine_load_async);
  g_task_set_check_cancellable (job->task, FALSE);
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->model_path = g_strdup (model_path);
  job->mmproj_path = g_strdup (mmproj_path);
  job->progress = progress;
  job->progress_data = progress_data;
  job->progress_destroy = progress_destroy;

  /* The model info describes the old model no longer. */
  g_mutex_lock (&engine->lock);
  g_clear_pointer (&engine->meta, lb_engine_model_meta_unref);
  g_mutex_unlock (&engine->lock);
  lb_engine_queue_job (engine, job);
}

gboolean
lb_engine_load_finish (LbEngine *engine, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, engine), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
lb_engine_sync_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  SyncData *sync = data;

  sync->result = g_object_ref (result);
  sync->done = TRUE;
}

void
lb_engine_sync_wait (LbEngine *engine, SyncData *sync)
{
  gboolean acquired = g_main_context_acquire (engine->context);

  g_return_if_fail (acquired);
  while (!sync->done)
    g_main_context_iteration (engine->context, TRUE);
  g_main_context_release (engine->context);
}

gboolean
lb_engine_load_sync (LbEngine *engine, const char *model_path, const char *mmproj_path,
                     LbLoadProgressFunc progress, gpointer progress_data,
                     GCancellable *cancellable, GError **error)
{
  SyncData sync = { 0 };
  gboolean ok;

  g_return_val_if_fail (LB_IS_ENGINE (engine), FALSE);

  g_main_context_push_thread_default (engine->context);
  lb_engine_load_async (engine, model_path, mmproj_path, progress, progress_data, NULL,
                        cancellable, lb_engine_sync_done_cb, &sync);
  lb_engine_sync_wait (engine, &sync);
  g_main_context_pop_thread_default (engine->context);
  ok = lb_engine_load_finish (engine, sync.result, error);
  g_object_unref (sync.result);
  return ok;
}

const LbEngineModelInfo *
lb_engine_get_model_info (LbEngine *engine)
{
  g_return_val_if_fail (LB_IS_ENGINE (engine), NULL);
  /* Written only by the main thread (complete_job), read here on it. */
  return engine->meta != NULL ? &engine->meta->info : NULL;
}

const LbTokenizer *
lb_engine_get_tokenizer (LbEngine *engine)
{
  g_return_val_if_fail (LB_IS_ENGINE (engine), NULL);
  return engine->meta != NULL ? engine->meta->tokenizer : NULL;
}

guint
lb_engine_get_image_size (LbEngine *engine)
{
  g_return_val_if_fail (LB_IS_ENGINE (engine), 0);
  return engine->meta != NULL && engine->meta->info.has_vision ? engine->meta->info.vision.image_size : 0;
}

guint
lb_engine_get_image_tokens (LbEngine *engine)
{
  g_return_val_if_fail (LB_IS_ENGINE (engine), 0);
  return engine->meta != NULL && engine->meta->info.has_vision
    ? engine->meta->info.vision.n_image_tokens : 0;
}

guint64
lb_engine_get_peak_device_bytes (LbEngine *engine)
{
  guint64 bytes;

  g_return_val_if_fail (LB_IS_ENGINE (engine), 0);
  g_mutex_lock (&engine->lock);
  bytes = engine->peak_device_bytes;
  g_mutex_unlock (&engine->lock);
  return bytes;
}
