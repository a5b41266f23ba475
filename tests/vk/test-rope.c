/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * NEOX rope from a position buffer (plain and linear-scaled, strided rows,
 * in place), stores into the F16 KV cache, linear and ring, and the fused
 * attention prologue (q/k norm + rope + both stores), against the C
 * reference. Tolerance: rope 3e-4 absolute for positions below 2000 with
 * scaling 8 or below 600 unscaled (float32 angles), KV store exact F16
 * rounding within one ulp; a roped F16 key adds the two.
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vk-test.h"
#include "model/tensor-type.h"
#include "vk/vk-ops-rope.h"
#include "vk/vk-reference.h"

static void
test_rope (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  const struct { guint32 n_tok, heads, dim, pad; float base, factor; gint32 max_pos; gboolean in_place; } cases[] = {
    { 1, 8, 256, 0, 1e6f, 8, 2000, TRUE },
    { 9, 4, 256, 0, 10000, 1, 600, FALSE },
    { 13, 3, 72, 5, 10000, 1, 600, FALSE },
    { 3, 1, 2, 0, 10000, 1, 600, TRUE },
  };

  if (ctx == NULL)
    return;
  for (gsize t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      guint32 n_tok = cases[t].n_tok, heads = cases[t].heads, dim = cases[t].dim;
      guint32 tok_stride = heads * dim + cases[t].pad;
      gsize n = (gsize) n_tok * heads * dim, n_in = (gsize) n_tok * tok_stride;
      g_autofree float *x = vk_test_random_floats (rand, n_in, -2, 2);
      g_autofree float *want = g_new (float, n), *got = NULL, *got_packed = g_new (float, n);
      g_autofree gint32 *pos = g_new (gint32, n_tok);
      g_autoptr(LbVkBuffer) bx = NULL, bp = NULL, by = NULL;
      g_autoptr(LbVkCommands) cmds = NULL;
      g_autoptr(GError) error = NULL;

      for (guint32 i = 0; i < n_tok; i++)
        pos[i] = g_rand_int_range (rand, 0, cases[t].max_pos);
      for (guint32 i = 0; i < n_tok; i++)
        memcpy (want + (gsize) i * heads * dim, x + (gsize) i * tok_stride, (gsize) heads * dim * 4);
      lb_vk_ref_rope_neox (want, n_tok, heads, dim, pos, cases[t].base, cases[t].factor);
      bx = vk_test_upload_floats (ctx, x, n_in, "k");
      bp = vk_test_upload (ctx, pos, n_tok * 4, "positions");
      cmds = vk_test_commands (ctx);
      by = cases[t].in_place ? NULL : vk_test_poisoned (ctx, cmds, n * 4, "rotated");
      lb_vk_rope (cmds, &(LbVkRope) {
          .x = lb_vk_bind (bx), .positions = lb_vk_bind (bp), .y = lb_vk_bind (by ? by : bx),
          .n_tok = n_tok, .n_heads = heads, .head_dim = dim, .x_tok_stride = tok_stride,
          .y_tok_stride = by ? 0 : tok_stride, .base = cases[t].base, .scale_factor = cases[t].factor }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      got = vk_test_download_floats (by ? by : bx, by ? n : n_in);
      for (guint32 i = 0; i < n_tok; i++)
        memcpy (got_packed + (gsize) i * heads * dim, got + (gsize) i * (by ? heads * dim : tok_stride),
                (gsize) heads * dim * 4);
      lb_test_assert_close (got_packed, want, n, 3e-4, 2e-5);
    }
}

static void
test_kv_store (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  /* Linear (capacity beyond every position) and a ring that wraps. */
  const struct { guint32 capacity, kv_heads, dim, first_pos, n_tok; } cases[] = {
    { 50, 4, 256, 3, 7 }, { 16, 2, 72, 27, 9 }, { 8, 1, 32, 5, 8 },
  };

  if (ctx == NULL)
    return;
  for (gsize t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      guint32 cap = cases[t].capacity, kvh = cases[t].kv_heads, d = cases[t].dim, n_tok = cases[t].n_tok;
      gsize n_src = (gsize) n_tok * kvh * d, n_cache = (gsize) cap * kvh * d;
      g_autofree float *src = vk_test_random_floats (rand, n_src, -3, 3);
      g_autofree gint32 *pos = g_new (gint32, n_tok), *slot_pos = NULL;
      g_autofree guint16 *cache = NULL;
      g_autoptr(LbVkBuffer) bs = NULL, bp = NULL, bc = NULL, bsp = NULL;
      g_autoptr(LbVkCommands) cmds = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree gint32 *empty = g_new (gint32, cap);

      for (guint32 i = 0; i < n_tok; i++)
        pos[i] = (gint32) (cases[t].first_pos + i);
      for (guint32 i = 0; i < cap; i++)
        empty[i] = G_MAXINT32;
      bs = vk_test_upload_floats (ctx, src, n_src, "new keys");
      bp = vk_test_upload (ctx, pos, n_tok * 4, "positions");
      bsp = vk_test_upload (ctx, empty, cap * 4, "slot positions");
      cmds = vk_test_commands (ctx);
      bc = vk_test_poisoned (ctx, cmds, n_cache * 2, "k cache");
      lb_vk_kv_store (cmds, &(LbVkKvStore) {
          .src = lb_vk_bind (bs), .positions = lb_vk_bind (bp), .cache = lb_vk_bind (bc),
          .slot_positions = lb_vk_bind (bsp), .n_tok = n_tok, .n_kv_heads = kvh, .head_dim = d,
          .capacity = cap }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);
      cache = vk_test_download (bc, n_cache * 2);
      slot_pos = vk_test_download (bsp, cap * 4);
      for (guint32 s = 0; s < cap; s++)
        {
          gint32 want = G_MAXINT32;
          for (guint32 i = 0; i < n_tok; i++)
            if ((guint32) pos[i] % cap == s)
              want = pos[i];
          g_assert_cmpint (slot_pos[s], ==, want);
          if (want == G_MAXINT32)
            continue;
          for (guint32 h = 0; h < kvh; h++)
            for (guint32 i = 0; i < d; i++)
              {
                float expected = lb_f16_to_f32 (lb_f32_to_f16 (src[((gsize) (want - pos[0]) * kvh + h) * d + i]));
                float got = lb_f16_to_f32 (cache[((gsize) h * cap + s) * d + i]);
                lb_test_assert_close (&got, &expected, 1, 6e-8, 1.0 / 1024);
              }
        }
    }
}

/* The attention prologue against its parts in C: per-head rmsnorm with
 * weight, rope, F16 rounding into ring slots. The caches and the slots
 * start poisoned, so a slot the call should not touch must stay poisoned;
 * v sits after k with a gap, as the engine's buffers have it. */
static void
test_attention_prologue (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GRand) rand = vk_test_rand ();
  /* Decode on the 4B shapes; odd head counts and grouped queries; rings
   * that wrap (positions beyond the capacity); head sizes 72 and 2; more
   * tokens than one workgroup's worth of rows, and more rows than one
   * dispatch axis holds. */
  const struct { guint32 n_tok, heads, kv_heads, dim, capacity, first_pos, v_gap; float base, factor; } cases[] = {
    { 1, 8, 4, 256, 4096, 1500, 0, 1e6f, 8 },
    { 1, 8, 4, 256, 1040, 590, 64, 10000, 1 },
    { 5, 3, 1, 72, 16, 27, 5, 10000, 1 },
    { 7, 4, 2, 32, 8, 13, 0, 10000, 1 },
    { 3, 1, 1, 2, 50, 0, 3, 10000, 1 },
    { 33, 5, 5, 64, 40, 300, 0, 500, 2 },
    { 4100, 8, 4, 2, 4200, 7, 0, 10000, 8 },
  };

  if (ctx == NULL)
    return;
  for (gsize t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      guint32 n_tok = cases[t].n_tok, H = cases[t].heads, KV = cases[t].kv_heads, D = cases[t].dim;
      guint32 cap = cases[t].capacity;
      gsize n_q = (gsize) n_tok * H * D, n_kv = (gsize) n_tok * KV * D, n_cache = (gsize) KV * cap * D;
      guint32 v_offset = (guint32) n_kv + cases[t].v_gap;
      g_autofree float *q = vk_test_random_floats (rand, n_q, -3, 3);
      g_autofree float *kv = vk_test_random_floats (rand, v_offset + n_kv, -3, 3);
      const float *k = kv, *v = kv + v_offset;
      g_autofree float *qw = vk_test_random_floats (rand, D, 0.5, 1.5);
      g_autofree float *kw = vk_test_random_floats (rand, D, 0.5, 1.5);
      g_autofree float *want_q = g_new (float, n_q), *want_k = g_new (float, n_kv), *got_q = NULL;
      g_autofree gint32 *pos = g_new (gint32, n_tok), *slot_pos = NULL;
      g_autofree guint16 *cache_k = NULL, *cache_v = NULL;
      g_autoptr(LbVkBuffer) bq = NULL, bkv = NULL, bqw = NULL, bkw = NULL, bp = NULL;
      g_autoptr(LbVkBuffer) bck = NULL, bcv = NULL, bsp = NULL;
      g_autoptr(LbVkCommands) cmds = NULL;
      g_autoptr(GError) error = NULL;
      guint32 poison = 0x7fc00000u;

      for (guint32 i = 0; i < n_tok; i++)
        pos[i] = (gint32) (cases[t].first_pos + i);
      lb_vk_ref_rmsnorm (q, qw, want_q, (gsize) n_tok * H, D, 1e-6f);
      lb_vk_ref_rope_neox (want_q, n_tok, H, D, pos, cases[t].base, cases[t].factor);
      lb_vk_ref_rmsnorm (k, kw, want_k, (gsize) n_tok * KV, D, 1e-6f);
      lb_vk_ref_rope_neox (want_k, n_tok, KV, D, pos, cases[t].base, cases[t].factor);

      bq = vk_test_upload_floats (ctx, q, n_q, "q");
      bkv = vk_test_upload_floats (ctx, kv, v_offset + n_kv, "k, v");
      bqw = vk_test_upload_floats (ctx, qw, D, "q_norm");
      bkw = vk_test_upload_floats (ctx, kw, D, "k_norm");
      bp = vk_test_upload (ctx, pos, n_tok * 4, "positions");
      cmds = vk_test_commands (ctx);
      /* F16 NaN in every half (the usual poison is a float32 NaN). */
      bck = vk_test_poisoned (ctx, cmds, (n_cache * 2 + 3) / 4 * 4, "k cache");
      bcv = vk_test_poisoned (ctx, cmds, (n_cache * 2 + 3) / 4 * 4, "v cache");
      g_assert_true (lb_vk_commands_fill (cmds, lb_vk_bind (bck), 0x7e007e00u, &error));
      g_assert_true (lb_vk_commands_fill (cmds, lb_vk_bind (bcv), 0x7e007e00u, &error));
      bsp = vk_test_poisoned (ctx, cmds, cap * 4, "slot positions");
      lb_vk_attention_prologue (cmds, &(LbVkAttentionPrologue) {
          .q = lb_vk_bind (bq), .kv = lb_vk_bind (bkv), .v_offset = v_offset,
          .q_norm = lb_vk_bind (bqw), .k_norm = lb_vk_bind (bkw), .positions = lb_vk_bind (bp),
          .cache_k = lb_vk_bind (bck), .cache_v = lb_vk_bind (bcv), .slot_positions = lb_vk_bind (bsp),
          .n_tok = n_tok, .n_heads = H, .n_kv_heads = KV, .head_dim = D, .capacity = cap,
          .eps = 1e-6f, .rope_base = cases[t].base, .rope_scale_factor = cases[t].factor }, &error);
      g_assert_no_error (error);
      vk_test_run_commands (cmds);

      got_q = vk_test_download_floats (bq, n_q);
      lb_test_assert_close (got_q, want_q, n_q, 3e-4, 2e-5);
      cache_k = vk_test_download (bck, n_cache * 2);
      cache_v = vk_test_download (bcv, n_cache * 2);
      slot_pos = vk_test_download (bsp, cap * 4);
      for (guint32 s = 0; s < cap; s++)
        {
          gint32 i = -1;

          for (guint32 j = 0; j < n_tok; j++)
            if ((guint32) pos[j] % cap == s)
              i = (gint32) j;
          if (i < 0)
            {
              /* Untouched: still the poison, in both caches. */
              g_assert_cmpuint ((guint32) slot_pos[s], ==, poison);
              for (guint32 h = 0; h < KV; h++)
                for (guint32 d = 0; d < D; d++)
                  {
                    g_assert_true (isnan (lb_f16_to_f32 (cache_k[((gsize) h * cap + s) * D + d])));
                    g_assert_true (isnan (lb_f16_to_f32 (cache_v[((gsize) h * cap + s) * D + d])));
                  }
              continue;
            }
          g_assert_cmpint (slot_pos[s], ==, pos[i]);
          for (guint32 h = 0; h < KV; h++)
            for (guint32 d = 0; d < D; d++)
              {
                gsize src = ((gsize) i * KV + h) * D + d, dst = ((gsize) h * cap + s) * D + d;
                float want_kh = lb_f16_to_f32 (lb_f32_to_f16 (want_k[src]));
                float want_vh = lb_f16_to_f32 (lb_f32_to_f16 (v[src]));
                float got_kh = lb_f16_to_f32 (cache_k[dst]), got_vh = lb_f16_to_f32 (cache_v[dst]);

                lb_test_assert_close (&got_kh, &want_kh, 1, 3e-4, 1.0 / 1024);
                lb_test_assert_close (&got_vh, &want_vh, 1, 6e-8, 1.0 / 1024);
              }
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();
  g_test_add_func ("/vk/rope/shapes", test_rope);
  g_test_add_func ("/vk/kv-store/linear-and-ring", test_kv_store);
  g_test_add_func ("/vk/attention-prologue/shapes", test_attention_prologue);
  return vk_test_run ();
}
