/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The kinds of image Lightbox knows, with what each brings: the built-in
 * report prompt (MedGemma's own examples use a role line and a task), the
 * suggested questions of the chat, and a guess from an image's metadata.
 */
#pragma once

#include <glib-object.h>

#include "imaging/image.h"

G_BEGIN_DECLS

typedef enum {
  LB_MODALITY_CHEST_XRAY,
  LB_MODALITY_DERMATOLOGY,
  LB_MODALITY_FUNDUS,
  LB_MODALITY_PATHOLOGY,
  LB_MODALITY_OTHER,
  LB_N_MODALITIES,
} LbModality;

#define LB_TYPE_MODALITY (lb_modality_get_type ())
GType lb_modality_get_type (void);

/* "chest-xray", "dermatology", "fundus", "pathology", "other": the keys of
 * the report-prompts setting. */
const char *lb_modality_id (LbModality modality);
gboolean lb_modality_from_id (const char *id, LbModality *out_modality);
/* Translated: "Chest X-ray", "Dermatology", … */
const char *lb_modality_label (LbModality modality);

/* The built-in report request: a role (the "system" text) and a task. */
const char *lb_modality_default_system (LbModality modality);
const char *lb_modality_default_prompt (LbModality modality);

/* Suggested chat questions, NULL-terminated, translated. */
const char *const *lb_modality_suggested_questions (LbModality modality);

/* A guess from the file: DICOM Modality and Body Part Examined (DX/CR of
 * the chest, OP, SM, XC), a whole slide, then words in the file name
 * (fundus, retina, skin, derm, lesion, patho, slide, chest, cxr, xray),
 * then gray images as chest X-rays. Photos without a hint are "other". */
LbModality lb_modality_guess (const LbImage *image, const char *file_name);

G_END_DECLS
