/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model-input transform (DESIGN §3): what the vision encoder sees.
 *
 *   image → display transform (the user's window/level, invert, rotation,
 *   flip — or a separate "model window") → 8-bit → optional crop (in
 *   displayed coordinates) → pad to a square with black, centred → resize
 *   to size × size → 8-bit RGB (gray replicated; RGBA files had alpha dropped
 *   on load, like PIL's convert('RGB')).
 *
 * The resize is PIL's Image.resize (…, Image.BILINEAR): a triangle filter
 * whose support grows with the reduction factor (so reduction averages the
 * covered pixels), two separable passes — horizontal, rounded to 8 bits,
 * then vertical — with PIL's 22-bit fixed-point coefficients and rounding.
 * An input already size × size (after crop and pad) is not resampled: an
 * 8-bit RGB size × size file with the default display comes out
 * bit-identical.
 *
 * Scaling to [-1, 1] belongs to the vision encoder, with the mmproj's
 * mean/std: lb_model_input_to_float.
 */
#pragma once

#include <glib.h>

#include "imaging/display.h"
#include "imaging/image.h"

G_BEGIN_DECLS

#define LB_MODEL_INPUT_DEFAULT_SIZE 896

typedef struct {
  LbDisplayParams display;  /* the user's display transform or a model window */
  gboolean has_crop;        /* crop rectangle in displayed (rotated) pixels */
  guint crop_x;
  guint crop_y;
  guint crop_width;
  guint crop_height;
} LbModelInputParams;

/* params->display from lb_display_params_init, no crop. */
void lb_model_input_params_init (LbModelInputParams *params, const LbImage *image);

typedef struct {
  guint size;        /* S */
  guint8 *rgb;       /* [S][S][3], row-major */

  /* Geometry, to map model-input coordinates back to the image. */
  guint crop_x;      /* crop origin in displayed pixels (0, 0 without a crop) */
  guint crop_y;
  guint crop_width;  /* the region used, in displayed pixels */
  guint crop_height;
  guint side;        /* max (crop_width, crop_height): the padded square */
  guint pad_x;       /* black columns left of the region: (side - crop_width) / 2 */
  guint pad_y;       /* black rows above it: (side - crop_height) / 2 */
  double scale;      /* model-input pixels per displayed pixel: S / side */
  /* The display geometry, to undo rotation and flips. */
  guint image_width;
  guint image_height;
  LbDisplayParams display;
} LbModelInput;

LbModelInput *lb_model_input_build (const LbImage *image, const LbModelInputParams *params,
                                    guint size, GError **error);
void lb_model_input_free (LbModelInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbModelInput, lb_model_input_free)

/* Maps a point in model-input coordinates (continuous: 0 is the left edge
 * of the first pixel, S the right edge of the last) to image pixel
 * coordinates (same convention, before rotation/flip), and back. Points in
 * the black padding map outside the crop region. */
void lb_model_input_to_image (const LbModelInput *input, double mx, double my,
                              double *ix, double *iy);
void lb_model_input_from_image (const LbModelInput *input, double ix, double iy,
                                double *mx, double *my);

/* out[c][y][x] = (rgb[y][x][c] / 255 - mean[c]) / std[c]: channel-planar
 * [3][S][S] floats, the layout of the patch-embedding convolution. With
 * mean = std = 0.5 (MedGemma) the range is [-1, 1]. out holds 3 × S × S. */
void lb_model_input_to_float (const LbModelInput *input, const float mean[3], const float std[3],
                              float *out);

/* PIL-compatible bilinear resize of 8-bit interleaved pixels (see above);
 * dst holds dst_width × dst_height × channels. Exposed for tests. */
void lb_resize_bilinear_u8 (const guint8 *src, guint src_width, guint src_height, guint channels,
                            guint8 *dst, guint dst_width, guint dst_height);

G_END_DECLS
