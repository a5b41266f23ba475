/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbChatPanel's insides, shared by lb-chat-panel.c (questions, answers,
 * conversations) and lb-chat-panel-sentences.c (issue 9: clicks on
 * sentences of the answers, the highlighted sentence).
 */
#pragma once

#include "app/lb-chat-panel.h"

G_BEGIN_DECLS

typedef struct {
  GtkLabel *question_label; /* the question as shown */
  char *question;           /* the question as sent to the model */
  GtkWidget *bubble;
  GtkLabel *text;           /* the answer */
  GtkLabel *footer;         /* its status: tokens/s, stopped, error */
  char *plain;              /* the answer as plain text: its generation's text */
  LbGeneration *generation; /* the one that wrote it, so that older answers stay linkable */
} Answer;

struct _LbChatPanel
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *demo_mark;
  GtkScrolledWindow *scroller;
  GtkBox *messages;
  GtkBox *suggestions_box;
  GtkFlowBox *suggestions;
  GtkLabel *limits_label;
  GtkRevealer *region_revealer;
  GtkLabel *region_label;
  GtkEntry *entry;
  GtkStack *button_stack;

  GSettings *settings;
  LbModelManager *models;
  LbDocument *document;

  LbSession *session;          /* the open conversation, NULL before its first question */
  gboolean session_is_region;
  LbGeneration *generation;
  gboolean capture_attention;
  GArray *answers;             /* of Answer */
  gboolean has_region;
  LbCrop region;

  /* Sentences (issue 9): the marked one, bytes of an answer's text. */
  int highlighted;             /* the answer, -1: none */
  gssize highlight_start;
  gssize highlight_end;
};

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum {
  ERROR,
  SENTENCE_ACTIVATED,
  N_SIGNALS
};

extern guint lb_chat_panel_signals[N_SIGNALS];

/* lb-chat-panel-sentences.c: set up once at init; clicks on an answer's
 * label; the highlight put back where highlight_start..end now are in
 * the highlighted answer (after its text changed), scrolled into view. */
void lb_chat_panel_init_sentences (LbChatPanel *self);
void lb_chat_panel_watch_answer (LbChatPanel *self, GtkLabel *label);
void lb_chat_panel_apply_highlight (LbChatPanel *self, gboolean scroll);

G_END_DECLS
