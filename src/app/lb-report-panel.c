/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-autosave.h"
#include "app/lb-generation.h"
#include "app/lb-report-format.h"
#include "app/lb-report-panel-private.h"

static GParamSpec *properties[N_PROPS];
guint lb_report_panel_signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbReportPanel, lb_report_panel, ADW_TYPE_BIN)

static GtkTextBuffer *
report_buffer (LbReportPanel *self)
{
  return gtk_text_view_get_buffer (self->report_view);
}

static char *
buffer_text (GtkTextBuffer *buffer)
{
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_status (LbReportPanel *self, const char *status)
{
  gtk_label_set_label (self->status_label, status != NULL ? status : "");
}

/* ---- state ----------------------------------------------------------------- */

static void
update_state (LbReportPanel *self)
{
  LbModelState state = self->models != NULL ? lb_model_manager_get_state (self->models) : LB_MODEL_STATE_NONE;
  gboolean running = lb_report_panel_get_running (self);
  gboolean has_text = gtk_text_buffer_get_char_count (report_buffer (self)) > 0;

  if (self->document == NULL)
    gtk_stack_set_visible_child_name (self->stack, "no-image");
  else if ((state == LB_MODEL_STATE_NONE || state == LB_MODEL_STATE_FAILED) && !has_text)
    gtk_stack_set_visible_child_name (self->stack, "no-model");
  else
    gtk_stack_set_visible_child_name (self->stack, "report");

  gtk_stack_set_visible_child_name (self->button_stack, running ? "stop" : "generate");
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_label), !has_text && !running);
  gtk_text_view_set_editable (self->report_view, !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->prompt_view), !running);

  /* The mark follows the model that wrote the draft, and the model loaded. */
  gboolean test_model = self->models != NULL && lb_model_manager_get_is_test_model (self->models)
                        && state == LB_MODEL_STATE_READY;
  gtk_widget_set_visible (GTK_WIDGET (self->demo_mark), test_model);

  gboolean can_generate = lb_report_panel_get_can_generate (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.generate", can_generate);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.copy", has_text);

  if (!running && state == LB_MODEL_STATE_LOADING && self->document != NULL)
    set_status (self, _("Waiting for the model to load…"));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_GENERATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
lb_report_panel_get_running (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), FALSE);
  return self->generation != NULL && lb_generation_get_running (self->generation);
}

gboolean
lb_report_panel_get_can_generate (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), FALSE);
  return self->document != NULL && self->models != NULL
         && lb_model_manager_get_state (self->models) == LB_MODEL_STATE_READY
         && !lb_report_panel_get_running (self);
}

/* ---- the prompt ------------------------------------------------------------ */

static char *
current_prompt (LbReportPanel *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  g_autofree char *text = buffer_text (buffer);
  return g_strstrip (g_steal_pointer (&text));
}

static void
load_prompt (LbReportPanel *self)
{
  if (self->settings == NULL)
    return;
  LbModality modality = self->document != NULL ? lb_document_get_modality (self->document) : LB_MODALITY_OTHER;
  g_autoptr(GVariant) prompts = g_settings_get_value (self->settings, "report-prompts");
  const char *prompt = NULL;
  if (!g_variant_lookup (prompts, lb_modality_id (modality), "&s", &prompt))
    prompt = lb_modality_default_prompt (modality);

  self->loading_prompt = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view), prompt, -1);
  self->loading_prompt = FALSE;

  g_autofree char *role = g_strdup_printf (_("Role: %s"), lb_modality_default_system (modality));
  gtk_label_set_label (self->role_label, role);
  g_autofree char *title = g_strdup_printf (_("Prompt — %s"), lb_modality_label (modality));
  gtk_expander_set_label (self->prompt_expander, title);
}

/* Stores the user's prompt for the modality (the default is not stored). */
static void
on_prompt_changed (GtkTextBuffer *buffer, LbReportPanel *self)
{
  if (self->loading_prompt || self->settings == NULL || self->document == NULL)
    return;

  LbModality modality = lb_document_get_modality (self->document);
  g_autofree char *prompt = current_prompt (self);
  gboolean is_default = g_strcmp0 (prompt, lb_modality_default_prompt (modality)) == 0;
  g_autoptr(GVariant) old = g_settings_get_value (self->settings, "report-prompts");
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *key, *value;
  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    if (g_strcmp0 (key, lb_modality_id (modality)) != 0)
      g_variant_builder_add (&builder, "{ss}", key, value);
  if (!is_default && *prompt != '\0')
    g_variant_builder_add (&builder, "{ss}", lb_modality_id (modality), prompt);
  g_settings_set_value (self->settings, "report-prompts", g_variant_builder_end (&builder));
}

static void
reset_prompt_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbReportPanel *self = LB_REPORT_PANEL (widget);
  LbModality modality = self->document != NULL ? lb_document_get_modality (self->document) : LB_MODALITY_OTHER;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view),
                            lb_modality_default_prompt (modality), -1);
}

/* ---- the draft ----------------------------------------------------------------- */

static char *
provenance (LbReportPanel *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M");
  const char *image = self->document != NULL ? lb_document_get_title (self->document) : "";
  const char *model = self->generated_by != NULL ? self->generated_by : _("an unknown model");
  return g_strdup_printf (_("AI draft — verify before use. Not a diagnosis.\n"
                            "Drafted by %s in Lightbox %s from the image %s; copied %s."),
                          model, PACKAGE_VERSION, image, date);
}

static void
save_draft (LbReportPanel *self)
{
  if (self->autosave == NULL || self->settings == NULL
      || !g_settings_get_boolean (self->settings, "autosave-reports"))
    return;
  g_autofree char *text = buffer_text (report_buffer (self));
  g_autofree char *header = g_strdup_printf ("image: %s\nmodel: %s\nAI draft — verify before use.",
                                             self->document != NULL ? lb_document_get_key (self->document) : "",
                                             self->generated_by != NULL ? self->generated_by : "");
  lb_autosave_set_provenance (self->autosave, header);
  lb_autosave_changed (self->autosave, text);
}

static void
on_report_changed (GtkTextBuffer *buffer, LbReportPanel *self)
{
  if (!self->streaming && !self->loading)
    {
      self->edited = TRUE;
      save_draft (self);
      /* Its offsets were the generation's; the text no longer is. */
      if (self->highlight_start >= 0)
        lb_report_panel_highlight_sentence (self, NULL, -1, -1);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_label),
                          gtk_text_buffer_get_char_count (buffer) == 0 && !lb_report_panel_get_running (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "report.copy", gtk_text_buffer_get_char_count (buffer) > 0);
}

static gboolean
scrolled_to_bottom (LbReportPanel *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->report_scroller);
  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 24;
}

static void
on_text_appended (LbGeneration *generation, const char *chunk, LbReportPanel *self)
{
  GtkTextBuffer *buffer = report_buffer (self);
  gboolean follow = scrolled_to_bottom (self);
  GtkTextIter end;

  g_string_append (self->answer, chunk);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, chunk, -1);
  /* Format the lines this batch completed; the last one may still grow. */
  int last = gtk_text_buffer_get_line_count (buffer) - 1;
  if (last > self->format_from_line)
    {
      lb_report_format_lines (buffer, self->format_from_line, last - 1);
      self->format_from_line = last;
      /* Formatting a line replaces its text, and the mark with it. */
      if (self->highlight_start >= 0)
        lb_report_panel_apply_highlight (self, FALSE);
    }
  if (follow)
    {
      gtk_text_buffer_get_end_iter (buffer, &end);
      GtkTextMark *mark = gtk_text_buffer_get_insert (buffer);
      gtk_text_buffer_place_cursor (buffer, &end);
      gtk_text_view_scroll_mark_onscreen (self->report_view, mark);
    }
}

static void
on_generation_status (LbGeneration *generation, GParamSpec *pspec, LbReportPanel *self)
{
  const char *status = lb_generation_get_status (generation);
  double rate = lb_generation_get_tokens_per_second (generation);
  if (lb_generation_get_running (generation) && rate > 0)
    {
      g_autofree char *text = g_strdup_printf (_("Writing… %u tokens · %.1f tokens/s"),
                                               lb_generation_get_n_tokens (generation), rate);
      set_status (self, text);
    }
  else
    set_status (self, status);
}

/* The model stopped writing: the last lines are formatted, the draft
 * becomes the user's to edit. */
static void
finish_draft (LbReportPanel *self)
{
  GtkTextBuffer *buffer = report_buffer (self);
  int last = gtk_text_buffer_get_line_count (buffer) - 1;
  lb_report_format_lines (buffer, self->format_from_line, last);
  /* Trailing blank lines are noise. */
  GtkTextIter start, end;
  gtk_text_buffer_get_end_iter (buffer, &end);
  start = end;
  while (gtk_text_iter_backward_char (&start) && g_unichar_isspace (gtk_text_iter_get_char (&start)))
    ;
  if (!gtk_text_iter_is_end (&start))
    gtk_text_iter_forward_char (&start);
  gtk_text_buffer_delete (buffer, &start, &end);
  self->streaming = FALSE;
  self->edited = FALSE;
  if (self->highlight_start >= 0)
    lb_report_panel_apply_highlight (self, FALSE);
}

static void
on_generation_finished (LbGeneration *generation, LbReportPanel *self)
{
  finish_draft (self);

  const GError *error = lb_generation_get_error (generation);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *status = g_strdup_printf (_("Stopped after %u tokens"), lb_generation_get_n_tokens (generation));
      set_status (self, status);
    }
  else if (error != NULL)
    {
      set_status (self, error->message);
      g_signal_emit (self, lb_report_panel_signals[ERROR], 0, error);
    }
  else
    on_generation_status (generation, NULL, self);

  save_draft (self);
  update_state (self);
}

/* An empty draft that generation is about to write. */
static void
begin_draft (LbReportPanel *self, LbGeneration *generation)
{
  if (self->generation != NULL)
    g_signal_handlers_disconnect_by_data (self->generation, self);
  g_set_object (&self->generation, generation);
  g_signal_connect (generation, "text-appended", G_CALLBACK (on_text_appended), self);
  g_signal_connect (generation, "finished", G_CALLBACK (on_generation_finished), self);
  g_signal_connect (generation, "notify::status", G_CALLBACK (on_generation_status), self);
  g_signal_connect (generation, "notify::tokens-per-second", G_CALLBACK (on_generation_status), self);

  GtkTextBuffer *buffer = report_buffer (self);
  self->streaming = TRUE;
  self->highlight_start = self->highlight_end = -1;
  g_string_truncate (self->answer, 0);
  gtk_text_buffer_set_text (buffer, "", 0);
  g_free (self->generated_by);
  self->generated_by = g_strdup (lb_model_manager_get_model_name (self->models));
  g_clear_pointer (&self->prefix, g_free);
  if (lb_model_manager_get_is_test_model (self->models))
    {
      /* The mark is part of the output: it goes wherever the text goes.
       * Its tag stops before the line break, as format_line tags a
       * restored mark: GTK 4.8's text layout carries the style a line
       * ends with over to the next line it lays out, so a tag over a
       * '\n' paints a later line whenever the one in between is still
       * laid out (a highlight on it made every line under it the mark). */
      GtkTextIter end;
      self->prefix = g_strdup (LB_DEMO_OUTPUT_MARK "\n");
      lb_report_format_setup (buffer);
      gtk_text_buffer_get_end_iter (buffer, &end);
      gtk_text_buffer_insert_with_tags_by_name (buffer, &end, LB_DEMO_OUTPUT_MARK, -1, "mark", NULL);
      gtk_text_buffer_insert (buffer, &end, "\n", -1);
    }
  else
    self->prefix = g_strdup ("");
  self->format_from_line = gtk_text_buffer_get_line_count (buffer) - 1;
  self->prefix_lines = self->format_from_line;
}

static void
start_generation (LbReportPanel *self)
{
  g_autoptr(LbSession) session = lb_model_manager_new_session (self->models);
  if (session == NULL)
    return;

  g_autoptr(LbGeneration) generation = lb_generation_new (self->models, session);
  lb_generation_set_capture_attention (generation, self->capture_attention);
  begin_draft (self, generation);

  LbModality modality = lb_document_get_modality (self->document);
  g_autofree char *prompt = current_prompt (self);
  if (*prompt == '\0')
    {
      g_free (prompt);
      prompt = g_strdup (lb_modality_default_prompt (modality));
    }
  LbSamplingParams sampling;
  if (lb_model_manager_get_is_test_model (self->models))
    {
      /* Greedy decoding of random weights repeats one token forever
       * (often a newline): sample, so the demo shows text streaming. It
       * is noise either way, and marked as such. */
      lb_sampling_params_init_chat (&sampling, (guint64) g_get_real_time ());
    }
  else
    lb_sampling_params_init_greedy (&sampling);
  guint max_tokens = self->settings != NULL ? g_settings_get_uint (self->settings, "report-max-tokens") : 1024;
  lb_generation_start (self->generation, self->document, NULL, lb_modality_default_system (modality),
                       prompt, &sampling, max_tokens);
  update_state (self);
}

static void
on_replace_response (AdwMessageDialog *dialog, const char *response, LbReportPanel *self)
{
  if (g_strcmp0 (response, "replace") == 0 && lb_report_panel_get_can_generate (self))
    start_generation (self);
}

void
lb_report_panel_generate (LbReportPanel *self)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  if (!lb_report_panel_get_can_generate (self))
    return;

  if (self->edited && gtk_text_buffer_get_char_count (report_buffer (self)) > 0)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
        adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                _("Replace Your Edited Report?"),
                                _("A new draft replaces the text, including your edits. Copy them first if you need them.")));
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "replace", _("_Replace"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "replace", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "cancel");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_replace_response), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  start_generation (self);
}

void
lb_report_panel_stop (LbReportPanel *self)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  if (self->generation != NULL)
    lb_generation_stop (self->generation);
}

char *
lb_report_panel_get_text (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  return buffer_text (report_buffer (self));
}

char *
lb_report_panel_get_text_with_provenance (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  g_autofree char *text = buffer_text (report_buffer (self));
  g_autofree char *header = provenance (self);
  return g_strdup_printf ("%s\n\n%s\n", header, text);
}

void
lb_report_panel_copy (LbReportPanel *self)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  g_autofree char *text = lb_report_panel_get_text_with_provenance (self);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", _("Report copied, with its provenance"));
}

void
lb_report_panel_flush (LbReportPanel *self)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  g_autoptr(GError) error = NULL;
  if (self->autosave != NULL && !lb_autosave_flush (self->autosave, &error))
    g_warning ("Saving the report failed: %s", error->message);
}

void
lb_report_panel_set_keep_drafts (LbReportPanel *self, gboolean keep)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  self->ephemeral = !keep;
}

static void
generate_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_report_panel_generate (LB_REPORT_PANEL (widget));
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_report_panel_stop (LB_REPORT_PANEL (widget));
}

static void
copy_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_report_panel_copy (LB_REPORT_PANEL (widget));
}

/* ---- document and model ------------------------------------------------------- */

static void
on_modality_changed (LbDocument *document, GParamSpec *pspec, LbReportPanel *self)
{
  load_prompt (self);
}

static void
on_model_state (LbModelManager *models, GParamSpec *pspec, LbReportPanel *self)
{
  update_state (self);
}

void
lb_report_panel_set_document (LbReportPanel *self, LbDocument *document)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));

  if (document == self->document)
    return;
  lb_report_panel_stop (self);
  if (self->generation != NULL)
    g_signal_handlers_disconnect_by_data (self->generation, self);
  g_clear_object (&self->generation);
  self->streaming = FALSE;
  self->highlight_start = self->highlight_end = -1;
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_func (self->document, on_modality_changed, self);
  g_clear_object (&self->autosave); /* writes what is pending */
  g_set_object (&self->document, document);

  self->loading = TRUE;
  gtk_text_buffer_set_text (report_buffer (self), "", 0);
  set_status (self, "");
  self->edited = FALSE;
  g_clear_pointer (&self->generated_by, g_free);
  if (document != NULL)
    {
      g_signal_connect (document, "notify::modality", G_CALLBACK (on_modality_changed), self);
      self->autosave = self->ephemeral ? NULL : lb_autosave_new (lb_document_get_key (document));
      g_autoptr(GDateTime) saved = NULL;
      g_autofree char *draft = self->autosave != NULL ? lb_autosave_load (self->autosave, &saved) : NULL;
      if (draft != NULL && *draft != '\0')
        {
          GtkTextBuffer *buffer = report_buffer (self);
          gtk_text_buffer_set_text (buffer, draft, -1);
          lb_report_format_lines (buffer, 0, gtk_text_buffer_get_line_count (buffer) - 1);
          self->edited = TRUE;
          g_autofree char *when = saved != NULL ? g_date_time_format (saved, "%H:%M") : g_strdup ("");
          g_autofree char *status = g_strdup_printf (_("Draft restored (saved %s)"), when);
          set_status (self, status);
        }
    }
  self->loading = FALSE;
  load_prompt (self);
  update_state (self);
}

void
lb_report_panel_setup (LbReportPanel *self, GSettings *settings, LbModelManager *models)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  g_return_if_fail (self->models == NULL);

  self->settings = g_object_ref (settings);
  self->models = g_object_ref (models);
  g_signal_connect_object (models, "notify::state", G_CALLBACK (on_model_state), self, 0);
  g_signal_connect_object (models, "notify::is-test-model", G_CALLBACK (on_model_state), self, 0);
  load_prompt (self);
  update_state (self);
}

LbGeneration *
lb_report_panel_get_generation (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  return self->generation;
}

void
lb_report_panel_set_capture_attention (LbReportPanel *self, gboolean capture)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  self->capture_attention = capture;
}

/* ---- tests ------------------------------------------------------------------- */

void
lb_report_panel_stream_for_test (LbReportPanel *self, LbGeneration *generation, const char *chunk,
                                 gboolean last)
{
  g_return_if_fail (LB_IS_REPORT_PANEL (self));
  g_return_if_fail (LB_IS_GENERATION (generation));
  g_return_if_fail (self->models != NULL);

  if (generation != self->generation || !self->streaming)
    begin_draft (self, generation);
  if (chunk != NULL && *chunk != '\0')
    on_text_appended (generation, chunk, self);
  if (last)
    {
      finish_draft (self);
      update_state (self);
    }
}

GtkTextView *
lb_report_panel_get_text_view (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  return self->report_view;
}

const char *
lb_report_panel_get_status (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  return gtk_label_get_label (self->status_label);
}

const char *
lb_report_panel_get_autosave_path (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), NULL);
  return self->autosave != NULL ? lb_autosave_get_path (self->autosave) : NULL;
}

gboolean
lb_report_panel_get_demo_mark_visible (LbReportPanel *self)
{
  g_return_val_if_fail (LB_IS_REPORT_PANEL (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->demo_mark));
}

/* ---- class ------------------------------------------------------------------ */

static void
lb_report_panel_dispose (GObject *object)
{
  LbReportPanel *self = LB_REPORT_PANEL (object);

  if (self->generation != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->generation, self);
      lb_generation_stop (self->generation);
    }
  g_clear_object (&self->generation);
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_func (self->document, on_modality_changed, self);
  g_clear_object (&self->autosave);
  g_clear_object (&self->document);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_report_panel_parent_class)->dispose (object);
}

static void
lb_report_panel_finalize (GObject *object)
{
  LbReportPanel *self = LB_REPORT_PANEL (object);
  g_free (self->generated_by);
  g_free (self->prefix);
  g_string_free (self->answer, TRUE);
  G_OBJECT_CLASS (lb_report_panel_parent_class)->finalize (object);
}

static void
lb_report_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbReportPanel *self = LB_REPORT_PANEL (object);

  switch (prop_id)
    {
    case PROP_CAN_GENERATE:
      g_value_set_boolean (value, lb_report_panel_get_can_generate (self));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, lb_report_panel_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sentence_regions_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_report_panel_activate_cursor_sentence (LB_REPORT_PANEL (widget));
}

static void
lb_report_panel_class_init (LbReportPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_report_panel_dispose;
  object_class->finalize = lb_report_panel_finalize;
  object_class->get_property = lb_report_panel_get_property;

  properties[PROP_CAN_GENERATE] =
    g_param_spec_boolean ("can-generate", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A generation failed (not when stopped): the window shows it. */
  lb_report_panel_signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  /* A sentence of the draft was clicked (lb-report-panel.h). */
  lb_report_panel_signals[SENTENCE_ACTIVATED] =
    g_signal_new ("sentence-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, LB_TYPE_GENERATION, G_TYPE_INT64, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-report-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, demo_mark);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, prompt_expander);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, role_label);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, report_scroller);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, report_view);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, LbReportPanel, button_stack);

  gtk_widget_class_install_action (widget_class, "report.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "report.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "report.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "report.reset-prompt", NULL, reset_prompt_action);
  gtk_widget_class_install_action (widget_class, "report.sentence-regions", NULL, sentence_regions_action);
}

static void
lb_report_panel_init (LbReportPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->answer = g_string_new (NULL);

  lb_report_format_setup (report_buffer (self));
  lb_report_panel_init_sentences (self); /* after the format's tags: its own paints over them */
  g_signal_connect (report_buffer (self), "changed", G_CALLBACK (on_report_changed), self);
  g_signal_connect (gtk_text_view_get_buffer (self->prompt_view), "changed", G_CALLBACK (on_prompt_changed), self);
  update_state (self);
}
