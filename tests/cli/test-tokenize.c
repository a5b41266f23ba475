/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli tokenize (and bench-tokenize) as outside scripts call them:
 * the ids of the reference cases, --special, --no-bos, --json, "--" before
 * a TEXT that begins with a dash, and the exit statuses.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "lb-test.h"

static char *vocab;

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}

static void
test_reference_cases (void)
{
  g_autofree char *path = lb_test_reference_path ("tokenizer/cases.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *cases;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  cases = json_node_get_array (json_parser_get_root (parser));
  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *object = json_array_get_object_element (cases, c);
      JsonArray *ids = json_object_get_array_member (object, "ids");
      g_autoptr(GString) want = g_string_new (NULL);
      g_autofree char *out = NULL, *err = NULL;
      const char *args[8];
      int n = 0;

      args[n++] = "tokenize";
      args[n++] = "--model";
      args[n++] = vocab;
      if (json_object_get_boolean_member (object, "special"))
        args[n++] = "--special";
      if (!json_object_get_boolean_member (object, "bos"))
        args[n++] = "--no-bos";
      args[n++] = "--";
      args[n++] = json_object_get_string_member (object, "text");
      args[n] = NULL;
      for (guint i = 0; i < json_array_get_length (ids); i++)
        g_string_append_printf (want, i == 0 ? "%" G_GINT64_FORMAT : " %" G_GINT64_FORMAT,
                                json_array_get_int_element (ids, i));
      g_string_append_c (want, '\n');

      g_assert_cmpint (lb_test_run_cli_argv (args, &out, &err), ==, 0);
      g_assert_cmpstr (out, ==, want->str);
      g_assert_cmpstr (err, ==, "");
    }
}

static void
test_options (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "Hello world", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "2 9259 1902\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--no-bos", "--model", vocab, "Hello world", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "9259 1902\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "--special", "<start_of_image>", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "2 255999\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "<start_of_image>", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "2 236820 3041 236779 1340 236779 3304 236813\n");
  g_clear_pointer (&out, g_free);
  /* "--" ends the options: TEXT may begin with a dash (ids from cases.json:
   * " -42" is 753 236812 236778). */
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "--no-bos", "--", "--special", NULL), ==, 0);
  g_assert_cmpstr (out, !=, "");
  g_assert_cmpstr (out, !=, "\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "--no-bos", "--", " -42", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "753 236812 236778\n");
  g_clear_pointer (&out, g_free);
  /* Empty text: <bos> alone, or an empty line. */
  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "2\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", vocab, "--no-bos", "", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "\n");
}

static void
test_json (void)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  static const struct { gint64 id; const char *piece; } want[] = {
    { 2, "<bos>" }, { 105, "<start_of_turn>" }, { 2364, "user" }, { 107, "\n" }, { 9259, "Hello" },
    { 1902, "\xe2\x96\x81world" }, { 236743, "\xe2\x96\x81" },
  };

  g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", vocab, "--json", "--special",
                                    "<start_of_turn>user\nHello world ", NULL), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      g_assert_cmpuint (json_object_get_size (object), ==, 2);
      g_assert_cmpint (json_object_get_int_member (object, "id"), ==, want[i].id);
      g_assert_cmpstr (json_object_get_string_member (object, "piece"), ==, want[i].piece);
    }

  /* A byte token's piece, in the small vocabulary */
  g_clear_pointer (&out, g_free);
  {
    g_autofree char *small = lb_test_reference_path ("models/b-q8/text.gguf");
    g_assert_cmpint (lb_test_run_cli (&out, NULL, "tokenize", "--model", small, "--json", "--no-bos", "<", NULL), ==, 0);
    g_assert_cmpstr (out, ==, "[{\"id\":298,\"piece\":\"<0x3C>\"}]\n");
  }
}

static void
test_failures (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *missing = g_build_filename (lb_test_tmpdir (), "missing.gguf", NULL);
  g_autofree char *mmproj = lb_test_reference_path ("models/a-f32/mmproj.gguf");

  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "Hello", NULL), ==, 2);
  assert_contains (err, "--model");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", vocab, NULL), ==, 2);
  assert_contains (err, "TEXT");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", vocab, "a", "b", NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", vocab, "--bogus", "a", NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", missing, "a", NULL), ==, 1);
  assert_contains (err, "missing.gguf");
  g_clear_pointer (&err, g_free);
  /* a projector has no vocabulary */
  g_assert_cmpint (lb_test_run_cli (&out, &err, "tokenize", "--model", mmproj, "a", NULL), ==, 1);
  assert_contains (err, "tokenizer.ggml");
}

static void
test_bench (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (lb_test_run_cli (&out, &err, "bench-tokenize", "--model", vocab, "--mb", "1", NULL), ==, 0);
  assert_contains (out, "text: 1000");
  assert_contains (out, "encode: ");
  assert_contains (out, " MB/s");
  assert_contains (out, "round trip: identical");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "bench-tokenize", "--model", vocab, "--mb", "0", NULL), ==, 2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  vocab = lb_test_reference_path ("vocab/gemma3-vocab.gguf");
  g_test_add_func ("/cli/tokenize/reference-cases", test_reference_cases);
  g_test_add_func ("/cli/tokenize/options", test_options);
  g_test_add_func ("/cli/tokenize/json", test_json);
  g_test_add_func ("/cli/tokenize/failures", test_failures);
  g_test_add_func ("/cli/bench-tokenize/runs", test_bench);
  status = g_test_run ();
  g_free (vocab);
  return status;
}
