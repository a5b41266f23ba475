/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside the tokenizer: the piece table and the lookups that the loader
 * (tokenizer.c), the encoder (tokenizer-encode.c) and the decoder
 * (tokenizer-decode.c) share. The lookups stay inline: they are the
 * encoder's hot path. Not for use outside src/model/tokenizer*.c.
 */
#pragma once

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
