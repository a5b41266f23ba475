/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli bench-image [--size 3000] [--iterations 5] [--json]: writes a
 * synthetic SIZE×SIZE 16-bit radiograph (12 bits used, smooth anatomy plus
 * noise, as a 16-bit PNG in a temporary folder) and reports the median
 * milliseconds to decode it, to window it to 8 bits, and to build the
 * 896×896 model input from the decoded image (window + pad + resize).
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "imaging/model-input.h"

static int opt_size = 3000;
static int opt_iterations = 5;
static gboolean opt_json;

static const GOptionEntry entries[] = {
  { "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Width and height of the synthetic radiograph (default 3000)", "N" },
  { "iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "Runs of each step (default 5)", "N" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL },
  { NULL },
};

/* A chest-radiograph-like picture: bright body, two dark lung fields, a
 * spine, ribs, noise; 12-bit values. */
static LbImage *
make_radiograph (guint size, GError **error)
{
  LbImage *image = lb_image_new (size, size, 1, 16, FALSE, error);
  if (image == NULL)
    return NULL;
  image->metadata.bits_used = 12;
  GRand *rand = g_rand_new_with_seed (7);
  double s = size;
  for (guint y = 0; y < size; y++)
    for (guint x = 0; x < size; x++)
      {
        double u = x / s - 0.5, v = y / s - 0.5;
        double body = exp (-(u * u / 0.12 + v * v / 0.2));
        double lung_l = exp (-(((u + 0.17) * (u + 0.17)) / 0.008 + (v * v) / 0.05));
        double lung_r = exp (-(((u - 0.17) * (u - 0.17)) / 0.008 + (v * v) / 0.05));
        double spine = exp (-(u * u) / 0.0008);
        double ribs = 0.5 + 0.5 * sin (v * 60.0 + fabs (u) * 8.0);
        double value = 600 + 2600 * body - 1500 * (lung_l + lung_r) * (0.8 + 0.2 * ribs) + 700 * spine
                       + g_rand_double_range (rand, -40, 40);
        image->u16[(gsize) y * size + x] = (guint16) CLAMP (value, 0, 4095);
      }
  g_rand_free (rand);
  return image;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values, int n)
{
  qsort (values, (size_t) n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static int
run (int argc, char **argv)
{
  int status = 0;
  if (!lb_cli_parse ("bench-image", "", "Time decoding, windowing and the model-input transform of a large 16-bit radiograph.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lb_cli_usage_error ("bench-image", "no arguments were expected");
  if (opt_size < 16 || opt_size > 16384)
    return lb_cli_usage_error ("bench-image", "--size must be between 16 and 16384");
  if (opt_iterations < 1 || opt_iterations > 1000)
    return lb_cli_usage_error ("bench-image", "--iterations must be between 1 and 1000");

  GError *error = NULL;
  g_autoptr(LbImage) source = make_radiograph ((guint) opt_size, &error);
  if (source == NULL)
    return lb_cli_fail (error);
  g_autofree char *dir = g_dir_make_tmp ("lightbox-bench-XXXXXX", &error);
  if (dir == NULL)
    return lb_cli_fail (error);
  g_autofree char *path = g_build_filename (dir, "radiograph.png", NULL);
  if (!lb_image_save_png (source, path, &error))
    {
      g_rmdir (dir);
      return lb_cli_fail (error);
    }
  GStatBuf st;
  gint64 file_size = g_stat (path, &st) == 0 ? (gint64) st.st_size : -1;

  double *decode = g_new (double, opt_iterations);
  double *window = g_new (double, opt_iterations);
  double *model = g_new (double, opt_iterations);
  for (int i = 0; i < opt_iterations && status == 0; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(LbImage) image = lb_image_load (path, 0, &error);
      gint64 t1 = g_get_monotonic_time ();
      if (image == NULL)
        {
          status = lb_cli_fail (error);
          break;
        }
      LbModelInputParams params;
      lb_model_input_params_init (&params, image);
      gint64 t2 = g_get_monotonic_time ();
      g_autoptr(LbDisplayImage) display = lb_display_render (image, &params.display, FALSE);
      gint64 t3 = g_get_monotonic_time ();
      g_autoptr(LbModelInput) input = lb_model_input_build (image, &params, LB_MODEL_INPUT_DEFAULT_SIZE, &error);
      gint64 t4 = g_get_monotonic_time ();
      if (input == NULL)
        {
          status = lb_cli_fail (error);
          break;
        }
      decode[i] = (t1 - t0) / 1000.0;
      window[i] = (t3 - t2) / 1000.0;
      model[i] = (t4 - t3) / 1000.0;
    }
  g_unlink (path);
  g_rmdir (dir);

  if (status == 0)
    {
      double md = median (decode, opt_iterations), mw = median (window, opt_iterations);
      double mm = median (model, opt_iterations);
      if (opt_json)
        printf ("{\n  \"width\": %d,\n  \"height\": %d,\n  \"bits\": 16,\n  \"file\": \"png\",\n"
                "  \"file_bytes\": %" G_GINT64_FORMAT ",\n  \"iterations\": %d,\n"
                "  \"decode_ms\": %.3f,\n  \"window_ms\": %.3f,\n  \"model_input_ms\": %.3f,\n"
                "  \"model_input_size\": %d\n}\n",
                opt_size, opt_size, file_size, opt_iterations, md, mw, mm, LB_MODEL_INPUT_DEFAULT_SIZE);
      else
        printf ("synthetic radiograph: %d × %d, 16-bit PNG (%.1f MB), median of %d runs\n"
                "  decode:          %8.2f ms\n"
                "  window to 8-bit: %8.2f ms\n"
                "  model input %d: %8.2f ms (window, pad, resize)\n",
                opt_size, opt_size, file_size / 1e6, opt_iterations, md, mw,
                LB_MODEL_INPUT_DEFAULT_SIZE, mm);
    }
  g_free (decode);
  g_free (window);
  g_free (model);
  return status;
}

int
lb_cli_bench_image (int argc, char **argv)
{
  int status = run (argc, argv);
  opt_size = 3000;
  opt_iterations = 5;
  opt_json = FALSE;
  return status;
}
