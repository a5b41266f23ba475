/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tokenizer's decoder: ids to bytes and to valid UTF-8, one-shot and
 * streaming (tokenizer.h).
 */
#define G_LOG_DOMAIN "lightbox-model"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model/tokenizer-private.h"

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
