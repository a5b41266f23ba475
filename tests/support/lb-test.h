/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Small helpers shared by the test programs.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/tokenizer.h"

G_BEGIN_DECLS

/* tests/reference/<relative>, found through LIGHTBOX_REFERENCE_DIR (set by
 * meson) or the source tree. Never ../shared: tests run from a clean clone. */
char *lb_test_reference_path (const char *relative);

/* Parses tests/reference/<relative> as JSON; a copy of the root (free
 * with json_node_unref). Fails the test on a parse error. */
JsonNode *lb_test_load_reference_json (const char *relative);

/* The tokenizer of tests/reference/<relative> (a GGUF). */
LbTokenizer *lb_test_load_reference_tokenizer (const char *relative);

/* "[2, 9259, 1902]": ids for assertion messages. */
char *lb_test_ids_to_string (const gint32 *ids, gsize n);

/* The lightbox-cli binary under test (LIGHTBOX_CLI, set by meson). */
const char *lb_test_cli_path (void);

/* Runs lightbox-cli with the given NULL-terminated arguments; returns the
 * exit status and captures stdout/stderr (either may be NULL). */
int lb_test_run_cli (char **out_stdout, char **out_stderr, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
int lb_test_run_cli_argv (const char *const *args, char **out_stdout, char **out_stderr);

/* A fresh temporary directory, removed recursively at exit. */
const char *lb_test_tmpdir (void);

/* Fills with uniform values in [lo, hi) from a GRand. */
void lb_test_fill_uniform (GRand *rand, float *values, gsize n, float lo, float hi);

/* Runs the thread-default main context until cond holds; fails the test
 * after seconds. */
#define LB_TEST_WAIT_FOR(cond, seconds)                                            \
  G_STMT_START {                                                                   \
    gint64 end_ = g_get_monotonic_time () + (gint64) ((seconds) * G_USEC_PER_SEC);  \
    while (!(cond))                                                                \
      {                                                                            \
        if (g_get_monotonic_time () > end_)                                        \
          g_error ("timed out after %g s waiting for %s", (double) (seconds), #cond); \
        if (!g_main_context_iteration (NULL, FALSE))                               \
          g_usleep (2000);                                                         \
      }                                                                            \
  } G_STMT_END

/* Lets pending work (layout, idle handlers) run for ms milliseconds. */
void lb_test_spin (guint ms);

/* Asserts |a-b| <= atol + rtol*|b| elementwise, reporting the worst index. */
#define lb_test_assert_close(a, b, n, atol, rtol) \
  lb_test_assert_close_impl (__FILE__, __LINE__, #a, (a), (b), (n), (atol), (rtol))
void lb_test_assert_close_impl (const char *file, int line, const char *what,
                                const float *a, const float *b, gsize n, double atol, double rtol);

G_END_DECLS
