/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lightbox-cli bench-kernels [--json] [--repeats N] [--filter TEXT] [--decode-only] [--no-weights]
 *
 * Times every Vulkan kernel on the MedGemma 4B shapes (E 2560, 8 heads of
 * 256 over 4 kv heads, FFN 10240, vocabulary 262144; SigLIP 4096 patches of
 * 1152, 16 heads of 72) and reports per kernel and shape the median GPU
 * time of the timed runs (after one warm-up), the bytes moved per second
 * and, where it means something, GFLOP/s. The weight kernels' rows come
 * from vk-matmul-bench.h.
 *
 * Adding a row: one line in `cases` below (kernel, shape label, record
 * function, shape numbers). A record function allocates its inputs with
 * bench_floats/bench_buffer, records its kernel once into b->cmds and sets
 * b->bytes (and b->flops) for one run.
 *
 * JSON (--json): {"device": NAME, "driver": TEXT, "rows": [{"kernel",
 * "shape", "median_ms", "gb_per_s", "gflop_per_s", "skipped"}]}; skipped is
 * null or why the row did not run.
 */
#define G_LOG_DOMAIN "lightbox-cli"

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vk/vk-commands.h"
#include "vk/vk-matmul-bench.h"
#include "vk/vk-ops-attention.h"
#include "vk/vk-ops-elementwise.h"
#include "vk/vk-ops-rope.h"
#include "vk/vk-ops-rows.h"
#include "vk/vk-ops-sample.h"
#include "vk/vk-ops-vision.h"

static gboolean opt_json;
static int opt_repeats = 10;
static char *opt_filter;
static gboolean opt_decode_only;
static gboolean opt_no_weights;

static const GOptionEntry entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL },
  { "repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats, "Timed runs per shape (default 10)", "N" },
  { "filter", 'f', 0, G_OPTION_ARG_STRING, &opt_filter, "Only kernels whose name contains TEXT", "TEXT" },
  { "decode-only", 0, 0, G_OPTION_ARG_NONE, &opt_decode_only, "Only the shapes of one decode step", NULL },
  { "no-weights", 0, 0, G_OPTION_ARG_NONE, &opt_no_weights, "Skip the weight kernels (matrix products, row lookup)", NULL },
  { NULL },
};

/* A CPU device (lavapipe) would take minutes on the largest shapes. */
#define CPU_FLOP_BUDGET 2e9

typedef struct {
  LbVkContext *ctx;
  LbVkCommands *cmds;
  GRand *rand;
  GPtrArray *buffers;       /* LbVkBuffer *, freed after the row */
  double bytes, flops;      /* per run, set by the record function */
} Bench;

typedef gboolean (*BenchRecord) (Bench *b, const guint32 *s, GError **error);

typedef struct {
  const char *kernel;
  const char *shape;
  BenchRecord record;
  guint32 s[8];
  gboolean decode;          /* part of one decode step */
} BenchCase;

typedef struct {
  char *kernel, *shape;
  double median_ms, gb_per_s, gflop_per_s;
  char *skipped;
} Row;

static LbVkBuffer *
bench_buffer (Bench *b, gsize bytes, GError **error)
{
  LbVkBuffer *buffer = lb_vk_buffer_new (b->ctx, LB_VK_MEMORY_DEVICE, MAX (bytes, 16), "bench buffer", error);

  if (buffer != NULL)
    g_ptr_array_add (b->buffers, buffer);
  return buffer;
}

/* Random floats in [lo, hi), or int32 positions 0..n-1 with lo = hi = 0. */
static LbVkBuffer *
bench_floats (Bench *b, gsize n, float lo, float hi, GError **error)
{
  LbVkBuffer *buffer = bench_buffer (b, n * 4, error);
  g_autofree float *values = g_new (float, MAX (n, 1));

  if (buffer == NULL)
    return NULL;
  for (gsize i = 0; i < n; i++)
    values[i] = (float) g_rand_double_range (b->rand, lo, hi);
  return lb_vk_buffer_write (buffer, 0, values, n * 4, error) ? buffer : NULL;
}

static LbVkBuffer *
bench_ints (Bench *b, const gint32 *values, gsize n, GError **error)
{
  LbVkBuffer *buffer = bench_buffer (b, n * 4, error);

  return buffer != NULL && lb_vk_buffer_write (buffer, 0, values, n * 4, error) ? buffer : NULL;
}

/* Positions 0..n-1 and causal query info for the last n_q of them. */
static LbVkBuffer *
bench_positions (Bench *b, gsize n, GError **error)
{
  g_autofree gint32 *pos = g_new (gint32, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    pos[i] = (gint32) i;
  return bench_ints (b, pos, n, error);
}

/* s: rows, cols */
static gboolean
record_rmsnorm (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *w = x ? bench_floats (b, s[1], 0, 2, error) : NULL;
  LbVkBuffer *y = w ? bench_buffer (b, n * 4, error) : NULL;

  b->bytes = n * 8.0 + s[1] * 4.0;
  return y != NULL
         && lb_vk_rmsnorm (b->cmds, &(LbVkRmsNorm) { .x = lb_vk_bind (x), .weight = lb_vk_bind (w),
                                                     .y = lb_vk_bind (y), .n_rows = s[0], .n_cols = s[1],
                                                     .eps = 1e-6f }, error);
}

/* s: tokens, heads, kv heads, head_dim, capacity: the q/k norms fused with
 * rope and the K/V cache stores (the attention prologue). */
static gboolean
record_attention_prologue (Bench *b, const guint32 *s, GError **error)
{
  gsize n_q = (gsize) s[0] * s[1] * s[3], n_kv = (gsize) s[0] * s[2] * s[3], n_cache = (gsize) s[2] * s[4] * s[3];
  LbVkBuffer *q = bench_floats (b, n_q, -1, 1, error), *kv = q ? bench_floats (b, 2 * n_kv, -1, 1, error) : NULL;
  LbVkBuffer *w = kv ? bench_floats (b, s[3], 0, 2, error) : NULL;
  LbVkBuffer *pos = w ? bench_positions (b, s[0], error) : NULL;
  LbVkBuffer *cache_k = pos ? bench_buffer (b, n_cache * 2, error) : NULL;
  LbVkBuffer *cache_v = cache_k ? bench_buffer (b, n_cache * 2, error) : NULL;
  LbVkBuffer *slots = cache_v ? bench_buffer (b, (gsize) s[4] * 4, error) : NULL;

  b->bytes = n_q * 8.0 + n_kv * 8.0 + n_kv * 4.0;
  return slots != NULL
         && lb_vk_attention_prologue (b->cmds, &(LbVkAttentionPrologue) {
              .q = lb_vk_bind (q), .kv = lb_vk_bind (kv), .v_offset = (guint32) n_kv, .q_norm = lb_vk_bind (w),
              .k_norm = lb_vk_bind (w), .positions = lb_vk_bind (pos), .cache_k = lb_vk_bind (cache_k),
              .cache_v = lb_vk_bind (cache_v), .slot_positions = lb_vk_bind (slots), .n_tok = s[0],
              .n_heads = s[1], .n_kv_heads = s[2], .head_dim = s[3], .capacity = s[4], .eps = 1e-6f,
              .rope_base = 1e6f, .rope_scale_factor = 8 }, error);
}

static gboolean
record_add_rmsnorm (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  LbVkBuffer *a = bench_floats (b, n, -1, 1, error), *x = a ? bench_floats (b, n, -1, 1, error) : NULL;
  LbVkBuffer *w = x ? bench_floats (b, s[1], 0, 2, error) : NULL, *h = w ? bench_buffer (b, n * 4, error) : NULL;

  b->bytes = n * 16.0;
  return h != NULL
         && lb_vk_add_rmsnorm (b->cmds, &(LbVkAddRmsNorm) {
              .a = lb_vk_bind (a), .w_post = lb_vk_bind (w), .x = lb_vk_bind (x), .w_next = lb_vk_bind (w),
              .h = lb_vk_bind (h), .n_rows = s[0], .n_cols = s[1], .eps = 1e-6f }, error);
}

static gboolean
record_layernorm (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *w = x ? bench_floats (b, s[1], 0, 2, error) : NULL;
  LbVkBuffer *y = w ? bench_buffer (b, n * 4, error) : NULL;

  b->bytes = n * 8.0;
  return y != NULL
         && lb_vk_layernorm (b->cmds, &(LbVkLayerNorm) { .x = lb_vk_bind (x), .weight = lb_vk_bind (w),
                                                         .bias = lb_vk_bind (w), .y = lb_vk_bind (y),
                                                         .n_rows = s[0], .n_cols = s[1], .eps = 1e-6f }, error);
}

static gboolean
record_softmax (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  LbVkBuffer *x = bench_floats (b, n, -10, 10, error), *y = x ? bench_buffer (b, n * 4, error) : NULL;

  b->bytes = n * 8.0;
  return y != NULL
         && lb_vk_softmax (b->cmds, &(LbVkSoftmax) { .x = lb_vk_bind (x), .y = lb_vk_bind (y), .n_rows = s[0],
                                                     .n_cols = s[1] }, error);
}

/* s: rows, cols, op */
static gboolean
record_elementwise (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  gboolean binary = s[2] != LB_VK_SCALE && s[2] != LB_VK_GELU;
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *y = x ? bench_floats (b, n, -1, 1, error) : NULL;

  b->bytes = n * (binary ? 12.0 : 8.0);
  return y != NULL
         && lb_vk_elementwise (b->cmds, &(LbVkElementwise) { .op = s[2], .a = lb_vk_bind (x), .b = lb_vk_bind (y),
                                                             .y = lb_vk_bind (y), .n_rows = s[0], .n_cols = s[1],
                                                             .scale = 0.5f }, error);
}

static gboolean
record_convert (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *y = x ? bench_buffer (b, n * 2, error) : NULL;

  b->bytes = n * 6.0;
  return y != NULL
         && lb_vk_convert_f32_to_f16 (b->cmds, &(LbVkConvert) { .src = lb_vk_bind (x), .dst = lb_vk_bind (y),
                                                                .n_rows = s[0], .n_cols = s[1] }, error);
}

/* s: tokens, heads, head_dim */
static gboolean
record_rope (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1] * s[2];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *pos = x ? bench_positions (b, s[0], error) : NULL;

  b->bytes = n * 8.0;
  return pos != NULL
         && lb_vk_rope (b->cmds, &(LbVkRope) { .x = lb_vk_bind (x), .positions = lb_vk_bind (pos),
                                               .y = lb_vk_bind (x), .n_tok = s[0], .n_heads = s[1],
                                               .head_dim = s[2], .base = 1e6f, .scale_factor = 8 }, error);
}

/* s: tokens, kv heads, head_dim, capacity */
static gboolean
record_kv_store (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[1] * s[2];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *pos = x ? bench_positions (b, s[0], error) : NULL;
  LbVkBuffer *cache = pos ? bench_buffer (b, (gsize) s[3] * s[1] * s[2] * 2, error) : NULL;
  LbVkBuffer *slots = cache ? bench_buffer (b, (gsize) s[3] * 4, error) : NULL;

  b->bytes = n * 6.0;
  return slots != NULL
         && lb_vk_kv_store (b->cmds, &(LbVkKvStore) {
              .src = lb_vk_bind (x), .positions = lb_vk_bind (pos), .cache = lb_vk_bind (cache),
              .slot_positions = lb_vk_bind (slots), .n_tok = s[0], .n_kv_heads = s[1], .head_dim = s[2],
              .capacity = s[3] }, error);
}

/* s: queries, keys, heads, kv heads, head_dim, causal */
static gboolean
record_attention (Bench *b, const guint32 *s, GError **error)
{
  guint32 n_q = s[0], n_kv = s[1], h = s[2], kvh = s[3], d = s[4];
  gsize n_qf = (gsize) n_q * h * d, n_kvf = (gsize) n_kv * kvh * d;
  g_autofree guint16 *kv16 = g_new (guint16, n_kvf);
  g_autofree gint32 *info = g_new (gint32, 2 * n_q), *qpos = g_new (gint32, n_q);
  LbVkBuffer *q, *k, *v, *kpos, *qinfo, *out, *scratch = NULL;
  LbVkAttention op;
  guint64 scratch_bytes;

  for (gsize i = 0; i < n_kvf; i++)
    kv16[i] = (guint16) (0x3000 + g_rand_int_range (b->rand, 0, 0x0800)); /* halves in [0.125, 0.25) */
  for (guint32 i = 0; i < n_q; i++)
    qpos[i] = (gint32) (n_kv - n_q + i);
  lb_vk_attention_query_info (qpos, n_q, NULL, 0, info);
  if ((q = bench_floats (b, n_qf, -1, 1, error)) == NULL
      || (k = bench_buffer (b, n_kvf * 2, error)) == NULL || !lb_vk_buffer_write (k, 0, kv16, n_kvf * 2, error)
      || (v = bench_buffer (b, n_kvf * 2, error)) == NULL || !lb_vk_buffer_write (v, 0, kv16, n_kvf * 2, error)
      || (kpos = bench_positions (b, n_kv, error)) == NULL || (qinfo = bench_ints (b, info, 2 * n_q, error)) == NULL
      || (out = bench_buffer (b, n_qf * 4, error)) == NULL)
    return FALSE;
  op = (LbVkAttention) {
    .q = lb_vk_bind (q), .k = lb_vk_bind (k), .v = lb_vk_bind (v), .key_positions = lb_vk_bind (kpos),
    .query_info = lb_vk_bind (qinfo), .out = lb_vk_bind (out), .n_q = n_q, .n_kv = n_kv, .n_heads = h,
    .n_kv_heads = kvh, .head_dim = d, .scale = 1.0f / sqrtf ((float) d), .causal = s[5] != 0,
  };
  scratch_bytes = lb_vk_attention_scratch_bytes (b->ctx, &op);
  if (scratch_bytes > 0)
    {
      if ((scratch = bench_buffer (b, scratch_bytes, error)) == NULL)
        return FALSE;
      op.scratch = lb_vk_bind (scratch);
    }
  b->bytes = n_qf * 8.0 + n_kvf * 4.0;
  /* Causal prefill does about half the products. */
  b->flops = 4.0 * n_q * n_kv * h * d * (s[5] && n_q > 1 ? 0.5 : 1.0);
  return lb_vk_attention (b->cmds, &op, error);
}

/* s: n, k */
static gboolean
record_top_k (Bench *b, const guint32 *s, GError **error)
{
  LbVkBuffer *x = bench_floats (b, s[0], -20, 20, error);
  LbVkBuffer *idx = x ? bench_buffer (b, s[1] * 4, error) : NULL;
  LbVkBuffer *scratch = idx ? bench_buffer (b, lb_vk_top_k_scratch_bytes (s[0], s[1]), error) : NULL;

  b->bytes = s[0] * 4.0;
  return scratch != NULL
         && lb_vk_top_k (b->cmds, &(LbVkTopK) { .values = lb_vk_bind (x), .out_indices = lb_vk_bind (idx),
                                                .scratch = lb_vk_bind (scratch), .n = s[0], .k = s[1] }, error);
}

/* s: grid, channels, k */
static gboolean
record_avg_pool (Bench *b, const guint32 *s, GError **error)
{
  gsize n = (gsize) s[0] * s[0] * s[1];
  LbVkBuffer *x = bench_floats (b, n, -1, 1, error), *y = x ? bench_buffer (b, n / (s[2] * s[2]) * 4, error) : NULL;

  b->bytes = n * 4.0 * (1.0 + 1.0 / (s[2] * s[2]));
  return y != NULL
         && lb_vk_avg_pool (b->cmds, &(LbVkAvgPool) { .in = lb_vk_bind (x), .out = lb_vk_bind (y), .grid_w = s[0],
                                                      .grid_h = s[0], .channels = s[1], .k = s[2] }, error);
}

/* s: image size, patch, outputs (F16 weights) */
static gboolean
record_patch_embed (Bench *b, const guint32 *s, GError **error)
{
  gsize n_img = 3ull * s[0] * s[0], kdim = 3ull * s[1] * s[1], n_w = kdim * s[2];
  gsize n_patches = (gsize) (s[0] / s[1]) * (s[0] / s[1]);
  LbVkBuffer *img = bench_floats (b, n_img, -1, 1, error);
  LbVkBuffer *w = img ? bench_buffer (b, n_w * 2, error) : NULL;
  LbVkBuffer *bias = w ? bench_floats (b, s[2], -1, 1, error) : NULL;
  LbVkBuffer *y = bias ? bench_buffer (b, n_patches * s[2] * 4, error) : NULL;
  LbVkCommands *cmds = b->cmds;

  b->bytes = n_img * 4.0 + n_w * 2.0 + n_patches * s[2] * 4.0;
  b->flops = 2.0 * n_patches * kdim * s[2];
  return y != NULL && lb_vk_commands_fill (cmds, lb_vk_bind (w), 0x2e662e66u, error)
         && lb_vk_patch_embed (cmds, &(LbVkPatchEmbed) {
              .image = lb_vk_bind (img), .weight = lb_vk_bind (w), .bias = lb_vk_bind (bias), .out = lb_vk_bind (y),
              .channels = 3, .height = s[0], .width = s[0], .patch = s[1], .n_out = s[2], .weight_f16 = TRUE },
            error);
}

/* MedGemma 4B: E 2560, H 8, KV 4, D 256, FFN 10240, vocabulary 262144;
 * SigLIP: 896 px, patches of 14 → 64×64 = 4096 tokens of 1152, 16 heads of
 * 72, FFN 4304, pooled 4×4 to 256. */
static const BenchCase cases[] = {
  { "rmsnorm", "1x2560", record_rmsnorm, { 1, 2560 }, TRUE },
  { "rmsnorm", "512x2560", record_rmsnorm, { 512, 2560 } },
  { "rmsnorm+rope+kv_store", "1x(8+4+4)x256 of 4096", record_attention_prologue, { 1, 8, 4, 256, 4096 }, TRUE },
  { "rmsnorm+rope+kv_store", "512x(8+4+4)x256 of 4096", record_attention_prologue, { 512, 8, 4, 256, 4096 } },
  { "add_rmsnorm", "1x2560", record_add_rmsnorm, { 1, 2560 }, TRUE },
  { "add_rmsnorm", "512x2560", record_add_rmsnorm, { 512, 2560 } },
  { "layernorm", "4096x1152", record_layernorm, { 4096, 1152 } },
  { "softmax", "1x262144", record_softmax, { 1, 262144 }, TRUE },
  { "gelu_mul", "1x10240", record_elementwise, { 1, 10240, LB_VK_GELU_MUL }, TRUE },
  { "gelu_mul", "512x10240", record_elementwise, { 512, 10240, LB_VK_GELU_MUL } },
  { "gelu", "4096x4304", record_elementwise, { 4096, 4304, LB_VK_GELU } },
  { "add", "4096x1152", record_elementwise, { 4096, 1152, LB_VK_ADD } },
  { "scale", "1x2560", record_elementwise, { 1, 2560, LB_VK_SCALE }, TRUE },
  { "convert_f32_f16", "512x1024", record_convert, { 512, 1024 } },
  { "rope", "512x8x256", record_rope, { 512, 8, 256 } },
  { "kv_store", "1x4x256 of 4096", record_kv_store, { 1, 4, 256, 4096 } },
  { "kv_store", "512x4x256 of 4096", record_kv_store, { 512, 4, 256, 4096 } },
  { "attention", "decode 1 of 1024, 8/4x256", record_attention, { 1, 1024, 8, 4, 256, 1 }, TRUE },
  { "attention", "decode 1 of 4096, 8/4x256", record_attention, { 1, 4096, 8, 4, 256, 1 }, TRUE },
  { "attention", "prefill 512 of 512, 8/4x256", record_attention, { 512, 512, 8, 4, 256, 1 } },
  { "attention", "vision 4096 of 4096, 16x72", record_attention, { 4096, 4096, 16, 16, 72, 0 } },
  { "argmax", "262144", record_top_k, { 262144, 1 }, TRUE },
  { "top_k", "8 of 262144", record_top_k, { 262144, 8 }, TRUE },
  { "top_k", "64 of 262144", record_top_k, { 262144, 64 }, TRUE },
  { "top_k", "256 of 262144", record_top_k, { 262144, 256 }, TRUE },
  { "avg_pool", "64x64x1152 by 4", record_avg_pool, { 64, 1152, 4 } },
  { "patch_embed", "896 px by 14 to 1152, F16", record_patch_embed, { 896, 14, 1152 } },
};

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Submits the recording once to warm up, then `repeats` times; the median
 * of the GPU times (wall time where the queue has no timestamps). */
static gboolean
time_recording (LbVkCommands *cmds, gboolean timestamps, guint repeats, double *out_ms, GError **error)
{
  g_autofree double *times = g_new (double, repeats);

  if (!lb_vk_commands_submit (cmds, error) || !lb_vk_commands_wait (cmds, error))
    return FALSE;
  for (guint i = 0; i < repeats; i++)
    {
      gint64 start = g_get_monotonic_time ();

      if (!lb_vk_commands_submit (cmds, error) || !lb_vk_commands_wait (cmds, error))
        return FALSE;
      times[i] = timestamps ? lb_vk_commands_gpu_ms (cmds) : (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (times, repeats, sizeof (double), compare_doubles);
  *out_ms = repeats % 2 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
  return TRUE;
}

static gboolean
run_case (LbVkContext *ctx, const BenchCase *c, guint repeats, Row *row, GError **error)
{
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_vk_buffer_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(LbVkCommands) cmds = NULL;
  Bench b = { .ctx = ctx, .rand = rand, .buffers = buffers };
  double ms;

  row->kernel = g_strdup (c->kernel);
  row->shape = g_strdup (c->shape);
  cmds = lb_vk_commands_new (ctx, error);
  if (cmds == NULL || !lb_vk_commands_begin (cmds, error))
    return FALSE;
  b.cmds = cmds;
  if (!c->record (&b, c->s, error))
    return FALSE;
  if (ctx->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && b.flops > CPU_FLOP_BUDGET)
    {
      row->skipped = g_strdup ("too slow on a CPU device");
      return lb_vk_commands_end (cmds, error);
    }
  if (!lb_vk_commands_end (cmds, error)
      || !time_recording (cmds, ctx->info.timestamp_valid_bits > 0, repeats, &ms, error))
    return FALSE;
  row->median_ms = ms;
  row->gb_per_s = ms > 0 ? b.bytes / (ms * 1e6) : 0;
  row->gflop_per_s = ms > 0 && b.flops > 0 ? b.flops / (ms * 1e6) : 0;
  return TRUE;
}

static void
row_clear (Row *row)
{
  g_free (row->kernel);
  g_free (row->shape);
  g_free (row->skipped);
}

static gboolean
matches_filter (const char *kernel)
{
  return opt_filter == NULL || strstr (kernel, opt_filter) != NULL;
}

static gboolean
add_matmul_rows (LbVkContext *ctx, guint repeats, GArray *rows, GError **error)
{
  static const char *const kernels[] = { "matvec", "matvec qkv", "matvec gelu", "matmul", "matmul coopmat", "matmul gelu", "get_rows" };
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  g_autofree char *list = NULL;
  LbVkMatmulBenchOptions options = { .repeats = repeats };
  g_autoptr(GArray) mm = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (kernels); i++)
    if (matches_filter (kernels[i]) && (!opt_decode_only || g_str_has_prefix (kernels[i], "matvec")))
      g_ptr_array_add (wanted, (char *) kernels[i]);
  if (wanted->len == 0)
    return TRUE;
  g_ptr_array_add (wanted, NULL);
  list = g_strjoinv (",", (char **) wanted->pdata);
  options.kernels = list;
  mm = lb_vk_matmul_bench (ctx, &options, error);
  if (mm == NULL)
    return FALSE;
  for (guint i = 0; i < mm->len; i++)
    {
      const LbVkMatmulBenchRow *r = &g_array_index (mm, LbVkMatmulBenchRow, i);
      Row row = { 0 };

      if (!matches_filter (r->kernel))
        continue;
      row.kernel = g_strdup_printf ("%s %s", r->kernel, lb_tensor_type_name (r->type));
      row.shape = g_strdup_printf ("%ux%u, n %u", r->rows, r->cols, r->n);
      row.median_ms = r->median_ms;
      row.gb_per_s = r->gb_per_s;
      row.gflop_per_s = r->gflop_per_s;
      row.skipped = g_strdup (r->skipped);
      g_array_append_val (rows, row);
    }
  return TRUE;
}

static void
print_text (LbVkContext *ctx, GArray *rows)
{
  printf ("%s (%s %s)\n", ctx->info.name, ctx->info.driver_name, ctx->info.driver_info);
  printf ("%-22s %-30s %12s %10s %10s\n", "kernel", "shape", "median ms", "GB/s", "GFLOP/s");
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);

      if (r->skipped != NULL)
        printf ("%-22s %-30s %12s   (%s)\n", r->kernel, r->shape, "-", r->skipped);
      else if (r->gflop_per_s > 0)
        printf ("%-22s %-30s %12.4f %10.2f %10.2f\n", r->kernel, r->shape, r->median_ms, r->gb_per_s,
                r->gflop_per_s);
      else
        printf ("%-22s %-30s %12.4f %10.2f %10s\n", r->kernel, r->shape, r->median_ms, r->gb_per_s, "");
    }
}

static void
print_json (LbVkContext *ctx, GArray *rows)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *driver = g_strdup_printf ("%s %s", ctx->info.driver_name, ctx->info.driver_info);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device");
  json_builder_add_string_value (builder, ctx->info.name);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, driver);
  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kernel");
      json_builder_add_string_value (builder, r->kernel);
      json_builder_set_member_name (builder, "shape");
      json_builder_add_string_value (builder, r->shape);
      json_builder_set_member_name (builder, "median_ms");
      json_builder_add_double_value (builder, r->median_ms);
      json_builder_set_member_name (builder, "gb_per_s");
      json_builder_add_double_value (builder, r->gb_per_s);
      json_builder_set_member_name (builder, "gflop_per_s");
      json_builder_add_double_value (builder, r->gflop_per_s);
      json_builder_set_member_name (builder, "skipped");
      if (r->skipped != NULL)
        json_builder_add_string_value (builder, r->skipped);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
lb_cli_bench_kernels (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LbVkContext) ctx = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  int status = 0;

  g_array_set_clear_func (rows, (GDestroyNotify) row_clear);
  if (!lb_cli_parse ("bench-kernels", "", "Time the Vulkan kernels on MedGemma 4B shapes.", entries, &argc, &argv,
                     &status))
    return status;
  if (argc != 1)
    return lb_cli_usage_error ("bench-kernels", "unexpected argument '%s'", argv[1]);
  if (opt_repeats < 1 || opt_repeats > 10000)
    return lb_cli_usage_error ("bench-kernels", "--repeats must be between 1 and 10000");

  ctx = lb_vk_context_new (&error);
  if (ctx == NULL)
    return lb_cli_fail (g_steal_pointer (&error));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Row row = { 0 };

      if (!matches_filter (cases[i].kernel) || (opt_decode_only && !cases[i].decode))
        continue;
      if (!run_case (ctx, &cases[i], (guint) opt_repeats, &row, &error))
        {
          row_clear (&row);
          g_prefix_error (&error, "%s %s: ", cases[i].kernel, cases[i].shape);
          return lb_cli_fail (g_steal_pointer (&error));
        }
      g_array_append_val (rows, row);
      if (!opt_json)
        fprintf (stderr, ".");
    }
  if (!opt_no_weights && !add_matmul_rows (ctx, (guint) opt_repeats, rows, &error))
    return lb_cli_fail (g_steal_pointer (&error));
  if (!opt_json)
    fprintf (stderr, "\n");
  if (opt_json)
    print_json (ctx, rows);
  else
    print_text (ctx, rows);
  return 0;
}
