/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Choosing the next token from logits on the CPU: greedy by default, or
 * temperature, top-k and top-p sampling with a seed. Used by the reference
 * path (lightbox-cli generate --backend ref); the Vulkan engine reduces the
 * candidates on the GPU and must pick the same token for the same inputs.
 *
 * Order, as in Hugging Face transformers' generation (where Gemma's
 * recommended settings come from): logits / temperature, keep the top_k
 * largest, softmax, keep the smallest set of most likely tokens whose
 * probability reaches top_p, renormalize, draw.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float temperature;  /* <= 0: greedy (the largest logit, lowest id on a tie) */
  guint top_k;        /* 0: no limit */
  float top_p;        /* >= 1: no limit */
  guint64 seed;
} LbSamplerParams;

/* temperature 0, top_k 0, top_p 1, seed 0. */
void lb_sampler_params_init (LbSamplerParams *params);

typedef struct _LbSampler LbSampler;

LbSampler *lb_sampler_new (const LbSamplerParams *params);
void lb_sampler_free (LbSampler *sampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSampler, lb_sampler_free)

gint32 lb_sampler_sample (LbSampler *sampler, const float *logits, guint n_vocab);

/* The k largest logits (k <= n_vocab) in decreasing order, ties broken by
 * the lower id; writes k ids and values. Returns k. */
guint lb_logits_top_k (const float *logits, guint n_vocab, guint k, gint32 *ids, float *values);

/* The id of the largest logit (the lowest such id on a tie). */
gint32 lb_logits_argmax (const float *logits, guint n_vocab);

G_END_DECLS
