/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `lightbox-cli bench`: its JSON on the small reference model, and its
 * usage errors.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>

#include "lb-test.h"

static void
test_json (gconstpointer data)
{
  const char *backend = data;
  g_autofree char *model = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *mmproj = lb_test_reference_path ("models/a-f32/mmproj.gguf");
  g_autofree char *image = lb_test_reference_path ("images/gradient-112.png");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  int status;

  status = lb_test_run_cli (&out, &err, "bench", "--model", model, "--mmproj", mmproj, "--image", image,
                            "-p", "24", "-n", "6", "--reps", "2", "--backend", backend, "--json", NULL);
  if (status != 0 && strstr (err, "Vulkan") != NULL && strstr (err, "device") != NULL)
    {
      g_test_skip (err);
      return;
    }
  g_assert_cmpint (status, ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "backend"), ==, backend);
  g_assert_cmpint (json_object_get_int_member (o, "reps"), ==, 2);
  /* <bos>, 16 image positions, 24 tokens. */
  g_assert_cmpint (json_object_get_int_member (o, "prompt_positions"), ==, 1 + 16 + 24);
  g_assert_cmpint (json_object_get_int_member (o, "generated"), ==, 6);
  g_assert_cmpfloat (json_object_get_double_member (o, "load_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "image_encode_ms"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "prefill_tokens_per_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "decode_tokens_per_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "time_to_first_token_ms"), >,
                     json_object_get_double_member (o, "image_encode_ms"));
  g_assert_cmpint (json_object_get_int_member (o, "weight_bytes"), >, 0);
  if (g_str_equal (backend, "vulkan"))
    g_assert_cmpint (json_object_get_int_member (o, "peak_device_bytes"), >,
                     json_object_get_int_member (o, "weight_bytes"));
}

static void
test_usage (void)
{
  g_autofree char *err = NULL;
  g_autofree char *model = lb_test_reference_path ("models/a-f32/text.gguf");

  g_assert_cmpint (lb_test_run_cli (NULL, &err, "bench", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--model"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (NULL, &err, "bench", "--model", model, "--image", "x.png", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--mmproj"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (NULL, &err, "bench", "--model", "/nonexistent.gguf", "--reps", "1", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "nonexistent.gguf"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/engine/bench/json/vulkan", "vulkan", test_json);
  g_test_add_data_func ("/engine/bench/json/ref", "ref", test_json);
  g_test_add_func ("/engine/bench/usage", test_usage);
  return g_test_run ();
}
