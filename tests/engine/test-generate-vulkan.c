/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `lightbox-cli generate` on its default backend, the Vulkan engine:
 * - for every case of tests/reference/generate-cases.json, `generate
 *   --json` (no --backend) gives the reference's prompt tokens, greedy
 *   tokens and top-5 logits under the rules of tests/reference/README.md
 *   (float 0.02 + 0.002|x|, quantized 0.3 + 0.03|x|; a different token
 *   only at a near tie, after which the case is not compared): the same
 *   running and comparison as the reference backend's
 *   tests/ref/test-ref-reference.c (tests/support/lb-test-generate.h);
 * - `--backend ref` and the default give the same tokens, pieces and text
 *   on a float case;
 * - an unknown --backend is a usage error (status 2);
 * - without any Vulkan driver the command says so, suggests --backend
 *   ref, and exits with status 1;
 * - --top-logits above LB_SAMPLING_MAX_CANDIDATES gives that many, with a
 *   note on stderr.
 * Skipped (not failed) where no Vulkan device exists.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "engine/engine.h"
#include "lb-test-generate.h"
#include "lb-test.h"

/* As tests/ref/test-ref-reference.c: every one of the reference's top 5
 * must be among them unless it is far off. */
#define TOP_LOGITS 40

/* The float case compared with --backend ref: top-2 margins of at least
 * 0.009, far above the backends' difference on a float model (~0.001). */
#define SAME_AS_REF_CASE "a-text-short"

static JsonArray *cases;
/* Case name → the default backend's output, so that a case runs once. */
static GHashTable *outputs;
static gboolean no_device;

static JsonObject *
find_case (const char *name)
{
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      if (g_str_equal (json_object_get_string_member (c, "name"), name))
        return c;
    }
  g_assert_not_reached ();
}

/* The default backend's output for the case; NULL (the test skipped)
 * where there is no Vulkan device. */
static JsonObject *
default_output (JsonObject *c)
{
  const char *name = json_object_get_string_member (c, "name");
  JsonNode *root = g_hash_table_lookup (outputs, name);
  g_autofree char *err = NULL;
  int status;

  if (root == NULL && !no_device)
    {
      root = lb_test_generate_run_case (c, NULL, TOP_LOGITS, &status, &err);
      if (root == NULL && status == 1 && strstr (err, "no usable device") != NULL)
        no_device = TRUE;
      else
        {
          g_assert_cmpint (status, ==, 0);
          g_hash_table_insert (outputs, g_strdup (name), root);
        }
    }
  if (no_device)
    {
      g_test_skip ("no Vulkan device");
      return NULL;
    }
  return json_node_get_object (root);
}

static void
test_reference (gconstpointer data)
{
  JsonObject *c = find_case (data);
  JsonObject *got = default_output (c);

  if (got != NULL)
    lb_test_generate_check_case (c, got, TOP_LOGITS);
}

static void
test_same_as_ref (void)
{
  JsonObject *c = find_case (SAME_AS_REF_CASE);
  JsonObject *got = default_output (c);
  g_autoptr(JsonNode) ref = NULL;
  g_autoptr(GArray) got_tokens = NULL, ref_tokens = NULL;
  JsonArray *got_steps, *ref_steps;
  int status;

  if (got == NULL)
    return;
  ref = lb_test_generate_run_case (c, "ref", TOP_LOGITS, &status, NULL);
  g_assert_cmpint (status, ==, 0);
  got_tokens = lb_test_generate_step_tokens (got);
  ref_tokens = lb_test_generate_step_tokens (json_node_get_object (ref));
  g_assert_cmpuint (got_tokens->len, ==, json_object_get_int_member (c, "n"));
  g_assert_cmpmem (got_tokens->data, got_tokens->len * sizeof (gint64),
                   ref_tokens->data, ref_tokens->len * sizeof (gint64));
  got_steps = json_object_get_array_member (got, "steps");
  ref_steps = json_object_get_array_member (json_node_get_object (ref), "steps");
  for (guint i = 0; i < json_array_get_length (got_steps); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (got_steps, i), "piece"), ==,
                     json_object_get_string_member (json_array_get_object_element (ref_steps, i), "piece"));
  g_assert_cmpstr (json_object_get_string_member (got, "text"), ==,
                   json_object_get_string_member (json_node_get_object (ref), "text"));
}

static void
test_unknown_backend (void)
{
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (lb_test_run_cli (&out, &err, "generate", "--backend", "foo", "--model", text,
                                    "--prompt", "Hi", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "unknown backend 'foo'"));
  g_assert_cmpstr (out, ==, "");
}

/* Sets or unsets (value NULL) a variable, returning the old value. */
static char *
swap_env (const char *name, const char *value)
{
  char *old = g_strdup (g_getenv (name));

  if (value != NULL)
    g_setenv (name, value, TRUE);
  else
    g_unsetenv (name);
  return old;
}

/* The Vulkan loader pointed at a driver file that does not exist. The
 * validation layer is off for this run: the loader's complaint about the
 * missing file is not what is tested. */
static void
test_no_device (void)
{
  static const char *const names[] = {
    "VK_DRIVER_FILES", "VK_ICD_FILENAMES", "VK_INSTANCE_LAYERS", "LIGHTBOX_VK_VALIDATION",
  };
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *missing = g_build_filename (lb_test_tmpdir (), "no-such-driver.json", NULL);
  const char *values[] = { missing, missing, NULL, NULL };
  char *saved[G_N_ELEMENTS (names)];
  g_autofree char *out = NULL, *err = NULL;
  int status;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    saved[i] = swap_env (names[i], values[i]);
  status = lb_test_run_cli (&out, &err, "generate", "--model", text, "--prompt", "Hi", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *ours = swap_env (names[i], saved[i]);
      g_free (saved[i]);
    }

  g_test_message ("stderr: %s", err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "no usable device"));
  g_assert_nonnull (strstr (err, "--backend ref"));
  g_assert_cmpstr (out, ==, "");
}

/* More logits than the engine's candidates: that many, and a note. */
static void
test_top_logits_cap (void)
{
  g_autofree char *text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *top = g_strdup_printf ("%d", LB_SAMPLING_MAX_CANDIDATES + 44);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *steps;
  int status;

  status = lb_test_run_cli (&out, &err, "generate", "--json", "-n", "2", "--top-logits", top,
                            "--model", text, "--prompt", "Hi", NULL);
  if (status == 1 && strstr (err, "no usable device") != NULL)
    {
      g_test_skip ("no Vulkan device");
      return;
    }
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (err, "at most 256 logits per step"));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  steps = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, 2);
  for (guint i = 0; i < json_array_get_length (steps); i++)
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_array_get_object_element (steps, i),
                                                                           "top")),
                      ==, LB_SAMPLING_MAX_CANDIDATES);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonNode) root = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  root = lb_test_generate_cases ();
  cases = json_node_get_array (root);
  outputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (cases, i), "name");
      g_autofree char *path = g_strdup_printf ("/generate-vulkan/reference/%s", name);
      g_test_add_data_func (path, name, test_reference);
    }
  g_test_add_func ("/generate-vulkan/same-as-ref", test_same_as_ref);
  g_test_add_func ("/generate-vulkan/unknown-backend", test_unknown_backend);
  g_test_add_func ("/generate-vulkan/no-device", test_no_device);
  g_test_add_func ("/generate-vulkan/top-logits-cap", test_top_logits_cap);
  status = g_test_run ();
  g_hash_table_unref (outputs);
  return status;
}
