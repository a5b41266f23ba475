/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <string.h>

#include "imaging/image-private.h"
#include "imaging/image.h"
#include "imaging/slide.h"

/* Whole-slide images opened as images are read as an overview this large. */
#define SLIDE_OVERVIEW_SIDE 4096

G_DEFINE_QUARK (lb-image-error-quark, lb_image_error)

const char *
lb_image_format_name (LbImageFormat format)
{
  switch (format)
    {
    case LB_IMAGE_FORMAT_PNG: return "PNG";
    case LB_IMAGE_FORMAT_JPEG: return "JPEG";
    case LB_IMAGE_FORMAT_TIFF: return "TIFF";
    case LB_IMAGE_FORMAT_DICOM: return "DICOM";
    case LB_IMAGE_FORMAT_SLIDE: return "Slide";
    case LB_IMAGE_FORMAT_UNKNOWN:
    default: return "unknown";
    }
}

gboolean
lb_image_check_dimensions (const char *name, guint64 width, guint64 height, GError **error)
{
  if (width == 0 || height == 0)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: the image is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT " pixels; "
                   "a width and height of at least 1 were expected", name, width, height);
      return FALSE;
    }
  if (width > LB_IMAGE_MAX_DIMENSION || height > LB_IMAGE_MAX_DIMENSION
      || width * height > LB_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "%s: the image claims to be %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                   " pixels, beyond the limit of %u pixels a side and %" G_GUINT64_FORMAT
                   " million pixels (refused before decoding, as a possible decompression bomb; "
                   "open whole-slide images as slides)",
                   name, width, height, LB_IMAGE_MAX_DIMENSION, LB_IMAGE_MAX_PIXELS / 1000000);
      return FALSE;
    }
  return TRUE;
}

static void
clear_window (gpointer data)
{
  LbImageWindow *window = data;
  g_clear_pointer (&window->explanation, g_free);
}

static void
clear_tag (gpointer data)
{
  LbImageTag *tag = data;
  g_clear_pointer (&tag->name, g_free);
  g_clear_pointer (&tag->value, g_free);
}

static void
metadata_init (LbImageMetadata *metadata, guint channels, guint bits)
{
  memset (metadata, 0, sizeof *metadata);
  metadata->format = LB_IMAGE_FORMAT_UNKNOWN;
  metadata->photometric = g_strdup (channels == 3 ? "RGB" : "MONOCHROME2");
  metadata->bits_used = bits;
  metadata->rescale_slope = 1.0;
  metadata->rescale_intercept = 0.0;
  metadata->windows = g_array_new (FALSE, TRUE, sizeof (LbImageWindow));
  g_array_set_clear_func (metadata->windows, clear_window);
  metadata->tags = g_array_new (FALSE, TRUE, sizeof (LbImageTag));
  g_array_set_clear_func (metadata->tags, clear_tag);
  metadata->n_frames = 1;
}

static void
metadata_clear (LbImageMetadata *metadata)
{
  g_clear_pointer (&metadata->photometric, g_free);
  g_clear_pointer (&metadata->modality, g_free);
  g_clear_pointer (&metadata->rescale_type, g_free);
  g_clear_pointer (&metadata->modality_lut, g_free);
  g_clear_pointer (&metadata->windows, g_array_unref);
  g_clear_pointer (&metadata->patient_orientation, g_free);
  g_clear_pointer (&metadata->transfer_syntax, g_free);
  g_clear_pointer (&metadata->compression, g_free);
  g_clear_pointer (&metadata->tags, g_array_unref);
}

LbImage *
lb_image_new (guint width, guint height, guint channels, guint bits_stored, gboolean is_signed,
              GError **error)
{
  g_return_val_if_fail (channels == 1 || channels == 3, NULL);
  g_return_val_if_fail (bits_stored == 8 || bits_stored == 16, NULL);

  if (!lb_image_check_dimensions ("new image", width, height, error))
    return NULL;

  gsize n_bytes = (gsize) width * height * channels * (bits_stored / 8);
  gpointer data = g_try_malloc0 (n_bytes);
  if (data == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "out of memory allocating a %u×%u image (%" G_GSIZE_FORMAT " bytes)",
                   width, height, n_bytes);
      return NULL;
    }

  LbImage *image = g_new0 (LbImage, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->bits_stored = bits_stored;
  image->is_signed = is_signed;
  image->data = data;
  metadata_init (&image->metadata, channels, bits_stored);
  return image;
}

void
lb_image_free (LbImage *image)
{
  if (image == NULL)
    return;
  g_free (image->data);
  metadata_clear (&image->metadata);
  g_free (image);
}

gsize
lb_image_n_samples (const LbImage *image)
{
  g_return_val_if_fail (image != NULL, 0);
  return (gsize) image->width * image->height * image->channels;
}

LbImage *
lb_image_copy (const LbImage *image)
{
  g_return_val_if_fail (image != NULL, NULL);

  LbImage *copy = lb_image_new (image->width, image->height, image->channels, image->bits_stored,
                                image->is_signed, NULL);
  if (copy == NULL)
    return NULL;
  memcpy (copy->data, image->data, lb_image_n_samples (image) * (image->bits_stored / 8));

  const LbImageMetadata *m = &image->metadata;
  LbImageMetadata *c = &copy->metadata;
  c->format = m->format;
  g_free (c->photometric);
  c->photometric = g_strdup (m->photometric);
  c->modality = g_strdup (m->modality);
  c->bits_used = m->bits_used;
  c->rescale_slope = m->rescale_slope;
  c->rescale_intercept = m->rescale_intercept;
  c->rescale_type = g_strdup (m->rescale_type);
  if (m->modality_lut != NULL)
    c->modality_lut = g_memdup2 (m->modality_lut, sizeof (guint16) * m->n_modality_lut);
  c->n_modality_lut = m->n_modality_lut;
  c->lut_first = m->lut_first;
  for (guint i = 0; i < m->windows->len; i++)
    {
      const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, i);
      lb_image_metadata_add_window (c, w->center, w->width, w->explanation);
    }
  c->has_pixel_spacing = m->has_pixel_spacing;
  c->pixel_spacing[0] = m->pixel_spacing[0];
  c->pixel_spacing[1] = m->pixel_spacing[1];
  c->n_frames = m->n_frames;
  c->frame = m->frame;
  c->exif_orientation = m->exif_orientation;
  c->patient_orientation = g_strdup (m->patient_orientation);
  c->transfer_syntax = g_strdup (m->transfer_syntax);
  c->compression = g_strdup (m->compression);
  for (guint i = 0; i < m->tags->len; i++)
    {
      const LbImageTag *t = &g_array_index (m->tags, LbImageTag, i);
      lb_image_metadata_add_tag (c, t->tag, t->name, t->value, t->identifying);
    }
  return copy;
}

int
lb_image_get_sample (const LbImage *image, guint x, guint y, guint c)
{
  g_return_val_if_fail (image != NULL && x < image->width && y < image->height
                        && c < image->channels, 0);
  gsize i = ((gsize) y * image->width + x) * image->channels + c;
  if (image->bits_stored == 8)
    return image->is_signed ? image->s8[i] : image->u8[i];
  return image->is_signed ? image->s16[i] : image->u16[i];
}

void
lb_image_sample_range (const LbImage *image, int *min, int *max)
{
  g_return_if_fail (image != NULL);
  gsize n = lb_image_n_samples (image);
  int lo = G_MAXINT, hi = G_MININT;

#define RANGE_LOOP(member)                  \
  for (gsize i = 0; i < n; i++)             \
    {                                       \
      int v = image->member[i];             \
      if (v < lo) lo = v;                   \
      if (v > hi) hi = v;                   \
    }
  if (image->bits_stored == 8)
    {
      if (image->is_signed) RANGE_LOOP (s8) else RANGE_LOOP (u8)
    }
  else
    {
      if (image->is_signed) RANGE_LOOP (s16) else RANGE_LOOP (u16)
    }
#undef RANGE_LOOP
  if (min != NULL)
    *min = lo;
  if (max != NULL)
    *max = hi;
}

double
lb_image_modality_value (const LbImage *image, int stored)
{
  const LbImageMetadata *m = &image->metadata;
  if (m->modality_lut != NULL && m->n_modality_lut > 0)
    {
      gint64 i = (gint64) stored - m->lut_first;
      i = CLAMP (i, 0, (gint64) m->n_modality_lut - 1);
      return m->modality_lut[i];
    }
  return stored * m->rescale_slope + m->rescale_intercept;
}

void
lb_image_metadata_add_window (LbImageMetadata *metadata, double center, double width,
                              const char *explanation)
{
  LbImageWindow window = {
    .center = center,
    .width = width,
    .explanation = g_strdup (explanation),
  };
  g_array_append_val (metadata->windows, window);
}

void
lb_image_metadata_add_tag (LbImageMetadata *metadata, guint32 tag, const char *name,
                           const char *value, gboolean identifying)
{
  LbImageTag entry = {
    .tag = tag,
    .name = g_strdup (name),
    .value = g_utf8_make_valid (value != NULL ? value : "", -1),
    .identifying = identifying,
  };
  g_array_append_val (metadata->tags, entry);
}

const LbImageTag *
lb_image_metadata_find_tag (const LbImageMetadata *metadata, const char *name)
{
  for (guint i = 0; i < metadata->tags->len; i++)
    {
      const LbImageTag *tag = &g_array_index (metadata->tags, LbImageTag, i);
      if (g_strcmp0 (tag->name, name) == 0)
        return tag;
    }
  return NULL;
}

LbImageFormat
lb_image_sniff (const guint8 *data, gsize size)
{
  static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (size >= 8 && memcmp (data, png_magic, 8) == 0)
    return LB_IMAGE_FORMAT_PNG;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return LB_IMAGE_FORMAT_JPEG;
  if (size >= 4 && ((data[0] == 'I' && data[1] == 'I' && (data[2] == 42 || data[2] == 43) && data[3] == 0)
                    || (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && (data[3] == 42 || data[3] == 43))))
    return LB_IMAGE_FORMAT_TIFF;
  if (size >= 132 && memcmp (data + 128, "DICM", 4) == 0)
    return LB_IMAGE_FORMAT_DICOM;
  /* DICOM without the preamble (old ACR-NEMA style or a raw dataset): a
   * little-endian group 0x0002 or 0x0008 element at offset 0. */
  if (size >= 8 && data[1] == 0x00 && (data[0] == 0x02 || data[0] == 0x08) && data[3] == 0x00)
    return LB_IMAGE_FORMAT_DICOM;
  return LB_IMAGE_FORMAT_UNKNOWN;
}

static LbImage *
load_bytes (GBytes *bytes, const char *name, const char *path, guint frame, GError **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  if (name == NULL)
    name = "image";

  LbImageFormat format = lb_image_sniff (data, size);
  LbImage *image = NULL;
  switch (format)
    {
    case LB_IMAGE_FORMAT_PNG:
      image = lb_image_load_png (data, size, name, frame, error);
      break;
    case LB_IMAGE_FORMAT_JPEG:
      image = lb_image_load_jpeg (data, size, name, frame, error);
      break;
    case LB_IMAGE_FORMAT_TIFF:
      image = lb_image_load_tiff (data, size, name, frame, error);
      break;
    case LB_IMAGE_FORMAT_DICOM:
      image = lb_image_load_dicom (data, size, name, path, frame, error);
      break;
    case LB_IMAGE_FORMAT_SLIDE:
    case LB_IMAGE_FORMAT_UNKNOWN:
    default:
      if (size == 0)
        g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN,
                     "%s: the file is empty; a PNG, JPEG, TIFF or DICOM image was expected", name);
      else
        g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNKNOWN,
                     "%s: not an image Lightbox can read: the first bytes match none of "
                     "PNG, JPEG, TIFF or DICOM (the file name's extension is not used)", name);
      return NULL;
    }
  if (image != NULL)
    image->metadata.format = format;
  return image;
}

LbImage *
lb_image_load_bytes (GBytes *bytes, const char *name, guint frame, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  return load_bytes (bytes, name, NULL, frame, error);
}

LbImage *
lb_image_load (const char *path, guint frame, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autoptr(GError) local_error = NULL;
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  g_autoptr(GBytes) bytes = g_mapped_file_get_bytes (mapped);
  LbImage *image = load_bytes (bytes, path, path, frame, &local_error);
  if (image == NULL && frame == 0 && g_error_matches (local_error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE)
      && lb_slide_detect (path) != NULL)
    {
      /* A whole-slide image: too large to decode whole, read an overview. */
      g_autoptr(LbSlide) slide = lb_slide_open (path, error);
      if (slide == NULL)
        return NULL;
      return lb_slide_read_overview (slide, SLIDE_OVERVIEW_SIDE, error);
    }
  if (image == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return image;
}

/* EXIF orientation: 1 normal, 2 mirror horizontal, 3 rotate 180, 4 mirror
 * vertical, 5 transpose, 6 rotate 90 CW, 7 transverse, 8 rotate 90 CCW
 * (the value says how to turn the stored picture to show it upright). */
void
lb_image_apply_exif_orientation (LbImage *image, guint orientation)
{
  if (orientation < 2 || orientation > 8)
    return;

  guint w = image->width, h = image->height, ch = image->channels;
  gsize bps = image->bits_stored / 8;
  gsize pixel = ch * bps;
  gboolean transpose = orientation >= 5;
  guint ow = transpose ? h : w, oh = transpose ? w : h;
  guint8 *src = image->data;
  guint8 *dst = g_malloc ((gsize) w * h * pixel);

  for (guint oy = 0; oy < oh; oy++)
    for (guint ox = 0; ox < ow; ox++)
      {
        guint sx = 0, sy = 0;
        switch (orientation)
          {
          case 2: sx = w - 1 - ox; sy = oy; break;
          case 3: sx = w - 1 - ox; sy = h - 1 - oy; break;
          case 4: sx = ox; sy = h - 1 - oy; break;
          case 5: sx = oy; sy = ox; break;
          case 6: sx = oy; sy = h - 1 - ox; break;
          case 7: sx = w - 1 - oy; sy = h - 1 - ox; break;
          case 8: sx = w - 1 - oy; sy = ox; break;
          default: break;
          }
        memcpy (dst + ((gsize) oy * ow + ox) * pixel, src + ((gsize) sy * w + sx) * pixel, pixel);
      }
  g_free (image->data);
  image->data = dst;
  image->width = ow;
  image->height = oh;
}

static guint
read_u16 (const guint8 *p, gboolean big)
{
  return big ? (guint) (p[0] << 8 | p[1]) : (guint) (p[1] << 8 | p[0]);
}

static guint32
read_u32 (const guint8 *p, gboolean big)
{
  return big ? ((guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3])
             : ((guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0]);
}

guint
lb_image_exif_orientation (const guint8 *tiff, gsize size)
{
  if (size < 8)
    return 0;
  gboolean big;
  if (tiff[0] == 'I' && tiff[1] == 'I')
    big = FALSE;
  else if (tiff[0] == 'M' && tiff[1] == 'M')
    big = TRUE;
  else
    return 0;
  if (read_u16 (tiff + 2, big) != 42)
    return 0;
  guint32 ifd = read_u32 (tiff + 4, big);
  if (ifd > size - 2 || ifd < 8)
    return 0;
  guint n = read_u16 (tiff + ifd, big);
  for (guint i = 0; i < n; i++)
    {
      gsize entry = ifd + 2 + (gsize) i * 12;
      if (entry + 12 > size)
        return 0;
      if (read_u16 (tiff + entry, big) == 0x0112 && read_u16 (tiff + entry + 2, big) == 3)
        {
          guint value = read_u16 (tiff + entry + 8, big);
          return value >= 1 && value <= 8 ? value : 0;
        }
    }
  return 0;
}
