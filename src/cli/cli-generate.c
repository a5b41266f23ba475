/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli generate --model TEXT.gguf [--mmproj MMPROJ.gguf --image FILE]
 *   (--prompt TEXT [--system TEXT] | --raw-prompt TEXT) [-n N] [--temp T]
 *   [--top-k K] [--top-p P] [--seed S] [--backend ref|vulkan] [--json]
 *   [--top-logits K]
 *
 * A contract other tools depend on (issue "Reference forward"):
 * - --prompt builds a one-turn conversation (system, image, text) with the
 *   conversation format; --raw-prompt tokenizes the text as given, special
 *   tokens recognised and <bos> prepended, each <start_of_image> followed by
 *   the image's positions and <end_of_image>.
 * - Greedy by default; stops at <end_of_turn>/<eos> or after N tokens (or
 *   when the context is full).
 * - --json prints one object: {"prompt_tokens": [ids, -1 per image
 *   position], "steps": [{"token", "piece", "top": [[id, logit]…]}…],
 *   "text"}; the stop token, if reached, is the last step but not part of
 *   text. Bytes that are not valid UTF-8 show as U+FFFD in piece and text.
 *   Pieces and text write special and user-defined tokens as stored in the
 *   vocabulary, as the reference implementation does. Without --json the
 *   text is streamed to stdout.
 *
 * Backends: --backend vulkan (the default) runs the engine (src/engine,
 * lb_engine_generate: the GPU through Vulkan, with its load-time
 * self-test); --backend ref runs the plain-C reference (src/ref) on the
 * CPU. Both build the same prompt tokens and print the same steps, pieces,
 * text and JSON (Output below); only the logits differ, by rounding. The
 * engine reduces the candidates on the device, so on the Vulkan backend
 * --top-logits is capped at LB_SAMPLING_MAX_CANDIDATES (256): a larger K
 * gives 256 per step and a note on stderr (--backend ref gives up to the
 * vocabulary size). When the engine cannot run (no Vulkan device, not
 * enough GPU memory, a device that fails the self-test) the command says
 * so, suggests what to do (--backend ref among it) and exits with status 1.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli/cli.h"
#include "engine/engine-generate.h"
#include "imaging/image.h"
#include "imaging/model-input.h"
#include "model/chat-format.h"
#include "model/gguf.h"
#include "model/model-config.h"
#include "model/random-model.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "ref/ref-text.h"
#include "ref/ref-vision.h"

#define DEFAULT_N_PREDICT 256
#define DEFAULT_TOP_LOGITS 5

static char *opt_model;
static char *opt_mmproj;
static char *opt_image;
static char *opt_prompt;
static char *opt_system;
static char *opt_raw_prompt;
static int opt_n_predict = DEFAULT_N_PREDICT;
static double opt_temp = 0.0;
static int opt_top_k = 0;
static double opt_top_p = 1.0;
static gint64 opt_seed = 0;
static char *opt_backend;
static gboolean opt_json;
static int opt_top_logits = DEFAULT_TOP_LOGITS;

static const GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "The text model (Gemma 3 GGUF)", "TEXT.gguf" },
  { "mmproj", 0, 0, G_OPTION_ARG_FILENAME, &opt_mmproj, "The vision projector (mmproj GGUF)", "MMPROJ.gguf" },
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &opt_image, "An image for the prompt (needs --mmproj)", "FILE" },
  { "prompt", 'p', 0, G_OPTION_ARG_STRING, &opt_prompt, "A question, as one user turn", "TEXT" },
  { "system", 0, 0, G_OPTION_ARG_STRING, &opt_system, "System text for --prompt", "TEXT" },
  { "raw-prompt", 0, 0, G_OPTION_ARG_STRING, &opt_raw_prompt,
    "The exact prompt text, special tokens recognised, <bos> added", "TEXT" },
  { "n-predict", 'n', 0, G_OPTION_ARG_INT, &opt_n_predict, "Tokens to generate at most (default 256)", "N" },
  { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &opt_temp, "Temperature; 0 is greedy (default)", "T" },
  { "top-k", 0, 0, G_OPTION_ARG_INT, &opt_top_k, "Sample from the K most likely tokens (0: all)", "K" },
  { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &opt_top_p, "Sample from the smallest set of probability P", "P" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed, "Sampling seed (default 0)", "S" },
  { "backend", 0, 0, G_OPTION_ARG_STRING, &opt_backend, "vulkan (the default) or ref (plain C on the CPU)", "NAME" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print tokens, top logits and text as JSON", NULL },
  { "top-logits", 0, 0, G_OPTION_ARG_INT, &opt_top_logits, "Logits per step in --json (default 5; at most 256 on Vulkan)", "K" },
  { NULL },
};

typedef struct {
  gint32 token;
  char *piece;      /* valid UTF-8 */
  guint n_top;
  gint32 *top_ids;  /* [n_top], best first */
  float *top_logits;
} Step;

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_free (step->piece);
  g_free (step->top_ids);
  g_free (step->top_logits);
}

#define DECODE_FLAGS (LB_DECODE_SPECIAL | LB_DECODE_USER_DEFINED_VERBATIM)

/* Valid UTF-8 for JSON: invalid bytes as U+FFFD; NUL too, which json-glib
 * strings cannot hold. */
static char *
valid_text (const char *bytes, gsize n)
{
  GString *out = g_string_new (NULL);

  lb_utf8_append_valid (out, bytes, n, TRUE);
  for (gsize i = 0; i < out->len; i++)
    if (out->str[i] == '\0')
      {
        g_string_erase (out, i, 1);
        g_string_insert (out, i, "\xef\xbf\xbd");
        i += 2;
      }
  return g_string_free (out, FALSE);
}

/* ---- the output, whichever backend computes the steps ------------------- */

/* The steps for --json, the answer's text, and (without --json) that text
 * streamed to stdout as it comes. */
typedef struct {
  const LbTokenizer *tokenizer;
  const LbChatFormat *format;
  LbTokenStream *stream;
  GArray *steps;          /* Step */
  GString *text_bytes;    /* the answer as generated (maybe not valid UTF-8) */
} Output;

static void
output_init (Output *out, const LbTokenizer *tokenizer, const LbChatFormat *format)
{
  out->tokenizer = tokenizer;
  out->format = format;
  out->stream = lb_token_stream_new (tokenizer, DECODE_FLAGS);
  out->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (out->steps, step_clear);
  out->text_bytes = g_string_new (NULL);
}

static void
output_clear (Output *out)
{
  g_clear_pointer (&out->stream, lb_token_stream_free);
  g_clear_pointer (&out->steps, g_array_unref);
  if (out->text_bytes != NULL)
    g_string_free (g_steal_pointer (&out->text_bytes), TRUE);
}

/* One generated token and the n_top highest logits of its step (the
 * arrays become the step's). A stop token is a step but adds no text;
 * returns whether it was one. */
static gboolean
output_add_step (Output *out, gint32 token, guint n_top, gint32 *top_ids, float *top_logits)
{
  g_autoptr(GString) piece = g_string_new (NULL);
  Step step = { token, NULL, n_top, top_ids, top_logits };
  gboolean stop;

  lb_tokenizer_append_token_bytes (out->tokenizer, token, DECODE_FLAGS, piece);
  step.piece = valid_text (piece->str, piece->len);
  g_array_append_val (out->steps, step);

  stop = lb_chat_format_is_stop (out->format, token);
  if (!stop)
    {
      g_string_append_len (out->text_bytes, piece->str, piece->len);
      if (!opt_json)
        {
          g_autoptr(GString) streamed = g_string_new (NULL);
          lb_token_stream_push (out->stream, &token, 1, streamed);
          fwrite (streamed->str, 1, streamed->len, stdout);
          fflush (stdout);
        }
    }
  return stop;
}

static void
print_json (const GArray *prompt, const GArray *steps, const char *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *output = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "prompt_tokens");
  json_builder_begin_array (builder);
  for (guint i = 0; i < prompt->len; i++)
    json_builder_add_int_value (builder, g_array_index (prompt, gint32, i));
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < steps->len; i++)
    {
      const Step *step = &g_array_index (steps, Step, i);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "token");
      json_builder_add_int_value (builder, step->token);
      json_builder_set_member_name (builder, "piece");
      json_builder_add_string_value (builder, step->piece);
      json_builder_set_member_name (builder, "top");
      json_builder_begin_array (builder);
      for (guint k = 0; k < step->n_top; k++)
        {
          json_builder_begin_array (builder);
          json_builder_add_int_value (builder, step->top_ids[k]);
          json_builder_add_double_value (builder, step->top_logits[k]);
          json_builder_end_array (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  output = json_generator_to_data (generator, NULL);
  printf ("%s\n", output);
}

/* After the last step: the JSON object, or the end of the streamed text. */
static void
output_finish (Output *out, const GArray *prompt)
{
  if (opt_json)
    {
      g_autofree char *text = valid_text (out->text_bytes->str, out->text_bytes->len);
      print_json (prompt, out->steps, text);
    }
  else
    {
      g_autoptr(GString) streamed = g_string_new (NULL);
      lb_token_stream_finish (out->stream, streamed);
      fwrite (streamed->str, 1, streamed->len, stdout);
      printf ("\n");
    }
}

/* ---- --backend ref: the plain-C reference on the CPU ---------------------- */

/* Encodes the image for every image slot: [n_image_tokens][E]. */
static float *
encode_image (const char *path, LbRefVision *vision, GError **error)
{
  const LbVisionConfig *c = lb_ref_vision_config (vision);
  g_autoptr(LbImage) image = NULL;
  g_autoptr(LbModelInput) input = NULL;
  LbModelInputParams params;
  g_autofree float *pixels = NULL;
  float *embeddings;

  image = lb_image_load (path, 0, error);
  if (image == NULL)
    return NULL;
  lb_model_input_params_init (&params, image);
  input = lb_model_input_build (image, &params, c->image_size, error);
  if (input == NULL)
    return NULL;
  pixels = g_new (float, (gsize) 3 * c->image_size * c->image_size);     /* [3][S][S] */
  lb_model_input_to_float (input, c->image_mean, c->image_std, pixels);
  embeddings = g_new (float, (gsize) c->n_image_tokens * c->projection_dim); /* [T][E] */
  lb_ref_vision_encode (vision, pixels, embeddings);
  return embeddings;
}

/* Runs the prompt: runs of text tokens, and image slots of n_image_tokens
 * positions each (every slot gets the same image). */
static const float *
run_prompt (LbRefText *model, const GArray *prompt, const float *image_embeddings,
            guint n_image_tokens, GError **error)
{
  const gint32 *ids = (const gint32 *) prompt->data;
  const float *logits = NULL;
  guint i = 0;

  while (i < prompt->len)
    {
      guint j = i;
      if (ids[i] == LB_CHAT_IMAGE_TOKEN)
        {
          while (j < prompt->len && ids[j] == LB_CHAT_IMAGE_TOKEN && j - i < n_image_tokens)
            j++;
          if (j - i != n_image_tokens || image_embeddings == NULL)
            {
              g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_INVALID,
                           "the prompt has an image slot of %u positions; the projector makes %u",
                           j - i, n_image_tokens);
              return NULL;
            }
          logits = lb_ref_text_forward_image (model, image_embeddings, n_image_tokens, error);
        }
      else
        {
          while (j < prompt->len && ids[j] != LB_CHAT_IMAGE_TOKEN)
            j++;
          logits = lb_ref_text_forward_tokens (model, ids + i, j - i, error);
        }
      if (logits == NULL)
        return NULL;
      i = j;
    }
  return logits;
}

/* Runs the prompt and the decode loop on the reference (src/ref). */
static gboolean
generate_with_ref (const LbGguf *text_file, const LbGguf *mmproj_file, const LbTextConfig *text_config,
                   guint n_image_tokens, const GArray *prompt, Output *out, GError **error)
{
  g_autoptr(LbRefVision) vision = NULL;
  g_autoptr(LbRefText) model = NULL;
  g_autoptr(LbSampler) sampler = NULL;
  g_autofree float *image_embeddings = NULL;
  LbSamplerParams sampler_params;
  const float *logits;
  guint capacity;

  /* The image, then the model over the prompt. */
  if (mmproj_file != NULL && (vision = lb_ref_vision_new (mmproj_file, error)) == NULL)
    return FALSE;
  if (opt_image != NULL)
    {
      image_embeddings = encode_image (opt_image, vision, error);
      if (image_embeddings == NULL)
        return FALSE;
    }
  capacity = (guint) MIN ((guint64) prompt->len + (guint64) opt_n_predict, text_config->n_ctx);
  model = lb_ref_text_new (text_file, MAX (capacity, 1), error);
  if (model == NULL)
    return FALSE;
  logits = prompt->len > 0 ? run_prompt (model, prompt, image_embeddings, n_image_tokens, error) : NULL;
  if (logits == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, LB_REF_ERROR, LB_REF_ERROR_INVALID, "the prompt is empty");
      return FALSE;
    }

  /* The decode loop. */
  lb_sampler_params_init (&sampler_params);
  sampler_params.temperature = (float) opt_temp;
  sampler_params.top_k = (guint) opt_top_k;
  sampler_params.top_p = (float) opt_top_p;
  sampler_params.seed = (guint64) opt_seed;
  sampler = lb_sampler_new (&sampler_params);

  for (int n = 0; n < opt_n_predict; n++)
    {
      gint32 token = lb_sampler_sample (sampler, logits, text_config->n_vocab);
      gint32 *top_ids = g_new (gint32, opt_top_logits + 1);
      float *top_logits = g_new (float, opt_top_logits + 1);
      guint n_top = lb_logits_top_k (logits, text_config->n_vocab, (guint) opt_top_logits, top_ids, top_logits);

      if (output_add_step (out, token, n_top, top_ids, top_logits) || n + 1 == opt_n_predict ||
          lb_ref_text_n_past (model) == lb_ref_text_capacity (model))
        break;
      logits = lb_ref_text_forward_tokens (model, &token, 1, error);
      if (logits == NULL)
        return FALSE;
    }
  return TRUE;
}

/* ---- --backend vulkan: the engine ----------------------------------------- */

static void
engine_step_cb (const LbGenerateStep *generated, gpointer user_data)
{
  guint n_top = generated->top != NULL ? generated->n_top : 0;
  gint32 *top_ids = g_new (gint32, n_top + 1);
  float *top_logits = g_new (float, n_top + 1);

  for (guint k = 0; k < n_top; k++)
    {
      top_ids[k] = generated->top[k].id;
      top_logits[k] = generated->top[k].logit;
    }
  output_add_step (user_data, generated->token, n_top, top_ids, top_logits);
}

/* Loads the models onto the device and runs the prompt there; the engine
 * stops at the same places as the reference (a stop token, -n, a full
 * context). */
static gboolean
generate_with_engine (const GArray *prompt, Output *out, GError **error)
{
  g_autoptr(LbImage) image = NULL;
  LbGenerateRequest request = {
    .backend = LB_ENGINE_BACKEND_VULKAN,
    .model_path = opt_model,
    .mmproj_path = opt_mmproj,
    .prompt = (const gint32 *) (gconstpointer) prompt->data,
    .n_prompt = prompt->len,
    .n_predict = (guint) opt_n_predict,
    .n_top = (guint) opt_top_logits,
  };

  lb_sampling_params_init_greedy (&request.sampling);
  request.sampling.temperature = (float) opt_temp;
  request.sampling.top_k = (guint) opt_top_k;
  request.sampling.top_p = (float) opt_top_p;
  request.sampling.seed = (guint64) opt_seed;
  if (opt_image != NULL)
    {
      /* Turned into the model input by the engine, as encode_image does. */
      image = lb_image_load (opt_image, 0, error);
      if (image == NULL)
        return FALSE;
      request.image = image;
    }
  return lb_engine_generate (&request, engine_step_cb, out, NULL, error);
}

/* Prints the error as lb_cli_fail does, and what to do about it when the
 * engine could not run on the device. Returns the exit status 1. */
static int
fail_with_hint (GError *error)
{
  const char *what = "", *hint = NULL;
  g_autofree char *devices = NULL;

  if (error->domain == LB_ENGINE_ERROR)
    switch (error->code)
      {
      case LB_ENGINE_ERROR_NO_DEVICE:
        what = "the Vulkan backend has no usable device: ";
        hint = "--backend ref runs the model in plain C on the CPU (slowly)";
        break;
      case LB_ENGINE_ERROR_OUT_OF_MEMORY:
        hint = "use a smaller model file, another device (LIGHTBOX_VK_DEVICE=N), or --backend ref (CPU)";
        break;
      case LB_ENGINE_ERROR_SELF_TEST:
        hint = "choose another device with LIGHTBOX_VK_DEVICE=N, or run on the CPU with --backend ref";
        devices = lb_engine_describe_devices (NULL);
        break;
      case LB_ENGINE_ERROR_DEVICE_LOST:
        hint = "the GPU driver reset the device; run the command again, or use --backend ref (CPU)";
        break;
      default:
        break;
      }
  fprintf (stderr, "lightbox-cli: %s%s\n", what, error->message);
  if (hint != NULL)
    fprintf (stderr, "lightbox-cli: hint: %s\n", hint);
  if (devices != NULL)
    fprintf (stderr, "lightbox-cli: the Vulkan devices:\n%s%s", devices,
             g_str_has_suffix (devices, "\n") ? "" : "\n");
  g_error_free (error);
  return 1;
}

/* ---- the command ----------------------------------------------------------- */

/* Checks the options among themselves (exit status 2 on misuse). */
static gboolean
check_options (int *status)
{
  if (opt_model == NULL)
    *status = lb_cli_usage_error ("generate", "--model is required");
  else if ((opt_prompt == NULL) == (opt_raw_prompt == NULL))
    *status = lb_cli_usage_error ("generate", "give exactly one of --prompt and --raw-prompt");
  else if (opt_system != NULL && opt_prompt == NULL)
    *status = lb_cli_usage_error ("generate", "--system goes with --prompt (write it into --raw-prompt yourself)");
  else if (opt_image != NULL && opt_mmproj == NULL)
    *status = lb_cli_usage_error ("generate", "--image needs --mmproj, the vision projector that reads it");
  else if (opt_n_predict < 0)
    *status = lb_cli_usage_error ("generate", "-n must not be negative");
  else if (opt_temp < 0 || opt_top_k < 0 || opt_top_p <= 0 || opt_top_p > 1)
    *status = lb_cli_usage_error ("generate", "expected --temp >= 0, --top-k >= 0 and 0 < --top-p <= 1");
  else if (opt_top_logits < 0)
    *status = lb_cli_usage_error ("generate", "--top-logits must not be negative");
  else if (opt_backend != NULL && strcmp (opt_backend, "ref") != 0 && strcmp (opt_backend, "vulkan") != 0)
    *status = lb_cli_usage_error ("generate", "unknown backend '%s' (expected ref or vulkan)", opt_backend);
  else
    return TRUE;
  return FALSE;
}

int
lb_cli_generate (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) text_file = NULL;
  g_autoptr(LbGguf) mmproj_file = NULL;
  g_autoptr(LbTokenizer) tokenizer = NULL;
  g_autoptr(LbChatFormat) format = NULL;
  g_autoptr(GArray) prompt = NULL;
  LbTextConfig text_config;
  LbVisionConfig vision_config;
  Output out;
  gboolean use_engine, ok;
  guint n_image_tokens = 0, n_images = 0;
  int status;

  if (!lb_cli_parse ("generate", NULL,
                     "Generate text from a prompt (and an image). Output from a model is a draft "
                     "for a professional to verify.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lb_cli_usage_error ("generate", "unexpected argument '%s'", argv[1]);
  if (!check_options (&status))
    return status;
  use_engine = opt_backend == NULL || strcmp (opt_backend, "vulkan") == 0;

  /* The files, and whether they fit together. The projector's settings
   * are all the prompt needs; each backend reads its weights itself. */
  text_file = lb_gguf_open (opt_model, &error);
  if (text_file == NULL || !lb_text_config_load (text_file, &text_config, &error))
    return lb_cli_fail (g_steal_pointer (&error));
  tokenizer = lb_tokenizer_new_from_gguf (text_file, &error);
  if (tokenizer == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  if (lb_gguf_has_key (text_file, "general.name") &&
      g_str_has_prefix (lb_gguf_get_string (text_file, "general.name", NULL), LB_RANDOM_MODEL_NAME_PREFIX))
    fprintf (stderr, "lightbox-cli: note: %s is a random test model; its output is noise\n", opt_model);
  if (opt_mmproj != NULL)
    {
      mmproj_file = lb_gguf_open (opt_mmproj, &error);
      if (mmproj_file == NULL || !lb_vision_config_load (mmproj_file, &vision_config, &error) ||
          !lb_vision_config_matches_text (&vision_config, &text_config, opt_mmproj, &error))
        return lb_cli_fail (g_steal_pointer (&error));
      n_image_tokens = vision_config.n_image_tokens;
    }

  /* The prompt. */
  format = lb_chat_format_new (tokenizer, n_image_tokens, &error);
  if (format == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  if (opt_prompt != NULL)
    {
      LbChatMessage message = { LB_CHAT_ROLE_USER, opt_prompt, opt_image != NULL ? 1 : 0 };
      prompt = lb_chat_format_prompt (format, opt_system, &message, 1, &error);
      if (prompt == NULL)
        return lb_cli_fail (g_steal_pointer (&error));
      n_images = message.n_images;
    }
  else
    prompt = lb_chat_format_raw_prompt (format, opt_raw_prompt, -1, &n_images);
  if (n_images > 0 && opt_image == NULL)
    {
      g_set_error (&error, LB_REF_ERROR, LB_REF_ERROR_INVALID,
                   "the prompt has %u image slot(s) (<start_of_image>) but no --image was given", n_images);
      return lb_cli_fail (g_steal_pointer (&error));
    }
  if (n_images == 0 && opt_image != NULL)
    {
      g_set_error (&error, LB_REF_ERROR, LB_REF_ERROR_INVALID,
                   "--image was given but the raw prompt has no <start_of_image> to put it in");
      return lb_cli_fail (g_steal_pointer (&error));
    }
  if (prompt->len > text_config.n_ctx)
    {
      g_set_error (&error, LB_REF_ERROR, LB_REF_ERROR_CONTEXT,
                   "the prompt has %u positions but the context of %s holds %u",
                   prompt->len, opt_model, text_config.n_ctx);
      return lb_cli_fail (g_steal_pointer (&error));
    }

  /* Logits per step: at most the vocabulary; the engine reports at most
   * its candidates (see the top of this file). */
  opt_top_logits = MIN ((guint) opt_top_logits, text_config.n_vocab);
  if (use_engine && opt_top_logits > LB_SAMPLING_MAX_CANDIDATES)
    {
      fprintf (stderr, "lightbox-cli: note: the Vulkan backend reports at most %d logits per step; "
               "--top-logits %d gives %d (--backend ref gives more)\n",
               LB_SAMPLING_MAX_CANDIDATES, opt_top_logits, LB_SAMPLING_MAX_CANDIDATES);
      opt_top_logits = LB_SAMPLING_MAX_CANDIDATES;
    }

  output_init (&out, tokenizer, format);
  if (use_engine)
    ok = generate_with_engine (prompt, &out, &error);
  else
    ok = generate_with_ref (text_file, mmproj_file, &text_config, n_image_tokens, prompt, &out, &error);
  if (ok)
    output_finish (&out, prompt);
  output_clear (&out);
  return ok ? 0 : fail_with_hint (g_steal_pointer (&error));
}
