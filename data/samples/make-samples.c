/* SPDX-License-Identifier: CC0-1.0
 *
 * Writes Lightbox's bundled sample images: synthetic phantoms and a test
 * pattern, one per modality and in that modality's usual file format. They
 * are drawn from simple shapes and seeded noise by this program (nothing
 * comes from a patient or a photograph), so they are ours to give away:
 * CC0, like this file. They look like their modality at a glance so that
 * the viewer and the model can be tried; they are not anatomy.
 *
 *   make-samples OUTDIR
 *
 * chest-xray-phantom.dcm     16-bit (12 stored) DICOM DX, MONOCHROME2, 1792×2048
 * fundus-phantom.jpg         8-bit RGB JPEG, 1024×1024
 * skin-lesion-phantom.jpg    8-bit RGB JPEG, 1024×768
 * pathology-phantom.tif      pyramidal tiled RGB TIFF (4096, 2048, 1024 px levels)
 * test-pattern.png           16-bit gray PNG, 512×512: step wedge, ramp, line pairs
 */
#define G_LOG_DOMAIN "lightbox-samples"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jpeglib.h>
#include <tiffio.h>

#include "imaging/image.h"

/* ---- deterministic randomness ---------------------------------------------- */

static guint64
splitmix (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static double
uniform (guint64 *state)
{
  return (splitmix (state) >> 11) * (1.0 / 9007199254740992.0);
}

static double
gaussian (guint64 *state)
{
  double u = MAX (uniform (state), 1e-12), v = uniform (state);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

/* Smooth value noise on a lattice of the given period (pixels): a hash per
 * lattice point, smoothstep interpolation. Returns [-1, 1]. */
static double
lattice (int x, int y, guint32 seed)
{
  guint64 h = ((guint64) (guint32) x * 73856093u) ^ ((guint64) (guint32) y * 19349663u) ^ seed;
  return (splitmix (&h) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static double
value_noise (double x, double y, double period, guint32 seed)
{
  x /= period;
  y /= period;
  int x0 = (int) floor (x), y0 = (int) floor (y);
  double fx = x - x0, fy = y - y0;
  fx = fx * fx * (3 - 2 * fx);
  fy = fy * fy * (3 - 2 * fy);
  double a = lattice (x0, y0, seed), b = lattice (x0 + 1, y0, seed);
  double c = lattice (x0, y0 + 1, seed), d = lattice (x0 + 1, y0 + 1, seed);
  return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy;
}

/* Three octaves. */
static double
fractal_noise (double x, double y, double period, guint32 seed)
{
  return 0.57 * value_noise (x, y, period, seed) + 0.29 * value_noise (x, y, period / 2, seed + 1)
         + 0.14 * value_noise (x, y, period / 4, seed + 2);
}

static double
smoothstep (double edge0, double edge1, double x)
{
  double t = CLAMP ((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

static guint8
to_u8 (double v)
{
  return (guint8) CLAMP (lround (v), 0, 255);
}

/* A float RGB canvas, values 0–255. */
typedef struct {
  int width, height;
  float *rgb; /* [height][width][3] */
} Canvas;

static Canvas *
canvas_new (int width, int height)
{
  Canvas *c = g_new0 (Canvas, 1);
  c->width = width;
  c->height = height;
  c->rgb = g_new0 (float, (gsize) width * height * 3);
  return c;
}

static void
canvas_free (Canvas *c)
{
  g_free (c->rgb);
  g_free (c);
}

/* Blends colour into a filled ellipse (axes a, b, rotated by angle) with a
 * soft edge of `soft` pixels; opacity in [0, 1]. */
static void
canvas_ellipse (Canvas *c, double cx, double cy, double a, double b, double angle,
                const double colour[3], double opacity, double soft)
{
  double r = MAX (a, b) + soft + 1;
  int x0 = MAX (0, (int) (cx - r)), x1 = MIN (c->width - 1, (int) (cx + r));
  int y0 = MAX (0, (int) (cy - r)), y1 = MIN (c->height - 1, (int) (cy + r));
  double ca = cos (angle), sa = sin (angle);
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        double u = (dx * ca + dy * sa) / a, v = (-dx * sa + dy * ca) / b;
        double d = (sqrt (u * u + v * v) - 1) * MIN (a, b); /* ~pixels outside the edge */
        double alpha = opacity * (1 - smoothstep (-soft, soft, d));
        if (alpha <= 0)
          continue;
        float *p = c->rgb + ((gsize) y * c->width + x) * 3;
        for (int k = 0; k < 3; k++)
          p[k] = (float) (p[k] * (1 - alpha) + colour[k] * alpha);
      }
}

/* A wandering line (a vessel, a hair): stamps discs of decreasing width. */
static void
canvas_stroke (Canvas *c, double x, double y, double direction, double length, double width0,
               double width1, double curl, const double colour[3], double opacity, guint64 *rng)
{
  double step = 1.5;
  for (double s = 0; s < length; s += step)
    {
      double w = width0 + (width1 - width0) * (s / length);
      canvas_ellipse (c, x, y, w / 2, w / 2, 0, colour, opacity, 0.8);
      direction += curl * step + 0.02 * gaussian (rng);
      x += cos (direction) * step;
      y += sin (direction) * step;
    }
}

/* ---- writers ---------------------------------------------------------------- */

static gboolean
write_jpeg (const Canvas *c, const char *path, const char *comment, GError **error)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path, g_strerror (errno));
      return FALSE;
    }
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, f);
  cinfo.image_width = c->width;
  cinfo.image_height = c->height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 90, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  jpeg_write_marker (&cinfo, JPEG_COM, (const JOCTET *) comment, strlen (comment));
  g_autofree guint8 *row = g_new (guint8, (gsize) c->width * 3);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      const float *src = c->rgb + (gsize) cinfo.next_scanline * c->width * 3;
      for (int i = 0; i < c->width * 3; i++)
        row[i] = to_u8 (src[i]);
      JSAMPROW rows[1] = { row };
      jpeg_write_scanlines (&cinfo, rows, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  fclose (f);
  return TRUE;
}

/* A pyramidal tiled TIFF as OpenSlide's generic-tiff reads it: level 0
 * first, each next directory half the size, 256-pixel tiles. */
static gboolean
write_pyramid_tiff (const Canvas *c, guint n_levels, const char *path, const char *description,
                    GError **error)
{
  TIFF *tif = TIFFOpen (path, "w");
  if (tif == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot create the TIFF file", path);
      return FALSE;
    }
  int width = c->width, height = c->height;
  g_autofree guint8 *level = g_new (guint8, (gsize) width * height * 3);
  for (gsize i = 0; i < (gsize) width * height * 3; i++)
    level[i] = to_u8 (c->rgb[i]);
  const int tile = 256;
  g_autofree guint8 *buffer = g_new (guint8, tile * tile * 3);
  for (guint l = 0; l < n_levels; l++)
    {
      TIFFSetField (tif, TIFFTAG_SUBFILETYPE, l == 0 ? 0 : FILETYPE_REDUCEDIMAGE);
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, width);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, height);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, 8);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, 3);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
      TIFFSetField (tif, TIFFTAG_JPEGQUALITY, 85);
      TIFFSetField (tif, TIFFTAG_TILEWIDTH, tile);
      TIFFSetField (tif, TIFFTAG_TILELENGTH, tile);
      TIFFSetField (tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
      /* 0.25 µm per pixel at level 0 (a 40× scan). */
      TIFFSetField (tif, TIFFTAG_XRESOLUTION, (float) (40000.0 / (1 << l)));
      TIFFSetField (tif, TIFFTAG_YRESOLUTION, (float) (40000.0 / (1 << l)));
      if (l == 0)
        {
          TIFFSetField (tif, TIFFTAG_IMAGEDESCRIPTION, description);
          TIFFSetField (tif, TIFFTAG_SOFTWARE, "Lightbox make-samples");
        }
      for (int ty = 0; ty < height; ty += tile)
        for (int tx = 0; tx < width; tx += tile)
          {
            memset (buffer, 255, tile * tile * 3);
            for (int y = 0; y < tile && ty + y < height; y++)
              {
                int n = MIN (tile, width - tx);
                memcpy (buffer + (gsize) y * tile * 3, level + ((gsize) (ty + y) * width + tx) * 3, n * 3);
              }
            if (TIFFWriteTile (tif, buffer, tx, ty, 0, 0) < 0)
              {
                TIFFClose (tif);
                g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot write a tile", path);
                return FALSE;
              }
          }
      TIFFWriteDirectory (tif);
      /* Next level: 2×2 box filter. */
      int nw = width / 2, nh = height / 2;
      for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++)
          for (int k = 0; k < 3; k++)
            {
              const guint8 *p = level + ((gsize) (2 * y) * width + 2 * x) * 3 + k;
              int sum = p[0] + p[3] + p[(gsize) width * 3] + p[(gsize) width * 3 + 3];
              level[((gsize) y * nw + x) * 3 + k] = (guint8) ((sum + 2) / 4);
            }
      width = nw;
      height = nh;
    }
  TIFFClose (tif);
  return TRUE;
}

/* A minimal DICOM Part 10 file, explicit VR little endian. */
typedef struct {
  GByteArray *bytes;
} DicomWriter;

static void
dicom_element (DicomWriter *w, guint16 group, guint16 element, const char *vr, const void *value,
               guint32 length)
{
  guint8 header[12];
  gsize n;
  gboolean long_form = strcmp (vr, "OB") == 0 || strcmp (vr, "OW") == 0 || strcmp (vr, "UT") == 0
                       || strcmp (vr, "SQ") == 0 || strcmp (vr, "UN") == 0;
  header[0] = group & 0xff;
  header[1] = group >> 8;
  header[2] = element & 0xff;
  header[3] = element >> 8;
  header[4] = vr[0];
  header[5] = vr[1];
  if (long_form)
    {
      header[6] = header[7] = 0;
      header[8] = length & 0xff;
      header[9] = (length >> 8) & 0xff;
      header[10] = (length >> 16) & 0xff;
      header[11] = length >> 24;
      n = 12;
    }
  else
    {
      header[6] = length & 0xff;
      header[7] = length >> 8;
      n = 8;
    }
  g_byte_array_append (w->bytes, header, n);
  g_byte_array_append (w->bytes, value, length);
}

/* Strings are padded to an even length: UIDs with NUL, the rest with a space. */
static void
dicom_string (DicomWriter *w, guint16 group, guint16 element, const char *vr, const char *value)
{
  gsize n = strlen (value);
  g_autofree char *padded = g_malloc0 (n + 2);
  memcpy (padded, value, n);
  if (n % 2)
    padded[n++] = strcmp (vr, "UI") == 0 ? '\0' : ' ';
  dicom_element (w, group, element, vr, padded, (guint32) n);
}

static void
dicom_us (DicomWriter *w, guint16 group, guint16 element, guint16 value)
{
  guint8 v[2] = { value & 0xff, value >> 8 };
  dicom_element (w, group, element, "US", v, 2);
}

static gboolean
write_dicom (const guint16 *pixels, int width, int height, const char *path, GError **error)
{
  const char *sop_class = "1.2.840.10008.5.1.4.1.1.1.1"; /* Digital X-Ray Image, For Presentation */
  /* UUID-derived UIDs (the 2.25 root needs no registration). */
  const char *sop_instance = "2.25.229725476911232617891934151094622946121";
  const char *study = "2.25.118006718478963209153271398546409391001";
  const char *series = "2.25.118006718478963209153271398546409391002";
  const char *explicit_le = "1.2.840.10008.1.2.1";

  DicomWriter meta = { g_byte_array_new () };
  guint8 version[2] = { 0, 1 };
  dicom_element (&meta, 0x0002, 0x0001, "OB", version, 2);
  dicom_string (&meta, 0x0002, 0x0002, "UI", sop_class);
  dicom_string (&meta, 0x0002, 0x0003, "UI", sop_instance);
  dicom_string (&meta, 0x0002, 0x0010, "UI", explicit_le);
  dicom_string (&meta, 0x0002, 0x0012, "UI", "2.25.300000000000000000000000000000000001");
  dicom_string (&meta, 0x0002, 0x0013, "SH", "LIGHTBOX_SAMPLES");

  DicomWriter w = { g_byte_array_new () };
  guint8 preamble[128] = { 0 };
  g_byte_array_append (w.bytes, preamble, sizeof preamble);
  g_byte_array_append (w.bytes, (const guint8 *) "DICM", 4);
  guint32 meta_length = GUINT32_TO_LE (meta.bytes->len);
  dicom_element (&w, 0x0002, 0x0000, "UL", &meta_length, 4);
  g_byte_array_append (w.bytes, meta.bytes->data, meta.bytes->len);
  g_byte_array_unref (meta.bytes);

  /* Data set, in ascending tag order. */
  dicom_string (&w, 0x0008, 0x0005, "CS", "ISO_IR 192");
  dicom_string (&w, 0x0008, 0x0008, "CS", "DERIVED\\PRIMARY");
  dicom_string (&w, 0x0008, 0x0016, "UI", sop_class);
  dicom_string (&w, 0x0008, 0x0018, "UI", sop_instance);
  dicom_string (&w, 0x0008, 0x0020, "DA", "20250101");
  dicom_string (&w, 0x0008, 0x0030, "TM", "120000");
  dicom_string (&w, 0x0008, 0x0060, "CS", "DX");
  dicom_string (&w, 0x0008, 0x0068, "CS", "FOR PRESENTATION");
  dicom_string (&w, 0x0008, 0x0070, "LO", "Lightbox project");
  dicom_string (&w, 0x0008, 0x0080, "LO", "Lightbox Synthetic Data");
  dicom_string (&w, 0x0008, 0x1030, "LO", "CHEST PA (synthetic phantom)");
  dicom_string (&w, 0x0008, 0x103e, "LO", "Synthetic chest phantom");
  dicom_string (&w, 0x0010, 0x0010, "PN", "PHANTOM^SYNTHETIC");
  dicom_string (&w, 0x0010, 0x0020, "LO", "LB-0001");
  dicom_string (&w, 0x0010, 0x0030, "DA", "19700101");
  dicom_string (&w, 0x0010, 0x0040, "CS", "O");
  dicom_string (&w, 0x0018, 0x0015, "CS", "CHEST");
  dicom_string (&w, 0x0018, 0x5101, "CS", "PA");
  dicom_string (&w, 0x0020, 0x000d, "UI", study);
  dicom_string (&w, 0x0020, 0x000e, "UI", series);
  dicom_string (&w, 0x0020, 0x0010, "SH", "1");
  dicom_string (&w, 0x0020, 0x0011, "IS", "1");
  dicom_string (&w, 0x0020, 0x0013, "IS", "1");
  dicom_string (&w, 0x0020, 0x0020, "CS", "L\\F");
  dicom_string (&w, 0x0020, 0x4000, "LT",
                "Synthetic phantom drawn by the Lightbox project (CC0). Not a patient; not anatomy.");
  dicom_us (&w, 0x0028, 0x0002, 1);
  dicom_string (&w, 0x0028, 0x0004, "CS", "MONOCHROME2");
  dicom_us (&w, 0x0028, 0x0010, (guint16) height);
  dicom_us (&w, 0x0028, 0x0011, (guint16) width);
  dicom_string (&w, 0x0028, 0x0030, "DS", "0.2\\0.2");
  dicom_us (&w, 0x0028, 0x0100, 16);
  dicom_us (&w, 0x0028, 0x0101, 12);
  dicom_us (&w, 0x0028, 0x0102, 11);
  dicom_us (&w, 0x0028, 0x0103, 0);
  dicom_string (&w, 0x0028, 0x1040, "CS", "LIN");
  dicom_string (&w, 0x0028, 0x1050, "DS", "2850\\3100");
  dicom_string (&w, 0x0028, 0x1051, "DS", "2600\\1300");
  dicom_string (&w, 0x0028, 0x1052, "DS", "0");
  dicom_string (&w, 0x0028, 0x1053, "DS", "1");
  dicom_string (&w, 0x0028, 0x1054, "LO", "US");
  dicom_string (&w, 0x0028, 0x1055, "LO", "DEFAULT\\SOFT TISSUE");
  dicom_string (&w, 0x0028, 0x2110, "CS", "00");
  guint32 n_bytes = (guint32) width * height * 2;
  g_autofree guint16 *le = g_new (guint16, (gsize) width * height);
  for (gsize i = 0; i < (gsize) width * height; i++)
    le[i] = GUINT16_TO_LE (pixels[i]);
  dicom_element (&w, 0x7fe0, 0x0010, "OW", le, n_bytes);

  gboolean ok = g_file_set_contents (path, (const char *) w.bytes->data, w.bytes->len, error);
  g_byte_array_unref (w.bytes);
  return ok;
}

/* ---- the chest X-ray phantom ------------------------------------------------- */

/* A 5×7 bitmap of "R" for the laterality marker. */
static const char *const letter_r[7] = {
  "1111.", "1...1", "1...1", "1111.", "1.1..", "1..1.", "1...1",
};

/* A float map the vessel trees of the lungs are drawn into. */
typedef struct {
  int width, height;
  float *values;
} Map;

static void
map_disc (Map *m, double cx, double cy, double r, double value)
{
  int x0 = MAX (0, (int) (cx - r - 1)), x1 = MIN (m->width - 1, (int) (cx + r + 1));
  int y0 = MAX (0, (int) (cy - r - 1)), y1 = MIN (m->height - 1, (int) (cy + r + 1));
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      {
        double d = hypot (x + 0.5 - cx, y + 0.5 - cy);
        double a = value * (1 - smoothstep (r - 0.7, r + 0.7, d));
        float *p = m->values + (gsize) y * m->width + x;
        if (a > *p)
          *p = (float) a;
      }
}

/* A separable box blur of radius r. */
static void
map_blur (Map *m, int r)
{
  g_autofree float *line = g_new (float, MAX (m->width, m->height));
  for (int y = 0; y < m->height; y++)
    {
      float *row = m->values + (gsize) y * m->width;
      for (int x = 0; x < m->width; x++)
        {
          double sum = 0;
          int n = 0;
          for (int k = MAX (0, x - r); k <= MIN (m->width - 1, x + r); k++, n++)
            sum += row[k];
          line[x] = (float) (sum / n);
        }
      memcpy (row, line, sizeof (float) * m->width);
    }
  for (int x = 0; x < m->width; x++)
    {
      for (int y = 0; y < m->height; y++)
        {
          double sum = 0;
          int n = 0;
          for (int k = MAX (0, y - r); k <= MIN (m->height - 1, y + r); k++, n++)
            sum += m->values[(gsize) k * m->width + x];
          line[y] = (float) (sum / n);
        }
      for (int y = 0; y < m->height; y++)
        m->values[(gsize) y * m->width + x] = line[y];
    }
}

/* A pulmonary vessel: tapering, gently curving, branching outwards. */
static void
map_vessel (Map *m, double x, double y, double direction, double length, double width, int depth,
            guint64 *rng)
{
  double step = 1.5, travelled = 0;
  while (travelled < length && width > 0.7)
    {
      map_disc (m, x, y, width / 2, MIN (1.0, width / 5.0));
      direction += 0.03 * gaussian (rng);
      x += cos (direction) * step;
      y += sin (direction) * step;
      travelled += step;
      width *= 0.9975;
      if (depth > 0 && uniform (rng) < 0.012)
        {
          double side = uniform (rng) < 0.5 ? -1 : 1;
          map_vessel (m, x, y, direction + side * (0.35 + 0.35 * uniform (rng)), (length - travelled) * 0.8,
                      width * 0.75, depth - 1, rng);
        }
    }
}

/* Density (arbitrary units of attenuation) of the chest at (u, v), in
 * fractions of the width and height: soft tissue by thickness, bone,
 * and air in the lungs taking density away. */
static double
chest_density (double u, double v, double aspect, double vessels)
{
  double d = fabs (u - 0.5); /* distance from the midline, in widths */

  /* Torso: neck, shoulders, chest wall, thicker in the middle. */
  double half_width = v < 0.10 ? 0.1 : v < 0.21 ? 0.1 + 0.34 * smoothstep (0.10, 0.21, v) : 0.44 - 0.03 * (v - 0.21);
  double body = 1 - smoothstep (half_width - 0.014, half_width + 0.004, d);
  double t = d / (half_width + 0.01);
  double density = body * (0.55 + 0.45 * sqrt (MAX (0.0, 1 - t * t)));

  /* Shoulders and humeral heads. */
  for (int s = -1; s <= 1; s += 2)
    {
      double r = hypot (u - (0.5 + s * 0.425), (v - 0.205) * aspect);
      density += 0.35 * (1 - smoothstep (0.05, 0.062, r)) * body;
    }

  /* Diaphragm domes: the right one (image left) higher, over the liver. */
  double dome_right = 0.655 + 1.5 * (u - 0.31) * (u - 0.31);
  double dome_left = 0.685 + 1.5 * (u - 0.69) * (u - 0.69);
  double dome = u < 0.5 ? dome_right : dome_left;
  double below = smoothstep (dome - 0.004, dome + 0.004, v);

  /* Lungs: from the apices (v ~0.16) down to the costophrenic angles. */
  double lung = 0;
  for (int s = -1; s <= 1; s += 2)
    {
      double cx = 0.5 + s * 0.2, cy = 0.47;
      double x = (u - cx) / (s < 0 ? 0.16 : 0.15), y = (v - cy) / 0.32;
      if (y < 0)
        x *= 1 + 0.7 * (-y); /* narrower towards the apex */
      lung = MAX (lung, 1 - smoothstep (0.92, 1.0, sqrt (x * x + y * y)));
    }
  lung *= 1 - below;

  /* Mediastinum and heart: the right heart border just right of the
   * spine (image left), the left ventricle bulging to the patient's left. */
  double mediastinum = (1 - smoothstep (0.05, 0.07, fabs (u - 0.505))) * smoothstep (0.13, 0.2, v);
  double right_atrium = 1 - smoothstep (0.95, 1.05, hypot ((u - 0.47) / 0.07, (v - 0.6) / 0.085));
  double ventricle = 1 - smoothstep (0.95, 1.05, hypot ((u - 0.575) / 0.13, (v - 0.605) / 0.1));
  double knob = 1 - smoothstep (0.9, 1.1, hypot ((u - 0.57) / 0.032, (v - 0.32) / 0.026));
  double heart = MAX (MAX (right_atrium, ventricle), MAX (mediastinum, knob));
  lung *= 1 - heart;

  density -= 0.5 * lung;
  density += 0.16 * heart * body;
  density += 0.10 * below * body;
  density += 0.12 * vessels * lung;

  /* Gastric bubble under the left dome. */
  double bubble = 1 - smoothstep (0.9, 1.1, hypot ((u - 0.66) / 0.05, (v - (dome_left + 0.05)) / 0.03));
  density -= 0.2 * bubble * body;

  /* Spine: vertebral bodies and disc spaces, faint through the heart. */
  double spine = 1 - smoothstep (0.026, 0.034, d);
  double discs = 0.5 + 0.5 * cos ((v - 0.1) * 2 * G_PI / 0.046);
  density += spine * (0.10 + 0.06 * (1 - pow (discs, 8))) * body * smoothstep (0.05, 0.12, v);

  /* Posterior ribs: from the spine outwards, arching down laterally;
   * anterior ribs: fainter, from the lateral wall down towards the middle. */
  double ribs = 0;
  double lateral = (d - 0.035) / (half_width - 0.04);
  if (lateral > 0 && lateral < 1 && v < dome + 0.08)
    for (int i = 0; i < 10; i++)
      {
        double v0 = 0.175 + i * 0.047 + 0.002 * i * i;
        double y = v0 - 0.035 * lateral + 0.17 * lateral * lateral;
        double half = 0.0085 + 0.0015 * (i / 9.0);
        double tt = fabs (v - y) / half;
        if (tt < 1.4)
          ribs = MAX (ribs, (1 - smoothstep (0.9, 1.3, tt)) * (0.6 + 0.4 * tt * tt));
        double ya = v0 + 0.05 + 0.11 * (1 - lateral);
        double ta = fabs (v - ya) / (half * 1.2);
        if (lateral > 0.25 && ta < 1.4)
          ribs = MAX (ribs, 0.35 * (1 - smoothstep (0.9, 1.3, ta)));
      }
  density += 0.12 * ribs * body;

  /* Clavicles: from the manubrium up and out to the shoulders. */
  for (int s = -1; s <= 1; s += 2)
    {
      double x = (u - 0.5) * s;
      if (x > 0.03 && x < 0.37)
        {
          double y = 0.19 - 0.13 * (x - 0.03) + 0.3 * (x - 0.16) * (x - 0.16);
          double tt = fabs (v - y) / 0.011;
          density += 0.16 * (1 - smoothstep (0.9, 1.25, tt)) * (0.6 + 0.4 * MIN (tt * tt, 1.0));
        }
    }
  return density;
}

static gboolean
make_chest (const char *dir, GError **error)
{
  const int width = 1792, height = 2048;
  double aspect = (double) height / width;
  g_autofree guint16 *pixels = g_new (guint16, (gsize) width * height);
  guint64 rng = 1;

  /* Vessel trees from each hilum, fanning out to the periphery. */
  Map vessels = { width, height, g_new0 (float, (gsize) width * height) };
  for (int s = -1; s <= 1; s += 2)
    {
      double hx = width * (0.5 + s * 0.1), hy = height * 0.45;
      for (int i = 0; i < 9; i++)
        {
          double angle = (s > 0 ? 0 : G_PI) + s * (-1.25 + 2.5 * (i + 0.5) / 9.0) + 0.1 * gaussian (&rng);
          map_vessel (&vessels, hx, hy, angle, width * (0.22 + 0.06 * uniform (&rng)), 11, 3, &rng);
        }
    }

  /* Soften the vessels: in a radiograph they are shadows, not lines. */
  for (int pass = 0; pass < 2; pass++)
    map_blur (&vessels, 3);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double u = (x + 0.5) / width, v = (y + 0.5) / height;
        double density = chest_density (u, v, aspect, vessels.values[(gsize) y * width + x]);
        density *= 1 + 0.02 * value_noise (x, y, 300, 5);
        /* Detector response: exposure falls with attenuation (logarithmic
         * film-like curve), 12 bits, plus quantum noise. */
        double value = 3900 * (1 - exp (-2.2 * MAX (density, 0.0))) + 120 + 16 * gaussian (&rng);
        pixels[(gsize) y * width + x] = (guint16) CLAMP (lround (value), 0, 4095);
      }
  g_free (vessels.values);

  /* Laterality marker "R" on the patient's right (the image's left), lead-bright. */
  int scale = 14, mx = 120, my = 160;
  for (int row = 0; row < 7; row++)
    for (int col = 0; col < 5; col++)
      if (letter_r[row][col] == '1')
        for (int y = 0; y < scale; y++)
          for (int x = 0; x < scale; x++)
            pixels[(gsize) (my + row * scale + y) * width + mx + col * scale + x] = 3900;
  g_autofree char *path = g_build_filename (dir, "chest-xray-phantom.dcm", NULL);
  return write_dicom (pixels, width, height, path, error);
}

/* ---- the fundus phantom ------------------------------------------------------- */

static void
vessel_tree (Canvas *c, double x, double y, double direction, double length, double width,
             int depth, const double colour[3], double curl, guint64 *rng)
{
  double step = 2.0, travelled = 0;
  while (travelled < length && width > 0.8)
    {
      canvas_ellipse (c, x, y, width / 2, width / 2, 0, colour, 0.85, 0.9);
      direction += curl * step + 0.03 * gaussian (rng);
      x += cos (direction) * step;
      y += sin (direction) * step;
      travelled += step;
      width *= 0.9988;
      if (depth > 0 && uniform (rng) < 0.006)
        {
          double side = uniform (rng) < 0.5 ? -1 : 1;
          vessel_tree (c, x, y, direction + side * (0.5 + 0.4 * uniform (rng)), length * 0.45,
                       width * 0.7, depth - 1, colour, -curl * 0.5, rng);
          width *= 0.85;
        }
    }
}

static gboolean
make_fundus (const char *dir, GError **error)
{
  const int size = 1024;
  Canvas *c = canvas_new (size, size);
  double cx = size / 2.0, cy = size / 2.0, radius = size * 0.46;
  double disc_x = size * 0.70, disc_y = size * 0.47, macula_x = size * 0.40, macula_y = size * 0.52;
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        double r = hypot (x + 0.5 - cx, y + 0.5 - cy) / radius;
        double inside = 1 - smoothstep (0.985, 1.0, r);
        double vignette = 1 - 0.45 * r * r;
        double texture = 1 + 0.06 * fractal_noise (x, y, 60, 21);
        double m = hypot (x - macula_x, y - macula_y) / (size * 0.11);
        double macula = exp (-m * m * 1.5);
        float *p = c->rgb + ((gsize) y * size + x) * 3;
        p[0] = (float) (inside * vignette * texture * (215 - 60 * macula));
        p[1] = (float) (inside * vignette * texture * (98 - 38 * macula));
        p[2] = (float) (inside * vignette * texture * (42 - 14 * macula));
      }
  /* Foveal reflex. */
  const double reflex[3] = { 230, 160, 110 };
  canvas_ellipse (c, macula_x, macula_y, 5, 5, 0, reflex, 0.5, 3);
  /* Optic disc and its cup. */
  const double disc[3] = { 245, 190, 120 }, cup[3] = { 252, 232, 190 };
  canvas_ellipse (c, disc_x, disc_y, size * 0.062, size * 0.07, 0.1, disc, 0.95, 4);
  canvas_ellipse (c, disc_x + 6, disc_y - 2, size * 0.026, size * 0.03, 0.1, cup, 0.8, 5);
  /* Arcades: veins (dark) and arteries (lighter) from the disc. */
  guint64 rng = 7;
  const double vein[3] = { 120, 28, 22 }, artery[3] = { 170, 50, 36 };
  struct { double dir, curl, len, w; const double *col; } trees[] = {
    { -2.2, 0.0024, 560, 11, vein }, { 2.2, -0.0024, 560, 11, vein },
    { -2.45, 0.0026, 520, 8, artery }, { 2.45, -0.0026, 520, 8, artery },
    { -0.9, -0.0005, 260, 7, vein }, { 0.9, 0.0005, 260, 7, vein },
    { -0.4, 0.0, 220, 6, artery }, { 0.4, 0.0, 220, 6, artery },
  };
  for (guint i = 0; i < G_N_ELEMENTS (trees); i++)
    vessel_tree (c, disc_x, disc_y, trees[i].dir, trees[i].len, trees[i].w, 3, trees[i].col,
                 trees[i].curl, &rng);
  /* A few hard exudates and dot haemorrhages in the posterior pole. */
  const double exudate[3] = { 240, 210, 110 }, blot[3] = { 110, 20, 15 };
  for (int i = 0; i < 9; i++)
    {
      double a = uniform (&rng) * 2 * G_PI, r = size * (0.06 + 0.1 * uniform (&rng));
      canvas_ellipse (c, macula_x + r * cos (a), macula_y + r * sin (a), 3 + 3 * uniform (&rng),
                      3 + 2 * uniform (&rng), a, i % 3 ? exudate : blot, 0.85, 1.5);
    }
  /* Outside the field stays black. */
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      if (hypot (x + 0.5 - cx, y + 0.5 - cy) > radius)
        memset (c->rgb + ((gsize) y * size + x) * 3, 0, 3 * sizeof (float));
  g_autofree char *path = g_build_filename (dir, "fundus-phantom.jpg", NULL);
  gboolean ok = write_jpeg (c, path, "Synthetic fundus phantom drawn by the Lightbox project (CC0). Not a patient.", error);
  canvas_free (c);
  return ok;
}

/* ---- the skin lesion phantom -------------------------------------------------- */

static gboolean
make_skin (const char *dir, GError **error)
{
  const int width = 1024, height = 768;
  Canvas *c = canvas_new (width, height);
  double cx = width * 0.52, cy = height * 0.5, radius = height * 0.2;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double tone = fractal_noise (x, y, 180, 31);
        double pores = value_noise (x, y, 3, 33);
        double dx = x - cx, dy = y - cy;
        double angle = atan2 (dy, dx);
        /* An irregular, asymmetric border. */
        double edge = radius * (1 + 0.18 * value_noise (cos (angle) * 40 + 100, sin (angle) * 40 + 100, 14, 35)
                                + 0.08 * cos (3 * angle + 0.5)) * (1.05 + 0.1 * tanh (dx / 60.0));
        double r = hypot (dx, dy);
        double lesion = 1 - smoothstep (edge - 10, edge + 6 + 10 * (1 + value_noise (angle * 30, 0, 6, 36)), r);
        /* Variegated pigment with a faint network. */
        double network = 0.5 + 0.5 * sin (x * 0.35 + 2 * value_noise (x, y, 20, 37)) * sin (y * 0.35 + 2 * value_noise (y, x, 20, 38));
        double dark = 0.5 + 0.5 * fractal_noise (x, y, 70, 39);
        double depth = smoothstep (0.0, 0.8, 1 - r / edge);
        float *p = c->rgb + ((gsize) y * width + x) * 3;
        double skin[3] = { 226 + 12 * tone + 4 * pores, 178 + 12 * tone + 4 * pores, 150 + 10 * tone + 4 * pores };
        double pigment[3] = { 150 - 80 * dark * depth - 25 * network, 95 - 55 * dark * depth - 18 * network,
                              70 - 40 * dark * depth - 12 * network };
        for (int k = 0; k < 3; k++)
          p[k] = (float) (skin[k] * (1 - lesion) + pigment[k] * lesion);
      }
  /* A blue-grey area and a few dots inside. */
  const double blue_grey[3] = { 110, 105, 120 }, dot[3] = { 45, 30, 28 };
  canvas_ellipse (c, cx + 40, cy - 25, 38, 26, 0.6, blue_grey, 0.45, 12);
  guint64 rng = 41;
  for (int i = 0; i < 14; i++)
    canvas_ellipse (c, cx + (uniform (&rng) - 0.5) * radius * 1.4, cy + (uniform (&rng) - 0.5) * radius * 1.2,
                    2.5, 2.5, 0, dot, 0.9, 1);
  /* Hairs. */
  const double hair[3] = { 60, 42, 35 };
  for (int i = 0; i < 12; i++)
    canvas_stroke (c, uniform (&rng) * width, uniform (&rng) * height, uniform (&rng) * 2 * G_PI,
                   200 + 250 * uniform (&rng), 3.0, 1.5, (uniform (&rng) - 0.5) * 0.006, hair, 0.85, &rng);
  /* A millimetre scale along the bottom edge: 10 px = 0.5 mm. */
  const double ink[3] = { 30, 30, 30 };
  for (int i = 0; i <= 40; i++)
    {
      double x = 60 + i * 10, len = i % 10 == 0 ? 22 : i % 2 == 0 ? 14 : 9;
      canvas_ellipse (c, x, height - 30 - len / 2, 0.8, len / 2, 0, ink, 0.8, 0.5);
    }
  g_autofree char *path = g_build_filename (dir, "skin-lesion-phantom.jpg", NULL);
  gboolean ok = write_jpeg (c, path, "Synthetic skin lesion phantom drawn by the Lightbox project (CC0). Not a patient.", error);
  canvas_free (c);
  return ok;
}

/* ---- the pathology phantom ---------------------------------------------------- */

static gboolean
make_pathology (const char *dir, GError **error)
{
  const int size = 4096;
  Canvas *c = canvas_new (size, size);
  /* Eosin-pink stroma with fibres, and slide glass at the corners. */
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        double fibre = value_noise (x * 0.35, y * 1.4, 9, 51) * 0.6 + fractal_noise (x, y, 120, 52) * 0.4;
        double tissue = 1 - smoothstep (0.46, 0.5, hypot (x - size / 2.0, (y - size / 2.0) * 1.1) / size
                                                   + 0.04 * fractal_noise (x, y, 500, 53));
        float *p = c->rgb + ((gsize) y * size + x) * 3;
        double pink[3] = { 232 + 10 * fibre, 150 + 30 * fibre, 190 + 15 * fibre };
        for (int k = 0; k < 3; k++)
          p[k] = (float) (pink[k] * tissue + 245 * (1 - tissue));
      }
  guint64 rng = 61;
  const double lumen[3] = { 248, 238, 244 }, nucleus[3] = { 78, 48, 138 }, cytoplasm[3] = { 215, 140, 190 };
  const double rbc[3] = { 215, 60, 80 };
  /* Glands: a white lumen lined by epithelium with a ring of nuclei. The
   * lower right quadrant is "crowded": larger, irregular, darker nuclei. */
  for (int g = 0; g < 110; g++)
    {
      double gx = size * (0.12 + 0.76 * uniform (&rng)), gy = size * (0.12 + 0.76 * uniform (&rng));
      if (hypot (gx - size / 2.0, gy - size / 2.0) > size * 0.42)
        continue;
      gboolean atypical = gx > size * 0.55 && gy > size * 0.55;
      double r = 55 + 60 * uniform (&rng), e = 0.75 + 0.4 * uniform (&rng), a = uniform (&rng) * G_PI;
      canvas_ellipse (c, gx, gy, r + 22, (r + 22) * e, a, cytoplasm, 0.9, 3);
      canvas_ellipse (c, gx, gy, r, r * e, a, lumen, 1.0, 2);
      int n = (int) (2 * G_PI * r / (atypical ? 11 : 15));
      for (int i = 0; i < n; i++)
        {
          double t = i * 2 * G_PI / n + 0.1 * gaussian (&rng);
          double rr = r + 11 + 3 * gaussian (&rng);
          double px = rr * cos (t), py = rr * e * sin (t);
          double nx = gx + px * cos (a) - py * sin (a), ny = gy + px * sin (a) + py * cos (a);
          double scale = atypical ? 1.5 + 0.5 * uniform (&rng) : 1.0;
          double tone[3] = { nucleus[0] - (atypical ? 25 : 0), nucleus[1] - (atypical ? 15 : 0), nucleus[2] };
          canvas_ellipse (c, nx, ny, 7.5 * scale, 4.5 * scale, t, tone, 0.92, 1.2);
        }
    }
  /* Stromal cells (spindle nuclei), lymphocytes and red cells in capillaries. */
  for (int i = 0; i < 9000; i++)
    {
      double x = size * uniform (&rng), y = size * uniform (&rng);
      if (hypot (x - size / 2.0, y - size / 2.0) > size * 0.45)
        continue;
      float *p = c->rgb + ((gsize) y * size + (gsize) x) * 3;
      if (p[0] > 240 && p[1] > 230)
        continue; /* not inside a lumen */
      double kind = uniform (&rng);
      if (kind < 0.6)
        canvas_ellipse (c, x, y, 9, 2.5, value_noise (x, y, 300, 62) * G_PI, nucleus, 0.8, 1);
      else if (kind < 0.85)
        canvas_ellipse (c, x, y, 4.5, 4.5, 0, nucleus, 0.95, 0.8);
      else
        canvas_ellipse (c, x, y, 4, 4, 0, rbc, 0.8, 0.8);
    }
  g_autofree char *path = g_build_filename (dir, "pathology-phantom.tif", NULL);
  gboolean ok = write_pyramid_tiff (c, 3, path,
                                    "Synthetic H&E-like pathology phantom drawn by the Lightbox project (CC0). Not a patient.",
                                    error);
  canvas_free (c);
  return ok;
}

/* ---- the test pattern ----------------------------------------------------------- */

static gboolean
make_test_pattern (const char *dir, GError **error)
{
  const guint size = 512;
  g_autoptr(LbImage) image = lb_image_new (size, size, 1, 16, FALSE, error);
  if (image == NULL)
    return FALSE;
  for (guint y = 0; y < size; y++)
    for (guint x = 0; x < size; x++)
      {
        guint v;
        if (y < 96) /* 16-step wedge */
          v = (x * 16 / size) * 65535 / 15;
        else if (y < 160) /* linear ramp */
          v = x * 65535 / (size - 1);
        else if (y < 352) /* line pairs: 1, 2, 3, 4 pixels wide, vertical and horizontal */
          {
            guint group = x / 128, w = group + 1;
            gboolean vertical = y < 256;
            guint coord = vertical ? x % 128 : y % 96;
            v = (coord / w) % 2 ? 52000 : 12000;
          }
        else /* a low-contrast disc on a mid-gray field */
          {
            double r = hypot (x + 0.5 - 256, y + 0.5 - 432);
            v = 30000 + (r < 60 ? 1500 : 0) + (r < 20 ? 1500 : 0);
          }
        image->u16[(gsize) y * size + x] = (guint16) v;
      }
  g_autofree char *path = g_build_filename (dir, "test-pattern.png", NULL);
  return lb_image_save_png (image, path, error);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      g_printerr ("usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  const char *dir = argv[1];
  g_autoptr(GError) error = NULL;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_printerr ("%s: %s\n", dir, g_strerror (errno));
      return 1;
    }
  if (!make_chest (dir, &error) || !make_fundus (dir, &error) || !make_skin (dir, &error)
      || !make_pathology (dir, &error) || !make_test_pattern (dir, &error))
    {
      g_printerr ("make-samples: %s\n", error->message);
      return 1;
    }
  return 0;
}
