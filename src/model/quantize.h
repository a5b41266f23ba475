/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Quantizers from float32 to the GGUF tensor types, the inverse of
 * lb_dequantize (tensor-type.h). They write test and benchmark models
 * (lightbox-cli make-model); they aim to be simple and correct, not to
 * match llama.cpp's error-minimising search bit for bit. Each block gets
 * the scale that maps its extreme values onto the type's range, computed
 * with the scales as they will be stored (f16, 4/6/8-bit), so that the
 * round-trip error stays within about half a quantization step.
 */
#pragma once

#include <glib.h>

#include "model/tensor-type.h"

G_BEGIN_DECLS

/* Whether lb_quantize can write this type: F32, F16, BF16, Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. */
gboolean lb_quantize_supported (LbTensorType type);

/* Quantizes n elements (a multiple of the type's block size) from src into
 * dst, which holds lb_tensor_type_bytes (type, n) bytes. */
void lb_quantize (LbTensorType type, const float *src, void *dst, gsize n_elements);

G_END_DECLS
