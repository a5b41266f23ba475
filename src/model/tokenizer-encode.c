/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tokenizer's encoder: text to ids, with the partition of special
 * pieces and the SentencePiece merges (tokenizer.h), and LbTokenBuilder.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/tokenizer-private.h"

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
