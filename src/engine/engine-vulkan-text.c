/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Gemma 3 text forward as a recording of kernels (DESIGN §4, §6). One
 * function records any batch: a prefill of n positions or the decode step
 * (n = 1), whose recording is replayed for every token with new inputs in
 * a host-visible buffer (ids, positions, query info), so decode costs one
 * submit per token and no host round trip per layer.
 *
 * Per layer (h = rmsnorm(x) * attn_norm on entry):
 *   q,k,v = Wq h, Wk h, Wv h                    one dispatch when the types agree
 *   q = rope(rmsnorm_head(q) * q_norm)           one dispatch for these three lines
 *   k = rope(rmsnorm_head(k) * k_norm)             (the attention prologue)
 *   K, V caches ← k, v (F16, slot = position mod capacity)
 *   attn = attention(q, K, V)                    flash-style, masks by position
 *   o = Wo attn
 *   x += rmsnorm(o) * post_attention_norm; h = rmsnorm(x) * ffn_norm        fused
 *   g = gelu(Wgate h) * Wup h                    one dispatch when the types agree (the
 *                                                matmul's GELU_MUL epilogue), else two
 *   o = Wdown g
 *   x += rmsnorm(o) * post_ffw_norm; h = rmsnorm(x) * next attn_norm        fused
 * and after the last layer (whose "next" norm is output_norm) the logits of
 * the last row: W_out h[n-1].
 *
 * Threading: the engine's worker thread.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <math.h>
#include <string.h>

#include "engine/engine-vulkan.h"
#include "vk/vk-get-rows.h"
#include "vk/vk-matmul.h"
#include "vk/vk-ops-attention.h"
#include "vk/vk-ops-elementwise.h"
#include "vk/vk-ops-rope.h"
#include "vk/vk-ops-rows.h"
#include "vk/vk-ops-sample.h"

gboolean
lb_vk_matmul_targets (LbVkCommands *cmds, LbVkBinding x, guint32 n, guint32 cols,
                      const MatmulTarget *targets, guint n_targets, GError **error)
{
  gboolean done[8] = { FALSE };

  g_return_val_if_fail (n_targets <= G_N_ELEMENTS (done), FALSE);

  for (guint i = 0; i < n_targets; i++)
    {
      LbVkMatmul mm = { 0 };

      if (done[i])
        continue;
      mm.type = targets[i].weight->type;
      mm.cols = cols;
      mm.n = n;
      mm.x = x;
      for (guint j = i; j < n_targets && mm.n_parts < LB_VK_MATMUL_MAX_PARTS; j++)
        {
          const MatmulTarget *t = &targets[j];
          if (done[j] || t->weight->type != mm.type)
            continue;
          mm.parts[mm.n_parts++] = (LbVkMatmulPart) {
            .weight = vk_tensor_bind (t->weight),
            .rows = t->weight->rows,
            .out = t->out,
            .out_stride = t->out_stride,
            .bias = t->bias != NULL ? vk_tensor_bind (t->bias) : (LbVkBinding) { 0 },
          };
          done[j] = TRUE;
        }
      if (!lb_vk_matmul (cmds, &mm, error))
        return FALSE;
    }
  return TRUE;
}

void
lb_vk_text_write_inputs (LbBackendModel *m, const gint32 *ids, guint32 n, guint32 p0,
                         guint32 span_begin, guint32 span_end)
{
  VkTextScratch *t = &m->ts;
  guint8 *base = t->inputs->mapped;
  gint32 *positions = (gint32 *) (gpointer) (base + t->positions_offset);
  gint32 *query_info = (gint32 *) (gpointer) (base + t->query_info_offset);
  LbVkSpan span = { (gint32) span_begin, (gint32) span_end };

  g_return_if_fail (n <= m->batch);
  if (ids != NULL)
    memcpy (base, ids, n * sizeof (gint32));
  for (guint32 i = 0; i < n; i++)
    positions[i] = (gint32) (p0 + i);
  lb_vk_attention_query_info (positions, n, &span, span_end > span_begin ? 1 : 0, query_info);
}

gboolean
lb_vk_text_record (LbBackendModel *m, LbBackendState *s, LbVkCommands *cmds, const VkTextPass *pass,
                   GError **error)
{
  const LbTextConfig *c = &m->text;
  VkTextScratch *t = &m->ts;
  guint32 E = c->n_embd, H = c->n_head, KV = c->n_head_kv, D = c->head_dim, F = c->n_ff;
  guint32 n = pass->n, B = m->batch;
  LbVkBinding ids = lb_vk_bind_range (t->inputs, 0, (VkDeviceSize) B * 4);
  LbVkBinding positions = lb_vk_bind_range (t->inputs, t->positions_offset, (VkDeviceSize) B * 4);
  LbVkBinding query_info = lb_vk_bind_range (t->inputs, t->query_info_offset, (VkDeviceSize) B * 8);
  LbVkBinding x = lb_vk_bind_range (t->x, 0, (VkDeviceSize) n * E * 4);                    /* [n][E] */
  LbVkBinding h = lb_vk_bind_range (t->h, 0, (VkDeviceSize) n * E * 4);                    /* [n][E] */
  LbVkBinding q = lb_vk_bind_range (t->qkv, 0, (VkDeviceSize) n * H * D * 4);              /* [n][H*D] */
  LbVkBinding k = lb_vk_bind_range (t->qkv, t->k_offset, (VkDeviceSize) n * KV * D * 4);   /* [n][KV*D] */
  LbVkBinding v = lb_vk_bind_range (t->qkv, t->v_offset, (VkDeviceSize) n * KV * D * 4);   /* [n][KV*D] */
  LbVkBinding attn = lb_vk_bind_range (t->attn, 0, (VkDeviceSize) n * H * D * 4);          /* [n][H*D] */
  LbVkBinding o = lb_vk_bind_range (t->o, 0, (VkDeviceSize) n * E * 4);                    /* [n][E] */
  LbVkBinding gate = lb_vk_bind_range (t->ffn, 0, (VkDeviceSize) n * F * 4);               /* [n][F] */
  LbVkBinding up = lb_vk_bind_range (t->ffn, t->up_offset, (VkDeviceSize) n * F * 4);      /* [n][F] */
  VkDeviceSize capture_stride = vk_align ((VkDeviceSize) B * H * MAX (pass->span_n, 1) * 4, m->align);

  g_return_val_if_fail (n > 0 && n <= B, FALSE);
  g_return_val_if_fail (pass->layer_end <= c->n_layer && pass->layer_begin <= pass->layer_end, FALSE);

  if (pass->embed)
    {
      LbVkGetRows lookup = {
        .type = m->token_embd.type,
        .table = vk_tensor_bind (&m->token_embd),
        .rows = m->token_embd.rows,
        .cols = E,
        .ids = ids,
        .n_ids = n,
        .out = x,
        .scale = sqrtf ((float) E),
      };
      lb_vk_commands_phase (cmds, "embed");
      if (!lb_vk_get_rows (cmds, &lookup, error))
        return FALSE;
    }

  if (pass->layer_begin == 0 && pass->layer_end > 0)
    {
      LbVkRmsNorm norm = {
        .x = x, .weight = vk_tensor_bind (&m->layers[0].attn_norm), .y = h,
        .n_rows = n, .n_cols = E, .eps = c->rms_eps,
      };
      if (!lb_vk_rmsnorm (cmds, &norm, error))
        return FALSE;
    }

  lb_vk_commands_phase (cmds, "layers");
  for (guint32 l = pass->layer_begin; l < pass->layer_end; l++)
    {
      const VkTextLayer *L = &m->layers[l];
      const VkKvCache *kv = &s->kv[l];
      guint32 cap = kv->capacity;
      float rope_base = L->global ? c->rope_base : c->rope_base_swa;
      float rope_scale = L->global ? c->rope_scale : 1.0f;
      LbVkBinding cache_k = lb_vk_bind_range (kv->buffer, 0, (VkDeviceSize) KV * cap * D * 2);
      LbVkBinding cache_v = lb_vk_bind_range (kv->buffer, kv->v_offset, (VkDeviceSize) KV * cap * D * 2);
      LbVkBinding slots = lb_vk_bind_range (kv->buffer, kv->slots_offset, (VkDeviceSize) cap * 4);
      gint32 capture_index = m->capture_index[l];
      gboolean capture = pass->span_n > 0 && capture_index >= 0;
      MatmulTarget qkv_targets[3] = {
        { &L->q, q, H * D, NULL },
        { &L->k, k, KV * D, NULL },
        { &L->v, v, KV * D, NULL },
      };
      MatmulTarget ffn_targets[2] = {
        { &L->gate, gate, F, NULL },
        { &L->up, up, F, NULL },
      };
      /* gate = gelu(Wgate h) * Wup h; up is scratch. */
      LbVkMatmul gate_up = {
        .type = L->gate.type, .cols = E, .n = n, .x = h, .n_parts = 2,
        .parts = { { .weight = vk_tensor_bind (&L->gate), .rows = F, .out = gate },
                   { .weight = vk_tensor_bind (&L->up), .rows = F, .out = up } },
        .epilogue = LB_VK_MATMUL_GELU_MUL,
      };
      /* q, k norms + rope and the K/V cache stores: one dispatch. */
      LbVkAttentionPrologue prologue = {
        .q = q,
        .kv = lb_vk_bind_range (t->qkv, t->k_offset, t->v_offset - t->k_offset + (VkDeviceSize) n * KV * D * 4),
        .v_offset = (guint32) ((t->v_offset - t->k_offset) / 4),
        .q_norm = vk_tensor_bind (&L->q_norm), .k_norm = vk_tensor_bind (&L->k_norm),
        .positions = positions, .cache_k = cache_k, .cache_v = cache_v, .slot_positions = slots,
        .n_tok = n, .n_heads = H, .n_kv_heads = KV, .head_dim = D, .capacity = cap,
        .eps = c->rms_eps, .rope_base = rope_base, .rope_scale_factor = rope_scale,
      };
      LbVkAttention attention = {
        .q = q, .k = cache_k, .v = cache_v, .key_positions = slots, .query_info = query_info,
        .out = attn, .scratch = lb_vk_bind (t->attention_scratch),
        .n_q = n, .n_kv = MIN (pass->kv_bound, cap),
        .n_heads = H, .n_kv_heads = KV, .head_dim = D,
        .k_slot_stride = D, .k_head_stride = cap * D,
        .v_slot_stride = D, .v_head_stride = cap * D,
        .scale = c->attn_scale, .causal = TRUE,
        .window = L->global ? 0 : c->sliding_window,
      };
      LbVkAddRmsNorm post_attention = {
        .a = o, .w_post = vk_tensor_bind (&L->post_attn_norm), .x = x,
        .w_next = vk_tensor_bind (&L->ffn_norm), .h = h,
        .n_rows = n, .n_cols = E, .eps = c->rms_eps,
      };
      LbVkElementwise gelu = {
        .op = LB_VK_GELU_MUL, .a = gate, .b = up, .y = gate, .n_rows = n, .n_cols = F,
      };
      LbVkAddRmsNorm post_ffn = {
        .a = o, .w_post = vk_tensor_bind (&L->post_ffw_norm), .x = x,
        .w_next = vk_tensor_bind (l + 1 < c->n_layer ? &m->layers[l + 1].attn_norm : &m->output_norm),
        .h = h, .n_rows = n, .n_cols = E, .eps = c->rms_eps,
      };

      if (capture)
        {
          attention.span_begin = (gint32) pass->span_first;
          attention.span_len = pass->span_n;
          attention.weights = lb_vk_bind_range (t->capture, capture_index * capture_stride,
                                                (VkDeviceSize) n * H * pass->span_n * 4);
        }

      if (!vk_phase (m, cmds, "qkv") ||
          !lb_vk_matmul_targets (cmds, h, n, E, qkv_targets, 3, error) ||
          !vk_phase (m, cmds, "prologue") ||
          !lb_vk_attention_prologue (cmds, &prologue, error) ||
          !vk_phase (m, cmds, "attention") ||
          !lb_vk_attention (cmds, &attention, error) ||
          !vk_phase (m, cmds, "o") ||
          !lb_vk_matmul_simple (cmds, L->o.type, vk_tensor_bind (&L->o), E, H * D, attn, n, o, error) ||
          !vk_phase (m, cmds, "norm") ||
          !lb_vk_add_rmsnorm (cmds, &post_attention, error) ||
          !vk_phase (m, cmds, "gateup") ||
          !(L->gate.type == L->up.type
              ? lb_vk_matmul (cmds, &gate_up, error)
              : (lb_vk_matmul_targets (cmds, h, n, E, ffn_targets, 2, error) && vk_phase (m, cmds, "gelu")
                 && lb_vk_elementwise (cmds, &gelu, error))) ||
          !vk_phase (m, cmds, "down") ||
          !lb_vk_matmul_simple (cmds, L->down.type, vk_tensor_bind (&L->down), E, F, gate, n, o, error) ||
          !vk_phase (m, cmds, "norm") ||
          !lb_vk_add_rmsnorm (cmds, &post_ffn, error))
        {
          g_prefix_error (error, "text layer %u: ", l);
          return FALSE;
        }
    }

  if (pass->logits && pass->layer_end == c->n_layer)
    {
      VkDeviceSize last = (VkDeviceSize) (n - 1) * E * 4;
      LbVkBinding h_last;

      lb_vk_commands_phase (cmds, "logits");
      if (last % m->align == 0)
        h_last = lb_vk_bind_range (t->h, last, (VkDeviceSize) E * 4);
      else
        {
          h_last = lb_vk_bind_range (t->h_last, 0, (VkDeviceSize) E * 4);
          if (!lb_vk_commands_copy (cmds, lb_vk_bind_range (t->h, last, (VkDeviceSize) E * 4), h_last, error))
            return FALSE;
        }
      if (!lb_vk_matmul_simple (cmds, m->output.type, vk_tensor_bind (&m->output), m->output.rows, E,
                                h_last, 1, lb_vk_bind_range (t->logits, 0, (VkDeviceSize) c->n_vocab * 4),
                                error))
        return FALSE;
      if (pass->n_candidates > 0 && !lb_vk_text_record_candidates (m, cmds, pass->n_candidates, error))
        return FALSE;
      if (pass->logprob && !lb_vk_text_record_logprob (m, cmds, error))
        return FALSE;
    }
  /* Teacher forcing: the scored rows' logits, a chunk at a time. */
  if (pass->score_n > 0 && pass->layer_end == c->n_layer &&
      !lb_vk_text_record_scored (m, cmds, pass->score_row, pass->score_n, error))
    return FALSE;
  return TRUE;
}

gboolean
lb_vk_text_record_candidates (LbBackendModel *m, LbVkCommands *cmds, guint32 k, GError **error)
{
  VkTextScratch *t = &m->ts;
  LbVkTopK op = {
    .values = lb_vk_bind_range (t->logits, 0, (VkDeviceSize) m->text.n_vocab * 4),
    .out_indices = lb_vk_bind_range (t->sample, 0, (VkDeviceSize) LB_VK_TOP_K_MAX * 4),
    .out_values = lb_vk_bind_range (t->sample, t->sample_values_offset, (VkDeviceSize) LB_VK_TOP_K_MAX * 4),
    .scratch = lb_vk_bind (t->topk_scratch),
    .n = m->text.n_vocab,
    .k = CLAMP (k, 1, LB_VK_TOP_K_MAX),
  };

  vk_phase (m, cmds, "candidates");
  return lb_vk_top_k (cmds, &op, error);
}
