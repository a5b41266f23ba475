/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `lightbox-cli regions`: the JSON contract (method, grid, values, answer,
 * label), cells in the padding as null, the overlay PNG, an answer taken
 * from `generate --json` giving the same attention as asking, sentences,
 * and misuse. On the reference backend: no GPU needed, and fast.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "imaging/image.h"
#include "lb-test.h"
#include "regions/regions.h"

static const char *model_dir;
static char *text_path;
static char *mmproj_path;
static char *image_path;

static void
setup (void)
{
  g_autoptr(LbImage) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;

  if (model_dir != NULL)
    return;
  model_dir = g_build_filename (lb_test_tmpdir (), "model", NULL);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "make-model", model_dir, "--seed", "8", "--shape", "tied=0", NULL), ==, 0);
  text_path = g_build_filename (model_dir, "text.gguf", NULL);
  mmproj_path = g_build_filename (model_dir, "mmproj.gguf", NULL);

  /* 112 × 56: the model's 112 square with 28 rows of padding above and below. */
  image = lb_image_new (112, 56, 3, 8, FALSE, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < lb_image_n_samples (image); i++)
    image->u8[i] = (guint8) ((i * 7) % 251);
  image_path = g_build_filename (lb_test_tmpdir (), "wide.png", NULL);
  g_assert_true (lb_image_save_png (image, image_path, &error));
}

static JsonObject *
run_json (const char *const *args)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status = lb_test_run_cli_argv (args, &out, &err);

  if (status != 0)
    g_error ("lightbox-cli exited with %d: %s", status, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* values as a flat array of grid × grid doubles (NaN for null). */
static double *
grid_values (JsonObject *object, guint grid)
{
  JsonArray *rows = json_object_get_array_member (object, "values");
  double *values = g_new (double, grid * grid);

  g_assert_cmpuint (json_array_get_length (rows), ==, grid);
  for (guint r = 0; r < grid; r++)
    {
      JsonArray *row = json_array_get_array_element (rows, r);
      g_assert_cmpuint (json_array_get_length (row), ==, grid);
      for (guint c = 0; c < grid; c++)
        {
          JsonNode *v = json_array_get_element (row, c);
          values[r * grid + c] = JSON_NODE_HOLDS_NULL (v) ? NAN : json_node_get_double (v);
        }
    }
  return values;
}

static void
test_occlusion (void)
{
  g_autofree char *png = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree double *values = NULL;
  g_autoptr(LbImage) overlay = NULL;
  g_autoptr(GError) error = NULL;

  setup ();
  png = g_build_filename (lb_test_tmpdir (), "occlusion.png", NULL);
  {
    const char *args[] = { "regions", "--model", text_path, "--mmproj", mmproj_path, "--image", image_path,
                           "--prompt", "Describe the image.", "--method", "occlusion", "--grid", "4",
                           "-n", "4", "--backend", "ref", "--json", "--out", png, NULL };
    object = run_json (args);
  }
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==, "occlusion");
  g_assert_cmpint (json_object_get_int_member (object, "grid"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (object, "label"), ==, "where the model looked — not proof");
  g_assert_true (json_object_has_member (object, "answer"));
  g_assert_cmpstr (json_object_get_string_member (object, "scoring"), ==, "exact");
  g_assert_cmpstr (json_object_get_string_member (object, "backend"), ==, "ref");
  /* The base run and the 8 cells that show the image. */
  g_assert_cmpint (json_object_get_int_member (object, "runs"), ==, 9);
  g_assert_cmpfloat (json_object_get_double_member (object, "base_logprob"), <, 0);
  values = grid_values (object, 4);
  for (guint c = 0; c < 4; c++)
    {
      g_assert_true (isnan (values[c]));
      g_assert_true (isnan (values[12 + c]));
      g_assert_true (isfinite (values[4 + c]) && isfinite (values[8 + c]));
    }

  /* The overlay: the image itself, at its size. */
  overlay = lb_image_load (png, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (overlay->width, ==, 112);
  g_assert_cmpuint (overlay->height, ==, 56);
  g_assert_cmpuint (overlay->channels, ==, 3);
}

/* The same answer, generated here or read from generate --json, has the
 * same attention map; a sentence of it has its own. */
static void
test_attention (void)
{
  g_autofree char *generated = NULL, *err = NULL, *json_path = NULL;
  g_autoptr(JsonObject) asked = NULL, replayed = NULL;
  g_autofree double *a = NULL, *b = NULL;
  g_autoptr(GError) error = NULL;
  double sum = 0;
  guint grid;

  setup ();
  {
    const char *args[] = { "regions", "--model", text_path, "--mmproj", mmproj_path, "--image", image_path,
                           "--prompt", "Describe the image.", "--method", "attention", "-n", "5",
                           "--backend", "ref", "--json", NULL };
    asked = run_json (args);
  }
  g_assert_cmpstr (json_object_get_string_member (asked, "method"), ==, "attention");
  grid = (guint) json_object_get_int_member (asked, "grid");
  g_assert_cmpuint (grid, ==, 4);   /* 16 image tokens */
  a = grid_values (asked, grid);
  for (guint i = 0; i < grid * grid; i++)
    {
      g_assert_cmpfloat (a[i], >=, 0);
      sum += a[i];
    }
  /* The mean share of attention that went to the image. */
  g_assert_cmpfloat (sum, >, 0);
  g_assert_cmpfloat (sum, <=, 1 + 1e-5);

  g_assert_cmpint (lb_test_run_cli (&generated, &err, "generate", "--model", text_path, "--mmproj", mmproj_path,
                                    "--image", image_path, "--prompt", "Describe the image.", "-n", "5",
                                    "--json", NULL), ==, 0);
  json_path = g_build_filename (lb_test_tmpdir (), "generated.json", NULL);
  g_assert_true (g_file_set_contents (json_path, generated, -1, &error));
  {
    g_autofree char *option = g_strdup_printf ("--answer-from-generate=%s", json_path);
    const char *args[] = { "regions", "--model", text_path, "--mmproj", mmproj_path, "--image", image_path,
                           option, "--method", "attention", "--backend", "ref", "--json", NULL };
    replayed = run_json (args);
  }
  b = grid_values (replayed, grid);
  for (guint i = 0; i < grid * grid; i++)
    g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);
  g_assert_cmpstr (json_object_get_string_member (asked, "answer"), ==,
                   json_object_get_string_member (replayed, "answer"));
}

static void
test_sentence (void)
{
  g_autoptr(JsonObject) object = NULL;
  JsonObject *sentence;
  const char *answer;

  setup ();
  {
    const char *args[] = { "regions", "--model", text_path, "--mmproj", mmproj_path, "--image", image_path,
                           "--prompt", "Describe the image.", "--method", "attention", "-n", "12",
                           "--backend", "ref", "--sentence", "0", "--json", NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status = lb_test_run_cli_argv (args, &out, &err);
    /* A random model's answer may hold no sentence at all. */
    if (status != 0)
      {
        g_assert_nonnull (strstr (err, "sentences"));
        g_test_skip ("the random model's answer has no sentence");
        return;
      }
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
      object = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    }
  }
  sentence = json_object_get_object_member (object, "sentence");
  answer = json_object_get_string_member (object, "answer");
  g_assert_cmpint (json_object_get_int_member (sentence, "index"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (sentence, "start"), <, json_object_get_int_member (sentence, "end"));
  g_assert_nonnull (strstr (answer, json_object_get_string_member (sentence, "text")));
}

static void
test_misuse (void)
{
  static const char *const cases[][16] = {
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", NULL },   /* no method */
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--method", "attention", NULL },
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", "--answer-from-generate",
      "--method", "attention", NULL },
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", "--method", "attention",
      "--grid", "8", NULL },
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", "--method", "occlusion",
      "--grid", "1", NULL },
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", "--method", "heat", NULL },
    { "regions", "--model", "m", "--image", "i", "--prompt", "x", "--method", "attention", NULL },
    { "regions", "--model", "m", "--mmproj", "p", "--image", "i", "--prompt", "x", "--method", "attention",
      "--backend", "cuda", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      int status = lb_test_run_cli_argv ((const char *const *) cases[i], &out, &err);
      if (status != 2)
        g_error ("case %" G_GSIZE_FORMAT ": exit status %d (expected 2): %s", i, status, err);
    }

  /* A file that is not a model: exit 1 and a message. */
  {
    g_autofree char *out = NULL, *err = NULL;
    setup ();
    g_assert_cmpint (lb_test_run_cli (&out, &err, "regions", "--model", image_path, "--mmproj", mmproj_path,
                                      "--image", image_path, "--prompt", "x", "--method", "attention",
                                      "--backend", "ref", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "lightbox-cli: "));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regions/cli/occlusion", test_occlusion);
  g_test_add_func ("/regions/cli/attention", test_attention);
  g_test_add_func ("/regions/cli/sentence", test_sentence);
  g_test_add_func ("/regions/cli/misuse", test_misuse);
  return g_test_run ();
}
