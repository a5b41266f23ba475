/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbRegions' state, shared by lb-regions.c (answers, selection, overlays,
 * actions), lb-regions-shown.c (the heat map and status shown) and
 * lb-regions-occlusion.c (the occlusion job).
 */
#pragma once

#include "app/lb-model-manager.h"
#include "app/lb-regions.h"

G_BEGIN_DECLS

typedef struct _LbOcclusionJob LbOcclusionJob;

struct _LbRegions
{
  GObject parent_instance;

  LbImageView *view;
  GSettings *settings;
  LbModelManager *models;
  LbReportPanel *report;          /* the window's children: not referenced */
  LbChatPanel *chat;
  GActionMap *actions;            /* the window, which owns us */

  LbHeatmapOverlay *heatmap;
  LbBoxOverlay *boxes;
  gboolean overlays_added;
  gboolean model_input_shown;
  gboolean show_heatmap;

  GPtrArray *answers;             /* LbRegionAnswer, oldest first */
  GHashTable *conversations;      /* LbSession → GPtrArray of its LbGeneration, in ask order */
  guint n_chat_answers;           /* numbers the chat answers' labels */
  guint model_serial;             /* counts model loads: answers of an older model cannot be occluded */

  LbRegionAnswer *answer;         /* selected */
  gssize sentence_start;
  gssize sentence_end;
  guint token;
  int box;
  LbRegionsSource source;
  char *status;
  char *hint;                     /* why the heat map is empty, or what to do next */

  LbOcclusionJob *job;            /* running, or NULL */
  double occlusion_fraction;
  char *occlusion_text;
};

enum {
  LB_REGIONS_PROP_0,
  LB_REGIONS_PROP_STATUS,
  LB_REGIONS_PROP_SOURCE_LABEL,
  LB_REGIONS_PROP_TOKEN,
  LB_REGIONS_PROP_N_TOKENS,
  LB_REGIONS_PROP_TOKEN_MODE,
  LB_REGIONS_PROP_OCCLUSION_RUNNING,
  LB_REGIONS_PROP_OCCLUSION_FRACTION,
  LB_REGIONS_PROP_OCCLUSION_TEXT,
  LB_REGIONS_N_PROPS
};

extern GParamSpec *lb_regions_properties[LB_REGIONS_N_PROPS];

/* lb-regions.c */
void lb_regions_set_string (LbRegions *self, char **field, const char *value, guint prop);
void lb_regions_emit_error (LbRegions *self, const GError *error);
void lb_regions_emit_toast (LbRegions *self, const char *text);
guint lb_regions_answer_serial (LbRegionAnswer *answer);

/* lb-regions-shown.c: the heat map, the status and the actions' state
 * after a change. */
void lb_regions_update (LbRegions *self);
void lb_regions_update_status (LbRegions *self);
void lb_regions_update_actions (LbRegions *self);
const char *lb_regions_source_label (LbRegionsSource source);

/* lb-regions-occlusion.c */
void lb_regions_occlusion_forget (LbRegions *self, LbRegionAnswer *answer);
gboolean lb_regions_occlusion_targets (LbRegions *self, LbRegionAnswer *answer);

G_END_DECLS
