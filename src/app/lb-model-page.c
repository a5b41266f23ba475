/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "app/lb-model-page.h"

struct _LbModelPage
{
  AdwBin parent_instance;

  AdwStatusPage *status_page;
  GtkLabel *howto_label;
  AdwActionRow *text_row;
  AdwActionRow *mmproj_row;
  AdwComboRow *device_row;
  GtkBox *error_box;
  GtkLabel *error_label;
  GtkBox *progress_box;
  GtkProgressBar *progress_bar;
  GtkLabel *info_label;
  GtkButton *continue_button;

  GSettings *settings;
  LbModelManager *models;
  char *text_path;
  char *mmproj_path;
  GtkStringList *devices;   /* "Automatic", then "N: name (type)" */
  gboolean filling_devices;
  GtkFileChooserNative *chooser;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (LbModelPage, lb_model_page, ADW_TYPE_BIN)

char *
lb_model_page_get_models_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "lightbox", "models", NULL);
}

static void
show_path (AdwActionRow *row, const char *path, const char *placeholder)
{
  if (path != NULL && *path != '\0')
    {
      g_autofree char *name = g_filename_display_basename (path);
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *subtitle = g_strdup_printf ("%s — %s", name, dir);
      adw_action_row_set_subtitle (row, subtitle);
    }
  else
    adw_action_row_set_subtitle (row, placeholder);
}

static void
update_paths (LbModelPage *self)
{
  show_path (self->text_row, self->text_path, _("e.g. medgemma-4b-it-Q4_K_M.gguf"));
  show_path (self->mmproj_row, self->mmproj_path, _("e.g. mmproj-medgemma-4b-it-F16.gguf"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.load",
                                 self->text_path != NULL && *self->text_path && self->mmproj_path != NULL
                                 && *self->mmproj_path
                                 && lb_model_manager_get_state (self->models) != LB_MODEL_STATE_LOADING);
}

/* Files already in the models folder: the mmproj has "mmproj" in its name. */
static void
find_files_in_models_dir (LbModelPage *self)
{
  g_autofree char *dir_path = lb_model_page_get_models_dir ();
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (name, ".gguf"))
        continue;
      g_autofree char *lower = g_ascii_strdown (name, -1);
      char **slot = strstr (lower, "mmproj") != NULL ? &self->mmproj_path : &self->text_path;
      if (*slot == NULL || **slot == '\0')
        {
          g_free (*slot);
          *slot = g_build_filename (dir_path, name, NULL);
        }
    }
}

/* ---- the model's state -------------------------------------------------------- */

static char *
explain_error (const GError *error)
{
  const char *hint = NULL;
  if (error->domain == LB_ENGINE_ERROR)
    switch (error->code)
      {
      case LB_ENGINE_ERROR_OUT_OF_MEMORY:
        hint = _("Close other programs that use the GPU, choose another GPU, or use a smaller file (Q4_K_M).");
        break;
      case LB_ENGINE_ERROR_SELF_TEST:
        hint = _("This GPU's driver computes wrong results for the model: choose another GPU above.");
        break;
      case LB_ENGINE_ERROR_NO_DEVICE:
        hint = _("Lightbox needs a Vulkan driver for the GPU (Mesa, or the vendor's driver).");
        break;
      case LB_ENGINE_ERROR_DEVICE_LOST:
        hint = _("The GPU was reset. Load the model again.");
        break;
      default:
        break;
      }
  return hint != NULL ? g_strdup_printf ("%s\n%s", error->message, hint) : g_strdup (error->message);
}

static void
update_state (LbModelPage *self)
{
  LbModelState state = lb_model_manager_get_state (self->models);
  const GError *error = lb_model_manager_get_error (self->models);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_box), state == LB_MODEL_STATE_LOADING);
  gtk_widget_set_visible (GTK_WIDGET (self->error_box), state == LB_MODEL_STATE_FAILED && error != NULL);
  if (state == LB_MODEL_STATE_FAILED && error != NULL)
    {
      g_autofree char *text = explain_error (error);
      gtk_label_set_label (self->error_label, text);
    }
  if (state == LB_MODEL_STATE_LOADING)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, lb_model_manager_get_progress (self->models));
      gtk_progress_bar_set_text (self->progress_bar, lb_model_manager_get_status (self->models));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->info_label), state == LB_MODEL_STATE_READY);
  if (state == LB_MODEL_STATE_READY)
    {
      g_autofree char *info = lb_model_manager_describe (self->models);
      gtk_label_set_label (self->info_label, info);
      adw_status_page_set_title (self->status_page, _("The Model Is Ready"));
    }
  else
    adw_status_page_set_title (self->status_page, _("Set Up MedGemma"));
  update_paths (self);
}

static void
on_models_notify (LbModelManager *models, GParamSpec *pspec, LbModelPage *self)
{
  update_state (self);
}

/* ---- choosing files ------------------------------------------------------------ */

static void
on_chooser_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  LbModelPage *self = user_data;
  gboolean mmproj = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "lb-mmproj"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *path = g_file_get_path (file);
      if (mmproj)
        {
          g_free (self->mmproj_path);
          self->mmproj_path = path;
        }
      else
        {
          g_free (self->text_path);
          self->text_path = path;
        }
      update_paths (self);
    }
  g_clear_object (&self->chooser);
}

static void
choose (LbModelPage *self, gboolean mmproj)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  self->chooser = gtk_file_chooser_native_new (mmproj ? _("Choose the Vision Projector") : _("Choose the Text Model"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("GGUF model files"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_filter_add_pattern (filter, "*.GGUF");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_autofree char *dir = lb_model_page_get_models_dir ();
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) folder = g_file_new_for_path (dir);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  g_object_set_data (G_OBJECT (self->chooser), "lb-mmproj", GINT_TO_POINTER (mmproj));
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
choose_text_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (LB_MODEL_PAGE (widget), FALSE);
}

static void
choose_mmproj_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (LB_MODEL_PAGE (widget), TRUE);
}

static void
load_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbModelPage *self = LB_MODEL_PAGE (widget);

  g_settings_set_string (self->settings, "text-model-path", self->text_path != NULL ? self->text_path : "");
  g_settings_set_string (self->settings, "mmproj-path", self->mmproj_path != NULL ? self->mmproj_path : "");
  gtk_widget_activate_action (widget, "app.load-model", NULL);
}

/* ---- devices ------------------------------------------------------------------ */

static void
select_device (LbModelPage *self)
{
  g_autofree char *device = g_settings_get_string (self->settings, "device");
  guint selected = 0;
  for (guint i = 1; *device != '\0' && i < g_list_model_get_n_items (G_LIST_MODEL (self->devices)); i++)
    {
      const char *line = gtk_string_list_get_string (self->devices, i);
      g_autofree char *index = g_strdup_printf ("%s:", device);
      if (g_str_has_prefix (line, index))
        selected = i;
    }
  self->filling_devices = TRUE;
  adw_combo_row_set_selected (self->device_row, selected);
  self->filling_devices = FALSE;
}

static void
on_devices (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) devices = lb_model_manager_list_devices_finish (LB_MODEL_MANAGER (source), result, &error);
  if (devices == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  LbModelPage *self = user_data;
  if (devices == NULL)
    {
      g_autofree char *subtitle = g_strdup_printf (_("No Vulkan device: %s"), error->message);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->device_row), subtitle);
      return;
    }
  self->filling_devices = TRUE;
  for (guint i = 0; devices[i] != NULL; i++)
    gtk_string_list_append (self->devices, devices[i]);
  self->filling_devices = FALSE;
  select_device (self);
}

static void
on_device_selected (AdwComboRow *row, GParamSpec *pspec, LbModelPage *self)
{
  if (self->filling_devices || self->settings == NULL)
    return;
  guint selected = adw_combo_row_get_selected (row);
  g_autofree char *device = NULL;
  if (selected > 0 && selected != GTK_INVALID_LIST_POSITION)
    {
      const char *line = gtk_string_list_get_string (self->devices, selected);
      device = g_strndup (line, strcspn (line, ":"));
    }
  g_settings_set_string (self->settings, "device", device != NULL ? device : "");
}

/* ---- public -------------------------------------------------------------------- */

void
lb_model_page_set_has_image (LbModelPage *self, gboolean has_image)
{
  g_return_if_fail (LB_IS_MODEL_PAGE (self));
  gtk_button_set_label (self->continue_button, has_image ? _("_Back to the Image") : _("Continue _Without a Model"));
}

void
lb_model_page_setup (LbModelPage *self, GSettings *settings, LbModelManager *models)
{
  g_return_if_fail (LB_IS_MODEL_PAGE (self));
  g_return_if_fail (self->models == NULL);

  self->settings = g_object_ref (settings);
  self->models = g_object_ref (models);
  self->text_path = g_settings_get_string (settings, "text-model-path");
  self->mmproj_path = g_settings_get_string (settings, "mmproj-path");
  if (*self->text_path == '\0' || *self->mmproj_path == '\0')
    find_files_in_models_dir (self);

  g_signal_connect_object (models, "notify::state", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (models, "notify::progress", G_CALLBACK (on_models_notify), self, 0);
  g_signal_connect_object (models, "notify::status", G_CALLBACK (on_models_notify), self, 0);
  lb_model_manager_list_devices_async (models, self->cancellable, on_devices, self);
  update_state (self);
}

/* ---- class -------------------------------------------------------------------- */

static void
lb_model_page_dispose (GObject *object)
{
  LbModelPage *self = LB_MODEL_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_model_page_parent_class)->dispose (object);
}

static void
lb_model_page_finalize (GObject *object)
{
  LbModelPage *self = LB_MODEL_PAGE (object);

  g_free (self->text_path);
  g_free (self->mmproj_path);
  g_clear_object (&self->devices);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (lb_model_page_parent_class)->finalize (object);
}

static void
lb_model_page_class_init (LbModelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_model_page_dispose;
  object_class->finalize = lb_model_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lightbox/Lightbox/lb-model-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, howto_label);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, text_row);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, mmproj_row);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, error_box);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, progress_box);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, info_label);
  gtk_widget_class_bind_template_child (widget_class, LbModelPage, continue_button);

  gtk_widget_class_install_action (widget_class, "model.choose-text", NULL, choose_text_action);
  gtk_widget_class_install_action (widget_class, "model.choose-mmproj", NULL, choose_mmproj_action);
  gtk_widget_class_install_action (widget_class, "model.load", NULL, load_action);
}

static void
lb_model_page_init (LbModelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  g_autofree char *dir = lb_model_page_get_models_dir ();
  g_autofree char *dir_markup = g_markup_escape_text (dir, -1);
  g_autofree char *howto = g_strdup_printf (
    _("<b>1.</b> Download the two GGUF files of <b>medgemma-4b-it</b>: the <b>text model</b> "
      "(e.g. <tt>medgemma-4b-it-Q4_K_M.gguf</tt>, 2.5 GB; Q8_0, F16 and BF16 work too) and the "
      "<b>vision projector</b> (e.g. <tt>mmproj-medgemma-4b-it-F16.gguf</tt>). The community "
      "publishes them on Hugging Face: search for “medgemma-4b-it GGUF”. Downloading them means "
      "accepting Google's Health AI Developer Foundations terms.\n"
      "<b>2.</b> Put them in <tt>%s</tt>, or choose them below.\n"
      "<b>3.</b> Load them. The model's output is a draft for a professional to verify, never a diagnosis."),
    dir_markup);
  gtk_label_set_markup (self->howto_label, howto);

  self->devices = gtk_string_list_new (NULL);
  gtk_string_list_append (self->devices, _("Automatic"));
  adw_combo_row_set_model (self->device_row, G_LIST_MODEL (self->devices));
  g_signal_connect (self->device_row, "notify::selected", G_CALLBACK (on_device_selected), self);
}
