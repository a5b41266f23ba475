/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Occlusion maps (DESIGN §5): hide one cell of the model-input square at a
 * time, run the model again (vision encoder + prefill + the answer, teacher
 * forced: answer-scorer.h) and record how much the answer's
 * log-probability drops:
 *
 *   value(cell) = log p(answer | image) − log p(answer | image with cell hidden)
 *
 * in nats, summed over the scored answer tokens (the whole answer, or a
 * sentence: lb_answer_scorer_set_range). Positive: the cell supported the
 * answer; negative: hiding it made the answer more likely. Slower than
 * attention (1 + g² runs), but causal and independent of the architecture.
 *
 * Cells are the g × g grid of region-map.h (8 × 8 by default, 16 × 16 for
 * more detail). A hidden cell is filled with the vision encoder's mean
 * colour (mid-grey, 128 for MedGemma, which the encoder normalises to
 * about 0), not black: black is what the padding and many backgrounds
 * already are, so a black patch would be a signal of its own rather than
 * an absence. Only the pixels of the cell that show the image are filled;
 * a cell wholly in the padding (or outside the crop) shows nothing to
 * hide: it is not run and its value is NaN.
 *
 * Runs one cell after another: the engine takes one ask at a time, and
 * each cell is a different image (the vision encoder has to run for each).
 * Progress is reported after every run, the cancellable is checked between
 * runs (and by the scorer inside them).
 *
 * What it is: where hiding the image changed the answer — not proof of
 * what the model understood.
 */
#pragma once

#include <gio/gio.h>

#include "imaging/model-input.h"
#include "regions/answer-scorer.h"
#include "regions/region-map.h"

G_BEGIN_DECLS

#define LB_OCCLUSION_DEFAULT_GRID 8

typedef enum {
  LB_OCCLUSION_FILL_MEAN,   /* the encoder's mean colour (default) */
  LB_OCCLUSION_FILL_BLACK,
} LbOcclusionFill;

typedef struct {
  guint grid;               /* cells per side (2–64): 8 (default) or 16 */
  LbOcclusionFill fill;
} LbOcclusionParams;

void lb_occlusion_params_init (LbOcclusionParams *params);

/* Progress on the main context: runs done of total (the unoccluded run
 * counts as one). */
typedef void (*LbOcclusionProgressFunc) (guint done, guint total, gpointer user_data);

typedef struct {
  LbRegionMap *map;         /* the drop per cell in nats; NaN: not run */
  double base_logprob;      /* the scored tokens with the whole image */
  guint n_runs;             /* the unoccluded one and one per cell run */
  /* 0: exact log-probabilities (the engine's scorer always); K: over the
   * top K logits (a reference scorer set so, answer-scorer.h). */
  guint n_candidates;
  double seconds;           /* wall time */
} LbOcclusionResult;

void lb_occlusion_result_free (LbOcclusionResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbOcclusionResult, lb_occlusion_result_free)

/* The input with cell (row, col) of a grid × grid division hidden, or NULL
 * when the cell shows no image (wholly padding or outside the crop). mean
 * is the encoder's mean colour (0–1 per channel). */
LbModelInput *lb_occlusion_hide_cell (const LbModelInput *input, guint grid, guint row, guint col,
                                      LbOcclusionFill fill, const float mean[3]);

/* Computes the map of the scorer's answer about input (whose geometry says
 * which cells show the image). progress may be NULL. */
void lb_occlusion_run_async (LbAnswerScorer *scorer, const LbModelInput *input,
                             const LbOcclusionParams *params, LbOcclusionProgressFunc progress,
                             gpointer progress_data, GDestroyNotify progress_destroy,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
LbOcclusionResult *lb_occlusion_run_finish (GAsyncResult *result, GError **error);

/* The same, waiting: iterates the thread-default main context (lightbox-cli,
 * tests). */
LbOcclusionResult *lb_occlusion_run_sync (LbAnswerScorer *scorer, const LbModelInput *input,
                                          const LbOcclusionParams *params,
                                          LbOcclusionProgressFunc progress, gpointer progress_data,
                                          GCancellable *cancellable, GError **error);

G_END_DECLS
