/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An ask on the engine's worker thread: the prompt (a conversation turn or
 * raw tokens), the image (from the cache or the vision encoder), the
 * prefill, then either one decode step per token (sampled or forced), or,
 * for a forced answer scored by its log-probabilities alone, the answer
 * prefilled with the prompt and scored on the device (LbAskRequest.
 * forced_logprobs). Both leave the same context and stream the same token
 * batches.
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <string.h>

#include "engine/engine-private.h"
#include "engine/engine-sampling.h"

/* Image embeddings kept per model, most recently used first. */
#define IMAGE_CACHE_SIZE 4

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
          return lb_engine_image_ref (image);
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
  g_queue_push_head (&w->image_cache, lb_engine_image_ref (image));
  while (w->image_cache.length > IMAGE_CACHE_SIZE)
    lb_engine_image_unref (g_queue_pop_tail (&w->image_cache));
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

/* Whether the forced answer can run with the prompt as one prefill: its
 * log-probabilities are all that is asked of the steps, the backend can,
 * the prompt ends in text, and the whole answer fits (otherwise the steps
 * end early at a full context). */
static gboolean
use_scored_prefill (Worker *w, SessionCore *core, Job *job, const GArray *prompt, guint n_past0)
{
  return job->request.forced_logprobs && !job->request.capture_attention && job->request.n_top_logits == 0 &&
         w->backend->prefill_scored != NULL &&
         g_array_index (prompt, gint32, prompt->len - 1) != LB_IMAGE_POSITION &&
         (guint64) prompt->len + job->n_forced - 1 <= core->capacity - n_past0;
}

/* The prompt, then the forced answer but its last token in the same
 * batches, scoring every answer token: the last prompt position's logits
 * score the first, answer token i's position scores token i + 1. The
 * context is then what the steps would leave: the last token pending. */
static gboolean
prefill_scored (Worker *w, SessionCore *core, Job *job, const GArray *prompt, EngineImage *const *images,
                float *logprobs, GCancellable *cancellable, GError **error)
{
  const gint32 *ids = (const gint32 *) (gconstpointer) prompt->data;
  guint tail = prompt->len, image_index = 0, n_tail, n;
  g_autofree gint32 *tokens = NULL;

  /* Everything before the prompt's last run of text goes in as usual. */
  while (tail > 0 && ids[tail - 1] != LB_IMAGE_POSITION)
    tail--;
  if (!feed_positions (w, core, ids, tail, images, &image_index, cancellable, error))
    return FALSE;
  n_tail = prompt->len - tail;
  n = n_tail + job->n_forced - 1;
  tokens = g_new (gint32, n);
  memcpy (tokens, ids + tail, n_tail * sizeof (gint32));
  memcpy (tokens + n_tail, job->forced, (job->n_forced - 1) * sizeof (gint32));
  return w->backend->prefill_scored (core->state, tokens, n, job->forced, job->n_forced, logprobs,
                                     cancellable, error);
}

gboolean
lb_engine_run_ask (LbEngine *engine, Job *job, GError **error)
{
  Worker *w = &engine->worker;
  SessionCore *core = job->core;
  LbAskStats *stats = &job->stats;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbTokenStream) stream = NULL;
  g_autoptr(GString) piece = g_string_new (NULL);
  g_autofree LbTokenLogit *top = NULL;
  g_autofree float *logprobs = NULL;
  EngineImage *image = NULL;
  EngineImage *images[1];
  LbBackendOutputRequest request = { 0 };
  LbBackendOutput out = { 0 };
  LbAskSampling sampling = { 0 };
  CancelLink link;
  guint n_past0, image_first0, image_n0, image_index = 0, n_generated = 0;
  gint32 pending0;
  double start = lb_engine_now_ms (), t_first = 0, t_prefill = 0;
  gboolean ok = FALSE, capture, scored = FALSE, forced_logprobs = job->request.forced_logprobs;

  if (forced_logprobs && job->n_forced == 0)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_INVALID,
                   "forced_logprobs asks for the log-probabilities of forced tokens, and the request "
                   "has none (n_forced_tokens is 0)");
      return FALSE;
    }
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
      lb_engine_worker_release_core (w, core);
      lb_engine_core_clear_history (core);
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

  lb_engine_cancel_link_init (&link, engine, job);
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
      double t0 = lb_engine_now_ms ();
      image = encode_image (engine, job, link.combined, &stats->image_cached, error);
      if (image == NULL)
        goto out;
      stats->image_encode_ms = stats->image_cached ? 0.0 : lb_engine_now_ms () - t0;
    }

  /* Prefill. */
  if (w->backend->set_capture != NULL)
    w->backend->set_capture (core->state, job->request.capture_attention);
  image_first0 = core->image_first;
  image_n0 = core->image_n;
  pending0 = core->pending_token;
  images[0] = image;
  scored = use_scored_prefill (w, core, job, prompt, n_past0);
  {
    double t0 = lb_engine_now_ms ();
    gboolean fed;

    if (scored)
      {
        logprobs = g_new (float, job->n_forced);
        fed = prefill_scored (w, core, job, prompt, images, logprobs, link.combined, error);
      }
    else
      fed = feed_positions (w, core, (const gint32 *) (gpointer) prompt->data, prompt->len,
                            images, &image_index, link.combined, error);
    if (!fed)
      {
        roll_back (w, core, n_past0, image_first0, image_n0);
        goto out;
      }
    t_prefill = lb_engine_now_ms () - t0;
  }
  /* The prompt is in the context: it joins the history. */
  g_array_append_vals (core->history, prompt->data, prompt->len);
  if (image != NULL)
    g_ptr_array_add (core->images, lb_engine_image_ref (image));
  core->pending_token = -1;
  stats->n_prompt_positions = prompt->len;
  stats->prefill_ms = t_prefill;
  stats->prefill_tokens_per_second =
    t_prefill > 0 ? (prompt->len + (scored ? job->n_forced - 1 : 0)) / (t_prefill / 1000.0) : 0;
  stream = lb_token_stream_new (w->meta->tokenizer, LB_DECODE_DEFAULT);

  if (scored)
    {
      /* The answer is in the context too; its batches as the steps'. */
      t_first = lb_engine_now_ms ();
      for (guint i = 0; i < job->n_forced; i++)
        {
          gboolean last = i + 1 == job->n_forced;
          g_string_truncate (piece, 0);
          stream_token (stream, job->forced[i], last, piece);
          lb_engine_post_token (engine, job, i, job->forced[i], piece->str, piece->len, NULL, 0, NULL, 0,
                                &logprobs[i], last);
        }
      g_array_append_vals (core->history, job->forced, job->n_forced - 1);
      core->pending_token = job->forced[job->n_forced - 1];
      n_generated = job->n_forced;
      stats->stop_reason = LB_STOP_MAX_TOKENS;
      ok = TRUE;
      goto out;
    }

  /* Decode. */
  lb_ask_sampling_init (&sampling, &job->request, core->history);
  top = g_new0 (LbTokenLogit, MAX (sampling.n_top, 1));
  capture = job->request.capture_attention && core->image_n > 0 && w->meta->n_capture_layers > 0;
  if (capture)
    {
      request.attention_first = core->image_first;
      request.attention_n = core->image_n;
      request.layers = w->meta->capture_layers;
      request.n_layers = w->meta->n_capture_layers;
    }
  lb_ask_sampling_prepare (&sampling, &request);
  /* Each step's log-probability is of the token it is forced to. */
  request.logprob = forced_logprobs;
  request.logprob_token = forced_logprobs ? job->forced[0] : -1;
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
      gint32 id = lb_ask_sampling_pick (&sampling, &out, forced ? job->forced[n_generated] : -1, top);
      gboolean stop, at_max;

      stop = !forced && job->request.stop_at_end_of_turn && lb_chat_format_is_stop (w->meta->format, id);
      at_max = forced ? n_generated + 1 >= job->n_forced
                      : job->request.max_tokens > 0 && n_generated + 1 >= job->request.max_tokens;
      gboolean full = w->backend->n_past (core->state) >= core->capacity;
      gboolean last = stop || at_max || full;

      if (n_generated == 0)
        t_first = lb_engine_now_ms ();
      g_string_truncate (piece, 0);
      stream_token (stream, id, last, piece);
      lb_engine_post_token (engine, job, n_generated, id, piece->str, piece->len,
                            capture ? out.attention : NULL, request.attention_n,
                            top, MIN (sampling.n_top, out.n_candidates),
                            forced_logprobs ? &out.logprob : NULL, last);
      n_generated++;
      lb_backend_output_clear (&out);
      core->pending_token = id;

      if (last)
        {
          stats->stop_reason = stop ? LB_STOP_END_OF_TURN
                             : at_max ? LB_STOP_MAX_TOKENS : LB_STOP_CONTEXT_FULL;
          break;
        }
      if (lb_engine_job_cancelled (engine, job, error))
        goto out;

      lb_ask_sampling_prepare (&sampling, &request);
      if (forced_logprobs)
        request.logprob_token = job->forced[n_generated];
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
      double end = lb_engine_now_ms ();
      stats->n_generated = n_generated;
      stats->time_to_first_token_ms = t_first - start;
      /* A scored answer was prefilled: no decode to speak of. */
      stats->decode_ms = scored ? 0.0 : end - t_first;
      stats->decode_tokens_per_second = !scored && n_generated > 1 && end > t_first
        ? (n_generated - 1) / ((end - t_first) / 1000.0) : 0;
    }
  /* The conversation's length is its history's (the backend may hold
   * more until a rebuild). */
  job->n_past = core->history->len;
  stats->n_past = job->n_past;
  lb_backend_output_clear (&out);
  lb_ask_sampling_clear (&sampling);
  if (image != NULL)
    lb_engine_image_unref (image);
  lb_engine_cancel_link_clear (&link);
  return ok;
}
