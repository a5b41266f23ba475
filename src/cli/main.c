/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
  const char *name;
  LbCliCommandFunc run;
  const char *summary;
} LbCliCommand;

/* One line per command; keep sorted by name. */
static const LbCliCommand commands[] = {
  { "bench", lb_cli_bench, "Time the engine end to end: load, image, prefill, decode" },
  { "bench-image", lb_cli_bench_image, "Time decoding, windowing and the model input of a 16-bit radiograph" },
  { "bench-kernels", lb_cli_bench_kernels, "Time the Vulkan kernels on MedGemma 4B shapes (GB/s, GFLOP/s)" },
  { "bench-tokenize", lb_cli_bench_tokenize, "Time the tokenizer on a megabyte of mixed text" },
  { "generate", lb_cli_generate, "Generate text from a prompt and an image (Vulkan, or --backend ref)" },
  { "image", lb_cli_image, "Read a medical image: model input, info, stored samples" },
  { "info", lb_cli_info, "Describe GGUF model files and check them" },
  { "make-model", lb_cli_make_model, "Write a random test model pair (text + mmproj GGUF)" },
  { "regions", lb_cli_regions, "Where in the image an answer came from: attention or occlusion map" },
  { "tokenize", lb_cli_tokenize, "Turn text into token ids with a model's vocabulary" },
};

int
lb_cli_fail (GError *error)
{
  fprintf (stderr, "lightbox-cli: %s\n", error != NULL ? error->message : "unknown error");
  g_clear_error (&error);
  return 1;
}

int
lb_cli_usage_error (const char *command, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "lightbox-cli %s: %s\nTry 'lightbox-cli %s --help'.\n", command, message, command);
  return 2;
}

gboolean
lb_cli_parse (const char *command, const char *parameter_string, const char *summary,
              const GOptionEntry *entries, int *argc, char ***argv, int *status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("lightbox-cli %s", command);

  g_set_prgname (prgname);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  /* "--" must end the options so that TEXT may start with a dash. */
  g_option_context_set_strict_posix (context, FALSE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = lb_cli_usage_error (command, "%s", error->message);
      return FALSE;
    }
  /* GOption leaves a literal "--" in argv; drop the first one. */
  for (int i = 1; i < *argc; i++)
    if (strcmp ((*argv)[i], "--") == 0)
      {
        memmove (&(*argv)[i], &(*argv)[i + 1], sizeof (char *) * (size_t) (*argc - i));
        (*argc)--;
        break;
      }
  return TRUE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: lightbox-cli COMMAND [OPTION…]\n\n"
                "Lightbox without a display: model files, images, inference, benchmarks.\n"
                "Output from a model is a draft for a professional to verify.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-16s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'lightbox-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in JSON and in our output use '.', whatever the locale. */
  setlocale (LC_NUMERIC, "C");

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("lightbox-cli %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "lightbox-cli: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return 2;
}
