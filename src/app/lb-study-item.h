/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One image of a study (a folder opened at once): its file and, once
 * made, its thumbnail.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LB_TYPE_STUDY_ITEM (lb_study_item_get_type ())
G_DECLARE_FINAL_TYPE (LbStudyItem, lb_study_item, LB, STUDY_ITEM, GObject)

LbStudyItem *lb_study_item_new (GFile *file);

GFile *lb_study_item_get_file (LbStudyItem *self);
const char *lb_study_item_get_name (LbStudyItem *self);
GdkTexture *lb_study_item_get_thumbnail (LbStudyItem *self);  /* NULL until made */
void lb_study_item_set_thumbnail (LbStudyItem *self, GdkTexture *thumbnail);
/* TRUE once a thumbnail was asked for (made or failed). */
gboolean lb_study_item_get_requested (LbStudyItem *self);
void lb_study_item_set_requested (LbStudyItem *self);
/* Not an image Lightbox can open (set when the thumbnail failed). */
gboolean lb_study_item_get_failed (LbStudyItem *self);
void lb_study_item_set_failed (LbStudyItem *self, const char *message);

G_END_DECLS
