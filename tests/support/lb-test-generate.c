/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-test-generate.h"
#include "lb-test.h"
#include "model/gguf.h"

/* Fails the test with a formatted message (and the values that matter). */
#define FAIL(...) G_STMT_START { \
    g_autofree char *fail_message_ = g_strdup_printf (__VA_ARGS__); \
    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, fail_message_); \
  } G_STMT_END

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

JsonNode *
lb_test_generate_cases (void)
{
  g_autofree char *path = lb_test_reference_path ("generate-cases.json");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return parse_json (contents);
}

/* Whether any tensor of more than one dimension is stored in a type other
 * than F32 (the reference then quantizes activations). */
static gboolean
file_is_quantized (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = lb_gguf_open (path, &error);

  g_assert_no_error (error);
  for (guint64 i = 0; i < lb_gguf_n_tensors (gguf); i++)
    {
      const LbGgufTensor *t = lb_gguf_tensor (gguf, i);
      if (t->n_dims > 1 && t->type != LB_TENSOR_F32)
        return TRUE;
    }
  return FALSE;
}

static char *
model_path (JsonObject *c, const char *file)
{
  g_autofree char *rel = g_strdup_printf ("models/%s/%s", json_object_get_string_member (c, "model"), file);

  return lb_test_reference_path (rel);
}

JsonNode *
lb_test_generate_run_case (JsonObject *c, const char *backend, guint top_logits, int *out_status,
                           char **out_stderr)
{
  const char *image = json_object_get_string_member_with_default (c, "image", NULL);
  g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (c, "n"));
  g_autofree char *top = g_strdup_printf ("%u", top_logits);
  g_autofree char *text_path = model_path (c, "text.gguf");
  g_autofree char *mmproj_path = model_path (c, "mmproj.gguf");
  g_autofree char *image_rel = image != NULL ? g_strdup_printf ("images/%s", image) : NULL;
  g_autofree char *image_path = image != NULL ? lb_test_reference_path (image_rel) : NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int status;

  g_ptr_array_add (args, "generate");
  if (backend != NULL)
    {
      g_ptr_array_add (args, "--backend");
      g_ptr_array_add (args, (char *) backend);
    }
  g_ptr_array_add (args, "--json");
  g_ptr_array_add (args, "--top-logits");
  g_ptr_array_add (args, top);
  g_ptr_array_add (args, "-n");
  g_ptr_array_add (args, n);
  g_ptr_array_add (args, "--model");
  g_ptr_array_add (args, text_path);
  if (image != NULL)
    {
      g_ptr_array_add (args, "--mmproj");
      g_ptr_array_add (args, mmproj_path);
      g_ptr_array_add (args, "--image");
      g_ptr_array_add (args, image_path);
    }
  g_ptr_array_add (args, "--raw-prompt");
  g_ptr_array_add (args, (char *) json_object_get_string_member (c, "raw_prompt"));
  g_ptr_array_add (args, NULL);

  status = lb_test_run_cli_argv ((const char *const *) args->pdata, &out, &err);
  if (out_status != NULL)
    *out_status = status;
  if (status != 0)
    {
      g_autofree char *line = g_strdup (err);
      g_strdelimit (g_strchomp (line), "\r\n", ' ');
      g_test_message ("stderr: %s", line);
    }
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  if (status != 0)
    return NULL;
  g_assert_true (g_utf8_validate (out, -1, NULL));
  return parse_json (out);
}

void
lb_test_generate_check_case (JsonObject *c, JsonObject *got, guint top_logits)
{
  const char *image = json_object_get_string_member_with_default (c, "image", NULL);
  JsonObject *expected = json_object_get_object_member (c, "expected");
  JsonArray *expected_prompt = json_object_get_array_member (expected, "prompt_tokens");
  JsonArray *expected_steps = json_object_get_array_member (expected, "steps");
  JsonArray *margins = json_object_get_array_member (c, "top2_margins");
  JsonArray *got_prompt = json_object_get_array_member (got, "prompt_tokens");
  JsonArray *got_steps = json_object_get_array_member (got, "steps");
  g_autofree char *text_path = model_path (c, "text.gguf");
  g_autofree char *mmproj_path = model_path (c, "mmproj.gguf");
  gboolean quantized, parted = FALSE;
  double atol, rtol;
  guint n_steps, compared = 0;

  quantized = file_is_quantized (text_path) || (image != NULL && file_is_quantized (mmproj_path));
  atol = quantized ? 0.3 : 0.02;
  rtol = quantized ? 0.03 : 0.002;

  /* The prompt, exactly. */
  g_assert_cmpuint (json_array_get_length (got_prompt), ==, json_array_get_length (expected_prompt));
  for (guint i = 0; i < json_array_get_length (expected_prompt); i++)
    g_assert_cmpint (json_array_get_int_element (got_prompt, i), ==,
                     json_array_get_int_element (expected_prompt, i));

  /* No stop token in these cases: every step is there. */
  n_steps = json_array_get_length (expected_steps);
  g_assert_cmpuint (json_array_get_length (got_steps), ==, n_steps);

  for (guint i = 0; i < n_steps && !parted; i++)
    {
      JsonObject *e = json_array_get_object_element (expected_steps, i);
      JsonObject *g = json_array_get_object_element (got_steps, i);
      JsonArray *e_top = json_object_get_array_member (e, "top");
      JsonArray *g_top = json_object_get_array_member (g, "top");
      gint64 e_token = json_object_get_int_member (e, "token");
      gint64 g_token = json_object_get_int_member (g, "token");

      g_assert_cmpuint (json_array_get_length (g_top), ==, top_logits);
      for (guint k = 0; k < json_array_get_length (e_top); k++)
        {
          JsonArray *pair = json_array_get_array_element (e_top, k);
          gint64 id = json_array_get_int_element (pair, 0);
          double want = json_array_get_double_element (pair, 1);
          gboolean found = FALSE;

          for (guint j = 0; j < json_array_get_length (g_top) && !found; j++)
            {
              JsonArray *mine = json_array_get_array_element (g_top, j);
              if (json_array_get_int_element (mine, 0) == id)
                {
                  double have = json_array_get_double_element (mine, 1);
                  if (fabs (have - want) > atol + rtol * fabs (want))
                    FAIL ("step %u: logit of token %" G_GINT64_FORMAT " is %.6f, the reference "
                             "says %.6f (tolerance %.4f)", i, id, have, want, atol + rtol * fabs (want));
                  found = TRUE;
                }
            }
          if (!found)
            FAIL ("step %u: token %" G_GINT64_FORMAT " (reference top %u, logit %.6f) is not "
                     "among our top %u", i, id, k + 1, want, top_logits);
        }

      if (g_token != e_token)
        {
          double top1 = json_array_get_double_element (json_array_get_array_element (e_top, 0), 1);
          double margin = json_array_get_double_element (margins, i);
          double tolerance = atol + rtol * fabs (top1);
          if (margin >= 2 * tolerance)
            FAIL ("step %u: token %" G_GINT64_FORMAT ", the reference chose %" G_GINT64_FORMAT
                     " with a top-2 margin of %.4f (at least twice the tolerance %.4f)",
                     i, g_token, e_token, margin, tolerance);
          g_test_message ("step %u: token %" G_GINT64_FORMAT " vs the reference's %" G_GINT64_FORMAT
                          " at a near tie (margin %.4f < 2 x %.4f); not compared further",
                          i, g_token, e_token, margin, tolerance);
          parted = TRUE;
          break;
        }
      g_assert_cmpstr (json_object_get_string_member (g, "piece"), ==,
                       json_object_get_string_member (e, "piece"));
      compared++;
    }

  if (!parted)
    {
      const char *e_text = json_object_get_string_member_with_default (expected, "text", NULL);
      const char *g_text = json_object_get_string_member (got, "text");
      /* A null expected text means invalid UTF-8: ours has U+FFFD there. */
      if (e_text != NULL)
        g_assert_cmpstr (g_text, ==, e_text);
      else
        g_assert_nonnull (strstr (g_text, "\xef\xbf\xbd"));
    }
  g_test_message ("%s: %u of %u steps compared (%s tolerance %.3g + %.3g|x|)",
                  json_object_get_string_member (c, "name"), compared, n_steps,
                  quantized ? "quantized" : "float", atol, rtol);
}

GArray *
lb_test_generate_step_tokens (JsonObject *got)
{
  JsonArray *steps = json_object_get_array_member (got, "steps");
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      gint64 token = json_object_get_int_member (json_array_get_object_element (steps, i), "token");
      g_array_append_val (tokens, token);
    }
  return tokens;
}
