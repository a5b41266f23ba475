/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-modality.h"

G_DEFINE_ENUM_TYPE (LbModality, lb_modality,
  G_DEFINE_ENUM_VALUE (LB_MODALITY_CHEST_XRAY, "chest-xray"),
  G_DEFINE_ENUM_VALUE (LB_MODALITY_DERMATOLOGY, "dermatology"),
  G_DEFINE_ENUM_VALUE (LB_MODALITY_FUNDUS, "fundus"),
  G_DEFINE_ENUM_VALUE (LB_MODALITY_PATHOLOGY, "pathology"),
  G_DEFINE_ENUM_VALUE (LB_MODALITY_OTHER, "other"))

typedef struct {
  const char *id;
  const char *label;
  const char *system;
  const char *prompt;
  const char *questions[7];
} ModalityInfo;

/* The prompts follow the pattern of Google's MedGemma examples: an expert
 * role, then the task, asking for the structure the report view formats
 * (headings and bullets). */
static const ModalityInfo modalities[LB_N_MODALITIES] = {
  [LB_MODALITY_CHEST_XRAY] = {
    "chest-xray", N_("Chest X-ray"),
    N_("You are an expert radiologist."),
    N_("Describe this chest X-ray. Write a structured report with the headings Findings and "
       "Impression; in Findings, cover lines and tubes, lungs, pleura, heart and mediastinum, "
       "and bones, as short bullet points."),
    { N_("Is there a pneumothorax?"), N_("Is the heart size normal?"),
      N_("Are there any lung opacities or consolidation?"), N_("Are the costophrenic angles clear?"),
      N_("Are there any lines, tubes or devices?"), NULL },
  },
  [LB_MODALITY_DERMATOLOGY] = {
    "dermatology", N_("Dermatology"),
    N_("You are an expert dermatologist."),
    N_("Describe this skin lesion: its morphology, colour, borders, symmetry and size. Then "
       "give a differential diagnosis, most likely first, under the headings Description and "
       "Differential diagnosis."),
    { N_("What is the most likely diagnosis?"), N_("Are there features of melanoma (ABCDE)?"),
      N_("How would you describe the borders and colour?"), N_("Should this lesion be biopsied?"),
      NULL },
  },
  [LB_MODALITY_FUNDUS] = {
    "fundus", N_("Fundus"),
    N_("You are an expert ophthalmologist."),
    N_("Describe this fundus photograph: optic disc, vessels, macula and periphery. Note any "
       "signs of diabetic retinopathy, glaucoma or other disease, under the headings Findings "
       "and Impression."),
    { N_("Are there signs of diabetic retinopathy?"), N_("Does the optic disc look normal?"),
      N_("Are there haemorrhages or exudates?"), N_("What is the cup-to-disc ratio?"), NULL },
  },
  [LB_MODALITY_PATHOLOGY] = {
    "pathology", N_("Pathology"),
    N_("You are an expert pathologist."),
    N_("Describe this histopathology image: the tissue, its architecture and the cellular "
       "features. Then give the most likely diagnosis, under the headings Microscopic "
       "description and Diagnosis."),
    { N_("What tissue is this?"), N_("Is there evidence of malignancy?"),
      N_("Describe the nuclei."), N_("Is there inflammation?"), NULL },
  },
  [LB_MODALITY_OTHER] = {
    "other", N_("Other"),
    N_("You are an expert in medical imaging."),
    N_("Describe this medical image and its notable findings, under the headings Findings and "
       "Impression."),
    { N_("What does this image show?"), N_("Is anything abnormal?"),
      N_("What imaging modality is this?"), NULL },
  },
};

const char *
lb_modality_id (LbModality modality)
{
  g_return_val_if_fail (modality < LB_N_MODALITIES, "other");
  return modalities[modality].id;
}

gboolean
lb_modality_from_id (const char *id, LbModality *out_modality)
{
  for (guint i = 0; i < LB_N_MODALITIES; i++)
    if (g_strcmp0 (id, modalities[i].id) == 0)
      {
        *out_modality = i;
        return TRUE;
      }
  return FALSE;
}

const char *
lb_modality_label (LbModality modality)
{
  g_return_val_if_fail (modality < LB_N_MODALITIES, NULL);
  return _(modalities[modality].label);
}

const char *
lb_modality_default_system (LbModality modality)
{
  g_return_val_if_fail (modality < LB_N_MODALITIES, NULL);
  return _(modalities[modality].system);
}

const char *
lb_modality_default_prompt (LbModality modality)
{
  g_return_val_if_fail (modality < LB_N_MODALITIES, NULL);
  return _(modalities[modality].prompt);
}

const char *const *
lb_modality_suggested_questions (LbModality modality)
{
  static const char *translated[LB_N_MODALITIES][G_N_ELEMENTS (modalities[0].questions)];
  static gsize initialized = 0;

  g_return_val_if_fail (modality < LB_N_MODALITIES, NULL);
  if (g_once_init_enter (&initialized))
    {
      for (guint m = 0; m < LB_N_MODALITIES; m++)
        for (guint i = 0; modalities[m].questions[i] != NULL; i++)
          translated[m][i] = _(modalities[m].questions[i]);
      g_once_init_leave (&initialized, 1);
    }
  return translated[modality];
}

static gboolean
name_has_word (const char *lower_name, const char *const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (lower_name, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

LbModality
lb_modality_guess (const LbImage *image, const char *file_name)
{
  if (image != NULL)
    {
      const char *modality = image->metadata.modality;
      const LbImageTag *body_part = lb_image_metadata_find_tag (&image->metadata, "BodyPartExamined");
      if (g_strcmp0 (modality, "OP") == 0)
        return LB_MODALITY_FUNDUS;
      if (g_strcmp0 (modality, "SM") == 0 || image->metadata.format == LB_IMAGE_FORMAT_SLIDE)
        return LB_MODALITY_PATHOLOGY;
      if (g_strcmp0 (modality, "XC") == 0)
        return LB_MODALITY_DERMATOLOGY;
      if ((g_strcmp0 (modality, "DX") == 0 || g_strcmp0 (modality, "CR") == 0)
          && (body_part == NULL || g_ascii_strcasecmp (body_part->value, "CHEST") == 0))
        return LB_MODALITY_CHEST_XRAY;
    }

  if (file_name != NULL)
    {
      g_autofree char *lower = g_utf8_strdown (file_name, -1);
      static const char *const fundus[] = { "fundus", "retina", "retinal", NULL };
      static const char *const derm[] = { "skin", "derm", "lesion", "mole", "nevus", "naevus", NULL };
      static const char *const patho[] = { "patho", "histo", "slide", "biopsy", "h&e", NULL };
      static const char *const chest[] = { "chest", "cxr", "xray", "x-ray", "thorax", NULL };
      if (name_has_word (lower, fundus))
        return LB_MODALITY_FUNDUS;
      if (name_has_word (lower, derm))
        return LB_MODALITY_DERMATOLOGY;
      if (name_has_word (lower, patho))
        return LB_MODALITY_PATHOLOGY;
      if (name_has_word (lower, chest))
        return LB_MODALITY_CHEST_XRAY;
    }

  if (image != NULL && image->channels == 1 && image->metadata.format == LB_IMAGE_FORMAT_DICOM)
    return LB_MODALITY_CHEST_XRAY;
  return LB_MODALITY_OTHER;
}
