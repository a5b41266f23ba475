/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-document.h"
#include "app/lb-study.h"

struct _LbStudy
{
  GObject parent_instance;

  GFile *folder;
  GListStore *items;
  GThreadPool *pool;
  GMainContext *context;
};

G_DEFINE_FINAL_TYPE (LbStudy, lb_study, G_TYPE_OBJECT)

/* ---- thumbnails (worker threads) ------------------------------------------------- */

typedef struct {
  LbStudyItem *item;
  GBytes *rgb;
  guint width;
  guint height;
  char *error;
} ThumbnailJob;

static void
thumbnail_job_free (ThumbnailJob *job)
{
  g_clear_object (&job->item);
  g_clear_pointer (&job->rgb, g_bytes_unref);
  g_free (job->error);
  g_free (job);
}

/* Main thread: hand the result to the item. */
static gboolean
thumbnail_done (gpointer user_data)
{
  ThumbnailJob *job = user_data;
  if (job->rgb != NULL)
    {
      g_autoptr(GdkTexture) texture = gdk_memory_texture_new ((int) job->width, (int) job->height,
                                                              GDK_MEMORY_R8G8B8, job->rgb, (gsize) job->width * 3);
      lb_study_item_set_thumbnail (job->item, texture);
    }
  else
    lb_study_item_set_failed (job->item, job->error);
  return G_SOURCE_REMOVE;
}

static void
make_thumbnail (gpointer data, gpointer user_data)
{
  ThumbnailJob *job = data;
  LbStudy *self = user_data;
  GError *error = NULL;

  g_autoptr(LbDocument) document = lb_document_load (lb_study_item_get_file (job->item), &error);
  if (document == NULL)
    {
      job->error = g_strdup (error->message);
      g_error_free (error);
    }
  else
    {
      const LbImage *image = lb_document_get_image (document);
      g_autoptr(LbDisplayImage) display = lb_display_render (image, lb_document_get_display (document), TRUE);
      double scale = MIN (1.0, (double) LB_STUDY_THUMBNAIL_SIZE / MAX (display->width, display->height));
      job->width = MAX (1u, (guint) (display->width * scale + 0.5));
      job->height = MAX (1u, (guint) (display->height * scale + 0.5));
      guint8 *rgb = g_malloc ((gsize) job->width * job->height * 3);
      lb_resize_bilinear_u8 (display->data, display->width, display->height, 3, rgb, job->width, job->height);
      job->rgb = g_bytes_new_take (rgb, (gsize) job->width * job->height * 3);
    }
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT_IDLE, thumbnail_done, job,
                              (GDestroyNotify) thumbnail_job_free);
}

void
lb_study_request_thumbnail (LbStudy *self, LbStudyItem *item)
{
  g_return_if_fail (LB_IS_STUDY (self));
  g_return_if_fail (LB_IS_STUDY_ITEM (item));

  if (lb_study_item_get_requested (item))
    return;
  lb_study_item_set_requested (item);
  ThumbnailJob *job = g_new0 (ThumbnailJob, 1);
  job->item = g_object_ref (item);
  g_thread_pool_push (self->pool, job, NULL);
}

/* ---- listing ------------------------------------------------------------------- */

static gboolean
looks_like_other_document (const char *name)
{
  static const char *const skip[] = {
    ".txt", ".md", ".json", ".xml", ".csv", ".pdf", ".zip", ".gz", ".html", ".htm", ".doc",
    ".docx", ".gguf", ".ini", ".log", ".py", ".sh", NULL,
  };
  g_autofree char *lower = g_ascii_strdown (name, -1);
  if (g_str_equal (lower, "dicomdir"))
    return TRUE;
  for (guint i = 0; skip[i] != NULL; i++)
    if (g_str_has_suffix (lower, skip[i]))
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  GFileInfo *fa = *(GFileInfo **) a, *fb = *(GFileInfo **) b;
  g_autofree char *ka = g_utf8_collate_key_for_filename (g_file_info_get_display_name (fa), -1);
  g_autofree char *kb = g_utf8_collate_key_for_filename (g_file_info_get_display_name (fb), -1);
  return strcmp (ka, kb);
}

static void
list_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GFile *folder = task_data;
  GError *error = NULL;

  g_autoptr(GFileEnumerator) enumerator =
    g_file_enumerate_children (folder,
                               G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                               G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_IS_HIDDEN,
                               G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (enumerator == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func (g_object_unref);
  GFileInfo *info;
  while ((info = g_file_enumerator_next_file (enumerator, cancellable, &error)) != NULL)
    {
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR && !g_file_info_get_is_hidden (info)
          && !looks_like_other_document (g_file_info_get_name (info)))
        g_ptr_array_add (infos, info);
      else
        g_object_unref (info);
    }
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_ptr_array_sort (infos, compare_names);

  GPtrArray *files = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < infos->len; i++)
    g_ptr_array_add (files, g_file_get_child (folder, g_file_info_get_name (g_ptr_array_index (infos, i))));
  g_task_return_pointer (task, files, (GDestroyNotify) g_ptr_array_unref);
}

void
lb_study_load_async (GFile *folder, GCancellable *cancellable, GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (G_IS_FILE (folder));

  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_study_load_async);
  g_task_set_task_data (task, g_object_ref (folder), g_object_unref);
  g_task_run_in_thread (task, list_thread);
}

LbStudy *
lb_study_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  g_autoptr(GPtrArray) files = g_task_propagate_pointer (G_TASK (result), error);
  if (files == NULL)
    return NULL;
  if (files->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The folder holds no images"));
      return NULL;
    }
  LbStudy *self = g_object_new (LB_TYPE_STUDY, NULL);
  self->folder = g_file_get_parent (g_ptr_array_index (files, 0));
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr(LbStudyItem) item = lb_study_item_new (g_ptr_array_index (files, i));
      g_list_store_append (self->items, item);
    }
  return self;
}

LbStudy *
lb_study_new_for_files (GFile **files, guint n_files)
{
  g_return_val_if_fail (n_files > 0, NULL);

  LbStudy *self = g_object_new (LB_TYPE_STUDY, NULL);
  self->folder = g_file_get_parent (files[0]);
  for (guint i = 0; i < n_files; i++)
    {
      g_autoptr(LbStudyItem) item = lb_study_item_new (files[i]);
      g_list_store_append (self->items, item);
    }
  return self;
}

GFile *
lb_study_get_folder (LbStudy *self)
{
  g_return_val_if_fail (LB_IS_STUDY (self), NULL);
  return self->folder;
}

GListModel *
lb_study_get_items (LbStudy *self)
{
  g_return_val_if_fail (LB_IS_STUDY (self), NULL);
  return G_LIST_MODEL (self->items);
}

int
lb_study_find (LbStudy *self, GFile *file)
{
  g_return_val_if_fail (LB_IS_STUDY (self), -1);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  for (guint i = 0; file != NULL && i < n; i++)
    {
      g_autoptr(LbStudyItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      if (g_file_equal (lb_study_item_get_file (item), file))
        return (int) i;
    }
  return -1;
}

static void
lb_study_finalize (GObject *object)
{
  LbStudy *self = LB_STUDY (object);

  /* Waits for the thumbnails in progress; their results go to the
   * context, which drops them with the items' refs. */
  g_thread_pool_free (self->pool, TRUE, TRUE);
  g_clear_object (&self->folder);
  g_clear_object (&self->items);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (lb_study_parent_class)->finalize (object);
}

static void
lb_study_class_init (LbStudyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_study_finalize;
}

static void
lb_study_init (LbStudy *self)
{
  self->items = g_list_store_new (LB_TYPE_STUDY_ITEM);
  self->context = g_main_context_ref_thread_default ();
  self->pool = g_thread_pool_new_full (make_thumbnail, self, (GDestroyNotify) thumbnail_job_free, 2, FALSE, NULL);
}
