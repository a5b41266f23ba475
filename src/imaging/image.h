/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A decoded medical or photographic image: 8- or 16-bit samples (signed or
 * unsigned), 1 or 3 channels, row-major and interleaved (RGBRGB…), plus the
 * metadata the viewer needs. Loaders treat every file as untrusted: sizes
 * are checked before anything is allocated (a 1 kB PNG may claim to be
 * 100000×100000), and every problem is a GError in LB_IMAGE_ERROR naming
 * the file and what was expected.
 *
 * Samples are the values *stored* in the file, before any LUT: DICOM
 * rescale slope/intercept (the modality LUT), MONOCHROME1 inversion and
 * windows are described by the metadata and applied by display.h. Loaders
 * keep no global state beyond DCMTK's one-time codec registration: any
 * thread may load images, and an LbImage is plain data. Palette
 * images are expanded to RGB and alpha is dropped (as PIL's convert('RGB')
 * does: the colour is kept, not composited), so channels is 1 or 3.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_IMAGE_ERROR (lb_image_error_quark ())
GQuark lb_image_error_quark (void);

typedef enum {
  LB_IMAGE_ERROR_IO,          /* cannot open or read the file */
  LB_IMAGE_ERROR_UNKNOWN,     /* not a format Lightbox reads (judged by content) */
  LB_IMAGE_ERROR_CORRUPT,     /* truncated or malformed file */
  LB_IMAGE_ERROR_UNSUPPORTED, /* a valid file using a feature Lightbox lacks (JPEG 2000, 32-bit) */
  LB_IMAGE_ERROR_TOO_LARGE,   /* dimensions beyond the limits below (decompression bomb) */
  LB_IMAGE_ERROR_FRAME,       /* the requested frame does not exist */
  LB_IMAGE_ERROR_INVALID,     /* bad parameters: crop outside the image, zero size */
} LbImageError;

/* Limits checked against the header before any pixel memory is allocated.
 * Larger images (whole-slide pathology) go through slide.h, which reads
 * regions. 2^28 pixels: 16384×16384, 1.5 GiB as 16-bit RGB. */
#define LB_IMAGE_MAX_DIMENSION 65535u
#define LB_IMAGE_MAX_PIXELS (G_GUINT64_CONSTANT (1) << 28)

/* Checks width×height against the limits; name is used in the message. */
gboolean lb_image_check_dimensions (const char *name, guint64 width, guint64 height, GError **error);

typedef enum {
  LB_IMAGE_FORMAT_PNG,
  LB_IMAGE_FORMAT_JPEG,
  LB_IMAGE_FORMAT_TIFF,
  LB_IMAGE_FORMAT_DICOM,
  LB_IMAGE_FORMAT_SLIDE,  /* a level of a whole-slide image read through OpenSlide */
  LB_IMAGE_FORMAT_UNKNOWN,
} LbImageFormat;

const char *lb_image_format_name (LbImageFormat format); /* "PNG", "JPEG", "TIFF", "DICOM", "Slide" */

/* A window from the file (DICOM Window Center/Width, with its explanation
 * such as "LUNG"), in modality units: after rescale slope/intercept. */
typedef struct {
  double center;
  double width;
  char *explanation; /* may be NULL */
} LbImageWindow;

/* One metadata entry shown in the info panel. For DICOM, tag is
 * (group << 16 | element) and name the DICOM keyword; for other formats
 * tag is 0 and name is the format's own key (a PNG text keyword, a TIFF tag
 * name). identifying marks patient-identifying data (names, IDs, dates of
 * birth, addresses, institutions, …): the UI hides or strips those. */
typedef struct {
  guint32 tag;
  char *name;
  char *value;
  gboolean identifying;
} LbImageTag;

typedef struct {
  LbImageFormat format;
  /* "MONOCHROME1", "MONOCHROME2" (also for plain grayscale files), "RGB".
   * Palette and YCbCr files are converted on load and say "RGB". */
  char *photometric;
  char *modality;             /* DICOM Modality ("CT", "CR", "DX", …); NULL otherwise */
  guint bits_used;            /* significant bits (DICOM Bits Stored, e.g. 12); <= bits_stored */
  /* Modality LUT: value = stored * rescale_slope + rescale_intercept, or,
   * when modality_lut != NULL, value = modality_lut[clamp (stored - lut_first, 0, n-1)]. */
  double rescale_slope;       /* 1 when absent */
  double rescale_intercept;   /* 0 when absent */
  char *rescale_type;         /* "HU", "US", …; may be NULL */
  guint16 *modality_lut;
  guint n_modality_lut;
  gint lut_first;
  GArray *windows;            /* of LbImageWindow, file order; may be empty */
  gboolean has_pixel_spacing;
  double pixel_spacing[2];    /* mm: row spacing (between rows), column spacing */
  guint n_frames;             /* frames (DICOM), pages (TIFF), 1 for the rest */
  guint frame;                /* the frame this LbImage holds */
  guint exif_orientation;     /* 1–8 as found in the file (already applied to the pixels); 0 = none */
  char *patient_orientation;  /* DICOM Patient Orientation, e.g. "A\F"; may be NULL */
  char *transfer_syntax;      /* DICOM transfer syntax name; may be NULL */
  char *compression;          /* a short description: "deflate", "JPEG baseline", "RLE", … */
  GArray *tags;               /* of LbImageTag, file order */
} LbImageMetadata;

typedef struct {
  guint width;
  guint height;
  guint channels;     /* 1 or 3 */
  guint bits_stored;  /* bits per sample container: 8 or 16 */
  gboolean is_signed; /* samples are two's complement (DICOM Pixel Representation 1) */
  /* width × height × channels samples, row-major, interleaved, native endian,
   * no row padding. Which member applies follows bits_stored/is_signed. */
  union {
    gpointer data;
    guint8 *u8;
    gint8 *s8;
    guint16 *u16;
    gint16 *s16;
  };
  LbImageMetadata metadata;
} LbImage;

/* Loads frame `frame` (0-based; DICOM frames, TIFF pages) of the file at
 * path. The loader is chosen by the file's first bytes, never its name. */
LbImage *lb_image_load (const char *path, guint frame, GError **error);
/* Same, from memory; name is used in messages. */
LbImage *lb_image_load_bytes (GBytes *bytes, const char *name, guint frame, GError **error);

/* Guesses the format from the first bytes (at least 132 for DICOM). */
LbImageFormat lb_image_sniff (const guint8 *data, gsize size);

/* A zero-filled image with default metadata (MONOCHROME2 or RGB, slope 1),
 * or NULL with an error past the limits. */
LbImage *lb_image_new (guint width, guint height, guint channels, guint bits_stored,
                       gboolean is_signed, GError **error);
LbImage *lb_image_copy (const LbImage *image);
void lb_image_free (LbImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbImage, lb_image_free)

gsize lb_image_n_samples (const LbImage *image); /* width × height × channels */
/* The stored value of sample (x, y, c) as an int, whatever the depth. */
int lb_image_get_sample (const LbImage *image, guint x, guint y, guint c);
/* Smallest and largest stored sample values over all channels. */
void lb_image_sample_range (const LbImage *image, int *min, int *max);

/* The modality value (after rescale or the modality LUT) of a stored value. */
double lb_image_modality_value (const LbImage *image, int stored);

/* Metadata helpers used by the loaders. */
void lb_image_metadata_add_window (LbImageMetadata *metadata, double center, double width,
                                   const char *explanation);
void lb_image_metadata_add_tag (LbImageMetadata *metadata, guint32 tag, const char *name,
                                const char *value, gboolean identifying);
const LbImageTag *lb_image_metadata_find_tag (const LbImageMetadata *metadata, const char *name);

/* Writes an 8- or 16-bit, 1- or 3-channel unsigned image as PNG. */
gboolean lb_image_save_png (const LbImage *image, const char *path, GError **error);

G_END_DECLS
