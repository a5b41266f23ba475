/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Gemma 3 conversation format (DESIGN §4). This is the only place that
 * knows it:
 *
 *   <bos><start_of_turn>user\n{system}\n\n{text}<end_of_turn>\n<start_of_turn>model\n
 *
 * There is no system role: a system text goes at the start of the first
 * user turn, followed by a blank line. An image in a turn becomes
 *
 *   \n\n<start_of_image> + n image positions + <end_of_image>\n\n
 *
 * placed before the turn's text; the image positions are
 * LB_CHAT_IMAGE_TOKEN markers in the token sequence, to be filled by the
 * projector's output. A follow-up question appends
 *
 *   <end_of_turn>\n<start_of_turn>user\n{text}<end_of_turn>\n<start_of_turn>model\n
 *
 * to the cached context (which ends with the model's reply, without its stop
 * token). Generation stops at <end_of_turn> or <eos>.
 *
 * Text from the user (system text, questions, earlier replies) is always
 * encoded with special tokens off: typing "<end_of_turn>" or
 * "<start_of_image>" gives those characters, never the tokens.
 *
 * The markers are written as text and encoded with special tokens on, in
 * the same pieces (chunks) as the reference implementation (llama.cpp with
 * its multimodal library) encodes the same prompt, so a vocabulary that
 * lacks <start_of_image> (the small test models) gives what the reference
 * gives: the marker spelled out in ordinary pieces.
 */
#pragma once

#include <glib.h>

#include "model/tokenizer.h"

G_BEGIN_DECLS

/* An image position in a token sequence. */
#define LB_CHAT_IMAGE_TOKEN (-1)

typedef enum {
  LB_CHAT_ROLE_USER,
  LB_CHAT_ROLE_MODEL,
} LbChatRole;

typedef struct {
  LbChatRole role;
  const char *text;   /* UTF-8; NULL counts as "" */
  guint n_images;     /* user turns only: images shown before the text */
} LbChatMessage;

typedef struct _LbChatFormat LbChatFormat;

/* n_image_tokens: positions per image, from the vision projector's config
 * (LbVisionConfig.n_image_tokens: 256 for MedGemma); 0 for a model used
 * without images. Errors (LB_GGUF_ERROR_MISSING): the vocabulary lacks
 * <bos>, <start_of_turn> or <end_of_turn>. The tokenizer must outlive the
 * format. */
LbChatFormat *lb_chat_format_new (const LbTokenizer *tokenizer, guint n_image_tokens, GError **error);
void lb_chat_format_free (LbChatFormat *format);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbChatFormat, lb_chat_format_free)

guint lb_chat_format_n_image_tokens (const LbChatFormat *format);
const LbTokenizer *lb_chat_format_tokenizer (const LbChatFormat *format);

/* The whole prompt for a conversation whose last message is the user's,
 * ending with "<start_of_turn>model\n" (a GArray of gint32). system may be
 * NULL or "". Messages alternate user, model, user…; a model message is
 * encoded on its own, so that prompt(…, [u1, m1, u2]) equals
 * prompt(…, [u1]) + encode(m1) + follow_up(u2). Errors: an empty
 * conversation, one that does not start and end with the user, or images
 * when n_image_tokens is 0 or in a model message (LB_GGUF_ERROR_UNSUPPORTED). */
GArray *lb_chat_format_prompt (const LbChatFormat *format, const char *system,
                               const LbChatMessage *messages, gsize n_messages, GError **error);

/* The tokens to append to a cached context that ends with the model's reply
 * to ask a follow-up question (with n_images images before its text). */
GArray *lb_chat_format_follow_up (const LbChatFormat *format, const char *text, guint n_images,
                                  GError **error);

/* `lightbox-cli generate --raw-prompt`: the text is encoded with special
 * tokens recognised and <bos> prepended, exactly as the reference does;
 * with n_image_tokens > 0 each "<start_of_image>" in it is followed by the
 * image positions and "<end_of_image>" (the text between images is encoded
 * piece by piece, as the reference's multimodal tokenizer does).
 * out_n_images (optional) gets the number of image slots made. */
GArray *lb_chat_format_raw_prompt (const LbChatFormat *format, const char *text, gssize length,
                                   guint *out_n_images);

/* Stop tokens: <end_of_turn> and <eos>. */
gboolean lb_chat_format_is_stop (const LbChatFormat *format, gint32 id);
const gint32 *lb_chat_format_stop_tokens (const LbChatFormat *format, guint *out_n);

/* MedGemma 1.5 may think aloud between <unused94> and <unused95> before its
 * answer. Splits decoded model output into the visible text and the
 * thinking trace (markers removed), appending to visible and thinking
 * (either may be NULL). For text still streaming in (complete = FALSE) an
 * unterminated trace counts as thinking, and a partial marker at the end
 * is held back from both until the rest arrives. Returns TRUE while the
 * text ends inside a trace. */
gboolean lb_chat_split_thinking (const char *text, gssize length, gboolean complete,
                                 GString *visible, GString *thinking);

G_END_DECLS
