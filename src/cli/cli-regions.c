/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli regions --model TEXT.gguf --mmproj MMPROJ.gguf --image FILE
 *   (--prompt TEXT | --answer-from-generate[=FILE]) --method attention|occlusion
 *   [--grid N] [--sentence K] [--json] [--out OVERLAY.png] [-n N]
 *   [--backend auto|ref|vulkan] [--colormap viridis|inferno] [--opacity A]
 *
 * Where in the image an answer came from (DESIGN §5; src/regions):
 * - --prompt asks the question about the image (one user turn, greedy, at
 *   most N tokens) and explains the answer it gets; --answer-from-generate
 *   explains an answer that `lightbox-cli generate --json` printed (read
 *   from FILE, or standard input without one): its prompt_tokens and the
 *   tokens of its steps (a final stop token left out).
 * - attention: the mean over the answer's tokens of their attention over
 *   the image positions (mean over the heads of the global layers), a grid
 *   of the model's image tokens (16 × 16 for MedGemma); values are shares
 *   of attention (a row sums to the share that went to the image).
 * - occlusion: for each cell of an N × N grid (8 by default) of the
 *   model-input square, the answer's log-probability with the whole image
 *   minus with that cell hidden (filled with the encoder's mean grey), in
 *   nats; null for cells that show no image (padding). The
 *   log-probabilities are exact (the log-softmax over the whole
 *   vocabulary): with --backend ref from the plain-C reference directly,
 *   on the Vulkan engine reduced on the GPU (src/regions/answer-scorer.h);
 *   "scoring" says so ("exact"; "top-K logits" for an approximation).
 * - --sentence K restricts either map to the K-th sentence of the answer
 *   (0-based; src/regions/sentences.h).
 * - --json prints one object: {"method", "grid": N, "values": [[…] × N]
 *   (rows top to bottom), "answer", "label": "where the model looked — not
 *   proof", "backend", "unit", and for occlusion "scoring",
 *   "base_logprob", "runs" (the unoccluded image and each cell shown),
 *   "seconds"; with --sentence "sentence": {"index", "start", "end",
 *   "text"}}. Without it, the same as text. Timing goes to standard error.
 * - --out writes the image (default display) with the map over it as PNG.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "imaging/model-input.h"
#include "model/chat-format.h"
#include "model/gguf.h"
#include "model/random-model.h"
#include "regions/answer-scorer.h"
#include "regions/attention-map.h"
#include "regions/occlusion.h"
#include "regions/region-map.h"
#include "regions/regions.h"
#include "regions/sentences.h"

#define DEFAULT_N_PREDICT 256

static char *opt_model;
static char *opt_mmproj;
static char *opt_image;
static char *opt_prompt;
static char *opt_answer_file;
static gboolean opt_answer_from_generate;
static char *opt_method;
static int opt_grid = 0;
static int opt_sentence = -1;
static gboolean opt_json;
static char *opt_out;
static int opt_n_predict = DEFAULT_N_PREDICT;
static char *opt_backend;
static char *opt_colormap;
static double opt_opacity = 0.6;

static gboolean
on_answer_from_generate (const char *name, const char *value, gpointer data, GError **error)
{
  opt_answer_from_generate = TRUE;
  g_free (opt_answer_file);
  opt_answer_file = g_strdup (value != NULL ? value : "-");
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "The text model (Gemma 3 GGUF)", "TEXT.gguf" },
  { "mmproj", 0, 0, G_OPTION_ARG_FILENAME, &opt_mmproj, "The vision projector (mmproj GGUF)", "MMPROJ.gguf" },
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &opt_image, "The image", "FILE" },
  { "prompt", 'p', 0, G_OPTION_ARG_STRING, &opt_prompt, "A question: explain the answer to it", "TEXT" },
  { "answer-from-generate", 0, G_OPTION_FLAG_OPTIONAL_ARG | G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
    (gpointer) on_answer_from_generate,
    "Explain the answer in this output of 'generate --json' (standard input without FILE)", "FILE" },
  { "method", 0, 0, G_OPTION_ARG_STRING, &opt_method, "attention or occlusion", "METHOD" },
  { "grid", 0, 0, G_OPTION_ARG_INT, &opt_grid,
    "Occlusion cells per side (default 8; 16 for more detail, 16× the time)", "N" },
  { "sentence", 0, 0, G_OPTION_ARG_INT, &opt_sentence, "Only the K-th sentence of the answer (0-based)", "K" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the grid and the answer as JSON", NULL },
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Write the image with the map over it (PNG)", "OVERLAY.png" },
  { "n-predict", 'n', 0, G_OPTION_ARG_INT, &opt_n_predict, "With --prompt: answer tokens at most (default 256)", "N" },
  { "backend", 0, 0, G_OPTION_ARG_STRING, &opt_backend, "auto (default), vulkan or ref", "NAME" },
  { "colormap", 0, 0, G_OPTION_ARG_STRING, &opt_colormap, "For --out: viridis (default) or inferno", "NAME" },
  { "opacity", 0, 0, G_OPTION_ARG_DOUBLE, &opt_opacity, "For --out: opacity of the strongest cell (default 0.6)", "A" },
  { NULL },
};

typedef enum {
  METHOD_ATTENTION,
  METHOD_OCCLUSION,
} Method;

/* The question and its answer, whichever way they came. */
typedef struct {
  GArray *prompt;              /* gint32, LB_IMAGE_POSITION for the image */
  GArray *answer;              /* gint32, no stop token */
  LbAttentionTrace *trace;     /* the answer's tokens and text (and attention when generated with it) */
} Answer;

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->prompt, g_array_unref);
  g_clear_pointer (&a->answer, g_array_unref);
  g_clear_pointer (&a->trace, lb_attention_trace_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

static void
collect_tokens (LbSession *session, const LbTokenBatch *batch, gpointer data)
{
  Answer *a = data;
  g_autoptr(GError) error = NULL;

  if (!lb_attention_trace_add_batch (a->trace, batch, &error))
    g_warning ("%s", error->message);
}

/* --prompt: one greedy answer, with attention when it is what we show. */
static gboolean
answer_by_asking (LbEngine *engine, const LbChatFormat *format, const LbModelInput *input,
                  gboolean capture, Answer *a, GError **error)
{
  g_autoptr(LbSession) session = lb_engine_new_session (engine);
  LbChatMessage message = { LB_CHAT_ROLE_USER, opt_prompt, 1 };
  LbAskRequest request;
  guint n;

  a->prompt = lb_chat_format_prompt (format, NULL, &message, 1, error);
  if (a->prompt == NULL)
    return FALSE;
  a->trace = lb_attention_trace_new ();
  lb_ask_request_init (&request);
  request.prompt_tokens = (const gint32 *) (gconstpointer) a->prompt->data;
  request.n_prompt_tokens = a->prompt->len;
  request.image = input;
  request.max_tokens = (guint) opt_n_predict;
  request.capture_attention = capture;
  if (!lb_session_ask_sync (session, &request, collect_tokens, a, NULL, NULL, error))
    return FALSE;
  n = lb_attention_trace_n_tokens (a->trace);
  if (n > 0 && lb_chat_format_is_stop (format, lb_attention_trace_ids (a->trace)[n - 1]))
    n--;
  a->answer = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_array_append_vals (a->answer, lb_attention_trace_ids (a->trace), n);
  return TRUE;
}

static gboolean
json_int_array (JsonNode *node, const char *what, GArray *out, GError **error)
{
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "%s: expected a list", what);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      gint64 v;
      gint32 id;
      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_INT64)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "%s: item %u is not an integer", what, i);
          return FALSE;
        }
      v = json_node_get_int (item);
      if (v < G_MININT32 || v > G_MAXINT32)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "%s: item %u is out of range", what, i);
          return FALSE;
        }
      id = (gint32) v;
      g_array_append_val (out, id);
    }
  return TRUE;
}

/* --answer-from-generate: the prompt and the answer of a generate --json
 * output; the text and its token boundaries decoded here. */
static gboolean
answer_from_generate (const LbTokenizer *tokenizer, const LbChatFormat *format, Answer *a,
                      GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(LbTokenStream) stream = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree gsize *ends = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *steps_node;
  gboolean ok;

  if (strcmp (opt_answer_file, "-") == 0)
    {
      g_autoptr(GString) data = g_string_new (NULL);
      char buffer[65536];
      size_t got;
      while ((got = fread (buffer, 1, sizeof buffer, stdin)) > 0)
        g_string_append_len (data, buffer, (gssize) got);
      ok = json_parser_load_from_data (parser, data->str, (gssize) data->len, error);
    }
  else
    ok = json_parser_load_from_file (parser, opt_answer_file, error);
  if (!ok)
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                   "%s: expected the object that 'lightbox-cli generate --json' prints", opt_answer_file);
      return FALSE;
    }
  object = json_node_get_object (root);
  a->prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  if (!json_int_array (json_object_get_member (object, "prompt_tokens"), "prompt_tokens", a->prompt, error))
    return FALSE;
  steps_node = json_object_get_member (object, "steps");
  if (steps_node == NULL || !JSON_NODE_HOLDS_ARRAY (steps_node))
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "%s: no \"steps\" list", opt_answer_file);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (steps_node)); i++)
    {
      JsonNode *step = json_array_get_element (json_node_get_array (steps_node), i);
      JsonNode *token = JSON_NODE_HOLDS_OBJECT (step) ? json_object_get_member (json_node_get_object (step), "token") : NULL;
      gint32 id;
      if (token == NULL || !JSON_NODE_HOLDS_VALUE (token) || json_node_get_value_type (token) != G_TYPE_INT64)
        {
          g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "%s: step %u has no integer \"token\"", opt_answer_file, i);
          return FALSE;
        }
      id = (gint32) json_node_get_int (token);
      g_array_append_val (steps, id);
    }
  if (steps->len > 0 && lb_chat_format_is_stop (format, g_array_index (steps, gint32, steps->len - 1)))
    g_array_set_size (steps, steps->len - 1);
  if (steps->len == 0)
    {
      g_set_error (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "%s: the answer is empty", opt_answer_file);
      return FALSE;
    }
  a->answer = g_array_ref (steps);

  /* The text as the app would show it, and where each token ends in it. */
  stream = lb_token_stream_new (tokenizer, LB_DECODE_DEFAULT);
  ends = g_new (gsize, steps->len);
  for (guint i = 0; i < steps->len; i++)
    {
      lb_token_stream_push (stream, &g_array_index (steps, gint32, i), 1, text);
      if (i + 1 == steps->len)
        lb_token_stream_finish (stream, text);
      ends[i] = text->len;
    }
  a->trace = lb_attention_trace_new ();
  return lb_attention_trace_add (a->trace, steps->len, (const gint32 *) (gconstpointer) steps->data,
                                 text->str, text->len, ends, 0, NULL, error);
}

static void
on_progress (guint done, guint total, gpointer data)
{
  fprintf (stderr, "\rlightbox-cli: occlusion %u/%u", done, total);
  if (done == total)
    fprintf (stderr, "\n");
  fflush (stderr);
}

static void
add_values (JsonBuilder *builder, const LbRegionMap *map)
{
  json_builder_begin_array (builder);
  for (guint r = 0; r < map->grid; r++)
    {
      json_builder_begin_array (builder);
      for (guint c = 0; c < map->grid; c++)
        {
          float v = map->values[r * map->grid + c];
          if (isnan (v))
            json_builder_add_null_value (builder);
          else
            json_builder_add_double_value (builder, v);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
}

static gboolean
write_overlay (const LbImage *image, const LbModelInputParams *params, const LbModelInput *input,
               const LbRegionMap *map, GError **error)
{
  LbDisplayParams display = params->display;
  g_autoptr(LbDisplayImage) picture = NULL;
  g_autoptr(LbHeatOverlay) overlay = NULL;
  g_autoptr(LbImage) out = NULL;
  LbHeatStyle style;

  /* The overlay is in stored pixels: draw the picture unrotated. */
  display.rotation = 0;
  display.flip_horizontal = display.flip_vertical = FALSE;
  picture = lb_display_render (image, &display, TRUE);
  lb_heat_style_init (&style);
  style.max_side = 0;
  style.opacity = (float) opt_opacity;
  if (opt_colormap != NULL)
    lb_colormap_from_name (opt_colormap, &style.colormap);
  overlay = lb_region_map_render (map, input, &style);
  lb_heat_overlay_blend_rgb (overlay, picture->data, picture->stride);
  out = lb_image_new (picture->width, picture->height, 3, 8, FALSE, error);
  if (out == NULL)
    return FALSE;
  for (guint y = 0; y < picture->height; y++)
    memcpy (out->u8 + (gsize) y * picture->width * 3, picture->data + y * picture->stride,
            (gsize) picture->width * 3);
  return lb_image_save_png (out, opt_out, error);
}

static gboolean
check_options (Method *method, LbEngineBackend *backend, int *status)
{
  LbColormap colormap;

  if (opt_model == NULL || opt_mmproj == NULL || opt_image == NULL)
    *status = lb_cli_usage_error ("regions", "--model, --mmproj and --image are required");
  else if ((opt_prompt == NULL) == !opt_answer_from_generate)
    *status = lb_cli_usage_error ("regions", "give exactly one of --prompt and --answer-from-generate");
  else if (g_strcmp0 (opt_method, "attention") != 0 && g_strcmp0 (opt_method, "occlusion") != 0)
    *status = lb_cli_usage_error ("regions", "--method must be attention or occlusion");
  else if (opt_grid != 0 && g_strcmp0 (opt_method, "occlusion") != 0)
    *status = lb_cli_usage_error ("regions", "--grid is for occlusion (attention has the model's own grid)");
  else if (opt_grid != 0 && (opt_grid < 2 || opt_grid > 64))
    *status = lb_cli_usage_error ("regions", "--grid must be between 2 and 64");
  else if (opt_n_predict <= 0)
    *status = lb_cli_usage_error ("regions", "-n must be positive");
  else if (opt_backend != NULL && !lb_engine_backend_from_name (opt_backend, backend))
    *status = lb_cli_usage_error ("regions", "unknown backend '%s' (expected auto, vulkan or ref)", opt_backend);
  else if (opt_colormap != NULL && !lb_colormap_from_name (opt_colormap, &colormap))
    *status = lb_cli_usage_error ("regions", "unknown colormap '%s' (expected viridis or inferno)", opt_colormap);
  else if (!(opt_opacity >= 0 && opt_opacity <= 1))
    *status = lb_cli_usage_error ("regions", "--opacity must be between 0 and 1");
  else
    {
      *method = g_strcmp0 (opt_method, "occlusion") == 0 ? METHOD_OCCLUSION : METHOD_ATTENTION;
      return TRUE;
    }
  return FALSE;
}

/* The occlusion scorer: the reference directly when the engine runs on
 * it, else the engine; both exact ("scoring": "exact" in the JSON). */
typedef struct {
  LbGguf *text_file;
  LbGguf *vision_file;
  LbRefText *text;
  LbRefVision *vision;
} RefModels;

static void
ref_models_clear (RefModels *m)
{
  g_clear_pointer (&m->text, lb_ref_text_free);
  g_clear_pointer (&m->vision, lb_ref_vision_free);
  g_clear_pointer (&m->text_file, lb_gguf_free);
  g_clear_pointer (&m->vision_file, lb_gguf_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RefModels, ref_models_clear)

static LbAnswerScorer *
make_scorer (LbEngine *engine, const Answer *a, RefModels *ref, GError **error)
{
  const gint32 *prompt = (const gint32 *) (gconstpointer) a->prompt->data;
  const gint32 *answer = (const gint32 *) (gconstpointer) a->answer->data;

  if (lb_engine_get_model_info (engine)->backend != LB_ENGINE_BACKEND_REF)
    return lb_answer_scorer_new_engine (engine, prompt, a->prompt->len, answer, a->answer->len, error);
  ref->text_file = lb_gguf_open (opt_model, error);
  if (ref->text_file == NULL)
    return NULL;
  ref->vision_file = lb_gguf_open (opt_mmproj, error);
  if (ref->vision_file == NULL)
    return NULL;
  ref->text = lb_ref_text_new (ref->text_file, a->prompt->len + a->answer->len, error);
  if (ref->text == NULL)
    return NULL;
  ref->vision = lb_ref_vision_new (ref->vision_file, error);
  if (ref->vision == NULL)
    return NULL;
  return lb_answer_scorer_new_ref (ref->text, ref->vision, prompt, a->prompt->len, answer, a->answer->len, error);
}

int
lb_cli_regions (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbImage) image = NULL;
  g_autoptr(LbModelInput) input = NULL;
  g_autoptr(LbEngine) engine = NULL;
  g_autoptr(LbChatFormat) format = NULL;
  g_autoptr(LbAnswerScorer) scorer = NULL;
  g_autoptr(LbRegionMap) map = NULL;
  g_autoptr(LbOcclusionResult) occlusion = NULL;
  g_autoptr(GArray) sentences = NULL;
  g_auto(Answer) answer = { 0 };
  g_auto(RefModels) ref = { 0 };
  LbEngineOptions options;
  LbModelInputParams params;
  LbEngineBackend backend = LB_ENGINE_BACKEND_AUTO;
  const LbEngineModelInfo *info;
  const char *text;
  gsize text_length;
  Method method = METHOD_ATTENTION;
  guint first = 0, n = 0;
  gssize sentence_start = -1, sentence_end = -1;
  int status;

  if (!lb_cli_parse ("regions", NULL,
                     "Show where in the image an answer came from: the attention of its tokens, or "
                     "how much hiding each part of the image lowers its probability. Where the "
                     "model looked — not proof. Output from a model is a draft for a professional "
                     "to verify.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return lb_cli_usage_error ("regions", "unexpected argument '%s'", argv[1]);
  if (!check_options (&method, &backend, &status))
    return status;

  image = lb_image_load (opt_image, 0, &error);
  if (image == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  lb_engine_options_init (&options);
  options.backend = backend;
  engine = lb_engine_new (&options, &error);
  if (engine == NULL || !lb_engine_load_sync (engine, opt_model, opt_mmproj, NULL, NULL, NULL, &error))
    return lb_cli_fail (g_steal_pointer (&error));
  info = lb_engine_get_model_info (engine);
  if (!info->has_vision)
    {
      g_set_error (&error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "%s has no vision encoder", opt_mmproj);
      return lb_cli_fail (g_steal_pointer (&error));
    }
  {
    g_autoptr(LbGguf) file = lb_gguf_open (opt_model, NULL);
    if (file != NULL && lb_gguf_has_key (file, "general.name") &&
        g_str_has_prefix (lb_gguf_get_string (file, "general.name", NULL), LB_RANDOM_MODEL_NAME_PREFIX))
      fprintf (stderr, "lightbox-cli: note: %s is a random test model; its output is noise\n", opt_model);
  }
  format = lb_chat_format_new (lb_engine_get_tokenizer (engine), lb_engine_get_image_tokens (engine), &error);
  if (format == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  lb_model_input_params_init (&params, image);
  input = lb_model_input_build (image, &params, lb_engine_get_image_size (engine), &error);
  if (input == NULL)
    return lb_cli_fail (g_steal_pointer (&error));

  /* The answer. */
  if (opt_prompt != NULL)
    {
      if (!answer_by_asking (engine, format, input, method == METHOD_ATTENTION, &answer, &error))
        return lb_cli_fail (g_steal_pointer (&error));
    }
  else if (!answer_from_generate (lb_engine_get_tokenizer (engine), format, &answer, &error))
    return lb_cli_fail (g_steal_pointer (&error));
  if (answer.answer->len == 0)
    {
      g_set_error (&error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, "the model gave an empty answer");
      return lb_cli_fail (g_steal_pointer (&error));
    }
  text = lb_attention_trace_text (answer.trace, &text_length);

  /* The part of it to explain. */
  first = 0;
  n = answer.answer->len;
  if (opt_sentence >= 0)
    {
      const LbTextSpan *span;
      sentences = lb_sentences_split (text, (gssize) text_length);
      if ((guint) opt_sentence >= sentences->len)
        {
          g_set_error (&error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                       "the answer has %u sentences; --sentence %d is not one of them", sentences->len,
                       opt_sentence);
          return lb_cli_fail (g_steal_pointer (&error));
        }
      span = &g_array_index (sentences, LbTextSpan, opt_sentence);
      sentence_start = (gssize) span->start;
      sentence_end = (gssize) span->end;
      if (!lb_sentences_token_range (lb_attention_trace_text_ends (answer.trace), answer.answer->len,
                                     span->start, span->end, &first, &n))
        return lb_cli_fail (g_error_new (LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                                         "no token of the answer produced sentence %d", opt_sentence));
    }

  /* The map. */
  if (method == METHOD_ATTENTION)
    {
      if (opt_answer_from_generate)
        {
          /* Teacher-forced attention rows for the given answer. */
          g_autoptr(LbAnswerScore) score = NULL;
          g_autoptr(LbAttentionTrace) trace = lb_attention_trace_new ();
          scorer = make_scorer (engine, &answer, &ref, &error);
          if (scorer == NULL)
            return lb_cli_fail (g_steal_pointer (&error));
          lb_answer_scorer_set_capture_attention (scorer, TRUE);
          score = lb_answer_scorer_score_sync (scorer, input, NULL, &error);
          if (score == NULL ||
              !lb_attention_trace_add (trace, answer.answer->len, lb_attention_trace_ids (answer.trace),
                                       text, text_length, lb_attention_trace_text_ends (answer.trace),
                                       score->n_image_positions, score->attention, &error))
            return lb_cli_fail (g_steal_pointer (&error));
          lb_attention_trace_free (answer.trace);
          answer.trace = g_steal_pointer (&trace);
          text = lb_attention_trace_text (answer.trace, &text_length);
        }
      map = lb_attention_trace_map_tokens (answer.trace, first, n, &error);
    }
  else
    {
      LbOcclusionParams occlusion_params;
      scorer = make_scorer (engine, &answer, &ref, &error);
      if (scorer == NULL || !lb_answer_scorer_set_range (scorer, first, n, &error))
        return lb_cli_fail (g_steal_pointer (&error));
      lb_occlusion_params_init (&occlusion_params);
      if (opt_grid > 0)
        occlusion_params.grid = (guint) opt_grid;
      occlusion = lb_occlusion_run_sync (scorer, input, &occlusion_params,
                                         isatty (STDERR_FILENO) ? on_progress : NULL, NULL, NULL, &error);
      if (occlusion != NULL)
        {
          map = lb_region_map_copy (occlusion->map);
          fprintf (stderr, "lightbox-cli: occlusion map: %u runs in %.2f s (%.3f s each) on %s\n",
                   occlusion->n_runs, occlusion->seconds, occlusion->seconds / MAX (occlusion->n_runs, 1),
                   info->device_name);
        }
    }
  if (map == NULL)
    return lb_cli_fail (g_steal_pointer (&error));

  if (opt_out != NULL && !write_overlay (image, &params, input, map, &error))
    return lb_cli_fail (g_steal_pointer (&error));

  if (opt_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *output = NULL;
      g_autofree char *valid = g_utf8_make_valid (text, (gssize) text_length);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "method");
      json_builder_add_string_value (builder, opt_method);
      json_builder_set_member_name (builder, "grid");
      json_builder_add_int_value (builder, map->grid);
      json_builder_set_member_name (builder, "values");
      add_values (builder, map);
      json_builder_set_member_name (builder, "answer");
      json_builder_add_string_value (builder, valid);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, LB_REGIONS_LABEL);
      json_builder_set_member_name (builder, "backend");
      json_builder_add_string_value (builder, lb_engine_backend_name (info->backend));
      json_builder_set_member_name (builder, "unit");
      json_builder_add_string_value (builder, method == METHOD_ATTENTION ? "share of attention"
                                                                          : "nats (log-probability drop)");
      if (occlusion != NULL)
        {
          g_autofree char *scoring = occlusion->n_candidates == 0
            ? g_strdup ("exact") : g_strdup_printf ("top-%u logits", occlusion->n_candidates);
          json_builder_set_member_name (builder, "scoring");
          json_builder_add_string_value (builder, scoring);
          json_builder_set_member_name (builder, "base_logprob");
          json_builder_add_double_value (builder, occlusion->base_logprob);
          json_builder_set_member_name (builder, "runs");
          json_builder_add_int_value (builder, occlusion->n_runs);
          json_builder_set_member_name (builder, "seconds");
          json_builder_add_double_value (builder, occlusion->seconds);
        }
      if (sentence_start >= 0)
        {
          g_autofree char *piece = g_utf8_make_valid (text + sentence_start, sentence_end - sentence_start);
          json_builder_set_member_name (builder, "sentence");
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "index");
          json_builder_add_int_value (builder, opt_sentence);
          json_builder_set_member_name (builder, "start");
          json_builder_add_int_value (builder, sentence_start);
          json_builder_set_member_name (builder, "end");
          json_builder_add_int_value (builder, sentence_end);
          json_builder_set_member_name (builder, "text");
          json_builder_add_string_value (builder, piece);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      output = json_generator_to_data (generator, NULL);
      printf ("%s\n", output);
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (text, (gssize) text_length);
      printf ("Answer: %s\n%s map (%u × %u, %s), %s:\n", valid, opt_method, map->grid, map->grid,
              method == METHOD_ATTENTION ? "share of attention" : "log-probability drop in nats",
              LB_REGIONS_LABEL);
      for (guint r = 0; r < map->grid; r++)
        {
          for (guint c = 0; c < map->grid; c++)
            {
              float v = map->values[r * map->grid + c];
              if (isnan (v))
                printf ("%10s", "-");
              else
                printf ("%10.4g", v);
            }
          printf ("\n");
        }
    }
  return 0;
}
