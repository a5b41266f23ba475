/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine against the reference implementation's outputs
 * (tests/reference/generate-cases.json, README there): every case, greedy,
 * with the top logits of every step, through the public API
 * (lb_session_ask with raw prompt tokens), on the Vulkan backend and on
 * the plain-C reference backend.
 *
 * Tolerances (tests/reference/README.md): two correct implementations
 * differ by rounding, more so on quantized weights, where the reference
 * quantizes activations to 8 bits in its dot products and keeps K/V in
 * F16. Logits must agree within 0.02 + 0.002|x| on float models and
 * 0.3 + 0.03|x| on quantized ones; a different token is accepted only at
 * a step whose top-2 margin is below twice that, and the case ends there.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "engine-test.h"
#include "lb-test.h"

/* Logits compared per step: the reference gives 5; we ask for more so
 * that near-ties at rank 5 still find their partner. */
#define N_TOP 8

typedef struct {
  LbEngineBackend backend;
  char *name;
} Case;

static JsonArray *
load_cases (JsonParser **out_parser)
{
  g_autofree char *path = lb_test_reference_path ("generate-cases.json");
  g_autoptr(GError) error = NULL;
  JsonParser *parser = json_parser_new ();

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  *out_parser = parser;
  return json_node_get_array (json_parser_get_root (parser));
}

/* One engine per backend and model, shared by its cases (each case has
 * its own session): loading is most of a case's time on lavapipe. */
static GHashTable *engines;

static LbEngine *
engine_for (LbEngineBackend backend, const char *model, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", lb_engine_backend_name (backend), model);
  LbEngine *engine = g_hash_table_lookup (engines, key);

  if (engine != NULL)
    return engine;
  engine = engine_test_new (backend, 0);
  if (!engine_test_load_reference (engine, model, TRUE, error))
    {
      g_object_unref (engine);
      return NULL;
    }
  g_hash_table_insert (engines, g_steal_pointer (&key), engine);
  return engine;
}

static gboolean
model_is_float (const char *model)
{
  return g_str_equal (model, "a-f32");
}

static void
test_case (gconstpointer data)
{
  const Case *tc = data;
  g_autoptr(JsonParser) parser = NULL;
  JsonArray *cases = load_cases (&parser);
  JsonObject *c = NULL;
  LbEngine *engine;
  g_autoptr(LbSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(LbModelInput) image = NULL;
  JsonObject *expected;
  JsonArray *expected_prompt, *steps, *margins;
  const char *model, *image_name = NULL;
  LbAskRequest request;
  LbAskStats stats;
  EngineTestStream stream;
  double atol, rtol;
  guint n;

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *o = json_array_get_object_element (cases, i);
      if (g_str_equal (json_object_get_string_member (o, "name"), tc->name))
        c = o;
    }
  g_assert_nonnull (c);
  model = json_object_get_string_member (c, "model");
  if (!json_object_get_null_member (c, "image"))
    image_name = json_object_get_string_member (c, "image");
  n = (guint) json_object_get_int_member (c, "n");
  expected = json_object_get_object_member (c, "expected");
  expected_prompt = json_object_get_array_member (expected, "prompt_tokens");
  steps = json_object_get_array_member (expected, "steps");
  margins = json_object_get_array_member (c, "top2_margins");
  atol = model_is_float (model) ? 0.02 : 0.3;
  rtol = model_is_float (model) ? 0.002 : 0.03;

  engine = engine_for (tc->backend, model, &error);
  if (engine == NULL && g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_DEVICE))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);

  /* The prompt: the same tokens as the reference's. */
  prompt = engine_test_raw_prompt (engine, json_object_get_string_member (c, "raw_prompt"));
  g_assert_cmpuint (prompt->len, ==, json_array_get_length (expected_prompt));
  for (guint i = 0; i < prompt->len; i++)
    g_assert_cmpint (g_array_index (prompt, gint32, i), ==,
                     json_array_get_int_element (expected_prompt, i));
  if (image_name != NULL)
    image = engine_test_image (engine, image_name);

  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = image;
  request.max_tokens = n;
  request.stop_at_end_of_turn = FALSE;   /* the reference decoded n steps regardless */
  request.n_top_logits = N_TOP;
  engine_test_stream_init (&stream);
  lb_session_ask_sync (session, &request, engine_test_stream_cb, &stream, NULL, &stats, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stream.ids->len, ==, n);
  g_assert_cmpuint (stats.n_generated, ==, n);
  g_assert_cmpuint (stats.n_prompt_positions, ==, prompt->len);
  g_assert_cmpuint (stream.n_top, ==, N_TOP);

  for (guint step = 0; step < n; step++)
    {
      JsonObject *s = json_array_get_object_element (steps, step);
      JsonArray *top = json_object_get_array_member (s, "top");
      gint32 want = (gint32) json_object_get_int_member (s, "token");
      gint32 got = g_array_index (stream.ids, gint32, step);
      const LbTokenLogit *got_top = &g_array_index (stream.top, LbTokenLogit, step * N_TOP);
      double margin = json_array_get_double_element (margins, step);
      double top1 = json_array_get_double_element (json_array_get_array_element (top, 0), 1);
      double tolerance = atol + rtol * fabs (top1);

      for (guint r = 0; r < json_array_get_length (top); r++)
        {
          JsonArray *pair = json_array_get_array_element (top, r);
          gint32 id = (gint32) json_array_get_int_element (pair, 0);
          double logit = json_array_get_double_element (pair, 1);
          double tol = atol + rtol * fabs (logit);
          gboolean found = FALSE;

          for (guint k = 0; k < N_TOP && !found; k++)
            if (got_top[k].id == id)
              {
                found = TRUE;
                if (fabs (got_top[k].logit - logit) > tol)
                  g_error ("%s step %u: logit of token %d is %.5f, the reference says %.5f "
                           "(tolerance %.4f)", tc->name, step, id, got_top[k].logit, logit, tol);
              }
          /* Absent from our top 8: only possible if it is a near-tie there. */
          if (!found && logit - got_top[N_TOP - 1].logit > tol)
            g_error ("%s step %u: token %d (logit %.5f) is missing from the top %u", tc->name,
                     step, id, logit, N_TOP);
        }

      if (got != want)
        {
          if (margin < 2 * tolerance)
            {
              g_test_message ("%s: sequences part at step %u (%d vs %d, margin %.4f < %.4f)",
                              tc->name, step, got, want, margin, 2 * tolerance);
              break;
            }
          g_error ("%s step %u: token %d, the reference says %d (margin %.4f)", tc->name, step,
                   got, want, margin);
        }
    }
  engine_test_stream_clear (&stream);
}

static void
case_free (gpointer data)
{
  Case *c = data;
  g_free (c->name);
  g_free (c);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (case_free);
  JsonArray *cases;
  int status;
  static const LbEngineBackend backends[] = { LB_ENGINE_BACKEND_VULKAN, LB_ENGINE_BACKEND_REF };

  g_test_init (&argc, &argv, NULL);
  engines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  cases = load_cases (&parser);
  for (gsize b = 0; b < G_N_ELEMENTS (backends); b++)
    for (guint i = 0; i < json_array_get_length (cases); i++)
      {
        JsonObject *o = json_array_get_object_element (cases, i);
        const char *name = json_object_get_string_member (o, "name");
        Case *c = g_new0 (Case, 1);
        g_autofree char *path = NULL;

        /* The reference backend's own agreement is issue 4's test; here
         * it checks the engine's plumbing on the float model only. */
        if (backends[b] == LB_ENGINE_BACKEND_REF &&
            !g_str_equal (json_object_get_string_member (o, "model"), "a-f32"))
          {
            g_free (c);
            continue;
          }
        c->backend = backends[b];
        c->name = g_strdup (name);
        g_ptr_array_add (keep, c);
        path = g_strdup_printf ("/engine/%s/reference/%s", lb_engine_backend_name (backends[b]), name);
        g_test_add_data_func (path, c, test_case);
      }
  status = g_test_run ();
  g_hash_table_unref (engines);
  return status;
}
