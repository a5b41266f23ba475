/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The worker thread: its loop over the job queue, loading a model (the
 * GGUF files, the tokenizer, the backend), resetting and freeing
 * sessions' state, cancellation, and the image records it shares
 * between sessions. An ask runs in engine-ask.c.
 *
 * Threading: the engine's worker thread, except where a function says.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <string.h>

#include "engine/engine-private.h"

/* ---- images on the backend ------------------------------------------------------------ */

EngineImage *
lb_engine_image_ref (EngineImage *image)
{
  image->ref_count++;
  return image;
}

void
lb_engine_image_unref (EngineImage *image)
{
  if (image == NULL || --image->ref_count > 0)
    return;
  image->backend->free_image (image->image);
  g_free (image->key);
  g_free (image);
}

/* ---- the worker: helpers ----------------------------------------------------------------- */

gboolean
lb_engine_job_cancelled (LbEngine *engine, Job *job, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return TRUE;
  return g_cancellable_set_error_if_cancelled (engine->close_cancellable, error);
}

static void
forward_cancel (GCancellable *source, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

void
lb_engine_cancel_link_init (CancelLink *link, LbEngine *engine, Job *job)
{
  link->combined = g_cancellable_new ();
  link->job_cancellable = job->cancellable;
  link->close_cancellable = engine->close_cancellable;
  link->job_handler = job->cancellable != NULL
    ? g_cancellable_connect (job->cancellable, G_CALLBACK (forward_cancel), link->combined, NULL) : 0;
  link->close_handler = g_cancellable_connect (engine->close_cancellable, G_CALLBACK (forward_cancel),
                                               link->combined, NULL);
}

void
lb_engine_cancel_link_clear (CancelLink *link)
{
  if (link->job_handler != 0)
    g_cancellable_disconnect (link->job_cancellable, link->job_handler);
  if (link->close_handler != 0)
    g_cancellable_disconnect (link->close_cancellable, link->close_handler);
  g_clear_object (&link->combined);
}

static void
worker_clear_image_cache (Worker *w)
{
  EngineImage *image;

  while ((image = g_queue_pop_head (&w->image_cache)) != NULL)
    lb_engine_image_unref (image);
}

/* Frees a core's backend state and images (the model goes away). */
void
lb_engine_worker_release_core (Worker *w, SessionCore *core)
{
  if (core->state != NULL)
    g_clear_pointer (&core->state, w->backend->free_state);
  g_ptr_array_set_size (core->images, 0);
}

static void
worker_unload (LbEngine *engine)
{
  Worker *w = &engine->worker;
  g_autoptr(GPtrArray) cores = NULL;

  /* The main thread adds sessions to the list under the lock. */
  g_mutex_lock (&engine->lock);
  cores = g_ptr_array_copy (w->cores, NULL, NULL);
  g_mutex_unlock (&engine->lock);
  for (guint i = 0; i < cores->len; i++)
    lb_engine_worker_release_core (w, g_ptr_array_index (cores, i));
  worker_clear_image_cache (w);
  if (w->model != NULL)
    g_clear_pointer (&w->model, w->backend->free_model);
  g_clear_pointer (&w->meta, lb_engine_model_meta_unref);
}

static void
worker_update_peak (LbEngine *engine)
{
  Worker *w = &engine->worker;
  guint64 bytes = w->model != NULL ? w->backend->peak_device_bytes (w->model) : 0;

  g_mutex_lock (&engine->lock);
  engine->peak_device_bytes = MAX (engine->peak_device_bytes, bytes);
  g_mutex_unlock (&engine->lock);
}

/* ---- the worker: loading ------------------------------------------------------------------ */

typedef struct {
  LbEngine *engine;
  Job *job;
} ProgressData;

static void
load_progress_cb (guint64 done, guint64 total, gpointer data)
{
  ProgressData *p = data;

  lb_engine_post_progress (p->engine, p->job, done, total);
}

static gboolean
run_load (LbEngine *engine, Job *job, GError **error)
{
  Worker *w = &engine->worker;
  g_autoptr(LbGguf) text_gguf = NULL;
  g_autoptr(LbGguf) vision_gguf = NULL;
  g_autoptr(LbTokenizer) tokenizer = NULL;
  g_autoptr(LbChatFormat) format = NULL;
  LbTextConfig text;
  LbVisionConfig vision;
  LbEngineModelInfo info = { 0 };
  LbBackendLoadArgs args = { 0 };
  ProgressData progress = { engine, job };
  CancelLink link;
  const LbBackend *backend;
  LbBackendModel *model = NULL;
  ModelMeta *meta;
  double start = lb_engine_now_ms ();
  g_autoptr(GError) local_error = NULL;

  /* The old model goes first: the new one may need its memory. */
  worker_unload (engine);

  if (lb_engine_job_cancelled (engine, job, error))
    return FALSE;
  text_gguf = lb_gguf_open (job->model_path, error);
  if (text_gguf == NULL || !lb_text_config_load (text_gguf, &text, error))
    return FALSE;
  tokenizer = lb_tokenizer_new_from_gguf (text_gguf, error);
  if (tokenizer == NULL)
    return FALSE;
  memset (&vision, 0, sizeof vision);
  if (job->mmproj_path != NULL)
    {
      vision_gguf = lb_gguf_open (job->mmproj_path, error);
      if (vision_gguf == NULL || !lb_vision_config_load (vision_gguf, &vision, error) ||
          !lb_vision_config_matches_text (&vision, &text, job->mmproj_path, error))
        return FALSE;
    }
  format = lb_chat_format_new (tokenizer, vision_gguf != NULL ? vision.n_image_tokens : 0, error);
  if (format == NULL)
    return FALSE;

  args.text_gguf = text_gguf;
  args.vision_gguf = vision_gguf;
  args.text = &text;
  args.vision = vision_gguf != NULL ? &vision : NULL;
  args.context_length = engine->options.context_length != 0
    ? MIN (engine->options.context_length, text.n_ctx)
    : MIN (text.n_ctx, LB_ENGINE_DEFAULT_CONTEXT);
  args.batch_size = engine->options.batch_size != 0 ? engine->options.batch_size : 512;
  args.device = engine->options.device;
  args.skip_self_test = engine->options.skip_self_test;
  args.progress = load_progress_cb;
  args.progress_data = &progress;

  lb_engine_cancel_link_init (&link, engine, job);
  args.cancellable = link.combined;
  switch (engine->options.backend)
    {
    case LB_ENGINE_BACKEND_REF:
      backend = &lb_backend_ref;
      model = backend->load (&args, &info, error);
      break;
    case LB_ENGINE_BACKEND_VULKAN:
      backend = &lb_backend_vulkan;
      model = backend->load (&args, &info, error);
      break;
    case LB_ENGINE_BACKEND_AUTO:
    default:
      backend = &lb_backend_vulkan;
      model = backend->load (&args, &info, &local_error);
      if (model == NULL && g_error_matches (local_error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
        {
          g_message ("No usable Vulkan device (%s): using the reference backend on the CPU",
                     local_error->message);
          g_clear_error (&local_error);
          backend = &lb_backend_ref;
          model = backend->load (&args, &info, error);
        }
      else if (model == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      break;
    }
  lb_engine_cancel_link_clear (&link);
  if (model == NULL)
    return FALSE;

  w->backend = backend;
  w->model = model;
  w->generation++;

  meta = g_new0 (ModelMeta, 1);
  meta->ref_count = 1;
  meta->generation = w->generation;
  meta->model_path = g_strdup (job->model_path);
  meta->mmproj_path = g_strdup (job->mmproj_path);
  meta->device_name = g_strdup (info.device_name);
  meta->tokenizer = g_steal_pointer (&tokenizer);
  meta->format = g_steal_pointer (&format);
  meta->capture_layers = g_new (guint, text.n_layer);
  for (guint l = 0; l < text.n_layer; l++)
    if (lb_text_layer_is_global (&text, l))
      meta->capture_layers[meta->n_capture_layers++] = l;
  meta->info = info;
  meta->info.device_name = meta->device_name;
  meta->info.model_path = meta->model_path;
  meta->info.mmproj_path = meta->mmproj_path;
  meta->info.text = text;
  meta->info.has_vision = vision_gguf != NULL;
  meta->info.vision = vision;
  meta->info.context_length = args.context_length;
  meta->info.load_seconds = (lb_engine_now_ms () - start) / 1000.0;
  w->meta = meta;
  job->meta = lb_engine_model_meta_ref (meta);
  g_debug ("loaded %s (%s) on %s in %.2f s", job->model_path, backend->name, info.device_name,
           meta->info.load_seconds);
  return TRUE;
}

static void
run_reset (LbEngine *engine, Job *job)
{
  Worker *w = &engine->worker;
  SessionCore *core = job->core;

  lb_engine_core_clear_history (core);
  if (core->state != NULL && (core->generation != w->generation ||
                              !w->backend->truncate (core->state, 0)))
    lb_engine_worker_release_core (w, core);
}

static void
run_job (LbEngine *engine, Job *job)
{
  Worker *w = &engine->worker;
  GError *error = NULL;

  switch (job->kind)
    {
    case JOB_LOAD:
      if (!run_load (engine, job, &error))
        {
          worker_unload (engine);
          job->error = error;
        }
      worker_update_peak (engine);
      lb_engine_post_complete (engine, job);
      break;

    case JOB_ASK:
      if (!lb_engine_job_cancelled (engine, job, &error))
        lb_engine_run_ask (engine, job, &error);
      job->error = error;
      worker_update_peak (engine);
      lb_engine_post_complete (engine, job);
      break;

    case JOB_RESET:
      run_reset (engine, job);
      lb_engine_job_free (job);
      break;

    case JOB_FREE_SESSION:
      lb_engine_worker_release_core (w, job->core);
      g_mutex_lock (&engine->lock);
      g_ptr_array_remove_fast (w->cores, job->core);
      g_mutex_unlock (&engine->lock);
      lb_engine_core_free (job->core);
      lb_engine_job_free (job);
      break;

    case JOB_QUIT:
      g_assert_not_reached ();
    }
}

/* Worker thread. */
gpointer
lb_engine_worker_main (gpointer data)
{
  LbEngine *engine = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (engine->jobs);

      if (job->kind == JOB_QUIT)
        {
          lb_engine_job_free (job);
          break;
        }
      run_job (engine, job);
    }
  worker_unload (engine);
  return NULL;
}
