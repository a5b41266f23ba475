/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Conversations: LbSession on the main thread (its API queues jobs) and
 * the SessionCore the worker keeps for it (engine-private.h).
 *
 * Threading: the main thread, except the core, which is the worker's
 * once made.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include "engine/engine-private.h"

G_DEFINE_FINAL_TYPE (LbSession, lb_session, G_TYPE_OBJECT)

/* ---- the worker-side core ------------------------------------------------------------- */

static SessionCore *
session_core_new (void)
{
  SessionCore *core = g_new0 (SessionCore, 1);

  core->history = g_array_new (FALSE, FALSE, sizeof (gint32));
  core->images = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_engine_image_unref);
  core->pending_token = -1;
  return core;
}

void
lb_engine_core_free (SessionCore *core)
{
  g_array_unref (core->history);
  g_ptr_array_unref (core->images);
  g_free (core);
}

void
lb_engine_core_clear_history (SessionCore *core)
{
  g_array_set_size (core->history, 0);
  g_ptr_array_set_size (core->images, 0);
  core->pending_token = -1;
  core->needs_rebuild = FALSE;
  core->image_first = core->image_n = 0;
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
      lb_engine_core_free (session->core);
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
  lb_engine_queue_job (session->engine, job);
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
  lb_engine_queue_job (session->engine, job);
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
                        lb_engine_sync_done_cb, &sync);
  lb_engine_sync_wait (engine, &sync);
  g_main_context_pop_thread_default (engine->context);
  ok = lb_session_ask_finish (session, sync.result, stats, error);
  g_object_unref (sync.result);
  return ok;
}
