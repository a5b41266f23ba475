/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-generation.h"

/* lightbox --demo-answer: the text every answer of a test model is
 * teacher-forced to write (NULL: off). Never applied to a real model. */
static char *demo_answer;

struct _LbGeneration
{
  GObject parent_instance;

  LbModelManager *models;
  LbSession *session;
  GCancellable *cancellable;

  /* The request, kept until the image is ready. */
  char *system;
  char *question;
  LbSamplingParams sampling;
  guint max_tokens;
  gboolean capture_attention;
  gboolean has_image;
  LbModelInput *model_input;
  gboolean forced;
  char *forced_text;       /* demo_answer when the ask started */

  /* For the regions: every token of the answer as generated, and where the
   * conversation stood before and after it. */
  GArray *ids;             /* gint32 */
  guint n_past_before;
  guint n_past_after;

  gboolean running;
  gboolean stopped;
  char *status;
  GString *text;
  GString *thinking;
  gboolean in_thinking;
  gint32 thinking_start;
  gint32 thinking_end;
  guint n_tokens;
  gint64 first_token_time;
  double tokens_per_second;
  GError *error;
  gboolean has_stats;
  LbAskStats stats;
};

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_STATUS,
  PROP_N_TOKENS,
  PROP_TOKENS_PER_SECOND,
  N_PROPS
};

enum {
  TEXT_APPENDED,
  TOKEN_BATCH,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbGeneration, lb_generation, G_TYPE_OBJECT)

static void
set_status (LbGeneration *self, const char *status)
{
  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
finish (LbGeneration *self, GError *error)
{
  g_clear_error (&self->error);
  self->error = error;
  self->running = FALSE;
  self->n_past_after = lb_session_get_n_past (self->session);
  g_clear_object (&self->cancellable);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0);
}

static void
on_tokens (LbSession *session, const LbTokenBatch *batch, gpointer user_data)
{
  LbGeneration *self = user_data;

  if (!self->running)
    return;
  if (self->n_tokens == 0)
    {
      self->first_token_time = g_get_monotonic_time ();
      set_status (self, _("Writing…"));
    }

  /* Split the batch's text between the answer and a thinking trace. */
  g_autoptr(GString) visible = g_string_new (NULL);
  gsize start = 0;
  for (guint i = 0; i < batch->n_tokens; i++)
    {
      gint32 id = batch->ids[i];
      gsize end = batch->text_ends[i];
      if (id >= 0 && id == self->thinking_start)
        self->in_thinking = TRUE;
      else if (id >= 0 && id == self->thinking_end)
        self->in_thinking = FALSE;
      else if (end > start)
        g_string_append_len (self->in_thinking ? self->thinking : visible, batch->text + start, end - start);
      start = end;
    }

  g_array_append_vals (self->ids, batch->ids, batch->n_tokens);
  g_signal_emit (self, signals[TOKEN_BATCH], 0, (gpointer) batch);
  self->n_tokens += batch->n_tokens;
  double seconds = (g_get_monotonic_time () - self->first_token_time) / 1e6;
  if (self->n_tokens > 1 && seconds > 0)
    self->tokens_per_second = (self->n_tokens - 1) / seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKENS_PER_SECOND]);

  if (visible->len > 0)
    {
      g_string_append_len (self->text, visible->str, visible->len);
      g_signal_emit (self, signals[TEXT_APPENDED], 0, visible->str);
    }
}

static void
on_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbGeneration) self = user_data;
  GError *error = NULL;
  LbAskStats stats;

  if (!lb_session_ask_finish (LB_SESSION (source), result, &stats, &error))
    {
      set_status (self, self->stopped ? _("Stopped") : _("Failed"));
      finish (self, error);
      return;
    }
  self->stats = stats;
  self->has_stats = TRUE;
  if (stats.decode_tokens_per_second > 0)
    {
      self->tokens_per_second = stats.decode_tokens_per_second;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKENS_PER_SECOND]);
    }
  /* A forced answer (--demo-answer) always ends at its length. */
  const char *why = self->forced ? ""
                    : stats.stop_reason == LB_STOP_MAX_TOKENS ? _(" · length limit")
                    : stats.stop_reason == LB_STOP_CONTEXT_FULL ? _(" · context full") : "";
  g_autofree char *status = g_strdup_printf (_("%u tokens · %.1f tokens/s%s"), stats.n_generated,
                                             self->tokens_per_second, why);
  set_status (self, status);
  finish (self, NULL);
}

/* --demo-answer: the text and the end of the turn, as tokens to force. */
static GArray *
demo_answer_tokens (LbGeneration *self, const LbTokenizer *tokenizer)
{
  if (self->forced_text == NULL || tokenizer == NULL || !lb_model_manager_get_is_test_model (self->models))
    return NULL;
  GArray *ids = lb_tokenizer_encode (tokenizer, self->forced_text, -1, LB_TOKENIZE_DEFAULT);
  gint32 end = lb_tokenizer_special (tokenizer, LB_SPECIAL_END_OF_TURN);
  if (end >= 0)
    g_array_append_val (ids, end);
  return ids;
}

static void
ask (LbGeneration *self, const LbModelInput *image)
{
  const LbTokenizer *tokenizer = lb_engine_get_tokenizer (lb_session_get_engine (self->session));
  g_autoptr(GArray) forced = demo_answer_tokens (self, tokenizer);
  LbAskRequest request;
  lb_ask_request_init (&request);
  request.system = self->system;
  request.text = self->question;
  request.image = image;
  request.sampling = self->sampling;
  request.max_tokens = self->max_tokens;
  /* Follow-ups too: the engine reads the attention over the image that
   * the conversation holds (and captures nothing without one). */
  request.capture_attention = self->capture_attention;
  if (forced != NULL && forced->len > 0)
    {
      request.forced_tokens = (const gint32 *) (gconstpointer) forced->data;
      request.n_forced_tokens = forced->len;
      self->forced = TRUE;
    }

  self->thinking_start = tokenizer != NULL ? lb_tokenizer_special (tokenizer, LB_SPECIAL_THINKING_START) : -1;
  self->thinking_end = tokenizer != NULL ? lb_tokenizer_special (tokenizer, LB_SPECIAL_THINKING_END) : -1;

  set_status (self, image != NULL ? _("Reading the image…") : _("Reading…"));
  lb_session_ask_async (self->session, &request, on_tokens, self, NULL, self->cancellable,
                        on_answered, g_object_ref (self));
}

static void
on_input_built (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbGeneration) self = user_data;
  GError *error = NULL;
  g_autoptr(LbModelInput) input = lb_document_build_model_input_finish (LB_DOCUMENT (source), result, &error);

  if (input == NULL)
    {
      set_status (self, _("Failed"));
      finish (self, error);
      return;
    }
  if (g_cancellable_set_error_if_cancelled (self->cancellable, &error))
    {
      set_status (self, _("Stopped"));
      finish (self, error);
      return;
    }
  g_clear_pointer (&self->model_input, lb_model_input_free);
  self->model_input = g_steal_pointer (&input);
  ask (self, self->model_input);
}

void
lb_generation_start (LbGeneration *self, LbDocument *document, const LbCrop *crop, const char *system,
                     const char *text, const LbSamplingParams *sampling, guint max_tokens)
{
  g_return_if_fail (LB_IS_GENERATION (self));
  g_return_if_fail (!self->running);
  g_return_if_fail (text != NULL && sampling != NULL);

  self->running = TRUE;
  self->stopped = FALSE;
  self->cancellable = g_cancellable_new ();
  g_free (self->system);
  self->system = g_strdup (system);
  g_free (self->question);
  self->question = g_strdup (text);
  self->sampling = *sampling;
  self->max_tokens = max_tokens;
  g_string_truncate (self->text, 0);
  g_string_truncate (self->thinking, 0);
  self->in_thinking = FALSE;
  self->n_tokens = 0;
  self->tokens_per_second = 0;
  self->has_stats = FALSE;
  self->forced = FALSE;
  g_free (self->forced_text);
  self->forced_text = g_strdup (demo_answer);
  self->has_image = document != NULL;
  g_array_set_size (self->ids, 0);
  /* The chat asks only between answers: the figure is the conversation's. */
  self->n_past_before = lb_session_get_n_past (self->session);
  self->n_past_after = self->n_past_before;
  g_clear_error (&self->error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  g_clear_pointer (&self->model_input, lb_model_input_free);
  if (document == NULL)
    {
      ask (self, NULL);
      return;
    }
  guint size = lb_model_manager_get_image_size (self->models);
  if (size == 0)
    {
      set_status (self, _("Failed"));
      finish (self, g_error_new (LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL,
                                 _("The model has no vision projector: it cannot see images")));
      return;
    }
  set_status (self, _("Preparing the image…"));
  lb_document_build_model_input_async (document, size, crop, self->cancellable, on_input_built,
                                       g_object_ref (self));
}

void
lb_generation_stop (LbGeneration *self)
{
  g_return_if_fail (LB_IS_GENERATION (self));
  if (!self->running)
    return;
  self->stopped = TRUE;
  set_status (self, _("Stopping…"));
  g_cancellable_cancel (self->cancellable);
}

void
lb_generation_set_capture_attention (LbGeneration *self, gboolean capture)
{
  g_return_if_fail (LB_IS_GENERATION (self));
  self->capture_attention = capture;
}

const LbModelInput *
lb_generation_get_model_input (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->model_input;
}

gboolean
lb_generation_get_has_image (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), FALSE);
  return self->has_image;
}

const char *
lb_generation_get_system (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->system;
}

const char *
lb_generation_get_question (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->question;
}

const gint32 *
lb_generation_get_ids (LbGeneration *self, guint *out_n)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  if (out_n != NULL)
    *out_n = self->ids->len;
  return (const gint32 *) (gconstpointer) self->ids->data;
}

guint
lb_generation_get_n_past_before (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), 0);
  return self->n_past_before;
}

guint
lb_generation_get_n_past_after (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), 0);
  return self->n_past_after;
}

gboolean
lb_generation_get_forced (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), FALSE);
  return self->forced;
}

void
lb_generation_set_demo_answer (const char *text)
{
  g_free (demo_answer);
  demo_answer = text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

LbSession *
lb_generation_get_session (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->session;
}

gboolean
lb_generation_get_running (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), FALSE);
  return self->running;
}

const char *
lb_generation_get_status (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->status != NULL ? self->status : "";
}

const char *
lb_generation_get_text (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->text->str;
}

const char *
lb_generation_get_thinking (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->thinking->str;
}

guint
lb_generation_get_n_tokens (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), 0);
  return self->n_tokens;
}

double
lb_generation_get_tokens_per_second (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), 0);
  return self->tokens_per_second;
}

const GError *
lb_generation_get_error (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->error;
}

gboolean
lb_generation_get_stopped (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), FALSE);
  return self->stopped;
}

const LbAskStats *
lb_generation_get_stats (LbGeneration *self)
{
  g_return_val_if_fail (LB_IS_GENERATION (self), NULL);
  return self->has_stats ? &self->stats : NULL;
}

static void
lb_generation_dispose (GObject *object)
{
  LbGeneration *self = LB_GENERATION (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->models);

  G_OBJECT_CLASS (lb_generation_parent_class)->dispose (object);
}

static void
lb_generation_finalize (GObject *object)
{
  LbGeneration *self = LB_GENERATION (object);

  g_free (self->system);
  g_free (self->question);
  g_free (self->forced_text);
  g_free (self->status);
  g_clear_pointer (&self->model_input, lb_model_input_free);
  g_string_free (self->text, TRUE);
  g_string_free (self->thinking, TRUE);
  g_array_unref (self->ids);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (lb_generation_parent_class)->finalize (object);
}

static void
lb_generation_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbGeneration *self = LB_GENERATION (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_STATUS:
      g_value_set_string (value, lb_generation_get_status (self));
      break;
    case PROP_N_TOKENS:
      g_value_set_uint (value, self->n_tokens);
      break;
    case PROP_TOKENS_PER_SECOND:
      g_value_set_double (value, self->tokens_per_second);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_generation_class_init (LbGenerationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_generation_dispose;
  object_class->finalize = lb_generation_finalize;
  object_class->get_property = lb_generation_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_TOKENS] =
    g_param_spec_uint ("n-tokens", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKENS_PER_SECOND] =
    g_param_spec_double ("tokens-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* New visible text (a batch of tokens' worth; never half a character). */
  signals[TEXT_APPENDED] =
    g_signal_new ("text-appended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Every batch as the engine delivers it (const LbTokenBatch *, valid
   * during the emission): ids, text, attention when captured. */
  signals[TOKEN_BATCH] =
    g_signal_new ("token-batch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* The ask ended: see lb_generation_get_error (). */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
lb_generation_init (LbGeneration *self)
{
  self->text = g_string_new (NULL);
  self->thinking = g_string_new (NULL);
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  self->thinking_start = self->thinking_end = -1;
}

LbGeneration *
lb_generation_new (LbModelManager *models, LbSession *session)
{
  g_return_val_if_fail (LB_IS_MODEL_MANAGER (models), NULL);
  g_return_val_if_fail (LB_IS_SESSION (session), NULL);

  LbGeneration *self = g_object_new (LB_TYPE_GENERATION, NULL);
  self->models = g_object_ref (models);
  self->session = g_object_ref (session);
  return self;
}
