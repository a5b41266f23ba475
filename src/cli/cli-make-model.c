/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli make-model OUTDIR [--seed N] [--type T] [--mmproj-type T]
 *   [--shape K=V,…] [--preset tiny|small|medgemma-4b] [--vocab FILE]
 *
 * Writes OUTDIR/text.gguf and OUTDIR/mmproj.gguf: a random Gemma 3 text
 * model and vision projector for tests and benchmarks (random-model.h).
 * Their general.name says "Lightbox random test model".
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <glib/gstdio.h>

#include "cli/cli.h"
#include "model/random-model.h"

static char *opt_preset;
static char *opt_type;
static char *opt_mmproj_type;
static char *opt_shape;
static char *opt_vocab;
static gint64 opt_seed = 1;

static const GOptionEntry entries[] = {
  { "preset", 0, 0, G_OPTION_ARG_STRING, &opt_preset,
    "Shapes to start from: tiny (default), small or medgemma-4b (the real 4B shapes)", "NAME" },
  { "type", 't', 0, G_OPTION_ARG_STRING, &opt_type,
    "Type of the text model's matrices: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, "
    "q3_k, q4_k, q5_k, q6_k, q4_k_m, q5_k_m (default f32; q4_k_m for medgemma-4b)", "TYPE" },
  { "mmproj-type", 0, 0, G_OPTION_ARG_STRING, &opt_mmproj_type,
    "Type of the projector's matrices (default f32 for an f32 text model, else f16)", "TYPE" },
  { "shape", 0, 0, G_OPTION_ARG_STRING, &opt_shape,
    "Overrides, e.g. embd=256,layers=12,heads=8,kv-heads=2,head-dim=32,ff=512,window=16,"
    "pattern=6,vocab=1024,ctx=4096,tied=0,softcap=30,image=112,patch=14,v-embd=64,v-ff=128,"
    "v-layers=2,v-heads=4,pool=2", "K=V,…" },
  { "vocab", 0, 0, G_OPTION_ARG_FILENAME, &opt_vocab,
    "Copy the tokenizer of this GGUF instead of synthesizing a byte-level one", "FILE" },
  { "seed", 's', 0, G_OPTION_ARG_INT64, &opt_seed, "Random seed (default 1)", "N" },
  { NULL },
};

int
lb_cli_make_model (int argc, char **argv)
{
  g_auto(LbRandomModelSpec) spec = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *text_path = NULL, *mmproj_path = NULL;
  int status;

  if (!lb_cli_parse ("make-model", "OUTDIR",
                     "Write a random Gemma 3 text model and vision projector (text.gguf and "
                     "mmproj.gguf) for tests and benchmarks. Their output is noise.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return lb_cli_usage_error ("make-model", "expected one OUTDIR");
  if (opt_seed < 0)
    return lb_cli_usage_error ("make-model", "--seed must not be negative");

  if (!lb_random_model_spec_init (&spec, opt_preset != NULL ? opt_preset : "tiny", &error))
    return lb_cli_usage_error ("make-model", "%s", error->message);
  spec.seed = (guint64) opt_seed;
  if (opt_type != NULL)
    {
      if (!lb_random_model_parse_type (opt_type, &spec.type, &spec.k_mix, &error))
        return lb_cli_usage_error ("make-model", "--type: %s", error->message);
      spec.mmproj_type = spec.type == LB_TENSOR_F32 ? LB_TENSOR_F32 : LB_TENSOR_F16;
    }
  if (opt_mmproj_type != NULL)
    {
      gboolean mix;
      if (!lb_random_model_parse_type (opt_mmproj_type, &spec.mmproj_type, &mix, &error) || mix)
        return lb_cli_usage_error ("make-model", "--mmproj-type: %s",
                                   error != NULL ? error->message : "mixes are for the text model");
    }
  if (opt_shape != NULL && !lb_random_model_spec_parse_shape (&spec, opt_shape, &error))
    return lb_cli_usage_error ("make-model", "--shape: %s", error->message);
  if (opt_vocab != NULL)
    spec.vocab_path = g_strdup (opt_vocab);
  if (!lb_random_model_spec_check (&spec, &error))
    return lb_cli_usage_error ("make-model", "%s", error->message);

  if (g_mkdir_with_parents (argv[1], 0755) != 0)
    {
      int saved_errno = errno;
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create %s: %s", argv[1], g_strerror (saved_errno));
      return lb_cli_fail (g_steal_pointer (&error));
    }
  text_path = g_build_filename (argv[1], "text.gguf", NULL);
  mmproj_path = g_build_filename (argv[1], "mmproj.gguf", NULL);
  if (!lb_random_model_write (&spec, text_path, mmproj_path, &error))
    return lb_cli_fail (g_steal_pointer (&error));

  printf ("%s\n%s\n", text_path, mmproj_path);
  return 0;
}
