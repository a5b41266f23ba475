/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What `lightbox --demo` needs without real weights: a tiny model with
 * random weights (written once, with the project's own random-model
 * writer, to the user's cache folder; its general.name marks it as a
 * random model) and the bundled sample images.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The bundled samples' folder: $LIGHTBOX_SAMPLES_DIR, the installed one,
 * or the build folder's when running uninstalled. NULL if none exists. */
const char *lb_demo_get_samples_dir (void);
/* The sample files, sorted (display names via g_filename_display_basename). */
GPtrArray *lb_demo_list_samples (void);
/* The sample shown by --demo: the chest X-ray phantom. */
GFile *lb_demo_get_default_sample (void);

/* Writes the demo model if it is not in the cache yet (a worker thread),
 * and gives its two paths. */
void lb_demo_model_ensure_async (GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean lb_demo_model_ensure_finish (GAsyncResult *result, char **text_path, char **mmproj_path,
                                      GError **error);
/* The same, in the calling thread. */
gboolean lb_demo_model_ensure (char **text_path, char **mmproj_path, GError **error);

G_END_DECLS
