/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbRegions' occlusion map: for the selected answer (or its selected
 * sentence), the exact context that produced it is rebuilt
 * (lb_region_answer_build_context), scored with each cell of the image
 * hidden in turn on the app's engine (regions/occlusion.h), with progress
 * for the bar. One job at a time; cancelling detaches it at once (the
 * engine answers the cancel within its ~100 ms, and the late completion
 * finds nobody waiting).
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-regions-private.h"
#include "regions/occlusion.h"
#include "regions/regions.h"

struct _LbOcclusionJob
{
  LbRegions *regions;          /* NULL once cancelled or replaced */
  LbRegionAnswer *answer;
  LbAnswerScorer *scorer;
  GCancellable *cancellable;
  gssize start;                /* the sentence scored; -1: the whole answer */
  gssize end;
};

static void
job_release (gpointer data)
{
  LbOcclusionJob *job = data;
  g_clear_object (&job->answer);
  g_clear_object (&job->scorer);
  g_clear_object (&job->cancellable);
}

static void
job_unref (gpointer job)
{
  g_rc_box_release_full (job, job_release);
}

static void
set_progress (LbRegions *self, double fraction, const char *text)
{
  self->occlusion_fraction = fraction;
  g_free (self->occlusion_text);
  self->occlusion_text = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_TEXT]);
}

/* Detaches the running job (if any): the bar goes back to idle now. */
static void
detach (LbRegions *self)
{
  LbOcclusionJob *job = g_steal_pointer (&self->job);
  if (job == NULL)
    return;
  job->regions = NULL;
  g_cancellable_cancel (job->cancellable);
  job_unref (job);
  set_progress (self, 0, "");
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_RUNNING]);
}

static void
on_progress (guint done, guint total, gpointer data)
{
  LbOcclusionJob *job = data;
  if (job->regions == NULL || total == 0)
    return;
  g_autofree char *text = g_strdup_printf (_("%u of %u runs"), done, total);
  set_progress (job->regions, (double) done / total, text);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  LbOcclusionJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbOcclusionResult) occlusion = lb_occlusion_run_finish (result, &error);
  LbRegions *self = job->regions;

  if (self != NULL)
    {
      self->job = NULL;
      job_unref (job); /* the reference self->job held */
      set_progress (self, 0, "");
      g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_RUNNING]);
      if (occlusion == NULL)
        lb_regions_emit_error (self, error);
      else
        {
          g_debug ("Occlusion map of %s: %u runs in %.1f s", lb_region_answer_get_label (job->answer),
                   occlusion->n_runs, occlusion->seconds);
          lb_region_answer_set_occlusion (job->answer, g_steal_pointer (&occlusion->map), job->start, job->end);
          if (job->answer != self->answer)
            {
              g_autofree char *text = g_strdup_printf (_("The occlusion map of %s is ready"),
                                                       lb_region_answer_get_label (job->answer));
              lb_regions_emit_toast (self, text);
            }
        }
      lb_regions_update (self);
    }
  job_unref (job);
}

/* Why the selected answer cannot be mapped now, or NULL. */
static const char *
cannot_occlude (LbRegions *self)
{
  if (self->answer == NULL)
    return _("Nothing to map yet: ask for a report or a question first");
  if (!lb_region_answer_get_finished (self->answer))
    return _("Wait until the answer is finished");
  if (lb_region_answer_get_model_input (self->answer) == NULL)
    return _("This answer was not about an image");
  if (lb_model_manager_get_state (self->models) != LB_MODEL_STATE_READY
      || lb_regions_answer_serial (self->answer) != self->model_serial)
    return _("The model that wrote this answer is no longer loaded");
  return NULL;
}

void
lb_regions_start_occlusion (LbRegions *self)
{
  g_return_if_fail (LB_IS_REGIONS (self));

  g_autoptr(GError) error = NULL;
  const char *why = cannot_occlude (self);
  if (why != NULL)
    {
      error = g_error_new_literal (LB_REGIONS_ERROR, LB_REGIONS_ERROR_INVALID, why);
      lb_regions_emit_error (self, error);
      return;
    }
  detach (self);

  LbEngine *engine = lb_model_manager_get_engine (self->models);
  g_autoptr(GArray) prompt = NULL;
  g_autoptr(GArray) answer = NULL;
  guint first, n;
  if (!lb_region_answer_build_context (self->answer, engine, &prompt, &answer, &error)
      || !lb_region_answer_answer_range (self->answer, self->sentence_start, self->sentence_end, &first, &n,
                                         &error))
    {
      lb_regions_emit_error (self, error);
      return;
    }
  g_autoptr(LbAnswerScorer) scorer = lb_answer_scorer_new_engine (engine, (const gint32 *) (gpointer) prompt->data,
                                                                  prompt->len, (const gint32 *) (gpointer) answer->data,
                                                                  answer->len, &error);
  if (scorer == NULL || !lb_answer_scorer_set_range (scorer, first, n, &error))
    {
      lb_regions_emit_error (self, error);
      return;
    }

  LbOcclusionJob *job = g_rc_box_new0 (LbOcclusionJob);
  job->regions = self;
  job->answer = g_object_ref (self->answer);
  job->scorer = g_steal_pointer (&scorer);
  job->cancellable = g_cancellable_new ();
  job->start = self->sentence_start;
  job->end = self->sentence_end;
  self->job = job; /* one reference */

  LbOcclusionParams params;
  lb_occlusion_params_init (&params);
  params.grid = (guint) g_settings_get_int (self->settings, "occlusion-grid");
  set_progress (self, 0, _("Starting…"));
  g_object_notify_by_pspec (G_OBJECT (self), lb_regions_properties[LB_REGIONS_PROP_OCCLUSION_RUNNING]);
  lb_occlusion_run_async (job->scorer, lb_region_answer_get_model_input (job->answer), &params, on_progress,
                          g_rc_box_acquire (job), job_unref, job->cancellable, on_done, g_rc_box_acquire (job));
  /* Show what is being computed. */
  g_action_group_change_action_state (G_ACTION_GROUP (self->actions), "regions-source",
                                      g_variant_new_string ("occlusion"));
  lb_regions_update (self);
}

void
lb_regions_cancel_occlusion (LbRegions *self)
{
  g_return_if_fail (LB_IS_REGIONS (self));
  if (self->job == NULL)
    return;
  detach (self);
  lb_regions_update (self);
}

/* The answer goes away: so does a job computing its map. The selected
 * answer may be another one that stays (a chat cleared while the report
 * is selected): its actions and status must not keep saying "running". */
void
lb_regions_occlusion_forget (LbRegions *self, LbRegionAnswer *answer)
{
  if (!lb_regions_occlusion_targets (self, answer))
    return;
  detach (self);
  lb_regions_update (self);
}

gboolean
lb_regions_occlusion_targets (LbRegions *self, LbRegionAnswer *answer)
{
  return self->job != NULL && self->job->answer == answer;
}

gboolean
lb_regions_get_occlusion_running (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), FALSE);
  return self->job != NULL;
}

double
lb_regions_get_occlusion_fraction (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), 0);
  return self->occlusion_fraction;
}

const char *
lb_regions_get_occlusion_text (LbRegions *self)
{
  g_return_val_if_fail (LB_IS_REGIONS (self), NULL);
  return self->occlusion_text != NULL ? self->occlusion_text : "";
}
