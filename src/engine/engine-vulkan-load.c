/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading the Vulkan backend: the weights' layout planned from the GGUF
 * files (in their types where the kernels read them, DESIGN §6), a memory
 * check before anything is allocated, the upload with progress and
 * cancellation, the scratch buffers, the self-test and the warm-up that
 * builds every pipeline; and freeing the model.
 *
 * Threading: the engine's worker thread, which owns the LbVkContext.
 */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include "engine/engine-vulkan.h"
#include "vk/vk-matmul.h"
#include "vk/vk-ops-attention.h"
#include "vk/vk-ops-logprob.h"
#include "vk/vk-ops-sample.h"
#include "vk/vk-pipeline.h"

/* ---- the weights: planning and upload ---------------------------------------------- */

typedef enum {
  UPLOAD_AS_IS,        /* the file's bytes: a matrix in a type the kernels read, or F32 */
  UPLOAD_F32,          /* dequantized to float32 (norms, biases, position embeddings) */
  UPLOAD_F32_T,        /* dequantized and transposed: the projector's [VE][E] becomes [E][VE] */
} UploadKind;

typedef struct {
  VkTensor *dst;
  const LbGgufTensor *src;
  UploadKind kind;
} Upload;

typedef struct {
  char *name;
  VkDeviceSize size;
  GArray *uploads;     /* Upload */
} Group;

typedef struct {
  LbBackendModel *m;
  GPtrArray *groups;
  Group *current;
  guint64 total;       /* bytes to upload */
} Planner;

static void
group_free (gpointer data)
{
  Group *g = data;
  g_free (g->name);
  g_array_unref (g->uploads);
  g_free (g);
}

static void
plan_group (Planner *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
plan_group (Planner *p, const char *format, ...)
{
  va_list args;
  Group *g = g_new0 (Group, 1);

  va_start (args, format);
  g->name = g_strdup_vprintf (format, args);
  va_end (args);
  g->uploads = g_array_new (FALSE, FALSE, sizeof (Upload));
  g_ptr_array_add (p->groups, g);
  p->current = g;
}

/* Places a tensor of the file in the current group. Matrices (matrix =
 * TRUE) stay in their type when the kernels read it at that width, and
 * become F32 otherwise; everything else becomes F32. */
static gboolean
plan_tensor (Planner *p, VkTensor *dst, const LbGguf *gguf, const char *name, gboolean matrix,
             UploadKind forced, GError **error)
{
  const LbGgufTensor *src = lb_gguf_find_tensor (gguf, name);
  Upload upload = { dst, src, forced };
  LbVkWeightLayout layout;
  VkDeviceSize bytes;

  if (src == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_BAD_MODEL, "%s: no tensor '%s'",
                   lb_gguf_name (gguf), name);
      return FALSE;
    }
  dst->cols = (guint32) src->ne[0];
  dst->rows = (guint32) (src->n_elements / src->ne[0]);
  if (forced == UPLOAD_AS_IS)
    {
      if (!matrix)
        upload.kind = src->type == LB_TENSOR_F32 ? UPLOAD_AS_IS : UPLOAD_F32;
      else if (!lb_vk_matmul_supported (src->type) ||
               !lb_vk_weight_layout (src->type, dst->cols, &layout, name, NULL))
        {
          g_debug ("%s: %s at width %u goes to the device as F32", name,
                   lb_tensor_type_name (src->type), dst->cols);
          upload.kind = UPLOAD_F32;
        }
    }
  if (upload.kind == UPLOAD_F32_T)
    {
      guint32 rows = dst->rows;
      dst->rows = dst->cols;
      dst->cols = rows;
    }
  dst->type = upload.kind == UPLOAD_AS_IS ? src->type : LB_TENSOR_F32;
  bytes = upload.kind == UPLOAD_AS_IS ? src->n_bytes : src->n_elements * 4;
  dst->offset = p->current->size;
  dst->size = bytes;
  p->current->size = vk_align (p->current->size + bytes, p->m->align);
  p->total += bytes;
  g_array_append_val (p->current->uploads, upload);
  return TRUE;
}

static gboolean
plan_layer_tensor (Planner *p, VkTensor *dst, const LbGguf *gguf, const char *prefix, guint layer,
                   const char *suffix, gboolean matrix, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s%u.%s", prefix, layer, suffix);
  return plan_tensor (p, dst, gguf, name, matrix, UPLOAD_AS_IS, error);
}

static gboolean
plan_text (Planner *p, const LbGguf *gguf, GError **error)
{
  LbBackendModel *m = p->m;

  plan_group (p, "token_embd.weight");
  if (!plan_tensor (p, &m->token_embd, gguf, "token_embd.weight", TRUE, UPLOAD_AS_IS, error))
    return FALSE;
  if (!m->text.tied_output)
    {
      plan_group (p, "output.weight");
      if (!plan_tensor (p, &m->output, gguf, "output.weight", TRUE, UPLOAD_AS_IS, error))
        return FALSE;
    }
  plan_group (p, "output_norm.weight");
  if (!plan_tensor (p, &m->output_norm, gguf, "output_norm.weight", FALSE, UPLOAD_AS_IS, error))
    return FALSE;

  for (guint l = 0; l < m->text.n_layer; l++)
    {
      VkTextLayer *L = &m->layers[l];
      struct { VkTensor *dst; const char *name; gboolean matrix; } tensors[] = {
        { &L->attn_norm, "attn_norm.weight", FALSE },
        { &L->q, "attn_q.weight", TRUE },
        { &L->k, "attn_k.weight", TRUE },
        { &L->v, "attn_v.weight", TRUE },
        { &L->q_norm, "attn_q_norm.weight", FALSE },
        { &L->k_norm, "attn_k_norm.weight", FALSE },
        { &L->o, "attn_output.weight", TRUE },
        { &L->post_attn_norm, "post_attention_norm.weight", FALSE },
        { &L->ffn_norm, "ffn_norm.weight", FALSE },
        { &L->gate, "ffn_gate.weight", TRUE },
        { &L->up, "ffn_up.weight", TRUE },
        { &L->down, "ffn_down.weight", TRUE },
        { &L->post_ffw_norm, "post_ffw_norm.weight", FALSE },
      };

      /* One buffer per layer: the fused q/k/v and gate/up products need
       * their weights in one buffer to run as one dispatch. */
      plan_group (p, "blk.%u", l);
      for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
        if (!plan_layer_tensor (p, tensors[i].dst, gguf, "blk.", l, tensors[i].name, tensors[i].matrix, error))
          return FALSE;
    }
  return TRUE;
}

static gboolean
plan_vision (Planner *p, const LbGguf *gguf, GError **error)
{
  LbBackendModel *m = p->m;

  plan_group (p, "vision");
  if (!plan_tensor (p, &m->patch_w, gguf, "v.patch_embd.weight", TRUE, UPLOAD_AS_IS, error) ||
      !plan_tensor (p, &m->patch_b, gguf, "v.patch_embd.bias", FALSE, UPLOAD_AS_IS, error) ||
      !plan_tensor (p, &m->position, gguf, "v.position_embd.weight", FALSE, UPLOAD_F32, error) ||
      !plan_tensor (p, &m->post_ln_w, gguf, "v.post_ln.weight", FALSE, UPLOAD_AS_IS, error) ||
      !plan_tensor (p, &m->post_ln_b, gguf, "v.post_ln.bias", FALSE, UPLOAD_AS_IS, error) ||
      !plan_tensor (p, &m->soft_emb_norm, gguf, "mm.soft_emb_norm.weight", FALSE, UPLOAD_AS_IS, error) ||
      !plan_tensor (p, &m->projection, gguf, "mm.input_projection.weight", TRUE, UPLOAD_F32_T, error))
    return FALSE;
  /* The convolution is a matrix product over im2col rows (c, y, x). */
  m->patch_w.cols = 3 * m->vision.patch_size * m->vision.patch_size;
  m->patch_w.rows = m->vision.n_embd;

  for (guint l = 0; l < m->vision.n_layer; l++)
    {
      VkVisionLayer *L = &m->vlayers[l];
      struct { VkTensor *dst; const char *name; gboolean matrix; } tensors[] = {
        { &L->ln1_w, "ln1.weight", FALSE }, { &L->ln1_b, "ln1.bias", FALSE },
        { &L->q, "attn_q.weight", TRUE }, { &L->q_b, "attn_q.bias", FALSE },
        { &L->k, "attn_k.weight", TRUE }, { &L->k_b, "attn_k.bias", FALSE },
        { &L->v, "attn_v.weight", TRUE }, { &L->v_b, "attn_v.bias", FALSE },
        { &L->o, "attn_out.weight", TRUE }, { &L->o_b, "attn_out.bias", FALSE },
        { &L->ln2_w, "ln2.weight", FALSE }, { &L->ln2_b, "ln2.bias", FALSE },
        { &L->up, "ffn_up.weight", TRUE }, { &L->up_b, "ffn_up.bias", FALSE },
        { &L->down, "ffn_down.weight", TRUE }, { &L->down_b, "ffn_down.bias", FALSE },
      };

      plan_group (p, "v.blk.%u", l);
      for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
        if (!plan_layer_tensor (p, tensors[i].dst, gguf, "v.blk.", l, tensors[i].name, tensors[i].matrix, error))
          return FALSE;
    }
  return TRUE;
}

static gboolean
upload_tensor (const Upload *u, GError **error)
{
  const LbGgufTensor *src = u->src;
  VkTensor *dst = u->dst;
  g_autofree float *values = NULL;

  if (u->kind == UPLOAD_AS_IS)
    return lb_vk_buffer_write (dst->buffer, dst->offset, src->data, src->n_bytes, error);

  values = g_try_new (float, src->n_elements);
  if (values == NULL)
    {
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY,
                   "not enough host memory to convert tensor '%s'", src->name);
      return FALSE;
    }
  lb_gguf_tensor_rows_to_float (src, 0, src->n_elements / src->ne[0], values);
  if (u->kind == UPLOAD_F32_T)
    {
      /* [rows][cols] of the file → [cols][rows] */
      guint64 rows = src->n_elements / src->ne[0], cols = src->ne[0];
      g_autofree float *t = g_try_new (float, src->n_elements);
      if (t == NULL)
        {
          g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY,
                       "not enough host memory to transpose tensor '%s'", src->name);
          return FALSE;
        }
      for (guint64 r = 0; r < rows; r++)
        for (guint64 c = 0; c < cols; c++)
          t[c * rows + r] = values[r * cols + c];
      g_free (values);
      values = g_steal_pointer (&t);
    }
  return lb_vk_buffer_write (dst->buffer, dst->offset, values, src->n_elements * 4, error);
}

/* ---- scratch ------------------------------------------------------------------------ */

static guint64
attention_scratch_need (LbBackendModel *m)
{
  const LbTextConfig *c = &m->text;
  guint64 need = 0;
  LbVkAttention a = {
    .n_heads = c->n_head, .n_kv_heads = c->n_head_kv, .head_dim = c->head_dim,
    .causal = TRUE, .scale = 1.0f,
  };

  /* Decode over the whole context, prefill batches over it. */
  a.n_q = 1;
  a.n_kv = m->context_length;
  need = MAX (need, lb_vk_attention_scratch_bytes (m->ctx, &a));
  a.n_kv = m->ring;
  need = MAX (need, lb_vk_attention_scratch_bytes (m->ctx, &a));
  a.n_q = m->batch;
  a.n_kv = m->context_length;
  need = MAX (need, lb_vk_attention_scratch_bytes (m->ctx, &a));
  if (m->has_vision)
    {
      const LbVisionConfig *v = &m->vision;
      guint32 n = v->n_patches_side * v->n_patches_side;
      LbVkAttention va = {
        .n_q = n, .n_kv = n, .n_heads = v->n_head, .n_kv_heads = v->n_head,
        .head_dim = v->n_embd / v->n_head, .scale = 1.0f,
      };
      need = MAX (need, lb_vk_attention_scratch_bytes (m->ctx, &va));
    }
  return need;
}

typedef struct {
  LbVkBuffer **buffer;
  LbVkMemoryKind kind;
  VkDeviceSize size;
  const char *name;
} ScratchItem;

/* The scratch buffers, or (allocate = FALSE) just their total size. */
static guint64
scratch (LbBackendModel *m, gboolean allocate, GError **error)
{
  const LbTextConfig *c = &m->text;
  VkTextScratch *t = &m->ts;
  VkVisionScratch *vs = &m->vs;
  VkDeviceSize B = m->batch, E = c->n_embd, HD = (VkDeviceSize) c->n_head * c->head_dim;
  VkDeviceSize KVD = (VkDeviceSize) c->n_head_kv * c->head_dim, F = c->n_ff;
  VkDeviceSize T = m->has_vision ? m->vision.n_image_tokens : 0;
  VkDeviceSize capture_stride = vk_align (B * c->n_head * MAX (T, 1) * 4, m->align);
  GArray *items = g_array_new (FALSE, FALSE, sizeof (ScratchItem));
  guint64 total = 0;

  t->k_offset = vk_align (B * HD * 4, m->align);
  t->v_offset = t->k_offset + vk_align (B * KVD * 4, m->align);
  t->up_offset = vk_align (B * F * 4, m->align);
  t->positions_offset = vk_align (B * 4, m->align);
  t->query_info_offset = t->positions_offset + vk_align (B * 4, m->align);
  t->sample_values_offset = vk_align (LB_VK_TOP_K_MAX * 4, m->align);
  t->logprob_out_offset = vk_align (B * 4, m->align);
#define ITEM(field, kind_, size_, name_) \
  g_array_append_val (items, ((ScratchItem) { &(field), kind_, size_, name_ }))
  ITEM (t->x, LB_VK_MEMORY_DEVICE, B * E * 4, "text x");
  ITEM (t->h, LB_VK_MEMORY_DEVICE, B * E * 4, "text h");
  ITEM (t->qkv, LB_VK_MEMORY_DEVICE, t->v_offset + B * KVD * 4, "text qkv");
  ITEM (t->attn, LB_VK_MEMORY_DEVICE, B * HD * 4, "text attention");
  ITEM (t->o, LB_VK_MEMORY_DEVICE, B * E * 4, "text o");
  ITEM (t->ffn, LB_VK_MEMORY_DEVICE, t->up_offset + B * F * 4, "text ffn");
  ITEM (t->h_last, LB_VK_MEMORY_DEVICE, E * 4, "text h_last");
  ITEM (t->logits, LB_VK_MEMORY_DEVICE, (VkDeviceSize) c->n_vocab * 4, "logits");
  ITEM (t->topk_scratch, LB_VK_MEMORY_DEVICE, lb_vk_top_k_scratch_bytes (c->n_vocab, LB_VK_TOP_K_MAX),
        "top-k scratch");
  ITEM (t->sample, LB_VK_MEMORY_HOST, t->sample_values_offset + LB_VK_TOP_K_MAX * 4, "candidates");
  ITEM (t->attention_scratch, LB_VK_MEMORY_DEVICE, attention_scratch_need (m), "attention scratch");
  ITEM (t->capture, LB_VK_MEMORY_HOST, capture_stride * MAX (m->n_capture_layers, 1), "attention capture");
  ITEM (t->inputs, LB_VK_MEMORY_HOST, t->query_info_offset + B * 8, "step inputs");
  ITEM (t->logprob_io, LB_VK_MEMORY_HOST, t->logprob_out_offset + B * 4, "log-probabilities");
  ITEM (t->logprob_h, LB_VK_MEMORY_DEVICE, (VkDeviceSize) m->logprob_rows * E * 4, "scored rows");
  ITEM (t->logprob_logits, LB_VK_MEMORY_DEVICE, (VkDeviceSize) m->logprob_rows * c->n_vocab * 4,
        "scored logits");
  ITEM (t->logprob_scratch, LB_VK_MEMORY_DEVICE, lb_vk_logprob_scratch_bytes (c->n_vocab, m->logprob_rows),
        "logprob scratch");
  if (m->has_vision)
    {
      const LbVisionConfig *v = &m->vision;
      VkDeviceSize N = (VkDeviceSize) v->n_patches_side * v->n_patches_side, VE = v->n_embd;
      VkDeviceSize PP = 3 * (VkDeviceSize) v->patch_size * v->patch_size;

      vs->k_offset = vk_align (N * VE * 4, m->align);
      vs->v_offset = 2 * vs->k_offset;
      vs->v16_offset = vk_align (N * VE * 2, m->align);
      ITEM (vs->pixels, LB_VK_MEMORY_HOST, 3 * (VkDeviceSize) v->image_size * v->image_size * 4, "vision pixels");
      if (m->patch_w.type != LB_TENSOR_F32 && m->patch_w.type != LB_TENSOR_F16)
        ITEM (vs->patches, LB_VK_MEMORY_HOST, N * PP * 4, "vision patches");
      ITEM (vs->x, LB_VK_MEMORY_DEVICE, N * VE * 4, "vision x");
      ITEM (vs->h, LB_VK_MEMORY_DEVICE, N * VE * 4, "vision h");
      ITEM (vs->qkv, LB_VK_MEMORY_DEVICE, 3 * vs->k_offset, "vision qkv");
      ITEM (vs->kv16, LB_VK_MEMORY_DEVICE, 2 * vs->v16_offset, "vision kv");
      ITEM (vs->slots, LB_VK_MEMORY_DEVICE, 2 * vk_align (N * 4, m->align), "vision slots");
      ITEM (vs->positions, LB_VK_MEMORY_DEVICE, N * 4, "vision positions");
      ITEM (vs->attn, LB_VK_MEMORY_DEVICE, N * VE * 4, "vision attention");
      ITEM (vs->up, LB_VK_MEMORY_DEVICE, N * v->n_ff * 4, "vision ffn");
      ITEM (vs->pooled, LB_VK_MEMORY_DEVICE, T * VE * 4, "vision pooled");
      ITEM (vs->normed, LB_VK_MEMORY_DEVICE, T * VE * 4, "vision normed");
    }
#undef ITEM

  for (guint i = 0; i < items->len; i++)
    {
      ScratchItem *item = &g_array_index (items, ScratchItem, i);
      total += vk_align (MAX (item->size, 16), m->align);
      if (allocate)
        {
          *item->buffer = lb_vk_engine_buffer (m, item->kind, item->size, item->name, error);
          if (*item->buffer == NULL)
            {
              total = 0;
              break;
            }
        }
    }
  g_array_unref (items);
  return total;
}

static void
free_scratch (LbBackendModel *m)
{
  LbVkBuffer **buffers[] = {
    &m->ts.x, &m->ts.h, &m->ts.qkv, &m->ts.attn, &m->ts.o, &m->ts.ffn, &m->ts.h_last, &m->ts.logits,
    &m->ts.attention_scratch, &m->ts.capture, &m->ts.inputs, &m->ts.topk_scratch, &m->ts.sample,
    &m->ts.logprob_io, &m->ts.logprob_h, &m->ts.logprob_logits, &m->ts.logprob_scratch,
    &m->vs.pixels, &m->vs.patches, &m->vs.x, &m->vs.h, &m->vs.qkv, &m->vs.kv16, &m->vs.slots, &m->vs.positions,
    &m->vs.attn, &m->vs.up, &m->vs.pooled, &m->vs.normed,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (buffers); i++)
    g_clear_pointer (buffers[i], lb_vk_buffer_free);
}

/* Bytes of one session's KV cache. */
static guint64
kv_bytes (LbBackendModel *m, guint32 capacity)
{
  const LbTextConfig *c = &m->text;
  guint64 total = 0;

  for (guint l = 0; l < c->n_layer; l++)
    {
      guint32 cap = lb_text_layer_is_global (c, l) ? capacity : MIN (m->ring, capacity);
      guint64 half = vk_align ((guint64) c->n_head_kv * cap * c->head_dim * 2, m->align);
      total += 2 * half + vk_align ((guint64) cap * 4, m->align);
    }
  return total;
}

/* ---- the model ---------------------------------------------------------------------- */

void
lb_vk_engine_free_model (LbBackendModel *m)
{
  if (m == NULL)
    return;
  if (m->ctx != NULL)
    lb_vk_context_wait_idle (m->ctx, NULL);
  g_clear_pointer (&m->cmds, lb_vk_commands_free);
  free_scratch (m);
  if (m->buffers != NULL)
    g_ptr_array_unref (m->buffers);
  g_free (m->layers);
  g_free (m->vlayers);
  g_free (m->capture_layers);
  g_free (m->capture_index);
  g_clear_pointer (&m->ctx, lb_vk_context_free);
  g_free (m);
}

static char *
format_gb (guint64 bytes)
{
  return g_strdup_printf ("%.1f GB", bytes / 1e9);
}

/* Builds the pipelines of every pass the user will run (DESIGN §6: no
 * compilation in the user's path) by recording them once: the decode
 * step, prefill batches of the sizes whose kernels differ, an image, the
 * vision encoder. The pipeline cache on disk makes later loads cheap. */
static gboolean
warm_up (LbBackendModel *m, GError **error)
{
  static const guint32 sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128, 256, 512 };
  guint32 T = m->has_vision ? m->vision.n_image_tokens : 0;
  LbBackendState *s = lb_vk_engine_new_state (m, MIN (m->context_length, m->batch), error);
  g_autoptr(LbVkBuffer) embeddings = NULL;
  gboolean ok = s != NULL;
  double t0 = g_get_monotonic_time ();
  guint n_before = lb_vk_pipeline_count (m->ctx);

  for (gsize i = 0; ok && i <= G_N_ELEMENTS (sizes) + 1; i++)
    {
      guint32 n = i < G_N_ELEMENTS (sizes) ? sizes[i] : i == G_N_ELEMENTS (sizes) ? m->prefill_batch : T;
      VkTextPass pass = {
        .n = MIN (n, m->batch), .embed = TRUE, .layer_begin = 0, .layer_end = m->text.n_layer,
        .logits = TRUE, .kv_bound = s->capacity, .span_first = 0, .span_n = MIN (T, s->capacity),
      };
      if (n == 0 || n > m->batch)
        continue;
      ok = lb_vk_commands_begin (m->cmds, error) && lb_vk_text_record (m, s, m->cmds, &pass, error) &&
           lb_vk_commands_end (m->cmds, error);
    }
  for (gsize i = 0; ok && i < G_N_ELEMENTS (lb_vk_candidate_counts); i++)
    ok = lb_vk_commands_begin (m->cmds, error) &&
         lb_vk_text_record_candidates (m, m->cmds, lb_vk_candidate_counts[i], error) &&
         lb_vk_commands_end (m->cmds, error);
  ok = ok && lb_vk_logprob_warm_up (m, error);
  if (ok && m->has_vision)
    {
      embeddings = lb_vk_engine_buffer (m, LB_VK_MEMORY_DEVICE, (VkDeviceSize) T * m->text.n_embd * 4,
                                        "warm-up embeddings", error);
      ok = embeddings != NULL && lb_vk_vision_warm_up (m, embeddings, error);
    }
  lb_vk_engine_free_state (s);
  g_debug ("warm-up: %u pipelines built in %.0f ms", lb_vk_pipeline_count (m->ctx) - n_before,
           (g_get_monotonic_time () - t0) / 1000.0);
  /* From now on a pipeline built in the user's path is a bug: it warns. */
  if (ok)
    lb_vk_pipelines_seal (m->ctx);
  return ok;
}

LbBackendModel *
lb_vk_engine_load (const LbBackendLoadArgs *args, LbEngineModelInfo *info, GError **error)
{
  LbBackendModel *m = g_new0 (LbBackendModel, 1);
  Planner planner = { m, g_ptr_array_new_with_free_func (group_free), NULL, 0 };
  guint64 budget = 0, usage = 0, need, done = 0;
  const LbTextConfig *c;
  gboolean ok = FALSE;
  gint64 t_start = g_get_monotonic_time ();

  m->ctx = lb_vk_context_new_for_device (args->device, error);
  if (m->ctx == NULL)
    {
      lb_vk_engine_map_error (error);
      goto out;
    }
  m->align = MAX (m->ctx->info.min_storage_buffer_offset_alignment, 16);
  m->profile = g_getenv ("LIGHTBOX_ENGINE_PROFILE") != NULL;

  m->text = *args->text;
  c = &m->text;
  m->has_vision = args->vision != NULL;
  if (m->has_vision)
    m->vision = *args->vision;
  m->context_length = args->context_length;
  m->prefill_batch = MAX (args->batch_size, 1);
  m->batch = MAX (m->prefill_batch, m->has_vision ? m->vision.n_image_tokens : 1);
  /* A ring must hold the window behind the first query of a batch and the
   * whole batch (an image included). */
  m->ring = MIN (c->sliding_window + m->batch, m->context_length);
  m->logprob_rows = lb_vk_logprob_rows (c->n_vocab);
  m->layers = g_new0 (VkTextLayer, c->n_layer);
  m->capture_layers = g_new0 (guint32, c->n_layer);
  m->capture_index = g_new (gint32, c->n_layer);
  for (guint l = 0; l < c->n_layer; l++)
    {
      m->layers[l].global = lb_text_layer_is_global (c, l);
      m->layers[l].kv_capacity = m->layers[l].global ? m->context_length : m->ring;
      m->capture_index[l] = -1;
      if (m->layers[l].global)
        {
          m->capture_index[l] = (gint32) m->n_capture_layers;
          m->capture_layers[m->n_capture_layers++] = l;
        }
    }
  if (m->has_vision)
    m->vlayers = g_new0 (VkVisionLayer, m->vision.n_layer);

  if (!plan_text (&planner, args->text_gguf, error) ||
      (m->has_vision && !plan_vision (&planner, args->vision_gguf, error)))
    goto out;

  /* Does it fit? Weights, one conversation's KV cache, scratch. */
  need = 0;
  for (guint i = 0; i < planner.groups->len; i++)
    need += ((Group *) g_ptr_array_index (planner.groups, i))->size;
  m->weight_bytes = need;
  need += kv_bytes (m, m->context_length) + scratch (m, FALSE, NULL);
  lb_vk_context_memory_budget (m->ctx, &budget, &usage);
  if (need > budget)
    {
      g_autofree char *need_text = format_gb (need);
      g_autofree char *free_text = format_gb (budget);
      g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_OUT_OF_MEMORY,
                   "%s needs %s of GPU memory, %s free on %s", lb_gguf_name (args->text_gguf),
                   need_text, free_text, m->ctx->info.name);
      goto out;
    }

  /* Upload, a tensor at a time, with progress and cancellation. */
  m->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_vk_buffer_free);
  if (args->progress != NULL)
    args->progress (0, planner.total, args->progress_data);
  for (guint i = 0; i < planner.groups->len; i++)
    {
      Group *g = g_ptr_array_index (planner.groups, i);
      LbVkBuffer *buffer = lb_vk_engine_buffer (m, LB_VK_MEMORY_DEVICE, g->size, g->name, error);

      if (buffer == NULL)
        {
          lb_vk_engine_map_error (error);
          goto out;
        }
      g_ptr_array_add (m->buffers, buffer);
      for (guint j = 0; j < g->uploads->len; j++)
        {
          Upload *u = &g_array_index (g->uploads, Upload, j);

          if (lb_backend_check_cancel (args->cancellable, error))
            goto out;
          u->dst->buffer = buffer;
          if (!upload_tensor (u, error))
            {
              lb_vk_engine_map_error (error);
              goto out;
            }
          done += u->dst->size;
          if (args->progress != NULL)
            args->progress (done, planner.total, args->progress_data);
        }
    }
  if (c->tied_output)
    m->output = m->token_embd;

  if (scratch (m, TRUE, error) == 0)
    {
      lb_vk_engine_map_error (error);
      goto out;
    }
  m->cmds = lb_vk_commands_new (m->ctx, error);
  if (m->cmds == NULL)
    {
      lb_vk_engine_map_error (error);
      goto out;
    }

  g_debug ("load: %.0f ms to upload %.1f MB", (g_get_monotonic_time () - t_start) / 1000.0, planner.total / 1e6);
  info->self_test_ran = FALSE;
  if (!args->skip_self_test)
    {
      if (lb_backend_check_cancel (args->cancellable, error) ||
          !lb_vk_self_test (m, args->text_gguf, args->vision_gguf, &info->self_test_max_error, error))
        {
          lb_vk_engine_map_error (error);
          goto out;
        }
      info->self_test_ran = TRUE;
      g_debug ("load: self-test done at %.0f ms", (g_get_monotonic_time () - t_start) / 1000.0);
    }

  /* CPU devices (lavapipe) compile on first use at about the same cost,
   * and tests load many models: no warm-up there unless asked for. */
  if ((m->ctx->info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || g_getenv ("LIGHTBOX_ENGINE_WARM_UP") != NULL) &&
      !warm_up (m, error))
    {
      lb_vk_engine_map_error (error);
      goto out;
    }

  info->backend = LB_ENGINE_BACKEND_VULKAN;
  info->device_name = m->ctx->info.name;
  info->weight_bytes = m->weight_bytes;
  info->device_bytes = lb_vk_allocated_bytes (m->ctx);
  ok = TRUE;

out:
  g_ptr_array_unref (planner.groups);
  if (!ok)
    {
      lb_vk_engine_free_model (m);
      return NULL;
    }
  return m;
}
