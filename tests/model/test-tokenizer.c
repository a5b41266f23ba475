/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tokenizer against the reference implementation: every case of
 * tests/reference/tokenizer/cases.json (llama.cpp on the real Gemma 3
 * vocabulary) with and without special tokens, the bytes of the reference's
 * generated text (generate-cases.json), round trips of random UTF-8 text,
 * the streaming decoder against the one-shot one, invalid UTF-8, and the
 * merge rules on small vocabularies written for the test.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "lb-test.h"
#include "model/gguf-writer.h"
#include "model/tokenizer.h"

/* The real Gemma 3 vocabulary, loaded once. */
static LbTokenizer *gemma;
/* The first 4096 pieces of it, as in the small test models. */
static LbTokenizer *small;

static void
assert_ids (const char *what, GArray *actual, const gint32 *expected, gsize n_expected)
{
  g_autofree char *a = lb_test_ids_to_string ((const gint32 *) (void *) actual->data, actual->len);
  g_autofree char *b = lb_test_ids_to_string (expected, n_expected);

  if (g_strcmp0 (a, b) != 0)
    g_error ("%s: got %s, expected %s", what, a, b);
}

static GArray *
encode (const LbTokenizer *tokenizer, const char *text, LbTokenizeFlags flags)
{
  return lb_tokenizer_encode (tokenizer, text, -1, flags);
}

/* ---- the reference cases ---------------------------------------------- */

static void
check_reference_cases (gboolean special)
{
  g_autoptr(JsonNode) root = lb_test_load_reference_json ("tokenizer/cases.json");
  JsonArray *cases = json_node_get_array (root);
  guint checked = 0;

  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *object = json_array_get_object_element (cases, c);
      JsonArray *expected = json_object_get_array_member (object, "ids");
      const char *text = json_object_get_string_member (object, "text");
      LbTokenizeFlags flags = LB_TOKENIZE_DEFAULT;
      g_autofree gint32 *want = g_new (gint32, json_array_get_length (expected) + 1);
      g_autoptr(GArray) ids = NULL;
      g_autofree char *what = NULL;
      g_autofree char *decoded = NULL;

      if (json_object_get_boolean_member (object, "special") != special)
        continue;
      if (special)
        flags |= LB_TOKENIZE_SPECIAL;
      if (json_object_get_boolean_member (object, "bos"))
        flags |= LB_TOKENIZE_ADD_BOS;
      for (guint i = 0; i < json_array_get_length (expected); i++)
        want[i] = (gint32) json_array_get_int_element (expected, i);

      ids = encode (gemma, text, flags);
      what = g_strdup_printf ("\"%s\" (special %s)", text, special ? "on" : "off");
      assert_ids (what, ids, want, json_array_get_length (expected));

      /* And back: the text itself (with <bos> and the control tokens
       * spelled out when they were recognised). */
      decoded = lb_tokenizer_decode (gemma, (const gint32 *) (void *) ids->data, ids->len,
                                     LB_DECODE_SPECIAL, NULL);
      if (flags & LB_TOKENIZE_ADD_BOS)
        {
          g_assert_true (g_str_has_prefix (decoded, "<bos>"));
          g_assert_cmpstr (decoded + strlen ("<bos>"), ==, text);
        }
      else
        g_assert_cmpstr (decoded, ==, text);
      checked++;
    }
  g_assert_cmpuint (checked, >=, 10);
}

static void
test_reference_plain (void)
{
  check_reference_cases (FALSE);
}

static void
test_reference_special (void)
{
  check_reference_cases (TRUE);
}

/* The bytes of the reference's generated text (llama.cpp's token_to_piece,
 * which copies user-defined pieces verbatim), and each step's piece. */
static void
test_reference_generated_text (void)
{
  g_autoptr(JsonNode) root = lb_test_load_reference_json ("generate-cases.json");
  JsonArray *cases = json_node_get_array (root);

  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *object = json_array_get_object_element (cases, c);
      JsonObject *expected = json_object_get_object_member (object, "expected");
      JsonArray *steps = json_object_get_array_member (expected, "steps");
      g_autofree char *relative = g_strdup_printf ("models/%s/text.gguf",
                                                   json_object_get_string_member (object, "model"));
      g_autoptr(LbTokenizer) tokenizer = lb_test_load_reference_tokenizer (relative);
      g_autoptr(GString) bytes = g_string_new (NULL);
      g_autoptr(GString) hex = g_string_new (NULL);
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_autoptr(LbTokenStream) stream = lb_token_stream_new (tokenizer, LB_DECODE_USER_DEFINED_VERBATIM);
      g_autoptr(GString) streamed = g_string_new (NULL);
      g_autofree char *text = NULL;

      for (guint s = 0; s < json_array_get_length (steps); s++)
        {
          JsonObject *step = json_array_get_object_element (steps, s);
          gint32 id = (gint32) json_object_get_int_member (step, "token");
          g_autoptr(GString) piece_bytes = g_string_new (NULL);
          g_autoptr(GString) piece = g_string_new (NULL);

          lb_tokenizer_append_token_bytes (tokenizer, id, LB_DECODE_USER_DEFINED_VERBATIM, piece_bytes);
          lb_utf8_append_valid (piece, piece_bytes->str, piece_bytes->len, TRUE);
          g_assert_cmpstr (piece->str, ==, json_object_get_string_member (step, "piece"));
          g_string_append_len (bytes, piece_bytes->str, piece_bytes->len);
          g_array_append_val (ids, id);
          lb_token_stream_push (stream, &id, 1, streamed);
        }
      lb_token_stream_finish (stream, streamed);
      for (gsize i = 0; i < bytes->len; i++)
        g_string_append_printf (hex, "%02x", (guint8) bytes->str[i]);
      g_assert_cmpstr (hex->str, ==, json_object_get_string_member (expected, "text_hex"));

      text = lb_tokenizer_decode (tokenizer, (const gint32 *) (void *) ids->data, ids->len,
                                  LB_DECODE_USER_DEFINED_VERBATIM, NULL);
      g_assert_cmpstr (streamed->str, ==, text);
      if (!json_object_get_null_member (expected, "text"))
        g_assert_cmpstr (text, ==, json_object_get_string_member (expected, "text"));
      else
        g_assert_false (g_utf8_validate_len (bytes->str, bytes->len, NULL));
    }
}

/* ---- the vocabulary --------------------------------------------------- */

static void
test_special_ids (void)
{
  static const struct { LbSpecialToken which; gint32 id; } expected[] = {
    { LB_SPECIAL_BOS, 2 }, { LB_SPECIAL_EOS, 1 }, { LB_SPECIAL_UNKNOWN, 3 }, { LB_SPECIAL_PAD, 0 },
    { LB_SPECIAL_START_OF_TURN, 105 }, { LB_SPECIAL_END_OF_TURN, 106 },
    { LB_SPECIAL_START_OF_IMAGE, 255999 }, { LB_SPECIAL_END_OF_IMAGE, 256000 },
    { LB_SPECIAL_THINKING_START, 100 }, { LB_SPECIAL_THINKING_END, 101 },
  };
  g_autoptr(GError) error = NULL;
  gint32 id = -7;

  g_assert_cmpuint (lb_tokenizer_n_tokens (gemma), ==, 262144);
  g_assert_true (lb_tokenizer_adds_bos (gemma));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gsize length;
      const char *piece;

      g_assert_cmpint (lb_tokenizer_special (gemma, expected[i].which), ==, expected[i].id);
      piece = lb_tokenizer_piece (gemma, expected[i].id, &length);
      g_assert_cmpmem (piece, length, lb_special_token_text (expected[i].which),
                       strlen (lb_special_token_text (expected[i].which)));
      g_assert_cmpint (lb_tokenizer_find (gemma, piece, (gssize) length), ==, expected[i].id);
    }
  g_assert_true (lb_tokenizer_is_control (gemma, 105));
  g_assert_true (lb_tokenizer_is_control (gemma, 255999));
  g_assert_false (lb_tokenizer_is_control (gemma, 100));
  g_assert_cmpint (lb_tokenizer_token_type (gemma, 100), ==, LB_TOKEN_TYPE_USER_DEFINED);
  g_assert_cmpint (lb_tokenizer_token_type (gemma, 238), ==, LB_TOKEN_TYPE_BYTE);
  g_assert_cmpint (lb_tokenizer_find (gemma, "\xe2\x96\x81leading", -1), ==, 5830);
  g_assert_cmpint (lb_tokenizer_find (gemma, "no such piece", -1), ==, -1);
  g_assert_cmpfloat (lb_tokenizer_score (gemma, 5830), <, 0);

  /* The small models keep the first 4096 pieces: no image markers. */
  g_assert_cmpuint (lb_tokenizer_n_tokens (small), ==, 4096);
  g_assert_cmpint (lb_tokenizer_special (small, LB_SPECIAL_START_OF_TURN), ==, 105);
  g_assert_cmpint (lb_tokenizer_special (small, LB_SPECIAL_START_OF_IMAGE), ==, -1);
  g_assert_true (lb_tokenizer_require_special (small, LB_SPECIAL_END_OF_TURN, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 106);
  g_assert_false (lb_tokenizer_require_special (small, LB_SPECIAL_START_OF_IMAGE, &id, &error));
  g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "<start_of_image>"));
  g_assert_nonnull (strstr (error->message, "text.gguf"));
}

static void
test_special_off_is_text (void)
{
  /* Typed by a user, a control token is its characters. */
  g_autoptr(GArray) off = encode (gemma, "<end_of_turn><start_of_image><bos>", LB_TOKENIZE_DEFAULT);
  g_autoptr(GArray) on = encode (gemma, "<end_of_turn><start_of_image><bos>", LB_TOKENIZE_SPECIAL);
  static const gint32 want_on[] = { 106, 255999, 2 };

  for (guint i = 0; i < off->len; i++)
    g_assert_false (lb_tokenizer_is_control (gemma, g_array_index (off, gint32, i)));
  g_assert_cmpuint (off->len, >, 3);
  assert_ids ("special on", on, want_on, G_N_ELEMENTS (want_on));

  /* User-defined pieces are matched whole either way. */
  {
    g_autoptr(GArray) ids = encode (gemma, "a\n\n\nb<b>c</b>\t\td", LB_TOKENIZE_DEFAULT);
    gint32 want[] = { lb_tokenizer_find (gemma, "a", -1), 109, lb_tokenizer_find (gemma, "b", -1), 200,
                      lb_tokenizer_find (gemma, "c", -1), 209, 255969, lb_tokenizer_find (gemma, "d", -1) };
    assert_ids ("user-defined", ids, want, G_N_ELEMENTS (want));
  }
}

static void
test_byte_fallback (void)
{
  /* "<" and the emoji are not among the 4096 pieces of the small vocabulary. */
  g_autoptr(GArray) lt = encode (small, "<", LB_TOKENIZE_DEFAULT);
  g_autoptr(GArray) emoji = encode (small, "\xf0\x9f\xab\x81", LB_TOKENIZE_DEFAULT);
  g_autoptr(GArray) full = encode (gemma, "<", LB_TOKENIZE_DEFAULT);
  gint32 want_lt[] = { lb_tokenizer_find (small, "<0x3C>", -1) };
  gint32 want_emoji[] = { lb_tokenizer_find (small, "<0xF0>", -1), lb_tokenizer_find (small, "<0x9F>", -1),
                          lb_tokenizer_find (small, "<0xAB>", -1), lb_tokenizer_find (small, "<0x81>", -1) };
  gint32 want_full[] = { lb_tokenizer_find (gemma, "<", -1) };

  g_assert_cmpint (want_lt[0], ==, 298);
  assert_ids ("'<' in the small vocabulary", lt, want_lt, 1);
  assert_ids ("emoji in the small vocabulary", emoji, want_emoji, 4);
  assert_ids ("'<' in the full vocabulary", full, want_full, 1);
  g_assert_cmpint (want_full[0], ==, 236820);
}

/* ---- small vocabularies written for the test ------------------------- */

typedef struct {
  const char *piece;
  float score;
  gint32 type;
} Entry;

static LbGguf *
write_vocab (const char *name, const Entry *entries, gsize n, const char *model, gboolean space_prefix,
             GError **error)
{
  g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
  g_autofree char *path = g_build_filename (lb_test_tmpdir (), name, NULL);
  g_autofree const char **pieces = g_new (const char *, n);
  g_autofree float *scores = g_new (float, n);
  g_autofree gint32 *types = g_new (gint32, n);
  g_autoptr(GError) local_error = NULL;

  for (gsize i = 0; i < n; i++)
    {
      pieces[i] = entries[i].piece;
      scores[i] = entries[i].score;
      types[i] = entries[i].type;
    }
  lb_gguf_writer_add_string (writer, "general.architecture", "gemma3");
  if (model != NULL)
    lb_gguf_writer_add_string (writer, "tokenizer.ggml.model", model);
  lb_gguf_writer_add_string_array (writer, "tokenizer.ggml.tokens", pieces, NULL, n);
  lb_gguf_writer_add_array (writer, "tokenizer.ggml.scores", LB_GGUF_TYPE_FLOAT32, scores, n);
  lb_gguf_writer_add_array (writer, "tokenizer.ggml.token_type", LB_GGUF_TYPE_INT32, types, n);
  lb_gguf_writer_add_bool (writer, "tokenizer.ggml.add_space_prefix", space_prefix);
  g_assert_true (lb_gguf_writer_begin (writer, path, &local_error));
  g_assert_true (lb_gguf_writer_finish (writer, &local_error));
  g_assert_no_error (local_error);
  return lb_gguf_open (path, error);
}

static LbTokenizer *
toy_tokenizer (const Entry *entries, gsize n, gboolean space_prefix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGguf) gguf = write_vocab ("toy.gguf", entries, n, "llama", space_prefix, &error);
  LbTokenizer *tokenizer;

  g_assert_no_error (error);
  tokenizer = lb_tokenizer_new_from_gguf (gguf, &error);
  g_assert_no_error (error);
  return tokenizer;
}

static void
test_merge_rules (void)
{
  static const Entry toy[] = {
    { "<unk>", 0, 2 }, { "<bos>", 0, 3 }, { "a", 0, 1 }, { "b", 0, 1 }, { "c", 0, 1 }, { "d", 0, 1 },
    { "ab", -1, 1 }, { "bc", -1, 1 },        /* 6, 7: a tie, the left pair merges first */
    { "cd", -0.5f, 1 },                       /* 8: beats "bc" */
    { "abcd", -5, 1 },                        /* 9: reachable only through ab + cd */
    { "\xe2\x96\x81" "a", -2, 1 },            /* 10 */
    { "", 0, 1 },                             /* 11: empty, renamed [EMPTY_11] */
    { "dup", -1, 1 }, { "dup", -1, 1 },       /* 12, 13: the later wins */
    { "<sep>", 0, 4 },                        /* 14: user-defined */
    { "<sep>x", 0, 3 },                       /* 15: control, longer: wins when special */
  };
  g_autoptr(LbTokenizer) t = toy_tokenizer (toy, G_N_ELEMENTS (toy), FALSE);
  g_autoptr(LbTokenizer) prefixed = toy_tokenizer (toy, G_N_ELEMENTS (toy), TRUE);

  {
    g_autoptr(GArray) ids = encode (t, "abc", LB_TOKENIZE_DEFAULT);
    static const gint32 want[] = { 6, 4 };
    assert_ids ("tie to the left", ids, want, 2);
  }
  {
    g_autoptr(GArray) ids = encode (t, "bcd", LB_TOKENIZE_DEFAULT);
    static const gint32 want[] = { 3, 8 };
    assert_ids ("higher score first", ids, want, 2);
  }
  {
    g_autoptr(GArray) ids = encode (t, "abcd", LB_TOKENIZE_DEFAULT);
    static const gint32 want[] = { 9 };
    assert_ids ("merge chain", ids, want, 1);
  }
  {
    /* "e" is no piece and there are no byte pieces: <unk> */
    g_autoptr(GArray) ids = encode (t, "a e", LB_TOKENIZE_ADD_BOS);
    static const gint32 want[] = { 1, 2, 0, 0 };
    g_assert_cmpint (lb_tokenizer_find (t, "\xe2\x96\x81", -1), ==, -1);
    assert_ids ("unknown", ids, want, 4);
  }
  {
    g_autoptr(GArray) ids = encode (prefixed, "a", LB_TOKENIZE_DEFAULT);
    static const gint32 want[] = { 10 };
    assert_ids ("space prefix", ids, want, 1);
  }
  {
    g_autoptr(GArray) off = encode (t, "a<sep>xb", LB_TOKENIZE_DEFAULT);
    g_autoptr(GArray) on = encode (t, "a<sep>xb", LB_TOKENIZE_SPECIAL);
    static const gint32 want_off[] = { 2, 14, 0, 3 };
    static const gint32 want_on[] = { 2, 15, 3 };
    assert_ids ("user-defined piece, special off", off, want_off, 4);
    assert_ids ("longer control piece, special on", on, want_on, 3);
  }
  g_assert_cmpint (lb_tokenizer_find (t, "dup", -1), ==, 13);
  g_assert_cmpint (lb_tokenizer_find (t, "[EMPTY_11]", -1), ==, 11);
  g_assert_cmpint (lb_tokenizer_special (t, LB_SPECIAL_BOS), ==, 1);
  g_assert_cmpint (lb_tokenizer_special (t, LB_SPECIAL_EOS), ==, -1);
}

static void
test_load_errors (void)
{
  static const Entry good[] = { { "<unk>", 0, 2 }, { "a", 0, 1 } };
  static const Entry bad_byte[] = { { "<unk>", 0, 2 }, { "<0xZZ>", 0, 6 } };
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(LbGguf) gguf = write_vocab ("no-model.gguf", good, G_N_ELEMENTS (good), NULL, FALSE, &error);
    g_assert_no_error (error);
    g_assert_null (lb_tokenizer_new_from_gguf (gguf, &error));
    g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING);
    g_assert_nonnull (strstr (error->message, "tokenizer.ggml.model"));
    g_clear_error (&error);
  }
  {
    g_autoptr(LbGguf) gguf = write_vocab ("gpt2.gguf", good, G_N_ELEMENTS (good), "gpt2", FALSE, &error);
    g_assert_no_error (error);
    g_assert_null (lb_tokenizer_new_from_gguf (gguf, &error));
    g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "gpt2"));
    g_assert_nonnull (strstr (error->message, "gpt2.gguf"));
    g_clear_error (&error);
  }
  {
    g_autoptr(LbGguf) gguf = write_vocab ("bad-byte.gguf", bad_byte, G_N_ELEMENTS (bad_byte), "llama", FALSE, &error);
    g_assert_no_error (error);
    g_assert_null (lb_tokenizer_new_from_gguf (gguf, &error));
    g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "<0xZZ>"));
    g_clear_error (&error);
  }
  {
    /* scores and pieces of different lengths */
    g_autoptr(LbGgufWriter) writer = lb_gguf_writer_new ();
    g_autofree char *path = g_build_filename (lb_test_tmpdir (), "short-scores.gguf", NULL);
    static const char *const pieces[] = { "a", "b", "c" };
    static const float scores[] = { 0, 0 };
    g_autoptr(LbGguf) gguf = NULL;

    lb_gguf_writer_add_string (writer, "tokenizer.ggml.model", "llama");
    lb_gguf_writer_add_string_array (writer, "tokenizer.ggml.tokens", pieces, NULL, 3);
    lb_gguf_writer_add_array (writer, "tokenizer.ggml.scores", LB_GGUF_TYPE_FLOAT32, scores, 2);
    g_assert_true (lb_gguf_writer_begin (writer, path, &error));
    g_assert_true (lb_gguf_writer_finish (writer, &error));
    gguf = lb_gguf_open (path, &error);
    g_assert_no_error (error);
    g_assert_null (lb_tokenizer_new_from_gguf (gguf, &error));
    g_assert_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "tokenizer.ggml.scores"));
  }
}

/* ---- round trips ------------------------------------------------------ */

static void
append_random_character (GString *s, GRand *rand)
{
  static const gunichar ranges[][2] = {
    { 0x21, 0x7e },        /* ASCII */
    { 0x21, 0x7e },
    { 0x61, 0x7a },
    { 0x01, 0x1f },        /* control characters */
    { 0x7f, 0x9f },
    { 0xa0, 0x24f },       /* Latin */
    { 0x300, 0x36f },      /* combining marks */
    { 0x370, 0x3ff },      /* Greek */
    { 0x400, 0x4ff },      /* Cyrillic */
    { 0x590, 0x6ff },      /* Hebrew, Arabic */
    { 0x900, 0x97f },      /* Devanagari */
    { 0x2000, 0x206f },    /* punctuation, zero-width joiners */
    { 0x2190, 0x257f },    /* arrows, maths, box drawing (not 0x2581) */
    { 0x3040, 0x30ff },    /* kana */
    { 0x4e00, 0x9fff },    /* CJK */
    { 0xac00, 0xd7a3 },    /* Hangul */
    { 0xfe00, 0xfe0f },    /* variation selectors */
    { 0x1f300, 0x1faff },  /* emoji */
    { 0x10000, 0x10ffff }, /* anything beyond the BMP */
  };
  static const char *const strings[] = {
    " ", "  ", "   ", "        ", "\t", "\t\t", "\n", "\n\n", "\n\n\n\n\n", "\r\n", " \n ",
    "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<bos>", "<unused94>", "<b>", "</td>",
    "[multimodal]", "<mask>", "<0x41>", "the", " the", "ing", "pneumothorax", "👩🏽‍⚕️", "🇫🇷",
  };
  int kind = g_rand_int_range (rand, 0, 10);

  if (kind < 3)
    g_string_append (s, strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
  else
    {
      gsize r = (gsize) g_rand_int_range (rand, 0, G_N_ELEMENTS (ranges));
      gunichar c;
      do
        c = (gunichar) g_rand_int_range (rand, (gint32) ranges[r][0], (gint32) ranges[r][1] + 1);
      while (!g_unichar_validate (c) || c == 0x2581);
      g_string_append_unichar (s, c);
    }
}

static char *
random_text (GRand *rand, int max_characters)
{
  GString *s = g_string_new (NULL);
  int n = g_rand_int_range (rand, 0, max_characters + 1);

  for (int i = 0; i < n; i++)
    append_random_character (s, rand);
  return g_string_free (s, FALSE);
}

/* With spaces = FALSE, spaces are replaced: the small vocabulary has no "▁"
 * piece, so a space that is not part of a longer piece is written as the
 * byte tokens of U+2581 and decodes to U+2581, as in the reference. */
static void
check_round_trips (const LbTokenizer *tokenizer, guint32 seed, gboolean spaces)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < 400; i++)
    {
      g_autofree char *text = random_text (rand, i < 300 ? 40 : 400);
      if (!spaces)
        g_strdelimit (text, " ", '.');
      g_autoptr(GArray) ids = encode (tokenizer, text, LB_TOKENIZE_ADD_BOS);
      gsize length;
      g_autofree char *decoded = lb_tokenizer_decode (tokenizer, (const gint32 *) (void *) ids->data,
                                                      ids->len, LB_DECODE_DEFAULT, &length);

      g_assert_cmpstr (decoded, ==, text);
      g_assert_cmpuint (length, ==, strlen (text));
    }
}

static void
test_round_trip_random (void)
{
  check_round_trips (gemma, 1, TRUE);
  check_round_trips (small, 2, FALSE);
}

static void
test_round_trip_whitespace (void)
{
  static const char *const texts[] = {
    " ", "  x", "x  ", "a  b   c    d", "                                        (40 spaces)",
    "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t (34 tabs)",
    "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n end",
    " \t \n \r\n \v \f ", "a\xc2\xa0" "b\xe3\x80\x80" "c",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GArray) ids = encode (gemma, texts[i], LB_TOKENIZE_DEFAULT);
      g_autofree char *decoded = lb_tokenizer_decode (gemma, (const gint32 *) (void *) ids->data, ids->len,
                                                      LB_DECODE_DEFAULT, NULL);
      g_assert_cmpstr (decoded, ==, texts[i]);
    }
  /* U+2581 itself decodes to a space. */
  {
    g_autoptr(GArray) ids = encode (gemma, "a\xe2\x96\x81" "b", LB_TOKENIZE_DEFAULT);
    g_autofree char *decoded = lb_tokenizer_decode (gemma, (const gint32 *) (void *) ids->data, ids->len,
                                                    LB_DECODE_DEFAULT, NULL);
    g_assert_cmpstr (decoded, ==, "a b");
  }
}

/* ---- invalid UTF-8 ---------------------------------------------------- */

static void
test_invalid_utf8_input (void)
{
  /* Each invalid sequence is encoded as U+FFFD; nothing crashes, and the
   * space after a stray lead byte stays a space. */
  static const char text[] = "ab\xff\xfe cd \xe2\x82 x\xc3";
  static const char valid[] = "ab\xef\xbf\xbd\xef\xbf\xbd cd \xef\xbf\xbd x\xef\xbf\xbd";
  g_autoptr(GArray) ids = lb_tokenizer_encode (gemma, text, sizeof text - 1, LB_TOKENIZE_DEFAULT);
  g_autoptr(GArray) valid_ids = lb_tokenizer_encode (gemma, valid, -1, LB_TOKENIZE_DEFAULT);
  g_autofree char *decoded = lb_tokenizer_decode (gemma, (const gint32 *) (void *) ids->data, ids->len,
                                                  LB_DECODE_DEFAULT, NULL);

  assert_ids ("invalid UTF-8", ids, (const gint32 *) (void *) valid_ids->data, valid_ids->len);
  g_assert_cmpstr (decoded, ==, valid);
  /* the same through the builder */
  {
    g_autoptr(LbTokenBuilder) builder = lb_token_builder_new (gemma);
    g_autoptr(GArray) built = NULL;
    lb_token_builder_add_text (builder, text, sizeof text - 1, FALSE);
    built = lb_token_builder_free_to_array (g_steal_pointer (&builder));
    assert_ids ("invalid UTF-8, builder", built, (const gint32 *) (void *) valid_ids->data, valid_ids->len);
  }

  /* NUL bytes are text like any other when a length is given. */
  {
    static const char with_nul[] = "a\0b";
    g_autoptr(GArray) nul_ids = lb_tokenizer_encode (gemma, with_nul, 3, LB_TOKENIZE_DEFAULT);
    gsize length;
    g_autofree char *back = lb_tokenizer_decode (gemma, (const gint32 *) (void *) nul_ids->data, nul_ids->len,
                                                 LB_DECODE_DEFAULT, &length);
    g_assert_cmpmem (back, length, with_nul, 3);
  }

  /* Random bytes: never a crash, the bytes made valid back. */
  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (3);
    for (int i = 0; i < 200; i++)
      {
        guint8 buffer[64];
        gsize n = (gsize) g_rand_int_range (rand, 0, sizeof buffer + 1), valid_length;
        g_autoptr(GArray) random_ids = NULL;
        g_autoptr(GBytes) back = NULL;
        g_autofree char *text_back = NULL;
        g_autoptr(GString) want = g_string_new (NULL);

        for (gsize k = 0; k < n; k++)
          buffer[k] = (guint8) g_rand_int_range (rand, 0, 256);
        lb_utf8_append_valid (want, (const char *) buffer, n, TRUE);
        random_ids = lb_tokenizer_encode (gemma, (const char *) buffer, (gssize) n,
                                          i % 2 ? LB_TOKENIZE_SPECIAL : LB_TOKENIZE_DEFAULT);
        back = lb_tokenizer_decode_bytes (gemma, (const gint32 *) (void *) random_ids->data, random_ids->len,
                                          LB_DECODE_DEFAULT);
        text_back = lb_tokenizer_decode (gemma, (const gint32 *) (void *) random_ids->data, random_ids->len,
                                         LB_DECODE_DEFAULT, &valid_length);
        g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), want->str, want->len);
        g_assert_cmpmem (text_back, valid_length, want->str, want->len);
      }
  }
}

static void
test_utf8_replacement (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "plain", "plain" },
    { "\xc3\xa9", "\xc3\xa9" },
    { "\x80", "\xef\xbf\xbd" },
    { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },           /* overlong: C0 never starts a sequence */
    { "\xe0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* E0 needs A0..BF next */
    { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
    { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* above U+10FFFF */
    { "\xf0\x9f\x98" "A", "\xef\xbf\xbd" "A" },            /* one replacement for a truncated sequence */
    { "\xe2\x82" "\xe2\x82\xac", "\xef\xbf\xbd\xe2\x82\xac" },
    { "\xf8\x88\x80\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
    { "a\xf0\x9f\x98", "a\xef\xbf\xbd" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      gsize consumed = lb_utf8_append_valid (out, cases[i].in, strlen (cases[i].in), TRUE);
      g_assert_cmpuint (consumed, ==, strlen (cases[i].in));
      g_assert_cmpstr (out->str, ==, cases[i].out);
    }
  /* Not final: an incomplete character at the end waits. */
  {
    g_autoptr(GString) out = g_string_new (NULL);
    g_assert_cmpuint (lb_utf8_append_valid (out, "a\xf0\x9f\x98", 4, FALSE), ==, 1);
    g_assert_cmpstr (out->str, ==, "a");
    g_assert_cmpuint (lb_utf8_append_valid (out, "\xf0\x9f\x98\x80", 4, FALSE), ==, 4);
    g_assert_cmpstr (out->str, ==, "a\xf0\x9f\x98\x80");
  }
}

/* ---- streaming -------------------------------------------------------- */

/* Like g_utf8_validate_len, but a NUL character is a character. */
static gboolean
is_utf8 (const char *text, gsize n)
{
  g_autoptr(GString) copy = g_string_new (NULL);

  lb_utf8_append_valid (copy, text, n, TRUE);
  return copy->len == n && memcmp (copy->str, text, n) == 0;
}

static void
check_stream (const LbTokenizer *tokenizer, const gint32 *ids, gsize n, GRand *rand, LbDecodeFlags flags)
{
  g_autoptr(LbTokenStream) stream = lb_token_stream_new (tokenizer, flags);
  g_autoptr(GString) streamed = g_string_new (NULL);
  gsize one_shot_length;
  g_autofree char *one_shot = lb_tokenizer_decode (tokenizer, ids, n, flags, &one_shot_length);

  for (gsize i = 0; i < n;)
    {
      gsize batch = (gsize) g_rand_int_range (rand, 0, 6);
      batch = MIN (batch, n - i);
      gsize before = streamed->len;
      gsize appended = lb_token_stream_push (stream, ids + i, batch, streamed);

      g_assert_cmpuint (appended, ==, streamed->len - before);
      /* never half a character */
      g_assert_true (is_utf8 (streamed->str + before, appended));
      i += batch;
    }
  lb_token_stream_finish (stream, streamed);
  g_assert_cmpmem (streamed->str, streamed->len, one_shot, one_shot_length);
}

static void
test_stream_random_splits (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);

  for (int i = 0; i < 300; i++)
    {
      const LbTokenizer *tokenizer = i % 2 ? small : gemma;
      g_autofree char *text = random_text (rand, 60);
      g_autoptr(GArray) ids = encode (tokenizer, text, LB_TOKENIZE_DEFAULT);
      gint32 random_ids[48];

      check_stream (tokenizer, (const gint32 *) (void *) ids->data, ids->len, rand, LB_DECODE_DEFAULT);

      /* Random tokens, byte tokens above all: invalid sequences, split characters. */
      for (gsize k = 0; k < G_N_ELEMENTS (random_ids); k++)
        random_ids[k] = g_rand_boolean (rand) ? g_rand_int_range (rand, 238, 494)
                                              : g_rand_int_range (rand, 0, (gint32) lb_tokenizer_n_tokens (tokenizer));
      check_stream (tokenizer, random_ids, G_N_ELEMENTS (random_ids), rand,
                    i % 3 == 0 ? LB_DECODE_SPECIAL : LB_DECODE_DEFAULT);
    }
}

static void
test_stream_partial_character (void)
{
  /* The lung emoji is four byte tokens in the small vocabulary. */
  g_autoptr(GArray) ids = encode (small, "\xf0\x9f\xab\x81!", LB_TOKENIZE_DEFAULT);
  g_autoptr(LbTokenStream) stream = lb_token_stream_new (small, LB_DECODE_DEFAULT);
  g_autoptr(GString) out = g_string_new (NULL);
  gint32 f0 = lb_tokenizer_find (small, "<0xF0>", -1), a = lb_tokenizer_find (small, "<0x61>", -1);

  g_assert_cmpint (a, >=, 0);
  g_assert_cmpuint (ids->len, ==, 5);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (lb_token_stream_push (stream, &g_array_index (ids, gint32, i), 1, out), ==, 0);
  g_assert_cmpuint (out->len, ==, 0);
  g_assert_cmpuint (lb_token_stream_push (stream, &g_array_index (ids, gint32, 3), 1, out), ==, 4);
  g_assert_cmpstr (out->str, ==, "\xf0\x9f\xab\x81");
  lb_token_stream_push (stream, &g_array_index (ids, gint32, 4), 1, out);
  g_assert_cmpstr (out->str, ==, "\xf0\x9f\xab\x81!");

  /* A lead byte that is never completed: U+FFFD when the next token shows
   * it, or at the end. */
  g_string_truncate (out, 0);
  lb_token_stream_push (stream, &f0, 1, out);
  g_assert_cmpuint (out->len, ==, 0);
  lb_token_stream_push (stream, &a, 1, out);
  g_assert_cmpstr (out->str, ==, "\xef\xbf\xbd" "a");
  lb_token_stream_push (stream, &f0, 1, out);
  lb_token_stream_finish (stream, out);
  g_assert_cmpstr (out->str, ==, "\xef\xbf\xbd" "a\xef\xbf\xbd");
}

static void
test_decode_flags (void)
{
  static const gint32 ids[] = { 2, 105, 9259, 138, 106, 100, -1 };
  g_autofree char *plain = lb_tokenizer_decode (gemma, ids, G_N_ELEMENTS (ids), LB_DECODE_DEFAULT, NULL);
  g_autofree char *special = lb_tokenizer_decode (gemma, ids, G_N_ELEMENTS (ids), LB_DECODE_SPECIAL, NULL);
  g_autofree char *verbatim = lb_tokenizer_decode (gemma, ids, G_N_ELEMENTS (ids),
                                                   LB_DECODE_USER_DEFINED_VERBATIM, NULL);

  /* 138 is the user-defined piece "▁▁"; 100 is <unused94>; -1 a marker. */
  g_assert_cmpstr (plain, ==, "Hello  <unused94>");
  g_assert_cmpstr (special, ==, "<bos><start_of_turn>Hello  <end_of_turn><unused94>");
  g_assert_cmpstr (verbatim, ==, "Hello\xe2\x96\x81\xe2\x96\x81<unused94>");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gemma = lb_test_load_reference_tokenizer ("vocab/gemma3-vocab.gguf");
  small = lb_test_load_reference_tokenizer ("models/a-f32/text.gguf");

  g_test_add_func ("/tokenizer/reference/plain", test_reference_plain);
  g_test_add_func ("/tokenizer/reference/special", test_reference_special);
  g_test_add_func ("/tokenizer/reference/generated-text", test_reference_generated_text);
  g_test_add_func ("/tokenizer/vocabulary/special-ids", test_special_ids);
  g_test_add_func ("/tokenizer/encode/special-off-is-text", test_special_off_is_text);
  g_test_add_func ("/tokenizer/encode/byte-fallback", test_byte_fallback);
  g_test_add_func ("/tokenizer/encode/merge-rules", test_merge_rules);
  g_test_add_func ("/tokenizer/load/errors", test_load_errors);
  g_test_add_func ("/tokenizer/round-trip/random", test_round_trip_random);
  g_test_add_func ("/tokenizer/round-trip/whitespace", test_round_trip_whitespace);
  g_test_add_func ("/tokenizer/invalid-utf8/input", test_invalid_utf8_input);
  g_test_add_func ("/tokenizer/invalid-utf8/replacement", test_utf8_replacement);
  g_test_add_func ("/tokenizer/stream/random-splits", test_stream_random_splits);
  g_test_add_func ("/tokenizer/stream/partial-character", test_stream_partial_character);
  g_test_add_func ("/tokenizer/decode/flags", test_decode_flags);

  status = g_test_run ();
  lb_tokenizer_free (gemma);
  lb_tokenizer_free (small);
  return status;
}
