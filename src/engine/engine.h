/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The inference engine: MedGemma (Gemma 3 text decoder + SigLIP vision
 * encoder + projector) on a worker thread, with conversations that keep
 * their KV cache, streamed tokens and cancellation. No GTK here: the app
 * and lightbox-cli use the same API.
 *
 * Threads
 * -------
 * An LbEngine owns ONE worker thread (not GTask's shared pool). That thread
 * owns every Vulkan object (DESIGN §3, STYLE 6); jobs reach it through a
 * queue, in order. Every public function below is called on the thread
 * that created the engine (the "main thread"); every callback and every
 * GAsyncReadyCallback runs on the engine's main context (by default the
 * creating thread's thread-default GMainContext), never on the worker.
 *
 * Events
 * ------
 * Events (load progress, token batches, completion) are queued by the
 * worker and delivered on the main context in batches: whatever arrived
 * since the last dispatch is coalesced (the tokens of many steps arrive as
 * one LbTokenBatch), so a fast GPU never floods the UI with one idle
 * source per token. A job's events always arrive before its completion
 * callback, and jobs complete in the order they were queued.
 *
 * Cancellation
 * ------------
 * Every job takes a GCancellable. The worker checks it between tensors
 * while loading, between layers of the vision encoder and of a prefill,
 * and between tokens, so a cancel is answered within about 100 ms in any
 * phase; the job then completes with G_IO_ERROR_CANCELLED.
 *
 * Errors are in LB_ENGINE_ERROR (below), G_IO_ERROR_CANCELLED, or the
 * domain of the layer that failed (LB_GGUF_ERROR for a malformed file).
 *
 *   g_autoptr(LbEngine) engine = lb_engine_new (NULL, &error);
 *   lb_engine_load_async (engine, "medgemma.gguf", "mmproj.gguf",
 *                         on_progress, self, NULL, cancellable, on_loaded, self);
 *   …
 *   session = lb_engine_new_session (engine);
 *   LbAskRequest request;
 *   lb_ask_request_init (&request);
 *   request.text = "Describe this X-ray.";
 *   request.image = model_input;     // LbModelInput at lb_engine_get_image_size()
 *   lb_session_ask_async (session, &request, on_tokens, self, NULL,
 *                         cancellable, on_answered, self);
 *   …later, a follow-up in the same session reuses the cache:
 *   request.text = "Is there an effusion?"; request.image = NULL;
 *   lb_session_ask_async (session, &request, …);
 */
#pragma once

#include <gio/gio.h>

#include "imaging/model-input.h"
#include "model/model-config.h"
#include "model/tokenizer.h"

G_BEGIN_DECLS

#define LB_ENGINE_ERROR (lb_engine_error_quark ())
GQuark lb_engine_error_quark (void);

typedef enum {
  LB_ENGINE_ERROR_FAILED,         /* anything not listed below */
  LB_ENGINE_ERROR_BAD_MODEL,      /* a model file Lightbox cannot use (details in the message) */
  LB_ENGINE_ERROR_NO_MODEL,       /* the job needs a loaded model (or an mmproj for an image) */
  LB_ENGINE_ERROR_OUT_OF_MEMORY,  /* "needs 3.6 GB of GPU memory, 2.1 GB free"; host memory too */
  LB_ENGINE_ERROR_NO_DEVICE,      /* no usable Vulkan device (the ref backend still works) */
  LB_ENGINE_ERROR_DEVICE_LOST,    /* the driver reset the device: load the model again */
  LB_ENGINE_ERROR_SELF_TEST,      /* the device computes wrong results: choose another device */
  LB_ENGINE_ERROR_CONTEXT_FULL,   /* the conversation no longer fits the context */
  LB_ENGINE_ERROR_INVALID,        /* a malformed request (image of the wrong size, bad token) */
  LB_ENGINE_ERROR_CLOSED,         /* the engine was closed before the job ran */
  LB_ENGINE_ERROR_MODEL_CHANGED,  /* the session belongs to a model that was replaced */
} LbEngineError;

typedef enum {
  LB_ENGINE_BACKEND_AUTO,    /* Vulkan when a device is usable, else the reference */
  LB_ENGINE_BACKEND_VULKAN,  /* Vulkan compute shaders (src/vk) */
  LB_ENGINE_BACKEND_REF,     /* the plain-C float32 reference (src/ref): slow, for tests */
} LbEngineBackend;

/* "auto", "vulkan", "ref". */
const char *lb_engine_backend_name (LbEngineBackend backend);
gboolean lb_engine_backend_from_name (const char *name, LbEngineBackend *out_backend);

typedef struct {
  LbEngineBackend backend;
  /* A device index or a case-insensitive name substring (as the
   * LIGHTBOX_VK_DEVICE variable, which it overrides); NULL: the best one. */
  const char *device;
  /* Where events and completions are delivered; NULL: the thread-default
   * main context of the thread calling lb_engine_new. */
  GMainContext *main_context;
  /* Positions a session's context holds; 0: the model's context length,
   * capped at LB_ENGINE_DEFAULT_CONTEXT. */
  guint context_length;
  /* Prefill batch size (positions per matrix multiply); 0: 512. */
  guint batch_size;
  /* Skip the load-time self-test (benchmarks of a known-good device). */
  gboolean skip_self_test;
} LbEngineOptions;

#define LB_ENGINE_DEFAULT_CONTEXT 8192

void lb_engine_options_init (LbEngineOptions *options);

/* The Vulkan devices, one line each: "N: name (type), score S[, unusable:
 * why]" — N is what LbEngineOptions.device takes. For a device chooser
 * (after LB_ENGINE_ERROR_SELF_TEST, for instance). Any thread: it makes
 * its own Vulkan instance. */
char *lb_engine_describe_devices (GError **error);

/* ---- the engine ------------------------------------------------------------ */

#define LB_TYPE_ENGINE (lb_engine_get_type ())
G_DECLARE_FINAL_TYPE (LbEngine, lb_engine, LB, ENGINE, GObject)

/* Creates the engine and starts its worker thread. Cheap: no device is
 * opened until the first load. options may be NULL (defaults). Fails only
 * when the thread cannot be created. Main thread. */
LbEngine *lb_engine_new (const LbEngineOptions *options, GError **error);

/* Cancels every queued and running job, waits for the worker to free all
 * device state and exit (about 100 ms), and makes later jobs fail with
 * LB_ENGINE_ERROR_CLOSED. Completions of the cancelled jobs are still
 * delivered (G_IO_ERROR_CANCELLED) on the main context. Idempotent; the
 * last unref does it too. Main thread. */
void lb_engine_close (LbEngine *engine);

/* Load progress: bytes of weights uploaded so far, of total. Called on the
 * main context, coalesced (only the latest value since the last dispatch),
 * with done == total last. */
typedef void (*LbLoadProgressFunc) (LbEngine *engine, guint64 done, guint64 total,
                                    gpointer user_data);

/* Loads a text model and an optional vision projector (mmproj_path NULL:
 * text-only conversations), replacing the model loaded before (its
 * sessions then fail with LB_ENGINE_ERROR_MODEL_CHANGED). Checks the
 * files, then that the weights, caches and scratch fit the device's free
 * memory (LB_ENGINE_ERROR_OUT_OF_MEMORY: "needs 3.6 GB of GPU memory,
 * 2.1 GB free"), uploads them in their GGUF types with progress, builds
 * every pipeline, and runs the self-test (LB_ENGINE_ERROR_SELF_TEST when
 * the device disagrees with the CPU reference). progress may be NULL.
 * Main thread; progress and callback on the main context. */
void lb_engine_load_async (LbEngine *engine, const char *model_path, const char *mmproj_path,
                           LbLoadProgressFunc progress, gpointer progress_data,
                           GDestroyNotify progress_destroy, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
gboolean lb_engine_load_finish (LbEngine *engine, GAsyncResult *result, GError **error);

/* The same, waiting: iterates the engine's main context until the job
 * completes (the caller must own that context: lightbox-cli, tests). */
gboolean lb_engine_load_sync (LbEngine *engine, const char *model_path, const char *mmproj_path,
                              LbLoadProgressFunc progress, gpointer progress_data,
                              GCancellable *cancellable, GError **error);

/* What is loaded, for the UI and the CLI. Valid after a load completed,
 * until the next load is queued. Main thread. */
typedef struct {
  LbEngineBackend backend;        /* the one actually used (never AUTO) */
  const char *device_name;        /* "NVIDIA H200", "llvmpipe (LLVM 15…)", "CPU (reference)" */
  const char *model_path;
  const char *mmproj_path;        /* NULL without a projector */
  LbTextConfig text;
  gboolean has_vision;
  LbVisionConfig vision;          /* zeroed without a projector */
  guint context_length;           /* positions per session */
  guint64 weight_bytes;           /* on the device (as stored in the files) */
  guint64 device_bytes;           /* everything the engine allocated on the device */
  double load_seconds;            /* wall time of the load job */
  gboolean self_test_ran;
  double self_test_max_error;     /* largest relative difference seen by the self-test */
} LbEngineModelInfo;

/* NULL when no model is loaded. */
const LbEngineModelInfo *lb_engine_get_model_info (LbEngine *engine);

/* The loaded model's tokenizer (immutable, usable from any thread), or NULL. */
const LbTokenizer *lb_engine_get_tokenizer (LbEngine *engine);

/* The side of the square RGB image the vision encoder takes
 * (clip.vision.image_size, 896 for MedGemma), 0 without a projector. */
guint lb_engine_get_image_size (LbEngine *engine);

/* Image positions one image occupies in the context (256), 0 without one. */
guint lb_engine_get_image_tokens (LbEngine *engine);

/* Largest device memory use seen so far (bytes allocated from Vulkan). */
guint64 lb_engine_get_peak_device_bytes (LbEngine *engine);

/* ---- sampling ----------------------------------------------------------------- */

typedef struct {
  float temperature;      /* 0: greedy (argmax); otherwise softmax(logits / temperature) */
  guint top_k;            /* keep the k most likely (0: no limit, see below) */
  float top_p;            /* nucleus: smallest set with this probability mass (1: off) */
  float min_p;            /* drop tokens below min_p × the top probability (0: off) */
  float repeat_penalty;   /* > 1 penalises the last repeat_last_n tokens (<= 1: off) */
  guint repeat_last_n;    /* window of the penalty (prompt and answer tokens) */
  guint64 seed;           /* the random stream of one ask; equal seeds give equal answers */
} LbSamplingParams;

/* Candidates are reduced on the device: at most this many tokens (the top
 * of the distribution, before the repeat penalty) reach the host each
 * step, so top_k is capped at it (less the penalized tokens, at most 64)
 * and top_p/min_p see only these. */
#define LB_SAMPLING_MAX_CANDIDATES 256

/* Greedy: what Google's examples use for reports. */
void lb_sampling_params_init_greedy (LbSamplingParams *params);
/* Gemma's chat defaults: temperature 1, top-k 64, top-p 0.95. */
void lb_sampling_params_init_chat (LbSamplingParams *params, guint64 seed);

/* ---- sessions (conversations) ---------------------------------------------- */

#define LB_TYPE_SESSION (lb_session_get_type ())
G_DECLARE_FINAL_TYPE (LbSession, lb_session, LB, SESSION, GObject)

/* A conversation with its own context (KV cache, allocated on the device
 * at its first ask). Needs no loaded model to be created; it binds to the
 * model that answers its first ask. Main thread. */
LbSession *lb_engine_new_session (LbEngine *engine);

LbEngine *lb_session_get_engine (LbSession *session);

/* Forgets the conversation (the next ask starts a new one); queued behind
 * running jobs. Main thread. */
void lb_session_reset (LbSession *session);

/* Positions of the context in use after the last completed ask, and the
 * context's size (0 before the first ask). Main thread. */
guint lb_session_get_n_past (LbSession *session);
guint lb_session_get_context_length (LbSession *session);

/* Marks the runs of image positions in LbAskRequest.prompt_tokens. */
#define LB_IMAGE_POSITION (-1)

typedef struct {
  /* A conversation turn (the usual case), put in the Gemma 3 format by
   * model/chat-format: the first ask of a session opens the conversation
   * (system text folded into the first user turn), later asks are
   * follow-ups that continue from the cache. The user's text never has
   * its special tokens recognised. */
  const char *system;             /* first turn only; NULL: none */
  const char *text;               /* the user's question */
  /* The image (NULL: none). Its size must be lb_engine_get_image_size ()
   * (build it with lb_model_input_build at that size); the pixels are
   * copied, so the caller may free it once the call returns. Embeddings are
   * cached per image content: asking again about the same pixels skips the
   * vision encoder. */
  const LbModelInput *image;

  /* Or: exact prompt tokens (lightbox-cli --raw-prompt, tests). When
   * n_prompt_tokens > 0, system and text are ignored and these ids are
   * appended to the context as they are (no conversation format; BOS only
   * if given); a run of exactly lb_engine_get_image_tokens ()
   * LB_IMAGE_POSITION entries is filled with the image's embeddings. */
  const gint32 *prompt_tokens;
  guint n_prompt_tokens;

  LbSamplingParams sampling;
  guint max_tokens;               /* 0: until a stop token or the context is full */
  /* Stop at <end_of_turn> and <eos> (default TRUE). */
  gboolean stop_at_end_of_turn;

  /* Per generated token, the attention over the image positions (DESIGN
   * §5): see LbTokenBatch.attention. Needs an image in the context. */
  gboolean capture_attention;
  /* Per generated token, the n_top_logits highest logits (before
   * sampling), for lightbox-cli --top-logits and tests; 0: none. At most
   * LB_SAMPLING_MAX_CANDIDATES. */
  guint n_top_logits;

  /* Teacher forcing (scoring a given answer, occlusion maps): when
   * n_forced_tokens > 0, step i feeds forced_tokens[i] instead of a sampled
   * token, for exactly n_forced_tokens steps (max_tokens and the stop
   * tokens are ignored); each step still reports its top logits and
   * attention, computed before its token was chosen, and ids[] holds the
   * forced tokens. The answer stays in the context like a generated one. */
  const gint32 *forced_tokens;
  guint n_forced_tokens;
  /* With forced tokens: each step also reports the exact log-probability
   * of its forced token (LbTokenBatch.logprobs), the log-softmax over the
   * whole vocabulary of the logits the top logits come from (after the
   * final soft-capping), reduced on the device (one float per step leaves
   * it). Without capture_attention and n_top_logits, the answer runs with
   * the prompt as one prefill instead of one decode step per token
   * (several times faster; the same token batches, and the same context
   * afterwards). LB_ENGINE_ERROR_INVALID without forced tokens. */
  gboolean forced_logprobs;
} LbAskRequest;

/* Zeroes the request, greedy sampling, stop_at_end_of_turn = TRUE. */
void lb_ask_request_init (LbAskRequest *request);

typedef struct {
  gint32 id;
  float logit;
} LbTokenLogit;

/* Tokens generated since the previous batch of the same ask. Everything
 * in it is owned by the engine and valid during the callback only. */
typedef struct {
  guint first_index;        /* index of ids[0] among this ask's generated tokens */
  guint n_tokens;
  const gint32 *ids;        /* [n_tokens] */
  /* Text completed by these tokens (valid UTF-8 without NUL, never half a
   * character: the streaming decoder of model/tokenizer.h; control tokens
   * add nothing; a NUL byte shows as U+FFFD), and text_ends[i] = bytes of text produced up to and
   * including ids[i] (so token i produced text[text_ends[i-1] ..
   * text_ends[i])). */
  const char *text;
  gsize text_length;
  const gsize *text_ends;   /* [n_tokens] */
  /* The ask's last batch: when the ask ended on a stop token
   * (<end_of_turn>, <eos>), that token is the last id; it adds no text. */
  gboolean last;
  /* With capture_attention: attention[i * n_image_positions + j] is the
   * attention that the position which chose ids[i] paid to image position
   * j (row-major over the pooled grid: 16×16 for MedGemma), averaged over
   * all heads of the global-attention layers (l % pattern == pattern - 1;
   * they see the whole context, the image included). Rows sum to the share
   * of attention that went to the image (≤ 1). NULL otherwise, and for a
   * model without a global layer. When the
   * context holds several images, the most recent one. */
  guint n_image_positions;
  const float *attention;   /* [n_tokens][n_image_positions] or NULL */
  /* With n_top_logits: top[i * n_top + r], best first. NULL otherwise. */
  guint n_top;
  const LbTokenLogit *top;  /* [n_tokens][n_top] or NULL */
  /* With forced_logprobs: logprobs[i] = log p(ids[i] | everything before
   * it), in nats, over the whole vocabulary. NULL otherwise. */
  const float *logprobs;    /* [n_tokens] or NULL */
} LbTokenBatch;

typedef void (*LbTokenBatchFunc) (LbSession *session, const LbTokenBatch *batch,
                                  gpointer user_data);

typedef enum {
  LB_STOP_END_OF_TURN,      /* the model ended its turn (<end_of_turn> or <eos>) */
  LB_STOP_MAX_TOKENS,       /* max_tokens were generated */
  LB_STOP_CONTEXT_FULL,     /* the context filled up while generating (prompt fitted) */
} LbStopReason;

typedef struct {
  LbStopReason stop_reason;
  guint n_prompt_positions;     /* positions this ask prefilled (image positions included) */
  guint n_generated;            /* tokens generated (the stop token included) */
  guint n_past;                 /* positions in the context afterwards */
  gboolean image_cached;        /* the image's embeddings came from the cache */
  double image_encode_ms;       /* vision encoder + projector (0 when cached or no image) */
  double prefill_ms;            /* the prompt, image positions included */
  double time_to_first_token_ms;/* from the ask reaching the worker to the first token */
  double decode_ms;             /* the tokens after the first */
  double decode_tokens_per_second;
  double prefill_tokens_per_second;
} LbAskStats;

/* Asks a question (or runs raw tokens) in the session; tokens stream to
 * on_tokens (may be NULL) in batches. The session's context then holds
 * the prompt and the answer, ready for a follow-up. A job that fails or
 * is cancelled before its first token leaves the conversation as it was;
 * one cancelled later keeps the answer so far (the next ask closes its
 * turn). Context overflow is an LB_ENGINE_ERROR_CONTEXT_FULL error before
 * anything is computed, never silent truncation. One ask per session at a
 * time is not required: asks queue. Main thread. */
void lb_session_ask_async (LbSession *session, const LbAskRequest *request,
                           LbTokenBatchFunc on_tokens, gpointer tokens_data,
                           GDestroyNotify tokens_destroy, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
/* stats may be NULL. */
gboolean lb_session_ask_finish (LbSession *session, GAsyncResult *result, LbAskStats *stats,
                                GError **error);

/* The same, waiting (iterates the engine's main context; see
 * lb_engine_load_sync). on_tokens still runs, in batches. */
gboolean lb_session_ask_sync (LbSession *session, const LbAskRequest *request,
                              LbTokenBatchFunc on_tokens, gpointer tokens_data,
                              GCancellable *cancellable, LbAskStats *stats, GError **error);

G_END_DECLS
