/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SigLIP vision encoder and the Gemma 3 projector in plain C on
 * float32 (DESIGN §4): pixels in, one embedding of the text model's width
 * per image position out. Weights are dequantized when created.
 */
#pragma once

#include <glib.h>

#include "model/gguf.h"
#include "model/model-config.h"
#include "ref/ref-ops.h"

G_BEGIN_DECLS

typedef struct _LbRefVision LbRefVision;

LbRefVision *lb_ref_vision_new (const LbGguf *gguf, GError **error);
void lb_ref_vision_free (LbRefVision *vision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRefVision, lb_ref_vision_free)

const LbVisionConfig *lb_ref_vision_config (const LbRefVision *vision);

/* Encodes one image. pixels: [3][S][S] floats, already normalized with
 * the model's mean/std (lb_model_input_to_float), S = image_size.
 * out: [n_image_tokens][projection_dim]. */
void lb_ref_vision_encode (LbRefVision *vision, const float *pixels, float *out);

G_END_DECLS
