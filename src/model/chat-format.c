/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Gemma 3 conversation format; see chat-format.h.
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <string.h>

#include "model/chat-format.h"

struct _LbChatFormat {
  const LbTokenizer *tokenizer;
  guint n_image_tokens;
  gint32 bos;
  gint32 stops[2];
  guint n_stops;
};

/* The format's own text, encoded with special tokens on. */
#define TURN_USER "<start_of_turn>user\n"
#define TURN_MODEL "<start_of_turn>model\n"
#define TURN_END "<end_of_turn>\n"
#define BLANK_LINE "\n\n"
#define THINKING_START "<unused94>"
#define THINKING_END "<unused95>"

LbChatFormat *
lb_chat_format_new (const LbTokenizer *tokenizer, guint n_image_tokens, GError **error)
{
  LbChatFormat *format;
  gint32 bos, start_of_turn, end_of_turn, eos;

  g_return_val_if_fail (tokenizer != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!lb_tokenizer_require_special (tokenizer, LB_SPECIAL_BOS, &bos, error)
      || !lb_tokenizer_require_special (tokenizer, LB_SPECIAL_START_OF_TURN, &start_of_turn, error)
      || !lb_tokenizer_require_special (tokenizer, LB_SPECIAL_END_OF_TURN, &end_of_turn, error))
    return NULL;
  if (n_image_tokens > 0 && lb_tokenizer_special (tokenizer, LB_SPECIAL_START_OF_IMAGE) < 0)
    g_debug ("%s: no %s token: image markers are spelled out in ordinary pieces, as the reference does",
             lb_tokenizer_name (tokenizer), lb_special_token_text (LB_SPECIAL_START_OF_IMAGE));

  format = g_new0 (LbChatFormat, 1);
  format->tokenizer = tokenizer;
  format->n_image_tokens = n_image_tokens;
  format->bos = bos;
  format->stops[format->n_stops++] = end_of_turn;
  eos = lb_tokenizer_special (tokenizer, LB_SPECIAL_EOS);
  if (eos >= 0 && eos != end_of_turn)
    format->stops[format->n_stops++] = eos;
  return format;
}

void
lb_chat_format_free (LbChatFormat *format)
{
  g_free (format);
}

guint
lb_chat_format_n_image_tokens (const LbChatFormat *format)
{
  g_return_val_if_fail (format != NULL, 0);
  return format->n_image_tokens;
}

const LbTokenizer *
lb_chat_format_tokenizer (const LbChatFormat *format)
{
  g_return_val_if_fail (format != NULL, NULL);
  return format->tokenizer;
}

gboolean
lb_chat_format_is_stop (const LbChatFormat *format, gint32 id)
{
  g_return_val_if_fail (format != NULL, FALSE);
  for (guint i = 0; i < format->n_stops; i++)
    if (format->stops[i] == id)
      return TRUE;
  return FALSE;
}

const gint32 *
lb_chat_format_stop_tokens (const LbChatFormat *format, guint *out_n)
{
  g_return_val_if_fail (format != NULL, NULL);
  if (out_n != NULL)
    *out_n = format->n_stops;
  return format->stops;
}

/* memmem, which text with NUL bytes needs and C does not have */
static const char *
find_bytes (const char *haystack, gsize n, const char *needle)
{
  gsize needle_length = strlen (needle);
  const char *end = haystack + n;

  while ((gsize) (end - haystack) >= needle_length)
    {
      const char *first = memchr (haystack, needle[0], (gsize) (end - haystack) - needle_length + 1);
      if (first == NULL)
        return NULL;
      if (memcmp (first, needle, needle_length) == 0)
        return first;
      haystack = first + 1;
    }
  return NULL;
}

/* <start_of_image>, the positions, <end_of_image>: each marker encoded as a
 * piece of its own, as the reference's multimodal tokenizer does. */
static void
add_image_positions (const LbChatFormat *format, LbTokenBuilder *builder)
{
  lb_token_builder_break (builder);
  lb_token_builder_add_text (builder, lb_special_token_text (LB_SPECIAL_START_OF_IMAGE), -1, TRUE);
  for (guint i = 0; i < format->n_image_tokens; i++)
    lb_token_builder_add_token (builder, LB_CHAT_IMAGE_TOKEN);
  lb_token_builder_add_text (builder, lb_special_token_text (LB_SPECIAL_END_OF_IMAGE), -1, TRUE);
  lb_token_builder_break (builder);
}

static gboolean
check_images (const LbChatFormat *format, guint n_images, GError **error)
{
  if (n_images > 0 && format->n_image_tokens == 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "%s: the conversation has an image but no vision projector is loaded",
                   lb_tokenizer_name (format->tokenizer));
      return FALSE;
    }
  return TRUE;
}

/* One user turn's content, after "<start_of_turn>user\n". */
static void
add_user_content (const LbChatFormat *format, LbTokenBuilder *builder, const char *system,
                  const LbChatMessage *message)
{
  if (system != NULL && system[0] != '\0')
    {
      lb_token_builder_add_text (builder, system, -1, FALSE);
      lb_token_builder_add_text (builder, BLANK_LINE, -1, TRUE);
    }
  for (guint i = 0; i < message->n_images; i++)
    {
      lb_token_builder_add_text (builder, BLANK_LINE, -1, TRUE);
      add_image_positions (format, builder);
      lb_token_builder_add_text (builder, BLANK_LINE, -1, TRUE);
    }
  if (message->text != NULL)
    lb_token_builder_add_text (builder, message->text, -1, FALSE);
  lb_token_builder_add_text (builder, TURN_END TURN_MODEL, -1, TRUE);
}

GArray *
lb_chat_format_prompt (const LbChatFormat *format, const char *system, const LbChatMessage *messages,
                       gsize n_messages, GError **error)
{
  g_autoptr(LbTokenBuilder) builder = NULL;

  g_return_val_if_fail (format != NULL, NULL);
  g_return_val_if_fail (messages != NULL || n_messages == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_messages == 0 || n_messages % 2 == 0)
    {
      g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                   "a conversation must alternate user and model messages, starting and ending "
                   "with the user (got %" G_GSIZE_FORMAT " messages)", n_messages);
      return NULL;
    }
  for (gsize i = 0; i < n_messages; i++)
    {
      LbChatRole expected = i % 2 == 0 ? LB_CHAT_ROLE_USER : LB_CHAT_ROLE_MODEL;
      if (messages[i].role != expected)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                       "message %" G_GSIZE_FORMAT " of the conversation should be the %s's",
                       i, expected == LB_CHAT_ROLE_USER ? "user" : "model");
          return NULL;
        }
      if (expected == LB_CHAT_ROLE_MODEL && messages[i].n_images > 0)
        {
          g_set_error (error, LB_GGUF_ERROR, LB_GGUF_ERROR_UNSUPPORTED,
                       "message %" G_GSIZE_FORMAT " of the conversation is the model's and cannot hold an image", i);
          return NULL;
        }
      if (!check_images (format, messages[i].n_images, error))
        return NULL;
    }

  builder = lb_token_builder_new (format->tokenizer);
  lb_token_builder_add_token (builder, format->bos);
  lb_token_builder_add_text (builder, TURN_USER, -1, TRUE);
  add_user_content (format, builder, system, &messages[0]);
  for (gsize i = 1; i + 1 < n_messages; i += 2)
    {
      /* The model's reply, encoded on its own as if it had been generated,
       * then the next question as a follow-up would append it. */
      lb_token_builder_break (builder);
      if (messages[i].text != NULL)
        lb_token_builder_add_text (builder, messages[i].text, -1, FALSE);
      lb_token_builder_break (builder);
      lb_token_builder_add_text (builder, TURN_END TURN_USER, -1, TRUE);
      add_user_content (format, builder, NULL, &messages[i + 1]);
    }
  return lb_token_builder_free_to_array (g_steal_pointer (&builder));
}

GArray *
lb_chat_format_follow_up (const LbChatFormat *format, const char *text, guint n_images, GError **error)
{
  g_autoptr(LbTokenBuilder) builder = NULL;
  LbChatMessage message = { LB_CHAT_ROLE_USER, text, n_images };

  g_return_val_if_fail (format != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!check_images (format, n_images, error))
    return NULL;

  builder = lb_token_builder_new (format->tokenizer);
  lb_token_builder_add_text (builder, TURN_END TURN_USER, -1, TRUE);
  add_user_content (format, builder, NULL, &message);
  return lb_token_builder_free_to_array (g_steal_pointer (&builder));
}

GArray *
lb_chat_format_raw_prompt (const LbChatFormat *format, const char *text, gssize length, guint *out_n_images)
{
  g_autoptr(LbTokenBuilder) builder = NULL;
  const char *marker = lb_special_token_text (LB_SPECIAL_START_OF_IMAGE);
  gsize marker_length = strlen (marker);
  const char *position, *end;
  guint n_images = 0;

  g_return_val_if_fail (format != NULL, NULL);
  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length < 0)
    length = (gssize) strlen (text);
  position = text;
  end = text + length;

  builder = lb_token_builder_new (format->tokenizer);
  lb_token_builder_add_token (builder, format->bos);
  if (format->n_image_tokens > 0)
    {
      const char *found;
      while ((found = find_bytes (position, (gsize) (end - position), marker)) != NULL)
        {
          lb_token_builder_add_text (builder, position, found - position, TRUE);
          add_image_positions (format, builder);
          n_images++;
          position = found + marker_length;
        }
    }
  lb_token_builder_add_text (builder, position, end - position, TRUE);
  if (out_n_images != NULL)
    *out_n_images = n_images;
  return lb_token_builder_free_to_array (g_steal_pointer (&builder));
}

/* The length of the longest end of text[0, n) that is a proper beginning of
 * marker (a marker that may be completed by text still to come). */
static gsize
partial_marker_length (const char *text, gsize n, const char *marker)
{
  gsize marker_length = strlen (marker);

  for (gsize k = MIN (n, marker_length - 1); k > 0; k--)
    if (memcmp (text + n - k, marker, k) == 0)
      return k;
  return 0;
}

gboolean
lb_chat_split_thinking (const char *text, gssize length, gboolean complete, GString *visible,
                        GString *thinking)
{
  gboolean inside = FALSE;
  gsize position = 0, n;

  g_return_val_if_fail (text != NULL || length == 0, FALSE);
  n = length < 0 ? strlen (text) : (gsize) length;

  while (position < n)
    {
      const char *marker = inside ? THINKING_END : THINKING_START;
      GString *target = inside ? thinking : visible;
      const char *found = find_bytes (text + position, n - position, marker);
      gsize stop;

      if (found != NULL)
        {
          if (target != NULL)
            g_string_append_len (target, text + position, found - (text + position));
          position = (gsize) (found - text) + strlen (marker);
          inside = !inside;
          continue;
        }
      stop = n;
      if (!complete)
        stop -= partial_marker_length (text + position, n - position, marker);
      if (target != NULL)
        g_string_append_len (target, text + position, (gssize) (stop - position));
      break;
    }
  return inside;
}
