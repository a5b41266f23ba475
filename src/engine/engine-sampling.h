/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sampling of one ask on the engine's worker: the request's parameters,
 * the repeat penalty over the context's recent tokens, how many
 * candidates to ask of the backend (never the whole vocabulary: at most
 * LB_SAMPLING_MAX_CANDIDATES), and the pick from them (model/sampler.h),
 * or a forced token.
 *
 * Threading: the engine's worker thread.
 */
#pragma once

#include "engine/engine-backend.h"
#include "model/sampler.h"

G_BEGIN_DECLS

/* The repeat penalty looks at no more than this many distinct tokens. */
#define MAX_PENALTY_TOKENS 64

/* Sampling state of one ask. */
typedef struct {
  LbSamplingParams params;
  LbSampler *sampler;
  GArray *recent;              /* gint32: the context's last tokens, for the penalty */
  gint32 penalty_ids[MAX_PENALTY_TOKENS];
  guint n_penalty_ids;
  guint n_fetch;               /* candidates asked of the backend */
  guint n_sample;              /* candidates the sampler considers */
  guint n_top;                 /* logits reported per step */
} LbAskSampling;

/* history: the context's ids so far (LB_IMAGE_POSITION skipped). */
void lb_ask_sampling_init (LbAskSampling *s, const LbAskRequest *request, const GArray *history);
void lb_ask_sampling_clear (LbAskSampling *s);
/* Fills the backend request for the next step: how many candidates, and
 * the distinct recent tokens the penalty touches. */
void lb_ask_sampling_prepare (LbAskSampling *s, LbBackendOutputRequest *request);
/* Picks the next token from the backend's output (or takes forced, when
 * >= 0); fills top (n_top). */
gint32 lb_ask_sampling_pick (LbAskSampling *s, const LbBackendOutput *out, gint32 forced, LbTokenLogit *top);

G_END_DECLS
