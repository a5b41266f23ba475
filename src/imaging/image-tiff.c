/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TIFF through libtiff, from memory. 8- and 16-bit gray and RGB (signed or
 * unsigned, contiguous or planar, strips or tiles, any codec libtiff has)
 * are read sample for sample; everything else libtiff can render (1/2/4-bit,
 * palette, CMYK, old JPEG, YCbCr) goes through TIFFReadRGBAImage as 8-bit
 * RGB. MINISWHITE is kept as stored and reported as MONOCHROME1, like DICOM.
 * Errors and warnings go to per-file handlers, never to stderr.
 */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tiffio.h>

#include "imaging/image-private.h"

typedef struct {
  const guint8 *data;
  gsize size;
  gsize offset;
  char message[256];
} TiffSource;

static tmsize_t
tiff_read (thandle_t handle, void *buffer, tmsize_t length)
{
  TiffSource *src = handle;
  if (length < 0 || src->offset >= src->size)
    return 0;
  gsize n = MIN ((gsize) length, src->size - src->offset);
  memcpy (buffer, src->data + src->offset, n);
  src->offset += n;
  return (tmsize_t) n;
}

static tmsize_t
tiff_write (thandle_t handle, void *buffer, tmsize_t length)
{
  return -1;
}

static toff_t
tiff_seek (thandle_t handle, toff_t offset, int whence)
{
  TiffSource *src = handle;
  guint64 base = whence == SEEK_CUR ? src->offset : whence == SEEK_END ? src->size : 0;
  guint64 target = base + offset;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
    return (toff_t) -1;
  src->offset = (gsize) MIN (target, (guint64) G_MAXSIZE);
  return src->offset;
}

static int
tiff_close (thandle_t handle)
{
  return 0;
}

static toff_t
tiff_size (thandle_t handle)
{
  TiffSource *src = handle;
  return src->size;
}

static int
tiff_map (thandle_t handle, void **base, toff_t *size)
{
  TiffSource *src = handle;
  *base = (void *) src->data;
  *size = src->size;
  return 1;
}

static void
tiff_unmap (thandle_t handle, void *base, toff_t size)
{
}

static int
on_tiff_error (TIFF *tif, void *user_data, const char *module, const char *format, va_list args)
{
  TiffSource *src = user_data;
  if (src->message[0] == '\0')
    {
      char text[200];
      g_vsnprintf (text, sizeof text, format, args);
      g_snprintf (src->message, sizeof src->message, "%s%s%s", module != NULL ? module : "",
                  module != NULL ? ": " : "", text);
    }
  return 1;
}

static int
on_tiff_warning (TIFF *tif, void *user_data, const char *module, const char *format, va_list args)
{
  return 1; /* unknown tags and the like: not worth a word */
}

static void
set_error (GError **error, LbImageError code, const char *name, const TiffSource *src, const char *what)
{
  if (src->message[0] != '\0')
    g_set_error (error, LB_IMAGE_ERROR, code, "%s: %s (libtiff: %s)", name, what, src->message);
  else
    g_set_error (error, LB_IMAGE_ERROR, code, "%s: %s", name, what);
}

/* Reads 8/16-bit samples, strips or tiles, contiguous or planar. */
static gboolean
read_samples (TIFF *tif, LbImage *image, guint spp, gboolean planar, gboolean tiled, guint keep)
{
  guint W = image->width, H = image->height;
  gsize B = image->bits_stored / 8;
  guint tw = W, th = 0;
  if (tiled)
    {
      uint32_t w = 0, h = 0;
      TIFFGetField (tif, TIFFTAG_TILEWIDTH, &w);
      TIFFGetField (tif, TIFFTAG_TILELENGTH, &h);
      if (w == 0 || h == 0 || w > 65536 || h > 65536)
        return FALSE;
      tw = w;
      th = h;
    }
  else
    {
      uint32_t rps = 0;
      TIFFGetFieldDefaulted (tif, TIFFTAG_ROWSPERSTRIP, &rps);
      th = rps == 0 || rps > H ? H : rps;
    }

  guint planes = planar ? keep : 1;
  gsize in_pixel = planar ? B : B * spp;
  gsize block_bytes = (gsize) tw * th * in_pixel;
  tmsize_t lib_size = tiled ? TIFFTileSize (tif) : TIFFStripSize (tif);
  if (lib_size <= 0)
    return FALSE;
  gsize buffer_size = MAX (block_bytes, (gsize) lib_size);
  guint8 *buffer = g_try_malloc (buffer_size);
  if (buffer == NULL)
    return FALSE;

  guint8 *dst = image->data;
  gsize out_pixel = B * keep;
  gboolean ok = TRUE;
  for (guint y0 = 0; y0 < H && ok; y0 += th)
    for (guint x0 = 0; x0 < W && ok; x0 += tw)
      for (guint p = 0; p < planes && ok; p++)
        {
          tmsize_t got;
          if (tiled)
            got = TIFFReadEncodedTile (tif, TIFFComputeTile (tif, x0, y0, 0, (uint16_t) p), buffer,
                                       (tmsize_t) buffer_size);
          else
            got = TIFFReadEncodedStrip (tif, TIFFComputeStrip (tif, y0, (uint16_t) p), buffer,
                                        (tmsize_t) buffer_size);
          guint rows = MIN (th, H - y0), cols = MIN (tw, W - x0);
          gsize needed = ((gsize) (rows - 1) * tw + cols) * in_pixel;
          if (got < 0 || (gsize) got < needed)
            {
              ok = FALSE;
              break;
            }
          for (guint r = 0; r < rows; r++)
            {
              const guint8 *in = buffer + (gsize) r * tw * in_pixel;
              guint8 *out = dst + ((gsize) (y0 + r) * W + x0) * out_pixel;
              if (planar)
                for (guint c = 0; c < cols; c++)
                  memcpy (out + c * out_pixel + p * B, in + c * B, B);
              else if (spp == keep)
                memcpy (out, in, (gsize) cols * out_pixel);
              else
                for (guint c = 0; c < cols; c++)
                  memcpy (out + c * out_pixel, in + c * in_pixel, out_pixel);
            }
        }
  g_free (buffer);
  return ok;
}

static void
add_string_tag (TIFF *tif, LbImageMetadata *m, ttag_t tag, const char *name, gboolean identifying)
{
  const char *value = NULL;
  if (TIFFGetField (tif, tag, &value) && value != NULL && value[0] != '\0')
    lb_image_metadata_add_tag (m, 0, name, value, identifying);
}

static const char *
compression_name (uint16_t compression)
{
  switch (compression)
    {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_LZW: return "LZW";
    case COMPRESSION_OJPEG: return "old-style JPEG";
    case COMPRESSION_JPEG: return "JPEG";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_PACKBITS: return "PackBits";
    case COMPRESSION_CCITTFAX3: return "CCITT G3";
    case COMPRESSION_CCITTFAX4: return "CCITT G4";
    case COMPRESSION_JP2000: return "JPEG 2000";
    case COMPRESSION_LZMA: return "LZMA";
    case COMPRESSION_ZSTD: return "Zstandard";
    case COMPRESSION_WEBP: return "WebP";
    default: return "other";
    }
}

LbImage *
lb_image_load_tiff (const guint8 *data, gsize size, const char *name, guint frame, GError **error)
{
  TiffSource src = { .data = data, .size = size };
  TIFFOpenOptions *options = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (options, on_tiff_error, &src);
  TIFFOpenOptionsSetWarningHandlerExtR (options, on_tiff_warning, &src);
  /* No single allocation inside libtiff beyond 1 GiB (strip/tile buffers). */
  TIFFOpenOptionsSetMaxSingleMemAlloc (options, (tmsize_t) 1 << 30);
  /* "m": do not map (we are the map); "h": read the header only lazily is not wanted */
  TIFF *tif = TIFFClientOpenExt (name, "rm", &src, tiff_read, tiff_write, tiff_seek, tiff_close,
                                 tiff_size, tiff_map, tiff_unmap, options);
  TIFFOpenOptionsFree (options);
  if (tif == NULL)
    {
      set_error (error, LB_IMAGE_ERROR_CORRUPT, name, &src, "cannot read the TIFF header");
      return NULL;
    }

  LbImage *image = NULL;
  guint n_frames = TIFFNumberOfDirectories (tif);
  if (frame >= n_frames)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME,
                   "%s: page %u requested, but the TIFF file has %u page%s", name, frame, n_frames,
                   n_frames == 1 ? "" : "s");
      goto out;
    }
  if (!TIFFSetDirectory (tif, (tdir_t) frame))
    {
      set_error (error, LB_IMAGE_ERROR_CORRUPT, name, &src, "cannot read the TIFF directory");
      goto out;
    }

  uint32_t width = 0, height = 0;
  uint16_t bps = 1, spp = 1, photometric = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG;
  uint16_t sample_format = SAMPLEFORMAT_UINT, compression = COMPRESSION_NONE, orientation = 1;
  if (!TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &height))
    {
      set_error (error, LB_IMAGE_ERROR_CORRUPT, name, &src, "the TIFF directory has no image size");
      goto out;
    }
  if (!lb_image_check_dimensions (name, width, height, error))
    goto out;
  TIFFGetFieldDefaulted (tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted (tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLEFORMAT, &sample_format);
  TIFFGetFieldDefaulted (tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetFieldDefaulted (tif, TIFFTAG_ORIENTATION, &orientation);
  if (!TIFFGetField (tif, TIFFTAG_PHOTOMETRIC, &photometric))
    photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;

  if (sample_format == SAMPLEFORMAT_IEEEFP || sample_format == SAMPLEFORMAT_COMPLEXIEEEFP
      || sample_format == SAMPLEFORMAT_COMPLEXINT)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: floating-point or complex TIFF samples are not supported; "
                   "8- or 16-bit integer samples were expected", name);
      goto out;
    }
  if (compression == COMPRESSION_JPEG && photometric == PHOTOMETRIC_YCBCR)
    {
      /* Let libjpeg convert to RGB: read as plain 8-bit RGB. */
      TIFFSetField (tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
      photometric = PHOTOMETRIC_RGB;
    }

  gboolean gray = photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
  gboolean direct = (bps == 8 || bps == 16)
                    && ((gray && spp >= 1) || (photometric == PHOTOMETRIC_RGB && spp >= 3));
  gboolean is_signed = sample_format == SAMPLEFORMAT_INT;

  if (direct)
    {
      guint keep = gray ? 1 : 3;
      image = lb_image_new (width, height, keep, bps, is_signed, error);
      if (image == NULL)
        goto out;
      if (!read_samples (tif, image, spp, planar == PLANARCONFIG_SEPARATE, TIFFIsTiled (tif), keep))
        {
          set_error (error, LB_IMAGE_ERROR_CORRUPT, name, &src,
                     "the TIFF image data is truncated or corrupt");
          g_clear_pointer (&image, lb_image_free);
          goto out;
        }
      g_free (image->metadata.photometric);
      image->metadata.photometric = g_strdup (photometric == PHOTOMETRIC_MINISWHITE ? "MONOCHROME1"
                                              : gray ? "MONOCHROME2" : "RGB");
      image->metadata.bits_used = bps;
    }
  else
    {
      char reason[1024] = "";
      if (is_signed || bps > 16 || !TIFFRGBAImageOK (tif, reason))
        {
          g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                       "%s: this TIFF layout is not supported (%u bits × %u samples, photometric %u%s%s)",
                       name, bps, spp, photometric, reason[0] ? ": " : "", reason);
          goto out;
        }
      guint32 *rgba = g_try_new (guint32, (gsize) width * height);
      if (rgba == NULL)
        {
          g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                       "%s: out of memory for a %u×%u image", name, width, height);
          goto out;
        }
      if (!TIFFReadRGBAImageOriented (tif, width, height, rgba, ORIENTATION_TOPLEFT, 0))
        {
          set_error (error, LB_IMAGE_ERROR_CORRUPT, name, &src,
                     "the TIFF image data is truncated or corrupt");
          g_free (rgba);
          goto out;
        }
      /* Rendered as displayed: MINISWHITE comes out inverted already. */
      guint channels = gray ? 1 : 3;
      image = lb_image_new (width, height, channels, 8, FALSE, error);
      if (image == NULL)
        {
          g_free (rgba);
          goto out;
        }
      gsize n = (gsize) width * height;
      for (gsize i = 0; i < n; i++)
        {
          if (channels == 1)
            image->u8[i] = TIFFGetR (rgba[i]);
          else
            {
              image->u8[3 * i] = TIFFGetR (rgba[i]);
              image->u8[3 * i + 1] = TIFFGetG (rgba[i]);
              image->u8[3 * i + 2] = TIFFGetB (rgba[i]);
            }
        }
      g_free (rgba);
      orientation = 1; /* TIFFReadRGBAImageOriented applied it */
    }

  LbImageMetadata *m = &image->metadata;
  m->n_frames = n_frames;
  m->frame = frame;
  m->compression = g_strdup (compression_name (compression));
  if (orientation >= 2 && orientation <= 8)
    {
      lb_image_apply_exif_orientation (image, orientation);
      m->exif_orientation = orientation;
    }
  float xres = 0, yres = 0;
  uint16_t unit = RESUNIT_INCH;
  if (TIFFGetField (tif, TIFFTAG_XRESOLUTION, &xres) && TIFFGetField (tif, TIFFTAG_YRESOLUTION, &yres)
      && xres > 0 && yres > 0)
    {
      TIFFGetFieldDefaulted (tif, TIFFTAG_RESOLUTIONUNIT, &unit);
      if (unit == RESUNIT_INCH || unit == RESUNIT_CENTIMETER)
        {
          double mm = unit == RESUNIT_INCH ? 25.4 : 10.0;
          m->has_pixel_spacing = TRUE;
          m->pixel_spacing[0] = mm / yres;
          m->pixel_spacing[1] = mm / xres;
        }
    }
  add_string_tag (tif, m, TIFFTAG_IMAGEDESCRIPTION, "ImageDescription", FALSE);
  add_string_tag (tif, m, TIFFTAG_DOCUMENTNAME, "DocumentName", TRUE);
  add_string_tag (tif, m, TIFFTAG_MAKE, "Make", FALSE);
  add_string_tag (tif, m, TIFFTAG_MODEL, "Model", FALSE);
  add_string_tag (tif, m, TIFFTAG_SOFTWARE, "Software", FALSE);
  add_string_tag (tif, m, TIFFTAG_DATETIME, "DateTime", TRUE);
  add_string_tag (tif, m, TIFFTAG_ARTIST, "Artist", TRUE);
  add_string_tag (tif, m, TIFFTAG_HOSTCOMPUTER, "HostComputer", TRUE);
  add_string_tag (tif, m, TIFFTAG_COPYRIGHT, "Copyright", FALSE);
  if (TIFFIsTiled (tif))
    lb_image_metadata_add_tag (m, 0, "Layout", "tiled", FALSE);

out:
  TIFFClose (tif);
  return image;
}
