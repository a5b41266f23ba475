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

#include "model/tokenizer.h"

/* U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space. */
#define SPACE_MARK "\xe2\x96\x81"
#define SPACE_MARK_LENGTH 3

/* Most of the encoder's time goes to looking up pieces, and a lookup is
 * mostly cache misses: a slot of the table holds the hash and the offset of
 * the piece's record, and the record holds everything a merge needs next to
 * the text. A miss costs one cache line, a hit two. */
typedef struct {
  guint32 hash;
  guint32 record;     /* offset of a PieceRecord in the blob; EMPTY_SLOT: none */
} Slot;

#define EMPTY_SLOT G_MAXUINT32

/* In the blob: the header, the piece's bytes, a NUL, padding to 4 bytes. */
typedef struct {
  gint32 id;
  float score;
  guint32 length;
} PieceRecord;

/* Pairs of one-character symbols that are ASCII or U+2581 are looked up in
 * a table (the first merges of every fragment). */
#define N_SMALL_SYMBOLS 129

typedef struct {
  gint32 first_child;
  gint32 next_sibling;
  gint32 token;        /* the special piece that ends at this node, or -1 */
  guint8 byte;
} TrieNode;

struct _LbTokenizer {
  char *name;
  guint32 n_tokens;
  char *blob;            /* a PieceRecord for every piece */
  guint32 *offsets;      /* the text of piece i starts at blob + offsets[i] */
  guint32 *lengths;
  guint32 max_length;
  float *scores;
  guint8 *types;         /* LbTokenType */
  guint8 *byte_values;   /* the byte of each byte token */
  gint32 byte_tokens[256];

  /* piece → id, open addressing; the last of duplicate pieces wins, as in
   * the reference */
  Slot *slots;
  guint32 slot_mask;
  guint32 small_pairs[N_SMALL_SYMBOLS * N_SMALL_SYMBOLS]; /* record offsets, EMPTY_SLOT: none */

  /* Control, user-defined and unknown pieces, for the partition. */
  TrieNode *trie;
  guint32 n_trie;
  gint32 trie_root[256];
  guint32 *special_rank; /* partition priority by id: longer first, then lower id */
  gint32 *special_ids;   /* by rank */
  guint32 n_specials;

  gint32 specials[LB_N_SPECIALS];
  gboolean add_bos;
  gboolean add_space_prefix;
};

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

/* ---- hashing ---------------------------------------------------------- */

static inline guint32
hash_bytes (const char *data, gsize n)
{
  const guint8 *p = (const guint8 *) data;
  guint64 h = 0x9e3779b97f4a7c15ull ^ (guint64) n;
  guint64 v;

  while (n >= 8)
    {
      memcpy (&v, p, 8);
      h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
      p += 8;
      n -= 8;
    }
  v = 0;
  memcpy (&v, p, n);
  h = (h ^ v) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return (guint32) h;
}

static inline const PieceRecord *
record_at (const LbTokenizer *t, guint32 offset)
{
  return (const PieceRecord *) (const void *) (t->blob + offset);
}

static inline const PieceRecord *
find_record (const LbTokenizer *t, const char *text, gsize n)
{
  guint32 h, i;

  if (n > t->max_length)
    return NULL;
  h = hash_bytes (text, n);
  for (i = h & t->slot_mask;; i = (i + 1) & t->slot_mask)
    {
      const Slot *slot = &t->slots[i];
      const PieceRecord *record;

      if (slot->record == EMPTY_SLOT)
        return NULL;
      if (slot->hash != h)
        continue;
      record = record_at (t, slot->record);
      if (record->length == n && memcmp (record + 1, text, n) == 0)
        return record;
    }
}

static inline gint32
find_piece (const LbTokenizer *t, const char *text, gsize n)
{
  const PieceRecord *record = find_record (t, text, n);

  return record != NULL ? record->id : -1;
}

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

/* The index of a one-character symbol in small_pairs, or -1. */
static inline int
small_symbol (const char *text, gint32 n)
{
  if (n == 1 && (guint8) text[0] < 0x80)
    return (guint8) text[0];
  if (n == SPACE_MARK_LENGTH && memcmp (text, SPACE_MARK, SPACE_MARK_LENGTH) == 0)
    return 128;
  return -1;
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

/* ---- encoding --------------------------------------------------------- */

/* A span of a run's text and whether control tokens may be recognised in it. */
typedef struct {
  gsize end;
  gboolean special;
} Part;

typedef struct {
  gint32 start;   /* into the escaped text */
  gint32 n;       /* bytes; 0 once merged into its left neighbour */
  gint32 prev;
  gint32 next;
} Symbol;

typedef struct {
  float score;
  gint32 left;
  gint32 right;
  gint32 size;
} Bigram;

/* An occurrence of a special piece in a run, by the piece's priority. */
typedef struct {
  guint32 rank;
  guint32 start;
} Match;

typedef struct {
  const LbTokenizer *t;
  GArray *out;
  char *text;          /* escaped fragment */
  gsize text_alloc;
  Symbol *symbols;
  gsize symbols_alloc;
  Bigram *heap;
  gsize heap_len;
  gsize heap_alloc;
} Encoder;

static void
encoder_clear (Encoder *e)
{
  g_free (e->text);
  g_free (e->symbols);
  g_free (e->heap);
}

/* The heap's top is the bigram with the highest score; ties go to the
 * leftmost. */
static inline gboolean
bigram_before (const Bigram *a, const Bigram *b)
{
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void
heap_push (Encoder *e, Bigram bigram)
{
  gsize i;

  if (e->heap_len == e->heap_alloc)
    {
      e->heap_alloc = MAX (64, e->heap_alloc * 2);
      e->heap = g_renew (Bigram, e->heap, e->heap_alloc);
    }
  i = e->heap_len++;
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;
      if (!bigram_before (&bigram, &e->heap[parent]))
        break;
      e->heap[i] = e->heap[parent];
      i = parent;
    }
  e->heap[i] = bigram;
}

static Bigram
heap_pop (Encoder *e)
{
  Bigram top = e->heap[0], last = e->heap[--e->heap_len];
  gsize i = 0, n = e->heap_len;

  for (;;)
    {
      gsize child = 2 * i + 1;
      if (child >= n)
        break;
      if (child + 1 < n && bigram_before (&e->heap[child + 1], &e->heap[child]))
        child++;
      if (!bigram_before (&e->heap[child], &last))
        break;
      e->heap[i] = e->heap[child];
      i = child;
    }
  if (n > 0)
    e->heap[i] = last;
  return top;
}

static inline void
try_add_bigram (Encoder *e, gint32 left, gint32 right)
{
  const Symbol *l, *r;
  const PieceRecord *record;
  int a, b;

  if (left < 0 || right < 0)
    return;
  l = &e->symbols[left];
  r = &e->symbols[right];
  a = small_symbol (e->text + l->start, l->n);
  b = a >= 0 ? small_symbol (e->text + r->start, r->n) : -1;
  if (b >= 0)
    {
      guint32 offset = e->t->small_pairs[a * N_SMALL_SYMBOLS + b];
      record = offset != EMPTY_SLOT ? record_at (e->t, offset) : NULL;
    }
  else /* adjacent symbols are contiguous in the text */
    record = find_record (e->t, e->text + l->start, (gsize) (l->n + r->n));
  if (record == NULL)
    return;
  heap_push (e, (Bigram) { .score = record->score, .left = left, .right = right, .size = l->n + r->n });
}

/* Length of a UTF-8 sequence from its lead byte, as the reference computes
 * it: continuation bytes and invalid leads count as one byte. */
static const guint8 utf8_length_by_high_nibble[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };

/* Encodes one fragment of raw text (no special pieces in it). */
static void
encode_fragment (Encoder *e, const char *raw, gsize raw_length, gboolean space_prefix)
{
  const LbTokenizer *t = e->t;
  gsize need = (raw_length + 1) * SPACE_MARK_LENGTH, n = 0, n_symbols = 0;

  if (need > e->text_alloc)
    {
      e->text_alloc = MAX (need, 2 * e->text_alloc);
      g_free (e->text);
      e->text = g_malloc (e->text_alloc);
    }
  if (space_prefix)
    {
      memcpy (e->text, SPACE_MARK, SPACE_MARK_LENGTH);
      n = SPACE_MARK_LENGTH;
    }
  for (gsize i = 0; i < raw_length; i++)
    if (raw[i] == ' ')
      {
        memcpy (e->text + n, SPACE_MARK, SPACE_MARK_LENGTH);
        n += SPACE_MARK_LENGTH;
      }
    else
      e->text[n++] = raw[i];
  if (n == 0)
    return;
  /* symbols are indexed with 32-bit integers (checked by encode_run) */

  if (n > e->symbols_alloc)
    {
      e->symbols_alloc = MAX (n, 2 * e->symbols_alloc);
      g_free (e->symbols);
      e->symbols = g_new (Symbol, e->symbols_alloc);
    }
  for (gsize offset = 0; offset < n; n_symbols++)
    {
      gsize length = MIN ((gsize) utf8_length_by_high_nibble[(guint8) e->text[offset] >> 4], n - offset);
      e->symbols[n_symbols] = (Symbol) {
        .start = (gint32) offset,
        .n = (gint32) length,
        .prev = (gint32) n_symbols - 1,
        .next = offset + length == n ? -1 : (gint32) n_symbols + 1,
      };
      offset += length;
    }

  e->heap_len = 0;
  for (gsize i = 1; i < n_symbols; i++)
    try_add_bigram (e, (gint32) i - 1, (gint32) i);
  while (e->heap_len > 0)
    {
      Bigram bigram = heap_pop (e);
      Symbol *left = &e->symbols[bigram.left], *right = &e->symbols[bigram.right];

      /* stale: one side was merged since */
      if (left->n == 0 || right->n == 0 || left->n + right->n != bigram.size)
        continue;
      left->n += right->n;
      right->n = 0;
      left->next = right->next;
      if (right->next >= 0)
        e->symbols[right->next].prev = bigram.left;
      try_add_bigram (e, left->prev, bigram.left);
      try_add_bigram (e, bigram.left, left->next);
    }

  for (gint32 i = 0; i != -1; i = e->symbols[i].next)
    {
      const Symbol *s = &e->symbols[i];
      gint32 id = find_piece (t, e->text + s->start, (gsize) s->n);

      if (id >= 0)
        g_array_append_val (e->out, id);
      else
        {
          gboolean unknown = FALSE;
          for (gint32 k = 0; k < s->n; k++)
            {
              gint32 byte_id = t->byte_tokens[(guint8) e->text[s->start + k]];
              if (byte_id >= 0)
                g_array_append_val (e->out, byte_id);
              else
                unknown = TRUE;
            }
          /* The reference cannot encode this at all (it throws). */
          if (unknown && t->specials[LB_SPECIAL_UNKNOWN] >= 0)
            g_array_append_val (e->out, t->specials[LB_SPECIAL_UNKNOWN]);
        }
    }
}

/* Encodes one run: partition out special pieces, then encode each fragment. */
static void
encode_run (Encoder *e, const char *text, gsize length, const Part *parts, guint n_parts)
{
  const LbTokenizer *t = e->t;
  g_autoptr(GArray) matches = NULL;
  g_autofree Match *sorted = NULL;
  g_autofree guint32 *first = NULL;
  g_autofree guint32 *accepted = NULL;
  gboolean prev_special = TRUE;
  guint part = 0;
  gsize position = 0;

  if (length == 0)
    return;
  /* Offsets are 32-bit and a fragment grows up to 3 times when spaces
   * become U+2581: a caller must not pass runs of 512 MiB or more. */
  g_return_if_fail (length < G_MAXINT32 / 4);

  /* Every occurrence of every special piece that may be recognised here. */
  for (gsize i = 0; i < length; i++)
    {
      gint32 node = t->trie_root[(guint8) text[i]];

      while (part + 1 < n_parts && parts[part].end <= i)
        part++;
      for (gsize j = i; node >= 0;)
        {
          const TrieNode *trie_node = &t->trie[node];
          if (trie_node->token >= 0)
            {
              guint8 type = t->types[trie_node->token];
              if (type == LB_TOKEN_TYPE_USER_DEFINED || (parts[part].special && j + 1 <= parts[part].end))
                {
                  Match match = { t->special_rank[trie_node->token], (guint32) i };
                  if (matches == NULL)
                    matches = g_array_new (FALSE, FALSE, sizeof (Match));
                  g_array_append_val (matches, match);
                }
            }
          if (++j >= length)
            break;
          for (node = trie_node->first_child; node >= 0 && t->trie[node].byte != (guint8) text[j];
               node = t->trie[node].next_sibling)
            ;
        }
    }

  if (matches == NULL)
    {
      encode_fragment (e, text, length, t->add_space_prefix);
      return;
    }

  /* Highest priority first, a piece's occurrences left to right: a
   * counting sort by rank keeps the scan's order of positions. */
  first = g_new0 (guint32, t->n_specials + 1);
  for (guint m = 0; m < matches->len; m++)
    first[g_array_index (matches, Match, m).rank + 1]++;
  for (guint32 r = 0; r < t->n_specials; r++)
    first[r + 1] += first[r];
  sorted = g_new (Match, matches->len);
  for (guint m = 0; m < matches->len; m++)
    {
      Match match = g_array_index (matches, Match, m);
      sorted[first[match.rank]++] = match;
    }

  /* accepted[i]: 0 free, rank + 1 where an accepted piece starts, COVERED
   * inside one */
#define COVERED G_MAXUINT32
  accepted = g_new0 (guint32, length);
  for (guint m = 0; m < matches->len; m++)
    {
      Match match = sorted[m];
      guint32 n = t->lengths[t->special_ids[match.rank]];
      gboolean free_span = TRUE;

      for (guint32 k = 0; k < n && free_span; k++)
        free_span = accepted[match.start + k] == 0;
      if (!free_span)
        continue;
      accepted[match.start] = match.rank + 1;
      for (guint32 k = 1; k < n; k++)
        accepted[match.start + k] = COVERED;
    }

  for (gsize i = 0; i <= length; i++)
    {
      if (i < length && (accepted[i] == 0 || accepted[i] == COVERED))
        continue;
      if (i > position)
        {
          encode_fragment (e, text + position, i - position, t->add_space_prefix && prev_special);
          prev_special = FALSE;
        }
      if (i < length)
        {
          gint32 id = t->special_ids[accepted[i] - 1];
          g_array_append_val (e->out, id);
          prev_special = TRUE;
          position = i + t->lengths[id];
        }
    }
#undef COVERED
}

/* Invalid UTF-8 becomes U+FFFD (see tokenizer.h); returns NULL when the
 * text is valid as it is. */
static GString *
make_valid (const char *text, gsize length)
{
  GString *valid;

  if (g_utf8_validate_len (text, length, NULL))
    return NULL;
  valid = g_string_sized_new (length + 16);
  lb_utf8_append_valid (valid, text, length, TRUE);
  return valid;
}

void
lb_tokenizer_encode_append (const LbTokenizer *t, const char *text, gssize length, LbTokenizeFlags flags,
                            GArray *ids)
{
  Encoder e = { .t = t, .out = ids };
  g_autoptr(GString) valid = NULL;
  Part part;

  g_return_if_fail (t != NULL);
  g_return_if_fail (text != NULL || length == 0);
  g_return_if_fail (ids != NULL && g_array_get_element_size (ids) == sizeof (gint32));

  if (length < 0)
    length = (gssize) strlen (text);
  valid = make_valid (text, (gsize) length);
  if (valid != NULL)
    {
      text = valid->str;
      length = (gssize) valid->len;
    }
  if ((flags & LB_TOKENIZE_ADD_BOS) && t->specials[LB_SPECIAL_BOS] >= 0)
    g_array_append_val (ids, t->specials[LB_SPECIAL_BOS]);
  part = (Part) { .end = (gsize) length, .special = (flags & LB_TOKENIZE_SPECIAL) != 0 };
  encode_run (&e, text, (gsize) length, &part, 1);
  encoder_clear (&e);
}

GArray *
lb_tokenizer_encode (const LbTokenizer *t, const char *text, gssize length, LbTokenizeFlags flags)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  lb_tokenizer_encode_append (t, text, length, flags, ids);
  return ids;
}

/* ---- builder ---------------------------------------------------------- */

struct _LbTokenBuilder {
  const LbTokenizer *tokenizer;
  GArray *ids;
  GString *run;
  GArray *parts;   /* Part */
};

LbTokenBuilder *
lb_token_builder_new (const LbTokenizer *tokenizer)
{
  LbTokenBuilder *b;

  g_return_val_if_fail (tokenizer != NULL, NULL);
  b = g_new0 (LbTokenBuilder, 1);
  b->tokenizer = tokenizer;
  b->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  b->run = g_string_new (NULL);
  b->parts = g_array_new (FALSE, FALSE, sizeof (Part));
  return b;
}

void
lb_token_builder_free (LbTokenBuilder *b)
{
  if (b == NULL)
    return;
  if (b->ids != NULL)
    g_array_unref (b->ids);
  g_string_free (b->run, TRUE);
  g_array_unref (b->parts);
  g_free (b);
}

void
lb_token_builder_break (LbTokenBuilder *b)
{
  Encoder e = { .t = b->tokenizer, .out = b->ids };

  g_return_if_fail (b != NULL);
  if (b->run->len > 0)
    encode_run (&e, b->run->str, b->run->len, (const Part *) (void *) b->parts->data, b->parts->len);
  encoder_clear (&e);
  g_string_truncate (b->run, 0);
  g_array_set_size (b->parts, 0);
}

void
lb_token_builder_add_text (LbTokenBuilder *b, const char *text, gssize length, gboolean special)
{
  g_autoptr(GString) valid = NULL;
  Part part;

  g_return_if_fail (b != NULL);
  g_return_if_fail (text != NULL || length == 0);
  if (length < 0)
    length = (gssize) strlen (text);
  if (length == 0)
    return;
  valid = make_valid (text, (gsize) length);
  if (valid != NULL)
    g_string_append_len (b->run, valid->str, (gssize) valid->len);
  else
    g_string_append_len (b->run, text, length);
  part = (Part) { .end = b->run->len, .special = special };
  g_array_append_val (b->parts, part);
}

void
lb_token_builder_add_token (LbTokenBuilder *b, gint32 id)
{
  g_return_if_fail (b != NULL);
  g_return_if_fail (id < 0 || (guint32) id < b->tokenizer->n_tokens);
  lb_token_builder_break (b);
  g_array_append_val (b->ids, id);
}

guint
lb_token_builder_length (LbTokenBuilder *b)
{
  g_return_val_if_fail (b != NULL, 0);
  lb_token_builder_break (b);
  return b->ids->len;
}

GArray *
lb_token_builder_free_to_array (LbTokenBuilder *b)
{
  GArray *ids;

  g_return_val_if_fail (b != NULL, NULL);
  lb_token_builder_break (b);
  ids = g_steal_pointer (&b->ids);
  lb_token_builder_free (b);
  return ids;
}

/* ---- decoding --------------------------------------------------------- */

static void
append_unescaped (GString *out, const char *text, gsize n)
{
  const char *end = text + n;

  while (text < end)
    {
      const char *mark = memchr (text, SPACE_MARK[0], (gsize) (end - text));
      if (mark == NULL)
        {
          g_string_append_len (out, text, end - text);
          return;
        }
      if (end - mark >= SPACE_MARK_LENGTH && memcmp (mark, SPACE_MARK, SPACE_MARK_LENGTH) == 0)
        {
          g_string_append_len (out, text, mark - text);
          g_string_append_c (out, ' ');
          text = mark + SPACE_MARK_LENGTH;
        }
      else
        {
          g_string_append_len (out, text, mark + 1 - text);
          text = mark + 1;
        }
    }
}

void
lb_tokenizer_append_token_bytes (const LbTokenizer *t, gint32 id, LbDecodeFlags flags, GString *out)
{
  const char *piece;

  g_return_if_fail (t != NULL);
  g_return_if_fail (out != NULL);
  if (id < 0)
    return;
  g_return_if_fail ((guint32) id < t->n_tokens);

  piece = t->blob + t->offsets[id];
  switch ((LbTokenType) t->types[id])
    {
    case LB_TOKEN_TYPE_NORMAL:
      append_unescaped (out, piece, t->lengths[id]);
      break;
    case LB_TOKEN_TYPE_USER_DEFINED:
      if (flags & LB_DECODE_USER_DEFINED_VERBATIM)
        g_string_append_len (out, piece, t->lengths[id]);
      else
        append_unescaped (out, piece, t->lengths[id]);
      break;
    case LB_TOKEN_TYPE_CONTROL:
    case LB_TOKEN_TYPE_UNKNOWN:
      if (flags & LB_DECODE_SPECIAL)
        g_string_append_len (out, piece, t->lengths[id]);
      break;
    case LB_TOKEN_TYPE_BYTE:
      g_string_append_c (out, (char) t->byte_values[id]);
      break;
    case LB_TOKEN_TYPE_UNUSED:
    case LB_TOKEN_TYPE_UNDEFINED:
    default:
      /* the reference writes nothing for these */
      break;
    }
}

GBytes *
lb_tokenizer_decode_bytes (const LbTokenizer *t, const gint32 *ids, gsize n_ids, LbDecodeFlags flags)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  for (gsize i = 0; i < n_ids; i++)
    lb_tokenizer_append_token_bytes (t, ids[i], flags, out);
  return g_string_free_to_bytes (out);
}

/* Number of bytes of a well-formed sequence starting with lead, and the
 * allowed range of its second byte (Unicode Table 3-7); 0 if lead cannot
 * start one. */
static guint
utf8_sequence (guint8 lead, guint8 *second_lo, guint8 *second_hi)
{
  *second_lo = 0x80;
  *second_hi = 0xbf;
  if (lead < 0x80)
    return 1;
  if (lead < 0xc2)
    return 0;
  if (lead < 0xe0)
    return 2;
  if (lead < 0xf0)
    {
      if (lead == 0xe0)
        *second_lo = 0xa0;
      else if (lead == 0xed)
        *second_hi = 0x9f;
      return 3;
    }
  if (lead < 0xf5)
    {
      if (lead == 0xf0)
        *second_lo = 0x90;
      else if (lead == 0xf4)
        *second_hi = 0x8f;
      return 4;
    }
  return 0;
}

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd"

gsize
lb_utf8_append_valid (GString *out, const char *bytes, gsize n_bytes, gboolean final)
{
  const guint8 *p = (const guint8 *) bytes;
  gsize i = 0;

  g_return_val_if_fail (out != NULL, 0);
  g_return_val_if_fail (bytes != NULL || n_bytes == 0, 0);

  while (i < n_bytes)
    {
      gsize ascii = i;
      guint8 lo, hi;
      guint need, have;

      while (ascii < n_bytes && p[ascii] < 0x80)
        ascii++;
      if (ascii > i)
        {
          g_string_append_len (out, (const char *) p + i, (gssize) (ascii - i));
          i = ascii;
          continue;
        }
      need = utf8_sequence (p[i], &lo, &hi);
      if (need == 0)
        {
          g_string_append (out, REPLACEMENT_CHARACTER);
          i++;
          continue;
        }
      /* The longest prefix of a well-formed sequence that is here. */
      for (have = 1; have < need && i + have < n_bytes; have++)
        {
          guint8 c = p[i + have];
          if (have == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf))
            break;
        }
      if (have == need)
        {
          g_string_append_len (out, (const char *) p + i, need);
          i += need;
        }
      else if (i + have == n_bytes && !final)
        break; /* may still be completed by the next bytes */
      else
        {
          /* a maximal ill-formed subsequence: one replacement */
          g_string_append (out, REPLACEMENT_CHARACTER);
          i += have;
        }
    }
  return i;
}

char *
lb_tokenizer_decode (const LbTokenizer *t, const gint32 *ids, gsize n_ids, LbDecodeFlags flags,
                     gsize *out_length)
{
  g_autoptr(GString) bytes = g_string_new (NULL);
  GString *text;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  for (gsize i = 0; i < n_ids; i++)
    lb_tokenizer_append_token_bytes (t, ids[i], flags, bytes);
  text = g_string_sized_new (bytes->len + 1);
  lb_utf8_append_valid (text, bytes->str, bytes->len, TRUE);
  if (out_length != NULL)
    *out_length = text->len;
  return g_string_free (text, FALSE);
}

/* ---- streaming -------------------------------------------------------- */

struct _LbTokenStream {
  const LbTokenizer *tokenizer;
  LbDecodeFlags flags;
  GString *pending;   /* bytes not yet emitted: at most an incomplete character */
};

LbTokenStream *
lb_token_stream_new (const LbTokenizer *tokenizer, LbDecodeFlags flags)
{
  LbTokenStream *s;

  g_return_val_if_fail (tokenizer != NULL, NULL);
  s = g_new0 (LbTokenStream, 1);
  s->tokenizer = tokenizer;
  s->flags = flags;
  s->pending = g_string_new (NULL);
  return s;
}

void
lb_token_stream_free (LbTokenStream *s)
{
  if (s == NULL)
    return;
  g_string_free (s->pending, TRUE);
  g_free (s);
}

gsize
lb_token_stream_push (LbTokenStream *s, const gint32 *ids, gsize n_ids, GString *out)
{
  gsize before, consumed;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (ids != NULL || n_ids == 0, 0);
  g_return_val_if_fail (out != NULL, 0);

  before = out->len;
  for (gsize i = 0; i < n_ids; i++)
    lb_tokenizer_append_token_bytes (s->tokenizer, ids[i], s->flags, s->pending);
  consumed = lb_utf8_append_valid (out, s->pending->str, s->pending->len, FALSE);
  g_string_erase (s->pending, 0, (gssize) consumed);
  return out->len - before;
}

gsize
lb_token_stream_finish (LbTokenStream *s, GString *out)
{
  gsize before;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (out != NULL, 0);
  before = out->len;
  lb_utf8_append_valid (out, s->pending->str, s->pending->len, TRUE);
  g_string_truncate (s->pending, 0);
  return out->len - before;
}
