/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One streamed answer: builds the square the model sees from a document
 * (in a worker thread), asks the session, and collects the text as it
 * arrives in batches, with the live tokens per second. A thinking trace
 * (MedGemma 1.5, between <unused94> and <unused95>) is kept apart from the
 * visible text. Stop answers within the engine's ~100 ms.
 */
#pragma once

#include <gio/gio.h>

#include "app/lb-document.h"
#include "app/lb-model-manager.h"
#include "engine/engine.h"

G_BEGIN_DECLS

#define LB_TYPE_GENERATION (lb_generation_get_type ())
G_DECLARE_FINAL_TYPE (LbGeneration, lb_generation, LB, GENERATION, GObject)

LbGeneration *lb_generation_new (LbModelManager *models, LbSession *session);

/* Starts the ask. document NULL: a follow-up without an image. crop in
 * displayed pixels, or NULL for the whole image. */
void lb_generation_start (LbGeneration *self, LbDocument *document, const LbCrop *crop,
                          const char *system, const char *text, const LbSamplingParams *sampling,
                          guint max_tokens);
void lb_generation_stop (LbGeneration *self);

/* For the regions (issue 9): ask the engine for per-token attention over
 * the image (before start), receive each LbTokenBatch as it arrives (the
 * "token-batch" signal; the batch is valid during the emission), and the
 * square the model saw, to map its coordinates back to the image. */
void lb_generation_set_capture_attention (LbGeneration *self, gboolean capture);
const LbModelInput *lb_generation_get_model_input (LbGeneration *self); /* NULL: no image */

/* What the ask was, to rebuild the exact context of an answer (occlusion
 * maps): whether it sent the image (a follow-up does not), its system
 * text (NULL: none) and question; every token generated (or forced), a
 * thinking trace and the final stop token included; the positions the
 * conversation held before the ask (0: the ask opened it) and after it. */
gboolean lb_generation_get_has_image (LbGeneration *self);
const char *lb_generation_get_system (LbGeneration *self);
const char *lb_generation_get_question (LbGeneration *self);
const gint32 *lb_generation_get_ids (LbGeneration *self, guint *out_n);
guint lb_generation_get_n_past_before (LbGeneration *self);
guint lb_generation_get_n_past_after (LbGeneration *self);

/* lightbox --demo-answer: every answer started afterwards by a random or
 * test model (never a real one) is teacher-forced to write text, then
 * end its turn, so that screenshots can show boxes the random weights
 * would never write. Still marked as demo output. NULL turns it off.
 * lb_generation_get_forced: this answer was. */
void lb_generation_set_demo_answer (const char *text);
gboolean lb_generation_get_forced (LbGeneration *self);

LbSession *lb_generation_get_session (LbGeneration *self);
gboolean lb_generation_get_running (LbGeneration *self);
/* "Preparing the image…", "Reading…", "Writing…", then a summary. */
const char *lb_generation_get_status (LbGeneration *self);
const char *lb_generation_get_text (LbGeneration *self);
const char *lb_generation_get_thinking (LbGeneration *self);
guint lb_generation_get_n_tokens (LbGeneration *self);
double lb_generation_get_tokens_per_second (LbGeneration *self);
/* After "finished": the error (NULL on success; G_IO_ERROR_CANCELLED after Stop). */
const GError *lb_generation_get_error (LbGeneration *self);
gboolean lb_generation_get_stopped (LbGeneration *self);
/* After a successful finish, else NULL. */
const LbAskStats *lb_generation_get_stats (LbGeneration *self);

G_END_DECLS
