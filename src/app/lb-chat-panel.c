/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-chat-panel-private.h"
#include "app/lb-generation.h"
#include "app/lb-report-format.h"
#include "regions/boxes.h"

static GParamSpec *properties[N_PROPS];
guint lb_chat_panel_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbChatPanel, lb_chat_panel, ADW_TYPE_BIN)

static void
answer_clear (Answer *answer)
{
  g_free (answer->question);
  g_free (answer->plain);
  g_clear_object (&answer->generation);
}


/* ---- state ------------------------------------------------------------------ */

static void
update_limits (LbChatPanel *self)
{
  const char *text;
  if (self->has_region)
    text = _("A question about a region starts a new conversation: the model takes one image at a time.");
  else if (self->answers->len > 0)
    text = _("Follow-ups continue this conversation. MedGemma was evaluated on single questions about "
             "one image, not on multi-turn conversations: check follow-up answers with extra care.");
  else
    text = _("MedGemma answers about one image at a time.");
  gtk_label_set_label (self->limits_label, text);
}

static void
update_state (LbChatPanel *self)
{
  LbModelState state = self->models != NULL ? lb_model_manager_get_state (self->models) : LB_MODEL_STATE_NONE;
  gboolean running = lb_chat_panel_get_running (self);
  gboolean ready = state == LB_MODEL_STATE_READY;

  if (self->document == NULL)
    gtk_stack_set_visible_child_name (self->stack, "no-image");
  else if ((state == LB_MODEL_STATE_NONE || state == LB_MODEL_STATE_FAILED) && self->answers->len == 0)
    gtk_stack_set_visible_child_name (self->stack, "no-model");
  else
    gtk_stack_set_visible_child_name (self->stack, "chat");

  gtk_stack_set_visible_child_name (self->button_stack, running ? "stop" : "ask");
  gtk_widget_set_visible (GTK_WIDGET (self->suggestions_box), self->answers->len == 0 && !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->suggestions), ready && !running);
  gtk_widget_set_visible (GTK_WIDGET (self->demo_mark),
                          ready && self->models != NULL && lb_model_manager_get_is_test_model (self->models));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.ask", ready && !running && self->document != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.locate-findings",
                                 ready && !running && self->document != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.new-conversation", !running && self->answers->len > 0);
  gtk_entry_set_placeholder_text (self->entry, self->has_region ? _("Ask about the region…")
                                               : self->session != NULL ? _("Ask a follow-up question…")
                                               : _("Ask about this image…"));
  update_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
lb_chat_panel_get_running (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), FALSE);
  return self->generation != NULL && lb_generation_get_running (self->generation);
}

static void
scroll_to_end (LbChatPanel *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
}

/* ---- messages ----------------------------------------------------------------- */

/* The question as shown (shown), and what the model is asked when that
 * differs (a preset's prompt: in a tooltip). */
static GtkLabel *
add_question (LbChatPanel *self, const char *shown, const char *prompt, const char *context)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_halign (box, GTK_ALIGN_END);
  gtk_widget_set_margin_start (box, 32);
  if (context != NULL)
    {
      GtkWidget *caption = gtk_label_new (context);
      gtk_label_set_xalign (GTK_LABEL (caption), 1);
      gtk_label_set_wrap (GTK_LABEL (caption), TRUE);
      gtk_widget_add_css_class (caption, "chat-caption");
      gtk_box_append (GTK_BOX (box), caption);
    }
  GtkWidget *label = gtk_label_new (shown);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "chat-question");
  if (g_strcmp0 (shown, prompt) != 0)
    {
      g_autofree char *tooltip = g_strdup_printf (_("Prompt for the model:\n%s"), prompt);
      gtk_widget_set_tooltip_text (label, tooltip);
    }
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (self->messages, box);
  return GTK_LABEL (label);
}

static Answer *
add_answer (LbChatPanel *self, GtkLabel *question_label, const char *question, LbGeneration *generation)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_halign (box, GTK_ALIGN_FILL);
  gtk_widget_set_margin_end (box, 16);
  gtk_widget_add_css_class (box, "chat-answer");

  GtkWidget *caption;
  if (lb_model_manager_get_is_test_model (self->models))
    {
      caption = gtk_label_new (LB_DEMO_OUTPUT_MARK);
      gtk_widget_add_css_class (caption, "demo-mark-inline");
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("%s · AI draft, verify before use"),
                                               lb_model_manager_get_model_name (self->models));
      caption = gtk_label_new (text);
      gtk_widget_add_css_class (caption, "chat-caption");
    }
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_label_set_wrap (GTK_LABEL (caption), TRUE);
  gtk_box_append (GTK_BOX (box), caption);

  GtkWidget *text = gtk_label_new ("…");
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_box_append (GTK_BOX (box), text);
  lb_chat_panel_watch_answer (self, GTK_LABEL (text));

  GtkWidget *footer = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (footer), 0);
  gtk_label_set_ellipsize (GTK_LABEL (footer), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (footer, "chat-caption");
  gtk_widget_add_css_class (footer, "numeric");
  gtk_box_append (GTK_BOX (box), footer);

  gtk_box_append (self->messages, box);
  Answer answer = {
    .question_label = question_label,
    .question = g_strdup (question),
    .bubble = box,
    .text = GTK_LABEL (text),
    .footer = GTK_LABEL (footer),
    .plain = g_strdup (""),
    .generation = generation != NULL ? g_object_ref (generation) : NULL,
  };
  g_array_append_val (self->answers, answer);
  return &g_array_index (self->answers, Answer, self->answers->len - 1);
}

static Answer *
last_answer (LbChatPanel *self)
{
  return self->answers->len > 0 ? &g_array_index (self->answers, Answer, self->answers->len - 1) : NULL;
}

static void
set_answer_text (LbChatPanel *self, guint index, const char *text)
{
  Answer *answer = &g_array_index (self->answers, Answer, index);
  g_free (answer->plain);
  answer->plain = g_strdup (text);
  g_autofree char *markup = lb_report_format_markup (g_strstrip (g_strdup (answer->plain)));
  gtk_label_set_markup (answer->text, markup);
  /* The mark's place in the label moves with the text. */
  if (self->highlighted == (int) index)
    lb_chat_panel_apply_highlight (self, FALSE);
}

static void
on_text_appended (LbGeneration *generation, const char *chunk, LbChatPanel *self)
{
  Answer *answer = last_answer (self);
  if (answer == NULL)
    return;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  gboolean follow = gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
                    >= gtk_adjustment_get_upper (adj) - 24;
  set_answer_text (self, self->answers->len - 1, lb_generation_get_text (generation));
  if (follow)
    scroll_to_end (self);
}

static void
on_generation_status (LbGeneration *generation, GParamSpec *pspec, LbChatPanel *self)
{
  Answer *answer = last_answer (self);
  if (answer == NULL)
    return;
  double rate = lb_generation_get_tokens_per_second (generation);
  if (lb_generation_get_running (generation) && rate > 0)
    {
      g_autofree char *text = g_strdup_printf (_("%u tokens · %.1f tokens/s"),
                                               lb_generation_get_n_tokens (generation), rate);
      gtk_label_set_label (answer->footer, text);
    }
  else
    gtk_label_set_label (answer->footer, lb_generation_get_status (generation));
}

static void
on_generation_finished (LbGeneration *generation, LbChatPanel *self)
{
  Answer *answer = last_answer (self);
  const GError *error = lb_generation_get_error (generation);

  if (answer != NULL && *answer->plain == '\0')
    gtk_label_set_label (answer->text, error != NULL ? "" : _("(no answer)"));
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (answer != NULL)
        gtk_label_set_label (answer->footer, _("Stopped"));
    }
  else if (error != NULL)
    {
      if (answer != NULL)
        gtk_label_set_label (answer->footer, error->message);
      /* The conversation cannot go on: the next question starts a new one. */
      if (g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_CONTEXT_FULL)
          || g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_MODEL_CHANGED)
          || g_error_matches (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_DEVICE_LOST))
        g_clear_object (&self->session);
      g_signal_emit (self, lb_chat_panel_signals[ERROR], 0, error);
    }
  else
    on_generation_status (generation, NULL, self);
  /* A first question that ended before any token left nothing to follow
   * up on: the next one sends the image again. */
  if (self->session != NULL && lb_session_get_n_past (self->session) == 0)
    g_clear_object (&self->session);
  update_state (self);
}

/* Asks prompt, showing it as shown. */
static void
ask_prompt (LbChatPanel *self, const char *shown, const char *question)
{
  if (question == NULL || *question == '\0' || lb_chat_panel_get_running (self) || self->document == NULL
      || self->models == NULL || lb_model_manager_get_state (self->models) != LB_MODEL_STATE_READY)
    return;

  gboolean follow_up = self->session != NULL && !self->has_region;
  LbCrop crop = self->region;
  gboolean with_region = self->has_region;
  g_autofree char *context = NULL;

  if (!follow_up)
    {
      /* A new conversation, about the whole image or a region of it. */
      g_clear_object (&self->session);
      self->session = lb_model_manager_new_session (self->models);
      if (self->session == NULL)
        return;
      self->session_is_region = with_region;
      if (with_region)
        {
          context = g_strdup_printf (_("About the region %u × %u px at (%u, %u), at full resolution"),
                                     crop.width, crop.height, crop.x, crop.y);
          if (self->answers->len > 0)
            {
              GtkWidget *separator = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
              gtk_box_append (self->messages, separator);
            }
        }
      else if (self->answers->len > 0)
        context = g_strdup (_("New conversation about the whole image"));
      self->has_region = FALSE;
      gtk_revealer_set_reveal_child (self->region_revealer, FALSE);
    }

  if (self->generation != NULL)
    g_signal_handlers_disconnect_by_data (self->generation, self);
  g_clear_object (&self->generation);
  self->generation = lb_generation_new (self->models, self->session);
  lb_generation_set_capture_attention (self->generation, self->capture_attention);
  GtkLabel *question_label = add_question (self, shown, question, context);
  add_answer (self, question_label, question, self->generation);

  g_signal_connect (self->generation, "text-appended", G_CALLBACK (on_text_appended), self);
  g_signal_connect (self->generation, "finished", G_CALLBACK (on_generation_finished), self);
  g_signal_connect (self->generation, "notify::status", G_CALLBACK (on_generation_status), self);
  g_signal_connect (self->generation, "notify::tokens-per-second", G_CALLBACK (on_generation_status), self);

  LbSamplingParams sampling;
  /* Random test models repeat one token under greedy decoding: sampled. */
  if (lb_model_manager_get_is_test_model (self->models)
      || (self->settings != NULL && g_settings_get_enum (self->settings, "chat-sampling") == 1))
    lb_sampling_params_init_chat (&sampling, g_random_int () | ((guint64) g_random_int () << 32));
  else
    lb_sampling_params_init_greedy (&sampling);
  guint max_tokens = self->settings != NULL ? g_settings_get_uint (self->settings, "answer-max-tokens") : 512;
  LbModality modality = lb_document_get_modality (self->document);

  if (follow_up)
    lb_generation_start (self->generation, NULL, NULL, NULL, question, &sampling, max_tokens);
  else
    lb_generation_start (self->generation, self->document, with_region ? &crop : NULL,
                         lb_modality_default_system (modality), question, &sampling, max_tokens);
  update_state (self);
  scroll_to_end (self);
}

void
lb_chat_panel_ask (LbChatPanel *self, const char *question)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  ask_prompt (self, question, question);
}

void
lb_chat_panel_locate_findings (LbChatPanel *self)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  /* The prompt stays English (README, "Languages"); the label is the user's. */
  ask_prompt (self, _("Locate findings"), LB_BOXES_LOCATE_PROMPT);
}

void
lb_chat_panel_stop (LbChatPanel *self)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  if (self->generation != NULL)
    lb_generation_stop (self->generation);
}

static void
clear_messages (LbChatPanel *self)
{
  /* Answers take the focus when clicked (they are selectable). GTK 4.8
   * trips over a focused label removed and replaced within one frame (a
   * critical in the next layout): hand the focus to the entry first. */
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->messages))
      && !gtk_widget_grab_focus (GTK_WIDGET (self->entry)))
    gtk_root_set_focus (root, NULL);

  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->messages))) != NULL)
    gtk_box_remove (self->messages, child);
  g_array_set_size (self->answers, 0);
  self->highlighted = -1;
}

void
lb_chat_panel_new_conversation (LbChatPanel *self)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  lb_chat_panel_stop (self);
  if (self->generation != NULL)
    g_signal_handlers_disconnect_by_data (self->generation, self);
  g_clear_object (&self->generation);
  g_clear_object (&self->session);
  clear_messages (self);
  update_state (self);
}

void
lb_chat_panel_set_region (LbChatPanel *self, const LbCrop *crop)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  g_return_if_fail (crop != NULL);

  self->region = *crop;
  self->has_region = TRUE;
  g_autofree char *text = g_strdup_printf (_("The next question is about the region %u × %u px at (%u, %u), "
                                             "sent at full resolution."),
                                           crop->width, crop->height, crop->x, crop->y);
  gtk_label_set_label (self->region_label, text);
  gtk_revealer_set_reveal_child (self->region_revealer, TRUE);
  update_state (self);
}

void
lb_chat_panel_clear_region (LbChatPanel *self)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  self->has_region = FALSE;
  gtk_revealer_set_reveal_child (self->region_revealer, FALSE);
  update_state (self);
}

void
lb_chat_panel_focus_entry (LbChatPanel *self)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
ask_from_entry (LbChatPanel *self)
{
  g_autofree char *question = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  if (*question == '\0' || !gtk_widget_is_sensitive (GTK_WIDGET (self))
      || lb_chat_panel_get_running (self))
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  lb_chat_panel_ask (self, question);
}

static void
on_entry_activate (LbChatPanel *self, GtkEntry *entry)
{
  ask_from_entry (self);
}

static void
ask_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ask_from_entry (LB_CHAT_PANEL (widget));
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_chat_panel_stop (LB_CHAT_PANEL (widget));
}

static void
locate_findings_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_chat_panel_locate_findings (LB_CHAT_PANEL (widget));
}

static void
new_conversation_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_chat_panel_new_conversation (LB_CHAT_PANEL (widget));
}

static void
clear_region_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_chat_panel_clear_region (LB_CHAT_PANEL (widget));
  gtk_widget_activate_action (widget, "win.clear-region", NULL);
}

static void
on_suggestion_clicked (GtkButton *button, LbChatPanel *self)
{
  lb_chat_panel_ask (self, gtk_button_get_label (button));
}

static void
fill_suggestions (LbChatPanel *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->suggestions))) != NULL)
    gtk_flow_box_remove (self->suggestions, child);
  if (self->document == NULL)
    return;
  /* First the preset that asks for boxes (issue 9), for every modality. */
  GtkWidget *locate = gtk_button_new_with_label (_("Locate findings"));
  GtkWidget *locate_label = gtk_button_get_child (GTK_BUTTON (locate));
  gtk_label_set_wrap (GTK_LABEL (locate_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (locate_label), 0);
  g_autofree char *tooltip = g_strdup_printf (_("Prompt for the model:\n%s"), LB_BOXES_LOCATE_PROMPT);
  gtk_widget_set_tooltip_text (locate, tooltip);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (locate), "chat.locate-findings");
  gtk_flow_box_append (self->suggestions, locate);

  const char *const *questions = lb_modality_suggested_questions (lb_document_get_modality (self->document));
  for (guint i = 0; questions[i] != NULL; i++)
    {
      GtkWidget *button = gtk_button_new_with_label (questions[i]);
      GtkWidget *label = gtk_button_get_child (GTK_BUTTON (button));
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      g_signal_connect (button, "clicked", G_CALLBACK (on_suggestion_clicked), self);
      gtk_flow_box_append (self->suggestions, button);
    }
}

/* ---- document and model -------------------------------------------------------- */

static void
on_modality_changed (LbDocument *document, GParamSpec *pspec, LbChatPanel *self)
{
  fill_suggestions (self);
}

static void
on_model_state (LbModelManager *models, GParamSpec *pspec, LbChatPanel *self)
{
  /* A new model cannot continue the old one's conversations. */
  if (lb_model_manager_get_state (models) != LB_MODEL_STATE_READY)
    g_clear_object (&self->session);
  update_state (self);
}

void
lb_chat_panel_set_document (LbChatPanel *self, LbDocument *document)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));

  if (document == self->document)
    return;
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_func (self->document, on_modality_changed, self);
  g_set_object (&self->document, document);
  if (document != NULL)
    g_signal_connect (document, "notify::modality", G_CALLBACK (on_modality_changed), self);
  self->has_region = FALSE;
  gtk_revealer_set_reveal_child (self->region_revealer, FALSE);
  lb_chat_panel_new_conversation (self);
  fill_suggestions (self);
  update_state (self);
}

void
lb_chat_panel_setup (LbChatPanel *self, GSettings *settings, LbModelManager *models)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  g_return_if_fail (self->models == NULL);

  self->settings = g_object_ref (settings);
  self->models = g_object_ref (models);
  g_signal_connect_object (models, "notify::state", G_CALLBACK (on_model_state), self, 0);
  g_signal_connect_object (models, "notify::is-test-model", G_CALLBACK (on_model_state), self, 0);
  update_state (self);
}

LbGeneration *
lb_chat_panel_get_generation (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  return self->generation;
}

void
lb_chat_panel_set_capture_attention (LbChatPanel *self, gboolean capture)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  self->capture_attention = capture;
}

/* ---- tests -------------------------------------------------------------------- */

void
lb_chat_panel_add_answer_for_test (LbChatPanel *self, LbGeneration *generation, const char *question,
                                   const char *text)
{
  g_return_if_fail (LB_IS_CHAT_PANEL (self));
  g_return_if_fail (generation == NULL || LB_IS_GENERATION (generation));
  g_return_if_fail (self->models != NULL);

  GtkLabel *question_label = add_question (self, question, question, NULL);
  add_answer (self, question_label, question, generation);
  set_answer_text (self, self->answers->len - 1, text);
  update_state (self);
}

GtkLabel *
lb_chat_panel_get_answer_label (LbChatPanel *self, guint index)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  g_return_val_if_fail (index < self->answers->len, NULL);
  return g_array_index (self->answers, Answer, index).text;
}

GtkLabel *
lb_chat_panel_get_question_label (LbChatPanel *self, guint index)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  g_return_val_if_fail (index < self->answers->len, NULL);
  return g_array_index (self->answers, Answer, index).question_label;
}

const char *
lb_chat_panel_get_question (LbChatPanel *self, guint index)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  g_return_val_if_fail (index < self->answers->len, NULL);
  return g_array_index (self->answers, Answer, index).question;
}

GtkFlowBox *
lb_chat_panel_get_suggestions (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  return self->suggestions;
}

guint
lb_chat_panel_get_n_answers (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), 0);
  return self->answers->len;
}

const char *
lb_chat_panel_get_answer (LbChatPanel *self, guint index)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  g_return_val_if_fail (index < self->answers->len, NULL);
  return g_array_index (self->answers, Answer, index).plain;
}

gboolean
lb_chat_panel_get_is_follow_up (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), FALSE);
  return self->session != NULL && !self->has_region;
}

guint
lb_chat_panel_get_n_past (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), 0);
  return self->session != NULL ? lb_session_get_n_past (self->session) : 0;
}

GtkEntry *
lb_chat_panel_get_entry (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  return self->entry;
}

const char *
lb_chat_panel_get_limits (LbChatPanel *self)
{
  g_return_val_if_fail (LB_IS_CHAT_PANEL (self), NULL);
  return gtk_label_get_label (self->limits_label);
}

/* ---- class --------------------------------------------------------------------- */

static void
lb_chat_panel_dispose (GObject *object)
{
  LbChatPanel *self = LB_CHAT_PANEL (object);

  if (self->generation != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->generation, self);
      lb_generation_stop (self->generation);
    }
  g_clear_object (&self->generation);
  g_clear_object (&self->session);
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_func (self->document, on_modality_changed, self);
  g_clear_object (&self->document);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_chat_panel_parent_class)->dispose (object);
}

static void
lb_chat_panel_finalize (GObject *object)
{
  LbChatPanel *self = LB_CHAT_PANEL (object);
  g_array_unref (self->answers);
  G_OBJECT_CLASS (lb_chat_panel_parent_class)->finalize (object);
}

static void
lb_chat_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbChatPanel *self = LB_CHAT_PANEL (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, lb_chat_panel_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_chat_panel_class_init (LbChatPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_chat_panel_dispose;
  object_class->finalize = lb_chat_panel_finalize;
  object_class->get_property = lb_chat_panel_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* An answer failed (not when stopped): the window shows it. */
  lb_chat_panel_signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  /* A sentence of an answer was clicked (lb-chat-panel.h). */
  lb_chat_panel_signals[SENTENCE_ACTIVATED] =
    g_signal_new ("sentence-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, LB_TYPE_GENERATION, G_TYPE_INT64, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-chat-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, demo_mark);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, scroller);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, messages);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, suggestions_box);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, suggestions);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, limits_label);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, region_revealer);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, region_label);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, entry);
  gtk_widget_class_bind_template_child (widget_class, LbChatPanel, button_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);

  gtk_widget_class_install_action (widget_class, "chat.ask", NULL, ask_action);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "chat.locate-findings", NULL, locate_findings_action);
  gtk_widget_class_install_action (widget_class, "chat.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "chat.clear-region", NULL, clear_region_action);
}

static void
lb_chat_panel_init (LbChatPanel *self)
{
  self->answers = g_array_new (FALSE, TRUE, sizeof (Answer));
  g_array_set_clear_func (self->answers, (GDestroyNotify) answer_clear);
  gtk_widget_init_template (GTK_WIDGET (self));
  lb_chat_panel_init_sentences (self);
  update_state (self);
}
