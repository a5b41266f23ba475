/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the engine asks of a backend (the Vulkan engine, or the plain-C
 * reference): load a model, encode an image, and run positions through a
 * session's context, returning only what the sampler needs from the
 * logits (a few candidates, never the whole vocabulary when it can be
 * avoided) and, for a forced answer, one log-probability per position.
 * The engine itself does the rest: jobs and the worker (engine.c,
 * engine-worker.c), events (engine-events.c), conversations and history
 * (engine-session.c, engine-ask.c), sampling from the candidates
 * (engine-sampling.c).
 *
 * Threading: every function here runs on the engine's worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "engine/engine.h"
#include "model/gguf.h"
#include "model/model-config.h"

G_BEGIN_DECLS

typedef struct _LbBackendModel LbBackendModel;  /* weights on the backend */
typedef struct _LbBackendImage LbBackendImage;  /* one image's embeddings [T][E] */
typedef struct _LbBackendState LbBackendState;  /* one session's context (KV cache) */

typedef void (*LbBackendProgressFunc) (guint64 done, guint64 total, gpointer user_data);

typedef struct {
  const LbGguf *text_gguf;
  const LbGguf *vision_gguf;        /* NULL: no projector */
  const LbTextConfig *text;
  const LbVisionConfig *vision;     /* NULL: no projector */
  guint context_length;             /* positions a session holds */
  guint batch_size;                 /* prefill positions per batch */
  const char *device;               /* device override or NULL */
  gboolean skip_self_test;
  GCancellable *cancellable;        /* checked between tensors */
  LbBackendProgressFunc progress;   /* may be NULL */
  gpointer progress_data;
} LbBackendLoadArgs;

/* What to compute from the logits of the last position run. */
typedef struct {
  /* Return the n_candidates largest logits, best first (ties: lower id);
   * 0: only the argmax. */
  guint n_candidates;
  /* Attention capture: mean over heads of `layers` of the attention of the
   * last position over positions [attention_first, attention_first +
   * attention_n). attention_n == 0: none. */
  guint attention_first;
  guint attention_n;
  const guint *layers;
  guint n_layers;
  /* Also the log-probability of logprob_token under these logits: the
   * log-softmax over the whole vocabulary, after the soft cap. */
  gboolean logprob;
  gint32 logprob_token;
} LbBackendOutputRequest;

typedef struct {
  gint32 argmax;                /* largest logit, lowest id on a tie */
  guint n_candidates;
  gint32 *candidate_ids;        /* [n_candidates], owned by the result */
  float *candidate_logits;      /* [n_candidates] */
  float *attention;             /* [attention_n] or NULL */
  float logprob;                /* with request->logprob */
} LbBackendOutput;

void lb_backend_output_clear (LbBackendOutput *output);

typedef struct {
  const char *name;             /* "vulkan", "ref" */

  /* Loads the weights; fills info's backend-specific fields (backend,
   * device_name, weight_bytes, device_bytes, self-test). */
  LbBackendModel *(*load) (const LbBackendLoadArgs *args, LbEngineModelInfo *info, GError **error);
  void (*free_model) (LbBackendModel *model);
  /* Bytes allocated on the device at most so far (0 for the reference). */
  guint64 (*peak_device_bytes) (LbBackendModel *model);

  /* pixels: [3][S][S] normalized floats. Returns the image's embeddings
   * (kept on the device by the Vulkan backend). */
  LbBackendImage *(*encode_image) (LbBackendModel *model, const float *pixels,
                                   GCancellable *cancellable, GError **error);
  void (*free_image) (LbBackendImage *image);

  /* A context of capacity positions. */
  LbBackendState *(*new_state) (LbBackendModel *model, guint capacity, GError **error);
  void (*free_state) (LbBackendState *state);
  guint (*n_past) (LbBackendState *state);
  /* Forgets positions from n_past on. FALSE when that is not possible
   * (a sliding-window ring no longer holds what the earlier positions
   * need): the engine then rebuilds the context from its history. */
  gboolean (*truncate) (LbBackendState *state, guint n_past);

  /* Whether the next outputs will ask for attention capture (over the
   * last image the state holds): a backend that computes the weights
   * during the forward pass needs to know before the prefill. May be NULL. */
  void (*set_capture) (LbBackendState *state, gboolean capture);

  /* Appends n text positions (ids inside the vocabulary). */
  gboolean (*prefill_tokens) (LbBackendState *state, const gint32 *tokens, guint n,
                              GCancellable *cancellable, GError **error);
  /* Appends the positions of one image (they attend to each other both
   * ways). */
  gboolean (*prefill_image) (LbBackendState *state, LbBackendImage *image,
                             GCancellable *cancellable, GError **error);
  /* Reads what request asks from the logits of the last position run. */
  gboolean (*output) (LbBackendState *state, const LbBackendOutputRequest *request,
                      LbBackendOutput *output, GError **error);
  /* Appends one token and computes request from its logits: the decode
   * step (one submit on the Vulkan backend). */
  gboolean (*decode) (LbBackendState *state, gint32 token, const LbBackendOutputRequest *request,
                      LbBackendOutput *output, GError **error);
  /* Teacher forcing in one prefill: appends n text positions like
   * prefill_tokens and scores the last n_targets of them (1 <= n_targets
   * <= n): logprobs[j] = log p(targets[j]) under the logits of position
   * n - n_targets + j of this call (what output would report there with
   * logprob set); no other position's logits are computed. Afterwards the
   * logits of the last position need not be available. May be NULL: the
   * engine then decodes step by step. */
  gboolean (*prefill_scored) (LbBackendState *state, const gint32 *tokens, guint n,
                              const gint32 *targets, guint n_targets, float *logprobs,
                              GCancellable *cancellable, GError **error);
} LbBackend;

extern const LbBackend lb_backend_ref;
extern const LbBackend lb_backend_vulkan;

/* Helpers shared by the backends. */

/* The top candidates of a host logits vector into output (ties: lower id). */
void lb_backend_output_from_logits (const float *logits, guint n_vocab,
                                    const LbBackendOutputRequest *request, LbBackendOutput *output);

/* log p(target) under host logits [n_vocab] (already soft-capped): the
 * log-softmax over all of them, summed in double. */
float lb_backend_logprob_from_logits (const float *logits, guint n_vocab, gint32 target);

/* Whether the cancellable (may be NULL) fired; sets G_IO_ERROR_CANCELLED. */
gboolean lb_backend_check_cancel (GCancellable *cancellable, GError **error);

G_END_DECLS
