/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Chat page of the side panel: questions and answers about the image.
 * The first question sends the image; follow-ups continue the cached
 * conversation without it. A region drawn on the image starts a new
 * conversation about that crop (the model takes one image at a time).
 * Suggested questions follow the modality; the model's limits are shown
 * where they apply.
 */
#pragma once

#include <adwaita.h>

#include "app/lb-document.h"
#include "app/lb-generation.h"
#include "app/lb-model-manager.h"

G_BEGIN_DECLS

#define LB_TYPE_CHAT_PANEL (lb_chat_panel_get_type ())
G_DECLARE_FINAL_TYPE (LbChatPanel, lb_chat_panel, LB, CHAT_PANEL, AdwBin)

void lb_chat_panel_setup (LbChatPanel *self, GSettings *settings, LbModelManager *models);
void lb_chat_panel_set_document (LbChatPanel *self, LbDocument *document);

gboolean lb_chat_panel_get_running (LbChatPanel *self);
/* Asks a question (a follow-up when a conversation is open). */
void lb_chat_panel_ask (LbChatPanel *self, const char *question);
/* The next question is about this crop (displayed pixels). */
void lb_chat_panel_set_region (LbChatPanel *self, const LbCrop *crop);
void lb_chat_panel_clear_region (LbChatPanel *self);
void lb_chat_panel_stop (LbChatPanel *self);
void lb_chat_panel_new_conversation (LbChatPanel *self);
void lb_chat_panel_focus_entry (LbChatPanel *self);
/* The "Locate findings" preset (issue 9): asks LB_BOXES_LOCATE_PROMPT
 * (English, as every prompt), showing "Locate findings" as the question
 * with the prompt in its tooltip. Also the first suggestion, and the
 * panel's action "chat.locate-findings". */
void lb_chat_panel_locate_findings (LbChatPanel *self);

/* For the regions (issue 9): the answer being written or last written
   (NULL before the first), and whether new ones capture attention. */
LbGeneration *lb_chat_panel_get_generation (LbChatPanel *self);
void lb_chat_panel_set_capture_attention (LbChatPanel *self, gboolean capture);

/* Sentences and boxes (issue 9), as in lb-report-panel.h: a click on a
 * sentence of any answer (primary button, without a drag or a selection:
 * the answers stay selectable) emits "sentence-activated" (LbGeneration
 * *generation, gint64 start, gint64 end) with bytes of that answer's
 * lb_generation_get_text (-1, -1 outside a sentence); the panel does not
 * mark the sentence itself. lb_chat_panel_highlight_sentence marks bytes
 * [start, end) of the answer written by generation (one mark in the whole
 * chat) and scrolls it into view (start -1 clears, whatever generation is
 * given; an unknown generation is ignored). Each answer keeps its
 * generation: lb_chat_panel_get_answer_generation gives the one of answer
 * index (NULL for an answer without one). */
void lb_chat_panel_highlight_sentence (LbChatPanel *self, LbGeneration *generation, gssize start,
                                       gssize end);
LbGeneration *lb_chat_panel_get_answer_generation (LbChatPanel *self, guint index);

/* For tests. */
guint lb_chat_panel_get_n_answers (LbChatPanel *self);
const char *lb_chat_panel_get_answer (LbChatPanel *self, guint index);
gboolean lb_chat_panel_get_is_follow_up (LbChatPanel *self); /* the next ask continues */
/* Context positions the open conversation holds (0: none open). */
guint lb_chat_panel_get_n_past (LbChatPanel *self);
GtkEntry *lb_chat_panel_get_entry (LbChatPanel *self);
const char *lb_chat_panel_get_limits (LbChatPanel *self);
/* The question as sent to the model, the question and answer as shown. */
const char *lb_chat_panel_get_question (LbChatPanel *self, guint index);
GtkLabel *lb_chat_panel_get_question_label (LbChatPanel *self, guint index);
GtkLabel *lb_chat_panel_get_answer_label (LbChatPanel *self, guint index);
GtkFlowBox *lb_chat_panel_get_suggestions (LbChatPanel *self);
/* Test only: adds a question and its answer showing text, as if
 * generation (any, even one never started; NULL: an answer without one)
 * had written it; the offsets the panel reports are then bytes of text,
 * which for a real generation is its text. */
void lb_chat_panel_add_answer_for_test (LbChatPanel *self, LbGeneration *generation, const char *question,
                                        const char *text);
/* Test only: what a click at x, y of answer index's label (its
 * coordinates) does. */
void lb_chat_panel_click_for_test (LbChatPanel *self, guint index, double x, double y);

G_END_DECLS
