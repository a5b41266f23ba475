/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What LbRegions shows for the selected answer: the heat map its source
 * asks for, with a title that says which map of which answer it is and a
 * caption that says what it means; the status line of the regions bar;
 * which actions are possible.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-regions-private.h"

const char *
lb_regions_source_label (LbRegionsSource source)
{
  switch (source)
    {
    case LB_REGIONS_SOURCE_SENTENCE:
      return _("Attention: Sentence");
    case LB_REGIONS_SOURCE_TOKEN:
      return _("Attention: Token");
    case LB_REGIONS_SOURCE_OCCLUSION:
      return _("Occlusion Map");
    case LB_REGIONS_SOURCE_ANSWER:
    default:
      return _("Attention: Answer");
    }
}

/* The map the source asks for, with its title; NULL and why not. */
static LbRegionMap *
current_map (LbRegions *self, char **title, const char **meaning, GError **error)
{
  LbRegionAnswer *answer = self->answer;
  const char *label = lb_region_answer_get_label (answer);
  guint n_tokens = lb_region_answer_get_n_tokens (answer);

  *meaning = NULL;
  switch (self->source)
    {
    case LB_REGIONS_SOURCE_SENTENCE:
      if (self->sentence_start >= 0)
        {
          *title = g_strdup_printf (_("Attention, sentence %u (%s)"),
                                    lb_region_answer_sentence_number (answer, (gsize) self->sentence_start), label);
          return lb_region_answer_map_text (answer, self->sentence_start, self->sentence_end, error);
        }
      lb_regions_set_string (self, &self->hint, _("click a sentence in the panel, or a box"), 0);
      G_GNUC_FALLTHROUGH;
    case LB_REGIONS_SOURCE_ANSWER:
      *title = g_strdup_printf (_("Attention, whole answer (%s)"), label);
      return lb_region_answer_map_text (answer, -1, -1, error);
    case LB_REGIONS_SOURCE_TOKEN:
      if (n_tokens == 0)
        break;
      {
        guint token = MIN (self->token, n_tokens - 1);
        g_autofree char *text = lb_region_answer_get_token_text (answer, token);
        g_strstrip (text);
        *title = g_strdup_printf (_("Attention, token %u “%s” (%s)"), token + 1, text, label);
        return lb_region_answer_map_token (answer, token, error);
      }
    case LB_REGIONS_SOURCE_OCCLUSION:
    default:
      {
        gssize start;
        const LbRegionMap *map = lb_region_answer_get_occlusion (answer, &start, NULL);
        if (map == NULL)
          break;
        *meaning = _("where hiding the image lowered the answer's probability — not proof");
        if (start >= 0)
          *title = g_strdup_printf (_("Occlusion %u × %u, sentence %u (%s)"), map->grid, map->grid,
                                    lb_region_answer_sentence_number (answer, (gsize) start), label);
        else
          *title = g_strdup_printf (_("Occlusion %u × %u, whole answer (%s)"), map->grid, map->grid, label);
        return lb_region_map_copy (map);
      }
    }
  if (self->source == LB_REGIONS_SOURCE_OCCLUSION)
    lb_regions_set_string (self, &self->hint, self->job != NULL ? _("computing the occlusion map…")
                                               : _("no occlusion map yet: compute one"), 0);
  return NULL;
}

static void
update_heatmap (LbRegions *self)
{
  const LbModelInput *input = self->answer != NULL ? lb_region_answer_get_model_input (self->answer) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  const char *meaning = NULL;
  LbRegionMap *map = NULL;

  lb_regions_set_string (self, &self->hint, NULL, 0);
  if (input != NULL && lb_region_answer_get_finished (self->answer))
    map = current_map (self, &title, &meaning, &error);
  else if (self->answer != NULL && !lb_region_answer_get_finished (self->answer))
    lb_regions_set_string (self, &self->hint, _("writing…"), 0);
  if (error != NULL)
    lb_regions_set_string (self, &self->hint, error->message, 0);
  lb_heatmap_overlay_set_map_full (self->heatmap, map, input, title, meaning);
  g_clear_pointer (&map, lb_region_map_free);
}

void
lb_regions_update_status (LbRegions *self)
{
  g_autofree char *status = NULL;

  if (self->answer == NULL)
    status = g_strdup (_("Where the model looked appears here once it has answered"));
  else
    {
      guint n = lb_box_overlay_get_n_boxes (self->boxes);
      GString *line = g_string_new (lb_region_answer_get_label (self->answer));
      g_string_append (line, " · ");
      if (n == 0)
        g_string_append (line, _("no boxes"));
      else
        g_string_append_printf (line, ngettext ("%u box", "%u boxes", n), n);
      /* What is selected, so that the bar says what the marks mean. */
      guint number = self->sentence_start >= 0
                       ? lb_region_answer_sentence_number (self->answer, (gsize) self->sentence_start) : 0;
      if (self->box >= 0 && self->box < (int) n)
        {
          g_string_append (line, " · ");
          const char *label = lb_box_overlay_get_label (self->boxes, (guint) self->box);
          if (number > 0)
            g_string_append_printf (line, _("“%s” selected, sentence %u"), label, number);
          else
            g_string_append_printf (line, _("“%s” selected"), label);
        }
      else if (number > 0)
        {
          g_string_append (line, " · ");
          g_string_append_printf (line, _("sentence %u selected"), number);
        }
      if (self->hint != NULL)
        g_string_append_printf (line, " · %s", self->hint);
      status = g_string_free (line, FALSE);
    }
  lb_regions_set_string (self, &self->status, status, LB_REGIONS_PROP_STATUS);
}

void
lb_regions_update (LbRegions *self)
{
  update_heatmap (self);
  lb_regions_update_status (self);
  lb_regions_update_actions (self);
}

void
lb_regions_update_actions (LbRegions *self)
{
  if (self->actions == NULL)
    return;
  gboolean ready = lb_model_manager_get_state (self->models) == LB_MODEL_STATE_READY;
  gboolean can = self->answer != NULL && lb_region_answer_get_finished (self->answer)
                 && lb_region_answer_get_model_input (self->answer) != NULL && ready && self->job == NULL;
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (self->actions, "occlusion-map")), can);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (self->actions, "cancel-occlusion")),
                               self->job != NULL);
}

