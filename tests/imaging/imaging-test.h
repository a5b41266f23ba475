/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writers for the imaging tests: each makes a file of one kind with the
 * format's own library (libpng, libjpeg, libtiff) or DCMTK (through the
 * make-dicom helper), from samples the test chose, so that decoding can be
 * checked value for value.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A path in the test's temporary folder. */
char *lb_imaging_test_path (const char *name);

/* Deterministic samples: n values in [lo, hi] from seed. */
guint16 *lb_imaging_test_samples16 (guint32 seed, gsize n, int lo, int hi);
guint8 *lb_imaging_test_samples8 (guint32 seed, gsize n);

/* PNG with libpng. color_type is a PNG_COLOR_TYPE_*; samples are given in
 * the file's layout (with alpha if the type has it; palette indices for
 * PALETTE, with `palette` holding n_palette RGB triplets; 16-bit native
 * endian). bit_depth below 8 packs the given one-byte values. */
void lb_imaging_test_write_png (const char *path, guint width, guint height, int bit_depth,
                                int color_type, const void *samples, const guint8 *palette,
                                guint n_palette, gboolean interlaced);

/* JPEG with libjpeg: 1 or 3 channels, quality 0–100, optional EXIF
 * orientation (0 = no EXIF block). */
void lb_imaging_test_write_jpeg (const char *path, guint width, guint height, guint channels,
                                 const guint8 *samples, int quality, guint exif_orientation);

typedef struct {
  guint bits;        /* 8 or 16 */
  guint spp;         /* samples per pixel as stored */
  gboolean is_signed;
  gboolean planar;   /* PLANARCONFIG_SEPARATE */
  guint tile;        /* 0 = strips, else square tiles of this size (multiple of 16) */
  guint rows_per_strip;
  guint compression; /* a COMPRESSION_* value */
  guint photometric; /* a PHOTOMETRIC_* value */
  guint orientation; /* 0 = not written */
} LbTestTiff;

/* TIFF with libtiff: n_pages pages of the same size, each given as
 * interleaved samples (pages[i]). */
void lb_imaging_test_write_tiff (const char *path, guint width, guint height, const LbTestTiff *layout,
                                 const void *const *pages, guint n_pages);

/* Runs tests/imaging/make-dicom with the NULL-terminated options after
 * OUT; raw samples go in a file first. Returns FALSE (with the helper's
 * message in *message) when DCMTK refused. */
gboolean lb_imaging_test_make_dicom (const char *out, const void *samples, gsize n_bytes,
                                     const char *const *options, char **message);

/* Runs /usr/bin/python3 with PIL on a script file from tests/imaging/
 * and arguments; FALSE with the reason when python3-pil is missing. */
gboolean lb_imaging_test_have_pil (char **reason);
void lb_imaging_test_run_python (const char *script, ...) G_GNUC_NULL_TERMINATED;

/* Whole file contents (asserting success). */
GBytes *lb_imaging_test_read (const char *path);
void lb_imaging_test_write (const char *path, const void *data, gsize size);

G_END_DECLS
