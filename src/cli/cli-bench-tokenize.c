/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli bench-tokenize --model TEXT.gguf [--mb N]
 *
 * Encodes N megabytes (10^6 bytes, default 1) of mixed text with the model's
 * vocabulary and reports the speed in MB/s (best of three runs), then
 * decodes it and checks the round trip. The text is made up, deterministic:
 * radiology-report sentences with numbers and units, punctuation, line
 * breaks, runs of spaces, accented Latin, Greek, Cyrillic, Arabic, CJK and
 * emoji.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

static char *opt_model;
static int opt_mb = 1;

static const GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "The text model (or any GGUF with a vocabulary)", "TEXT.gguf" },
  { "mb", 0, 0, G_OPTION_ARG_INT, &opt_mb, "Megabytes of text to encode (default 1)", "N" },
  { NULL },
};

static const char *const words[] = {
  "the", "of", "and", "with", "no", "is", "are", "there", "a", "in", "to", "on", "without", "likely",
  "lung", "lungs", "heart", "size", "normal", "clear", "mild", "moderate", "severe", "bilateral",
  "opacity", "opacities", "consolidation", "effusion", "pleural", "pneumothorax", "cardiomegaly",
  "atelectasis", "mediastinum", "hilar", "lymphadenopathy", "fracture", "nodule", "mass", "lobe",
  "upper", "lower", "right", "left", "interstitial", "edema", "pneumonia", "findings", "impression",
  "compared", "prior", "study", "stable", "unchanged", "increased", "decreased", "patient", "history",
  "cough", "fever", "radiograph", "frontal", "lateral", "views", "chest", "abdomen", "CT", "MRI",
  "contrast", "enhancement", "lesion", "hypodense", "hyperdense", "calcified", "granuloma",
  "vertebral", "degenerative", "changes", "osteophytes", "ground-glass", "reticular", "pattern",
  "tube", "catheter", "tip", "projects", "over", "SVC", "ET", "NG", "follow-up", "recommended",
};

static const char *const foreign[] = {
  "Lungenentzündung", "épanchement pleural", "neumonía", "polmonite", "pneumonia é grave", "Ünïcödé",
  "пневмония", "плевральный выпот", "πνευμονία", "التهاب رئوي", "肺炎", "胸水", "心脏扩大",
  "肺結節", "폐렴", "흉수", "निमोनिया", "ปอดบวม", "Zürich", "São Paulo", "naïve", "façade",
  "🫁", "🩻", "❤️", "👩🏽‍⚕️", "✅", "⚠️", "°C", "µm", "±", "≥", "≤", "→", "½", "SpO₂", "m²", "×",
};

static const char *const punctuation[] = {
  ". ", ", ", "; ", ": ", ". ", ". ", "? ", " - ", " (", ") ", "\"", "'s ", "/", " — ", "...",
};

static void
append_number (GString *text, GRand *rand)
{
  switch (g_rand_int_range (rand, 0, 5))
    {
    case 0:
      g_string_append_printf (text, "%d", g_rand_int_range (rand, 0, 100));
      break;
    case 1:
      g_string_append_printf (text, "%d.%d cm", g_rand_int_range (rand, 0, 20), g_rand_int_range (rand, 0, 10));
      break;
    case 2:
      g_string_append_printf (text, "%d mm", g_rand_int_range (rand, 1, 60));
      break;
    case 3:
      g_string_append_printf (text, "%d/%d/20%02d", g_rand_int_range (rand, 1, 13), g_rand_int_range (rand, 1, 29),
                              g_rand_int_range (rand, 0, 26));
      break;
    default:
      g_string_append_printf (text, "%d%%", g_rand_int_range (rand, 0, 101));
      break;
    }
}

/* Deterministic mixed text of at least n_bytes. */
static GString *
make_text (gsize n_bytes)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20250101);
  GString *text = g_string_sized_new (n_bytes + 256);
  gboolean sentence_start = TRUE;

  while (text->len < n_bytes)
    {
      int what = g_rand_int_range (rand, 0, 100);

      if (what < 70)
        {
          const char *word = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];
          if (sentence_start)
            {
              g_string_append_c (text, g_ascii_toupper (word[0]));
              g_string_append (text, word + 1);
            }
          else
            g_string_append (text, word);
          g_string_append_c (text, ' ');
          sentence_start = FALSE;
        }
      else if (what < 78)
        {
          append_number (text, rand);
          g_string_append_c (text, ' ');
        }
      else if (what < 86)
        {
          g_string_append (text, foreign[g_rand_int_range (rand, 0, G_N_ELEMENTS (foreign))]);
          g_string_append_c (text, ' ');
        }
      else if (what < 96)
        {
          const char *mark = punctuation[g_rand_int_range (rand, 0, G_N_ELEMENTS (punctuation))];
          g_string_append (text, mark);
          sentence_start = mark[0] == '.' || mark[0] == '?';
        }
      else if (what < 99)
        {
          g_string_append (text, g_rand_boolean (rand) ? ".\n" : ".\n\n");
          sentence_start = TRUE;
        }
      else
        g_string_append (text, g_rand_boolean (rand) ? "\t" : "    ");
    }
  return text;
}

/* CPU time of this thread: on a busy machine wall time says little. */
static double
thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
lb_cli_bench_tokenize (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  g_autoptr(LbTokenizer) tokenizer = NULL;
  g_autoptr(GString) text = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autofree char *decoded = NULL;
  double load_s, best_s = G_MAXDOUBLE, best_cpu_s = G_MAXDOUBLE, decode_s;
  gsize decoded_length;
  gint64 start;
  int status = 0;

  if (!lb_cli_parse ("bench-tokenize", NULL,
                     "Time the tokenizer: encode N megabytes (10^6 bytes) of mixed text, best of 3 runs.",
                     entries, &argc, &argv, &status))
    return status;
  if (opt_model == NULL)
    return lb_cli_usage_error ("bench-tokenize", "no model given (--model TEXT.gguf)");
  if (argc != 1)
    return lb_cli_usage_error ("bench-tokenize", "unexpected argument '%s'", argv[1]);
  if (opt_mb < 1 || opt_mb > 256)
    return lb_cli_usage_error ("bench-tokenize", "--mb must be between 1 and 256");

  start = g_get_monotonic_time ();
  gguf = lb_gguf_open (opt_model, &error);
  if (gguf == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  tokenizer = lb_tokenizer_new_from_gguf (gguf, &error);
  if (tokenizer == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  g_clear_pointer (&gguf, lb_gguf_free);
  load_s = (double) (g_get_monotonic_time () - start) / 1e6;

  text = make_text ((gsize) opt_mb * 1000000);
  for (int run = 0; run < 3; run++)
    {
      double cpu_start = thread_cpu_seconds ();
      g_clear_pointer (&ids, g_array_unref);
      start = g_get_monotonic_time ();
      ids = lb_tokenizer_encode (tokenizer, text->str, (gssize) text->len, LB_TOKENIZE_DEFAULT);
      best_s = MIN (best_s, (double) (g_get_monotonic_time () - start) / 1e6);
      best_cpu_s = MIN (best_cpu_s, thread_cpu_seconds () - cpu_start);
    }

  start = g_get_monotonic_time ();
  decoded = lb_tokenizer_decode (tokenizer, (const gint32 *) (void *) ids->data, ids->len, LB_DECODE_DEFAULT,
                                 &decoded_length);
  decode_s = (double) (g_get_monotonic_time () - start) / 1e6;

  printf ("vocabulary: %u pieces, loaded in %.0f ms\n", lb_tokenizer_n_tokens (tokenizer), load_s * 1e3);
  printf ("text: %" G_GSIZE_FORMAT " bytes -> %u tokens (%.2f bytes per token)\n", text->len, ids->len,
          (double) text->len / MAX (ids->len, 1));
  printf ("encode: %.2f MB/s (%.1f ms, best of 3; %.2f MB per CPU second)\n", (double) text->len / 1e6 / best_s,
          best_s * 1e3, (double) text->len / 1e6 / best_cpu_s);
  printf ("decode: %.2f MB/s (%.1f ms)\n", (double) text->len / 1e6 / decode_s, decode_s * 1e3);
  if (decoded_length != text->len || memcmp (decoded, text->str, text->len) != 0)
    {
      fprintf (stderr, "lightbox-cli: the decoded text differs from the encoded one\n");
      return 1;
    }
  printf ("round trip: identical\n");
  return 0;
}
