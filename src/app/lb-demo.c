/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>

#include "app/lb-demo.h"
#include "model/random-model.h"

/* Bump when the demo model's spec changes: a new folder is written. */
#define DEMO_MODEL_VERSION "1"

const char *
lb_demo_get_samples_dir (void)
{
  static char *dir = NULL;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      const char *candidates[] = {
        g_getenv ("LIGHTBOX_SAMPLES_DIR"),
        PKGDATADIR "/samples",
#ifdef LB_BUILD_SAMPLES_DIR
        LB_BUILD_SAMPLES_DIR,
#endif
      };
      for (guint i = 0; i < G_N_ELEMENTS (candidates) && dir == NULL; i++)
        if (candidates[i] != NULL && g_file_test (candidates[i], G_FILE_TEST_IS_DIR))
          {
            g_autofree char *probe = g_build_filename (candidates[i], "chest-xray-phantom.dcm", NULL);
            if (g_file_test (probe, G_FILE_TEST_EXISTS))
              dir = g_strdup (candidates[i]);
          }
      g_once_init_leave (&initialized, 1);
    }
  return dir;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
lb_demo_list_samples (void)
{
  GPtrArray *samples = g_ptr_array_new_with_free_func (g_free);
  const char *dir = lb_demo_get_samples_dir ();
  g_autoptr(GDir) d = dir != NULL ? g_dir_open (dir, 0, NULL) : NULL;
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      /* The build folder also holds the program that draws them. */
      static const char *const extensions[] = { ".dcm", ".png", ".jpg", ".tif", NULL };
      for (guint i = 0; extensions[i] != NULL; i++)
        if (g_str_has_suffix (name, extensions[i]) && name[0] != '.')
          g_ptr_array_add (samples, g_build_filename (dir, name, NULL));
    }
  g_ptr_array_sort (samples, compare_paths);
  return samples;
}

GFile *
lb_demo_get_default_sample (void)
{
  const char *dir = lb_demo_get_samples_dir ();
  if (dir == NULL)
    return NULL;
  g_autofree char *path = g_build_filename (dir, "chest-xray-phantom.dcm", NULL);
  return g_file_new_for_path (path);
}

gboolean
lb_demo_model_ensure (char **text_path, char **mmproj_path, GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "lightbox", "demo-model-v" DEMO_MODEL_VERSION, NULL);
  g_autofree char *text = g_build_filename (dir, "demo-text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "demo-mmproj.gguf", NULL);

  if (!g_file_test (text, G_FILE_TEST_EXISTS) || !g_file_test (mmproj, G_FILE_TEST_EXISTS))
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot create %s: %s"), dir, g_strerror (saved_errno));
          return FALSE;
        }
      LbRandomModelSpec spec;
      if (!lb_random_model_spec_init (&spec, "tiny", error))
        return FALSE;
      spec.seed = 20250101;
      /* The writer puts each file in place only once it is complete. */
      gboolean ok = lb_random_model_write (&spec, text, mmproj, error);
      lb_random_model_spec_clear (&spec);
      if (!ok)
        return FALSE;
    }
  *text_path = g_steal_pointer (&text);
  *mmproj_path = g_steal_pointer (&mmproj);
  return TRUE;
}

static void
ensure_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *text = NULL, *mmproj = NULL;
  if (!lb_demo_model_ensure (&text, &mmproj, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  char **paths = g_new0 (char *, 3);
  paths[0] = text;
  paths[1] = mmproj;
  g_task_return_pointer (task, paths, (GDestroyNotify) g_strfreev);
}

void
lb_demo_model_ensure_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_demo_model_ensure_async);
  g_task_run_in_thread (task, ensure_thread);
}

gboolean
lb_demo_model_ensure_finish (GAsyncResult *result, char **text_path, char **mmproj_path, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_auto(GStrv) paths = g_task_propagate_pointer (G_TASK (result), error);
  if (paths == NULL)
    return FALSE;
  *text_path = g_strdup (paths[0]);
  *mmproj_path = g_strdup (paths[1]);
  return TRUE;
}
