/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli bench-kernels: the JSON contract on a few small kernels, and
 * a usage error.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vk-test.h"

static void
test_json (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *rows;
  int status;

  if (vk_test_context () == NULL)
    return;
  status = lb_test_run_cli (&out, &err, "bench-kernels", "--json", "--repeats", "2", "--filter", "rmsnorm", NULL);
  g_assert_cmpint (status, ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_nonnull (json_object_get_string_member (root, "device"));
  rows = json_object_get_array_member (root, "rows");
  /* rmsnorm, rmsnorm+rope+kv_store (the attention prologue), add_rmsnorm: two shapes each. */
  g_assert_cmpuint (json_array_get_length (rows), ==, 6);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      g_assert_nonnull (strstr (json_object_get_string_member (row, "kernel"), "rmsnorm"));
      g_assert_nonnull (json_object_get_string_member (row, "shape"));
      g_assert_true (json_object_get_null_member (row, "skipped"));
      g_assert_cmpfloat (json_object_get_double_member (row, "median_ms"), >, 0);
      g_assert_cmpfloat (json_object_get_double_member (row, "gb_per_s"), >, 0);
    }
}

static void
test_usage (void)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = lb_test_run_cli (&out, &err, "bench-kernels", "--repeats", "0", NULL);

  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "--repeats"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/bench-kernels/json", test_json);
  g_test_add_func ("/vk/bench-kernels/usage", test_usage);
  return vk_test_run ();
}
