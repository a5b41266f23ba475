/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-region-answer.h"
#include "model/chat-format.h"
#include "regions/attention-map.h"
#include "regions/regions.h"
#include "regions/sentences.h"

struct _LbRegionAnswer
{
  GObject parent_instance;

  LbGeneration *generation;
  GPtrArray *earlier;          /* LbGeneration: the conversation before it */
  char *label;

  /* The visible tokens: the trace's text is the generation's text. */
  LbAttentionTrace *trace;
  GArray *answer_index;        /* guint per trace token: its index in lb_generation_get_ids */
  guint n_seen;                /* generated tokens looked at so far */
  gint32 thinking_start;
  gint32 thinking_end;
  gboolean in_thinking;
  gboolean trace_failed;

  LbBoxList *boxes;
  gboolean finished;

  LbRegionMap *occlusion;
  gssize occlusion_start;
  gssize occlusion_end;
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbRegionAnswer, lb_region_answer, G_TYPE_OBJECT)

/* ---- following the generation ------------------------------------------------------ */

/* Keeps the tokens of the visible text, as LbGeneration splits it. */
static void
on_token_batch (LbGeneration *generation, gpointer data, LbRegionAnswer *self)
{
  const LbTokenBatch *batch = data;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GString) text = g_string_new (NULL);
  gsize start = 0;

  for (guint i = 0; i < batch->n_tokens; i++)
    {
      gint32 id = batch->ids[i];
      gsize end = batch->text_ends[i];
      gboolean marker = id >= 0 && (id == self->thinking_start || id == self->thinking_end);

      if (marker)
        self->in_thinking = id == self->thinking_start;
      else if (!self->in_thinking)
        {
          guint index = self->n_seen + i;
          g_string_append_len (text, batch->text + start, (gssize) (end - start));
          g_array_append_val (ids, id);
          g_array_append_val (ends, text->len);
          g_array_append_val (self->answer_index, index);
          if (batch->attention != NULL)
            g_array_append_vals (rows, batch->attention + (gsize) i * batch->n_image_positions,
                                 batch->n_image_positions);
        }
      start = end;
    }
  self->n_seen += batch->n_tokens;
  if (ids->len > 0 && !self->trace_failed)
    {
      g_autoptr(GError) error = NULL;
      if (!lb_attention_trace_add (self->trace, ids->len, (const gint32 *) (gpointer) ids->data, text->str,
                                   text->len, (const gsize *) (gpointer) ends->data, batch->n_image_positions,
                                   batch->attention != NULL ? (const float *) (gpointer) rows->data : NULL,
                                   &error))
        {
          /* The maps are lost, the boxes and text are not. */
          g_debug ("Attention trace: %s", error->message);
          self->trace_failed = TRUE;
        }
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_text_appended (LbGeneration *generation, const char *text, LbRegionAnswer *self)
{
  lb_box_list_free (self->boxes);
  self->boxes = lb_boxes_parse (lb_generation_get_text (generation), -1);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_finished (LbGeneration *generation, LbRegionAnswer *self)
{
  self->finished = TRUE;
  lb_box_list_free (self->boxes);
  self->boxes = lb_boxes_parse (lb_generation_get_text (generation), -1);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* ---- the object ------------------------------------------------------------------- */

static void
lb_region_answer_dispose (GObject *object)
{
  LbRegionAnswer *self = LB_REGION_ANSWER (object);

  if (self->generation != NULL)
    g_signal_handlers_disconnect_by_data (self->generation, self);
  g_clear_object (&self->generation);
  g_clear_pointer (&self->earlier, g_ptr_array_unref);
  G_OBJECT_CLASS (lb_region_answer_parent_class)->dispose (object);
}

static void
lb_region_answer_finalize (GObject *object)
{
  LbRegionAnswer *self = LB_REGION_ANSWER (object);

  g_free (self->label);
  lb_attention_trace_free (self->trace);
  g_array_unref (self->answer_index);
  lb_box_list_free (self->boxes);
  g_clear_pointer (&self->occlusion, lb_region_map_free);
  G_OBJECT_CLASS (lb_region_answer_parent_class)->finalize (object);
}

static void
lb_region_answer_class_init (LbRegionAnswerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_region_answer_dispose;
  object_class->finalize = lb_region_answer_finalize;

  /* Text, tokens or boxes arrived, or the answer finished. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 0);
}

static void
lb_region_answer_init (LbRegionAnswer *self)
{
  self->trace = lb_attention_trace_new ();
  self->answer_index = g_array_new (FALSE, FALSE, sizeof (guint));
  self->boxes = lb_boxes_parse ("", 0);
  self->thinking_start = self->thinking_end = -1;
  self->occlusion_start = self->occlusion_end = -1;
}

LbRegionAnswer *
lb_region_answer_new (LbGeneration *generation, GPtrArray *earlier, const char *label)
{
  g_return_val_if_fail (LB_IS_GENERATION (generation), NULL);

  LbRegionAnswer *self = g_object_new (LB_TYPE_REGION_ANSWER, NULL);
  self->generation = g_object_ref (generation);
  self->earlier = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; earlier != NULL && i < earlier->len; i++)
    g_ptr_array_add (self->earlier, g_object_ref (g_ptr_array_index (earlier, i)));
  self->label = g_strdup (label);
  const LbTokenizer *tokenizer = lb_engine_get_tokenizer (lb_session_get_engine (lb_generation_get_session (generation)));
  if (tokenizer != NULL)
    {
      self->thinking_start = lb_tokenizer_special (tokenizer, LB_SPECIAL_THINKING_START);
      self->thinking_end = lb_tokenizer_special (tokenizer, LB_SPECIAL_THINKING_END);
    }
  g_signal_connect (generation, "token-batch", G_CALLBACK (on_token_batch), self);
  g_signal_connect (generation, "text-appended", G_CALLBACK (on_text_appended), self);
  g_signal_connect (generation, "finished", G_CALLBACK (on_finished), self);
  return self;
}

LbGeneration *
lb_region_answer_get_generation (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  return self->generation;
}

const char *
lb_region_answer_get_label (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  return self->label;
}

const char *
lb_region_answer_get_text (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  return lb_generation_get_text (self->generation);
}

gboolean
lb_region_answer_get_finished (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), FALSE);
  return self->finished;
}

const LbModelInput *
lb_region_answer_get_model_input (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  if (lb_generation_get_has_image (self->generation))
    return lb_generation_get_model_input (self->generation);
  /* A follow-up: the image is the conversation's. */
  for (guint i = 0; i < self->earlier->len; i++)
    {
      LbGeneration *earlier = g_ptr_array_index (self->earlier, i);
      if (lb_generation_get_has_image (earlier))
        return lb_generation_get_model_input (earlier);
    }
  return NULL;
}

const LbBoxList *
lb_region_answer_get_boxes (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  return self->boxes;
}

/* ---- attention -------------------------------------------------------------------- */

gboolean
lb_region_answer_has_attention (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), FALSE);
  return !self->trace_failed && lb_attention_trace_grid (self->trace) > 0;
}

guint
lb_region_answer_get_n_tokens (LbRegionAnswer *self)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), 0);
  return lb_attention_trace_n_tokens (self->trace);
}

char *
lb_region_answer_get_token_text (LbRegionAnswer *self, guint token)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  g_return_val_if_fail (token < lb_attention_trace_n_tokens (self->trace), NULL);

  const gsize *ends = lb_attention_trace_text_ends (self->trace);
  const char *text = lb_attention_trace_text (self->trace, NULL);
  gsize start = token > 0 ? ends[token - 1] : 0;
  return g_strndup (text + start, ends[token] - start);
}

gboolean
lb_region_answer_find_token (LbRegionAnswer *self, gsize start, gsize end, guint *out_token)
{
  guint n;

  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), FALSE);
  return lb_sentences_token_range (lb_attention_trace_text_ends (self->trace),
                                   lb_attention_trace_n_tokens (self->trace), start, end, out_token, &n);
}

static gboolean
check_attention (LbRegionAnswer *self, GError **error)
{
  if (lb_region_answer_has_attention (self))
    return TRUE;
  g_set_error_literal (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_NO_ATTENTION,
                       _("No attention was captured for this answer"));
  return FALSE;
}

LbRegionMap *
lb_region_answer_map_text (LbRegionAnswer *self, gssize start, gssize end, GError **error)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  if (!check_attention (self, error))
    return NULL;
  if (start < 0)
    return lb_attention_trace_map_answer (self->trace, error);
  return lb_attention_trace_map_text (self->trace, (gsize) start, (gsize) MAX (end, start), error);
}

LbRegionMap *
lb_region_answer_map_token (LbRegionAnswer *self, guint token, GError **error)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  if (!check_attention (self, error))
    return NULL;
  return lb_attention_trace_map_tokens (self->trace, token, 1, error);
}

guint
lb_region_answer_sentence_number (LbRegionAnswer *self, gsize start)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), 0);
  g_autoptr(GArray) sentences = lb_sentences_split (lb_generation_get_text (self->generation), -1);
  int index = lb_sentences_find (sentences, start);
  return index >= 0 ? (guint) index + 1 : 0;
}

/* ---- the context that produced it ---------------------------------------------------- */

/* Appends ids without a final stop token; whether there was one. */
static gboolean
append_answer (GArray *out, LbGeneration *generation, const LbChatFormat *format)
{
  guint n;
  const gint32 *ids = lb_generation_get_ids (generation, &n);
  gboolean stop = n > 0 && lb_chat_format_is_stop (format, ids[n - 1]);

  g_array_append_vals (out, ids, stop ? n - 1 : n);
  return stop;
}

static GError *
context_error (LbRegionAnswer *self)
{
  return g_error_new (LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                      _("The conversation before %s cannot be rebuilt exactly: ask again in a new conversation"),
                      self->label);
}

gboolean
lb_region_answer_build_context (LbRegionAnswer *self, LbEngine *engine, GArray **out_prompt, GArray **out_answer,
                                GError **error)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), FALSE);
  g_return_val_if_fail (LB_IS_ENGINE (engine), FALSE);

  const LbTokenizer *tokenizer = lb_engine_get_tokenizer (engine);
  if (tokenizer == NULL || lb_engine_get_image_tokens (engine) == 0)
    {
      g_set_error_literal (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                           _("An occlusion map needs a loaded model with its vision projector"));
      return FALSE;
    }
  g_autoptr(LbChatFormat) format = lb_chat_format_new (tokenizer, lb_engine_get_image_tokens (engine), error);
  if (format == NULL)
    return FALSE;

  /* The turns in the order the engine saw them; each starts where the
   * engine said the conversation stood (its history holds every
   * generated token but the last, which the next turn adds unless it
   * was a stop token). */
  g_autoptr(GArray) prompt = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GPtrArray) turns = g_ptr_array_new ();
  g_ptr_array_extend (turns, self->earlier, NULL, NULL);
  g_ptr_array_add (turns, self->generation);
  gboolean pending = FALSE;
  for (guint i = 0; i < turns->len; i++)
    {
      LbGeneration *turn = g_ptr_array_index (turns, i);
      guint n_ids;
      lb_generation_get_ids (turn, &n_ids);
      if (turn != self->generation && n_ids == 0)
        continue; /* failed before its first token: the engine forgot it */
      if (lb_generation_get_n_past_before (turn) != prompt->len - (pending ? 1 : 0))
        {
          g_propagate_error (error, context_error (self));
          return FALSE;
        }
      g_autoptr(GArray) part = NULL;
      if (prompt->len == 0)
        {
          if (!lb_generation_get_has_image (turn))
            {
              g_propagate_error (error, context_error (self));
              return FALSE;
            }
          LbChatMessage message = { LB_CHAT_ROLE_USER, lb_generation_get_question (turn), 1 };
          part = lb_chat_format_prompt (format, lb_generation_get_system (turn), &message, 1, error);
        }
      else
        part = lb_chat_format_follow_up (format, lb_generation_get_question (turn),
                                         lb_generation_get_has_image (turn) ? 1 : 0, error);
      if (part == NULL)
        return FALSE;
      g_array_append_vals (prompt, part->data, part->len);
      if (turn == self->generation)
        break;
      pending = !append_answer (prompt, turn, format);
    }

  g_autoptr(GArray) answer = g_array_new (FALSE, FALSE, sizeof (gint32));
  append_answer (answer, self->generation, format);
  if (answer->len == 0)
    {
      g_set_error_literal (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, _("The answer is empty"));
      return FALSE;
    }
  *out_prompt = g_steal_pointer (&prompt);
  *out_answer = g_steal_pointer (&answer);
  return TRUE;
}

gboolean
lb_region_answer_answer_range (LbRegionAnswer *self, gssize start, gssize end, guint *out_first, guint *out_n,
                               GError **error)
{
  guint first, n;

  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), FALSE);
  if (start < 0)
    {
      *out_first = 0;
      *out_n = 0; /* to the end */
      return TRUE;
    }
  if (!lb_sentences_token_range (lb_attention_trace_text_ends (self->trace), lb_attention_trace_n_tokens (self->trace),
                                 (gsize) start, (gsize) MAX (end, start), &first, &n))
    {
      g_set_error_literal (error, LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID,
                           _("No token of the answer wrote that sentence"));
      return FALSE;
    }
  const guint *index = (const guint *) (gpointer) self->answer_index->data;
  *out_first = index[first];
  *out_n = index[first + n - 1] - index[first] + 1;
  return TRUE;
}

/* ---- occlusion ------------------------------------------------------------------- */

void
lb_region_answer_set_occlusion (LbRegionAnswer *self, LbRegionMap *map, gssize start, gssize end)
{
  g_return_if_fail (LB_IS_REGION_ANSWER (self));
  g_clear_pointer (&self->occlusion, lb_region_map_free);
  self->occlusion = map;
  self->occlusion_start = map != NULL ? start : -1;
  self->occlusion_end = map != NULL ? end : -1;
}

const LbRegionMap *
lb_region_answer_get_occlusion (LbRegionAnswer *self, gssize *out_start, gssize *out_end)
{
  g_return_val_if_fail (LB_IS_REGION_ANSWER (self), NULL);
  if (out_start != NULL)
    *out_start = self->occlusion_start;
  if (out_end != NULL)
    *out_end = self->occlusion_end;
  return self->occlusion;
}
