/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SentencePiece-style tokenizer with the semantics of the reference
 * implementation (llama.cpp's SPM tokenizer); see tokenizer.h for the rules.
 *
 * Where this differs from the reference in *how*, never in *what*:
 *  - The partition of special pieces. The reference tries every special
 *    piece in turn (longest first) against every remaining fragment, which
 *    is |specials| × |text| (6400 pieces for Gemma). Here one pass over the
 *    text with a trie collects every occurrence of every special piece, the
 *    occurrences are sorted by (piece priority, position), and each is
 *    accepted when it overlaps no occurrence accepted before. A piece's
 *    occurrences are thus taken leftmost first without overlap, inside the
 *    gaps left by longer pieces: the reference's result.
 *  - The reference re-splits a final symbol that is not a piece through its
 *    merge history before falling back to bytes. Every merge produces a
 *    piece, so a symbol that is not a piece is always a single character and
 *    the history is never used; we go straight to the byte fallback.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/tokenizer-private.h"

static const char *const special_texts[LB_N_SPECIALS] = {
  [LB_SPECIAL_BOS] = "<bos>",
  [LB_SPECIAL_EOS] = "<eos>",
  [LB_SPECIAL_UNKNOWN] = "<unk>",
  [LB_SPECIAL_PAD] = "<pad>",
  [LB_SPECIAL_START_OF_TURN] = "<start_of_turn>",
  [LB_SPECIAL_END_OF_TURN] = "<end_of_turn>",
  [LB_SPECIAL_START_OF_IMAGE] = "<start_of_image>",
  [LB_SPECIAL_END_OF_IMAGE] = "<end_of_image>",
  [LB_SPECIAL_THINKING_START] = "<unused94>",
  [LB_SPECIAL_THINKING_END] = "<unused95>",
};

/* ---- building the piece table ------------------------------------------ */

static void
insert_piece (LbTokenizer *t, gint32 id)
{
  const char *text = t->blob + t->offsets[id];
  guint32 n = t->lengths[id], h = hash_bytes (text, n), i;

  for (i = h & t->slot_mask;; i = (i + 1) & t->slot_mask)
    {
      const Slot *slot = &t->slots[i];
      const PieceRecord *record;

      if (slot->record == EMPTY_SLOT)
        break;
      record = record_at (t, slot->record);
      if (slot->hash == h && record->length == n && memcmp (record + 1, text, n) == 0)
        break; /* a duplicate piece: the later id wins */
    }
  t->slots[i] = (Slot) { .hash = h, .record = t->offsets[id] - (guint32) sizeof (PieceRecord) };
}

static void
build_small_pairs (LbTokenizer *t)
{
  for (int a = 0; a < N_SMALL_SYMBOLS; a++)
    for (int b = 0; b < N_SMALL_SYMBOLS; b++)
      {
        char pair[2 * SPACE_MARK_LENGTH];
        gsize n = 0;
        const PieceRecord *record;

        if (a == 128)
          memcpy (pair, SPACE_MARK, SPACE_MARK_LENGTH), n = SPACE_MARK_LENGTH;
        else
          pair[n++] = (char) a;
        if (b == 128)
          memcpy (pair + n, SPACE_MARK, SPACE_MARK_LENGTH), n += SPACE_MARK_LENGTH;
        else
          pair[n++] = (char) b;
        record = find_record (t, pair, n);
        t->small_pairs[a * N_SMALL_SYMBOLS + b] = record != NULL ? (guint32) ((const char *) record - t->blob)
                                                                 : EMPTY_SLOT;
      }
}

/* ---- loading ---------------------------------------------------------- */

static gboolean
is_special_type (guint8 type)
{
  return type == LB_TOKEN_TYPE_CONTROL || type == LB_TOKEN_TYPE_USER_DEFINED || type == LB_TOKEN_TYPE_UNKNOWN;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gint32
optional_token_id (const LbGguf *gguf, const char *key, guint32 n_tokens)
{
  guint32 id;

  g_autoptr(GError) local_error = NULL;

  if (!lb_gguf_has_key (gguf, key))
    return -1;
  /* The reference ignores an unusable id (with a warning) and keeps its
   * default; we fall back to finding the token by its text. */
  if (!lb_gguf_get_uint32 (gguf, key, &id, &local_error) || id >= n_tokens)
    {
      g_debug ("%s: %s is not a token id of this vocabulary (%u tokens); ignored",
               lb_gguf_name (gguf), key, n_tokens);
      return -1;
    }
  return (gint32) id;
}

static int
compare_special_priority (const void *a, const void *b, void *user_data)
{
  const LbTokenizer *t = user_data;
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;

  if (t->lengths[x] != t->lengths[y])
    return t->lengths[x] > t->lengths[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
build_special_trie (LbTokenizer *t)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GArray *nodes = g_array_new (FALSE, FALSE, sizeof (TrieNode));

  for (guint32 id = 0; id < t->n_tokens; id++)
    if (is_special_type (t->types[id]))
      g_array_append_val (ids, id);
  g_array_sort_with_data (ids, compare_special_priority, t);

  t->special_rank = g_new0 (guint32, t->n_tokens);
  t->n_specials = ids->len;
  t->special_ids = g_memdup2 (ids->data, MAX (ids->len, 1) * sizeof (gint32));
  for (guint i = 0; i < 256; i++)
    t->trie_root[i] = -1;

  for (guint rank = 0; rank < ids->len; rank++)
    {
      gint32 id = g_array_index (ids, gint32, rank);
      const guint8 *text = (const guint8 *) t->blob + t->offsets[id];
      guint32 n = t->lengths[id];
      gint32 node = -1;

      t->special_rank[id] = rank;
      for (guint32 k = 0; k < n; k++)
        {
          gint32 *link = node < 0 ? &t->trie_root[text[k]] : &g_array_index (nodes, TrieNode, node).first_child;
          gint32 child = *link;

          while (child >= 0 && g_array_index (nodes, TrieNode, child).byte != text[k])
            child = g_array_index (nodes, TrieNode, child).next_sibling;
          if (child < 0)
            {
              TrieNode fresh = { .first_child = -1, .next_sibling = node < 0 ? -1 : *link,
                                 .token = -1, .byte = text[k] };
              child = (gint32) nodes->len;
              g_array_append_val (nodes, fresh);
              /* the array may have moved: find the link again */
              if (node < 0)
                t->trie_root[text[k]] = child;
              else
                g_array_index (nodes, TrieNode, node).first_child = child;
            }
          node = child;
        }
      /* Of duplicate special pieces the first in priority order wins. */
      if (node >= 0 && g_array_index (nodes, TrieNode, node).token < 0)
        g_array_index (nodes, TrieNode, node).token = id;
    }
  t->n_trie = nodes->len;
  t->trie = (TrieNode *) (void *) g_array_free (nodes, FALSE);
}

LbTokenizer *
lb_tokenizer_new_from_gguf (const LbGguf *gguf, GError **error)
{
  g_autoptr(LbTokenizer) t = NULL;
  g_autofree const char **strings = NULL;
  g_autofree guint32 *string_lengths = NULL;
  g_autofree float *scores = NULL;
  g_autofree gint32 *types = NULL;
  const char *name, *model;
  guint64 n = 0, n_other = 0, blob_size = 0;
  guint32 capacity;

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = lb_gguf_name (gguf);
  model = lb_gguf_get_string (gguf, "tokenizer.ggml.model", error);
  if (model == NULL)
    return NULL;
  if (strcmp (model, "llama") != 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: tokenizer.ggml.model is '%s'; Lightbox reads SentencePiece vocabularies "
                   "('llama'), the kind Gemma 3 uses", name, model);
      return NULL;
    }
  if (!lb_gguf_get_string_array (gguf, "tokenizer.ggml.tokens", &strings, &string_lengths, &n, error))
    return NULL;
  if (n == 0 || n > G_MAXINT32 / 2)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: tokenizer.ggml.tokens has %" G_GUINT64_FORMAT " pieces, expected 1 to %d",
                   name, n, G_MAXINT32 / 2);
      return NULL;
    }
  if (lb_gguf_has_key (gguf, "tokenizer.ggml.scores"))
    {
      scores = lb_gguf_get_float_array (gguf, "tokenizer.ggml.scores", &n_other, error);
      if (scores == NULL)
        return NULL;
      if (n_other != n)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tokenizer.ggml.scores has %" G_GUINT64_FORMAT " values, expected one for "
                       "each of the %" G_GUINT64_FORMAT " pieces", name, n_other, n);
          return NULL;
        }
    }
  if (lb_gguf_has_key (gguf, "tokenizer.ggml.token_type"))
    {
      types = lb_gguf_get_int32_array (gguf, "tokenizer.ggml.token_type", &n_other, error);
      if (types == NULL)
        return NULL;
      if (n_other != n)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                       "%s: tokenizer.ggml.token_type has %" G_GUINT64_FORMAT " values, expected one "
                       "for each of the %" G_GUINT64_FORMAT " pieces", name, n_other, n);
          return NULL;
        }
    }

  t = g_new0 (LbTokenizer, 1);
  t->name = g_strdup (name);
  t->n_tokens = (guint32) n;
  t->offsets = g_new (guint32, n);
  t->lengths = g_new (guint32, n);
  t->scores = g_new0 (float, n);
  t->types = g_new (guint8, n);
  t->byte_values = g_new0 (guint8, n);

  /* Pieces: an empty one is renamed "[EMPTY_<id>]", as the reference does. */
  for (guint64 i = 0; i < n; i++)
    blob_size += sizeof (PieceRecord) + (((guint64) (string_lengths[i] > 0 ? string_lengths[i] : 32) + 4) & ~(guint64) 3);
  if (blob_size >= G_MAXUINT32)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                   "%s: tokenizer.ggml.tokens holds %" G_GUINT64_FORMAT " bytes of text, more than "
                   "a vocabulary can", name, blob_size);
      return NULL;
    }
  t->blob = g_malloc (blob_size);
  blob_size = 0;
  for (guint32 i = 0; i < t->n_tokens; i++)
    {
      PieceRecord *record = (PieceRecord *) (void *) (t->blob + blob_size);
      char *dest = (char *) (record + 1);
      guint32 length = string_lengths[i];

      if (length > 0)
        memcpy (dest, strings[i], length);
      else
        length = (guint32) g_snprintf (dest, 32, "[EMPTY_%u]", i);
      dest[length] = '\0';
      t->offsets[i] = (guint32) (blob_size + sizeof (PieceRecord));
      t->lengths[i] = length;
      t->max_length = MAX (t->max_length, length);
      blob_size += sizeof (PieceRecord) + (((guint64) length + 4) & ~(guint64) 3);

      if (scores != NULL)
        t->scores[i] = scores[i];
      *record = (PieceRecord) { .id = (gint32) i, .score = t->scores[i], .length = length };
      /* Values the reference does not know count as undefined. */
      t->types[i] = types == NULL ? LB_TOKEN_TYPE_NORMAL
                  : (types[i] >= 1 && types[i] <= 6) ? (guint8) types[i] : LB_TOKEN_TYPE_UNDEFINED;
      if (t->types[i] == LB_TOKEN_TYPE_BYTE)
        {
          int hi = length == 6 ? hex_value (dest[3]) : -1, lo = length == 6 ? hex_value (dest[4]) : -1;
          if (hi < 0 || lo < 0 || strncmp (dest, "<0x", 3) != 0 || dest[5] != '>')
            {
              g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_FORMAT,
                           "%s: token %u is a byte token (tokenizer.ggml.token_type 6) but its piece "
                           "'%s' is not of the form <0xNN>", name, i, dest);
              return NULL;
            }
          t->byte_values[i] = (guint8) (hi * 16 + lo);
        }
    }

  capacity = 1024;
  while (capacity < 2 * t->n_tokens)
    capacity *= 2;
  t->slot_mask = capacity - 1;
  t->slots = g_new (Slot, capacity);
  for (guint32 i = 0; i < capacity; i++)
    t->slots[i] = (Slot) { .hash = 0, .record = EMPTY_SLOT };
  for (guint32 i = 0; i < t->n_tokens; i++)
    insert_piece (t, (gint32) i);
  build_small_pairs (t);

  /* The reference always treats <end_of_turn> as a control token (it ends
   * generation), whatever the file says. */
  {
    gint32 eot = find_piece (t, "<end_of_turn>", strlen ("<end_of_turn>"));
    if (eot >= 0 && t->types[eot] != LB_TOKEN_TYPE_CONTROL)
      {
        g_debug ("%s: <end_of_turn> (%d) is not a control token in the file; treating it as one", name, eot);
        t->types[eot] = LB_TOKEN_TYPE_CONTROL;
      }
  }

  /* Byte fallback: "<0xNN>", else the byte itself as a piece (else, in a
   * vocabulary without byte pieces, <unk> for the character). */
  for (guint b = 0; b < 256; b++)
    {
      char piece[8];
      char raw = (char) b;
      g_snprintf (piece, sizeof piece, "<0x%02X>", b);
      t->byte_tokens[b] = find_piece (t, piece, 6);
      if (t->byte_tokens[b] < 0)
        t->byte_tokens[b] = find_piece (t, &raw, 1);
    }

  build_special_trie (t);

  /* Special ids: the metadata first, then the text. */
  {
    static const struct { LbSpecialToken which; const char *key; } keyed[] = {
      { LB_SPECIAL_BOS, "tokenizer.ggml.bos_token_id" },
      { LB_SPECIAL_EOS, "tokenizer.ggml.eos_token_id" },
      { LB_SPECIAL_UNKNOWN, "tokenizer.ggml.unknown_token_id" },
      { LB_SPECIAL_PAD, "tokenizer.ggml.padding_token_id" },
      { LB_SPECIAL_END_OF_TURN, "tokenizer.ggml.eot_token_id" },
    };
    for (guint i = 0; i < LB_N_SPECIALS; i++)
      t->specials[i] = find_piece (t, special_texts[i], strlen (special_texts[i]));
    for (gsize i = 0; i < G_N_ELEMENTS (keyed); i++)
      {
        gint32 id = optional_token_id (gguf, keyed[i].key, t->n_tokens);
        if (id >= 0)
          t->specials[keyed[i].which] = id;
      }
  }
  /* SentencePiece defaults, as in the reference: BOS added, space prefix on. */
  if (!lb_gguf_get_bool_or (gguf, "tokenizer.ggml.add_bos_token", TRUE, &t->add_bos, error)
      || !lb_gguf_get_bool_or (gguf, "tokenizer.ggml.add_space_prefix", TRUE, &t->add_space_prefix, error))
    return NULL;

  return g_steal_pointer (&t);
}

void
lb_tokenizer_free (LbTokenizer *t)
{
  if (t == NULL)
    return;
  g_free (t->name);
  g_free (t->blob);
  g_free (t->offsets);
  g_free (t->lengths);
  g_free (t->scores);
  g_free (t->types);
  g_free (t->byte_values);
  g_free (t->slots);
  g_free (t->trie);
  g_free (t->special_rank);
  g_free (t->special_ids);
  g_free (t);
}

/* ---- queries ---------------------------------------------------------- */

guint32
lb_tokenizer_n_tokens (const LbTokenizer *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->n_tokens;
}

const char *
lb_tokenizer_name (const LbTokenizer *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return t->name;
}

gboolean
lb_tokenizer_adds_bos (const LbTokenizer *t)
{
  g_return_val_if_fail (t != NULL, FALSE);
  return t->add_bos;
}

const char *
lb_special_token_text (LbSpecialToken which)
{
  g_return_val_if_fail (which < LB_N_SPECIALS, NULL);
  return special_texts[which];
}

gint32
lb_tokenizer_special (const LbTokenizer *t, LbSpecialToken which)
{
  g_return_val_if_fail (t != NULL, -1);
  g_return_val_if_fail (which < LB_N_SPECIALS, -1);
  return t->specials[which];
}

gboolean
lb_tokenizer_require_special (const LbTokenizer *t, LbSpecialToken which, gint32 *out_id, GError **error)
{
  gint32 id = lb_tokenizer_special (t, which);

  if (id < 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_MISSING,
                   "%s: the vocabulary (%u pieces) has no %s token", t->name, t->n_tokens,
                   special_texts[which]);
      return FALSE;
    }
  if (out_id != NULL)
    *out_id = id;
  return TRUE;
}

const char *
lb_tokenizer_piece (const LbTokenizer *t, gint32 id, gsize *out_length)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (id >= 0 && (guint32) id < t->n_tokens, NULL);
  if (out_length != NULL)
    *out_length = t->lengths[id];
  return t->blob + t->offsets[id];
}

gint32
lb_tokenizer_find (const LbTokenizer *t, const char *piece, gssize length)
{
  g_return_val_if_fail (t != NULL, -1);
  g_return_val_if_fail (piece != NULL || length == 0, -1);
  return find_piece (t, piece, length < 0 ? strlen (piece) : (gsize) length);
}

float
lb_tokenizer_score (const LbTokenizer *t, gint32 id)
{
  g_return_val_if_fail (t != NULL, 0);
  g_return_val_if_fail (id >= 0 && (guint32) id < t->n_tokens, 0);
  return t->scores[id];
}

LbTokenType
lb_tokenizer_token_type (const LbTokenizer *t, gint32 id)
{
  g_return_val_if_fail (t != NULL, LB_TOKEN_TYPE_UNDEFINED);
  g_return_val_if_fail (id >= 0 && (guint32) id < t->n_tokens, LB_TOKEN_TYPE_UNDEFINED);
  return t->types[id];
}

gboolean
lb_tokenizer_is_control (const LbTokenizer *t, gint32 id)
{
  return lb_tokenizer_token_type (t, id) == LB_TOKEN_TYPE_CONTROL;
}
