/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli info: agrees with the reference README, and fails with the
 * error message on files Lightbox cannot use.
 */
#include "config.h"

#include <string.h>

#include "lb-test.h"

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in:\n%s", needle, haystack);
}

static void
test_reference_pairs (void)
{
  static const char *const models[] = { "a-f32", "b-q8", "c-q4km" };

  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autofree char *dir = g_strdup_printf ("models/%s", models[i]);
      g_autofree char *text = lb_test_reference_path (dir);
      g_autofree char *text_path = g_build_filename (text, "text.gguf", NULL);
      g_autofree char *vision_path = g_build_filename (text, "mmproj.gguf", NULL);
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (lb_test_run_cli (&out, &err, "info", text_path, vision_path, NULL), ==, 0);
      assert_contains (out, "kind: Gemma 3 text model");
      assert_contains (out, "kind: Gemma 3 vision projector");
      assert_contains (out, "vocabulary: 4096 tokens");
      assert_contains (out, "16 image tokens");
      assert_contains (out, "pair: the vision projector fits the text model");
      g_assert_cmpstr (err, ==, "");
    }
}

static void
test_c_types (void)
{
  g_autofree char *path = lb_test_reference_path ("models/c-q4km/text.gguf");
  g_autofree char *out = NULL;

  g_assert_cmpint (lb_test_run_cli (&out, NULL, "info", path, NULL), ==, 0);
  /* Q4_K_M: Q4_K with some Q6_K, norms in F32 */
  assert_contains (out, "Q4_K ");
  assert_contains (out, "Q6_K ");
  assert_contains (out, "F32 ");
  assert_contains (out, "12 (every 6-th global, others sliding window 12)");
  assert_contains (out, "4 heads, 1 key/value heads, head size 64");
}

static void
test_failures (void)
{
  g_autofree char *vocab = lb_test_reference_path ("vocab/gemma3-vocab.gguf");
  g_autofree char *a_text = lb_test_reference_path ("models/a-f32/text.gguf");
  g_autofree char *b_vision = lb_test_reference_path ("models/b-q8/mmproj.gguf");
  g_autofree char *truncated = g_build_filename (lb_test_tmpdir (), "truncated.gguf", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  char *out = NULL, *err = NULL;

  /* no tensors at all */
  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", vocab, NULL), ==, 1);
  assert_contains (err, "token_embd.weight");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* a pair that is not a pair */
  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", a_text, b_vision, NULL), ==, 1);
  assert_contains (err, "not a pair");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* a download cut short */
  g_assert_true (g_file_get_contents (a_text, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, (gssize) (length / 2), NULL));
  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", truncated, NULL), ==, 1);
  assert_contains (err, "truncated");
  assert_contains (err, "truncated.gguf");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", "/no/such/file.gguf", NULL), ==, 1);
  assert_contains (err, "/no/such/file.gguf");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/info/reference-pairs", test_reference_pairs);
  g_test_add_func ("/cli/info/c-q4km-types", test_c_types);
  g_test_add_func ("/cli/info/failures", test_failures);
  return g_test_run ();
}
