/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli: the engine without a display. Each command lives in its own
 * cli-<command>.c and has the signature below; argv[0] is the command name.
 * The commands, flags and JSON are a contract that outside scripts rely on:
 * extend them, never change them incompatibly.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef int (*LbCliCommandFunc) (int argc, char **argv);

/* Prints "lightbox-cli: <message>" to stderr and returns the exit status 1. */
int lb_cli_fail (GError *error);
int lb_cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Parses options with GOptionContext in the common way (help, "--" ends
 * options, errors as usage errors). Returns FALSE with *status set. */
gboolean lb_cli_parse (const char *command, const char *parameter_string, const char *summary,
                       const GOptionEntry *entries, int *argc, char ***argv, int *status);

int lb_cli_info (int argc, char **argv);
int lb_cli_generate (int argc, char **argv);
int lb_cli_make_model (int argc, char **argv);
int lb_cli_tokenize (int argc, char **argv);
int lb_cli_bench_tokenize (int argc, char **argv);
int lb_cli_image (int argc, char **argv);
int lb_cli_bench_image (int argc, char **argv);
int lb_cli_bench_kernels (int argc, char **argv);
int lb_cli_bench (int argc, char **argv);
int lb_cli_regions (int argc, char **argv);

G_END_DECLS
