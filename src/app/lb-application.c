/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "app/lb-application.h"
#include "app/lb-demo.h"
#include "app/lb-generation.h"
#include "app/lb-preferences-window.h"
#include "app/lb-screenshot.h"
#include "app/lb-window.h"

/* Longest wait for the window to settle before a screenshot. */
#define SCREENSHOT_TIMEOUT_S 300
/* Frames to wait for one whose contents are still current after it is
 * drawn (see on_screenshot_after_paint). */
#define SCREENSHOT_MAX_FRAMES 60

struct _LbApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  LbModelManager *models;
  int exit_status;          /* non-zero after a failed --screenshot */

  /* Command line. */
  gboolean demo;
  char *screenshot_path;
  int screenshot_width;
  int screenshot_height;
  gboolean generate;
  char *question;
  char *panel;
  char **actions;
  char *demo_answer;

  /* Screenshot progress. */
  gboolean actions_done;
  guint screenshot_source;
  gint64 screenshot_started;
  gboolean generate_started;
  gboolean question_asked;
  guint settled_ticks;
  GtkWidget *shot_window;         /* the window being copied, once settled */
  GdkFrameClock *shot_clock;      /* its frame clock */
  gulong shot_paint_handler;      /* on shot_clock's after-paint */
  guint shot_frames;              /* frames drawn since then */
};

G_DEFINE_FINAL_TYPE (LbApplication, lb_application, ADW_TYPE_APPLICATION)

GSettings *
lb_application_create_settings (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source != NULL ? g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE) : NULL;

#ifdef LB_BUILD_SCHEMA_DIR
  if (schema == NULL)
    {
      /* Running from the build folder: the schema compiled there. */
      g_autoptr(GSettingsSchemaSource) build = g_settings_schema_source_new_from_directory (LB_BUILD_SCHEMA_DIR, source,
                                                                                           FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, APPLICATION_ID, FALSE);
    }
#endif
  if (schema == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The settings schema %s is not installed (install Lightbox, or set GSETTINGS_SCHEMA_DIR)"),
                   APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

GSettings *
lb_application_get_settings (LbApplication *self)
{
  g_return_val_if_fail (LB_IS_APPLICATION (self), NULL);
  return self->settings;
}

LbModelManager *
lb_application_get_models (LbApplication *self)
{
  g_return_val_if_fail (LB_IS_APPLICATION (self), NULL);
  return self->models;
}

static LbWindow *
active_window (LbApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  return LB_IS_WINDOW (window) ? LB_WINDOW (window) : NULL;
}

/* ---- the model ----------------------------------------------------------------- */

static void
on_model_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!lb_model_manager_load_finish (LB_MODEL_MANAGER (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("The model did not load: %s", error->message);
      LbWindow *window = active_window (self);
      if (window != NULL && g_strcmp0 (lb_window_get_page (window), "model") != 0)
        lb_window_show_error (window, _("The model did not load"), error);
    }
}

static LbEngineBackend
settings_backend (LbApplication *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "backend");
  LbEngineBackend backend = LB_ENGINE_BACKEND_AUTO;
  lb_engine_backend_from_name (name, &backend);
  return backend;
}

void
lb_application_load_model (LbApplication *self)
{
  g_return_if_fail (LB_IS_APPLICATION (self));

  g_autofree char *text = g_settings_get_string (self->settings, "text-model-path");
  g_autofree char *mmproj = g_settings_get_string (self->settings, "mmproj-path");
  g_autofree char *device = g_settings_get_string (self->settings, "device");
  if (*text == '\0')
    return;
  lb_model_manager_load_async (self->models, text, mmproj, settings_backend (self), device, NULL,
                               on_model_loaded, g_object_ref (self));
}

static void
on_demo_model_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(LbApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *mmproj = NULL;

  if (!lb_demo_model_ensure_finish (result, &text, &mmproj, &error))
    {
      LbWindow *window = active_window (self);
      g_message ("The demo model could not be written: %s", error->message);
      if (window != NULL)
        lb_window_show_error (window, _("The demo model could not be written"), error);
      return;
    }
  g_autofree char *device = g_settings_get_string (self->settings, "device");
  lb_model_manager_load_async (self->models, text, mmproj, settings_backend (self), device, NULL,
                               on_model_loaded, g_object_ref (self));
}

void
lb_application_load_demo_model (LbApplication *self)
{
  g_return_if_fail (LB_IS_APPLICATION (self));
  lb_demo_model_ensure_async (NULL, on_demo_model_written, g_object_ref (self));
}

/* ---- actions ------------------------------------------------------------------- */

static LbWindow *
new_window (LbApplication *self)
{
  LbWindow *window = lb_window_new (GTK_APPLICATION (self));
  if (self->screenshot_width > 0 && self->screenshot_height > 0)
    {
      /* --size is this run's size only: the window forgets its saved size,
       * so that the run neither stores its size as the user's nor has it
       * put back by the settings (a settings backend that cannot store
       * anything puts back every value written to it). */
      g_settings_unbind (window, "default-width");
      g_settings_unbind (window, "default-height");
      g_settings_unbind (window, "maximized");
      gtk_window_unmaximize (GTK_WINDOW (window));
      gtk_window_set_default_size (GTK_WINDOW (window), self->screenshot_width, self->screenshot_height);
    }
  /* No restored draft for --generate to ask about, none overwritten. */
  if (self->screenshot_path != NULL)
    lb_report_panel_set_keep_drafts (lb_window_get_report_panel (window), FALSE);
  if (self->panel != NULL)
    g_settings_set_string (self->settings, "sidebar-page", self->panel);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbApplication *self = user_data;
  /* Through close-request, so every window saves its report. */
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
new_window_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  new_window (user_data);
}

static void
preferences_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbApplication *self = user_data;
  LbPreferencesWindow *preferences = lb_preferences_window_new (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                                                self->settings);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbApplication *self = user_data;
  static const char *developers[] = { "The Lightbox project", NULL };
  GtkWidget *about = adw_about_window_new ();
  g_object_set (about,
                "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                "application-name", _("Lightbox"),
                "application-icon", APPLICATION_ID,
                "version", PACKAGE_VERSION,
                "developer-name", _("The Lightbox project"),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("A viewer for chest X-rays, dermatology, fundus and pathology images, with "
                              "Google's MedGemma running on this computer to draft reports and answer "
                              "questions.\n\nEverything the model writes is an AI draft for a qualified "
                              "professional to verify. It is not a diagnosis."),
                NULL);
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), "MedGemma", NULL, GTK_LICENSE_CUSTOM,
                                      _("MedGemma is a model by Google, distributed under the Health AI "
                                        "Developer Foundations terms of use, which you accept when you "
                                        "download it. Lightbox does not include it."));
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("Sample images"), NULL, GTK_LICENSE_CUSTOM,
                                      _("The bundled samples are synthetic phantoms drawn by Lightbox "
                                        "itself (CC0). None comes from a patient."));
  gtk_window_present (GTK_WINDOW (about));
}

static void
load_model_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_application_load_model (user_data);
}

static void
demo_model_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  lb_application_load_demo_model (user_data);
}

static void
cancel_load_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  LbApplication *self = user_data;
  lb_model_manager_cancel_load (self->models);
}

static const GActionEntry app_entries[] = {
  { "quit", quit_action },
  { "new-window", new_window_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "load-model", load_model_action },
  { "demo-model", demo_model_action },
  { "cancel-load", cancel_load_action },
};

static const struct {
  const char *action;
  const char *accels[4];
} shortcuts[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "app.new-window", { "<Control>n", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "window.close", { "<Control>w", NULL } },
  { "win.open", { "<Control>o", NULL } },
  { "win.open-folder", { "<Control><Shift>o", NULL } },
  { "win.close-image", { "<Control><Shift>w", NULL } },
  { "win.zoom-in", { "<Control>plus", "<Control>equal", "<Control>KP_Add", NULL } },
  { "win.zoom-out", { "<Control>minus", "<Control>KP_Subtract", NULL } },
  { "win.zoom-fit", { "<Control>0", NULL } },
  { "win.zoom-actual", { "<Control>1", NULL } },
  { "win.rotate-right", { "<Control>r", NULL } },
  { "win.rotate-left", { "<Control><Shift>r", NULL } },
  { "win.flip-horizontal", { "<Control>h", NULL } },
  { "win.flip-vertical", { "<Control><Shift>h", NULL } },
  { "win.invert", { "<Control>i", NULL } },
  { "win.reset-view", { "<Control>BackSpace", NULL } },
  { "win.show-model-input", { "<Control>m", NULL } },
  { "win.ask-region", { "<Control><Shift>a", NULL } },
  { "win.generate", { "<Control>Return", "<Control>KP_Enter", NULL } },
  { "win.stop", { "Escape", NULL } },
  { "win.copy-report", { "<Control><Shift>c", NULL } },
  { "win.ask", { "<Control>l", NULL } },
  { "win.previous-image", { "<Alt>Left", "<Control>Page_Up", NULL } },
  { "win.next-image", { "<Alt>Right", "<Control>Page_Down", NULL } },
  { "win.sidebar-visible", { "F9", NULL } },
  { "win.sidebar-page::report", { "<Alt>1", NULL } },
  { "win.sidebar-page::chat", { "<Alt>2", NULL } },
  { "win.sidebar-page::details", { "<Alt>3", NULL } },
  { "win.show-model-page", { "<Control><Shift>m", NULL } },
};

/* ---- colour scheme ------------------------------------------------------------- */

static void
apply_color_scheme (LbApplication *self)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK,
  };
  int scheme = g_settings_get_enum (self->settings, "color-scheme");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[CLAMP (scheme, 0, 2)]);
}

static void
on_color_scheme_changed (GSettings *settings, const char *key, LbApplication *self)
{
  apply_color_scheme (self);
}

/* ---- screenshots ---------------------------------------------------------------- */

/* Ends a --screenshot run: no more ticks or frames, the exit status, quit. */
static void
screenshot_finish (LbApplication *self, int exit_status)
{
  g_clear_handle_id (&self->screenshot_source, g_source_remove);
  g_clear_signal_handler (&self->shot_paint_handler, self->shot_clock);
  g_clear_object (&self->shot_clock);
  g_clear_object (&self->shot_window);
  if (exit_status != 0)
    self->exit_status = exit_status;
  g_application_quit (G_APPLICATION (self));
}

/* The copy is taken right after the window has drawn a frame. A widget's
 * picture (GtkWidgetPaintable) is the render node of its last frame, which
 * GTK drops as soon as any widget inside asks for a redraw, until the next
 * frame; copied at any other time (a timeout), the window may have nothing
 * to show. Right after a frame it is current, unless a handler of this
 * same frame asked for a redraw already: then the next frame is copied. */
static void
on_screenshot_after_paint (GdkFrameClock *clock, gpointer user_data)
{
  LbApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = lb_screenshot_render (self->shot_window, &error);

  if (texture == NULL)
    {
      if (++self->shot_frames < SCREENSHOT_MAX_FRAMES)
        {
          gtk_widget_queue_draw (self->shot_window);
          return;
        }
      g_printerr ("lightbox: %s (%u frames)\n", error->message, self->shot_frames);
      screenshot_finish (self, 1);
      return;
    }
  if (!gdk_texture_save_to_png (texture, self->screenshot_path))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot write the screenshot to %s"), self->screenshot_path);
      g_printerr ("lightbox: %s\n", message);
      screenshot_finish (self, 1);
      return;
    }
  g_print ("%s\n", self->screenshot_path);
  screenshot_finish (self, 0);
}

static gboolean
screenshot_tick (gpointer user_data)
{
  LbApplication *self = user_data;
  LbWindow *window = active_window (self);
  double elapsed = (g_get_monotonic_time () - self->screenshot_started) / 1e6;

  if (elapsed > SCREENSHOT_TIMEOUT_S)
    {
      if (self->shot_window != NULL)
        g_printerr ("lightbox: the window drew no frame within %d s; no screenshot\n", SCREENSHOT_TIMEOUT_S);
      else
        g_printerr ("lightbox: the window did not settle within %d s; no screenshot\n", SCREENSHOT_TIMEOUT_S);
      self->screenshot_source = 0;
      screenshot_finish (self, 1);
      return G_SOURCE_REMOVE;
    }
  /* Settled: waiting for the frame to copy (on_screenshot_after_paint). */
  if (self->shot_window != NULL)
    return G_SOURCE_CONTINUE;
  if (window == NULL || !gtk_widget_get_mapped (GTK_WIDGET (window)))
    return G_SOURCE_CONTINUE;

  /* The demo or configured model is still being written or loaded. */
  LbModelState state = lb_model_manager_get_state (self->models);
  gboolean model_wanted = self->generate || self->question != NULL;
  if (model_wanted && !self->demo && state == LB_MODEL_STATE_NONE)
    {
      g_printerr ("lightbox: --generate and --ask need a model: none is set up in the settings "
                  "(use --demo for the demo model)\n");
      self->screenshot_source = 0;
      screenshot_finish (self, 1);
      return G_SOURCE_REMOVE;
    }
  if (model_wanted && state != LB_MODEL_STATE_READY && state != LB_MODEL_STATE_FAILED)
    return G_SOURCE_CONTINUE;
  if (!lb_window_get_settled (window))
    {
      self->settled_ticks = 0;
      return G_SOURCE_CONTINUE;
    }
  /* --action NAME: window actions, in order (what a user would click),
   * once the image is open and, with --generate or --ask, once that
   * answer is written (an occlusion map needs one). */
  gboolean answer_pending = (self->generate && !self->generate_started)
                            || (self->question != NULL && !self->question_asked);
  if (self->actions != NULL && !self->actions_done && lb_window_get_document (window) != NULL && !answer_pending)
    {
      self->actions_done = TRUE;
      for (guint i = 0; self->actions[i] != NULL; i++)
        {
          g_autofree char *detailed = g_str_has_prefix (self->actions[i], "win.") ? g_strdup (self->actions[i])
                                                                                  : g_strconcat ("win.", self->actions[i], NULL);
          /* "regions-source::token", "select-box(0)": a target, as in menus. */
          g_autofree char *name = NULL;
          g_autoptr(GVariant) target = NULL;
          g_autoptr(GError) error = NULL;
          if (!g_action_parse_detailed_name (detailed, &name, &target, &error))
            g_printerr ("lightbox: %s\n", error->message);
          else if (!gtk_widget_activate_action_variant (GTK_WIDGET (window), name, target))
            g_printerr ("lightbox: no action %s\n", detailed);
        }
      self->settled_ticks = 0;
      return G_SOURCE_CONTINUE;
    }
  if (self->generate && !self->generate_started && lb_window_get_document (window) != NULL
      && state == LB_MODEL_STATE_READY)
    {
      self->generate_started = TRUE;
      gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL);
      return G_SOURCE_CONTINUE;
    }
  if (self->question != NULL && !self->question_asked && lb_window_get_document (window) != NULL
      && state == LB_MODEL_STATE_READY)
    {
      self->question_asked = TRUE;
      lb_chat_panel_ask (lb_window_get_chat_panel (window), self->question);
      return G_SOURCE_CONTINUE;
    }
  /* A few quiet frames, so that transitions and scrolling have ended. */
  if (++self->settled_ticks < 8)
    return G_SOURCE_CONTINUE;

  /* Copy the next frame; this tick only watches the time from now on. */
  self->shot_window = g_object_ref (GTK_WIDGET (window));
  self->shot_clock = g_object_ref (gtk_widget_get_frame_clock (GTK_WIDGET (window)));
  self->shot_frames = 0;
  self->shot_paint_handler = g_signal_connect (self->shot_clock, "after-paint",
                                               G_CALLBACK (on_screenshot_after_paint), self);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  return G_SOURCE_CONTINUE;
}

/* ---- GApplication ----------------------------------------------------------------- */

static int
lb_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  LbApplication *self = LB_APPLICATION (app);
  const char *size = NULL, *scheme = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("lightbox %s\n", PACKAGE_VERSION);
      return 0;
    }
  self->demo = g_variant_dict_contains (options, "demo");
  self->generate = g_variant_dict_contains (options, "generate");
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot_path);
  g_variant_dict_lookup (options, "ask", "s", &self->question);
  g_variant_dict_lookup (options, "panel", "s", &self->panel);
  g_variant_dict_lookup (options, "action", "^as", &self->actions);
  g_variant_dict_lookup (options, "demo-answer", "s", &self->demo_answer);
  g_variant_dict_lookup (options, "size", "&s", &size);
  g_variant_dict_lookup (options, "color-scheme", "&s", &scheme);

  if (size != NULL && sscanf (size, "%dx%d", &self->screenshot_width, &self->screenshot_height) != 2)
    {
      g_printerr ("lightbox: --size wants WIDTHxHEIGHT, e.g. 1366x768\n");
      return 2;
    }
  if (self->panel != NULL && !g_strv_contains ((const char *[]) { "report", "chat", "details", NULL }, self->panel))
    {
      g_printerr ("lightbox: --panel is report, chat or details\n");
      return 2;
    }
  if (scheme != NULL)
    {
      if (!g_strv_contains ((const char *[]) { "default", "light", "dark", NULL }, scheme))
        {
          g_printerr ("lightbox: --color-scheme is default, light or dark\n");
          return 2;
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(GSettings) settings = lb_application_create_settings (&error);
      if (settings != NULL)
        g_settings_set_string (settings, "color-scheme", scheme);
    }
  if (self->screenshot_path != NULL)
    {
      /* A screenshot run is its own instance, whatever else is running. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  return -1;
}

static void
lb_application_startup (GApplication *app)
{
  LbApplication *self = LB_APPLICATION (app);

  G_APPLICATION_CLASS (lb_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries, G_N_ELEMENTS (app_entries), self);
  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), shortcuts[i].action, shortcuts[i].accels);

  g_signal_connect (self->settings, "changed::color-scheme", G_CALLBACK (on_color_scheme_changed), self);
  apply_color_scheme (self);
  g_set_application_name (_("Lightbox"));
  gtk_window_set_default_icon_name (APPLICATION_ID);

  /* Applied to random and test models only (lb-generation.h). */
  lb_generation_set_demo_answer (self->demo_answer);
  if (self->demo)
    lb_application_load_demo_model (self);
  else if (g_settings_get_boolean (self->settings, "load-model-at-start"))
    lb_application_load_model (self);
}

static void
start_screenshot (LbApplication *self)
{
  if (self->screenshot_path == NULL || self->screenshot_source != 0)
    return;
  self->screenshot_started = g_get_monotonic_time ();
  self->screenshot_source = g_timeout_add (100, screenshot_tick, self);
}

static void
lb_application_activate (GApplication *app)
{
  LbApplication *self = LB_APPLICATION (app);
  LbWindow *window = active_window (self);

  if (window == NULL)
    {
      window = new_window (self);
      if (self->demo)
        {
          g_autoptr(GFile) sample = lb_demo_get_default_sample ();
          if (sample != NULL)
            lb_window_open (window, sample);
          lb_window_show_page (window, "viewer");
        }
    }
  gtk_window_present (GTK_WINDOW (window));
  start_screenshot (self);
}

static void
lb_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  LbApplication *self = LB_APPLICATION (app);
  LbWindow *window = active_window (self);

  if (window == NULL)
    window = new_window (self);
  lb_window_open_files (window, files, (guint) n_files);
  gtk_window_present (GTK_WINDOW (window));
  start_screenshot (self);
}

static void
lb_application_dispose (GObject *object)
{
  LbApplication *self = LB_APPLICATION (object);

  g_clear_handle_id (&self->screenshot_source, g_source_remove);
  g_clear_signal_handler (&self->shot_paint_handler, self->shot_clock);
  g_clear_object (&self->shot_clock);
  g_clear_object (&self->shot_window);
  g_clear_object (&self->models);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_application_parent_class)->dispose (object);
}

static void
lb_application_finalize (GObject *object)
{
  LbApplication *self = LB_APPLICATION (object);

  g_free (self->screenshot_path);
  g_free (self->question);
  g_free (self->panel);
  g_strfreev (self->actions);
  g_free (self->demo_answer);

  G_OBJECT_CLASS (lb_application_parent_class)->finalize (object);
}

static void
lb_application_class_init (LbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = lb_application_dispose;
  object_class->finalize = lb_application_finalize;
  app_class->handle_local_options = lb_application_handle_local_options;
  app_class->startup = lb_application_startup;
  app_class->activate = lb_application_activate;
  app_class->open = lb_application_open;
}

static const GOptionEntry option_entries[] = {
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Use the demo model (random weights, every output marked) and open the bundled sample"), NULL },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Render the window to a PNG file once everything has loaded, then quit"), N_("FILE") },
  { "size", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Window size for --screenshot, e.g. 1366x768"), N_("WxH") },
  { "color-scheme", 0, 0, G_OPTION_ARG_STRING, NULL, N_("default, light or dark (saved)"), N_("SCHEME") },
  { "generate", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Draft a report once the model is ready"), NULL },
  { "ask", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Ask a question about the image once the model is ready"),
    N_("QUESTION") },
  { "panel", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Side panel page: report, chat or details"), N_("PAGE") },
  { "action", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Activate a window action once the image is open and any --generate or --ask answer is written "
       "(zoom-in, invert, show-model-input, occlusion-map…); repeatable"),
    N_("ACTION") },
  { "demo-answer", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With the demo model: force its answers to be this text (still marked as demo output)"), N_("TEXT") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
  { NULL },
};

static void
lb_application_init (LbApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), N_("[FILE…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            N_("Open chest X-rays, dermatology, fundus and pathology images; "
                                               "draft reports and answer questions with MedGemma on this computer."));
}

LbApplication *
lb_application_new (GApplicationFlags flags)
{
  g_autoptr(GError) error = NULL;
  GSettings *settings = lb_application_create_settings (&error);
  if (settings == NULL)
    {
      g_printerr ("lightbox: %s\n", error->message);
      return NULL;
    }
  LbApplication *self = g_object_new (LB_TYPE_APPLICATION,
                                      "application-id", APPLICATION_ID,
                                      "flags", flags | G_APPLICATION_HANDLES_OPEN,
                                      "resource-base-path", "/org/lightbox/Lightbox",
                                      NULL);
  self->settings = settings;
  self->models = lb_model_manager_new ();
  return self;
}

int
lb_application_get_exit_status (LbApplication *self)
{
  g_return_val_if_fail (LB_IS_APPLICATION (self), 1);
  return self->exit_status;
}
