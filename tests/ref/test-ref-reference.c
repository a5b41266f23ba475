/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The external truth: for every case of tests/reference/generate-cases.json
 * (llama.cpp's greedy outputs on three small GGUF models written by
 * gguf-py, text and image prompts), `lightbox-cli generate --backend ref
 * --json` must give the same prompt tokens, the same greedy tokens, and the
 * reference's top-5 logits within a tolerance atol + rtol·|logit|:
 *
 * - float models (all matrices F32): 0.02 + 0.002|x|. Two correct float32
 *   implementations differ by summation order and by the reference's F16
 *   KV cache, which alone moves its logits by up to 0.0024 on a-f32
 *   (tests/reference/README.md).
 * - quantized models (any matrix in another type, BF16 and F16 included):
 *   0.3 + 0.03|x|. The reference rounds activations to 8 bits (or F16/BF16)
 *   inside its quantized dot products; its KV cache alone moves the logits
 *   by up to 0.18 on b-q8 and c-q4km.
 *
 * A different token is accepted only at a step where the reference's top-2
 * margin is below twice the tolerance (a near tie); after it the sequences
 * may part and the rest of the case is not compared. Pieces and text must
 * match wherever the tokens do. The running and the comparison are shared
 * with the Vulkan backend's test (tests/support/lb-test-generate.h).
 */
#define G_LOG_DOMAIN "lightbox-test"
#include "config.h"

#include <json-glib/json-glib.h>

#include "lb-test-generate.h"
#include "lb-test.h"

/* Logits asked of lightbox-cli per step: enough that every one of the
 * reference's top 5 must be among them unless it is far off. */
#define TOP_LOGITS 40

static JsonArray *cases;

static void
test_case (gconstpointer data)
{
  JsonObject *c = json_array_get_object_element (cases, GPOINTER_TO_UINT (data));
  g_autoptr(JsonNode) root = NULL;
  int status;

  root = lb_test_generate_run_case (c, "ref", TOP_LOGITS, &status, NULL);
  g_assert_cmpint (status, ==, 0);
  lb_test_generate_check_case (c, json_node_get_object (root), TOP_LOGITS);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonNode) root = NULL;

  g_test_init (&argc, &argv, NULL);

  root = lb_test_generate_cases ();
  cases = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (cases), >=, 7);

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      g_autofree char *test_path = g_strdup_printf ("/ref/reference/%s",
                                                    json_object_get_string_member (c, "name"));
      g_test_add_data_func (test_path, GUINT_TO_POINTER (i), test_case);
    }
  return g_test_run ();
}
