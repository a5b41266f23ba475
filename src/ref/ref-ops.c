/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-ref"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "ref/ref-ops.h"

G_DEFINE_QUARK (lb-ref-error-quark, lb_ref_error)

/* ---- a parallel for over a shared thread pool ---------------------------- */

#define MAX_CHUNKS 64

typedef struct {
  LbRefRangeFunc func;
  gpointer data;
  GMutex mutex;
  GCond cond;
  guint pending;
} ParallelJob;

typedef struct {
  ParallelJob *job;
  guint begin;
  guint end;
} ParallelChunk;

static void
run_chunk (gpointer chunk_data, gpointer pool_data)
{
  ParallelChunk *chunk = chunk_data;
  ParallelJob *job = chunk->job;

  job->func (chunk->begin, chunk->end, job->data);
  g_mutex_lock (&job->mutex);
  if (--job->pending == 0)
    g_cond_signal (&job->cond);
  g_mutex_unlock (&job->mutex);
}

static guint
n_threads (void)
{
  static gsize once = 0;
  static guint threads = 1;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("LIGHTBOX_REF_THREADS");
      threads = env != NULL ? (guint) atoi (env) : g_get_num_processors ();
      threads = CLAMP (threads, 1, MAX_CHUNKS);
      g_once_init_leave (&once, 1);
    }
  return threads;
}

/* The pool runs all chunks but the caller's own; its threads never wait,
 * so concurrent callers cannot deadlock. */
static GThreadPool *
shared_pool (void)
{
  static gsize once = 0;
  static GThreadPool *pool = NULL;

  if (g_once_init_enter (&once))
    {
      pool = g_thread_pool_new (run_chunk, NULL, (int) n_threads () - 1, FALSE, NULL);
      g_once_init_leave (&once, 1);
    }
  return pool;
}

void
lb_ref_parallel_for (guint n, LbRefRangeFunc func, gpointer data)
{
  ParallelChunk chunks[MAX_CHUNKS];
  ParallelJob job = { .func = func, .data = data };
  guint n_chunks = MIN (n_threads (), n);

  if (n_chunks <= 1)
    {
      if (n > 0)
        func (0, n, data);
      return;
    }

  g_mutex_init (&job.mutex);
  g_cond_init (&job.cond);
  job.pending = n_chunks - 1;
  for (guint c = 0; c < n_chunks; c++)
    {
      chunks[c].job = &job;
      chunks[c].begin = (guint) ((guint64) n * c / n_chunks);
      chunks[c].end = (guint) ((guint64) n * (c + 1) / n_chunks);
    }
  for (guint c = 1; c < n_chunks; c++)
    g_thread_pool_push (shared_pool (), &chunks[c], NULL);
  func (chunks[0].begin, chunks[0].end, data);

  g_mutex_lock (&job.mutex);
  while (job.pending > 0)
    g_cond_wait (&job.cond, &job.mutex);
  g_mutex_unlock (&job.mutex);
  g_mutex_clear (&job.mutex);
  g_cond_clear (&job.cond);
}

/* ---- matrix times vectors ------------------------------------------------ */

typedef struct {
  float *out;        /* [n_tokens][n_out] */
  const float *x;    /* [n_tokens][n_in] */
  const float *w;    /* [n_out][n_in] */
  guint n_tokens;
  guint n_in;
  guint n_out;
} Matmul;

static void
matmul_rows (guint begin, guint end, gpointer data)
{
  const Matmul *m = data;

  for (guint o = begin; o < end; o++)
    {
      const float *row = m->w + (gsize) o * m->n_in;
      for (guint t = 0; t < m->n_tokens; t++)
        {
          const float *x = m->x + (gsize) t * m->n_in;
          float sum = 0.0f;
          for (guint i = 0; i < m->n_in; i++)
            sum += row[i] * x[i];
          m->out[(gsize) t * m->n_out + o] = sum;
        }
    }
}

void
lb_ref_matmul (float *out, const float *x, const float *w, guint n_tokens, guint n_in, guint n_out)
{
  Matmul m = { out, x, w, n_tokens, n_in, n_out };

  /* Threads only pay off beyond a few hundred thousand multiply-adds. */
  if ((guint64) n_tokens * n_in * n_out < (1u << 18))
    matmul_rows (0, n_out, &m);
  else
    lb_ref_parallel_for (n_out, matmul_rows, &m);
}

/* ---- element-wise and row kernels ------------------------------------------ */

void
lb_ref_rmsnorm (float *out, const float *x, const float *weight, guint n, float eps)
{
  double sum = 0.0;
  float scale;

  for (guint i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  scale = (float) (1.0 / sqrt (sum / n + eps));
  for (guint i = 0; i < n; i++)
    out[i] = x[i] * scale * (weight != NULL ? weight[i] : 1.0f);
}

void
lb_ref_layernorm (float *out, const float *x, const float *weight, const float *bias,
                  guint n, float eps)
{
  double mean = 0.0, var = 0.0;
  float scale;

  for (guint i = 0; i < n; i++)
    mean += x[i];
  mean /= n;
  for (guint i = 0; i < n; i++)
    var += (x[i] - mean) * (x[i] - mean);
  var /= n;
  scale = (float) (1.0 / sqrt (var + eps));
  for (guint i = 0; i < n; i++)
    out[i] = (float) (x[i] - mean) * scale * weight[i] + bias[i];
}

void
lb_ref_gelu_tanh (float *x, guint n)
{
  const float sqrt_2_over_pi = 0.79788456080286535588f;

  for (guint i = 0; i < n; i++)
    {
      float v = x[i];
      x[i] = 0.5f * v * (1.0f + tanhf (sqrt_2_over_pi * v * (1.0f + 0.044715f * v * v)));
    }
}

void
lb_ref_softmax (float *x, guint n)
{
  float max = -INFINITY;
  double sum = 0.0;

  for (guint i = 0; i < n; i++)
    max = MAX (max, x[i]);
  for (guint i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += x[i];
    }
  for (guint i = 0; i < n; i++)
    x[i] = (float) (x[i] / sum);
}

void
lb_ref_rope_neox (float *head, guint head_dim, double position, float base)
{
  guint half = head_dim / 2;

  for (guint i = 0; i < half; i++)
    {
      double theta = position * pow (base, -2.0 * i / head_dim);
      float c = (float) cos (theta), s = (float) sin (theta);
      float a = head[i], b = head[i + half];
      head[i] = a * c - b * s;
      head[i + half] = a * s + b * c;
    }
}
