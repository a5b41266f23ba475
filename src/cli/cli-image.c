/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli image FILE [--frame N] [--window CENTER,WIDTH] [--invert]
 *                         [--crop X,Y,W,H] [--size S] --out OUT.png
 *   writes what the model would see: the square model input as 8-bit RGB PNG.
 * lightbox-cli image FILE --info [--json]
 *   prints size, depth, photometric interpretation, windows and tags.
 * lightbox-cli image FILE [--frame N] --pixels OUT.pgm
 *   writes the stored samples before any LUT as 16-bit binary PGM (one
 *   channel) or PPM (three); signed samples plus 32768, with a
 *   "# offset 32768" comment line.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli/cli.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "imaging/model-input.h"

static int opt_frame;
static char *opt_window;
static gboolean opt_invert;
static char *opt_crop;
static int opt_size = LB_MODEL_INPUT_DEFAULT_SIZE;
static char *opt_out;
static gboolean opt_info;
static gboolean opt_json;
static char *opt_pixels;

static const GOptionEntry entries[] = {
  { "frame", 'f', 0, G_OPTION_ARG_INT, &opt_frame, "Frame (DICOM) or page (TIFF) to read, from 0", "N" },
  { "window", 'w', 0, G_OPTION_ARG_STRING, &opt_window, "Window center and width, in modality units (default: the file's, else automatic)", "CENTER,WIDTH" },
  { "invert", 'i', 0, G_OPTION_ARG_NONE, &opt_invert, "Invert the gray levels", NULL },
  { "crop", 'c', 0, G_OPTION_ARG_STRING, &opt_crop, "Use only this region of the image", "X,Y,W,H" },
  { "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Model input size in pixels (default 896)", "S" },
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Write the model input as an 8-bit RGB PNG", "OUT.png" },
  { "info", 0, 0, G_OPTION_ARG_NONE, &opt_info, "Describe the image: size, depth, windows, tags", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "With --info: print JSON", NULL },
  { "pixels", 'p', 0, G_OPTION_ARG_FILENAME, &opt_pixels, "Write the stored samples as 16-bit PGM/PPM", "OUT.pgm" },
  { NULL },
};

static void
reset_options (void)
{
  opt_frame = 0;
  g_clear_pointer (&opt_window, g_free);
  opt_invert = FALSE;
  g_clear_pointer (&opt_crop, g_free);
  opt_size = LB_MODEL_INPUT_DEFAULT_SIZE;
  g_clear_pointer (&opt_out, g_free);
  opt_info = FALSE;
  opt_json = FALSE;
  g_clear_pointer (&opt_pixels, g_free);
}

/* Parses n comma-separated numbers. */
static gboolean
parse_numbers (const char *text, double *values, guint n)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  if (g_strv_length (parts) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;
      g_strstrip (parts[i]);
      values[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0')
        return FALSE;
    }
  return TRUE;
}

static void
format_tag_number (char *out, gsize size, guint32 tag)
{
  if (tag != 0)
    g_snprintf (out, size, "%04X,%04X", tag >> 16, tag & 0xffff);
  else
    out[0] = '\0';
}

static void
print_info_text (const char *path, const LbImage *image)
{
  const LbImageMetadata *m = &image->metadata;
  int min = 0, max = 0;
  lb_image_sample_range (image, &min, &max);
  LbDisplayParams display;
  lb_display_params_init (&display, image);

  printf ("%s\n", path);
  printf ("  format: %s%s%s%s\n", lb_image_format_name (m->format), m->compression ? " (" : "",
          m->compression ? m->compression : "", m->compression ? ")" : "");
  printf ("  size: %u × %u, %u channel%s, %u-bit %s (%u bits used)\n", image->width, image->height,
          image->channels, image->channels == 1 ? "" : "s", image->bits_stored,
          image->is_signed ? "signed" : "unsigned", m->bits_used);
  printf ("  frames: %u (this is frame %u)\n", m->n_frames, m->frame);
  printf ("  photometric interpretation: %s\n", m->photometric);
  if (m->modality != NULL)
    printf ("  modality: %s\n", m->modality);
  printf ("  stored values: %d to %d\n", min, max);
  if (m->modality_lut != NULL)
    printf ("  modality LUT: %u entries from %d%s%s\n", m->n_modality_lut, m->lut_first,
            m->rescale_type ? ", " : "", m->rescale_type ? m->rescale_type : "");
  else
    printf ("  rescale: slope %g, intercept %g%s%s\n", m->rescale_slope, m->rescale_intercept,
            m->rescale_type ? ", " : "", m->rescale_type ? m->rescale_type : "");
  for (guint i = 0; i < m->windows->len; i++)
    {
      const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, i);
      printf ("  window %u: center %g, width %g%s%s\n", i + 1, w->center, w->width,
              w->explanation ? " — " : "", w->explanation ? w->explanation : "");
    }
  printf ("  default display: center %g, width %g\n", display.window_center, display.window_width);
  if (m->has_pixel_spacing)
    printf ("  pixel spacing: %g × %g mm (row × column)\n", m->pixel_spacing[0], m->pixel_spacing[1]);
  if (m->exif_orientation != 0)
    printf ("  EXIF orientation: %u (applied)\n", m->exif_orientation);
  if (m->patient_orientation != NULL)
    printf ("  patient orientation: %s\n", m->patient_orientation);
  if (m->tags->len > 0)
    {
      printf ("  tags (* = identifies the patient):\n");
      for (guint i = 0; i < m->tags->len; i++)
        {
          const LbImageTag *t = &g_array_index (m->tags, LbImageTag, i);
          char number[16];
          format_tag_number (number, sizeof number, t->tag);
          printf ("   %s %s%s%s%s = %s\n", t->identifying ? "*" : " ", number[0] ? "(" : "", number,
                  number[0] ? ") " : "", t->name, t->value);
        }
    }
}

static void
print_info_json (const char *path, const LbImage *image)
{
  const LbImageMetadata *m = &image->metadata;
  int min = 0, max = 0;
  lb_image_sample_range (image, &min, &max);
  LbDisplayParams display;
  lb_display_params_init (&display, image);

  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, lb_image_format_name (m->format));
  json_builder_set_member_name (b, "compression");
  if (m->compression) json_builder_add_string_value (b, m->compression); else json_builder_add_null_value (b);
  json_builder_set_member_name (b, "transfer_syntax");
  if (m->transfer_syntax) json_builder_add_string_value (b, m->transfer_syntax); else json_builder_add_null_value (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, image->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, image->height);
  json_builder_set_member_name (b, "channels");
  json_builder_add_int_value (b, image->channels);
  json_builder_set_member_name (b, "bits_stored");
  json_builder_add_int_value (b, image->bits_stored);
  json_builder_set_member_name (b, "bits_used");
  json_builder_add_int_value (b, m->bits_used);
  json_builder_set_member_name (b, "signed");
  json_builder_add_boolean_value (b, image->is_signed);
  json_builder_set_member_name (b, "photometric");
  json_builder_add_string_value (b, m->photometric);
  json_builder_set_member_name (b, "modality");
  if (m->modality) json_builder_add_string_value (b, m->modality); else json_builder_add_null_value (b);
  json_builder_set_member_name (b, "frames");
  json_builder_add_int_value (b, m->n_frames);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, m->frame);
  json_builder_set_member_name (b, "min");
  json_builder_add_int_value (b, min);
  json_builder_set_member_name (b, "max");
  json_builder_add_int_value (b, max);
  json_builder_set_member_name (b, "rescale_slope");
  json_builder_add_double_value (b, m->rescale_slope);
  json_builder_set_member_name (b, "rescale_intercept");
  json_builder_add_double_value (b, m->rescale_intercept);
  json_builder_set_member_name (b, "rescale_type");
  if (m->rescale_type) json_builder_add_string_value (b, m->rescale_type); else json_builder_add_null_value (b);
  json_builder_set_member_name (b, "modality_lut_entries");
  json_builder_add_int_value (b, m->n_modality_lut);
  json_builder_set_member_name (b, "windows");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->windows->len; i++)
    {
      const LbImageWindow *w = &g_array_index (m->windows, LbImageWindow, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "center");
      json_builder_add_double_value (b, w->center);
      json_builder_set_member_name (b, "width");
      json_builder_add_double_value (b, w->width);
      json_builder_set_member_name (b, "explanation");
      if (w->explanation) json_builder_add_string_value (b, w->explanation); else json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "default_window");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "center");
  json_builder_add_double_value (b, display.window_center);
  json_builder_set_member_name (b, "width");
  json_builder_add_double_value (b, display.window_width);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "pixel_spacing");
  if (m->has_pixel_spacing)
    {
      json_builder_begin_array (b);
      json_builder_add_double_value (b, m->pixel_spacing[0]);
      json_builder_add_double_value (b, m->pixel_spacing[1]);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "exif_orientation");
  json_builder_add_int_value (b, m->exif_orientation);
  json_builder_set_member_name (b, "patient_orientation");
  if (m->patient_orientation) json_builder_add_string_value (b, m->patient_orientation); else json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->tags->len; i++)
    {
      const LbImageTag *t = &g_array_index (m->tags, LbImageTag, i);
      char number[16];
      format_tag_number (number, sizeof number, t->tag);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "tag");
      if (number[0]) json_builder_add_string_value (b, number); else json_builder_add_null_value (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, t->name);
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, t->value);
      json_builder_set_member_name (b, "identifying");
      json_builder_add_boolean_value (b, t->identifying);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static gboolean
write_pixels (const LbImage *image, const char *path, GError **error)
{
  gboolean offset = image->is_signed;
  g_autoptr(GString) header = g_string_new (image->channels == 3 ? "P6\n" : "P5\n");
  if (offset)
    g_string_append (header, "# offset 32768\n");
  g_string_append_printf (header, "%u %u\n65535\n", image->width, image->height);

  gsize n = lb_image_n_samples (image);
  g_autofree guint8 *body = g_malloc (n * 2);
  for (gsize i = 0; i < n; i++)
    {
      int v;
      if (image->bits_stored == 8)
        v = image->is_signed ? image->s8[i] : image->u8[i];
      else
        v = image->is_signed ? image->s16[i] : image->u16[i];
      if (offset)
        v += 32768;
      body[2 * i] = (guint8) (v >> 8); /* PGM is big-endian */
      body[2 * i + 1] = (guint8) (v & 0xff);
    }

  FILE *f = fopen (path, "wb");
  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: cannot create the file: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  gboolean ok = fwrite (header->str, 1, header->len, f) == header->len && fwrite (body, 1, n * 2, f) == n * 2;
  if (fclose (f) != 0)
    ok = FALSE;
  if (!ok)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot write the file", path);
      return FALSE;
    }
  return TRUE;
}

static int
run (int argc, char **argv)
{
  int status = 0;
  if (!lb_cli_parse ("image", "FILE", "Read a medical image; write what the model sees, describe it, or dump its samples.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lb_cli_usage_error ("image", "exactly one FILE was expected");
  if (opt_out == NULL && !opt_info && opt_pixels == NULL)
    return lb_cli_usage_error ("image", "nothing to do: give --out, --info or --pixels");
  if (opt_json && !opt_info)
    return lb_cli_usage_error ("image", "--json goes with --info");
  if (opt_frame < 0)
    return lb_cli_usage_error ("image", "--frame must be 0 or more");
  if (opt_size < 1 || opt_size > 8192)
    return lb_cli_usage_error ("image", "--size must be between 1 and 8192");

  LbModelInputParams params = { 0 };
  double window[2] = { 0 }, crop[4] = { 0 };
  if (opt_window != NULL && (!parse_numbers (opt_window, window, 2) || window[1] < 1.0))
    return lb_cli_usage_error ("image", "--window wants CENTER,WIDTH with WIDTH >= 1, not '%s'", opt_window);
  if (opt_crop != NULL)
    {
      if (!parse_numbers (opt_crop, crop, 4))
        return lb_cli_usage_error ("image", "--crop wants X,Y,W,H, not '%s'", opt_crop);
      for (guint i = 0; i < 4; i++)
        if (crop[i] < 0 || crop[i] > G_MAXUINT || crop[i] != (double) (guint) crop[i])
          return lb_cli_usage_error ("image", "--crop wants whole non-negative numbers, not '%s'", opt_crop);
    }

  const char *path = argv[1];
  GError *error = NULL;
  g_autoptr(LbImage) image = lb_image_load (path, (guint) opt_frame, &error);
  if (image == NULL)
    return lb_cli_fail (error);

  if (opt_info)
    {
      if (opt_json)
        print_info_json (path, image);
      else
        print_info_text (path, image);
    }

  if (opt_pixels != NULL && !write_pixels (image, opt_pixels, &error))
    return lb_cli_fail (error);

  if (opt_out != NULL)
    {
      lb_model_input_params_init (&params, image);
      if (opt_window != NULL)
        {
          params.display.window_center = window[0];
          params.display.window_width = window[1];
        }
      params.display.invert = opt_invert;
      if (opt_crop != NULL)
        {
          params.has_crop = TRUE;
          params.crop_x = (guint) crop[0];
          params.crop_y = (guint) crop[1];
          params.crop_width = (guint) crop[2];
          params.crop_height = (guint) crop[3];
        }
      g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, (guint) opt_size, &error);
      if (input == NULL)
        return lb_cli_fail (error);
      g_autoptr(LbImage) out = lb_image_new (input->size, input->size, 3, 8, FALSE, &error);
      if (out == NULL)
        return lb_cli_fail (error);
      memcpy (out->u8, input->rgb, (gsize) input->size * input->size * 3);
      if (!lb_image_save_png (out, opt_out, &error))
        return lb_cli_fail (error);
    }
  return 0;
}

int
lb_cli_image (int argc, char **argv)
{
  int status = run (argc, argv);
  reset_options ();
  return status;
}
