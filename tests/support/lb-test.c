/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>

#include "lb-test.h"

char *
lb_test_reference_path (const char *relative)
{
  const char *dir = g_getenv ("LIGHTBOX_REFERENCE_DIR");

  if (dir != NULL)
    return g_build_filename (dir, relative, NULL);
  return g_test_build_filename (G_TEST_DIST, "reference", relative, NULL);
}

JsonNode *
lb_test_load_reference_json (const char *relative)
{
  g_autofree char *path = lb_test_reference_path (relative);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

LbTokenizer *
lb_test_load_reference_tokenizer (const char *relative)
{
  g_autofree char *path = lb_test_reference_path (relative);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = lb_gguf_open (path, &error);
  LbTokenizer *tokenizer;

  g_assert_no_error (error);
  tokenizer = lb_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokenizer);
  return tokenizer;
}

char *
lb_test_ids_to_string (const gint32 *ids, gsize n)
{
  GString *s = g_string_new ("[");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, i == 0 ? "%d" : ", %d", ids[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const char *
lb_test_cli_path (void)
{
  const char *path = g_getenv ("LIGHTBOX_CLI");

  if (path == NULL)
    g_error ("LIGHTBOX_CLI is not set: run the tests through meson test");
  return path;
}

int
lb_test_run_cli_argv (const char *const *args, char **out_stdout, char **out_stderr)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_ptr_array_add (argv, (char *) lb_test_cli_path ());
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     out_stdout, out_stderr, &status, &error))
    g_error ("cannot run %s: %s", lb_test_cli_path (), error->message);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

int
lb_test_run_cli (char **out_stdout, char **out_stderr, const char *first_arg, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return lb_test_run_cli_argv ((const char *const *) args->pdata, out_stdout, out_stderr);
}

static char *tmpdir;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
remove_tmpdir (void)
{
  if (tmpdir != NULL)
    remove_tree (tmpdir);
}

const char *
lb_test_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;
      tmpdir = g_dir_make_tmp ("lightbox-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

void
lb_test_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

void
lb_test_fill_uniform (GRand *rand, float *values, gsize n, float lo, float hi)
{
  for (gsize i = 0; i < n; i++)
    values[i] = (float) g_rand_double_range (rand, lo, hi);
}

void
lb_test_assert_close_impl (const char *file, int line, const char *what,
                           const float *a, const float *b, gsize n, double atol, double rtol)
{
  gsize worst = 0;
  double worst_excess = -INFINITY;

  for (gsize i = 0; i < n; i++)
    {
      double diff = fabs ((double) a[i] - (double) b[i]);
      double excess = diff - (atol + rtol * fabs ((double) b[i]));
      if (isnan (a[i]) != isnan (b[i]))
        excess = INFINITY;
      if (excess > worst_excess)
        {
          worst_excess = excess;
          worst = i;
        }
    }
  if (n > 0 && worst_excess > 0)
    {
      g_autofree char *message = g_strdup_printf (
        "%s: element %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is %.7g, expected %.7g (atol %g, rtol %g)",
        what, worst, n, (double) a[worst], (double) b[worst], atol, rtol);
      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, message);
    }
}
