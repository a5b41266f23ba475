/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PNG through libpng's classic API (the simplified API applies gamma to
 * 16-bit data; we need the stored values). libpng reports errors by
 * longjmp: every object that must be freed after one lives in PngContext.
 */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "imaging/image-private.h"

typedef struct {
  const guint8 *data;
  gsize size;
  gsize offset;
  const char *name;
  char message[256];
  LbImageError code;
  LbImage *image;
  png_bytep *rows;
  FILE *file;
} PngContext;

static void
on_png_error (png_structp png, png_const_charp message)
{
  PngContext *ctx = png_get_error_ptr (png);
  if (ctx->message[0] == '\0')
    g_strlcpy (ctx->message, message, sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
on_png_warning (png_structp png, png_const_charp message)
{
  /* Benign (bad ancillary chunks, sRGB profile oddities): ignored. */
}

static void
read_from_memory (png_structp png, png_bytep out, png_size_t length)
{
  PngContext *ctx = png_get_io_ptr (png);
  if (length > ctx->size - ctx->offset)
    {
      ctx->code = LB_IMAGE_ERROR_CORRUPT;
      png_error (png, "the file is truncated (the image data ends early)");
    }
  memcpy (out, ctx->data + ctx->offset, length);
  ctx->offset += length;
}

static gboolean
identifying_text_key (const char *key)
{
  /* PNG's registered keywords that name people or places. */
  return g_ascii_strcasecmp (key, "Author") == 0 || g_ascii_strcasecmp (key, "Copyright") == 0
         || g_ascii_strcasecmp (key, "Source") == 0;
}

LbImage *
lb_image_load_png (const guint8 *data, gsize size, const char *name, guint frame, GError **error)
{
  PngContext ctx_storage = { .data = data, .size = size, .name = name, .code = LB_IMAGE_ERROR_CORRUPT };
  PngContext *ctx = &ctx_storage;
  png_structp png = NULL;
  png_infop info = NULL;

  if (frame != 0)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME,
                   "%s: frame %u requested, but a PNG file has a single frame", name, frame);
      return NULL;
    }

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, ctx, on_png_error, on_png_warning);
  if (png == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO, "%s: cannot start libpng", name);
      return NULL;
    }
  info = png_create_info_struct (png);
  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_read_struct (&png, &info, NULL);
      g_free (ctx->rows);
      g_clear_pointer (&ctx->image, lb_image_free);
      g_set_error (error, LB_IMAGE_ERROR, ctx->code, "%s: cannot read the PNG image: %s", name,
                   ctx->message[0] != '\0' ? ctx->message : "libpng failed");
      return NULL;
    }

  png_set_read_fn (png, ctx, read_from_memory);
  /* Our own limits are checked below with a clearer message; libpng's
   * default of 1,000,000 a side would fire first for a bomb. */
  png_set_user_limits (png, 0x7fffffff, 0x7fffffff);
  png_read_info (png, info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR (png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);

  g_autoptr(GError) dim_error = NULL;
  if (!lb_image_check_dimensions (name, width, height, &dim_error))
    {
      ctx->code = dim_error->code;
      g_strlcpy (ctx->message, dim_error->message, sizeof ctx->message);
      /* Report the message as is, without the libpng prefix. */
      png_destroy_read_struct (&png, &info, NULL);
      g_propagate_error (error, g_steal_pointer (&dim_error));
      return NULL;
    }

  guint channels = (color_type & PNG_COLOR_MASK_COLOR) || color_type == PNG_COLOR_TYPE_PALETTE ? 3 : 1;
  guint bits = bit_depth == 16 ? 16 : 8;
  const char *compression = "deflate";

  if (color_type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (png); /* tRNS is not turned into alpha: alpha is dropped anyway */
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
    png_set_expand_gray_1_2_4_to_8 (png);
  if (color_type & PNG_COLOR_MASK_ALPHA)
    png_set_strip_alpha (png);
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);

  if (png_get_rowbytes (png, info) != (gsize) width * channels * (bits / 8))
    {
      ctx->code = LB_IMAGE_ERROR_UNSUPPORTED;
      png_error (png, "unexpected row layout after conversion");
    }

  g_autoptr(GError) new_error = NULL;
  ctx->image = lb_image_new (width, height, channels, bits, FALSE, &new_error);
  if (ctx->image == NULL)
    {
      ctx->code = new_error->code;
      png_error (png, new_error->message);
    }
  ctx->rows = g_new (png_bytep, height);
  gsize row_bytes = (gsize) width * channels * (bits / 8);
  for (guint y = 0; y < height; y++)
    ctx->rows[y] = (guint8 *) ctx->image->data + y * row_bytes;
  png_read_image (png, ctx->rows);
  png_read_end (png, NULL);

  LbImageMetadata *m = &ctx->image->metadata;
  m->bits_used = bits;
  png_color_8p sig_bit = NULL;
  if (png_get_sBIT (png, info, &sig_bit) && sig_bit != NULL)
    {
      guint sb = channels == 3 ? MAX (sig_bit->red, MAX (sig_bit->green, sig_bit->blue)) : sig_bit->gray;
      if (sb >= 1 && sb <= bits && color_type != PNG_COLOR_TYPE_PALETTE)
        m->bits_used = sb;
    }
  png_uint_32 res_x = 0, res_y = 0;
  int unit = 0;
  if (png_get_pHYs (png, info, &res_x, &res_y, &unit) && unit == PNG_RESOLUTION_METER
      && res_x > 0 && res_y > 0)
    {
      m->has_pixel_spacing = TRUE;
      m->pixel_spacing[0] = 1000.0 / res_y;
      m->pixel_spacing[1] = 1000.0 / res_x;
    }
  png_textp text = NULL;
  int n_text = 0;
  if (png_get_text (png, info, &text, &n_text) > 0)
    for (int i = 0; i < n_text; i++)
      if (text[i].key != NULL)
        lb_image_metadata_add_tag (m, 0, text[i].key, text[i].text, identifying_text_key (text[i].key));
  m->compression = g_strdup (compression);
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    lb_image_metadata_add_tag (m, 0, "ColorType", "palette (expanded to RGB)", FALSE);
  else if (color_type & PNG_COLOR_MASK_ALPHA)
    lb_image_metadata_add_tag (m, 0, "ColorType", "with alpha (alpha dropped)", FALSE);

  LbImage *image = g_steal_pointer (&ctx->image);
  png_destroy_read_struct (&png, &info, NULL);
  g_free (ctx->rows);
  return image;
}

static gboolean
save_png (PngContext *ctx, const LbImage *image)
{
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, ctx, on_png_error, on_png_warning);
  if (png == NULL)
    return FALSE;
  png_infop info = png_create_info_struct (png);
  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_free (ctx->rows);
      ctx->rows = NULL;
      return FALSE;
    }
  png_init_io (png, ctx->file);
  png_set_IHDR (png, info, image->width, image->height, (int) image->bits_stored,
                image->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level (png, 6);
  png_write_info (png, info);
  if (image->bits_stored == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  ctx->rows = g_new (png_bytep, image->height);
  gsize row_bytes = (gsize) image->width * image->channels * (image->bits_stored / 8);
  for (guint y = 0; y < image->height; y++)
    ctx->rows[y] = (guint8 *) image->data + y * row_bytes;
  png_write_image (png, ctx->rows);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_free (ctx->rows);
  ctx->rows = NULL;
  return TRUE;
}

gboolean
lb_image_save_png (const LbImage *image, const char *path, GError **error)
{
  g_return_val_if_fail (image != NULL && path != NULL, FALSE);

  if (image->is_signed)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: PNG has no signed samples; convert the image first", path);
      return FALSE;
    }
  PngContext ctx = { .name = path };
  ctx.file = fopen (path, "wb");
  if (ctx.file == NULL)
    {
      int saved = errno;
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO, "%s: cannot create the file: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  gboolean ok = save_png (&ctx, image);
  if (fclose (ctx.file) != 0)
    ok = FALSE;
  if (!ok)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO, "%s: cannot write the PNG image: %s",
                   path, ctx.message[0] != '\0' ? ctx.message : "write failed");
      return FALSE;
    }
  return TRUE;
}
