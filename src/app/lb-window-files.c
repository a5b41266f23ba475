/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LbWindow's files: opening images, folders (as a study) and several files
 * (as a study), the file chooser, recent files and the bundled samples in
 * the Open menu, the study's thumbnail strip and stepping through it, drag
 * and drop, and loading a document in the background.
 */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <glib/gi18n.h>

#include "app/lb-demo.h"
#include "app/lb-window-private.h"
#include "imaging/slide.h"

#define MAX_RECENT 8

/* ---- recent files and samples ------------------------------------------------------ */

/* Most recently used first. */
static int
compare_recent (gconstpointer a, gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *tb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);
  return g_date_time_compare (tb, ta);
}

void
lb_window_fill_recent (LbWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  const char *app = g_get_application_name ();
  guint n = 0;

  g_menu_remove_all (self->recent_section);
  items = g_list_sort (items, compare_recent);
  for (GList *l = items; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      if (app == NULL || !gtk_recent_info_has_application (info, app) || !gtk_recent_info_exists (info))
        continue;
      g_autoptr(GMenuItem) item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (gtk_recent_info_get_uri (info)));
      g_menu_append_item (self->recent_section, item);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

static void
add_recent (LbWindow *self, GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) "application/octet-stream",
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "lightbox %u",
  };
  if (data.app_name != NULL)
    gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static void
fill_samples (LbWindow *self)
{
  g_autoptr(GPtrArray) samples = lb_demo_list_samples ();
  for (guint i = 0; i < samples->len; i++)
    {
      const char *path = g_ptr_array_index (samples, i);
      g_autofree char *name = g_filename_display_basename (path);
      g_autoptr(GMenuItem) item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-sample", g_variant_new_string (path));
      g_menu_append_item (self->open_samples_section, item);
      g_menu_append_item (self->samples_section, item);
    }
}

/* ---- opening ------------------------------------------------------------------------ */

static void
on_document_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbDocument) document = lb_document_load_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_set_spinning (self->loading_spinner, FALSE);
  g_autoptr(GFile) file = g_steal_pointer (&self->loading_file);
  if (document == NULL)
    {
      g_autofree char *name = file != NULL ? g_file_get_basename (file) : g_strdup ("");
      g_autofree char *context = g_strdup_printf (_("Cannot open %s"), name);
      gtk_stack_set_visible_child_name (self->image_stack, self->document != NULL ? "image" : "empty");
      lb_window_show_error (self, context, error);
      return;
    }
  if (self->banner_action == BANNER_ACTION_NONE)
    lb_window_hide_banner (self);
  add_recent (self, file);
  lb_window_fill_recent (self);
  lb_window_set_document (self, document);
  lb_window_show_page (self, "viewer");
}

static void
load_document (LbWindow *self, GFile *file)
{
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  g_set_object (&self->loading_file, file);
  gtk_stack_set_visible_child_name (self->image_stack, "loading");
  gtk_spinner_set_spinning (self->loading_spinner, TRUE);
  lb_document_load_async (file, self->load_cancellable, on_document_loaded, g_object_ref (self));
}

static void
on_thumbnail_changed (LbStudyItem *item, GParamSpec *pspec, GtkListItem *list_item)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkPicture *picture = GTK_PICTURE (gtk_widget_get_first_child (box));
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (lb_study_item_get_thumbnail (item)));
}

static void
study_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (box, "study-thumbnail");
  GtkWidget *picture = gtk_picture_new ();
  gtk_widget_set_size_request (picture, 96, 80);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 14);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (list_item, box);
}

static void
study_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  LbStudyItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *label = gtk_widget_get_last_child (box);
  gtk_label_set_label (GTK_LABEL (label), lb_study_item_get_name (item));
  gtk_widget_set_tooltip_text (box, lb_study_item_get_name (item));
  on_thumbnail_changed (item, NULL, list_item);
  g_signal_connect_object (item, "notify::thumbnail", G_CALLBACK (on_thumbnail_changed), list_item, 0);
  if (self->study != NULL)
    lb_study_request_thumbnail (self->study, item);
}

static void
study_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, LbWindow *self)
{
  LbStudyItem *item = gtk_list_item_get_item (list_item);
  g_signal_handlers_disconnect_by_func (item, on_thumbnail_changed, list_item);
}

void
lb_window_set_study (LbWindow *self, LbStudy *study)
{
  g_set_object (&self->study, study);
  GListModel *items = study != NULL ? g_object_ref (lb_study_get_items (study)) : NULL;
  GtkSingleSelection *selection = gtk_single_selection_new (items);
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  g_set_object (&self->study_selection, selection);
  g_object_unref (selection);
  gtk_list_view_set_model (self->study_list, GTK_SELECTION_MODEL (self->study_selection));
  gtk_revealer_set_reveal_child (self->study_revealer,
                                 study != NULL && g_list_model_get_n_items (lb_study_get_items (study)) > 1);
}

static void
open_study_item (LbWindow *self, guint position)
{
  if (self->study == NULL || position >= g_list_model_get_n_items (lb_study_get_items (self->study)))
    return;
  g_autoptr(LbStudyItem) item = g_list_model_get_item (lb_study_get_items (self->study), position);
  gtk_single_selection_set_selected (self->study_selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self->study_list), "list.scroll-to-item", "u", position);
  load_document (self, lb_study_item_get_file (item));
}

void
lb_window_on_study_activate (LbWindow *self, guint position, GtkListView *list)
{
  open_study_item (self, position);
}

void
lb_window_step_image (LbWindow *self, int step)
{
  if (self->study == NULL || self->document == NULL)
    return;
  int position = lb_study_find (self->study, lb_document_get_file (self->document));
  int n = (int) g_list_model_get_n_items (lb_study_get_items (self->study));
  if (position >= 0 && position + step >= 0 && position + step < n)
    open_study_item (self, (guint) (position + step));
}

static void
on_study_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbStudy) study = lb_study_load_finish (result, &error);

  if (study == NULL)
    {
      lb_window_show_error (self, _("Cannot open the folder"), error);
      return;
    }
  lb_window_set_study (self, study);
  open_study_item (self, 0);
}

void
lb_window_open (LbWindow *self, GFile *file)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  lb_window_open_files (self, &file, 1);
}

void
lb_window_open_files (LbWindow *self, GFile **files, guint n_files)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  if (n_files == 0)
    return;

  if (n_files > 1)
    {
      g_autoptr(LbStudy) study = lb_study_new_for_files (files, n_files);
      lb_window_set_study (self, study);
      open_study_item (self, 0);
      return;
    }
  GFileType type = g_file_query_file_type (files[0], G_FILE_QUERY_INFO_NONE, NULL);
  if (type == G_FILE_TYPE_DIRECTORY)
    {
      g_autofree char *path = g_file_get_path (files[0]);
      /* Some whole-slide formats are folders (MIRAX has a folder beside its file). */
      if (path == NULL || lb_slide_detect (path) == NULL)
        {
          lb_study_load_async (files[0], NULL, on_study_loaded, g_object_ref (self));
          return;
        }
    }
  /* A file outside the open study closes it. */
  if (self->study != NULL && lb_study_find (self->study, files[0]) < 0)
    lb_window_set_study (self, NULL);
  else if (self->study != NULL)
    gtk_single_selection_set_selected (self->study_selection, (guint) lb_study_find (self->study, files[0]));
  load_document (self, files[0]);
}

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  LbWindow *self = user_data;
  gboolean folder = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      guint n = g_list_model_get_n_items (files);
      g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (array, g_list_model_get_item (files, i));
      if (folder && n == 1)
        lb_study_load_async (g_ptr_array_index (array, 0), NULL, on_study_loaded, g_object_ref (self));
      else
        lb_window_open_files (self, (GFile **) array->pdata, array->len);
    }
  g_clear_object (&self->chooser);
}

void
lb_window_show_chooser (LbWindow *self, gboolean folder)
{
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (folder ? _("Open a Folder as a Study") : _("Open Images"),
                                               GTK_WINDOW (self),
                                               folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                      : GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (!folder)
    {
      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
      g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
      gtk_file_filter_set_name (images, _("Medical images (DICOM, PNG, JPEG, TIFF, slides)"));
      static const char *const patterns[] = {
        "*.dcm", "*.DCM", "*.dicom", "*.png", "*.PNG", "*.jpg", "*.JPG", "*.jpeg", "*.JPEG", "*.tif",
        "*.TIF", "*.tiff", "*.TIFF", "*.svs", "*.ndpi", "*.mrxs", "*.scn", "*.bif", "*.vms",
      };
      for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
        gtk_file_filter_add_pattern (images, patterns[i]);
      gtk_file_filter_add_mime_type (images, "application/dicom");
      gtk_file_filter_add_mime_type (images, "image/png");
      gtk_file_filter_add_mime_type (images, "image/jpeg");
      gtk_file_filter_add_mime_type (images, "image/tiff");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), images);
      /* DICOM files often have no extension at all. */
      g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- drag and drop ------------------------------------------------------------------ */

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, LbWindow *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  GSList *list = g_value_get_boxed (value);
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  if (files->len == 0)
    return FALSE;
  lb_window_open_files (self, (GFile **) files->pdata, files->len);
  return TRUE;
}

void
lb_window_init_files (LbWindow *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (study_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (study_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (study_unbind), self);
  gtk_list_view_set_factory (self->study_list, factory);
  g_object_unref (factory);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  fill_samples (self);
}
