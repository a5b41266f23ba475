/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the engine's test programs: loading models and
 * images, collecting the token stream of an ask, comparing with the
 * reference outputs.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

/* Everything one ask streamed, checked for consistency as it arrived
 * (batches contiguous, text_ends increasing, on the main thread). */
typedef struct {
  GArray *ids;           /* gint32 */
  GString *text;
  GArray *attention;     /* float, n_image_positions per token */
  guint n_image_positions;
  GArray *top;           /* LbTokenLogit, n_top per token */
  guint n_top;
  GArray *logprobs;      /* float, one per token when the batches had them */
  guint n_batches;
  gboolean saw_last;
  GThread *main_thread;
  /* Cancel this after that many tokens (0: never). */
  GCancellable *cancel_after_cancellable;
  guint cancel_after;
  /* Close this engine after that many tokens (0: never). */
  LbEngine *close_engine;
  guint close_after;
} EngineTestStream;

void engine_test_stream_init (EngineTestStream *stream);
void engine_test_stream_clear (EngineTestStream *stream);
void engine_test_stream_cb (LbSession *session, const LbTokenBatch *batch, gpointer user_data);

/* A new engine of that backend with the given context length (0: default);
 * NULL (and the test skipped) when the Vulkan backend has no device. */
LbEngine *engine_test_new (LbEngineBackend backend, guint context_length);

/* Loads tests/reference/models/NAME/{text,mmproj}.gguf (mmproj optional). */
gboolean engine_test_load_reference (LbEngine *engine, const char *name, gboolean with_mmproj,
                                     GError **error);

/* tests/reference/images/NAME at the engine's input size. */
LbModelInput *engine_test_image (LbEngine *engine, const char *name);

/* Cancels a cancellable from another thread after a delay, while this
 * thread waits in a job (the engine's worker must see it mid-job). */
typedef struct {
  GCancellable *cancellable;
  guint delay_ms;
  gint64 cancelled_at;      /* g_get_monotonic_time () of the cancel */
  GThread *thread;
} EngineTestCancelLater;

void engine_test_cancel_later_start (EngineTestCancelLater *later, GCancellable *cancellable,
                                     guint delay_ms);
/* Waits for the cancel; later->cancelled_at is then set. */
void engine_test_cancel_later_join (EngineTestCancelLater *later);

/* Random pixels at the engine's input size (the same for the same seed). */
LbModelInput *engine_test_random_image (LbEngine *engine, guint32 seed);

/* The tokens of a raw prompt (lightbox-cli --raw-prompt), image slots as
 * LB_IMAGE_POSITION. */
GArray *engine_test_raw_prompt (LbEngine *engine, const char *raw_prompt);

G_END_DECLS
