/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The events: progress, token batches and completions, queued by the
 * worker and delivered on the main context in batches (engine.h,
 * "Events"). A completion hands the job's result to its GTask.
 *
 * Threading: posted on the worker (any thread for post_event),
 * delivered on the engine's main context.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>

#include "engine/engine-private.h"

void
lb_engine_event_free (Event *event)
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
  if (event->logprobs != NULL)
    g_array_unref (event->logprobs);
  g_free (event);
}

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
void
lb_engine_post_progress (LbEngine *engine, Job *job, guint64 done, guint64 total)
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

void
lb_engine_post_token (LbEngine *engine, Job *job, guint index, gint32 id, const char *text, gsize text_length,
                      const float *attention, guint n_image_positions, const LbTokenLogit *top, guint n_top,
                      const float *logprob, gboolean last)
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
      event->logprobs = logprob != NULL ? g_array_new (FALSE, FALSE, sizeof (float)) : NULL;
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
  if (event->logprobs != NULL)
    {
      float value = logprob != NULL ? *logprob : NAN;
      g_array_append_val (event->logprobs, value);
    }
  event->last = last;
  if (!fresh)
    {
      g_mutex_unlock (&engine->lock);
      return;
    }
  g_mutex_unlock (&engine->lock);
  post_event (engine, event);
}

void
lb_engine_post_complete (LbEngine *engine, Job *job)
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
          g_clear_pointer (&engine->meta, lb_engine_model_meta_unref);
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
  lb_engine_job_free (job);
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
                .logprobs = event->logprobs != NULL ? (const float *) (gpointer) event->logprobs->data : NULL,
              };
              job->on_tokens (job->session, &batch, job->tokens_data);
            }
          break;

        case EVENT_COMPLETE:
          complete_job (engine, job);
          break;
        }
      lb_engine_event_free (event);
    }
}
