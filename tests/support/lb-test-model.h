/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Random test models for tests (src/model/random-model.h, what
 * `lightbox-cli make-model` writes): a text model and its projector,
 * written once per name into the test program's temporary folder.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *preset;       /* "tiny" (NULL), "small", "medgemma-4b" */
  const char *shape;        /* overrides such as "layers=2,vocab=3000", or NULL */
  const char *type;         /* text matrices ("f32", "q4_k_m", …), NULL: the preset's */
  const char *mmproj_type;  /* projector matrices ("f32", "f16"), NULL: the preset's */
  guint64 seed;
} LbTestModelSpec;

/* The folder holding text.gguf and mmproj.gguf of the model called name
 * (written on the first call for that name; later calls return the same
 * folder whatever spec says). Fails the test when the spec is invalid.
 * The string lives until the program exits. */
const char *lb_test_random_model (const char *name, const LbTestModelSpec *spec);

/* Its two files (newly allocated paths). */
char *lb_test_random_model_text (const char *name, const LbTestModelSpec *spec);
char *lb_test_random_model_mmproj (const char *name, const LbTestModelSpec *spec);

G_END_DECLS
