/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The welcome page shown when no model is set up (and from the model
 * menu): where to get MedGemma (the GGUF pair), choosing the two files,
 * the GPU, loading with progress, the engine's message when a file or a
 * device is refused, and what is loaded.
 */
#pragma once

#include <adwaita.h>

#include "app/lb-model-manager.h"

G_BEGIN_DECLS

#define LB_TYPE_MODEL_PAGE (lb_model_page_get_type ())
G_DECLARE_FINAL_TYPE (LbModelPage, lb_model_page, LB, MODEL_PAGE, AdwBin)

void lb_model_page_setup (LbModelPage *self, GSettings *settings, LbModelManager *models);
/* Labels the way out: "Continue Without a Model" or "Back to the Image". */
void lb_model_page_set_has_image (LbModelPage *self, gboolean has_image);

/* The folder the README tells users to put the files in. */
char *lb_model_page_get_models_dir (void);

G_END_DECLS
