/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Highlighted regions (DESIGN §5): three honest sources of "where in the
 * image", each labelled for what it is.
 *
 *   boxes.h          boxes the model writes itself (MedGemma 1.5 JSON)
 *   attention-map.h  the attention of each generated token over the image
 *   occlusion.h      how much hiding each cell lowers the answer's probability
 *   answer-scorer.h  the log-probability of a fixed answer (teacher forcing)
 *   region-map.h     a grid of values over the model-input square, upsampled
 *                    and coloured into an overlay in image pixels
 *
 * This layer sits above the engine and imaging and below the CLI and the
 * app: no GTK here.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_REGIONS_ERROR (lb_regions_error_quark ())
GQuark lb_regions_error_quark (void);

typedef enum {
  LB_REGIONS_ERROR_FAILED,
  LB_REGIONS_ERROR_INVALID,       /* a malformed request: wrong sizes, an empty answer */
  LB_REGIONS_ERROR_NO_ATTENTION,  /* the model has no global-attention layer to read */
} LbRegionsError;

/* What every heat map is, in the words the UI and the CLI show next to it. */
#define LB_REGIONS_LABEL "where the model looked — not proof"
/* And boxes: the model drew them, nobody checked them. */
#define LB_REGIONS_BOXES_LABEL "boxes drawn by the model — not verified"

G_END_DECLS
