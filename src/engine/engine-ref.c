/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference backend: src/ref's plain-C float32 forward pass behind the
 * engine's backend interface. Slow and memory-hungry (weights as float32,
 * one copy per session): for tests, for machines without Vulkan, and as
 * the oracle the Vulkan backend is compared with through the same API.
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>
#include <string.h>

#include "engine/engine-backend.h"
#include "model/sampler.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

struct _LbBackendModel {
  char *text_path;           /* reopened for every session: LbRefText holds weights and state */
  LbTextConfig text;
  LbVisionConfig vision;
  LbRefVision *ref_vision;   /* NULL without a projector */
};

struct _LbBackendImage {
  guint n;                   /* image positions */
  float *embeddings;         /* [n][E] */
};

struct _LbBackendState {
  LbBackendModel *model;
  LbRefText *ref;
};

void
lb_backend_output_clear (LbBackendOutput *output)
{
  g_clear_pointer (&output->candidate_ids, g_free);
  g_clear_pointer (&output->candidate_logits, g_free);
  g_clear_pointer (&output->attention, g_free);
  output->n_candidates = 0;
  output->argmax = -1;
}

gboolean
lb_backend_check_cancel (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

void
lb_backend_output_from_logits (const float *logits, guint n_vocab,
                               const LbBackendOutputRequest *request, LbBackendOutput *output)
{
  guint k = MIN (request->n_candidates, n_vocab);

  output->argmax = lb_logits_argmax (logits, n_vocab);
  output->n_candidates = k;
  if (k > 0)
    {
      output->candidate_ids = g_new (gint32, k);
      output->candidate_logits = g_new (float, k);
      lb_logits_top_k (logits, n_vocab, k, output->candidate_ids, output->candidate_logits);
    }
}

float
lb_backend_logprob_from_logits (const float *logits, guint n_vocab, gint32 target)
{
  double max = -INFINITY, sum = 0.0;

  g_return_val_if_fail (target >= 0 && (guint) target < n_vocab, NAN);
  for (guint i = 0; i < n_vocab; i++)
    max = MAX (max, logits[i]);
  for (guint i = 0; i < n_vocab; i++)
    sum += exp (logits[i] - max);
  return (float) (logits[target] - (max + log (sum)));
}

static LbBackendModel *
ref_load (const LbBackendLoadArgs *args, LbEngineModelInfo *info, GError **error)
{
  g_autofree LbBackendModel *model = g_new0 (LbBackendModel, 1);
  guint64 total = lb_gguf_file_size (args->text_gguf);

  if (args->vision_gguf != NULL)
    total += lb_gguf_file_size (args->vision_gguf);
  if (args->progress != NULL)
    args->progress (0, total, args->progress_data);

  model->text = *args->text;
  model->text_path = g_strdup (lb_gguf_name (args->text_gguf));
  if (args->vision_gguf != NULL)
    {
      if (lb_backend_check_cancel (args->cancellable, error))
        goto fail;
      model->vision = *args->vision;
      model->ref_vision = lb_ref_vision_new (args->vision_gguf, error);
      if (model->ref_vision == NULL)
        goto fail;
    }
  if (args->progress != NULL)
    args->progress (total, total, args->progress_data);

  info->backend = LB_ENGINE_BACKEND_REF;
  info->device_name = "CPU (reference)";
  info->weight_bytes = total;
  info->device_bytes = 0;
  info->self_test_ran = FALSE;
  return g_steal_pointer (&model);

fail:
  g_free (model->text_path);
  return NULL;
}

static void
ref_free_model (LbBackendModel *model)
{
  if (model == NULL)
    return;
  g_clear_pointer (&model->ref_vision, lb_ref_vision_free);
  g_free (model->text_path);
  g_free (model);
}

static guint64
ref_peak_device_bytes (LbBackendModel *model)
{
  return 0;
}

static LbBackendImage *
ref_encode_image (LbBackendModel *model, const float *pixels, GCancellable *cancellable,
                  GError **error)
{
  LbBackendImage *image;

  if (model->ref_vision == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL,
                   "no vision projector (mmproj) is loaded: images cannot be read");
      return NULL;
    }
  image = g_new0 (LbBackendImage, 1);
  image->n = model->vision.n_image_tokens;
  image->embeddings = g_new (float, (gsize) image->n * model->text.n_embd);
  lb_ref_vision_encode (model->ref_vision, pixels, image->embeddings);
  return image;
}

static void
ref_free_image (LbBackendImage *image)
{
  if (image == NULL)
    return;
  g_free (image->embeddings);
  g_free (image);
}

static LbBackendState *
ref_new_state (LbBackendModel *model, guint capacity, GError **error)
{
  g_autoptr(LbGguf) gguf = lb_gguf_open (model->text_path, error);
  LbBackendState *state;
  LbRefText *ref;

  if (gguf == NULL)
    return NULL;
  ref = lb_ref_text_new (gguf, capacity, error);
  if (ref == NULL)
    return NULL;
  state = g_new0 (LbBackendState, 1);
  state->model = model;
  state->ref = ref;
  return state;
}

static void
ref_free_state (LbBackendState *state)
{
  if (state == NULL)
    return;
  lb_ref_text_free (state->ref);
  g_free (state);
}

static guint
ref_n_past (LbBackendState *state)
{
  return lb_ref_text_n_past (state->ref);
}

static gboolean
ref_truncate (LbBackendState *state, guint n_past)
{
  if (n_past == 0)
    {
      lb_ref_text_reset (state->ref);
      return TRUE;
    }
  /* src/ref cannot forget single positions: the engine replays. */
  return n_past == lb_ref_text_n_past (state->ref);
}

static gboolean
ref_prefill_tokens (LbBackendState *state, const gint32 *tokens, guint n,
                    GCancellable *cancellable, GError **error)
{
  /* Chunks of 64 so that a cancel is seen between them. */
  for (guint start = 0; start < n; start += 64)
    {
      if (lb_backend_check_cancel (cancellable, error))
        return FALSE;
      if (lb_ref_text_forward_tokens (state->ref, tokens + start, MIN (64, n - start), error) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
ref_prefill_image (LbBackendState *state, LbBackendImage *image, GCancellable *cancellable,
                   GError **error)
{
  if (lb_backend_check_cancel (cancellable, error))
    return FALSE;
  return lb_ref_text_forward_image (state->ref, image->embeddings, image->n, error) != NULL;
}

static gboolean
ref_output (LbBackendState *state, const LbBackendOutputRequest *request, LbBackendOutput *output,
            GError **error)
{
  const LbTextConfig *c = lb_ref_text_config (state->ref);

  lb_backend_output_from_logits (lb_ref_text_logits (state->ref), c->n_vocab, request, output);
  if (request->logprob)
    output->logprob = lb_backend_logprob_from_logits (lb_ref_text_logits (state->ref), c->n_vocab,
                                                      request->logprob_token);
  if (request->attention_n > 0)
    {
      output->attention = g_new (float, request->attention_n);
      lb_ref_text_attention_over (state->ref, request->layers, request->n_layers,
                                  request->attention_first, request->attention_n, output->attention);
    }
  return TRUE;
}

static gboolean
ref_decode (LbBackendState *state, gint32 token, const LbBackendOutputRequest *request,
            LbBackendOutput *output, GError **error)
{
  if (lb_ref_text_forward_tokens (state->ref, &token, 1, error) == NULL)
    return FALSE;
  return ref_output (state, request, output, error);
}

/* src/ref computes the logits of the last position of a call only: the
 * scored positions run one at a time (the same arithmetic as decoding). */
static gboolean
ref_prefill_scored (LbBackendState *state, const gint32 *tokens, guint n, const gint32 *targets,
                    guint n_targets, float *logprobs, GCancellable *cancellable, GError **error)
{
  const LbTextConfig *c = lb_ref_text_config (state->ref);
  guint first = n - n_targets;

  g_return_val_if_fail (n_targets >= 1 && n_targets <= n, FALSE);
  if (!ref_prefill_tokens (state, tokens, first + 1, cancellable, error))
    return FALSE;
  for (guint j = 0; j < n_targets; j++)
    {
      const float *logits;
      if (j > 0)
        {
          if (lb_backend_check_cancel (cancellable, error))
            return FALSE;
          if (lb_ref_text_forward_tokens (state->ref, tokens + first + j, 1, error) == NULL)
            return FALSE;
        }
      logits = lb_ref_text_logits (state->ref);
      logprobs[j] = lb_backend_logprob_from_logits (logits, c->n_vocab, targets[j]);
    }
  return TRUE;
}

const LbBackend lb_backend_ref = {
  .name = "ref",
  .load = ref_load,
  .free_model = ref_free_model,
  .peak_device_bytes = ref_peak_device_bytes,
  .encode_image = ref_encode_image,
  .free_image = ref_free_image,
  .new_state = ref_new_state,
  .free_state = ref_free_state,
  .n_past = ref_n_past,
  .truncate = ref_truncate,
  .prefill_tokens = ref_prefill_tokens,
  .prefill_image = ref_prefill_image,
  .output = ref_output,
  .decode = ref_decode,
  .prefill_scored = ref_prefill_scored,
};
