/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers for the regions tests that run a model: small random models
 * written with make-model's generator, the engine on them, the plain-C
 * reference on the same files, images with geometry.
 */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "model/gguf.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

G_BEGIN_DECLS

/* Writes (once per name) a random model pair: preset "tiny" with shape
 * overrides (NULL: none), F32; returns its folder. */
const char *regions_test_model (const char *name, const char *shape, guint64 seed);

/* The engine on that model; NULL and the test skipped when the Vulkan
 * backend finds no device. */
LbEngine *regions_test_engine (const char *dir, LbEngineBackend backend);

/* The same files on the reference, with room for capacity positions. */
typedef struct {
  LbGguf *text_file;
  LbGguf *vision_file;
  LbRefText *text;
  LbRefVision *vision;
} RegionsTestRef;

void regions_test_ref_load (RegionsTestRef *ref, const char *dir, guint capacity);
void regions_test_ref_clear (RegionsTestRef *ref);

/* A seeded random RGB image of width × height, as the model input of side
 * size (padded to a square, with its geometry). */
LbModelInput *regions_test_input (guint width, guint height, guint size, guint32 seed);

/* The one-turn prompt "<question>" about one image (LB_IMAGE_POSITION
 * for the image). */
GArray *regions_test_prompt (LbEngine *engine, const char *question);

/* A greedy answer of at most n tokens (no stop), with each token's
 * attention when capture (attention: [n][T], may be NULL). */
GArray *regions_test_generate (LbEngine *engine, const GArray *prompt, const LbModelInput *input,
                               guint n, gboolean capture, GArray **attention, guint *n_positions);

/* The global-attention layers of the reference model. */
GArray *regions_test_global_layers (const LbRefText *text);

G_END_DECLS
