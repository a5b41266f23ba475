/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-regions"

#include "config.h"

#include <math.h>

#include "regions/attention-map.h"
#include "regions/regions.h"
#include "regions/sentences.h"

struct _LbAttentionTrace {
  GArray *ids;          /* gint32 [n] */
  GString *text;
  GArray *text_ends;    /* gsize [n], into text */
  GArray *rows;         /* float [n][P] while every batch had attention */
  guint n_positions;    /* P = g × g; 0 before the first row */
  guint grid;
  gboolean missing;     /* some batch came without attention */
};

LbAttentionTrace *
lb_attention_trace_new (void)
{
  LbAttentionTrace *trace = g_new0 (LbAttentionTrace, 1);

  trace->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  trace->text = g_string_new (NULL);
  trace->text_ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  trace->rows = g_array_new (FALSE, FALSE, sizeof (float));
  return trace;
}

void
lb_attention_trace_free (LbAttentionTrace *trace)
{
  if (trace == NULL)
    return;
  g_array_unref (trace->ids);
  g_string_free (trace->text, TRUE);
  g_array_unref (trace->text_ends);
  g_array_unref (trace->rows);
  g_free (trace);
}

gboolean
lb_attention_trace_add (LbAttentionTrace *trace, guint n_tokens, const gint32 *ids, const char *text,
                        gsize text_length, const gsize *text_ends, guint n_image_positions,
                        const float *attention, GError **error)
{
  gsize base;

  g_return_val_if_fail (trace != NULL, FALSE);
  g_return_val_if_fail (n_tokens == 0 || (ids != NULL && text_ends != NULL), FALSE);

  if (attention != NULL && n_tokens > 0)
    {
      guint g = (guint) lround (sqrt ((double) n_image_positions));
      if (n_image_positions == 0 || g * g != n_image_positions)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "%u image positions do not form a square grid", n_image_positions);
          return FALSE;
        }
      if (trace->n_positions != 0 && trace->n_positions != n_image_positions)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "attention over %u image positions after %u", n_image_positions,
                       trace->n_positions);
          return FALSE;
        }
      trace->n_positions = n_image_positions;
      trace->grid = g;
      g_array_append_vals (trace->rows, attention, n_tokens * n_image_positions);
    }
  else if (n_tokens > 0)
    trace->missing = TRUE;

  base = trace->text->len;
  g_string_append_len (trace->text, text, (gssize) text_length);
  g_array_append_vals (trace->ids, ids, n_tokens);
  for (guint i = 0; i < n_tokens; i++)
    {
      gsize end = base + MIN (text_ends[i], text_length);
      g_array_append_val (trace->text_ends, end);
    }
  return TRUE;
}

gboolean
lb_attention_trace_add_batch (LbAttentionTrace *trace, const LbTokenBatch *batch, GError **error)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  return lb_attention_trace_add (trace, batch->n_tokens, batch->ids, batch->text, batch->text_length,
                                 batch->text_ends, batch->n_image_positions, batch->attention, error);
}

guint
lb_attention_trace_n_tokens (const LbAttentionTrace *trace)
{
  return trace->ids->len;
}

const gint32 *
lb_attention_trace_ids (const LbAttentionTrace *trace)
{
  return (const gint32 *) (gconstpointer) trace->ids->data;
}

const char *
lb_attention_trace_text (const LbAttentionTrace *trace, gsize *out_length)
{
  if (out_length != NULL)
    *out_length = trace->text->len;
  return trace->text->str;
}

const gsize *
lb_attention_trace_text_ends (const LbAttentionTrace *trace)
{
  return (const gsize *) (gconstpointer) trace->text_ends->data;
}

guint
lb_attention_trace_grid (const LbAttentionTrace *trace)
{
  return trace->missing ? 0 : trace->grid;
}

const float *
lb_attention_trace_row (const LbAttentionTrace *trace, guint token)
{
  if (trace->missing || trace->n_positions == 0 || token >= trace->ids->len)
    return NULL;
  return &g_array_index (trace->rows, float, (gsize) token * trace->n_positions);
}

LbRegionMap *
lb_attention_trace_map_tokens (const LbAttentionTrace *trace, guint first, guint n, GError **error)
{
  LbRegionMap *map;
  g_autofree double *sum = NULL;
  guint P = trace->n_positions;

  g_return_val_if_fail (trace != NULL, NULL);
  if (trace->missing || P == 0)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_NO_ATTENTION,
                   "no attention was captured for this answer (the model needs a global-attention "
                   "layer, and the question an image)");
      return NULL;
    }
  if (n == 0 || first >= trace->ids->len || n > trace->ids->len - first)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "tokens %u–%u are not in an answer of %u tokens", first, first + n, trace->ids->len);
      return NULL;
    }
  /* Accumulated in double: a long answer sums thousands of rows. */
  sum = g_new0 (double, P);
  for (guint t = first; t < first + n; t++)
    {
      const float *row = lb_attention_trace_row (trace, t);
      for (guint j = 0; j < P; j++)
        sum[j] += row[j];
    }
  map = lb_region_map_new (trace->grid);
  for (guint j = 0; j < P; j++)
    map->values[j] = (float) (sum[j] / n);
  return map;
}

LbRegionMap *
lb_attention_trace_map_text (const LbAttentionTrace *trace, gsize start, gsize end, GError **error)
{
  guint first, n;

  if (!lb_sentences_token_range (lb_attention_trace_text_ends (trace), trace->ids->len, start, end,
                                 &first, &n))
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "bytes %" G_GSIZE_FORMAT "–%" G_GSIZE_FORMAT " are not in the answer's text "
                   "(%" G_GSIZE_FORMAT " bytes)", start, end, trace->text->len);
      return NULL;
    }
  return lb_attention_trace_map_tokens (trace, first, n, error);
}

LbRegionMap *
lb_attention_trace_map_answer (const LbAttentionTrace *trace, GError **error)
{
  const gsize *ends = lb_attention_trace_text_ends (trace);
  guint n = trace->ids->len;

  /* Up to the token that completed the last character. */
  while (n > 1 && ends[n - 1] == ends[n - 2])
    n--;
  if (n == 1 && ends[0] == 0 && trace->ids->len > 1)
    n = trace->ids->len;   /* no text at all (random models): every token */
  return lb_attention_trace_map_tokens (trace, 0, n, error);
}
