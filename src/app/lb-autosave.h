/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keeps a report's edits on disk so that a crash or a kill loses at most
 * LB_AUTOSAVE_DELAY_MS of typing: the first change after a save schedules
 * the next save that much later (more typing does not postpone it), and
 * each save replaces the file atomically (written aside, then renamed).
 * Drafts live in $XDG_DATA_HOME/lightbox/reports/, one per image.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_AUTOSAVE_DELAY_MS 2000

#define LB_TYPE_AUTOSAVE (lb_autosave_get_type ())
G_DECLARE_FINAL_TYPE (LbAutosave, lb_autosave, LB, AUTOSAVE, GObject)

/* key identifies the image (its path); provenance is written above the
 * text (the image, the model, "AI draft — verify before use"). */
LbAutosave *lb_autosave_new (const char *key);

const char *lb_autosave_get_path (LbAutosave *self);
void lb_autosave_set_provenance (LbAutosave *self, const char *provenance);

/* The text changed: saved within LB_AUTOSAVE_DELAY_MS. */
void lb_autosave_changed (LbAutosave *self, const char *text);
/* Saves a pending change now (closing the image, quitting). */
gboolean lb_autosave_flush (LbAutosave *self, GError **error);
/* The saved draft's text (without the provenance), or NULL; modified gets
 * the time it was saved. */
char *lb_autosave_load (LbAutosave *self, GDateTime **modified);
/* Forgets the draft (a new report replaces it). */
void lb_autosave_discard (LbAutosave *self);
gboolean lb_autosave_get_pending (LbAutosave *self);

G_END_DECLS
