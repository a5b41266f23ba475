/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Gemma 3 tokenizer: a SentencePiece-style vocabulary read from the text
 * GGUF (tokenizer.ggml.model = "llama"), with the exact semantics of the
 * reference implementation (llama.cpp's SPM path):
 *
 *  1. Partition: special pieces are cut out of the text first, longest piece
 *     first, leftmost occurrence first. User-defined pieces (token type 4:
 *     "\n" runs, "\t" runs, <unusedN>, HTML tags…) are always cut out;
 *     control and unknown pieces (<start_of_turn>, <bos>…) only when the
 *     caller asks for special tokens. Text typed by a user is always encoded
 *     with special tokens off, so nobody can inject a turn marker.
 *  2. Each remaining run of text: ' ' becomes U+2581 (a space prefix is added
 *     only when tokenizer.ggml.add_space_prefix says so; Gemma: no), the run
 *     is split into UTF-8 characters, and adjacent symbols are merged while
 *     their concatenation is a vocabulary piece, highest score first, ties to
 *     the left. A final symbol that is not a piece becomes <0xNN> byte tokens.
 *
 * Invalid UTF-8 input is not an error: each maximal ill-formed subsequence
 * is replaced with U+FFFD before encoding (the rule lb_tokenizer_decode()
 * uses too), so with the Gemma vocabulary decode(encode(x)) is x made
 * valid (U+2581 aside, which decodes to a space). Valid input, the only kind
 * the app produces, is encoded exactly as by the reference. (The reference
 * itself cuts invalid text by lead bytes, so a stray 0xFE swallows the
 * three bytes after it, a space included, into byte tokens; its output for
 * invalid input is not worth copying.)
 *
 * An LbTokenizer is immutable after creation and may be used from any
 * thread at once.
 */
#pragma once

#include <gio/gio.h>

#include "model/gguf.h"

G_BEGIN_DECLS

/* The numbers are the GGUF tokenizer.ggml.token_type values. */
typedef enum {
  LB_TOKEN_TYPE_UNDEFINED = 0,
  LB_TOKEN_TYPE_NORMAL = 1,
  LB_TOKEN_TYPE_UNKNOWN = 2,
  LB_TOKEN_TYPE_CONTROL = 3,
  LB_TOKEN_TYPE_USER_DEFINED = 4,
  LB_TOKEN_TYPE_UNUSED = 5,
  LB_TOKEN_TYPE_BYTE = 6,
} LbTokenType;

/* Tokens the conversation format needs, found by their text in the
 * vocabulary (BOS/EOS/unknown from the tokenizer.ggml.*_token_id keys when
 * present). A small test vocabulary may lack some: lb_tokenizer_special()
 * then answers -1. */
typedef enum {
  LB_SPECIAL_BOS,            /* <bos> */
  LB_SPECIAL_EOS,            /* <eos> */
  LB_SPECIAL_UNKNOWN,        /* <unk> */
  LB_SPECIAL_PAD,            /* <pad> */
  LB_SPECIAL_START_OF_TURN,  /* <start_of_turn> */
  LB_SPECIAL_END_OF_TURN,    /* <end_of_turn> */
  LB_SPECIAL_START_OF_IMAGE, /* <start_of_image> */
  LB_SPECIAL_END_OF_IMAGE,   /* <end_of_image> */
  LB_SPECIAL_THINKING_START, /* <unused94>: MedGemma 1.5 thinking trace */
  LB_SPECIAL_THINKING_END,   /* <unused95> */
  LB_N_SPECIALS,
} LbSpecialToken;

typedef enum {
  LB_TOKENIZE_DEFAULT = 0,
  LB_TOKENIZE_ADD_BOS = 1 << 0, /* start with <bos> */
  LB_TOKENIZE_SPECIAL = 1 << 1, /* recognise control tokens written as text */
} LbTokenizeFlags;

typedef enum {
  LB_DECODE_DEFAULT = 0,
  /* Write control and unknown tokens (<bos>, <end_of_turn>…) as their text;
   * by default they produce nothing. */
  LB_DECODE_SPECIAL = 1 << 0,
  /* Copy user-defined pieces exactly as stored, as the reference
   * implementation does (llama.cpp's token_to_piece). By default U+2581 in
   * them becomes a space, as in every other piece (what SentencePiece and
   * the Hugging Face tokenizer do). The two differ only for vocabularies
   * that store space runs as U+2581 runs (the tokenizer.json conversion
   * used by tests/reference); GGUFs made from tokenizer.model store real
   * spaces. Use this flag to compare output with the reference byte for
   * byte. */
  LB_DECODE_USER_DEFINED_VERBATIM = 1 << 1,
} LbDecodeFlags;

typedef struct _LbTokenizer LbTokenizer;

/* Reads tokenizer.ggml.{model,tokens,scores,token_type,…} and copies what
 * it needs: the LbGguf may be freed afterwards. Errors (LB_GGUF_ERROR): a
 * missing token list, a tokenizer model other than "llama" (SentencePiece),
 * arrays of different lengths, a byte token that is not "<0xNN>". */
LbTokenizer *lb_tokenizer_new_from_gguf (const LbGguf *gguf, GError **error);
void lb_tokenizer_free (LbTokenizer *tokenizer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTokenizer, lb_tokenizer_free)

guint32 lb_tokenizer_n_tokens (const LbTokenizer *tokenizer);
/* The file the vocabulary came from, for messages. */
const char *lb_tokenizer_name (const LbTokenizer *tokenizer);
/* tokenizer.ggml.add_bos_token (default TRUE). */
gboolean lb_tokenizer_adds_bos (const LbTokenizer *tokenizer);

/* -1 when the vocabulary has no such token. */
gint32 lb_tokenizer_special (const LbTokenizer *tokenizer, LbSpecialToken which);
/* The same, or an LB_GGUF_ERROR_MISSING naming the token and the file. */
gboolean lb_tokenizer_require_special (const LbTokenizer *tokenizer, LbSpecialToken which,
                                       gint32 *out_id, GError **error);
/* The text a special token is looked up by ("<start_of_turn>"). */
const char *lb_special_token_text (LbSpecialToken which);

/* The piece as stored in the vocabulary ("▁Hello", "<0x0A>", "<bos>"); not
 * NUL-safe in general, hence the length. */
const char *lb_tokenizer_piece (const LbTokenizer *tokenizer, gint32 id, gsize *out_length);
/* The id of a piece given by its exact text, or -1. */
gint32 lb_tokenizer_find (const LbTokenizer *tokenizer, const char *piece, gssize length);
float lb_tokenizer_score (const LbTokenizer *tokenizer, gint32 id);
LbTokenType lb_tokenizer_token_type (const LbTokenizer *tokenizer, gint32 id);
/* Control tokens (and <end_of_turn>, which the reference always treats as
 * one): never produced from text unless special tokens are recognised. */
gboolean lb_tokenizer_is_control (const LbTokenizer *tokenizer, gint32 id);

/* Encodes length bytes of text (-1: NUL-terminated). Returns a GArray of
 * gint32 ids. */
GArray *lb_tokenizer_encode (const LbTokenizer *tokenizer, const char *text, gssize length,
                             LbTokenizeFlags flags);
/* The same, appending to ids (a GArray of gint32). */
void lb_tokenizer_encode_append (const LbTokenizer *tokenizer, const char *text, gssize length,
                                 LbTokenizeFlags flags, GArray *ids);

/* Builds one token sequence from several parts, each with its own rule for
 * special tokens: the conversation format uses it to encode its own
 * markers with special tokens on and the user's text with them off.
 * Consecutive text parts form one run, encoded as a whole (so merges and
 * user-defined pieces see across part boundaries, exactly as if the run had
 * been one string), except that a control token is recognised only inside
 * a part added with special = TRUE. A token or a break ends the run. */
typedef struct _LbTokenBuilder LbTokenBuilder;

LbTokenBuilder *lb_token_builder_new (const LbTokenizer *tokenizer);
void lb_token_builder_free (LbTokenBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTokenBuilder, lb_token_builder_free)
void lb_token_builder_add_text (LbTokenBuilder *builder, const char *text, gssize length, gboolean special);
/* A token id, or a negative marker (such as an image position) that is
 * passed through unchanged. */
void lb_token_builder_add_token (LbTokenBuilder *builder, gint32 id);
/* Ends the current run: the next text is encoded on its own. */
void lb_token_builder_break (LbTokenBuilder *builder);
/* Number of ids so far (the current run is encoded first). */
guint lb_token_builder_length (LbTokenBuilder *builder);
/* The ids (a GArray of gint32); frees the builder. */
GArray *lb_token_builder_free_to_array (LbTokenBuilder *builder);

/* Appends the bytes of one token: U+2581 becomes a space, a byte token its
 * byte (so the result may be part of a UTF-8 sequence, or not UTF-8 at
 * all). Negative ids (markers) append nothing. */
void lb_tokenizer_append_token_bytes (const LbTokenizer *tokenizer, gint32 id, LbDecodeFlags flags,
                                      GString *out);
/* The bytes of a whole sequence, exactly (may be invalid UTF-8). */
GBytes *lb_tokenizer_decode_bytes (const LbTokenizer *tokenizer, const gint32 *ids, gsize n_ids,
                                   LbDecodeFlags flags);
/* The text of a sequence: always valid UTF-8. Bytes that do not form valid
 * UTF-8 become U+FFFD, one for each maximal ill-formed subsequence (the
 * Unicode standard's recommended practice, as in Python and WHATWG). The
 * result may contain NUL characters; out_length (optional) gives its byte
 * length. */
char *lb_tokenizer_decode (const LbTokenizer *tokenizer, const gint32 *ids, gsize n_ids,
                           LbDecodeFlags flags, gsize *out_length);

/* Appends bytes to out as valid UTF-8, with the replacement rule above.
 * With final = FALSE an incomplete sequence at the end (one that could still
 * become valid) is not consumed: the return value is the number of bytes
 * consumed. With final = TRUE everything is consumed. */
gsize lb_utf8_append_valid (GString *out, const char *bytes, gsize n_bytes, gboolean final);

/* A streaming decoder for the UI's token stream: feed tokens as they come,
 * get the text that is complete so far. It never emits half of a
 * multi-byte character, and the concatenation of everything it emits
 * (ending with lb_token_stream_finish) equals lb_tokenizer_decode() of the
 * whole sequence, however the sequence was split. Not thread-safe: one
 * thread owns a stream. The tokenizer must outlive the stream. */
typedef struct _LbTokenStream LbTokenStream;

LbTokenStream *lb_token_stream_new (const LbTokenizer *tokenizer, LbDecodeFlags flags);
void lb_token_stream_free (LbTokenStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTokenStream, lb_token_stream_free)
/* Appends to out the text completed by these tokens (possibly nothing).
 * Returns the number of bytes appended. */
gsize lb_token_stream_push (LbTokenStream *stream, const gint32 *ids, gsize n_ids, GString *out);
/* Flushes a pending incomplete character (as U+FFFD); the stream is then
 * empty and may be reused. */
gsize lb_token_stream_finish (LbTokenStream *stream, GString *out);

G_END_DECLS
