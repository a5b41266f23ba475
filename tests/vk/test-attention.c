/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attention against the C reference: decode and prefill, causal, sliding
 * window, a bidirectional image span, a ring cache with empty slots,
 * grouped-query heads, head sizes 256, 72, 64 and 32, more keys than shared
 * memory holds (one workgroup walking many tiles, and key splits), and the
 * attention weights over a span of key positions.
 * Tolerance: K and V are F16 in both (the reference reads the rounded
 * values); float32 softmax and sums in another order: 2e-5 absolute + 1e-4
 * relative on outputs, 2e-6 absolute on weights.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>

#include "vk-test.h"
#include "model/tensor-type.h"
#include "vk/vk-ops-attention.h"
#include "vk/vk-reference.h"

typedef enum {
  KEYS_LINEAR,    /* slot j holds position j */
  KEYS_RING,      /* positions 0..n_positions-1 stored at p % n_kv */
  KEYS_PARTIAL,   /* the first n_positions slots filled, the rest empty */
} KeyLayout;

typedef struct {
  const char *name;
  guint n_q, n_kv, n_heads, n_kv_heads, head_dim;
  gboolean causal;
  guint window;
  KeyLayout layout;
  guint n_positions;          /* ring / partial */
  LbVkSpan image;             /* bidirectional span, { 0, 0 } for none */
  gint32 span_begin;          /* captured weights */
  guint span_len;
  guint n_splits;             /* 0 = the kernel's choice */
} Case;

static const Case cases[] = {
  { "decode", 1, 77, 8, 4, 256, TRUE, 0, KEYS_LINEAR },
  { "decode-many-tiles-one-split", 1, 700, 2, 1, 256, TRUE, 0, KEYS_LINEAR, .n_splits = 1 },
  { "decode-many-tiles-five-splits", 1, 700, 4, 2, 256, TRUE, 0, KEYS_LINEAR, .n_splits = 5 },
  { "decode-window", 1, 301, 8, 4, 64, TRUE, 64, KEYS_LINEAR },
  { "prefill-causal", 37, 61, 4, 2, 256, TRUE, 0, KEYS_LINEAR },
  { "prefill-window", 45, 45, 4, 1, 32, TRUE, 16, KEYS_LINEAR },
  /* Image [10, 26) with a window smaller than it: later image keys stay
   * visible, earlier ones fall out of the window. */
  { "prefill-image-span", 40, 40, 4, 1, 64, TRUE, 8, KEYS_LINEAR, .image = { 10, 26 } },
  { "vision-bidirectional", 53, 53, 4, 4, 72, FALSE, 0, KEYS_LINEAR },
  { "ring", 3, 24, 4, 2, 32, TRUE, 24, KEYS_RING, .n_positions = 50 },
  { "empty-slots", 5, 64, 2, 2, 64, TRUE, 0, KEYS_PARTIAL, .n_positions = 30 },
  { "weights-decode", 1, 97, 8, 4, 64, TRUE, 0, KEYS_LINEAR, .span_begin = 5, .span_len = 20 },
  /* Six splits of 32 keys over 100: the last two are empty. */
  { "decode-empty-splits", 1, 100, 4, 2, 64, TRUE, 0, KEYS_LINEAR, .span_begin = 0, .span_len = 100,
    .n_splits = 6 },
  { "weights-decode-split", 1, 330, 4, 2, 32, TRUE, 0, KEYS_LINEAR, .span_begin = 100, .span_len = 64,
    .n_splits = 3 },
  { "weights-prefill-image", 12, 40, 4, 2, 64, TRUE, 0, KEYS_LINEAR, .image = { 20, 36 }, .span_begin = 20,
    .span_len = 16 },
};

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = NULL;
  gsize d = c->head_dim, n_q = c->n_q, n_kv = c->n_kv;
  gsize n_qf = n_q * c->n_heads * d, n_kvf = n_kv * c->n_kv_heads * d;
  g_autofree float *q = NULL, *k = NULL, *v = NULL, *want = NULL, *got = NULL;
  g_autofree float *want_w = NULL, *got_w = NULL;
  g_autofree guint16 *k16 = NULL, *v16 = NULL;
  g_autofree gint32 *key_pos = NULL, *q_pos = NULL, *q_info = NULL;
  g_autoptr(LbVkBuffer) bq = NULL, bk = NULL, bv = NULL, bkp = NULL, bqi = NULL, bo = NULL, bw = NULL, bs = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;
  float scale = 1.0f / sqrtf ((float) d);
  LbVkAttention op;
  guint64 scratch;
  gsize n_w = n_q * c->n_heads * c->span_len;

  if (ctx == NULL)
    return;
  rand = vk_test_rand ();
  q = vk_test_random_floats (rand, n_qf, -2, 2);
  k = vk_test_random_floats (rand, n_kvf, -2, 2);
  v = vk_test_random_floats (rand, n_kvf, -2, 2);
  k16 = g_new (guint16, n_kvf);
  v16 = g_new (guint16, n_kvf);
  /* The cache is head-major [kv head][slot][d]; the reference wants
   * [slot][kv head][d] of the F16-rounded values. */
  for (gsize j = 0; j < n_kv; j++)
    for (gsize g = 0; g < c->n_kv_heads; g++)
      for (gsize i = 0; i < d; i++)
        {
          gsize ref = (j * c->n_kv_heads + g) * d + i, gpu = (g * n_kv + j) * d + i;
          k16[gpu] = lb_f32_to_f16 (k[ref]);
          v16[gpu] = lb_f32_to_f16 (v[ref]);
          k[ref] = lb_f16_to_f32 (k16[gpu]);
          v[ref] = lb_f16_to_f32 (v16[gpu]);
        }

  key_pos = g_new (gint32, n_kv);
  for (gsize j = 0; j < n_kv; j++)
    key_pos[j] = c->layout == KEYS_PARTIAL ? (j < c->n_positions ? (gint32) j : G_MAXINT32) : (gint32) j;
  if (c->layout == KEYS_RING)
    for (guint p = 0; p < c->n_positions; p++)
      key_pos[p % n_kv] = (gint32) p;
  /* The queries are the last positions present. */
  q_pos = g_new (gint32, n_q);
  q_info = g_new (gint32, 2 * n_q);
  {
    gint32 last = c->layout == KEYS_LINEAR ? (gint32) n_kv - 1 : (gint32) c->n_positions - 1;
    for (gsize i = 0; i < n_q; i++)
      q_pos[i] = last - (gint32) (n_q - 1 - i);
  }
  lb_vk_attention_query_info (q_pos, n_q, &c->image, c->image.end > c->image.begin ? 1 : 0, q_info);

  want = g_new (float, n_qf);
  want_w = g_new0 (float, MAX (n_w, 1));
  lb_vk_ref_attention (&(LbVkRefAttention) {
      .q = q, .k = k, .v = v, .key_positions = key_pos, .query_info = q_info, .out = want,
      .weights = c->span_len ? want_w : NULL, .n_q = n_q, .n_kv = n_kv, .n_heads = c->n_heads,
      .n_kv_heads = c->n_kv_heads, .head_dim = d, .scale = scale, .causal = c->causal, .window = c->window,
      .span_begin = c->span_begin, .span_len = c->span_len });

  bq = vk_test_upload_floats (ctx, q, n_qf, "q");
  bk = vk_test_upload (ctx, k16, n_kvf * 2, "k cache");
  bv = vk_test_upload (ctx, v16, n_kvf * 2, "v cache");
  bkp = vk_test_upload (ctx, key_pos, n_kv * 4, "key positions");
  bqi = vk_test_upload (ctx, q_info, n_q * 8, "query info");
  cmds = vk_test_commands (ctx);
  bo = vk_test_poisoned (ctx, cmds, n_qf * 4, "attention out");
  bw = vk_test_poisoned (ctx, cmds, MAX (n_w, 1) * 4, "weights");
  op = (LbVkAttention) {
    .q = lb_vk_bind (bq), .k = lb_vk_bind (bk), .v = lb_vk_bind (bv), .key_positions = lb_vk_bind (bkp),
    .query_info = lb_vk_bind (bqi), .out = lb_vk_bind (bo),
    .weights = c->span_len ? lb_vk_bind (bw) : (LbVkBinding) { 0 },
    .n_q = c->n_q, .n_kv = c->n_kv, .n_heads = c->n_heads, .n_kv_heads = c->n_kv_heads, .head_dim = c->head_dim,
    .scale = scale, .causal = c->causal, .window = c->window, .span_begin = c->span_begin,
    .span_len = c->span_len, .n_splits = c->n_splits,
  };
  scratch = lb_vk_attention_scratch_bytes (ctx, &op);
  if (c->n_splits > 1)
    g_assert_cmpuint (scratch, >, 0);
  if (c->n_splits == 1)
    g_assert_cmpuint (scratch, ==, 0);
  if (scratch > 0)
    {
      bs = vk_test_poisoned (ctx, cmds, scratch, "attention scratch");
      op.scratch = lb_vk_bind (bs);
    }
  lb_vk_attention (cmds, &op, &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);
  got = vk_test_download_floats (bo, n_qf);
  lb_test_assert_close (got, want, n_qf, 2e-5, 1e-4);
  if (c->span_len > 0)
    {
      got_w = vk_test_download_floats (bw, n_w);
      lb_test_assert_close (got_w, want_w, n_w, 2e-6, 1e-4);
    }
}

/* Too little scratch for the splits is an error, not a crash. */
static void
test_scratch_missing (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkBuffer) b = NULL;
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(GError) error = NULL;

  if (ctx == NULL)
    return;
  b = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 1 << 20, "anything", &error);
  g_assert_no_error (error);
  cmds = vk_test_commands (ctx);
  g_assert_false (lb_vk_attention (cmds, &(LbVkAttention) {
      .q = lb_vk_bind (b), .k = lb_vk_bind (b), .v = lb_vk_bind (b), .out = lb_vk_bind (b),
      .n_q = 1, .n_kv = 1000, .n_heads = 2, .n_kv_heads = 1, .head_dim = 64, .scale = 1, .n_splits = 4 },
    &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (lb_vk_attention (cmds, &(LbVkAttention) {
      .q = lb_vk_bind (b), .k = lb_vk_bind (b), .v = lb_vk_bind (b), .out = lb_vk_bind (b),
      .n_q = 1, .n_kv = 10, .n_heads = 2, .n_kv_heads = 1, .head_dim = 36, .scale = 1 }, &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
}

/* One scratch sized for the largest batch and cache serves every smaller
 * call (the engine sizes it once). */
static void
test_scratch_serves_smaller (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = NULL;
  LbVkAttention big = { .n_q = 64, .n_kv = 4096, .n_heads = 8, .n_kv_heads = 4, .head_dim = 256, .causal = TRUE };
  guint64 most;

  if (ctx == NULL)
    return;
  rand = vk_test_rand ();
  most = lb_vk_attention_scratch_bytes (ctx, &big);
  g_assert_cmpuint (most, >, 0);
  for (guint i = 0; i < 300; i++)
    {
      LbVkAttention small = big;

      small.n_q = g_rand_int_range (rand, 1, 65);
      small.n_kv = g_rand_int_range (rand, 1, 4097);
      g_assert_cmpuint (lb_vk_attention_scratch_bytes (ctx, &small), <=, most);
    }
}

static void
test_query_info (void)
{
  const gint32 positions[] = { 0, 9, 10, 17, 25, 26, 30 };
  const LbVkSpan spans[] = { { 10, 26 }, { 28, 31 } };
  const gint32 want[] = { 0, 1, 9, 10, 10, 26, 17, 26, 25, 26, 26, 27, 30, 31 };
  gint32 got[G_N_ELEMENTS (want)];

  lb_vk_attention_query_info (positions, G_N_ELEMENTS (positions), spans, G_N_ELEMENTS (spans), got);
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpint (got[i], ==, want[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/vk/attention/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], run_case);
    }
  g_test_add_func ("/vk/attention/scratch-missing", test_scratch_missing);
  g_test_add_func ("/vk/attention/query-info", test_query_info);
  g_test_add_func ("/vk/attention/scratch-serves-smaller", test_scratch_serves_smaller);
  return vk_test_run ();
}
