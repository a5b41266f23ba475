/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine's internals, shared by its files:
 *   engine.c           LbEngine, the model info, the job record (who
 *                      touches what: see there)
 *   engine-events.c    progress, token batches and completions, delivered
 *                      on the main context in batches
 *   engine-worker.c    the worker thread: its job loop, loading, cancellation
 *   engine-session.c   LbSession and the worker-side core of a conversation
 *   engine-ask.c       an ask on the worker: prompt, image, prefill, then
 *                      decode step by step or score a forced answer in one
 *                      prefill
 *   engine-sampling.c  the next token from the candidates a backend reduces
 *                      the logits to
 */
#pragma once

#include "engine/engine-backend.h"
#include "engine/engine.h"
#include "model/chat-format.h"

G_BEGIN_DECLS

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

ModelMeta *lb_engine_model_meta_ref (ModelMeta *meta);
void lb_engine_model_meta_unref (ModelMeta *meta);

/* One image's embeddings on the backend, shared by the cache and the
 * histories of the sessions that saw it. Worker thread only. */
typedef struct {
  guint ref_count;
  char *key;                 /* SHA-256 of the pixels and their size */
  LbBackendImage *image;
  const LbBackend *backend;
} EngineImage;

EngineImage *lb_engine_image_ref (EngineImage *image);
void lb_engine_image_unref (EngineImage *image);

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

/* Forgets the conversation (the backend state stays). */
void lb_engine_core_clear_history (SessionCore *core);
/* Frees the core's history (its backend state is gone already). */
void lb_engine_core_free (SessionCore *core);

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

void lb_engine_job_free (Job *job);

typedef struct {
  /* Worker thread only. */
  const LbBackend *backend;
  LbBackendModel *model;
  ModelMeta *meta;
  guint generation;
  GQueue image_cache;        /* EngineImage*, most recent first */
  GPtrArray *cores;          /* SessionCore* alive */
} Worker;

/* Frees a core's backend state and images (the model goes away). */
void lb_engine_worker_release_core (Worker *w, SessionCore *core);

/* The worker thread's function (engine-worker.c). */
gpointer lb_engine_worker_main (gpointer data);

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

struct _LbSession {
  GObject parent_instance;
  LbEngine *engine;
  SessionCore *core;
  guint n_past;              /* mirrors of the worker's figures after each ask */
  guint capacity;
};

/* Queues a job for the worker, or completes it with LB_ENGINE_ERROR_CLOSED
 * (frees it when it has no task) once the engine is closed. Main thread. */
void lb_engine_queue_job (LbEngine *engine, Job *job);

/* The _sync calls: run the engine's main context until the callback. */
typedef struct {
  gboolean done;
  GAsyncResult *result;
} SyncData;

void lb_engine_sync_done_cb (GObject *source, GAsyncResult *result, gpointer data);
void lb_engine_sync_wait (LbEngine *engine, SyncData *sync);

/* ---- events (engine-events.c) ---- */

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
  GArray *logprobs;          /* float, or NULL */
  gboolean last;
} Event;

void lb_engine_event_free (Event *event);

/* Load progress: replaces a progress event of the same job still waiting. Worker. */
void lb_engine_post_progress (LbEngine *engine, Job *job, guint64 done, guint64 total);
/* The job's completion: the main context returns its result and frees it. Worker. */
void lb_engine_post_complete (LbEngine *engine, Job *job);

/* One generated token with its text and optional rows (attention: [n_image_positions]
 * or NULL; top: [n_top]; logprob: one float or NULL). Appends to the token
 * event of the same job still waiting, if any. Worker. */
void lb_engine_post_token (LbEngine *engine, Job *job, guint index, gint32 id, const char *text,
                           gsize text_length, const float *attention, guint n_image_positions,
                           const LbTokenLogit *top, guint n_top, const float *logprob, gboolean last);

/* ---- cancellation (engine-worker.c) ---- */

/* Cancels the backend's long loops when either the job's cancellable or
 * the engine's close fires: a cancellable per job that follows both. */
typedef struct {
  GCancellable *combined;
  gulong job_handler;
  gulong close_handler;
  GCancellable *job_cancellable;
  GCancellable *close_cancellable;
} CancelLink;

void lb_engine_cancel_link_init (CancelLink *link, LbEngine *engine, Job *job);
void lb_engine_cancel_link_clear (CancelLink *link);

/* Whether the job or the engine was cancelled (sets the error). Worker. */
gboolean lb_engine_job_cancelled (LbEngine *engine, Job *job, GError **error);

static inline double
lb_engine_now_ms (void)
{
  return (double) g_get_monotonic_time () / 1000.0;
}

/* Runs an ask job (engine-ask.c). Worker. */
gboolean lb_engine_run_ask (LbEngine *engine, Job *job, GError **error);

G_END_DECLS
