/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * JPEG through libjpeg(-turbo). Errors longjmp out of libjpeg; warnings
 * while decoding the scans (a truncated file, corrupt entropy data) are
 * errors too: libjpeg would fill the rest with gray, and a clinician must
 * not be shown a half-decoded image as if it were whole. The EXIF
 * orientation is applied so the picture is upright, as cameras intend.
 */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "imaging/image-private.h"

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  gboolean decoding;       /* in the scan data: warnings are corruption */
  char message[JMSG_LENGTH_MAX];
  LbImageError code;
  LbImage *image;          /* freed by the caller after a longjmp */
  guint8 *row;
} JpegError;

static void
on_error_exit (j_common_ptr cinfo)
{
  JpegError *err = (JpegError *) cinfo->err;
  if (err->message[0] == '\0')
    cinfo->err->format_message (cinfo, err->message);
  /* 12- and 16-bit JPEG files are valid but need another build of libjpeg. */
  if (cinfo->err->msg_code == JERR_BAD_PRECISION)
    err->code = LB_IMAGE_ERROR_UNSUPPORTED;
  longjmp (err->jump, 1);
}

static void
on_emit_message (j_common_ptr cinfo, int level)
{
  JpegError *err = (JpegError *) cinfo->err;
  if (level >= 0)
    return; /* trace messages */
  cinfo->err->num_warnings++;
  if (err->decoding && err->message[0] == '\0')
    {
      cinfo->err->format_message (cinfo, err->message);
      err->code = LB_IMAGE_ERROR_CORRUPT;
    }
}

static void
on_output_message (j_common_ptr cinfo)
{
  /* Never print to stderr from the core. */
}

LbImage *
lb_image_load_jpeg (const guint8 *data, gsize size, const char *name, guint frame, GError **error)
{
  struct jpeg_decompress_struct cinfo;
  JpegError err = { .code = LB_IMAGE_ERROR_CORRUPT };
  JpegError *e = &err;

  if (frame != 0)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME,
                   "%s: frame %u requested, but a JPEG file has a single frame", name, frame);
      return NULL;
    }
  if (size > G_MAXULONG)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE, "%s: the file is too large", name);
      return NULL;
    }

  memset (&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error (&err.base);
  err.base.error_exit = on_error_exit;
  err.base.emit_message = on_emit_message;
  err.base.output_message = on_output_message;
  if (setjmp (err.jump))
    {
      jpeg_destroy_decompress (&cinfo);
      g_clear_pointer (&e->image, lb_image_free);
      g_clear_pointer (&e->row, g_free);
      g_set_error (error, LB_IMAGE_ERROR, e->code, "%s: cannot decode the JPEG image: %s", name,
                   e->message[0] != '\0' ? e->message : "libjpeg failed");
      return NULL;
    }

  jpeg_create_decompress (&cinfo);
  jpeg_mem_src (&cinfo, data, (unsigned long) size);
  jpeg_save_markers (&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header (&cinfo, TRUE);

  g_autoptr(GError) dim_error = NULL;
  if (!lb_image_check_dimensions (name, cinfo.image_width, cinfo.image_height, &dim_error))
    {
      jpeg_destroy_decompress (&cinfo);
      g_propagate_error (error, g_steal_pointer (&dim_error));
      return NULL;
    }

  guint orientation = 0;
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != NULL; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp (m->data, "Exif\0\0", 6) == 0)
      {
        orientation = lb_image_exif_orientation (m->data + 6, m->data_length - 6);
        break;
      }

  gboolean cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  guint channels;
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE)
    {
      cinfo.out_color_space = JCS_GRAYSCALE;
      channels = 1;
    }
  else if (cmyk)
    {
      cinfo.out_color_space = JCS_CMYK;
      channels = 3;
    }
  else
    {
      cinfo.out_color_space = JCS_RGB;
      channels = 3;
    }

  e->decoding = TRUE;
  jpeg_start_decompress (&cinfo);
  if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height
      || (guint) cinfo.output_components != (cmyk ? 4u : channels))
    {
      g_strlcpy (e->message, "unexpected output layout", sizeof e->message);
      e->code = LB_IMAGE_ERROR_UNSUPPORTED;
      longjmp (e->jump, 1);
    }

  g_autoptr(GError) new_error = NULL;
  e->image = lb_image_new (cinfo.output_width, cinfo.output_height, channels, 8, FALSE, &new_error);
  if (e->image == NULL)
    {
      g_strlcpy (e->message, new_error->message, sizeof e->message);
      e->code = new_error->code;
      longjmp (e->jump, 1);
    }
  gsize row_bytes = (gsize) cinfo.output_width * channels;
  e->row = g_malloc ((gsize) cinfo.output_width * cinfo.output_components);
  while (cinfo.output_scanline < cinfo.output_height)
    {
      guint y = cinfo.output_scanline;
      JSAMPROW rows[1] = { cmyk ? e->row : e->image->u8 + y * row_bytes };
      if (jpeg_read_scanlines (&cinfo, rows, 1) != 1)
        {
          g_strlcpy (e->message, "the scan data ends early", sizeof e->message);
          longjmp (e->jump, 1);
        }
      if (cmyk)
        {
          /* Adobe writes inverted CMYK: each stored value is 255 - ink. */
          guint8 *out = e->image->u8 + y * row_bytes;
          for (guint x = 0; x < cinfo.output_width; x++)
            {
              const guint8 *p = e->row + 4 * x;
              guint k = p[3];
              for (guint c = 0; c < 3; c++)
                out[3 * x + c] = (guint8) ((p[c] * k + 127) / 255);
            }
        }
      if (e->message[0] != '\0')
        longjmp (e->jump, 1);
    }
  jpeg_finish_decompress (&cinfo);
  if (e->message[0] != '\0')
    longjmp (e->jump, 1);

  LbImage *image = g_steal_pointer (&e->image);
  g_clear_pointer (&e->row, g_free);

  LbImageMetadata *m = &image->metadata;
  m->compression = g_strdup (cinfo.progressive_mode ? "JPEG progressive"
                             : cinfo.arith_code ? "JPEG arithmetic" : "JPEG baseline");
  /* JFIF densities are not used as pixel spacing: cameras write 72 dpi. */
  if (cmyk)
    lb_image_metadata_add_tag (m, 0, "ColorSpace", "CMYK (converted to RGB)", FALSE);
  jpeg_destroy_decompress (&cinfo);

  if (orientation >= 2)
    {
      lb_image_apply_exif_orientation (image, orientation);
      m->exif_orientation = orientation;
      g_autofree char *value = g_strdup_printf ("%u (applied)", orientation);
      lb_image_metadata_add_tag (m, 0, "Orientation", value, FALSE);
    }
  else
    m->exif_orientation = orientation;
  return image;
}
