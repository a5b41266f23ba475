/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan backend: per-session KV caches in F16 (sliding-window
 * layers in a ring of window + B slots), images, prefill in batches, the
 * outputs read back, and a decode step recorded once and replayed per
 * token; the backend's vtable. Loading is in engine-vulkan-load.c.
 *
 * Threading: the engine's worker thread, which owns the LbVkContext.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>

#include "engine/engine-vulkan.h"

/* The GPU reduces the logits to one of these numbers of candidates (the
 * host uses as many as it needs): few top-k pipelines, few re-recordings. */
const guint32 lb_vk_candidate_counts[] = { 1, 8, 64, 256 };

static guint32
round_candidates (guint32 wanted)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lb_vk_candidate_counts); i++)
    if (wanted <= lb_vk_candidate_counts[i])
      return lb_vk_candidate_counts[i];
  return lb_vk_candidate_counts[G_N_ELEMENTS (lb_vk_candidate_counts) - 1];
}

/* The decode step's attention scans the cache up to a bound rounded to
 * this many positions; the step is recorded again when the context grows
 * past it. */
#define DECODE_BOUND_STEP 256

/* ---- errors and device memory ---------------------------------------------------- */

/* Maps a runtime error onto the engine's codes (the message stays). */
void
lb_vk_engine_map_error (GError **error)
{
  if (error == NULL || *error == NULL || (*error)->domain != LB_VK_ERROR)
    return;
  switch ((*error)->code)
    {
    case LB_VK_ERROR_NO_DEVICE:
    case LB_VK_ERROR_MISSING_FEATURE:
      (*error)->code = LB_ENGINE_ERROR_NO_DEVICE;
      break;
    case LB_VK_ERROR_OUT_OF_MEMORY:
      (*error)->code = LB_ENGINE_ERROR_OUT_OF_MEMORY;
      break;
    case LB_VK_ERROR_DEVICE_LOST:
      (*error)->code = LB_ENGINE_ERROR_DEVICE_LOST;
      break;
    default:
      (*error)->code = LB_ENGINE_ERROR_FAILED;
      break;
    }
  (*error)->domain = LB_ENGINE_ERROR;
}

static void
track_peak (LbBackendModel *m)
{
  m->peak_bytes = MAX (m->peak_bytes, lb_vk_allocated_bytes (m->ctx));
}

LbVkBuffer *
lb_vk_engine_buffer (LbBackendModel *m, LbVkMemoryKind kind, VkDeviceSize size, const char *name,
                     GError **error)
{
  LbVkBuffer *buffer = lb_vk_buffer_new (m->ctx, kind, MAX (size, 16), name, error);

  if (buffer != NULL)
    track_peak (m);
  return buffer;
}

static guint64
vk_peak_device_bytes (LbBackendModel *m)
{
  track_peak (m);
  return m->peak_bytes;
}

/* ---- images --------------------------------------------------------------------------- */

static LbBackendImage *
vk_encode_image (LbBackendModel *m, const float *pixels, GCancellable *cancellable, GError **error)
{
  LbBackendImage *image;

  if (!m->has_vision)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL,
                   "no vision projector (mmproj) is loaded: images cannot be read");
      return NULL;
    }
  image = g_new0 (LbBackendImage, 1);
  image->model = m;
  image->n = m->vision.n_image_tokens;
  image->embeddings = lb_vk_engine_buffer (m, LB_VK_MEMORY_DEVICE,
                                           (VkDeviceSize) image->n * m->text.n_embd * 4,
                                           "image embeddings", error);
  if (image->embeddings == NULL || !lb_vk_vision_encode (m, pixels, image->embeddings, cancellable, error))
    {
      lb_vk_engine_map_error (error);
      g_clear_pointer (&image->embeddings, lb_vk_buffer_free);
      g_free (image);
      return NULL;
    }
  return image;
}

static void
vk_free_image (LbBackendImage *image)
{
  if (image == NULL)
    return;
  g_clear_pointer (&image->embeddings, lb_vk_buffer_free);
  g_free (image);
}

/* ---- sessions ------------------------------------------------------------------------- */

void
lb_vk_engine_free_state (LbBackendState *s)
{
  if (s == NULL)
    return;
  lb_vk_context_wait_idle (s->model->ctx, NULL);
  g_clear_pointer (&s->decode, lb_vk_commands_free);
  if (s->kv != NULL)
    for (guint l = 0; l < s->model->text.n_layer; l++)
      g_clear_pointer (&s->kv[l].buffer, lb_vk_buffer_free);
  g_free (s->kv);
  g_free (s);
}

/* Empties the caches: no slot holds a position, K and V are zero (a
 * masked key must not bring NaN garbage into a weighted sum). */
static gboolean
clear_caches (LbBackendState *s, GError **error)
{
  LbBackendModel *m = s->model;

  if (!lb_vk_commands_begin (m->cmds, error))
    return FALSE;
  for (guint l = 0; l < m->text.n_layer; l++)
    {
      VkKvCache *kv = &s->kv[l];
      if (!lb_vk_commands_fill (m->cmds, lb_vk_bind_range (kv->buffer, 0, kv->slots_offset), 0, error) ||
          !lb_vk_commands_fill (m->cmds, lb_vk_bind_range (kv->buffer, kv->slots_offset,
                                                           kv->buffer->size - kv->slots_offset),
                                0xffffffffu, error))
        return FALSE;
    }
  return lb_vk_commands_run (m->cmds, error);
}

LbBackendState *
lb_vk_engine_new_state (LbBackendModel *m, guint capacity, GError **error)
{
  const LbTextConfig *c = &m->text;
  LbBackendState *s = g_new0 (LbBackendState, 1);

  s->model = m;
  s->capacity = MIN (capacity, m->context_length);
  s->capture_row = -1;
  s->kv = g_new0 (VkKvCache, c->n_layer);
  for (guint l = 0; l < c->n_layer; l++)
    {
      VkKvCache *kv = &s->kv[l];
      VkDeviceSize half;
      g_autofree char *name = g_strdup_printf ("KV cache of layer %u", l);

      kv->capacity = MIN (m->layers[l].kv_capacity, s->capacity);
      half = vk_align ((VkDeviceSize) c->n_head_kv * kv->capacity * c->head_dim * 2, m->align);
      kv->v_offset = half;
      kv->slots_offset = 2 * half;
      /* K, V, then the slot positions. */
      kv->buffer = lb_vk_engine_buffer (m, LB_VK_MEMORY_DEVICE, 2 * half + (VkDeviceSize) kv->capacity * 4,
                                        name, error);
      if (kv->buffer == NULL)
        goto fail;
    }
  if (!clear_caches (s, error))
    goto fail;
  return s;

fail:
  lb_vk_engine_map_error (error);
  lb_vk_engine_free_state (s);
  return NULL;
}

static guint
vk_n_past (LbBackendState *s)
{
  return s->n_past;
}

/* Positions at or past n_past are never visible again (the attention
 * masks by position and every position is stored again before a query
 * can see it), so truncating is bookkeeping, unless a sliding-window ring
 * has overwritten keys that the positions before n_past still need. */
static gboolean
vk_truncate (LbBackendState *s, guint n_past)
{
  LbBackendModel *m = s->model;
  guint32 window = m->text.sliding_window;

  if (n_past == 0)
    {
      g_autoptr(GError) error = NULL;
      if (!clear_caches (s, &error))
        {
          g_warning ("clearing a KV cache: %s", error->message);
          return FALSE;
        }
      s->n_past = s->high_water = 0;
      s->image_first = s->image_n = 0;
      s->capture_row = -1;
      return TRUE;
    }
  if (n_past > s->n_past)
    return FALSE;
  /* Position p lands on the slot of p - ring: the keys [n_past - window,
   * n_past) survive while nothing at or beyond n_past - window + ring was
   * stored. */
  if (m->ring < s->capacity && (guint64) s->high_water > (guint64) n_past + m->ring - MIN (window, n_past))
    return FALSE;
  s->n_past = n_past;
  s->high_water = n_past;
  if (s->image_first + s->image_n > n_past)
    s->image_first = s->image_n = 0;
  s->capture_row = -1;
  return TRUE;
}

static void
vk_set_capture (LbBackendState *s, gboolean capture)
{
  s->capture = capture && s->model->n_capture_layers > 0 && s->model->has_vision;
}

/* With LIGHTBOX_ENGINE_PROFILE: the GPU time of each phase of the last
 * submit of cmds, on stderr. */
static void
print_profile (LbVkCommands *cmds, const char *what, guint32 n)
{
  guint n_phases;
  const LbVkPhase *phases = lb_vk_commands_phases (cmds, &n_phases);
  GHashTable *totals = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GString *line = g_string_new (NULL);

  /* Phases repeat per layer: sum them by name, in first-seen order. */
  g_string_append_printf (line, "%s (%u positions): GPU %.3f ms, %u dispatches, %u barriers;", what, n,
                          lb_vk_commands_gpu_ms (cmds), lb_vk_commands_n_dispatches (cmds),
                          lb_vk_commands_n_barriers (cmds));
  for (guint i = 0; i < n_phases; i++)
    {
      double *sum = g_hash_table_lookup (totals, phases[i].name);
      if (sum == NULL)
        {
          sum = g_new0 (double, 1);
          g_hash_table_insert (totals, (gpointer) phases[i].name, sum);
        }
      *sum += phases[i].ms;
    }
  for (guint i = 0; i < n_phases; i++)
    {
      double *sum = g_hash_table_lookup (totals, phases[i].name);
      if (sum != NULL && *sum >= 0)
        {
          g_string_append_printf (line, " %s %.3f", phases[i].name, *sum);
          *sum = -1;
        }
    }
  g_printerr ("%s\n", line->str);
  g_string_free (line, TRUE);
  g_hash_table_unref (totals);
}

gboolean
lb_vk_engine_run_positions (LbBackendState *s, guint32 n, gboolean embed, guint32 span_first, guint32 span_n,
                            gboolean logits, guint32 score_row, guint32 score_n, GCancellable *cancellable,
                            GError **error)
{
  LbBackendModel *m = s->model;
  guint32 L = m->text.n_layer;
  /* Small batches run in one submit; large ones two layers at a time,
   * so that a cancel is answered within two layers' time even on a slow
   * GPU (a submit costs tens of microseconds). */
  guint32 per_submit = n >= 64 ? 2 : L;

  for (guint32 l0 = 0; l0 < L; l0 += per_submit)
    {
      VkTextPass pass = {
        .n = n,
        .embed = embed && l0 == 0,
        .layer_begin = l0,
        .layer_end = MIN (l0 + per_submit, L),
        .logits = logits,
        .kv_bound = s->n_past + n,
        .span_first = span_first,
        .span_n = span_n,
        .score_row = score_row,
        .score_n = score_n,
      };

      if (lb_backend_check_cancel (cancellable, error))
        return FALSE;
      if (!lb_vk_commands_begin (m->cmds, error) ||
          !lb_vk_text_record (m, s, m->cmds, &pass, error) ||
          !lb_vk_commands_run (m->cmds, error))
        {
          lb_vk_engine_map_error (error);
          return FALSE;
        }
      if (m->profile)
        print_profile (m->cmds, "prefill", n);
    }
  return TRUE;
}

void
lb_vk_engine_advance (LbBackendState *s, guint32 n)
{
  s->n_past += n;
  s->high_water = MAX (s->high_water, s->n_past);
}

gboolean
lb_vk_engine_check_room (LbBackendState *s, guint32 n, GError **error)
{
  if (n > s->capacity - s->n_past)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL,
                   "%u more positions do not fit: %u of %u are in use", n, s->n_past, s->capacity);
      return FALSE;
    }
  return TRUE;
}

/* Whether the last position of a prefill should capture attention. */
static gboolean
capture_span (LbBackendState *s, guint32 *first, guint32 *n)
{
  if (!s->capture || s->image_n == 0)
    {
      *first = *n = 0;
      return FALSE;
    }
  *first = s->image_first;
  *n = s->image_n;
  return TRUE;
}

static gboolean
vk_prefill_tokens (LbBackendState *s, const gint32 *tokens, guint n, GCancellable *cancellable,
                   GError **error)
{
  LbBackendModel *m = s->model;

  if (!lb_vk_engine_check_room (s, n, error))
    return FALSE;
  for (guint start = 0; start < n; start += m->prefill_batch)
    {
      guint32 count = MIN (m->prefill_batch, n - start);
      gboolean last = start + count == n;
      guint32 span_first = 0, span_n = 0;

      if (last)
        capture_span (s, &span_first, &span_n);
      lb_vk_text_write_inputs (m, tokens + start, count, s->n_past, 0, 0);
      if (!lb_vk_engine_run_positions (s, count, TRUE, span_first, span_n, last, 0, 0, cancellable, error))
        return FALSE;
      lb_vk_engine_advance (s, count);
      s->capture_row = span_n > 0 ? (gint32) count - 1 : -1;
      s->capture_rows = count;
    }
  return TRUE;
}

static gboolean
vk_prefill_image (LbBackendState *s, LbBackendImage *image, GCancellable *cancellable, GError **error)
{
  LbBackendModel *m = s->model;
  guint32 n = image->n, p0 = s->n_past, span_first = 0, span_n = 0;

  if (!lb_vk_engine_check_room (s, n, error))
    return FALSE;
  /* x ← the image's embeddings (not scaled). */
  if (!lb_vk_commands_begin (m->cmds, error) ||
      !lb_vk_commands_copy (m->cmds, lb_vk_bind (image->embeddings),
                            lb_vk_bind_range (m->ts.x, 0, image->embeddings->size), error) ||
      !lb_vk_commands_run (m->cmds, error))
    {
      lb_vk_engine_map_error (error);
      return FALSE;
    }
  s->image_first = p0;
  s->image_n = n;
  capture_span (s, &span_first, &span_n);
  lb_vk_text_write_inputs (m, NULL, n, p0, p0, p0 + n);
  if (!lb_vk_engine_run_positions (s, n, FALSE, span_first, span_n, TRUE, 0, 0, cancellable, error))
    {
      s->image_first = s->image_n = 0;
      return FALSE;
    }
  lb_vk_engine_advance (s, n);
  s->capture_row = span_n > 0 ? (gint32) n - 1 : -1;
  s->capture_rows = n;
  return TRUE;
}

/* The candidates and the captured attention from the last run. */
static gboolean
read_output (LbBackendState *s, const LbBackendOutputRequest *request, LbBackendOutput *out,
             GError **error)
{
  LbBackendModel *m = s->model;
  const LbTextConfig *c = &m->text;
  const guint32 *ids = (const guint32 *) (gconstpointer) m->ts.sample->mapped;
  const float *values = (const float *) (gconstpointer) (m->ts.sample->mapped + m->ts.sample_values_offset);
  guint k = MIN (request->n_candidates, c->n_vocab);

  /* The GPU left the top s->candidates (>= 1) logits, best first. */
  g_return_val_if_fail (k <= s->candidates && s->candidates >= 1, FALSE);
  out->argmax = (gint32) ids[0];
  out->n_candidates = k;
  if (k > 0)
    {
      out->candidate_ids = g_new (gint32, k);
      out->candidate_logits = g_new (float, k);
      for (guint i = 0; i < k; i++)
        {
          out->candidate_ids[i] = (gint32) ids[i];
          out->candidate_logits[i] = values[i];
        }
    }
  if (c->final_logit_softcap > 0.0f)
    {
      /* tanh keeps the order: the candidates stand, their values change. */
      float cap = c->final_logit_softcap;
      for (guint i = 0; i < out->n_candidates; i++)
        out->candidate_logits[i] = cap * tanhf (out->candidate_logits[i] / cap);
    }

  if (request->logprob)
    out->logprob = ((const float *) (gconstpointer) (m->ts.logprob_io->mapped + m->ts.logprob_out_offset))[0];

  if (request->attention_n > 0)
    {
      guint32 H = c->n_head, T = request->attention_n;
      VkDeviceSize stride = vk_align ((VkDeviceSize) m->batch * H * T * 4, m->align);
      const guint8 *base = m->ts.capture->mapped;

      if (s->capture_row < 0 || request->attention_first != s->image_first || T != s->image_n)
        {
          g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_FAILED,
                       "attention capture was not recorded for positions %u–%u",
                       request->attention_first, request->attention_first + T);
          return FALSE;
        }
      out->attention = g_new0 (float, T);
      for (guint i = 0; i < request->n_layers; i++)
        {
          gint32 ci = m->capture_index[request->layers[i]];
          const float *w;
          if (ci < 0)
            continue;
          /* [rows][H][T] of this capture layer: the row of the last position. */
          w = (const float *) (gconstpointer) (base + ci * stride) + (gsize) s->capture_row * H * T;
          for (guint32 h = 0; h < H; h++)
            for (guint32 j = 0; j < T; j++)
              out->attention[j] += w[(gsize) h * T + j];
        }
      for (guint32 j = 0; j < T; j++)
        out->attention[j] /= (float) (request->n_layers * H);
    }
  return TRUE;
}

/* After a prefill: the candidates of the last position's logits. */
static gboolean
vk_output (LbBackendState *s, const LbBackendOutputRequest *request, LbBackendOutput *out,
           GError **error)
{
  LbBackendModel *m = s->model;
  guint32 k = round_candidates (request->n_candidates);

  if (request->logprob)
    ((guint32 *) m->ts.logprob_io->mapped)[0] = (guint32) request->logprob_token;
  if (!lb_vk_commands_begin (m->cmds, error) ||
      !lb_vk_text_record_candidates (m, m->cmds, k, error) ||
      (request->logprob && !lb_vk_text_record_logprob (m, m->cmds, error)) ||
      !lb_vk_commands_run (m->cmds, error))
    {
      lb_vk_engine_map_error (error);
      return FALSE;
    }
  s->candidates = k;
  return read_output (s, request, out, error);
}

/* Records the decode step for keys up to bound, the capture span, k
 * candidates and the log-probability of a forced token. */
static gboolean
record_decode (LbBackendState *s, guint32 bound, gboolean capture, guint32 k, gboolean logprob,
               GError **error)
{
  LbBackendModel *m = s->model;
  VkTextPass pass = {
    .n = 1,
    .embed = TRUE,
    .layer_begin = 0,
    .layer_end = m->text.n_layer,
    .logits = TRUE,
    .kv_bound = bound,
    .span_first = capture ? s->image_first : 0,
    .span_n = capture ? s->image_n : 0,
    .n_candidates = k,
    .logprob = logprob,
  };

  if (s->decode == NULL)
    {
      s->decode = lb_vk_commands_new (m->ctx, error);
      if (s->decode == NULL)
        return FALSE;
    }
  if (!lb_vk_commands_begin (s->decode, error) ||
      !lb_vk_text_record (m, s, s->decode, &pass, error) ||
      !lb_vk_commands_end (s->decode, error))
    {
      g_clear_pointer (&s->decode, lb_vk_commands_free);
      return FALSE;
    }
  s->decode_bound = bound;
  s->decode_capture = capture;
  s->decode_image_first = s->image_first;
  s->decode_image_n = s->image_n;
  s->decode_candidates = k;
  s->decode_logprob = logprob != FALSE;
  return TRUE;
}

static gboolean
vk_decode (LbBackendState *s, gint32 token, const LbBackendOutputRequest *request,
           LbBackendOutput *out, GError **error)
{
  LbBackendModel *m = s->model;
  guint32 p = s->n_past;
  gboolean capture = s->capture && s->image_n > 0;
  guint32 k = round_candidates (request->n_candidates);

  if (!lb_vk_engine_check_room (s, 1, error))
    return FALSE;
  if (s->decode == NULL || p + 1 > s->decode_bound || capture != s->decode_capture ||
      k != s->decode_candidates || (request->logprob != FALSE) != s->decode_logprob ||
      (capture && (s->decode_image_first != s->image_first || s->decode_image_n != s->image_n)))
    {
      guint32 bound = MIN ((p + 1 + DECODE_BOUND_STEP - 1) / DECODE_BOUND_STEP * DECODE_BOUND_STEP,
                           s->capacity);
      if (!record_decode (s, bound, capture, k, request->logprob, error))
        {
          lb_vk_engine_map_error (error);
          return FALSE;
        }
    }
  lb_vk_text_write_inputs (m, &token, 1, p, 0, 0);
  if (request->logprob)
    ((guint32 *) m->ts.logprob_io->mapped)[0] = (guint32) request->logprob_token;
  if (!lb_vk_commands_submit (s->decode, error) || !lb_vk_commands_wait (s->decode, error))
    {
      lb_vk_engine_map_error (error);
      return FALSE;
    }
  lb_vk_engine_advance (s, 1);
  s->capture_row = capture ? 0 : -1;
  s->candidates = k;
  if (m->profile)
    print_profile (s->decode, "decode", 1);
  return read_output (s, request, out, error);
}

const LbBackend lb_backend_vulkan = {
  .name = "vulkan",
  .load = lb_vk_engine_load,
  .free_model = lb_vk_engine_free_model,
  .peak_device_bytes = vk_peak_device_bytes,
  .encode_image = vk_encode_image,
  .free_image = vk_free_image,
  .new_state = lb_vk_engine_new_state,
  .free_state = lb_vk_engine_free_state,
  .n_past = vk_n_past,
  .truncate = vk_truncate,
  .set_capture = vk_set_capture,
  .prefill_tokens = vk_prefill_tokens,
  .prefill_image = vk_prefill_image,
  .output = vk_output,
  .decode = vk_decode,
  .prefill_scored = lb_vk_prefill_scored,
};
