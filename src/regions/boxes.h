/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Boxes the model writes itself (MedGemma 1.5 localisation, DESIGN §5):
 * JSON lists of {"box_2d": [y0, x0, y1, x1], "label": "…"} in a fenced
 * block (```json … ```) or bare in the text, on a 0–1000 scale of the
 * model-input square (some outputs use 0–1).
 *
 * The parser is for text that is still streaming: call it again on the
 * whole text as it grows. A box counts once its object is closed; a list,
 * string or number cut off by the end of the text is "not yet", never an
 * error. What is complete but wrong (broken JSON, a box_2d that is not four
 * numbers, an empty box) is skipped with a note: the parser never fails.
 *
 * Scale: a box whose four numbers are all at most 1 is on the 0–1 scale
 * (a 0–1000 box that small would be a speck); any other on 0–1000. Values
 * outside the scale are clamped and corners given in reverse order are
 * swapped, each with a note.
 *
 * Each box is linked to a sentence of the answer (sentences.h): the one
 * that names its label (the whole label, else the most of the label's
 * words, laterality words aside), else the last sentence before the box.
 */
#pragma once

#include <glib.h>

#include "imaging/model-input.h"

G_BEGIN_DECLS

/* The "Locate findings" preset: asks for findings as sentences and their
 * boxes as a fenced JSON list, laterality as the patient's left/right. */
#define LB_BOXES_LOCATE_PROMPT \
  "Locate the findings in this image. First describe each finding in one sentence, " \
  "stating laterality as the patient's left or right (not the viewer's). Then give " \
  "their locations as a JSON list in a ```json fenced block, one object per finding: " \
  "{\"box_2d\": [y0, x0, y1, x1], \"label\": \"<finding>\"}, with coordinates " \
  "normalized to 0-1000 of the image. If there is no finding, write so and give an " \
  "empty list."

typedef enum {
  LB_BOX_SCALE_1000,   /* 0–1000 */
  LB_BOX_SCALE_UNIT,   /* 0–1 */
} LbBoxScale;

typedef struct {
  char *label;             /* UTF-8; "" when none was given */
  LbBoxScale scale;        /* the scale it was written on */
  /* Edges as fractions (0–1) of the model-input square, top < bottom, left < right. */
  double top;
  double left;
  double bottom;
  double right;
  /* Where the box's object is in the text: bytes [text_start, text_end). */
  gsize text_start;
  gsize text_end;
  /* Its sentence (bytes of the text), -1 when none. */
  gssize sentence_start;
  gssize sentence_end;
} LbBox;

typedef struct {
  GArray *boxes;      /* LbBox, in text order */
  GPtrArray *notes;   /* char *: what was skipped or fixed, and why */
  /* FALSE while the text ends inside a list or fenced block: more boxes
   * may come. */
  gboolean complete;
} LbBoxList;

/* Parses the text (length -1: NUL-terminated). Never NULL. */
LbBoxList *lb_boxes_parse (const char *text, gssize length);
void lb_box_list_free (LbBoxList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbBoxList, lb_box_list_free)

/* The box in stored image pixels (before rotation and flips: what
 * LbImageOverlay draws in), clipped to the part of the image the model saw
 * (the crop; the padding is not image). FALSE (and an empty rectangle)
 * when nothing of the box is on the image. */
gboolean lb_box_to_image (const LbBox *box, const LbModelInput *input, double *out_x, double *out_y,
                          double *out_width, double *out_height);

G_END_DECLS
