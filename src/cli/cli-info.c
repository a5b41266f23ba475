/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli info FILE.gguf…: what a model file is, and whether Lightbox
 * can use it. Exits non-zero with the error message when a file is not a
 * usable Gemma 3 text model or Gemma 3 vision projector, or when a text
 * model and a projector given together are not a pair.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/gguf.h"
#include "model/model-config.h"

static gboolean opt_keys;

static const GOptionEntry entries[] = {
  { "keys", 'k', 0, G_OPTION_ARG_NONE, &opt_keys, "Also list every metadata key and value", NULL },
  { NULL },
};

static char *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
print_tensor_summary (const LbGguf *gguf)
{
  guint64 count[LB_TENSOR_N_IDS] = { 0 }, bytes[LB_TENSOR_N_IDS] = { 0 }, total = 0, params = 0;

  for (guint64 i = 0; i < lb_gguf_n_tensors (gguf); i++)
    {
      const LbGgufTensor *t = lb_gguf_tensor (gguf, i);
      count[t->type]++;
      bytes[t->type] += t->n_bytes;
      total += t->n_bytes;
      params += t->n_elements;
    }
  g_autofree char *total_text = format_bytes (total);
  printf ("  tensors: %" G_GUINT64_FORMAT " (%.1f M parameters, %s)\n",
          lb_gguf_n_tensors (gguf), (double) params / 1e6, total_text);
  for (guint type = 0; type < LB_TENSOR_N_IDS; type++)
    if (count[type] > 0)
      {
        g_autofree char *size = format_bytes (bytes[type]);
        printf ("    %-8s %5" G_GUINT64_FORMAT " tensors, %s%s\n", lb_tensor_type_name (type),
                count[type], size, lb_tensor_type_info (type)->readable ? "" : " (not readable by Lightbox)");
      }
}

static void
print_keys (const LbGguf *gguf)
{
  printf ("  metadata:\n");
  for (guint64 i = 0; i < lb_gguf_n_keys (gguf); i++)
    {
      g_autofree char *value = lb_gguf_key_to_string (gguf, i, 16);
      printf ("    %s = %s\n", lb_gguf_key_name (gguf, i), value);
    }
}

static void
print_text_config (const LbTextConfig *c)
{
  printf ("  kind: Gemma 3 text model\n"
          "  vocabulary: %u tokens; context: %u\n"
          "  embedding: %u; layers: %u (every %u-th global, others sliding window %u)\n"
          "  attention: %u heads, %u key/value heads, head size %u, scale %.6g\n"
          "  feed-forward: %u\n"
          "  rope: base %g (global, linear scale %g), %g (local); rms eps %g\n"
          "  output: %s%s\n",
          c->n_vocab, c->n_ctx, c->n_embd, c->n_layer, c->sliding_window_pattern, c->sliding_window,
          c->n_head, c->n_head_kv, c->head_dim, (double) c->attn_scale, c->n_ff,
          (double) c->rope_base, (double) c->rope_scale, (double) c->rope_base_swa, (double) c->rms_eps,
          c->tied_output ? "tied to token_embd" : "separate output.weight",
          c->final_logit_softcap > 0 ? "; final logit softcap" : "");
}

static void
print_vision_config (const LbVisionConfig *c)
{
  printf ("  kind: Gemma 3 vision projector (SigLIP)\n"
          "  image: %u px, patch %u (%u×%u patches), pooled %u×%u → %u image tokens\n"
          "  encoder: width %u, %u blocks, %u heads, feed-forward %u, layer-norm eps %g\n"
          "  mean: %g %g %g; std: %g %g %g\n"
          "  projection: %u (the text model's width)\n",
          c->image_size, c->patch_size, c->n_patches_side, c->n_patches_side, c->pool, c->pool,
          c->n_image_tokens, c->n_embd, c->n_layer, c->n_head, c->n_ff, (double) c->layer_norm_eps,
          (double) c->image_mean[0], (double) c->image_mean[1], (double) c->image_mean[2],
          (double) c->image_std[0], (double) c->image_std[1], (double) c->image_std[2],
          c->projection_dim);
}

int
lb_cli_info (int argc, char **argv)
{
  int status = 0;
  gboolean have_text = FALSE, have_vision = FALSE;
  LbTextConfig text = { 0 };
  LbVisionConfig vision = { 0 };
  g_autofree char *vision_path = NULL;

  if (!lb_cli_parse ("info", "FILE.gguf…", "Describe GGUF model files and check that Lightbox can use them.",
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return lb_cli_usage_error ("info", "no model file given");

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(LbGguf) gguf = lb_gguf_open (argv[i], &error);
      const char *arch, *name;

      if (gguf == NULL)
        {
          fprintf (stderr, "lightbox-cli: %s\n", error->message);
          status = 1;
          continue;
        }
      arch = lb_gguf_has_key (gguf, "general.architecture")
             ? lb_gguf_get_string (gguf, "general.architecture", NULL) : NULL;
      name = lb_gguf_has_key (gguf, "general.name") ? lb_gguf_get_string (gguf, "general.name", NULL) : NULL;
      g_autofree char *size = format_bytes (lb_gguf_file_size (gguf));
      printf ("%s\n  GGUF v%u, %s, alignment %u\n  architecture: %s\n", argv[i], lb_gguf_version (gguf),
              size, lb_gguf_alignment (gguf), arch != NULL ? arch : "(none)");
      if (name != NULL)
        printf ("  name: %s\n", name);

      gboolean ok;
      if (arch != NULL && strcmp (arch, "clip") == 0)
        {
          ok = lb_vision_config_load (gguf, &vision, &error);
          if (ok)
            {
              print_vision_config (&vision);
              have_vision = TRUE;
              g_free (vision_path);
              vision_path = g_strdup (argv[i]);
            }
        }
      else
        {
          ok = lb_text_config_load (gguf, &text, &error);
          if (ok)
            {
              print_text_config (&text);
              have_text = TRUE;
            }
        }
      print_tensor_summary (gguf);
      if (opt_keys)
        print_keys (gguf);
      if (ok)
        printf ("  check: every tensor Lightbox needs is present with the right shape\n");
      else
        {
          printf ("  check: FAILED\n");
          fprintf (stderr, "lightbox-cli: %s\n", error->message);
          status = 1;
        }
    }

  if (have_text && have_vision)
    {
      g_autoptr(GError) error = NULL;
      if (!lb_vision_config_matches_text (&vision, &text, vision_path, &error))
        {
          fprintf (stderr, "lightbox-cli: %s\n", error->message);
          status = 1;
        }
      else
        printf ("pair: the vision projector fits the text model\n");
    }
  return status;
}
