/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Report page of the side panel: the modality's prompt (editable,
 * saved per modality), the draft streaming into an editable text view
 * with light formatting, tokens per second, Stop, Copy (with provenance),
 * the "AI draft — verify before use" notice, and the demo mark for a test
 * model. Edits are autosaved (LbAutosave) and restored with the image.
 */
#pragma once

#include <adwaita.h>

#include "app/lb-document.h"
#include "app/lb-generation.h"
#include "app/lb-model-manager.h"

G_BEGIN_DECLS

#define LB_TYPE_REPORT_PANEL (lb_report_panel_get_type ())
G_DECLARE_FINAL_TYPE (LbReportPanel, lb_report_panel, LB, REPORT_PANEL, AdwBin)

/* The settings and model manager are given once, before any document. */
void lb_report_panel_setup (LbReportPanel *self, GSettings *settings, LbModelManager *models);
void lb_report_panel_set_document (LbReportPanel *self, LbDocument *document);

gboolean lb_report_panel_get_can_generate (LbReportPanel *self);
gboolean lb_report_panel_get_running (LbReportPanel *self);
/* Starts a report (asks first when it would replace the user's edits). */
void lb_report_panel_generate (LbReportPanel *self);
void lb_report_panel_stop (LbReportPanel *self);
/* The report as plain text, and with its provenance (what Copy puts on
 * the clipboard). */
char *lb_report_panel_get_text (LbReportPanel *self);
char *lb_report_panel_get_text_with_provenance (LbReportPanel *self);
void lb_report_panel_copy (LbReportPanel *self);
/* Saves pending edits now. */
void lb_report_panel_flush (LbReportPanel *self);
/* Whether drafts are kept on disk and restored with their image (the
 * default), set before the first document. A --screenshot run keeps
 * none: what it shows does not depend on earlier runs (a restored draft
 * would have --generate ask, with nobody there to answer), and it leaves
 * the user's drafts alone. */
void lb_report_panel_set_keep_drafts (LbReportPanel *self, gboolean keep);

/* For the regions (issue 9): the answer being written or last written
   (NULL before the first), and whether new ones capture attention. */
LbGeneration *lb_report_panel_get_generation (LbReportPanel *self);
void lb_report_panel_set_capture_attention (LbReportPanel *self, gboolean capture);

/* Sentences and boxes (issue 9). A click on a sentence of the draft
 * (primary button, without a drag or a selection), or Alt+Enter with the
 * text cursor in it (the action report.sentence-regions;
 * lb_report_panel_activate_cursor_sentence), emits "sentence-activated" (LbGeneration
 * *generation, gint64 start, gint64 end): bytes of lb_generation_get_text
 * (generation); start = end = -1 when it landed outside any sentence
 * (the demo mark, space between sentences, past a line's end). Only while
 * the draft still is the generation's text as the panel showed it,
 * formatted (not after the user edited it: the byte offsets would no
 * longer hold); the panel does not mark the sentence itself.
 * lb_report_panel_highlight_sentence marks bytes [start, end) of that text
 * in the draft and scrolls them into view; start -1 clears the mark
 * (whatever generation is given); a generation that is not the panel's is
 * ignored, and an edited draft shows no mark (editing removes it). */
void lb_report_panel_highlight_sentence (LbReportPanel *self, LbGeneration *generation, gssize start,
                                         gssize end);

/* For tests. */
GtkTextView *lb_report_panel_get_text_view (LbReportPanel *self);
const char *lb_report_panel_get_status (LbReportPanel *self);
const char *lb_report_panel_get_autosave_path (LbReportPanel *self);
gboolean lb_report_panel_get_demo_mark_visible (LbReportPanel *self);
/* Test only: streams chunk into the draft as if generation (any, even one
 * never started) had written it, through the panel's own streaming and
 * formatting; a new draft when generation is not the one the panel is
 * streaming; last: the model finished. The offsets the panel reports are
 * then bytes of the chunks, which for a real generation are its text. */
void lb_report_panel_stream_for_test (LbReportPanel *self, LbGeneration *generation, const char *chunk,
                                      gboolean last);
/* Test only: what a click at x, y of the text view (its coordinates) does. */
void lb_report_panel_click_for_test (LbReportPanel *self, double x, double y);
void lb_report_panel_activate_cursor_sentence (LbReportPanel *self);

G_END_DECLS
