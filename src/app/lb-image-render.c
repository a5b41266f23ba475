/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include "app/lb-image-render.h"

/* Maps stored samples through the table into 8-bit RGB at a reduction of
 * 2^level: box-filtered, or the centre sample of each block (point). */
#define DEFINE_RENDER(NAME, TYPE, OFFSET)                                                      \
  static void NAME (const TYPE *src, guint width, guint height, guint channels,                \
                    const guint8 *lut, guint level, gboolean point, guint8 *out, guint ow,      \
                    guint oh, GCancellable *cancellable)                                        \
  {                                                                                             \
    guint f = 1u << level;                                                                      \
    if (level == 0 || point)                                                                    \
      {                                                                                         \
        for (guint oy = 0; oy < oh; oy++)                                                       \
          {                                                                                     \
            guint sy = MIN (oy * f + f / 2, height - 1);                                        \
            const TYPE *row = src + (gsize) sy * width * channels;                              \
            guint8 *o = out + (gsize) oy * ow * 3;                                              \
            if (channels == 1)                                                                  \
              for (guint ox = 0; ox < ow; ox++)                                                 \
                {                                                                               \
                  guint sx = MIN (ox * f + f / 2, width - 1);                                   \
                  guint8 v = lut[(int) row[sx] + (OFFSET)];                                     \
                  o[0] = o[1] = o[2] = v;                                                       \
                  o += 3;                                                                       \
                }                                                                               \
            else                                                                                \
              for (guint ox = 0; ox < ow; ox++)                                                 \
                {                                                                               \
                  const TYPE *p = row + (gsize) MIN (ox * f + f / 2, width - 1) * 3;            \
                  o[0] = lut[(int) p[0] + (OFFSET)];                                            \
                  o[1] = lut[(int) p[1] + (OFFSET)];                                            \
                  o[2] = lut[(int) p[2] + (OFFSET)];                                            \
                  o += 3;                                                                       \
                }                                                                               \
            if ((oy & 63) == 0 && g_cancellable_is_cancelled (cancellable))                     \
              return;                                                                           \
          }                                                                                     \
        return;                                                                                 \
      }                                                                                         \
    g_autofree guint32 *acc = g_new (guint32, (gsize) ow * channels);                           \
    for (guint oy = 0; oy < oh; oy++)                                                           \
      {                                                                                         \
        memset (acc, 0, sizeof (guint32) * ow * channels);                                      \
        guint y0 = oy * f, y1 = MIN (y0 + f, height);                                           \
        for (guint y = y0; y < y1; y++)                                                         \
          {                                                                                     \
            const TYPE *row = src + (gsize) y * width * channels;                               \
            for (guint x = 0; x < width; x++)                                                   \
              for (guint c = 0; c < channels; c++)                                              \
                acc[(x >> level) * channels + c] += lut[(int) row[x * channels + c] + (OFFSET)]; \
          }                                                                                     \
        guint8 *o = out + (gsize) oy * ow * 3;                                                  \
        for (guint ox = 0; ox < ow; ox++)                                                       \
          {                                                                                     \
            guint x0 = ox * f, x1 = MIN (x0 + f, width);                                        \
            guint n = (x1 - x0) * (y1 - y0);                                                    \
            for (guint c = 0; c < 3; c++)                                                       \
              o[c] = (guint8) ((acc[ox * channels + (channels == 1 ? 0 : c)] + n / 2) / n);     \
            o += 3;                                                                             \
          }                                                                                     \
        if ((oy & 15) == 0 && g_cancellable_is_cancelled (cancellable))                         \
          return;                                                                               \
      }                                                                                         \
  }

DEFINE_RENDER (render_u8, guint8, 0)
DEFINE_RENDER (render_s8, gint8, 128)
DEFINE_RENDER (render_u16, guint16, 0)
DEFINE_RENDER (render_s16, gint16, 32768)

void
lb_image_render_level_size (const LbImage *image, guint level, guint *width, guint *height)
{
  guint f = 1u << level;
  *width = MAX (1u, (image->width + f - 1) / f);
  *height = MAX (1u, (image->height + f - 1) / f);
}

/* Any thread: the image is immutable, the table a private copy. */
GBytes *
lb_image_render_pixels (const LbImage *image, const guint8 *lut, guint level, gboolean point,
                        GCancellable *cancellable)
{
  guint ow, oh;
  lb_image_render_level_size (image, level, &ow, &oh);
  guint8 *out = g_malloc ((gsize) ow * oh * 3);
  if (image->bits_stored == 8 && !image->is_signed)
    render_u8 (image->u8, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else if (image->bits_stored == 8)
    render_s8 (image->s8, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else if (!image->is_signed)
    render_u16 (image->u16, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  else
    render_s16 (image->s16, image->width, image->height, image->channels, lut, level, point, out, ow, oh, cancellable);
  return g_bytes_new_take (out, (gsize) ow * oh * 3);
}

GdkTexture *
lb_image_render_texture_from_rgb (GBytes *bytes, guint width, guint height)
{
  return gdk_memory_texture_new ((int) width, (int) height, GDK_MEMORY_R8G8B8, bytes, (gsize) width * 3);
}
