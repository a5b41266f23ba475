/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SigLIP vision encoder and the Gemma 3 projector on Vulkan (DESIGN §4):
 *
 *   x = conv_P×P(pixels) + b + position_embd      [N][VE] (the patch-embedding kernel, or
 *                                                 im2col on the host and a matrix product)
 *   per block:  h = LN1 x;  q,k,v = W h + b;  K,V → F16;  a = attention(q, K, V) (both ways)
 *               x += Wo a + bo;  h = LN2 x;  u = gelu(Wup h + bup);  x += Wdown u + bdown
 *               (the gelu is the up projection's epilogue: no pass of its own)
 *   x = LN_post x
 *   pooled = average k×k over the G×G grid       [T][VE], all on the device
 *   out = (rmsnorm(pooled) * soft_emb_norm) · projection     [T][E]
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>
#include <string.h>

#include "engine/engine-vulkan.h"
#include "vk/vk-matmul.h"
#include "vk/vk-ops-attention.h"
#include "vk/vk-ops-elementwise.h"
#include "vk/vk-ops-rope.h"
#include "vk/vk-ops-rows.h"
#include "vk/vk-ops-vision.h"

/* Encoder blocks per submit: a cancel is seen between groups. */
#define BLOCKS_PER_SUBMIT 4

static void
im2col (const LbVisionConfig *v, const float *pixels, float *patches)
{
  guint S = v->image_size, P = v->patch_size, G = v->n_patches_side;
  gsize row = 3 * (gsize) P * P;

  for (guint gy = 0; gy < G; gy++)
    for (guint gx = 0; gx < G; gx++)
      {
        float *out = patches + ((gsize) gy * G + gx) * row;    /* [3][P][P] */
        for (guint c = 0; c < 3; c++)
          for (guint ky = 0; ky < P; ky++)
            memcpy (out + ((gsize) c * P + ky) * P,
                    pixels + ((gsize) c * S + gy * P + ky) * S + (gsize) gx * P, P * sizeof (float));
      }
}

gboolean
lb_vk_vision_record_block (LbBackendModel *m, LbVkCommands *cmds, const VkVisionLayer *L, guint32 N,
                           GError **error)
{
  const LbVisionConfig *v = &m->vision;
  VkVisionScratch *s = &m->vs;
  guint32 VE = v->n_embd, VF = v->n_ff;
  guint32 VH = v->n_head, HD = VE / VH;
  LbVkBinding x = lb_vk_bind_range (s->x, 0, (VkDeviceSize) N * VE * 4);
  LbVkBinding h = lb_vk_bind_range (s->h, 0, (VkDeviceSize) N * VE * 4);
  LbVkBinding q = lb_vk_bind_range (s->qkv, 0, (VkDeviceSize) N * VE * 4);
  LbVkBinding k = lb_vk_bind_range (s->qkv, s->k_offset, (VkDeviceSize) N * VE * 4);
  LbVkBinding val = lb_vk_bind_range (s->qkv, s->v_offset, (VkDeviceSize) N * VE * 4);
  LbVkBinding k16 = lb_vk_bind_range (s->kv16, 0, (VkDeviceSize) N * VE * 2);
  LbVkBinding v16 = lb_vk_bind_range (s->kv16, s->v16_offset, (VkDeviceSize) N * VE * 2);
  LbVkBinding positions = lb_vk_bind_range (s->positions, 0, (VkDeviceSize) N * 4);
  LbVkBinding attn = lb_vk_bind_range (s->attn, 0, (VkDeviceSize) N * VE * 4);
  LbVkBinding up = lb_vk_bind_range (s->up, 0, (VkDeviceSize) N * VF * 4);
  MatmulTarget qkv_targets[3] = {
    { &L->q, q, VE, &L->q_b },
    { &L->k, k, VE, &L->k_b },
    { &L->v, val, VE, &L->v_b },
  };
  MatmulTarget o_target = { &L->o, h, VE, &L->o_b };
  LbVkMatmul up_gelu = {
    .type = L->up.type, .cols = VE, .n = N, .x = h, .n_parts = 1,
    .parts = { { .weight = vk_tensor_bind (&L->up), .rows = L->up.rows, .out = up, .out_stride = VF,
                 .bias = vk_tensor_bind (&L->up_b) } },
    .epilogue = LB_VK_MATMUL_GELU,
  };
  MatmulTarget down_target = { &L->down, h, VE, &L->down_b };
  LbVkLayerNorm ln1 = {
    .x = x, .weight = vk_tensor_bind (&L->ln1_w), .bias = vk_tensor_bind (&L->ln1_b), .y = h,
    .n_rows = N, .n_cols = VE, .eps = v->layer_norm_eps,
  };
  LbVkLayerNorm ln2 = ln1;
  /* The slot positions are written but unused (no mask); K's and V's
   * stores each get their own, so they do not wait on each other. */
  LbVkKvStore store_k = {
    .src = k, .positions = positions, .cache = k16,
    .slot_positions = lb_vk_bind_range (s->slots, 0, (VkDeviceSize) N * 4),
    .n_tok = N, .n_kv_heads = VH, .head_dim = HD, .capacity = N,
  };
  LbVkKvStore store_v = store_k;
  LbVkAttention attention = {
    .q = q, .k = k16, .v = v16, .out = attn, .scratch = lb_vk_bind (m->ts.attention_scratch),
    .n_q = N, .n_kv = N, .n_heads = VH, .n_kv_heads = VH, .head_dim = HD,
    .k_slot_stride = HD, .k_head_stride = N * HD, .v_slot_stride = HD, .v_head_stride = N * HD,
    .scale = 1.0f / sqrtf ((float) HD), .causal = FALSE,
  };
  LbVkElementwise add = { .op = LB_VK_ADD, .a = x, .b = h, .y = x, .n_rows = N, .n_cols = VE };

  ln2.weight = vk_tensor_bind (&L->ln2_w);
  ln2.bias = vk_tensor_bind (&L->ln2_b);
  store_v.src = val;
  store_v.cache = v16;
  store_v.slot_positions = lb_vk_bind_range (s->slots, vk_align ((VkDeviceSize) N * 4, m->align),
                                             (VkDeviceSize) N * 4);

  return lb_vk_layernorm (cmds, &ln1, error) &&
         lb_vk_matmul_targets (cmds, h, N, VE, qkv_targets, 3, error) &&
         lb_vk_kv_store (cmds, &store_k, error) &&
         lb_vk_kv_store (cmds, &store_v, error) &&
         lb_vk_attention (cmds, &attention, error) &&
         lb_vk_matmul_targets (cmds, attn, N, VE, &o_target, 1, error) &&
         lb_vk_elementwise (cmds, &add, error) &&
         lb_vk_layernorm (cmds, &ln2, error) &&
         lb_vk_matmul (cmds, &up_gelu, error) &&
         lb_vk_matmul_targets (cmds, up, N, VF, &down_target, 1, error) &&
         lb_vk_elementwise (cmds, &add, error);
}

static gboolean
patch_kernel (const LbBackendModel *m)
{
  return m->patch_w.type == LB_TENSOR_F32 || m->patch_w.type == LB_TENSOR_F16;
}

/* x = W_patch patches + b + position_embd, from the pixels (or their
 * im2col rows) in the host-visible input buffer. */
static gboolean
record_patches (LbBackendModel *m, LbVkCommands *cmds, GError **error)
{
  const LbVisionConfig *v = &m->vision;
  VkVisionScratch *s = &m->vs;
  guint32 N = v->n_patches_side * v->n_patches_side, VE = v->n_embd;
  guint32 PP = 3 * v->patch_size * v->patch_size;
  LbVkBinding x = lb_vk_bind_range (s->x, 0, (VkDeviceSize) N * VE * 4);
  LbVkElementwise add_position = {
    .op = LB_VK_ADD, .a = x, .b = vk_tensor_bind (&m->position), .y = x, .n_rows = N, .n_cols = VE,
  };

  vk_phase (m, cmds, "vision patches");
  if (patch_kernel (m))
    {
      LbVkPatchEmbed embed = {
        .image = lb_vk_bind (s->pixels),
        .weight = vk_tensor_bind (&m->patch_w),
        .bias = vk_tensor_bind (&m->patch_b),
        .out = x,
        .channels = 3, .height = v->image_size, .width = v->image_size, .patch = v->patch_size,
        .n_out = VE,
        .weight_f16 = m->patch_w.type == LB_TENSOR_F16,
      };
      if (!lb_vk_patch_embed (cmds, &embed, error))
        return FALSE;
    }
  else
    {
      MatmulTarget patch_target = { &m->patch_w, x, VE, &m->patch_b };
      if (!lb_vk_matmul_targets (cmds, lb_vk_bind_range (s->patches, 0, (VkDeviceSize) N * PP * 4), N, PP,
                                 &patch_target, 1, error))
        return FALSE;
    }
  return lb_vk_elementwise (cmds, &add_position, error);
}

/* x = LN_post x; pooled = avgpool(x); out = (rmsnorm(pooled) * soft_emb_norm) · projection */
static gboolean
record_head (LbBackendModel *m, LbVkCommands *cmds, LbVkBuffer *embeddings, GError **error)
{
  const LbVisionConfig *v = &m->vision;
  VkVisionScratch *s = &m->vs;
  guint32 N = v->n_patches_side * v->n_patches_side, VE = v->n_embd, T = v->n_image_tokens;
  LbVkBinding x = lb_vk_bind_range (s->x, 0, (VkDeviceSize) N * VE * 4);
  LbVkBinding pooled = lb_vk_bind_range (s->pooled, 0, (VkDeviceSize) T * VE * 4);
  LbVkBinding normed = lb_vk_bind_range (s->normed, 0, (VkDeviceSize) T * VE * 4);
  LbVkLayerNorm post = {
    .x = x, .weight = vk_tensor_bind (&m->post_ln_w), .bias = vk_tensor_bind (&m->post_ln_b), .y = x,
    .n_rows = N, .n_cols = VE, .eps = v->layer_norm_eps,
  };
  LbVkAvgPool pool = {
    .in = x, .out = pooled, .grid_w = v->n_patches_side, .grid_h = v->n_patches_side, .channels = VE,
    .k = v->pool,
  };
  LbVkRmsNorm norm = {
    .x = pooled, .weight = vk_tensor_bind (&m->soft_emb_norm), .y = normed,
    .n_rows = T, .n_cols = VE, .eps = v->layer_norm_eps,
  };
  MatmulTarget projection = { &m->projection, lb_vk_bind (embeddings), m->text.n_embd, NULL };

  vk_phase (m, cmds, "projector");
  return lb_vk_layernorm (cmds, &post, error) &&
         lb_vk_avg_pool (cmds, &pool, error) &&
         lb_vk_rmsnorm (cmds, &norm, error) &&
         lb_vk_matmul_targets (cmds, normed, T, VE, &projection, 1, error);
}

/* Records the whole encoder without running it: builds its pipelines. */
gboolean
lb_vk_vision_warm_up (LbBackendModel *m, LbVkBuffer *embeddings, GError **error)
{
  guint32 N = m->vision.n_patches_side * m->vision.n_patches_side;

  return lb_vk_commands_begin (m->cmds, error) &&
         record_patches (m, m->cmds, error) &&
         lb_vk_vision_record_block (m, m->cmds, &m->vlayers[0], N, error) &&
         record_head (m, m->cmds, embeddings, error) &&
         lb_vk_commands_end (m->cmds, error);
}

gboolean
lb_vk_vision_encode (LbBackendModel *m, const float *pixels, LbVkBuffer *embeddings,
                     GCancellable *cancellable, GError **error)
{
  const LbVisionConfig *v = &m->vision;
  VkVisionScratch *s = &m->vs;
  LbVkCommands *cmds = m->cmds;
  guint32 N = v->n_patches_side * v->n_patches_side;
  g_autofree gint32 *positions = g_new (gint32, N);

  /* Inputs: the pixels (or their im2col rows), positions 0 … N-1 for the
   * K/V stores. */
  if (patch_kernel (m))
    memcpy (s->pixels->mapped, pixels, (gsize) 3 * v->image_size * v->image_size * sizeof (float));
  else
    im2col (v, pixels, (float *) (gpointer) s->patches->mapped);
  for (guint32 i = 0; i < N; i++)
    positions[i] = (gint32) i;
  if (!lb_vk_buffer_write (s->positions, 0, positions, (VkDeviceSize) N * 4, error))
    return FALSE;

  if (!lb_vk_commands_begin (cmds, error) || !record_patches (m, cmds, error))
    return FALSE;
  for (guint32 l = 0; l < v->n_layer; l++)
    {
      /* A few submits, so that a cancel is seen between them. */
      if (l > 0 && l % BLOCKS_PER_SUBMIT == 0)
        {
          if (!lb_vk_commands_run (cmds, error))
            return FALSE;
          if (lb_backend_check_cancel (cancellable, error) || !lb_vk_commands_begin (cmds, error))
            return FALSE;
        }
      vk_phase (m, cmds, "vision blocks");
      if (!lb_vk_vision_record_block (m, cmds, &m->vlayers[l], N, error))
        {
          g_prefix_error (error, "vision block %u: ", l);
          return FALSE;
        }
    }
  return record_head (m, cmds, embeddings, error) && lb_vk_commands_run (cmds, error);
}
