/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The next token of an ask from the candidates a backend reduced the
 * logits to (engine-sampling.h).
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "engine/engine-sampling.h"


void
lb_ask_sampling_init (LbAskSampling *s, const LbAskRequest *request, const GArray *history)
{
  LbSamplerParams sp;

  s->params = request->sampling;
  lb_sampler_params_init (&sp);
  sp.temperature = s->params.temperature;
  sp.top_k = s->params.top_k;
  sp.top_p = s->params.top_p;
  sp.seed = s->params.seed;
  s->sampler = lb_sampler_new (&sp);
  s->recent = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint i = 0; i < history->len; i++)
    {
      gint32 id = g_array_index (history, gint32, i);
      if (id >= 0)
        g_array_append_val (s->recent, id);
    }
  s->n_top = MIN (request->n_top_logits, LB_SAMPLING_MAX_CANDIDATES);
  if (s->params.temperature > 0.0f)
    s->n_sample = s->params.top_k > 0 ? MIN (s->params.top_k, LB_SAMPLING_MAX_CANDIDATES)
                                      : LB_SAMPLING_MAX_CANDIDATES;
  else
    s->n_sample = 1;
}

void
lb_ask_sampling_clear (LbAskSampling *s)
{
  g_clear_pointer (&s->sampler, lb_sampler_free);
  if (s->recent != NULL)
    g_array_unref (s->recent);
  s->recent = NULL;
}

static gboolean
penalty_active (const LbAskSampling *s)
{
  return s->params.repeat_penalty > 1.0f && s->params.repeat_last_n > 0;
}

/* Fills the backend request for the next step: how many candidates, and
 * the distinct recent tokens the penalty touches. */
void
lb_ask_sampling_prepare (LbAskSampling *s, LbBackendOutputRequest *request)
{
  s->n_penalty_ids = 0;
  if (penalty_active (s))
    {
      guint start = s->recent->len > s->params.repeat_last_n ? s->recent->len - s->params.repeat_last_n : 0;
      for (guint i = s->recent->len; i > start && s->n_penalty_ids < MAX_PENALTY_TOKENS; i--)
        {
          gint32 id = g_array_index (s->recent, gint32, i - 1);
          gboolean seen = FALSE;
          for (guint j = 0; j < s->n_penalty_ids && !seen; j++)
            seen = s->penalty_ids[j] == id;
          if (!seen)
            s->penalty_ids[s->n_penalty_ids++] = id;
        }
    }
  /* The penalty (>= 1) only lowers logits, so the top n_sample after it
   * are among the top n_sample + n_penalty_ids before it: a penalized
   * token below those could not rise into the sampled set. */
  s->n_fetch = MIN (MAX (s->n_sample + s->n_penalty_ids, s->n_top), LB_SAMPLING_MAX_CANDIDATES);
  if (s->n_fetch <= 1 && s->n_penalty_ids == 0)
    s->n_fetch = 0;   /* the argmax is enough */
  request->n_candidates = s->n_fetch;
}

typedef struct {
  gint32 id;
  float value;
} Candidate;

static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const Candidate *x = a, *y = b;

  if (x->value != y->value)
    return x->value > y->value ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static float
penalize (float logit, float penalty)
{
  return logit > 0.0f ? logit / penalty : logit * penalty;
}

/* Picks the next token from the backend's output (or takes forced, when
 * >= 0); fills top (n_top). */
gint32
lb_ask_sampling_pick (LbAskSampling *s, const LbBackendOutput *out, gint32 forced, LbTokenLogit *top)
{
  g_autofree Candidate *c = NULL;
  g_autofree float *values = NULL;
  guint n = 0, n_keep;
  gint32 id;

  for (guint i = 0; i < s->n_top && i < out->n_candidates; i++)
    top[i] = (LbTokenLogit) { out->candidate_ids[i], out->candidate_logits[i] };

  if (forced >= 0)
    id = forced;
  else if (s->n_fetch == 0)
    id = out->argmax;
  else
    {
      c = g_new (Candidate, out->n_candidates);
      for (guint i = 0; i < out->n_candidates; i++)
        c[n++] = (Candidate) { out->candidate_ids[i], out->candidate_logits[i] };
      for (guint p = 0; p < s->n_penalty_ids; p++)
        for (guint i = 0; i < n; i++)
          if (c[i].id == s->penalty_ids[p])
            {
              c[i].value = penalize (c[i].value, s->params.repeat_penalty);
              break;
            }
      qsort (c, n, sizeof *c, compare_candidates);
      /* With the list capped, the penalized tokens take room from it. */
      n_keep = MIN (MIN (n, s->n_sample), n - MIN (n - 1, s->n_penalty_ids));
      n_keep = MAX (n_keep, 1);

      if (s->params.temperature <= 0.0f)
        id = c[0].id;
      else
        {
          /* min-p: p_i / p_max >= min_p ⇔ v_i >= v_0 + T ln(min_p). */
          if (s->params.min_p > 0.0f && s->params.min_p < 1.0f)
            {
              float floor_value = c[0].value + s->params.temperature * logf (s->params.min_p);
              guint keep = 1;
              while (keep < n_keep && c[keep].value >= floor_value)
                keep++;
              n_keep = keep;
            }
          /* The CPU sampler (model/sampler.h) on the candidates, which are
           * in its order already: the same draws as on the full logits. */
          values = g_new (float, n_keep);
          for (guint i = 0; i < n_keep; i++)
            values[i] = c[i].value;
          id = c[lb_sampler_sample (s->sampler, values, n_keep)].id;
        }
    }
  g_array_append_val (s->recent, id);
  return id;
}
