/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the engine asks of a backend (the Vulkan engine, or the plain-C
 * reference): load a model, encode an image, and run positions through a
 * session's context, returning only what the sampler needs from the
 * logits (a few candidates, never the whole vocabulary when it can be
 * avoided). The engine itself (engine.c) does the rest: jobs, events,
 * conversations, history, sampling from the candidates.
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
} LbBackendOutputRequest;

typedef struct {
  gint32 argmax;                /* largest logit, lowest id on a tie */
  guint n_candidates;
  gint32 *candidate_ids;        /* [n_candidates], owned by the result */
  float *candidate_logits;      /* [n_candidates] */
  float *attention;             /* [attention_n] or NULL */
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
} LbBackend;

extern const LbBackend lb_backend_ref;
extern const LbBackend lb_backend_vulkan;

/* Helpers shared by the backends. */

/* The top candidates of a host logits vector into output (ties: lower id). */
void lb_backend_output_from_logits (const float *logits, guint n_vocab,
                                    const LbBackendOutputRequest *request, LbBackendOutput *output);

/* Whether the cancellable (may be NULL) fired; sets G_IO_ERROR_CANCELLED. */
gboolean lb_backend_check_cancel (GCancellable *cancellable, GError **error);

G_END_DECLS
