/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbReportPanel's insides, shared by lb-report-panel.c (the prompt, the
 * draft, streaming) and lb-report-panel-sentences.c (issue 9: clicks on
 * sentences of the draft, the highlighted sentence).
 */
#pragma once

#include "app/lb-autosave.h"
#include "app/lb-report-panel.h"

G_BEGIN_DECLS

struct _LbReportPanel
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *demo_mark;
  GtkExpander *prompt_expander;
  GtkLabel *role_label;
  GtkTextView *prompt_view;
  GtkScrolledWindow *report_scroller;
  GtkTextView *report_view;
  GtkLabel *placeholder_label;
  GtkLabel *status_label;
  GtkStack *button_stack;

  GSettings *settings;
  LbModelManager *models;
  LbDocument *document;
  LbGeneration *generation;
  gboolean capture_attention;
  LbAutosave *autosave;
  gboolean ephemeral;      /* drafts neither restored nor saved */

  gboolean streaming;      /* the buffer is being written by the model */
  gboolean loading;        /* the buffer is being filled by code, not typed */
  gboolean edited;         /* typed into since the last generation */
  gboolean loading_prompt;
  int format_from_line;    /* the first line not formatted yet while streaming */
  char *generated_by;      /* the model that wrote the current draft */

  /* Sentences (issue 9). The draft is prefix (the demo mark's line, or
   * nothing) and then answer, formatted: answer is what the generation
   * appended, so lb_generation_get_text (generation) once it finished. */
  char *prefix;
  int prefix_lines;
  GString *answer;
  GtkTextTag *sentence_tag;
  gssize highlight_start;  /* bytes of answer, -1: none */
  gssize highlight_end;
};

enum {
  PROP_0,
  PROP_CAN_GENERATE,
  PROP_RUNNING,
  N_PROPS
};

enum {
  ERROR,
  SENTENCE_ACTIVATED,
  N_SIGNALS
};

extern guint lb_report_panel_signals[N_SIGNALS];

/* lb-report-panel-sentences.c: the highlight's tag and the click watch
 * (once, at init), and the highlight put back where highlight_start..end
 * now are in the draft (after its text changed), scrolled into view. */
void lb_report_panel_init_sentences (LbReportPanel *self);
void lb_report_panel_apply_highlight (LbReportPanel *self, gboolean scroll);

G_END_DECLS
