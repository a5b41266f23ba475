/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "model/sampler.h"

struct _LbSampler {
  LbSamplerParams params;
  GRand *rand;
  /* Scratch, grown to the vocabulary. */
  gint32 *ids;
  float *values;
  guint capacity;
};

void
lb_sampler_params_init (LbSamplerParams *params)
{
  params->temperature = 0.0f;
  params->top_k = 0;
  params->top_p = 1.0f;
  params->seed = 0;
}

LbSampler *
lb_sampler_new (const LbSamplerParams *params)
{
  LbSampler *sampler = g_new0 (LbSampler, 1);
  guint32 seed[2] = { (guint32) params->seed, (guint32) (params->seed >> 32) };

  sampler->params = *params;
  sampler->rand = g_rand_new_with_seed_array (seed, 2);
  return sampler;
}

void
lb_sampler_free (LbSampler *sampler)
{
  if (sampler == NULL)
    return;
  g_rand_free (sampler->rand);
  g_free (sampler->ids);
  g_free (sampler->values);
  g_free (sampler);
}

gint32
lb_logits_argmax (const float *logits, guint n_vocab)
{
  gint32 best = 0;

  for (guint i = 1; i < n_vocab; i++)
    if (logits[i] > logits[best])
      best = (gint32) i;
  return best;
}

/* Whether (va, a) ranks before (vb, b): larger value, then lower id. */
static inline gboolean
ranks_before (float va, gint32 a, float vb, gint32 b)
{
  return va > vb || (va == vb && a < b);
}

guint
lb_logits_top_k (const float *logits, guint n_vocab, guint k, gint32 *ids, float *values)
{
  guint n = 0;

  k = MIN (k, n_vocab);
  if (k == 0)
    return 0;
  /* Insertion into a sorted list of k: fast for the small k used here. */
  for (guint i = 0; i < n_vocab; i++)
    {
      float v = logits[i];
      guint pos;

      if (n == k && !ranks_before (v, (gint32) i, values[k - 1], ids[k - 1]))
        continue;
      pos = n < k ? n++ : k - 1;
      while (pos > 0 && ranks_before (v, (gint32) i, values[pos - 1], ids[pos - 1]))
        {
          values[pos] = values[pos - 1];
          ids[pos] = ids[pos - 1];
          pos--;
        }
      values[pos] = v;
      ids[pos] = (gint32) i;
    }
  return k;
}

typedef struct {
  gint32 id;
  float value;
} Candidate;

static int
compare_candidates (const void *a, const void *b)
{
  const Candidate *x = a, *y = b;

  if (ranks_before (x->value, x->id, y->value, y->id))
    return -1;
  if (ranks_before (y->value, y->id, x->value, x->id))
    return 1;
  return 0;
}

gint32
lb_sampler_sample (LbSampler *sampler, const float *logits, guint n_vocab)
{
  const LbSamplerParams *p = &sampler->params;
  guint n;
  double total = 0.0, cumulative = 0.0, r;

  g_return_val_if_fail (n_vocab > 0, -1);

  if (p->temperature <= 0.0f)
    return lb_logits_argmax (logits, n_vocab);

  if (sampler->capacity < n_vocab)
    {
      sampler->capacity = n_vocab;
      sampler->ids = g_renew (gint32, sampler->ids, n_vocab);
      sampler->values = g_renew (float, sampler->values, n_vocab);
    }

  /* Candidates in decreasing order of logit (temperature keeps the order). */
  if (p->top_k > 0 && p->top_k < n_vocab)
    n = lb_logits_top_k (logits, n_vocab, p->top_k, sampler->ids, sampler->values);
  else
    {
      g_autofree Candidate *all = g_new (Candidate, n_vocab);
      for (guint i = 0; i < n_vocab; i++)
        all[i] = (Candidate) { (gint32) i, logits[i] };
      qsort (all, n_vocab, sizeof (Candidate), compare_candidates);
      for (guint i = 0; i < n_vocab; i++)
        {
          sampler->ids[i] = all[i].id;
          sampler->values[i] = all[i].value;
        }
      n = n_vocab;
    }

  /* softmax(logits / temperature), in double, stored in values */
  for (guint i = 0; i < n; i++)
    {
      double e = exp ((double) (sampler->values[i] - sampler->values[0]) / p->temperature);
      sampler->values[i] = (float) e;
      total += e;
    }

  /* top-p: the smallest prefix whose probability reaches top_p */
  if (p->top_p < 1.0f)
    {
      guint keep = 0;
      double kept = 0.0;
      while (keep < n && (keep == 0 || kept / total < p->top_p))
        kept += sampler->values[keep++];
      n = keep;
      total = kept;
    }

  r = g_rand_double (sampler->rand) * total;
  for (guint i = 0; i < n; i++)
    {
      cumulative += sampler->values[i];
      if (r < cumulative)
        return sampler->ids[i];
    }
  return sampler->ids[n - 1];
}
