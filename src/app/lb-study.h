/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A folder opened as a study: its files in name order (a GListModel of
 * LbStudyItem) and their thumbnails, made on demand by two worker threads
 * of the study's own pool (not GTask's shared one: a folder may hold
 * hundreds of images).
 */
#pragma once

#include <gtk/gtk.h>

#include "app/lb-study-item.h"

G_BEGIN_DECLS

#define LB_STUDY_THUMBNAIL_SIZE 160

#define LB_TYPE_STUDY (lb_study_get_type ())
G_DECLARE_FINAL_TYPE (LbStudy, lb_study, LB, STUDY, GObject)

/* Lists the folder's files (not hidden, not obviously other documents). */
void lb_study_load_async (GFile *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
LbStudy *lb_study_load_finish (GAsyncResult *result, GError **error);

/* A study of the files given (several files dropped at once). */
LbStudy *lb_study_new_for_files (GFile **files, guint n_files);

GFile *lb_study_get_folder (LbStudy *self);
GListModel *lb_study_get_items (LbStudy *self);
/* The position of file in the study, or -1. */
int lb_study_find (LbStudy *self, GFile *file);
/* Makes the item's thumbnail in the background (once). */
void lb_study_request_thumbnail (LbStudy *self, LbStudyItem *item);

G_END_DECLS
