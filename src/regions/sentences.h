/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sentences of an answer, as byte ranges of its text: what a box links to,
 * what a per-sentence attention or occlusion map covers, what the report
 * view highlights.
 *
 * A sentence ends at '.', '!' or '?' followed by white space (or the end,
 * possibly after closing quotes or brackets), and at every line break
 * (reports are lists and headings as much as prose). "3.5 cm" does not end
 * a sentence; "e.g. the" does (harmless: a shorter sentence). Fenced blocks
 * (``` … ```), bare JSON lists of objects ("[{…}]") and bare box objects
 * ({"box_2d" …}) are not sentences: they are where the model writes its
 * boxes. Ranges are trimmed of white space; a range without a letter or
 * digit is dropped.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gsize start;   /* byte offsets into the text: [start, end) */
  gsize end;
} LbTextSpan;

/* The sentences of text (length -1: NUL-terminated), in order: a GArray
 * of LbTextSpan. */
GArray *lb_sentences_split (const char *text, gssize length);

/* The index of the sentence containing byte offset, or -1. */
int lb_sentences_find (const GArray *sentences, gsize offset);

/* The tokens that produced the bytes [start, end) of a streamed text, with
 * text_ends[i] = bytes produced up to and including token i (LbTokenBatch):
 * from the first token that ends after start to the first that ends at or
 * after end, so tokens that completed no character of their own (part of
 * a UTF-8 sequence) are included with the one that completed it. FALSE
 * when no token produced those bytes. */
gboolean lb_sentences_token_range (const gsize *text_ends, guint n_tokens, gsize start, gsize end,
                                   guint *out_first, guint *out_n);

G_END_DECLS
