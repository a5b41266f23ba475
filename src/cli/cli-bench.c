/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli bench --model F [--mmproj F --image F] [-p 512] [-n 128]
 *   [--reps R] [--backend vulkan|ref] [--json]
 *
 * The engine end to end, as the app uses it: load (with the self-test),
 * encode one image, prefill a prompt of p tokens (plus the image's
 * positions), decode n tokens. Each figure is the median of R runs, each
 * run on a fresh engine (so the image is encoded, not taken from the
 * cache). A short ask before each measured one wakes the GPU's clocks.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "imaging/image.h"
#include "imaging/model-input.h"

static char *opt_model;
static char *opt_mmproj;
static char *opt_image;
static char *opt_backend;
static int opt_prompt_tokens = 512;
static int opt_generate = 128;
static int opt_reps = 3;
static gboolean opt_json;
static char *device_name;

static const GOptionEntry entries[] = {
  { "model", 0, 0, G_OPTION_ARG_FILENAME, &opt_model, "The text model (GGUF)", "TEXT.gguf" },
  { "mmproj", 0, 0, G_OPTION_ARG_FILENAME, &opt_mmproj, "The vision projector (GGUF)", "MMPROJ.gguf" },
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &opt_image, "An image to encode (needs --mmproj)", "FILE" },
  { "prompt-tokens", 'p', 0, G_OPTION_ARG_INT, &opt_prompt_tokens, "Prompt tokens to prefill (default 512)", "P" },
  { "n-predict", 'n', 0, G_OPTION_ARG_INT, &opt_generate, "Tokens to decode (default 128)", "N" },
  { "reps", 0, 0, G_OPTION_ARG_INT, &opt_reps, "Runs; each figure is their median (default 3)", "R" },
  { "backend", 0, 0, G_OPTION_ARG_STRING, &opt_backend, "vulkan (default) or ref", "NAME" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL },
  { NULL },
};

typedef struct {
  double load_s;
  double image_encode_ms;
  double prefill_tokens_per_s;
  double decode_tokens_per_s;
  double time_to_first_token_ms;
  guint64 peak_device_bytes;
  guint prompt_positions;
  guint generated;
} Run;

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (GArray *runs, gsize offset)
{
  g_autofree double *values = g_new (double, runs->len);

  for (guint i = 0; i < runs->len; i++)
    values[i] = *(const double *) (gconstpointer) ((const guint8 *) runs->data + i * sizeof (Run) + offset);
  qsort (values, runs->len, sizeof (double), compare_doubles);
  return runs->len % 2 ? values[runs->len / 2] : (values[runs->len / 2 - 1] + values[runs->len / 2]) / 2;
}

/* A prompt of p ordinary tokens after <bos> (and the image's positions):
 * fixed pseudo-random ids, the same in every run. */
static GArray *
make_prompt (guint n_vocab, guint bos, guint n_image_tokens, guint p)
{
  GArray *prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  GRand *rand = g_rand_new_with_seed (42);
  gint32 id = (gint32) bos;

  g_array_append_val (prompt, id);
  for (guint i = 0; i < n_image_tokens; i++)
    {
      id = LB_IMAGE_POSITION;
      g_array_append_val (prompt, id);
    }
  for (guint i = 0; i < p; i++)
    {
      id = (gint32) g_rand_int_range (rand, MIN (300, (gint32) n_vocab - 1), (gint32) n_vocab);
      g_array_append_val (prompt, id);
    }
  g_rand_free (rand);
  return prompt;
}

static gboolean
run_once (LbEngineBackend backend, const LbImage *image, LbEngineModelInfo *info_out, Run *run,
          GError **error)
{
  g_autoptr(LbEngine) engine = NULL;
  g_autoptr(LbSession) warm = NULL, session = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(GArray) prompt = NULL, warm_prompt = NULL;
  const LbEngineModelInfo *info;
  const LbTokenizer *tokenizer;
  LbEngineOptions options;
  LbAskRequest request;
  LbAskStats stats;
  gint64 t0;
  gint32 bos;
  guint n_image_tokens = 0;

  lb_engine_options_init (&options);
  options.backend = backend;
  options.context_length = (guint) opt_prompt_tokens + (guint) opt_generate + 1024;
  engine = lb_engine_new (&options, error);
  if (engine == NULL)
    return FALSE;
  t0 = g_get_monotonic_time ();
  if (!lb_engine_load_sync (engine, opt_model, opt_mmproj, NULL, NULL, NULL, error))
    return FALSE;
  run->load_s = (g_get_monotonic_time () - t0) / 1e6;
  info = lb_engine_get_model_info (engine);
  *info_out = *info;
  /* The strings belong to the engine: keep the device name. */
  g_free (device_name);
  device_name = g_strdup (info->device_name);
  info_out->device_name = device_name;
  info_out->model_path = info_out->mmproj_path = NULL;
  tokenizer = lb_engine_get_tokenizer (engine);
  bos = lb_tokenizer_special (tokenizer, LB_SPECIAL_BOS);
  if (bos < 0)
    bos = 2;

  if (image != NULL)
    {
      LbModelInputParams params;
      lb_model_input_params_init (&params, image);
      input = lb_model_input_build (image, &params, lb_engine_get_image_size (engine), error);
      if (input == NULL)
        return FALSE;
      n_image_tokens = lb_engine_get_image_tokens (engine);
    }

  /* Wake the clocks: a short text ask. */
  warm_prompt = make_prompt (info->text.n_vocab, (guint) bos, 0, 16);
  warm = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) warm_prompt->data;
  request.n_prompt_tokens = warm_prompt->len;
  request.max_tokens = 8;
  request.stop_at_end_of_turn = FALSE;
  if (!lb_session_ask_sync (warm, &request, NULL, NULL, NULL, NULL, error))
    return FALSE;

  prompt = make_prompt (info->text.n_vocab, (guint) bos, n_image_tokens, (guint) opt_prompt_tokens);
  session = lb_engine_new_session (engine);
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gpointer) prompt->data;
  request.n_prompt_tokens = prompt->len;
  request.image = input;
  request.max_tokens = (guint) opt_generate;
  request.stop_at_end_of_turn = FALSE;
  if (!lb_session_ask_sync (session, &request, NULL, NULL, NULL, &stats, error))
    return FALSE;

  run->image_encode_ms = stats.image_encode_ms;
  run->prefill_tokens_per_s = stats.prefill_tokens_per_second;
  run->decode_tokens_per_s = stats.decode_tokens_per_second;
  run->time_to_first_token_ms = stats.time_to_first_token_ms;
  run->prompt_positions = stats.n_prompt_positions;
  run->generated = stats.n_generated;
  run->peak_device_bytes = lb_engine_get_peak_device_bytes (engine);
  lb_engine_close (engine);
  return TRUE;
}

int
lb_cli_bench (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = NULL;
  g_autoptr(GArray) runs = g_array_new (FALSE, TRUE, sizeof (Run));
  LbEngineBackend backend = LB_ENGINE_BACKEND_VULKAN;
  LbEngineModelInfo info = { 0 };
  Run median_run = { 0 };
  guint64 peak = 0;
  int status;

  if (!lb_cli_parse ("bench", NULL,
                     "Time the engine end to end: load, image encoding, prefill, decode "
                     "(medians of several runs).",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lb_cli_usage_error ("bench", "unexpected argument '%s'", argv[1]);
  if (opt_model == NULL)
    return lb_cli_usage_error ("bench", "--model is required");
  if (opt_image != NULL && opt_mmproj == NULL)
    return lb_cli_usage_error ("bench", "--image needs --mmproj");
  if (opt_prompt_tokens < 1 || opt_generate < 2 || opt_reps < 1)
    return lb_cli_usage_error ("bench", "expected -p >= 1, -n >= 2 and --reps >= 1");
  if (opt_backend != NULL && (!lb_engine_backend_from_name (opt_backend, &backend) ||
                              backend == LB_ENGINE_BACKEND_AUTO))
    return lb_cli_usage_error ("bench", "unknown backend '%s' (expected vulkan or ref)", opt_backend);

  if (opt_image != NULL)
    {
      image = lb_image_load (opt_image, 0, &error);
      if (image == NULL)
        return lb_cli_fail (g_steal_pointer (&error));
    }

  for (int r = 0; r < opt_reps; r++)
    {
      Run run = { 0 };
      if (!run_once (backend, image, &info, &run, &error))
        return lb_cli_fail (g_steal_pointer (&error));
      g_array_append_val (runs, run);
      peak = MAX (peak, run.peak_device_bytes);
      if (!opt_json)
        fprintf (stderr, "run %d: load %.2f s, image %.1f ms, prefill %.1f tok/s, decode %.1f tok/s, "
                 "first token %.1f ms\n", r + 1, run.load_s, run.image_encode_ms, run.prefill_tokens_per_s,
                 run.decode_tokens_per_s, run.time_to_first_token_ms);
    }
  median_run.load_s = median (runs, G_STRUCT_OFFSET (Run, load_s));
  median_run.image_encode_ms = median (runs, G_STRUCT_OFFSET (Run, image_encode_ms));
  median_run.prefill_tokens_per_s = median (runs, G_STRUCT_OFFSET (Run, prefill_tokens_per_s));
  median_run.decode_tokens_per_s = median (runs, G_STRUCT_OFFSET (Run, decode_tokens_per_s));
  median_run.time_to_first_token_ms = median (runs, G_STRUCT_OFFSET (Run, time_to_first_token_ms));
  median_run.prompt_positions = g_array_index (runs, Run, 0).prompt_positions;
  median_run.generated = g_array_index (runs, Run, 0).generated;

  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, opt_model);
      json_builder_set_member_name (b, "backend");
      json_builder_add_string_value (b, lb_engine_backend_name (info.backend));
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, info.device_name != NULL ? info.device_name : "");
      json_builder_set_member_name (b, "reps");
      json_builder_add_int_value (b, opt_reps);
      json_builder_set_member_name (b, "prompt_positions");
      json_builder_add_int_value (b, median_run.prompt_positions);
      json_builder_set_member_name (b, "generated");
      json_builder_add_int_value (b, median_run.generated);
      json_builder_set_member_name (b, "weight_bytes");
      json_builder_add_int_value (b, (gint64) info.weight_bytes);
      json_builder_set_member_name (b, "load_s");
      json_builder_add_double_value (b, median_run.load_s);
      json_builder_set_member_name (b, "image_encode_ms");
      json_builder_add_double_value (b, median_run.image_encode_ms);
      json_builder_set_member_name (b, "prefill_tokens_per_s");
      json_builder_add_double_value (b, median_run.prefill_tokens_per_s);
      json_builder_set_member_name (b, "decode_tokens_per_s");
      json_builder_add_double_value (b, median_run.decode_tokens_per_s);
      json_builder_set_member_name (b, "time_to_first_token_ms");
      json_builder_add_double_value (b, median_run.time_to_first_token_ms);
      json_builder_set_member_name (b, "peak_device_bytes");
      json_builder_add_int_value (b, (gint64) peak);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    {
      printf ("model       %s\n", opt_model);
      printf ("device      %s (%s backend)\n", info.device_name, lb_engine_backend_name (info.backend));
      printf ("weights     %.1f MB\n", info.weight_bytes / 1e6);
      printf ("medians of %d run(s): prompt %u positions, %u generated\n", opt_reps,
              median_run.prompt_positions, median_run.generated);
      printf ("  load              %8.2f s\n", median_run.load_s);
      if (opt_image != NULL)
        printf ("  image encode      %8.1f ms\n", median_run.image_encode_ms);
      printf ("  prefill           %8.1f tokens/s\n", median_run.prefill_tokens_per_s);
      printf ("  decode            %8.1f tokens/s (%.1f GB/s of weights)\n", median_run.decode_tokens_per_s,
              median_run.decode_tokens_per_s * info.weight_bytes / 1e9);
      printf ("  first token       %8.1f ms\n", median_run.time_to_first_token_ms);
      printf ("  peak GPU memory   %8.1f MB\n", peak / 1e6);
    }
  return 0;
}
