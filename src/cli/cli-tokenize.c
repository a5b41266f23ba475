/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli tokenize --model TEXT.gguf [--special] [--no-bos] [--json] TEXT
 *
 * Prints the token ids of TEXT separated by single spaces on one line, <bos>
 * first unless --no-bos. --json prints an array of {"id": N, "piece": "…"}
 * instead, the piece being the vocabulary's (U+2581 for a space, "<0x0A>"
 * for a byte token), as Hugging Face's convert_ids_to_tokens shows it.
 * --special recognises special tokens written in TEXT (<start_of_turn>…);
 * without it they are plain text, as anything a user types is. "--" ends
 * the options, so TEXT may begin with a dash.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli/cli.h"
#include "model/gguf.h"
#include "model/tokenizer.h"

static char *opt_model;
static gboolean opt_special;
static gboolean opt_no_bos;
static gboolean opt_json;

static const GOptionEntry entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model, "The text model (or any GGUF with a vocabulary)", "TEXT.gguf" },
  { "special", 's', 0, G_OPTION_ARG_NONE, &opt_special, "Recognise special tokens such as <start_of_turn> in TEXT", NULL },
  { "no-bos", 0, 0, G_OPTION_ARG_NONE, &opt_no_bos, "Do not start with <bos>", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print a JSON array of {\"id\", \"piece\"}", NULL },
  { NULL },
};

static void
print_json (const LbTokenizer *tokenizer, const GArray *ids)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      gsize length;
      const char *piece = lb_tokenizer_piece (tokenizer, id, &length);
      g_autoptr(GString) text = g_string_new (NULL);

      /* a vocabulary piece is meant to be UTF-8; never print invalid JSON */
      lb_utf8_append_valid (text, piece, length, TRUE);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, id);
      json_builder_set_member_name (builder, "piece");
      json_builder_add_string_value (builder, text->str);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  printf ("%s\n", json);
}

int
lb_cli_tokenize (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = NULL;
  g_autoptr(LbTokenizer) tokenizer = NULL;
  g_autoptr(GArray) ids = NULL;
  LbTokenizeFlags flags = LB_TOKENIZE_DEFAULT;
  int status = 0;

  if (!lb_cli_parse ("tokenize", "TEXT", "Print the token ids of TEXT in a model's vocabulary.",
                     entries, &argc, &argv, &status))
    return status;
  if (opt_model == NULL)
    return lb_cli_usage_error ("tokenize", "no model given (--model TEXT.gguf)");
  if (argc != 2)
    return lb_cli_usage_error ("tokenize", argc < 2 ? "no TEXT given" : "more than one TEXT given (quote it)");

  gguf = lb_gguf_open (opt_model, &error);
  if (gguf == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  tokenizer = lb_tokenizer_new_from_gguf (gguf, &error);
  if (tokenizer == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  g_clear_pointer (&gguf, lb_gguf_free);

  if (opt_special)
    flags |= LB_TOKENIZE_SPECIAL;
  if (!opt_no_bos)
    flags |= LB_TOKENIZE_ADD_BOS;
  ids = lb_tokenizer_encode (tokenizer, argv[1], -1, flags);

  if (opt_json)
    print_json (tokenizer, ids);
  else
    {
      for (guint i = 0; i < ids->len; i++)
        printf (i == 0 ? "%d" : " %d", g_array_index (ids, gint32, i));
      printf ("\n");
    }
  return 0;
}
