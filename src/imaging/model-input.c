/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <math.h>
#include <string.h>

#include "imaging/model-input.h"

/* PIL's fixed point for 8-bit resampling: 32 bits minus 8 for the value
 * and 2 for filters with negative lobes (not bilinear's, but the rounding
 * must be the same). */
#define PRECISION_BITS (32 - 8 - 2)

typedef struct {
  int ksize;     /* coefficients per output sample */
  int *bounds;   /* [out][2]: first input index, number of inputs */
  gint32 *k;     /* [out][ksize]: fixed-point weights */
} Coefficients;

static double
triangle (double x)
{
  if (x < 0.0)
    x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

/* The triangle filter scaled by the reduction factor (so each output
 * sample averages the input it covers), PIL's bounds and normalization. */
static Coefficients
precompute (int in_size, int out_size)
{
  Coefficients c;
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = 1.0 * filterscale;
  c.ksize = (int) ceil (support) * 2 + 1;
  c.bounds = g_new (int, (gsize) out_size * 2);
  c.k = g_new0 (gint32, (gsize) out_size * c.ksize);
  double *w = g_new (double, c.ksize);

  for (int xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale;
      double ss = 1.0 / filterscale;
      double total = 0.0;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0)
        xmin = 0;
      int xmax = (int) (center + support + 0.5);
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          w[x] = triangle ((x + xmin - center + 0.5) * ss);
          total += w[x];
        }
      for (int x = 0; x < xmax; x++)
        {
          double v = total != 0.0 ? w[x] / total : w[x];
          c.k[(gsize) xx * c.ksize + x] = v < 0 ? (gint32) (-0.5 + v * (1 << PRECISION_BITS))
                                                : (gint32) (0.5 + v * (1 << PRECISION_BITS));
        }
      c.bounds[xx * 2] = xmin;
      c.bounds[xx * 2 + 1] = xmax;
    }
  g_free (w);
  return c;
}

static void
coefficients_clear (Coefficients *c)
{
  g_free (c->bounds);
  g_free (c->k);
}

static inline guint8
clip8 (gint32 v)
{
  v >>= PRECISION_BITS;
  return (guint8) CLAMP (v, 0, 255);
}

/* The resize of rows src_stride bytes apart. */
static void
resize_strided (const guint8 *src, gsize src_stride, guint src_width, guint src_height, guint channels,
                guint8 *dst, guint dst_width, guint dst_height)
{
  gsize ch = channels;
  if (src_width == dst_width && src_height == dst_height)
    {
      for (guint y = 0; y < src_height; y++)
        memcpy (dst + (gsize) y * dst_width * ch, src + y * src_stride, (gsize) src_width * ch);
      return;
    }

  Coefficients horiz = precompute ((int) src_width, (int) dst_width);
  Coefficients vert = precompute ((int) src_height, (int) dst_height);
  gboolean need_horizontal = src_width != dst_width;
  gboolean need_vertical = src_height != dst_height;

  /* Horizontal pass over the rows the vertical pass will read, rounded to
   * 8 bits (PIL keeps an 8-bit intermediate image). */
  int first_row = vert.bounds[0];
  int last_row = vert.bounds[(dst_height - 1) * 2] + vert.bounds[(dst_height - 1) * 2 + 1];
  const guint8 *tmp = src;
  guint8 *tmp_owned = NULL;
  gsize tmp_stride = src_stride;
  int row_offset = 0;

  if (need_horizontal)
    {
      int rows = last_row - first_row;
      tmp_stride = (gsize) dst_width * ch;
      tmp_owned = g_malloc (tmp_stride * rows);
      for (int y = 0; y < rows; y++)
        {
          const guint8 *in = src + (gsize) (y + first_row) * src_stride;
          guint8 *out = tmp_owned + (gsize) y * tmp_stride;
          for (guint xx = 0; xx < dst_width; xx++)
            {
              int xmin = horiz.bounds[xx * 2], xmax = horiz.bounds[xx * 2 + 1];
              const gint32 *k = &horiz.k[(gsize) xx * horiz.ksize];
              for (gsize c = 0; c < ch; c++)
                {
                  gint32 ss = 1 << (PRECISION_BITS - 1);
                  for (int x = 0; x < xmax; x++)
                    ss += in[(gsize) (x + xmin) * ch + c] * k[x];
                  out[xx * ch + c] = clip8 (ss);
                }
            }
        }
      tmp = tmp_owned;
      row_offset = first_row;
    }

  if (need_vertical)
    {
      gsize width = (gsize) dst_width * ch;
      gint32 *acc = g_new (gint32, width);
      for (guint yy = 0; yy < dst_height; yy++)
        {
          int ymin = vert.bounds[yy * 2] - row_offset, ymax = vert.bounds[yy * 2 + 1];
          const gint32 *k = &vert.k[(gsize) yy * vert.ksize];
          for (gsize i = 0; i < width; i++)
            acc[i] = 1 << (PRECISION_BITS - 1);
          for (int y = 0; y < ymax; y++)
            {
              const guint8 *in = tmp + (gsize) (y + ymin) * tmp_stride;
              gint32 w = k[y];
              for (gsize i = 0; i < width; i++)
                acc[i] += in[i] * w;
            }
          guint8 *out = dst + (gsize) yy * width;
          for (gsize i = 0; i < width; i++)
            out[i] = clip8 (acc[i]);
        }
      g_free (acc);
    }
  else
    {
      /* Only the horizontal pass: heights are equal, rows 0..H-1 were done. */
      memcpy (dst, tmp, tmp_stride * dst_height);
    }

  g_free (tmp_owned);
  coefficients_clear (&horiz);
  coefficients_clear (&vert);
}

void
lb_resize_bilinear_u8 (const guint8 *src, guint src_width, guint src_height, guint channels,
                       guint8 *dst, guint dst_width, guint dst_height)
{
  g_return_if_fail (src != NULL && dst != NULL && channels >= 1 && channels <= 4);
  g_return_if_fail (src_width > 0 && src_height > 0 && dst_width > 0 && dst_height > 0);
  resize_strided (src, (gsize) src_width * channels, src_width, src_height, channels, dst, dst_width,
                  dst_height);
}

void
lb_model_input_params_init (LbModelInputParams *params, const LbImage *image)
{
  g_return_if_fail (params != NULL && image != NULL);
  memset (params, 0, sizeof *params);
  lb_display_params_init (&params->display, image);
}

LbModelInput *
lb_model_input_build (const LbImage *image, const LbModelInputParams *params, guint size,
                      GError **error)
{
  g_return_val_if_fail (image != NULL && params != NULL, NULL);

  if (size == 0 || size > 8192)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_INVALID,
                   "model input size %u is out of range; 1 to 8192 pixels were expected", size);
      return NULL;
    }

  guint dw, dh;
  lb_display_output_size (image, &params->display, &dw, &dh);
  guint cx = 0, cy = 0, cw = dw, chh = dh;
  if (params->has_crop)
    {
      cx = params->crop_x;
      cy = params->crop_y;
      cw = params->crop_width;
      chh = params->crop_height;
      if (cw == 0 || chh == 0 || cx >= dw || cy >= dh || cw > dw - cx || chh > dh - cy)
        {
          g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_INVALID,
                       "crop %u,%u %u×%u does not lie inside the %u×%u displayed image",
                       cx, cy, cw, chh, dw, dh);
          return NULL;
        }
    }

  g_autoptr(LbDisplayImage) display = lb_display_render (image, &params->display, FALSE);
  guint ch = display->channels;

  /* Crop and pad into a black square of side max(cw, chh), centred; a
   * square region needs no copy. */
  guint side = MAX (cw, chh);
  guint pad_x = (side - cw) / 2, pad_y = (side - chh) / 2;
  g_autofree guint8 *square = NULL;
  const guint8 *source = display->data + (gsize) cy * display->stride + (gsize) cx * ch;
  gsize source_stride = display->stride;
  if (cw != chh)
    {
      square = g_malloc0 ((gsize) side * side * ch);
      for (guint y = 0; y < chh; y++)
        memcpy (square + ((gsize) (y + pad_y) * side + pad_x) * ch,
                display->data + (gsize) (y + cy) * display->stride + (gsize) cx * ch, (gsize) cw * ch);
      source = square;
      source_stride = (gsize) side * ch;
    }

  g_autofree guint8 *resized = g_malloc ((gsize) size * size * ch);
  resize_strided (source, source_stride, side, side, ch, resized, size, size);

  LbModelInput *input = g_new0 (LbModelInput, 1);
  input->size = size;
  if (ch == 3)
    input->rgb = g_steal_pointer (&resized);
  else
    {
      gsize n = (gsize) size * size;
      input->rgb = g_malloc (n * 3);
      for (gsize i = 0; i < n; i++)
        input->rgb[3 * i] = input->rgb[3 * i + 1] = input->rgb[3 * i + 2] = resized[i];
    }
  input->crop_x = cx;
  input->crop_y = cy;
  input->crop_width = cw;
  input->crop_height = chh;
  input->side = side;
  input->pad_x = pad_x;
  input->pad_y = pad_y;
  input->scale = (double) size / side;
  input->image_width = image->width;
  input->image_height = image->height;
  input->display = params->display;
  return input;
}

void
lb_model_input_free (LbModelInput *input)
{
  if (input == NULL)
    return;
  g_free (input->rgb);
  g_free (input);
}

void
lb_model_input_to_image (const LbModelInput *input, double mx, double my, double *ix, double *iy)
{
  g_return_if_fail (input != NULL);
  double dx = mx / input->scale - input->pad_x + input->crop_x;
  double dy = my / input->scale - input->pad_y + input->crop_y;
  lb_display_to_image (input->image_width, input->image_height, &input->display, dx, dy, ix, iy);
}

void
lb_model_input_from_image (const LbModelInput *input, double ix, double iy, double *mx, double *my)
{
  g_return_if_fail (input != NULL);
  double dx, dy;
  lb_display_from_image (input->image_width, input->image_height, &input->display, ix, iy, &dx, &dy);
  *mx = (dx - input->crop_x + input->pad_x) * input->scale;
  *my = (dy - input->crop_y + input->pad_y) * input->scale;
}

void
lb_model_input_to_float (const LbModelInput *input, const float mean[3], const float std[3],
                         float *out)
{
  g_return_if_fail (input != NULL && mean != NULL && std != NULL && out != NULL);
  gsize n = (gsize) input->size * input->size;
  for (guint c = 0; c < 3; c++)
    {
      float *plane = out + c * n;
      float m = mean[c], s = std[c];
      for (gsize i = 0; i < n; i++)
        plane[i] = (input->rgb[3 * i + c] / 255.0f - m) / s;
    }
}
