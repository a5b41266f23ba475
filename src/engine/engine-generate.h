/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One prompt through the engine, step by step: what `lightbox-cli generate`
 * needs (--backend vulkan|ref), with the inputs and outputs of its
 * reference path: prompt tokens with LB_CHAT_IMAGE_TOKEN (-1) for the
 * image positions, greedy or sampled, the top-K logits of every step, the
 * stop token (if reached) as the last step. Runs on the calling thread's
 * thread-default main context (it creates its own engine and waits).
 */
#pragma once

#include "engine/engine.h"
#include "imaging/image.h"

G_BEGIN_DECLS

typedef struct {
  gint32 token;
  guint n_top;
  const LbTokenLogit *top;        /* [n_top], best first; valid during the callback */
} LbGenerateStep;

typedef void (*LbGenerateStepFunc) (const LbGenerateStep *step, gpointer user_data);

typedef struct {
  LbEngineBackend backend;
  const char *model_path;
  const char *mmproj_path;        /* NULL: none */
  const LbImage *image;           /* NULL: none; turned into the model input with the default display */
  const gint32 *prompt;           /* LB_CHAT_IMAGE_TOKEN for image positions */
  guint n_prompt;
  guint n_predict;                /* at most this many steps (the stop token included) */
  LbSamplingParams sampling;
  guint n_top;                    /* logits per step, at most LB_SAMPLING_MAX_CANDIDATES */
} LbGenerateRequest;

/* Loads the models, runs the prompt and calls on_step (may be NULL) once
 * per generated token, in order. Stops at
 * <end_of_turn>/<eos>, after n_predict steps, or when the model's context
 * is full. */
gboolean lb_engine_generate (const LbGenerateRequest *request, LbGenerateStepFunc on_step,
                             gpointer user_data, LbAskStats *stats, GError **error);

G_END_DECLS
