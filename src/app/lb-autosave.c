/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "app/lb-autosave.h"

/* The provenance block ends at this line; the text follows. */
#define HEADER_START "<!-- Lightbox report draft\n"
#define HEADER_END "-->\n"

struct _LbAutosave
{
  GObject parent_instance;

  char *path;
  char *provenance;
  char *pending;  /* text not yet on disk */
  guint timeout;
};

G_DEFINE_FINAL_TYPE (LbAutosave, lb_autosave, G_TYPE_OBJECT)

static gboolean
write_now (LbAutosave *self, GError **error)
{
  if (self->pending == NULL)
    return TRUE;

  g_autofree char *dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_autofree char *contents = g_strdup_printf ("%s%s\nsaved: %s\n%s%s", HEADER_START,
                                               self->provenance != NULL ? self->provenance : "",
                                               stamp, HEADER_END, self->pending);
  /* CONSISTENT: a temporary file renamed over the draft, so a crash in the
   * middle leaves the previous draft whole. */
  if (!g_file_set_contents_full (self->path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  g_clear_pointer (&self->pending, g_free);
  return TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  LbAutosave *self = user_data;
  g_autoptr(GError) error = NULL;

  self->timeout = 0;
  if (!write_now (self, &error))
    g_warning ("Autosave of the report failed: %s", error->message);
  return G_SOURCE_REMOVE;
}

void
lb_autosave_changed (LbAutosave *self, const char *text)
{
  g_return_if_fail (LB_IS_AUTOSAVE (self));

  g_free (self->pending);
  self->pending = g_strdup (text != NULL ? text : "");
  if (self->timeout == 0)
    self->timeout = g_timeout_add (LB_AUTOSAVE_DELAY_MS, on_timeout, self);
}

gboolean
lb_autosave_flush (LbAutosave *self, GError **error)
{
  g_return_val_if_fail (LB_IS_AUTOSAVE (self), FALSE);
  g_clear_handle_id (&self->timeout, g_source_remove);
  return write_now (self, error);
}

gboolean
lb_autosave_get_pending (LbAutosave *self)
{
  g_return_val_if_fail (LB_IS_AUTOSAVE (self), FALSE);
  return self->pending != NULL;
}

char *
lb_autosave_load (LbAutosave *self, GDateTime **modified)
{
  g_return_val_if_fail (LB_IS_AUTOSAVE (self), NULL);

  g_autofree char *contents = NULL;
  if (!g_file_get_contents (self->path, &contents, NULL, NULL))
    return NULL;
  const char *text = contents;
  if (g_str_has_prefix (contents, HEADER_START))
    {
      const char *end = strstr (contents, "\n" HEADER_END);
      if (end != NULL)
        text = end + 1 + strlen (HEADER_END);
    }
  if (modified != NULL)
    {
      GStatBuf st;
      *modified = g_stat (self->path, &st) == 0 ? g_date_time_new_from_unix_local (st.st_mtime) : NULL;
    }
  return g_strdup (text);
}

void
lb_autosave_discard (LbAutosave *self)
{
  g_return_if_fail (LB_IS_AUTOSAVE (self));
  g_clear_handle_id (&self->timeout, g_source_remove);
  g_clear_pointer (&self->pending, g_free);
  g_unlink (self->path);
}

const char *
lb_autosave_get_path (LbAutosave *self)
{
  g_return_val_if_fail (LB_IS_AUTOSAVE (self), NULL);
  return self->path;
}

void
lb_autosave_set_provenance (LbAutosave *self, const char *provenance)
{
  g_return_if_fail (LB_IS_AUTOSAVE (self));
  g_free (self->provenance);
  self->provenance = g_strdup (provenance);
}

static void
lb_autosave_dispose (GObject *object)
{
  LbAutosave *self = LB_AUTOSAVE (object);
  g_autoptr(GError) error = NULL;

  /* Never drop typing: whatever is pending is written on the way out. */
  if (self->pending != NULL && !lb_autosave_flush (self, &error))
    g_warning ("Saving the report failed: %s", error->message);
  g_clear_handle_id (&self->timeout, g_source_remove);

  G_OBJECT_CLASS (lb_autosave_parent_class)->dispose (object);
}

static void
lb_autosave_finalize (GObject *object)
{
  LbAutosave *self = LB_AUTOSAVE (object);

  g_free (self->path);
  g_free (self->provenance);
  g_free (self->pending);

  G_OBJECT_CLASS (lb_autosave_parent_class)->finalize (object);
}

static void
lb_autosave_class_init (LbAutosaveClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_autosave_dispose;
  object_class->finalize = lb_autosave_finalize;
}

static void
lb_autosave_init (LbAutosave *self)
{
}

LbAutosave *
lb_autosave_new (const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  LbAutosave *self = g_object_new (LB_TYPE_AUTOSAVE, NULL);
  /* The image's path is personal data: the file is named by its hash. */
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  g_autofree char *name = g_strdup_printf ("%.32s.md", hash);
  self->path = g_build_filename (g_get_user_data_dir (), "lightbox", "reports", name, NULL);
  return self;
}
