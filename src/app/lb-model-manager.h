/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app's side of the engine: which model pair is loaded (or loading,
 * with its progress, or failed, with the engine's message), on which
 * device, and whether its output may be called MedGemma's. A random or
 * test model (general.name starting with LB_RANDOM_MODEL_NAME_PREFIX, or
 * shapes far smaller than any Gemma 3) is flagged is-test-model: every
 * view of its output then says "DEMO MODEL — RANDOM OUTPUT".
 *
 * Main thread only; the engine's events arrive on the main context.
 */
#pragma once

#include <gio/gio.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef enum {
  LB_MODEL_STATE_NONE,    /* no model set up */
  LB_MODEL_STATE_LOADING,
  LB_MODEL_STATE_READY,
  LB_MODEL_STATE_FAILED,  /* the last load failed: see lb_model_manager_get_error */
} LbModelState;

#define LB_TYPE_MODEL_STATE (lb_model_state_get_type ())
GType lb_model_state_get_type (void);

/* The mark on every output of a random or test model. */
#define LB_DEMO_OUTPUT_MARK "DEMO MODEL — RANDOM OUTPUT"

#define LB_TYPE_MODEL_MANAGER (lb_model_manager_get_type ())
G_DECLARE_FINAL_TYPE (LbModelManager, lb_model_manager, LB, MODEL_MANAGER, GObject)

LbModelManager *lb_model_manager_new (void);

/* Checks both files (a Gemma 3 text model, a matching projector), then
 * loads them on the engine, replacing what was loaded. backend and device
 * as in LbEngineOptions (device NULL or "": the best). A load in progress
 * is cancelled first. */
void lb_model_manager_load_async (LbModelManager *self, const char *text_path, const char *mmproj_path,
                                  LbEngineBackend backend, const char *device,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean lb_model_manager_load_finish (LbModelManager *self, GAsyncResult *result, GError **error);
void lb_model_manager_cancel_load (LbModelManager *self);

/* Forgets the model after the device was lost (state FAILED with error). */
void lb_model_manager_report_lost (LbModelManager *self, const GError *error);

LbModelState lb_model_manager_get_state (LbModelManager *self);
double lb_model_manager_get_progress (LbModelManager *self);   /* 0–1 while loading */
const char *lb_model_manager_get_status (LbModelManager *self); /* one line for the header bar */
const char *lb_model_manager_get_model_name (LbModelManager *self);
gboolean lb_model_manager_get_is_test_model (LbModelManager *self);
const GError *lb_model_manager_get_error (LbModelManager *self);
const char *lb_model_manager_get_text_path (LbModelManager *self);
const char *lb_model_manager_get_mmproj_path (LbModelManager *self);

/* NULL until a model is ready. */
LbEngine *lb_model_manager_get_engine (LbModelManager *self);
/* The side of the model's input square; 0 without a projector. */
guint lb_model_manager_get_image_size (LbModelManager *self);
/* A new conversation with the loaded model (NULL when none). */
LbSession *lb_model_manager_new_session (LbModelManager *self);
/* What is loaded, as lines for the model information popover. */
char *lb_model_manager_describe (LbModelManager *self);

/* Decides from a GGUF's general.name and shapes (exposed for tests). */
gboolean lb_model_is_test_model (const char *general_name, guint32 n_embd, guint32 n_vocab);

/* The Vulkan devices, as "index: name (type)" lines, in a worker thread. */
void lb_model_manager_list_devices_async (LbModelManager *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
GStrv lb_model_manager_list_devices_finish (LbModelManager *self, GAsyncResult *result, GError **error);

G_END_DECLS
