/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's machinery: the worker thread and its job queue, the event
 * queue that carries progress, tokens and completions back to the main
 * context in batches, conversations (sessions) with their history, and
 * sampling from the candidates a backend reduces the logits to.
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

#include <math.h>
#include <string.h>

#include "engine/engine-backend.h"
#include "engine/engine.h"
#include "model/chat-format.h"
#include "model/sampler.h"
#include "vk/vk-context.h"

G_DEFINE_QUARK (lb-engine-error-quark, lb_engine_error)

/* Image embeddings kept per model, most recently used first. */
#define IMAGE_CACHE_SIZE 4
/* The repeat penalty looks at no more than this many distinct tokens. */
#define MAX_PENALTY_TOKENS 64

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

/* Immutable once made; shared by reference between the worker and the
 * main thread (atomic refcount). */
typedef struct {
  gint ref_count;
  guint generation;
  LbEngineModelInfo info;
  char *model_path;
  char *mmproj_path;
  char *device_name;
  LbTokenizer *tokenizer;
  LbChatFormat *format;
  guint *capture_layers;     /* the global-attention layers */
  guint n_capture_layers;
} ModelMeta;

static ModelMeta *
model_meta_ref (ModelMeta *meta)
{
  g_atomic_int_inc (&meta->ref_count);
  return meta;
}

static void
model_meta_unref (ModelMeta *meta)
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

/* ---- worker-side records ------------------------------------------------------------ */

/* One image's embeddings on the backend, shared by the cache and the
 * histories of the sessions that saw it. Worker thread only. */
typedef struct {
  guint ref_count;
  char *key;                 /* SHA-256 of the pixels and their size */
  LbBackendImage *image;
  const LbBackend *backend;
} EngineImage;

static EngineImage *
engine_image_ref (EngineImage *image)
{
  image->ref_count++;
  return image;
}

static void
engine_image_unref (EngineImage *image)
{
  if (image == NULL || --image->ref_count > 0)
    return;
  image->backend->free_image (image->image);
  g_free (image->key);
  g_free (image);
}

/* A conversation's worker-side state. Created on the main thread with the
 * session, then touched only by the worker (freed by it, or by the main
 * thread once the worker has exited). */
typedef struct {
  guint generation;          /* the model it is bound to; 0: none yet */
  LbBackendState *state;
  guint capacity;
  /* What the context holds, to rebuild it: ids, LB_IMAGE_POSITION for
   * image positions; one EngineImage per run of image positions. */
  GArray *history;           /* gint32 */
  GPtrArray *images;         /* EngineImage* */
  gint32 pending_token;      /* sampled last, not yet in the context; -1: none */
  gboolean needs_rebuild;    /* the backend state lost positions the history still has */
  guint image_first;         /* the last image's positions, for attention capture */
  guint image_n;
} SessionCore;

static SessionCore *
session_core_new (void)
{
  SessionCore *core = g_new0 (SessionCore, 1);

  core->history = g_array_new (FALSE, FALSE, sizeof (gint32));
  core->images = g_ptr_array_new_with_free_func ((GDestroyNotify) engine_image_unref);
  core->pending_token = -1;
  return core;
}

static void
session_core_free (SessionCore *core)
{
  g_array_unref (core->history);
  g_ptr_array_unref (core->images);
  g_free (core);
}

static void
session_core_clear_history (SessionCore *core)
{
  g_array_set_size (core->history, 0);
  g_ptr_array_set_size (core->images, 0);
  core->pending_token = -1;
  core->needs_rebuild = FALSE;
  core->image_first = core->image_n = 0;
}

/* ---- jobs and events --------------------------------------------------------------- */

typedef enum {
  JOB_LOAD,
  JOB_ASK,
  JOB_RESET,
  JOB_FREE_SESSION,
  JOB_QUIT,
} JobKind;

typedef struct {
  JobKind kind;
  GTask *task;               /* NULL for reset, free and quit */
  GCancellable *cancellable; /* may be NULL */
  SessionCore *core;
  LbSession *session;        /* borrowed: the task holds a reference */

  /* load */
  char *model_path;
  char *mmproj_path;
  LbLoadProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_destroy;

  /* ask */
  char *system;
  char *text;
  guint8 *pixels;            /* [S][S][3] or NULL */
  guint image_size;          /* S */
  gint32 *tokens;            /* raw prompt or NULL */
  guint n_tokens;
  gint32 *forced;            /* teacher-forced answer or NULL */
  guint n_forced;
  LbAskRequest request;      /* pointers cleared: the copies above */
  LbTokenBatchFunc on_tokens;
  gpointer tokens_data;
  GDestroyNotify tokens_destroy;

  /* results, written by the worker before it posts the completion */
  GError *error;
  LbAskStats stats;
  guint n_past;
  guint capacity;
  ModelMeta *meta;
} Job;

static void
job_free (Job *job)
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
  g_clear_pointer (&job->meta, model_meta_unref);
  g_free (job);
}

typedef enum {
  EVENT_PROGRESS,
  EVENT_TOKENS,
  EVENT_COMPLETE,
} EventKind;

typedef struct {
  EventKind kind;
  Job *job;
  /* progress */
  guint64 done, total;
  /* tokens */
  guint first_index;
  GArray *ids;               /* gint32 */
  GString *text;
  GArray *text_ends;         /* gsize */
  guint n_image_positions;
  GArray *attention;         /* float */
  guint n_top;
  GArray *top;               /* LbTokenLogit */
  gboolean last;
} Event;

static void
event_free (Event *event)
{
  if (event->ids != NULL)
    g_array_unref (event->ids);
  if (event->text != NULL)
    g_string_free (event->text, TRUE);
  if (event->text_ends != NULL)
    g_array_unref (event->text_ends);
  if (event->attention != NULL)
    g_array_unref (event->attention);
  if (event->top != NULL)
    g_array_unref (event->top);
  g_free (event);
}

/* ---- the objects ------------------------------------------------------------------- */

typedef struct {
  /* Worker thread only. */
  const LbBackend *backend;
  LbBackendModel *model;
  ModelMeta *meta;
  guint generation;
  GQueue image_cache;        /* EngineImage*, most recent first */
  GPtrArray *cores;          /* SessionCore* alive */
} Worker;

struct _LbEngine {
  GObject parent_instance;

  LbEngineOptions options;   /* device points at device_copy */
  char *device_copy;
  GMainContext *context;
  GThread *thread;
  GAsyncQueue *jobs;         /* Job* */
  GCancellable *close_cancellable;
  Worker worker;

  GMutex lock;               /* protects the fields below */
  GQueue events;             /* Event* */
  gboolean dispatch_pending;
  gboolean closed;
  ModelMeta *meta;           /* the main side's view of the loaded model */
  guint64 peak_device_bytes;
};

G_DEFINE_FINAL_TYPE (LbEngine, lb_engine, G_TYPE_OBJECT)

struct _LbSession {
  GObject parent_instance;
  LbEngine *engine;
  SessionCore *core;
  guint n_past;              /* mirrors of the worker's figures after each ask */
  guint capacity;
};

G_DEFINE_FINAL_TYPE (LbSession, lb_session, G_TYPE_OBJECT)

/* ---- the event queue ------------------------------------------------------------------ */

static void deliver_events (LbEngine *engine);

static gboolean
dispatch_events_cb (gpointer data)
{
  deliver_events (LB_ENGINE (data));
  return G_SOURCE_REMOVE;
}

/* Queues an event, merging it into the last one when it continues it, and
 * makes sure one dispatch is scheduled on the main context. Any thread. */
static void
post_event (LbEngine *engine, Event *event)
{
  gboolean schedule = FALSE;

  g_mutex_lock (&engine->lock);
  g_queue_push_tail (&engine->events, event);
  if (!engine->dispatch_pending)
    engine->dispatch_pending = schedule = TRUE;
  g_mutex_unlock (&engine->lock);

  if (schedule)
    {
      /* An idle source, never g_main_context_invoke: that could run the
       * callback right here on the worker when the context is free. */
      GSource *source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, dispatch_events_cb, g_object_ref (engine), g_object_unref);
      g_source_set_static_name (source, "[lightbox] engine events");
      g_source_attach (source, engine->context);
      g_source_unref (source);
    }
}

/* Load progress: replaces a progress event of the same job still waiting. Worker. */
static void
post_progress (LbEngine *engine, Job *job, guint64 done, guint64 total)
{
  Event *event;

  g_mutex_lock (&engine->lock);
  event = g_queue_peek_tail (&engine->events);
  if (event != NULL && event->kind == EVENT_PROGRESS && event->job == job)
    {
      event->done = done;
      event->total = total;
      g_mutex_unlock (&engine->lock);
      return;
    }
  g_mutex_unlock (&engine->lock);

  event = g_new0 (Event, 1);
  event->kind = EVENT_PROGRESS;
  event->job = job;
  event->done = done;
  event->total = total;
  post_event (engine, event);
}

/* One generated token with its text and optional rows. Appends to the
 * token event of the same job still waiting, if any. Worker. */
static void
post_token (LbEngine *engine, Job *job, guint index, gint32 id, const char *text, gsize text_length,
            const float *attention, guint n_image_positions, const LbTokenLogit *top, guint n_top,
            gboolean last)
{
  Event *event;
  gboolean fresh = FALSE;

  g_mutex_lock (&engine->lock);
  event = g_queue_peek_tail (&engine->events);
  if (event == NULL || event->kind != EVENT_TOKENS || event->job != job)
    {
      event = g_new0 (Event, 1);
      event->kind = EVENT_TOKENS;
      event->job = job;
      event->first_index = index;
      event->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      event->text = g_string_new (NULL);
      event->text_ends = g_array_new (FALSE, FALSE, sizeof (gsize));
      event->n_image_positions = attention != NULL ? n_image_positions : 0;
      event->attention = g_array_new (FALSE, FALSE, sizeof (float));
      event->n_top = n_top;
      event->top = g_array_new (FALSE, FALSE, sizeof (LbTokenLogit));
      fresh = TRUE;
    }
  g_array_append_val (event->ids, id);
  g_string_append_len (event->text, text, (gssize) text_length);
  g_array_append_val (event->text_ends, event->text->len);
  if (event->n_image_positions > 0)
    {
      if (attention != NULL)
        g_array_append_vals (event->attention, attention, n_image_positions);
      else
        g_array_set_size (event->attention, event->attention->len + event->n_image_positions);
    }
  if (n_top > 0)
    g_array_append_vals (event->top, top, n_top);
  event->last = last;
  if (!fresh)
    {
      g_mutex_unlock (&engine->lock);
      return;
    }
  g_mutex_unlock (&engine->lock);
  post_event (engine, event);
}

static void
post_complete (LbEngine *engine, Job *job)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_COMPLETE;
  event->job = job;
  post_event (engine, event);
}

static void
complete_job (LbEngine *engine, Job *job)
{
  switch (job->kind)
    {
    case JOB_LOAD:
      if (job->error == NULL)
        {
          g_mutex_lock (&engine->lock);
          g_clear_pointer (&engine->meta, model_meta_unref);
          engine->meta = g_steal_pointer (&job->meta);
          g_mutex_unlock (&engine->lock);
          g_task_return_boolean (job->task, TRUE);
        }
      else
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      break;

    case JOB_ASK:
      if (job->session != NULL && job->capacity > 0)
        {
          job->session->n_past = job->n_past;
          job->session->capacity = job->capacity;
        }
      if (job->error == NULL)
        g_task_return_pointer (job->task, g_memdup2 (&job->stats, sizeof job->stats), g_free);
      else
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      break;

    default:
      break;
    }
  job_free (job);
}

/* Delivers everything queued since the last dispatch. Main context. */
static void
deliver_events (LbEngine *engine)
{
  GQueue events = G_QUEUE_INIT;
  Event *event;

  g_mutex_lock (&engine->lock);
  events = engine->events;
  g_queue_init (&engine->events);
  engine->dispatch_pending = FALSE;
  g_mutex_unlock (&engine->lock);

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      Job *job = event->job;

      switch (event->kind)
        {
        case EVENT_PROGRESS:
          if (job->progress != NULL)
            job->progress (engine, event->done, event->total, job->progress_data);
          break;

        case EVENT_TOKENS:
          if (job->on_tokens != NULL)
            {
              LbTokenBatch batch = {
                .first_index = event->first_index,
                .n_tokens = event->ids->len,
                .ids = (const gint32 *) (gpointer) event->ids->data,
                .text = event->text->str,
                .text_length = event->text->len,
                .text_ends = (const gsize *) (gpointer) event->text_ends->data,
                .last = event->last,
                .n_image_positions = event->n_image_positions,
                .attention = event->n_image_positions > 0
                  ? (const float *) (gpointer) event->attention->data : NULL,
                .n_top = event->n_top,
                .top = event->n_top > 0 ? (const LbTokenLogit *) (gpointer) event->top->data : NULL,
              };
              job->on_tokens (job->session, &batch, job->tokens_data);
            }
          break;

        case EVENT_COMPLETE:
          complete_job (engine, job);
          break;
        }
      event_free (event);
    }
}

/* ---- the worker: helpers ----------------------------------------------------------------- */

static double
now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

static gboolean
job_cancelled (LbEngine *engine, Job *job, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return TRUE;
  return g_cancellable_set_error_if_cancelled (engine->close_cancellable, error);
}

/* Cancels the backend's long loops when either the job's cancellable or
 * the engine's close fires: a cancellable per job that follows both. */
typedef struct {
  GCancellable *combined;
  gulong job_handler;
  gulong close_handler;
  GCancellable *job_cancellable;
  GCancellable *close_cancellable;
} CancelLink;

static void
forward_cancel (GCancellable *source, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
cancel_link_init (CancelLink *link, LbEngine *engine, Job *job)
{
  link->combined = g_cancellable_new ();
  link->job_cancellable = job->cancellable;
  link->close_cancellable = engine->close_cancellable;
  link->job_handler = job->cancellable != NULL
    ? g_cancellable_connect (job->cancellable, G_CALLBACK (forward_cancel), link->combined, NULL) : 0;
  link->close_handler = g_cancellable_connect (engine->close_cancellable, G_CALLBACK (forward_cancel),
                                               link->combined, NULL);
}

static void
cancel_link_clear (CancelLink *link)
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
    engine_image_unref (image);
}

/* Frees a core's backend state and images (the model goes away). */
static void
worker_release_core (Worker *w, SessionCore *core)
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
    worker_release_core (w, g_ptr_array_index (cores, i));
  worker_clear_image_cache (w);
  if (w->model != NULL)
    g_clear_pointer (&w->model, w->backend->free_model);
  g_clear_pointer (&w->meta, model_meta_unref);
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

  post_progress (p->engine, p->job, done, total);
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
  double start = now_ms ();
  g_autoptr(GError) local_error = NULL;

  /* The old model goes first: the new one may need its memory. */
  worker_unload (engine);

  if (job_cancelled (engine, job, error))
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

  cancel_link_init (&link, engine, job);
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
  cancel_link_clear (&link);
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
  meta->info.load_seconds = (now_ms () - start) / 1000.0;
  w->meta = meta;
  job->meta = model_meta_ref (meta);
  g_debug ("loaded %s (%s) on %s in %.2f s", job->model_path, backend->name, info.device_name,
           meta->info.load_seconds);
  return TRUE;
}

/* ---- the worker: conversations ------------------------------------------------------------ */

/* Appends a run of the history (or a prompt) to the backend state:
 * tokens, or one image for a run of LB_IMAGE_POSITION. */
static gboolean
feed_positions (Worker *w, SessionCore *core, const gint32 *ids, guint n, EngineImage *const *images,
                guint *image_index, GCancellable *cancellable, GError **error)
{
  guint i = 0;

  while (i < n)
    {
      guint j = i;

      if (ids[i] == LB_IMAGE_POSITION)
        {
          EngineImage *image = images[(*image_index)++];
          guint first = w->backend->n_past (core->state);

          while (j < n && ids[j] == LB_IMAGE_POSITION)
            j++;
          if (!w->backend->prefill_image (core->state, image->image, cancellable, error))
            return FALSE;
          core->image_first = first;
          core->image_n = j - i;
        }
      else
        {
          while (j < n && ids[j] != LB_IMAGE_POSITION)
            j++;
          if (!w->backend->prefill_tokens (core->state, ids + i, j - i, cancellable, error))
            return FALSE;
        }
      i = j;
    }
  return TRUE;
}

/* Replays the whole history into a fresh context. */
static gboolean
rebuild_context (Worker *w, SessionCore *core, GCancellable *cancellable, GError **error)
{
  guint image_index = 0;

  if (!w->backend->truncate (core->state, 0))
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_FAILED,
                   "the %s backend cannot clear a context", w->backend->name);
      return FALSE;
    }
  core->image_first = core->image_n = 0;
  if (!feed_positions (w, core, (const gint32 *) (gpointer) core->history->data, core->history->len,
                       (EngineImage *const *) core->images->pdata, &image_index, cancellable, error))
    {
      w->backend->truncate (core->state, 0);
      return FALSE;
    }
  core->needs_rebuild = FALSE;
  return TRUE;
}

/* Brings the context back to n_past positions after a failed prefill. */
static void
roll_back (Worker *w, SessionCore *core, guint n_past, guint image_first, guint image_n)
{
  if (core->state == NULL)
    return;
  if (!w->backend->truncate (core->state, n_past))
    core->needs_rebuild = TRUE;
  core->image_first = image_first;
  core->image_n = image_n;
}

static EngineImage *
encode_image (LbEngine *engine, Job *job, GCancellable *cancellable, gboolean *out_cached,
              GError **error)
{
  Worker *w = &engine->worker;
  const LbVisionConfig *vision = &w->meta->info.vision;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree float *pixels = NULL;
  g_autofree char *key = NULL;
  guint32 size = job->image_size;
  LbModelInput input = { 0 };
  EngineImage *image;
  LbBackendImage *encoded;

  g_checksum_update (checksum, (const guchar *) &size, sizeof size);
  g_checksum_update (checksum, job->pixels, (gssize) size * size * 3);
  key = g_strdup (g_checksum_get_string (checksum));
  for (GList *l = w->image_cache.head; l != NULL; l = l->next)
    {
      image = l->data;
      if (strcmp (image->key, key) == 0)
        {
          /* Most recently used first. */
          g_queue_unlink (&w->image_cache, l);
          g_queue_push_head_link (&w->image_cache, l);
          *out_cached = TRUE;
          return engine_image_ref (image);
        }
    }

  *out_cached = FALSE;
  input.size = size;
  input.rgb = job->pixels;
  pixels = g_try_new (float, (gsize) 3 * size * size);
  if (pixels == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY,
                   "not enough memory for a %u×%u image", size, size);
      return NULL;
    }
  lb_model_input_to_float (&input, vision->image_mean, vision->image_std, pixels);
  encoded = w->backend->encode_image (w->model, pixels, cancellable, error);
  if (encoded == NULL)
    return NULL;

  image = g_new0 (EngineImage, 1);
  image->ref_count = 1;
  image->key = g_steal_pointer (&key);
  image->image = encoded;
  image->backend = w->backend;
  g_queue_push_head (&w->image_cache, engine_image_ref (image));
  while (w->image_cache.length > IMAGE_CACHE_SIZE)
    engine_image_unref (g_queue_pop_tail (&w->image_cache));
  return image;
}

/* The prompt tokens of an ask: raw, a first turn or a follow-up. */
static GArray *
build_prompt (Worker *w, SessionCore *core, Job *job, GError **error)
{
  const LbChatFormat *format = w->meta->format;
  guint n_images = job->pixels != NULL ? 1 : 0;
  GArray *prompt;
  g_autoptr(GError) local_error = NULL;

  if (job->tokens != NULL)
    {
      prompt = g_array_sized_new (FALSE, FALSE, sizeof (gint32), job->n_tokens + 1);
      /* Raw prompts continue exactly where the context ends. */
      if (core->pending_token >= 0)
        g_array_append_val (prompt, core->pending_token);
      g_array_append_vals (prompt, job->tokens, job->n_tokens);
      return prompt;
    }

  if (core->history->len == 0)
    {
      LbChatMessage message = { .role = LB_CHAT_ROLE_USER, .text = job->text, .n_images = n_images };
      prompt = lb_chat_format_prompt (format, job->system, &message, 1, &local_error);
    }
  else
    {
      GArray *follow_up = lb_chat_format_follow_up (format, job->text, n_images, &local_error);
      if (follow_up == NULL)
        prompt = NULL;
      else
        {
          /* The follow-up closes the model's turn itself; a reply cut short
           * (no stop token) keeps its last token. */
          prompt = g_array_sized_new (FALSE, FALSE, sizeof (gint32), follow_up->len + 1);
          if (core->pending_token >= 0 && !lb_chat_format_is_stop (format, core->pending_token))
            g_array_append_val (prompt, core->pending_token);
          g_array_append_vals (prompt, follow_up->data, follow_up->len);
          g_array_unref (follow_up);
        }
    }
  if (prompt == NULL)
    g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID, "cannot build the prompt: %s",
                 local_error->message);
  return prompt;
}

/* Checks the prompt's image slots: one run of exactly n_image_tokens
 * positions per image given, no slot without an image. */
static gboolean
check_image_slots (Worker *w, Job *job, const GArray *prompt, GError **error)
{
  const gint32 *ids = (const gint32 *) (gpointer) prompt->data;
  guint n_image_tokens = w->meta->info.has_vision ? w->meta->info.vision.n_image_tokens : 0;
  guint n_runs = 0;
  const guint n_vocab = w->meta->info.text.n_vocab;

  for (guint i = 0; i < prompt->len; i++)
    {
      if (ids[i] == LB_IMAGE_POSITION)
        {
          guint j = i;
          while (j < prompt->len && ids[j] == LB_IMAGE_POSITION)
            j++;
          if (j - i != n_image_tokens)
            {
              g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                           "the prompt has a run of %u image positions at %u; the model's images "
                           "take %u", j - i, i, n_image_tokens);
              return FALSE;
            }
          n_runs++;
          i = j - 1;
        }
      else if (ids[i] < 0 || (guint) ids[i] >= n_vocab)
        {
          g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                       "prompt token %u is %d, outside the vocabulary of %u", i, ids[i], n_vocab);
          return FALSE;
        }
    }
  if (n_runs > 1)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                   "the prompt has %u image slots; one image per question is supported", n_runs);
      return FALSE;
    }
  if (n_runs == 1 && job->pixels == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                   "the prompt has an image slot but no image was given");
      return FALSE;
    }
  if (n_runs == 0 && job->pixels != NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                   "an image was given but the prompt has no image slot (<start_of_image>)");
      return FALSE;
    }
  return TRUE;
}

/* Sampling state of one ask. */
typedef struct {
  LbSamplingParams params;
  LbSampler *sampler;
  GArray *recent;              /* gint32: the context's last tokens, for the penalty */
  gint32 penalty_ids[MAX_PENALTY_TOKENS];
  guint n_penalty_ids;
  guint n_fetch;               /* candidates asked of the backend */
  guint n_sample;              /* candidates the sampler considers */
  guint n_top;                 /* logits reported per step */
} Sampling;

static void
sampling_init (Sampling *s, const LbAskRequest *request, SessionCore *core)
{
  LbSamplerParams sp;

  s->params = request->sampling;
  lb_sampler_params_init (&sp);
  sp.temperature = s->params.temperature;
  sp.top_k = s->params.top_k;
  sp.top_p = s->params.top_p;
  sp.seed = s->params.seed;
  s->sampler = lb_sampler_new (&sp);
  s->recent = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint i = 0; i < core->history->len; i++)
    {
      gint32 id = g_array_index (core->history, gint32, i);
      if (id >= 0)
        g_array_append_val (s->recent, id);
    }
  s->n_top = MIN (request->n_top_logits, LB_SAMPLING_MAX_CANDIDATES);
  if (s->params.temperature > 0.0f)
    s->n_sample = s->params.top_k > 0 ? MIN (s->params.top_k, LB_SAMPLING_MAX_CANDIDATES)
                                      : LB_SAMPLING_MAX_CANDIDATES;
  else
    s->n_sample = 1;
}

static void
sampling_clear (Sampling *s)
{
  g_clear_pointer (&s->sampler, lb_sampler_free);
  if (s->recent != NULL)
    g_array_unref (s->recent);
  s->recent = NULL;
}

static gboolean
penalty_active (const Sampling *s)
{
  return s->params.repeat_penalty > 1.0f && s->params.repeat_last_n > 0;
}

/* Fills the backend request for the next step: how many candidates, and
 * the distinct recent tokens the penalty touches. */
static void
sampling_prepare (Sampling *s, LbBackendOutputRequest *request)
{
  s->n_penalty_ids = 0;
  if (penalty_active (s))
    {
      guint start = s->recent->len > s->params.repeat_last_n ? s->recent->len - s->params.repeat_last_n : 0;
      for (guint i = s->recent->len; i > start && s->n_penalty_ids < MAX_PENALTY_TOKENS; i--)
        {
          gint32 id = g_array_index (s->recent, gint32, i - 1);
          gboolean seen = FALSE;
          for (guint j = 0; j < s->n_penalty_ids && !seen; j++)
            seen = s->penalty_ids[j] == id;
          if (!seen)
            s->penalty_ids[s->n_penalty_ids++] = id;
        }
    }
  /* The penalty (>= 1) only lowers logits, so the top n_sample after it
   * are among the top n_sample + n_penalty_ids before it: a penalized
   * token below those could not rise into the sampled set. */
  s->n_fetch = MIN (MAX (s->n_sample + s->n_penalty_ids, s->n_top), LB_SAMPLING_MAX_CANDIDATES);
  if (s->n_fetch <= 1 && s->n_penalty_ids == 0)
    s->n_fetch = 0;   /* the argmax is enough */
  request->n_candidates = s->n_fetch;
}

typedef struct {
  gint32 id;
  float value;
} Candidate;

static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const Candidate *x = a, *y = b;

  if (x->value != y->value)
    return x->value > y->value ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static float
penalize (float logit, float penalty)
{
  return logit > 0.0f ? logit / penalty : logit * penalty;
}

/* Picks the next token from the backend's output (or takes forced, when
 * >= 0); fills top (n_top). */
static gint32
sampling_pick (Sampling *s, const LbBackendOutput *out, gint32 forced, LbTokenLogit *top)
{
  g_autofree Candidate *c = NULL;
  g_autofree float *values = NULL;
  guint n = 0, n_keep;
  gint32 id;

  for (guint i = 0; i < s->n_top && i < out->n_candidates; i++)
    top[i] = (LbTokenLogit) { out->candidate_ids[i], out->candidate_logits[i] };

  if (forced >= 0)
    id = forced;
  else if (s->n_fetch == 0)
    id = out->argmax;
  else
    {
      c = g_new (Candidate, out->n_candidates);
      for (guint i = 0; i < out->n_candidates; i++)
        c[n++] = (Candidate) { out->candidate_ids[i], out->candidate_logits[i] };
      for (guint p = 0; p < s->n_penalty_ids; p++)
        for (guint i = 0; i < n; i++)
          if (c[i].id == s->penalty_ids[p])
            {
              c[i].value = penalize (c[i].value, s->params.repeat_penalty);
              break;
            }
      qsort (c, n, sizeof *c, compare_candidates);
      /* With the list capped, the penalized tokens take room from it. */
      n_keep = MIN (MIN (n, s->n_sample), n - MIN (n - 1, s->n_penalty_ids));
      n_keep = MAX (n_keep, 1);

      if (s->params.temperature <= 0.0f)
        id = c[0].id;
      else
        {
          /* min-p: p_i / p_max >= min_p ⇔ v_i >= v_0 + T ln(min_p). */
          if (s->params.min_p > 0.0f && s->params.min_p < 1.0f)
            {
              float floor_value = c[0].value + s->params.temperature * logf (s->params.min_p);
              guint keep = 1;
              while (keep < n_keep && c[keep].value >= floor_value)
                keep++;
              n_keep = keep;
            }
          /* The CPU sampler (model/sampler.h) on the candidates, which are
           * in its order already: the same draws as on the full logits. */
          values = g_new (float, n_keep);
          for (guint i = 0; i < n_keep; i++)
            values[i] = c[i].value;
          id = c[lb_sampler_sample (s->sampler, values, n_keep)].id;
        }
    }
  g_array_append_val (s->recent, id);
  return id;
}

/* Appends text completed by token id to out (a NUL, which a byte token
 * can make, becomes U+FFFD: text widgets take no NUL). */
static void
stream_token (LbTokenStream *stream, gint32 id, gboolean final, GString *out)
{
  gsize start = out->len;

  lb_token_stream_push (stream, &id, 1, out);
  if (final)
    lb_token_stream_finish (stream, out);
  for (gsize i = start; i < out->len; i++)
    if (out->str[i] == '\0')
      {
        g_string_erase (out, (gssize) i, 1);
        g_string_insert (out, (gssize) i, "\xef\xbf\xbd");
        i += 2;
      }
}

static gboolean
run_ask (LbEngine *engine, Job *job, GError **error)
{
  Worker *w = &engine->worker;
  SessionCore *core = job->core;
  LbAskStats *stats = &job->stats;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbTokenStream) stream = NULL;
  g_autoptr(GString) piece = g_string_new (NULL);
  g_autofree LbTokenLogit *top = NULL;
  EngineImage *image = NULL;
  EngineImage *images[1];
  LbBackendOutputRequest request = { 0 };
  LbBackendOutput out = { 0 };
  Sampling sampling = { 0 };
  CancelLink link;
  guint n_past0, image_first0, image_n0, image_index = 0, n_generated = 0;
  gint32 pending0;
  double start = now_ms (), t_first = 0, t_prefill = 0;
  gboolean ok = FALSE, capture;

  if (w->meta == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL, "no model is loaded");
      return FALSE;
    }
  if (core->generation != w->generation)
    {
      if (core->generation != 0 && core->history->len > 0)
        {
          g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_MODEL_CHANGED,
                       "this conversation belongs to a model that was replaced: start a new one");
          return FALSE;
        }
      worker_release_core (w, core);
      session_core_clear_history (core);
      core->generation = w->generation;
    }
  if (job->pixels != NULL && !w->meta->info.has_vision)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL,
                   "an image needs a vision projector (mmproj) and none is loaded");
      return FALSE;
    }
  if (job->pixels != NULL && job->image_size != w->meta->info.vision.image_size)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                   "the image is %u×%u pixels; the vision encoder takes %u×%u",
                   job->image_size, job->image_size, w->meta->info.vision.image_size,
                   w->meta->info.vision.image_size);
      return FALSE;
    }
  if (core->state == NULL)
    {
      core->capacity = w->meta->info.context_length;
      core->state = w->backend->new_state (w->model, core->capacity, error);
      if (core->state == NULL)
        return FALSE;
    }
  job->capacity = core->capacity;

  cancel_link_init (&link, engine, job);
  if (core->needs_rebuild && !rebuild_context (w, core, link.combined, error))
    goto out;

  prompt = build_prompt (w, core, job, error);
  if (prompt == NULL || !check_image_slots (w, job, prompt, error))
    goto out;
  if (prompt->len == 0)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID, "the prompt is empty");
      goto out;
    }
  for (guint i = 0; i < job->n_forced; i++)
    if (job->forced[i] < 0 || (guint) job->forced[i] >= w->meta->info.text.n_vocab)
      {
        g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                     "forced token %u is %d, outside the vocabulary of %u", i, job->forced[i],
                     w->meta->info.text.n_vocab);
        goto out;
      }
  n_past0 = w->backend->n_past (core->state);
  if (prompt->len > core->capacity - n_past0)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL,
                   "the conversation is full: this question needs %u positions and %u of %u are "
                   "free; start a new conversation", prompt->len, core->capacity - n_past0,
                   core->capacity);
      goto out;
    }

  /* The image: from the cache, or through the vision encoder. */
  if (job->pixels != NULL)
    {
      double t0 = now_ms ();
      image = encode_image (engine, job, link.combined, &stats->image_cached, error);
      if (image == NULL)
        goto out;
      stats->image_encode_ms = stats->image_cached ? 0.0 : now_ms () - t0;
    }

  /* Prefill. */
  if (w->backend->set_capture != NULL)
    w->backend->set_capture (core->state, job->request.capture_attention);
  image_first0 = core->image_first;
  image_n0 = core->image_n;
  pending0 = core->pending_token;
  images[0] = image;
  {
    double t0 = now_ms ();
    if (!feed_positions (w, core, (const gint32 *) (gpointer) prompt->data, prompt->len,
                         images, &image_index, link.combined, error))
      {
        roll_back (w, core, n_past0, image_first0, image_n0);
        goto out;
      }
    t_prefill = now_ms () - t0;
  }
  /* The prompt is in the context: it joins the history. */
  g_array_append_vals (core->history, prompt->data, prompt->len);
  if (image != NULL)
    g_ptr_array_add (core->images, engine_image_ref (image));
  core->pending_token = -1;
  stats->n_prompt_positions = prompt->len;
  stats->prefill_ms = t_prefill;
  stats->prefill_tokens_per_second = t_prefill > 0 ? prompt->len / (t_prefill / 1000.0) : 0;

  /* Decode. */
  sampling_init (&sampling, &job->request, core);
  top = g_new0 (LbTokenLogit, MAX (sampling.n_top, 1));
  stream = lb_token_stream_new (w->meta->tokenizer, LB_DECODE_DEFAULT);
  capture = job->request.capture_attention && core->image_n > 0 && w->meta->n_capture_layers > 0;
  if (capture)
    {
      request.attention_first = core->image_first;
      request.attention_n = core->image_n;
      request.layers = w->meta->capture_layers;
      request.n_layers = w->meta->n_capture_layers;
    }
  sampling_prepare (&sampling, &request);
  if (!w->backend->output (core->state, &request, &out, error))
    {
      /* Nothing generated yet: the question is forgotten again. */
      g_array_set_size (core->history, core->history->len - prompt->len);
      if (image != NULL)
        g_ptr_array_set_size (core->images, core->images->len - 1);
      core->pending_token = pending0;
      roll_back (w, core, n_past0, image_first0, image_n0);
      goto out;
    }

  for (;;)
    {
      gboolean forced = job->forced != NULL;
      gint32 id = sampling_pick (&sampling, &out, forced ? job->forced[n_generated] : -1, top);
      gboolean stop, at_max;

      stop = !forced && job->request.stop_at_end_of_turn && lb_chat_format_is_stop (w->meta->format, id);
      at_max = forced ? n_generated + 1 >= job->n_forced
                      : job->request.max_tokens > 0 && n_generated + 1 >= job->request.max_tokens;
      gboolean full = w->backend->n_past (core->state) >= core->capacity;
      gboolean last = stop || at_max || full;

      if (n_generated == 0)
        t_first = now_ms ();
      g_string_truncate (piece, 0);
      stream_token (stream, id, last, piece);
      post_token (engine, job, n_generated, id, piece->str, piece->len,
                  capture ? out.attention : NULL, request.attention_n,
                  top, MIN (sampling.n_top, out.n_candidates), last);
      n_generated++;
      lb_backend_output_clear (&out);
      core->pending_token = id;

      if (last)
        {
          stats->stop_reason = stop ? LB_STOP_END_OF_TURN
                             : at_max ? LB_STOP_MAX_TOKENS : LB_STOP_CONTEXT_FULL;
          break;
        }
      if (job_cancelled (engine, job, error))
        goto out;

      sampling_prepare (&sampling, &request);
      if (!w->backend->decode (core->state, id, &request, &out, error))
        {
          /* The token may or may not be in the context now: rebuild from
           * the history, which does not have it. */
          core->needs_rebuild = TRUE;
          core->pending_token = id;
          goto out;
        }
      g_array_append_val (core->history, id);
      core->pending_token = -1;
    }
  ok = TRUE;

out:
  if (n_generated > 0)
    {
      double end = now_ms ();
      stats->n_generated = n_generated;
      stats->time_to_first_token_ms = t_first - start;
      stats->decode_ms = end - t_first;
      stats->decode_tokens_per_second = n_generated > 1 && end > t_first
        ? (n_generated - 1) / ((end - t_first) / 1000.0) : 0;
    }
  /* The conversation's length is its history's (the backend may hold
   * more until a rebuild). */
  job->n_past = core->history->len;
  stats->n_past = job->n_past;
  lb_backend_output_clear (&out);
  sampling_clear (&sampling);
  if (image != NULL)
    engine_image_unref (image);
  cancel_link_clear (&link);
  return ok;
}

static void
run_reset (LbEngine *engine, Job *job)
{
  Worker *w = &engine->worker;
  SessionCore *core = job->core;

  session_core_clear_history (core);
  if (core->state != NULL && (core->generation != w->generation ||
                              !w->backend->truncate (core->state, 0)))
    worker_release_core (w, core);
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
      post_complete (engine, job);
      break;

    case JOB_ASK:
      if (!job_cancelled (engine, job, &error))
        run_ask (engine, job, &error);
      job->error = error;
      worker_update_peak (engine);
      post_complete (engine, job);
      break;

    case JOB_RESET:
      run_reset (engine, job);
      job_free (job);
      break;

    case JOB_FREE_SESSION:
      worker_release_core (w, job->core);
      g_mutex_lock (&engine->lock);
      g_ptr_array_remove_fast (w->cores, job->core);
      g_mutex_unlock (&engine->lock);
      session_core_free (job->core);
      job_free (job);
      break;

    case JOB_QUIT:
      g_assert_not_reached ();
    }
}

/* Worker thread. */
static gpointer
worker_main (gpointer data)
{
  LbEngine *engine = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (engine->jobs);

      if (job->kind == JOB_QUIT)
        {
          job_free (job);
          break;
        }
      run_job (engine, job);
    }
  worker_unload (engine);
  return NULL;
}

/* ---- LbEngine ------------------------------------------------------------------------- */

static void
queue_job (LbEngine *engine, Job *job)
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
          post_complete (engine, job);
        }
      else
        job_free (job);
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
        job_free (event->job);
      event_free (event);
    }
  g_async_queue_unref (engine->jobs);
  g_clear_object (&engine->close_cancellable);
  g_clear_pointer (&engine->meta, model_meta_unref);
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
  /* The runtime picks its device from this variable. Set here, on the
   * main thread before the worker exists, not while other threads may
   * read the environment. */
  if (engine->device_copy != NULL)
    g_setenv ("LIGHTBOX_VK_DEVICE", engine->device_copy, TRUE);
  engine->context = options != NULL && options->main_context != NULL
    ? g_main_context_ref (options->main_context) : g_main_context_ref_thread_default ();
  engine->options.main_context = engine->context;

  engine->thread = g_thread_try_new ("lightbox-engine", worker_main, engine, error);
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
  g_clear_pointer (&engine->meta, model_meta_unref);
  g_mutex_unlock (&engine->lock);
  queue_job (engine, job);
}

gboolean
lb_engine_load_finish (LbEngine *engine, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, engine), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  gboolean done;
  GAsyncResult *result;
} SyncData;

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  SyncData *sync = data;

  sync->result = g_object_ref (result);
  sync->done = TRUE;
}

static void
sync_wait (LbEngine *engine, SyncData *sync)
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
                        cancellable, sync_done_cb, &sync);
  sync_wait (engine, &sync);
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

/* ---- LbSession ------------------------------------------------------------------------- */

static void
lb_session_finalize (GObject *object)
{
  LbSession *session = LB_SESSION (object);
  LbEngine *engine = session->engine;
  gboolean closed;

  g_mutex_lock (&engine->lock);
  closed = engine->closed;
  g_mutex_unlock (&engine->lock);
  if (closed)
    {
      /* The worker is gone and has freed the backend state. */
      g_ptr_array_remove_fast (engine->worker.cores, session->core);
      session_core_free (session->core);
    }
  else
    {
      Job *job = g_new0 (Job, 1);
      job->kind = JOB_FREE_SESSION;
      job->core = session->core;
      g_async_queue_push (engine->jobs, job);
    }
  g_object_unref (engine);
  G_OBJECT_CLASS (lb_session_parent_class)->finalize (object);
}

static void
lb_session_class_init (LbSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_session_finalize;
}

static void
lb_session_init (LbSession *session)
{
}

LbSession *
lb_engine_new_session (LbEngine *engine)
{
  LbSession *session;

  g_return_val_if_fail (LB_IS_ENGINE (engine), NULL);

  session = g_object_new (LB_TYPE_SESSION, NULL);
  session->engine = g_object_ref (engine);
  session->core = session_core_new ();
  /* The cores list belongs to the worker, but it only ever grows here
   * before the first job that could see the core is queued (the queue's
   * lock orders the two), and shrinks on the worker. */
  g_mutex_lock (&engine->lock);
  g_ptr_array_add (engine->worker.cores, session->core);
  g_mutex_unlock (&engine->lock);
  return session;
}

LbEngine *
lb_session_get_engine (LbSession *session)
{
  g_return_val_if_fail (LB_IS_SESSION (session), NULL);
  return session->engine;
}

void
lb_session_reset (LbSession *session)
{
  Job *job;

  g_return_if_fail (LB_IS_SESSION (session));

  job = g_new0 (Job, 1);
  job->kind = JOB_RESET;
  job->core = session->core;
  session->n_past = 0;
  queue_job (session->engine, job);
}

guint
lb_session_get_n_past (LbSession *session)
{
  g_return_val_if_fail (LB_IS_SESSION (session), 0);
  return session->n_past;
}

guint
lb_session_get_context_length (LbSession *session)
{
  g_return_val_if_fail (LB_IS_SESSION (session), 0);
  return session->capacity;
}

void
lb_session_ask_async (LbSession *session, const LbAskRequest *request,
                      LbTokenBatchFunc on_tokens, gpointer tokens_data,
                      GDestroyNotify tokens_destroy, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job;

  g_return_if_fail (LB_IS_SESSION (session));
  g_return_if_fail (request != NULL);
  g_return_if_fail (request->n_prompt_tokens == 0 || request->prompt_tokens != NULL);
  g_return_if_fail (request->n_forced_tokens == 0 || request->forced_tokens != NULL);

  job = g_new0 (Job, 1);
  job->kind = JOB_ASK;
  job->task = g_task_new (session, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, lb_session_ask_async);
  g_task_set_check_cancellable (job->task, FALSE);
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->core = session->core;
  job->session = session;
  job->request = *request;
  job->request.system = NULL;
  job->request.text = NULL;
  job->request.image = NULL;
  job->request.prompt_tokens = NULL;
  job->request.forced_tokens = NULL;
  job->system = g_strdup (request->system);
  job->text = g_strdup (request->text != NULL ? request->text : "");
  if (request->image != NULL)
    {
      job->image_size = request->image->size;
      job->pixels = g_memdup2 (request->image->rgb, (gsize) job->image_size * job->image_size * 3);
    }
  if (request->n_prompt_tokens > 0)
    {
      job->tokens = g_memdup2 (request->prompt_tokens, sizeof (gint32) * request->n_prompt_tokens);
      job->n_tokens = request->n_prompt_tokens;
    }
  if (request->n_forced_tokens > 0)
    {
      job->forced = g_memdup2 (request->forced_tokens, sizeof (gint32) * request->n_forced_tokens);
      job->n_forced = request->n_forced_tokens;
    }
  job->on_tokens = on_tokens;
  job->tokens_data = tokens_data;
  job->tokens_destroy = tokens_destroy;
  queue_job (session->engine, job);
}

gboolean
lb_session_ask_finish (LbSession *session, GAsyncResult *result, LbAskStats *stats,
                       GError **error)
{
  g_autofree LbAskStats *result_stats = NULL;

  g_return_val_if_fail (g_task_is_valid (result, session), FALSE);

  result_stats = g_task_propagate_pointer (G_TASK (result), error);
  if (result_stats == NULL)
    return FALSE;
  if (stats != NULL)
    *stats = *result_stats;
  return TRUE;
}

gboolean
lb_session_ask_sync (LbSession *session, const LbAskRequest *request,
                     LbTokenBatchFunc on_tokens, gpointer tokens_data,
                     GCancellable *cancellable, LbAskStats *stats, GError **error)
{
  LbEngine *engine;
  SyncData sync = { 0 };
  gboolean ok;

  g_return_val_if_fail (LB_IS_SESSION (session), FALSE);
  engine = session->engine;

  g_main_context_push_thread_default (engine->context);
  lb_session_ask_async (session, request, on_tokens, tokens_data, NULL, cancellable,
                        sync_done_cb, &sync);
  sync_wait (engine, &sync);
  g_main_context_pop_thread_default (engine->context);
  ok = lb_session_ask_finish (session, sync.result, stats, error);
  g_object_unref (sync.result);
  return ok;
}
