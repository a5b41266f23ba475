/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-regions-private.h"
#include "regions/regions.h"

GParamSpec *lb_regions_properties[LB_REGIONS_N_PROPS];

enum {
  ERROR,
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LbRegions, lb_regions, G_TYPE_OBJECT)

static const char *const source_names[] = { "answer", "sentence", "token", "occlusion" };

/* What each answer was written by: the report panel or the chat, and
 * which model load. */
static GQuark report_quark;
static GQuark serial_quark;

static gboolean
is_report (LbRegionAnswer *answer)
{
  return answer != NULL && g_object_get_qdata (G_OBJECT (answer), report_quark) != NULL;
}

guint
lb_regions_answer_serial (LbRegionAnswer *answer)
{
  return GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (answer), serial_quark));
}

void
lb_regions_emit_error (LbRegions *self, const GError *error)
{
  g_signal_emit (self, signals[ERROR], 0, error);
}

void
lb_regions_emit_toast (LbRegions *self, const char *text)
{
  g_signal_emit (self, signals[TOAST], 0, text);
}

void
lb_regions_set_string (LbRegions *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  if (prop != 0)
    g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[prop]);
}

/* ---- linking with the panels (issue 9) ------------------------------------------------ */

/* Marks (or with start -1 clears) a sentence of answer in its panel: the
 * panels mark nothing themselves. */
static void
highlight_in_panels (LbRegions *self, LbRegionAnswer *answer, gssize start, gssize end)
{
  if (answer == NULL || self->report == NULL)
    return;
  LbGeneration *generation = lb_region_answer_get_generation (answer);
  if (is_report (answer))
    lb_report_panel_highlight_sentence (self->report, generation, start, end);
  else
    lb_chat_panel_highlight_sentence (self->chat, generation, start, end);
}

static void
on_sentence_activated (GtkWidget *panel, LbGeneration *generation, gint64 start, gint64 end, LbRegions *self)
{
  lb_regions_select_sentence (self, generation, (gssize) start, (gssize) end);
}

/* Whether the chat still shows the answer generation wrote (not after
 * a new conversation). */
static gboolean
chat_shows (LbRegions *self, LbGeneration *generation)
{
  guint n = lb_chat_panel_get_n_answers (self->chat);
  for (guint i = 0; i < n; i++)
    if (lb_chat_panel_get_answer_generation (self->chat, i) == generation)
      return TRUE;
  return FALSE;
}

/* The "Locate findings" preset, in the chat. */
static void
locate_findings (LbRegions *self)
{
  if (lb_chat_panel_get_running (self->chat))
    return;
  g_settings_set_boolean (self->settings, "sidebar-visible", TRUE);
  g_settings_set_string (self->settings, "sidebar-page", "chat");
  lb_chat_panel_locate_findings (self->chat);
}

/* ---- overlays ---------------------------------------------------------- */

static void
update_overlays (LbRegions *self)
{
  LbImageOverlay *heatmap = LB_IMAGE_OVERLAY (self->heatmap);
  LbImageOverlay *boxes = LB_IMAGE_OVERLAY (self->boxes);

  if (self->overlays_added)
    {
      lb_image_view_remove_overlay (self->view, heatmap);
      lb_image_view_remove_overlay (self->view, boxes);
      self->overlays_added = FALSE;
    }
  if (self->model_input_shown)
    return;
  /* The heat map first, so that the boxes are drawn on top. */
  if (self->show_heatmap)
    lb_image_view_add_overlay (self->view, heatmap);
  lb_image_view_add_overlay (self->view, boxes);
  self->overlays_added = TRUE;
}

/* ---- answers and the selection ------------------------------------------------------------ */

static void
on_answer_changed (LbRegionAnswer *answer, LbRegions *self)
{
  if (answer != self->answer)
    return;
  const LbModelInput *input = lb_region_answer_get_model_input (answer);
  lb_box_overlay_set_boxes (self->boxes, input != NULL ? lb_region_answer_get_boxes (answer) : NULL, input);
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_N_TOKENS]);
  /* The heat map once the answer is complete: rendering it for every
   * batch would cost more than the streaming. */
  if (lb_region_answer_get_finished (answer))
    lb_regions_update (self);
  else
    lb_regions_update_status (self);
}

static void
select_answer (LbRegions *self, LbRegionAnswer *answer)
{
  if (answer != self->answer)
    {
      highlight_in_panels (self, self->answer, -1, -1);
      g_set_object (&self->answer, answer);
      self->sentence_start = self->sentence_end = -1;
      self->box = -1;
      self->token = 0;
      lb_box_overlay_highlight_box (self->boxes, -1);
      g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_TOKEN]);
    }
  const LbModelInput *input = answer != NULL ? lb_region_answer_get_model_input (answer) : NULL;
  lb_box_overlay_set_boxes (self->boxes, input != NULL ? lb_region_answer_get_boxes (answer) : NULL, input);
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_N_TOKENS]);
  lb_regions_update (self);
}

static void
drop_answer (LbRegions *self, guint index)
{
  LbRegionAnswer *answer = g_ptr_array_index (self->answers, index);

  lb_regions_occlusion_forget (self, answer);
  g_signal_handlers_disconnect_by_data (answer, self);
  if (answer == self->answer)
    {
      highlight_in_panels (self, answer, -1, -1);
      g_clear_object (&self->answer);
    }
  /* The conversation goes once none of its answers is kept (a replaced
   * report, a chat cleared): its generations hold the image. */
  LbSession *session = lb_generation_get_session (lb_region_answer_get_generation (answer));
  gboolean kept = FALSE;
  for (guint i = 0; i < self->answers->len && !kept; i++)
    kept = i != index && lb_generation_get_session (lb_region_answer_get_generation (
                           g_ptr_array_index (self->answers, i))) == session;
  if (!kept && self->conversations != NULL)
    g_hash_table_remove (self->conversations, session);
  g_ptr_array_remove_index (self->answers, index);
}

static LbRegionAnswer *
find_answer (LbRegions *self, LbGeneration *generation)
{
  for (guint i = 0; i < self->answers->len; i++)
    {
      LbRegionAnswer *answer = g_ptr_array_index (self->answers, i);
      if (lb_region_answer_get_generation (answer) == generation)
        return answer;
    }
  return NULL;
}

static void
add_answer (LbRegions *self, LbGeneration *generation, gboolean report)
{
  LbSession *session = lb_generation_get_session (generation);
  GPtrArray *conversation = g_hash_table_lookup (self->conversations, session);
  if (conversation == NULL)
    {
      conversation = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->conversations, g_object_ref (session), conversation);
    }

  /* A new report replaces the last one: its regions go with it. */
  for (guint i = self->answers->len; report && i-- > 0;)
    if (is_report (g_ptr_array_index (self->answers, i)))
      drop_answer (self, i);

  g_autofree char *label = report ? g_strdup (_("Report")) : g_strdup_printf (_("Answer %u"), ++self->n_chat_answers);
  LbRegionAnswer *answer = lb_region_answer_new (generation, conversation, label);
  g_ptr_array_add (conversation, g_object_ref (generation));
  g_object_set_qdata (G_OBJECT (answer), report_quark, GINT_TO_POINTER (report));
  g_object_set_qdata (G_OBJECT (answer), serial_quark, GUINT_TO_POINTER (self->model_serial));
  g_signal_connect (answer, "changed", G_CALLBACK (on_answer_changed), self);
  g_ptr_array_add (self->answers, answer);

  /* Bounded: the oldest answers go, unless an occlusion map is being
   * computed for it (the new one is selected below). */
  for (guint i = 0; self->answers->len > LB_REGIONS_MAX_ANSWERS && i < self->answers->len - 1;)
    if (lb_regions_occlusion_targets (self, g_ptr_array_index (self->answers, i)))
      i++;
    else
      drop_answer (self, i);

  /* Follow the answer being written; it has no occlusion map yet. */
  if (self->source == LB_REGIONS_SOURCE_OCCLUSION)
    g_action_group_change_action_state (G_ACTION_GROUP (self->actions), "regions-source",
                                        g_variant_new_string ("answer"));
  select_answer (self, answer);
}

static void
on_panel_running (GObject *panel, GParamSpec *pspec, LbRegions *self)
{
  gboolean report = LB_IS_REPORT_PANEL (panel);
  LbGeneration *generation = report ? lb_report_panel_get_generation (self->report)
                                    : lb_chat_panel_get_generation (self->chat);

  if (!report)
    for (guint i = self->answers->len; i-- > 0;)
      {
        LbRegionAnswer *answer = g_ptr_array_index (self->answers, i);
        LbGeneration *g = lb_region_answer_get_generation (answer);
        if (!is_report (answer) && g != generation && !chat_shows (self, g))
          drop_answer (self, i);
      }
  if (generation != NULL && lb_generation_get_running (generation) && find_answer (self, generation) == NULL)
    add_answer (self, generation, report);
  else if (self->answer == NULL)
    lb_regions_update (self);
}

void
lb_regions_select_sentence (LbRegions *self, LbGeneration *generation, gssize start, gssize end)
{
  g_return_if_fail (LB_IS_REGIONS (self));

  LbRegionAnswer *answer = generation != NULL ? find_answer (self, generation) : NULL;
  if (answer == NULL)
    return;
  if (answer != self->answer)
    select_answer (self, answer);
  self->sentence_start = start >= 0 ? start : -1;
  self->sentence_end = start >= 0 ? end : -1;
  self->box = -1;
  lb_box_overlay_highlight_sentence (self->boxes, self->sentence_start);
  guint token;
  if (start >= 0 && lb_region_answer_find_token (answer, (gsize) start, (gsize) end, &token))
    lb_regions_set_token (self, token);
  highlight_in_panels (self, answer, self->sentence_start, self->sentence_end);
  lb_regions_update (self);
}

/* Selects box (-1: none) and its sentence, here and in its panel. */
static void
select_box (LbRegions *self, int box)
{
  gssize start = -1, end = -1;
  guint token;

  if (box < 0 || box >= (int) lb_box_overlay_get_n_boxes (self->boxes))
    box = -1;
  if (box >= 0)
    lb_box_overlay_get_sentence (self->boxes, (guint) box, &start, &end);
  self->box = box;
  self->sentence_start = start;
  self->sentence_end = end;
  lb_box_overlay_highlight_box (self->boxes, box);
  if (start >= 0 && lb_region_answer_find_token (self->answer, (gsize) start, (gsize) end, &token))
    lb_regions_set_token (self, token);
  highlight_in_panels (self, self->answer, start, end);
  lb_regions_update (self);
}

gboolean
lb_regions_click (LbRegions *self, double x, double y)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), FALSE);

  if (self->answer == NULL || self->model_input_shown || lb_image_view_get_region_mode (self->view))
    return FALSE;
  int box = lb_box_overlay_hit_test (self->boxes, self->view, x, y);
  select_box (self, box);
  return box >= 0;
}

static void
on_click_released (GtkGestureClick *gesture, int n_press, double x, double y, LbRegions *self)
{
  if (n_press == 1)
    lb_regions_click (self, x, y);
}

void
lb_regions_clear (LbRegions *self)
{
  g_return_if_fail (LB_IS_REGIONS (self));

  while (self->answers->len > 0)
    drop_answer (self, self->answers->len - 1);
  g_hash_table_remove_all (self->conversations);
  self->n_chat_answers = 0;
  select_answer (self, NULL);
}

/* ---- models --------------------------------------------------------------------------- */

static void
on_model_state (LbModelManager *models, GParamSpec *pspec, LbRegions *self)
{
  /* Another model (or none): the answers' tokens mean nothing to it. */
  if (lb_model_manager_get_state (models) != LB_MODEL_STATE_READY)
    {
      self->model_serial++;
      lb_regions_cancel_occlusion (self);
    }
  lb_regions_update_actions (self);
}

/* ---- actions ---------------------------------------------------------------------------- */

static void
show_attention_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbRegions *self = user_data;
  g_simple_action_set_state (action, state);
  self->show_heatmap = g_variant_get_boolean (state);
  /* New answers capture attention while the heat map is shown. */
  lb_report_panel_set_capture_attention (self->report, self->show_heatmap);
  lb_chat_panel_set_capture_attention (self->chat, self->show_heatmap);
  update_overlays (self);
}

static void
source_action (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  LbRegions *self = user_data;
  const char *name = g_variant_get_string (state, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (source_names); i++)
    if (g_str_equal (name, source_names[i]))
      {
        g_simple_action_set_state (action, state);
        self->source = i;
        g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_SOURCE_LABEL]);
        g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_TOKEN_MODE]);
        lb_regions_update (self);
        return;
      }
}

static void
occlusion_map_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_regions_start_occlusion (user_data);
}

static void
cancel_occlusion_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_regions_cancel_occlusion (user_data);
}

/* The keyboard's (and --action's) way to what a click on a box does. */
static void
select_box_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbRegions *self = user_data;
  if (self->answer != NULL)
    select_box (self, g_variant_get_int32 (parameter));
}

static void
locate_findings_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  locate_findings (user_data);
}

static const GActionEntry entries[] = {
  { "show-attention", NULL, NULL, "true", show_attention_action },
  { "regions-source", NULL, "s", "'answer'", source_action },
  { "occlusion-map", occlusion_map_action },
  { "cancel-occlusion", cancel_occlusion_action },
  { "locate-findings", locate_findings_action },
  { "select-box", select_box_action, "i" },
};

/* ---- public ---------------------------------------------------------------------------- */

void
lb_regions_setup (LbRegions *self, GSettings *settings, LbModelManager *models, LbReportPanel *report,
                  LbChatPanel *chat, GActionMap *actions)
{
  g_return_if_fail (LB_IS_REGIONS (self));
  g_return_if_fail (self->actions == NULL);

  self->settings = g_object_ref (settings);
  self->models = g_object_ref (models);
  self->report = report;
  self->chat = chat;
  self->actions = actions;

  g_action_map_add_action_entries (actions, entries, G_N_ELEMENTS (entries), self);
  g_autoptr(GAction) colormap = g_settings_create_action (settings, "heatmap-colormap");
  g_action_map_add_action (actions, colormap);
  g_autoptr(GAction) grid = g_settings_create_action (settings, "occlusion-grid");
  g_action_map_add_action (actions, grid);
  g_settings_bind (settings, "heatmap-colormap", self->heatmap, "colormap", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "heatmap-opacity", self->heatmap, "opacity", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (report, "notify::running", G_CALLBACK (on_panel_running), self, 0);
  g_signal_connect_object (chat, "notify::running", G_CALLBACK (on_panel_running), self, 0);
  g_signal_connect_object (models, "notify::state", G_CALLBACK (on_model_state), self, 0);
  g_signal_connect_object (report, "sentence-activated", G_CALLBACK (on_sentence_activated), self, 0);
  g_signal_connect_object (chat, "sentence-activated", G_CALLBACK (on_sentence_activated), self, 0);
  lb_report_panel_set_capture_attention (report, TRUE);
  lb_chat_panel_set_capture_attention (chat, TRUE);
  update_overlays (self);
  lb_regions_update (self);
}

void
lb_regions_set_model_input_shown (LbRegions *self, gboolean shown)
{
  g_return_if_fail (LB_IS_REGIONS (self));
  self->model_input_shown = shown;
  update_overlays (self);
}

LbHeatmapOverlay *
lb_regions_get_heatmap_overlay (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), NULL);
  return self->heatmap;
}

LbBoxOverlay *
lb_regions_get_box_overlay (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), NULL);
  return self->boxes;
}

LbRegionsSource
lb_regions_get_source (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), LB_REGIONS_SOURCE_ANSWER);
  return self->source;
}

const char *
lb_regions_get_status (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), NULL);
  return self->status != NULL ? self->status : "";
}

LbRegionAnswer *
lb_regions_get_answer (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), NULL);
  return self->answer;
}

void
lb_regions_get_sentence (LbRegions *self, gssize *out_start, gssize *out_end)
{
  g_return_if_fail (LB_IS_REGIONS (self));
  if (out_start != NULL)
    *out_start = self->sentence_start;
  if (out_end != NULL)
    *out_end = self->sentence_end;
}

guint
lb_regions_get_token (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), 0);
  return self->token;
}

void
lb_regions_set_token (LbRegions *self, guint token)
{
  g_return_if_fail (LB_IS_REGIONS (self));
  if (token == self->token)
    return;
  self->token = token;
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_TOKEN]);
  if (self->source == LB_REGIONS_SOURCE_TOKEN)
    lb_regions_update (self);
}

int
lb_regions_get_box (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), -1);
  return self->box;
}

guint
lb_regions_get_n_answers (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), 0);
  return self->answers->len;
}

/* ---- the object ------------------------------------------------------------------------ */

static void
lb_regions_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbRegions *self = LB_REGIONS (object);

  switch (prop_id)
    {
    case LB_REGIONS_PROP_STATUS:
      g_value_set_string (value, lb_regions_get_status (self));
      break;
    case LB_REGIONS_PROP_SOURCE_LABEL:
      g_value_set_string (value, lb_regions_source_label (self->source));
      break;
    case LB_REGIONS_PROP_TOKEN:
      g_value_set_uint (value, self->token);
      break;
    case LB_REGIONS_PROP_N_TOKENS:
      g_value_set_uint (value, self->answer != NULL ? lb_region_answer_get_n_tokens (self->answer) : 0);
      break;
    case LB_REGIONS_PROP_TOKEN_MODE:
      g_value_set_boolean (value, self->source == LB_REGIONS_SOURCE_TOKEN);
      break;
    case LB_REGIONS_PROP_OCCLUSION_RUNNING:
      g_value_set_boolean (value, self->job != NULL);
      break;
    case LB_REGIONS_PROP_OCCLUSION_FRACTION:
      g_value_set_double (value, self->occlusion_fraction);
      break;
    case LB_REGIONS_PROP_OCCLUSION_TEXT:
      g_value_set_string (value, lb_regions_get_occlusion_text (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_regions_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbRegions *self = LB_REGIONS (object);

  switch (prop_id)
    {
    case LB_REGIONS_PROP_TOKEN:
      lb_regions_set_token (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_regions_dispose (GObject *object)
{
  LbRegions *self = LB_REGIONS (object);

  /* The window is going: nothing of it is touched from here on, and its
   * actions (which point at us) go first. */
  if (self->actions != NULL)
    for (gsize i = 0; i < G_N_ELEMENTS (entries); i++)
      g_action_map_remove_action (self->actions, entries[i].name);
  self->report = NULL;
  self->chat = NULL;
  self->actions = NULL;
  lb_regions_cancel_occlusion (self);
  if (self->answers != NULL)
    while (self->answers->len > 0)
      drop_answer (self, self->answers->len - 1);
  if (self->view != NULL && self->overlays_added)
    {
      lb_image_view_remove_overlay (self->view, LB_IMAGE_OVERLAY (self->heatmap));
      lb_image_view_remove_overlay (self->view, LB_IMAGE_OVERLAY (self->boxes));
      self->overlays_added = FALSE;
    }
  g_clear_object (&self->view);
  g_clear_object (&self->settings);
  g_clear_object (&self->models);
  g_clear_pointer (&self->conversations, g_hash_table_unref);
  G_OBJECT_CLASS (lb_regions_parent_class)->dispose (object);
}

static void
lb_regions_finalize (GObject *object)
{
  LbRegions *self = LB_REGIONS (object);

  g_clear_object (&self->heatmap);
  g_clear_object (&self->boxes);
  g_ptr_array_unref (self->answers);
  g_free (self->status);
  g_free (self->hint);
  g_free (self->occlusion_text);
  G_OBJECT_CLASS (lb_regions_parent_class)->finalize (object);
}

static void
lb_regions_class_init (LbRegionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_regions_get_property;
  object_class->set_property = lb_regions_set_property;
  object_class->dispose = lb_regions_dispose;
  object_class->finalize = lb_regions_finalize;

  report_quark = g_quark_from_static_string ("lb-regions-report");
  serial_quark = g_quark_from_static_string ("lb-regions-model-serial");

  lb_regions_properties[LB_REGIONS_PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, "", flags);
  lb_regions_properties[LB_REGIONS_PROP_SOURCE_LABEL] = g_param_spec_string ("source-label", NULL, NULL, "", flags);
  lb_regions_properties[LB_REGIONS_PROP_TOKEN] =
    g_param_spec_uint ("token", NULL, NULL, 0, G_MAXUINT, 0, flags | G_PARAM_WRITABLE);
  lb_regions_properties[LB_REGIONS_PROP_N_TOKENS] = g_param_spec_uint ("n-tokens", NULL, NULL, 0, G_MAXUINT, 0, flags);
  lb_regions_properties[LB_REGIONS_PROP_TOKEN_MODE] = g_param_spec_boolean ("token-mode", NULL, NULL, FALSE, flags);
  lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_RUNNING] =
    g_param_spec_boolean ("occlusion-running", NULL, NULL, FALSE, flags);
  lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_FRACTION] =
    g_param_spec_double ("occlusion-fraction", NULL, NULL, 0, 1, 0, flags);
  lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_TEXT] = g_param_spec_string ("occlusion-text", NULL, NULL, "", flags);
  g_object_class_install_properties (object_class, LB_REGIONS_N_PROPS, lb_regions_properties);

  /* Something failed that the user asked for (GError *): the window shows it. */
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, G_TYPE_ERROR);
  /* A short note for a toast ("The occlusion map of the report is ready"). */
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
lb_regions_init (LbRegions *self)
{
  self->heatmap = lb_heatmap_overlay_new ();
  self->boxes = lb_box_overlay_new ();
  self->answers = g_ptr_array_new_with_free_func (g_object_unref);
  self->conversations = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                               (GDestroyNotify) g_ptr_array_unref);
  self->show_heatmap = TRUE;
  self->sentence_start = self->sentence_end = -1;
  self->box = -1;
}

LbRegions *
lb_regions_new (LbImageView *view)
{
  g_return_val_if_fail (LB_IS_IMAGE_VIEW (view), NULL);

  LbRegions *self = g_object_new (LB_TYPE_REGIONS, NULL);
  self->view = g_object_ref (view);
  /* A click (not a drag: the view pans with those) selects a box. */
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect_object (click, "released", G_CALLBACK (on_click_released), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (view), GTK_EVENT_CONTROLLER (click));
  return self;
}
