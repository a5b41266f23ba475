/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `lightbox-cli generate` and `make-model`: the parts of the contract that
 * tests/ref/test-ref-reference.c does not cover, on the reference backend
 * (every generate here runs with --backend ref unless it names a backend;
 * the Vulkan backend's are in tests/engine/test-generate-vulkan.c).
 * - --prompt builds the conversation whose --raw-prompt the reference cases
 *   spell out, so both give the reference's prompt tokens and output;
 * - sampling is reproducible from its seed and respects top-k and top-p;
 * - a stop token ends generation as the last step, outside the text;
 * - the plain output is the JSON text;
 * - malformed requests fail with a clear message: an image without an
 *   mmproj, an mmproj of another width, a prompt longer than the context,
 *   an image slot without an image, an unknown backend;
 * - an image of another size than the model's goes through the transform;
 * - make-model writes a pair that generate and info accept, and refuses
 *   bad types and shapes.
 */
#define G_LOG_DOMAIN "lightbox-test"
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "lb-test-generate.h"
#include "lb-test.h"

/* Logs another program's output as one TAP comment line. */
static void
message_one_line (const char *what, const char *text)
{
  g_autofree char *line = g_strdup (text != NULL ? text : "");

  g_strdelimit (g_strchomp (line), "\r\n", ' ');
  g_test_message ("%s: %s", what, line);
}

/* Runs generate on the reference backend unless the arguments name one. */
static void
use_ref_backend (GPtrArray *args)
{
  if (args->len == 0 || strcmp (g_ptr_array_index (args, 0), "generate") != 0)
    return;
  for (guint i = 1; i < args->len; i++)
    if (strcmp (g_ptr_array_index (args, i), "--backend") == 0)
      return;
  g_ptr_array_insert (args, 1, "--backend");
  g_ptr_array_insert (args, 2, "ref");
}

static char *
reference (const char *relative)
{
  return lb_test_reference_path (relative);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* Runs lightbox-cli, expecting success, and parses its JSON output. */
static JsonNode *
run_json (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

static JsonNode *
run_json (const char *first_arg, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  va_list ap;
  int status;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  use_ref_backend (args);
  g_ptr_array_add (args, NULL);
  status = lb_test_run_cli_argv ((const char *const *) args->pdata, &out, &err);
  if (status != 0)
    message_one_line ("stderr", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  return parse_json (out);
}

/* The reference case of that name. */
static JsonObject *
find_case (JsonNode *cases, const char *name)
{
  JsonArray *array = json_node_get_array (cases);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *c = json_array_get_object_element (array, i);
      if (strcmp (json_object_get_string_member (c, "name"), name) == 0)
        return c;
    }
  g_assert_not_reached ();
}

static void
assert_same_ints (JsonArray *a, JsonArray *b)
{
  g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
  for (guint i = 0; i < json_array_get_length (a); i++)
    g_assert_cmpint (json_array_get_int_element (a, i), ==, json_array_get_int_element (b, i));
}

static GArray *
step_tokens (JsonNode *root)
{
  return lb_test_generate_step_tokens (json_node_get_object (root));
}

/* --prompt with --system and --image spells the conversation of the
 * reference's b-image raw prompt, and a-image's and a-text-short's without
 * a system text: same prompt tokens, same greedy tokens as --raw-prompt. */
static void
test_prompt_format (void)
{
  static const struct {
    const char *name;
    const char *model;
    const char *system;
    const char *text;
    const char *image;
  } conversations[] = {
    { "b-image", "b-q8", "You are an expert radiologist.", "Describe this X-ray.", "images/shapes-112.png" },
    { "a-image", "a-f32", NULL, "What do you see?", "images/gradient-112.png" },
    { "a-text-short", "a-f32", NULL, "Describe the chest radiograph.", NULL },
  };
  g_autoptr(JsonNode) cases = lb_test_generate_cases ();

  for (gsize i = 0; i < G_N_ELEMENTS (conversations); i++)
    {
      JsonObject *c = find_case (cases, conversations[i].name);
      g_autofree char *text_rel = g_strdup_printf ("models/%s/text.gguf", conversations[i].model);
      g_autofree char *mmproj_rel = g_strdup_printf ("models/%s/mmproj.gguf", conversations[i].model);
      g_autofree char *text = reference (text_rel);
      g_autofree char *mmproj = reference (mmproj_rel);
      g_autofree char *image = conversations[i].image != NULL ? reference (conversations[i].image) : NULL;
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autoptr(JsonNode) from_prompt = NULL, from_raw = NULL;
      g_autoptr(GArray) prompt_tokens = NULL, raw_tokens = NULL;
      g_autofree char *out = NULL, *err = NULL;

      g_ptr_array_add (args, "generate");
      g_ptr_array_add (args, "--backend");
      g_ptr_array_add (args, "ref");
      g_ptr_array_add (args, "--json");
      g_ptr_array_add (args, "-n");
      g_ptr_array_add (args, "6");
      g_ptr_array_add (args, "--model");
      g_ptr_array_add (args, text);
      if (image != NULL)
        {
          g_ptr_array_add (args, "--mmproj");
          g_ptr_array_add (args, mmproj);
          g_ptr_array_add (args, "--image");
          g_ptr_array_add (args, image);
        }
      if (conversations[i].system != NULL)
        {
          g_ptr_array_add (args, "--system");
          g_ptr_array_add (args, (char *) conversations[i].system);
        }
      g_ptr_array_add (args, "--prompt");
      g_ptr_array_add (args, (char *) conversations[i].text);
      g_ptr_array_add (args, NULL);
      g_assert_cmpint (lb_test_run_cli_argv ((const char *const *) args->pdata, &out, &err), ==, 0);
      from_prompt = parse_json (out);

      /* The same request as a raw prompt. */
      g_ptr_array_set_size (args, args->len - (conversations[i].system != NULL ? 5 : 3));
      g_ptr_array_add (args, "--raw-prompt");
      g_ptr_array_add (args, (char *) json_object_get_string_member (c, "raw_prompt"));
      g_ptr_array_add (args, NULL);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (lb_test_run_cli_argv ((const char *const *) args->pdata, &out, &err), ==, 0);
      from_raw = parse_json (out);

      assert_same_ints (json_object_get_array_member (json_node_get_object (from_prompt), "prompt_tokens"),
                        json_object_get_array_member (json_object_get_object_member (c, "expected"), "prompt_tokens"));
      prompt_tokens = step_tokens (from_prompt);
      raw_tokens = step_tokens (from_raw);
      g_assert_cmpmem (prompt_tokens->data, prompt_tokens->len * 8, raw_tokens->data, raw_tokens->len * 8);
    }
}

static void
test_plain_output (void)
{
  g_autoptr(JsonNode) cases = lb_test_generate_cases ();
  JsonObject *c = find_case (cases, "a-text-long");
  g_autofree char *text = reference ("models/a-f32/text.gguf");
  const char *prompt = json_object_get_string_member (c, "raw_prompt");
  g_autoptr(JsonNode) root = run_json ("generate", "--json", "-n", "12", "--model", text,
                                       "--raw-prompt", prompt, NULL);
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (lb_test_run_cli (&out, NULL, "generate", "--backend", "ref", "-n", "12", "--model", text,
                                    "--raw-prompt", prompt, NULL), ==, 0);
  expected = g_strconcat (json_object_get_string_member (json_node_get_object (root), "text"), "\n", NULL);
  g_assert_cmpstr (out, ==, expected);
}

/* A tiny random model written by make-model into the test's folder. */
static const char *
tiny_model_dir (void)
{
  static char *dir = NULL;

  if (dir == NULL)
    {
      g_autofree char *out = NULL, *err = NULL;
      dir = g_build_filename (lb_test_tmpdir (), "tiny", NULL);
      g_assert_cmpint (lb_test_run_cli (&out, &err, "make-model", dir, "--preset", "tiny",
                                        "--shape", "vocab=300,layers=3", "--seed", "4", NULL), ==, 0);
      g_assert_nonnull (strstr (out, "text.gguf"));
      g_assert_nonnull (strstr (out, "mmproj.gguf"));
    }
  return dir;
}

static void
test_sampling (void)
{
  g_autofree char *text = g_build_filename (tiny_model_dir (), "text.gguf", NULL);
  g_autoptr(JsonNode) a = run_json ("generate", "--json", "-n", "16", "--model", text, "--prompt", "Hello",
                                    "--temp", "1.5", "--top-k", "20", "--top-logits", "20", "--seed", "3", NULL);
  g_autoptr(JsonNode) b = run_json ("generate", "--json", "-n", "16", "--model", text, "--prompt", "Hello",
                                    "--temp", "1.5", "--top-k", "20", "--top-logits", "20", "--seed", "3", NULL);
  g_autoptr(JsonNode) c = run_json ("generate", "--json", "-n", "16", "--model", text, "--prompt", "Hello",
                                    "--temp", "1.5", "--top-k", "20", "--top-logits", "20", "--seed", "4", NULL);
  g_autoptr(JsonNode) greedy = run_json ("generate", "--json", "-n", "16", "--model", text, "--prompt", "Hello", NULL);
  g_autoptr(JsonNode) narrow = run_json ("generate", "--json", "-n", "16", "--model", text, "--prompt", "Hello",
                                         "--temp", "1", "--top-p", "0.001", "--seed", "9", NULL);
  g_autoptr(GArray) ta = step_tokens (a), tb = step_tokens (b), tc = step_tokens (c);
  g_autoptr(GArray) tg = step_tokens (greedy), tn = step_tokens (narrow);
  JsonArray *steps = json_object_get_array_member (json_node_get_object (a), "steps");

  /* The same seed, the same tokens; another seed, others. */
  g_assert_cmpmem (ta->data, ta->len * 8, tb->data, tb->len * 8);
  g_assert_true (ta->len != tc->len || memcmp (ta->data, tc->data, ta->len * 8) != 0);
  /* Every sampled token is among the 20 largest logits of its step. */
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);
      JsonArray *top = json_object_get_array_member (step, "top");
      gboolean found = FALSE;
      g_assert_cmpuint (json_array_get_length (top), ==, 20);
      for (guint k = 0; k < 20; k++)
        found |= json_array_get_int_element (json_array_get_array_element (top, k), 0) ==
                 json_object_get_int_member (step, "token");
      g_assert_true (found);
    }
  /* A top-p so small that only the most likely token is left is greedy. */
  g_assert_cmpmem (tn->data, tn->len * 8, tg->data, tg->len * 8);
}

/* Sampling at a high temperature from a 300-token vocabulary reaches
 * <end_of_turn> or <eos> within a few hundred steps for some seed. */
static void
test_stop_token (void)
{
  g_autofree char *text = g_build_filename (tiny_model_dir (), "text.gguf", NULL);
  gboolean stopped = FALSE;

  for (int seed = 1; seed <= 20 && !stopped; seed++)
    {
      g_autofree char *seed_text = g_strdup_printf ("%d", seed);
      g_autoptr(JsonNode) root = run_json ("generate", "--json", "-n", "300", "--model", text,
                                           "--prompt", "Hi", "--temp", "20", "--seed", seed_text, NULL);
      JsonObject *object = json_node_get_object (root);
      JsonArray *steps = json_object_get_array_member (object, "steps");
      guint n = json_array_get_length (steps);
      JsonObject *last = json_array_get_object_element (steps, n - 1);
      const char *piece = json_object_get_string_member (last, "piece");
      g_autoptr(GString) joined = g_string_new (NULL);

      if (strcmp (piece, "<end_of_turn>") != 0 && strcmp (piece, "<eos>") != 0)
        {
          g_assert_cmpuint (n, ==, 300);
          continue;
        }
      stopped = TRUE;
      g_test_message ("seed %d stopped at step %u with %s", seed, n, piece);
      /* The stop token is the last step and not in the text. Pieces of
       * lone bytes may differ from the text's, so compare valid ones. */
      for (guint i = 0; i + 1 < n; i++)
        g_string_append (joined, json_object_get_string_member (json_array_get_object_element (steps, i), "piece"));
      if (g_utf8_validate (joined->str, -1, NULL) && strstr (joined->str, "\xef\xbf\xbd") == NULL)
        g_assert_cmpstr (json_object_get_string_member (object, "text"), ==, joined->str);
      g_assert_null (strstr (json_object_get_string_member (object, "text"), piece));
    }
  g_assert_true (stopped);
}

static void
assert_fails (int expected_status, const char *message_part, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

static void
assert_fails (int expected_status, const char *message_part, const char *first_arg, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  use_ref_backend (args);
  g_ptr_array_add (args, NULL);
  g_assert_cmpint (lb_test_run_cli_argv ((const char *const *) args->pdata, &out, &err), ==, expected_status);
  message_one_line ("stderr", err);
  g_assert_nonnull (strstr (err, message_part));
  g_assert_cmpstr (out, ==, "");
}

static void
test_malformed (void)
{
  g_autofree char *a_text = reference ("models/a-f32/text.gguf");
  g_autofree char *a_mmproj = reference ("models/a-f32/mmproj.gguf");
  g_autofree char *b_mmproj = reference ("models/b-q8/mmproj.gguf");
  g_autofree char *image = reference ("images/gradient-112.png");
  g_autofree char *short_dir = g_build_filename (lb_test_tmpdir (), "short", NULL);
  g_autofree char *short_text = g_build_filename (short_dir, "text.gguf", NULL);
  g_autofree char *long_prompt = NULL, *made = NULL;
  g_autoptr(GString) words = g_string_new (NULL);

  assert_fails (2, "--mmproj", "generate", "--model", a_text, "--image", image, "--prompt", "Hi", NULL);
  assert_fails (2, "--prompt", "generate", "--model", a_text, NULL);
  assert_fails (2, "--prompt", "generate", "--model", a_text, "--prompt", "a", "--raw-prompt", "b", NULL);
  assert_fails (2, "backend", "generate", "--model", a_text, "--prompt", "a", "--backend", "cuda", NULL);
  /* b-q8's projector makes 256-wide embeddings; a-f32 reads 128. */
  assert_fails (1, "mmproj.gguf", "generate", "--model", a_text, "--mmproj", b_mmproj, "--image", image,
                "--prompt", "Hi", NULL);
  assert_fails (1, "<start_of_image>", "generate", "--model", a_text, "--mmproj", a_mmproj,
                "--raw-prompt", "<start_of_image>What is it?", NULL);
  assert_fails (1, "<start_of_image>", "generate", "--model", a_text, "--mmproj", a_mmproj, "--image", image,
                "--raw-prompt", "No slot here", NULL);
  assert_fails (1, "no-such-file.png", "generate", "--model", a_text, "--mmproj", a_mmproj,
                "--image", "no-such-file.png", "--prompt", "Hi", NULL);

  /* A context of 32 positions and a prompt of more. */
  g_assert_cmpint (lb_test_run_cli (&made, NULL, "make-model", short_dir, "--shape", "ctx=32,layers=1",
                                    NULL), ==, 0);
  for (int i = 0; i < 40; i++)
    g_string_append (words, "word ");
  long_prompt = g_string_free (g_steal_pointer (&words), FALSE);
  assert_fails (1, "context", "generate", "--model", short_text, "--raw-prompt", long_prompt, NULL);
}

/* shapes-112.png into c-q4km's 224-pixel projector: resized by the
 * model-input transform, 16 image positions as always. */
static void
test_resized_image (void)
{
  g_autofree char *text = reference ("models/c-q4km/text.gguf");
  g_autofree char *mmproj = reference ("models/c-q4km/mmproj.gguf");
  g_autofree char *image = reference ("images/shapes-112.png");
  g_autoptr(JsonNode) root = run_json ("generate", "--json", "-n", "2", "--model", text, "--mmproj", mmproj,
                                       "--image", image, "--prompt", "Is there a lesion?", NULL);
  JsonArray *prompt = json_object_get_array_member (json_node_get_object (root), "prompt_tokens");
  guint n_image = 0;

  for (guint i = 0; i < json_array_get_length (prompt); i++)
    n_image += json_array_get_int_element (prompt, i) == -1;
  g_assert_cmpuint (n_image, ==, 16);
}

static void
test_make_model (void)
{
  g_autofree char *dir = g_build_filename (lb_test_tmpdir (), "made", NULL);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_autofree char *image = reference ("images/gradient-112.png");
  g_autofree char *vocab = reference ("vocab/gemma3-vocab.gguf");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonNode) root = NULL;

  /* A copied vocabulary: the real Gemma 3 tokenizer (262144 pieces). */
  g_assert_cmpint (lb_test_run_cli (&out, &err, "make-model", dir, "--type", "q8_0", "--vocab", vocab,
                                    "--shape", "layers=2,embd=64,heads=2,kv-heads=1,ff=64", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (lb_test_run_cli (&out, &err, "info", text, mmproj, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Lightbox random test model"));

  /* The real vocabulary has <start_of_image>: one token, then the image. */
  root = run_json ("generate", "--json", "-n", "3", "--model", text, "--mmproj", mmproj, "--image", image,
                   "--prompt", "What do you see?", NULL);
  {
    JsonArray *prompt = json_object_get_array_member (json_node_get_object (root), "prompt_tokens");
    gboolean found = FALSE;
    for (guint i = 0; i + 1 < json_array_get_length (prompt); i++)
      found |= json_array_get_int_element (prompt, i) == 255999 && json_array_get_int_element (prompt, i + 1) == -1;
    g_assert_true (found);
  }

  assert_fails (2, "q9_k", "make-model", dir, "--type", "q9_k", NULL);
  assert_fails (2, "heads", "make-model", dir, "--shape", "heads=3,kv-heads=2", NULL);
  assert_fails (2, "colour", "make-model", dir, "--shape", "colour=blue", NULL);
  assert_fails (2, "preset", "make-model", dir, "--preset", "huge", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/generate/prompt-format", test_prompt_format);
  g_test_add_func ("/generate/plain-output", test_plain_output);
  g_test_add_func ("/generate/sampling", test_sampling);
  g_test_add_func ("/generate/stop-token", test_stop_token);
  g_test_add_func ("/generate/malformed", test_malformed);
  g_test_add_func ("/generate/resized-image", test_resized_image);
  g_test_add_func ("/generate/make-model", test_make_model);
  return g_test_run ();
}
