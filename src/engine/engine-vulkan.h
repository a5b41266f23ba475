/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Vulkan backend's internals, shared by its files:
 *   engine-vulkan.c         sessions (KV caches), images, prefill, outputs, decode, the vtable
 *   engine-vulkan-load.c    loading: the weights' layout, memory check, upload, scratch, warm-up
 *   engine-vulkan-text.c    recording the Gemma 3 text layers and the logits
 *   engine-vulkan-vision.c  the SigLIP encoder and the projector
 *   engine-vulkan-logprob.c log-probabilities of forced tokens on the device
 *   engine-self-test.c      the load-time check against the CPU reference
 *
 * Shapes: E = embedding width, H/KV = query/key-value heads, D = head
 * width, F = feed-forward width, V = vocabulary, B = rows of the prefill
 * scratch (max of the batch size and an image's positions), C = context
 * positions, R = ring slots of a sliding-window layer (window + B, at most
 * C). Vision: N = patches, VE = width, VF = feed-forward width, T = image
 * positions.
 *
 * Threading: the engine's worker thread, which owns the LbVkContext.
 */
#pragma once

#include "engine/engine-backend.h"
#include "vk/vk-commands.h"
#include "vk/vk-context.h"
#include "vk/vk-memory.h"

G_BEGIN_DECLS

/* A weight on the device: a range of a buffer that holds several. */
typedef struct {
  LbVkBuffer *buffer;
  VkDeviceSize offset;
  VkDeviceSize size;
  LbTensorType type;        /* as stored on the device */
  guint32 cols;             /* ne[0] */
  guint32 rows;             /* product of the other dims */
} VkTensor;

static inline LbVkBinding
vk_tensor_bind (const VkTensor *t)
{
  return lb_vk_bind_range (t->buffer, t->offset, t->size);
}

typedef struct {
  VkTensor attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffw_norm; /* [E] or [D] f32 */
  VkTensor q, k, v;           /* [H*D][E], [KV*D][E], [KV*D][E] */
  VkTensor o;                 /* [E][H*D] */
  VkTensor gate, up;          /* [F][E] */
  VkTensor down;              /* [E][F] */
  gboolean global;
  guint32 kv_capacity;        /* C for global layers, R for sliding-window ones */
} VkTextLayer;

typedef struct {
  VkTensor ln1_w, ln1_b, ln2_w, ln2_b;        /* [VE] f32 */
  VkTensor q, k, v, o;                        /* [VE][VE] */
  VkTensor q_b, k_b, v_b, o_b;                /* [VE] f32 */
  VkTensor up, up_b;                          /* [VF][VE], [VF] */
  VkTensor down, down_b;                      /* [VE][VF], [VE] */
} VkVisionLayer;

/* Scratch of the text forward, shared by every session of the model
 * (the worker runs one thing at a time). */
typedef struct {
  LbVkBuffer *x;              /* [B][E] the residual stream */
  LbVkBuffer *h;              /* [B][E] the next block's normalized input */
  LbVkBuffer *qkv;            /* q [B][H*D] at 0, k [B][KV*D] at k_offset, v at v_offset */
  VkDeviceSize k_offset, v_offset;
  LbVkBuffer *attn;           /* [B][H*D] attention output */
  LbVkBuffer *o;              /* [B][E] a block's output before its norm */
  LbVkBuffer *ffn;            /* gate [B][F] at 0, up [B][F] at up_offset */
  VkDeviceSize up_offset;
  LbVkBuffer *h_last;         /* [E] the last row of h, when its offset is not aligned */
  LbVkBuffer *logits;         /* [V] f32 */
  LbVkBuffer *topk_scratch;   /* the top-K reduction's partials */
  LbVkBuffer *sample;         /* host-visible: top ids [K] u32 at 0, their logits [K] f32 at sample_values_offset */
  VkDeviceSize sample_values_offset;
  LbVkBuffer *attention_scratch; /* split-key attention partials */
  LbVkBuffer *capture;        /* [n_capture][B][H][T] f32 attention weights, host-visible */
  LbVkBuffer *inputs;         /* host-visible: ids [B] u32, positions [B] i32, query_info [B][2] i32 */
  VkDeviceSize positions_offset, query_info_offset;
  /* Log-probabilities (engine-vulkan-logprob.c), LR = logprob_rows: */
  LbVkBuffer *logprob_io;     /* host-visible: targets [B] u32 at 0, log-probabilities [B] f32 at logprob_out_offset */
  VkDeviceSize logprob_out_offset;
  LbVkBuffer *logprob_h;      /* [LR][E] the scored rows of h */
  LbVkBuffer *logprob_logits; /* [LR][V] f32 their logits */
  LbVkBuffer *logprob_scratch;/* the logsumexp partials */
} VkTextScratch;

typedef struct {
  LbVkBuffer *pixels;         /* [3][S][S] f32 normalized (host-visible) */
  LbVkBuffer *patches;        /* [N][3*P*P] f32 im2col of the pixels, when the patch weights are
                               * of a type the patch-embedding kernel does not read */
  LbVkBuffer *x;              /* [N][VE] */
  LbVkBuffer *h;              /* [N][VE] */
  LbVkBuffer *qkv;            /* q, k, v [N][VE] each, at 0, k_offset, v_offset */
  VkDeviceSize k_offset, v_offset;
  LbVkBuffer *kv16;           /* K then V as F16 [N][VE] each, at 0 and v16_offset */
  VkDeviceSize v16_offset;
  LbVkBuffer *slots;          /* [N] i32 positions written by kv_store */
  LbVkBuffer *positions;      /* [N] i32 = 0 … N-1 */
  LbVkBuffer *attn;           /* [N][VE] */
  LbVkBuffer *up;             /* [N][VF] */
  LbVkBuffer *pooled;         /* [T][VE] */
  LbVkBuffer *normed;         /* [T][VE] */
} VkVisionScratch;

struct _LbBackendModel {
  LbVkContext *ctx;
  LbTextConfig text;
  LbVisionConfig vision;
  gboolean has_vision;
  guint32 context_length;     /* C */
  guint32 batch;              /* B */
  guint32 prefill_batch;      /* positions per prefill submit (<= B) */
  guint32 logprob_rows;       /* LR: scored rows whose logits are computed at once */
  guint32 ring;               /* R */
  guint32 n_capture_layers;   /* global layers: where attention is captured */
  guint32 *capture_layers;
  gint32 *capture_index;      /* [L]: index into capture_layers, or -1 */
  VkDeviceSize align;         /* storage-buffer offset alignment */

  /* Text weights. */
  GPtrArray *buffers;         /* LbVkBuffer*: every weight buffer */
  VkTensor token_embd;        /* [V][E] */
  VkTensor output;            /* [V][E]: token_embd when tied */
  VkTensor output_norm;       /* [E] */
  VkTextLayer *layers;        /* [L] */
  guint64 weight_bytes;

  /* Vision weights. */
  VkTensor patch_w;           /* [VE][3*P*P] */
  VkTensor patch_b;           /* [VE] */
  VkTensor position;          /* [N][VE] f32 */
  VkTensor post_ln_w, post_ln_b;  /* [VE] */
  VkTensor soft_emb_norm;     /* [VE] */
  VkTensor projection;        /* [E][VE] f32: transposed at load */
  VkVisionLayer *vlayers;

  VkTextScratch ts;
  VkVisionScratch vs;
  LbVkCommands *cmds;         /* prefill, vision, everything but decode */
  gboolean profile;           /* LIGHTBOX_ENGINE_PROFILE: timestamps per operation, printed */
  guint64 peak_bytes;
};

struct _LbBackendImage {
  LbBackendModel *model;
  LbVkBuffer *embeddings;     /* [T][E] f32 */
  guint32 n;                  /* T */
};

/* One layer's KV cache: K [KV][cap][D] f16, V likewise, slot positions [cap] i32. */
typedef struct {
  LbVkBuffer *buffer;
  VkDeviceSize v_offset, slots_offset;
  guint32 capacity;
} VkKvCache;

struct _LbBackendState {
  LbBackendModel *model;
  guint32 capacity;           /* C */
  VkKvCache *kv;              /* [L] */
  guint32 n_past;
  guint32 high_water;         /* one past the highest position ever stored since the last reset */
  /* The last image's positions (for capture); n = 0: none. */
  guint32 image_first, image_n;
  gboolean capture;           /* record attention capture for the last position */
  /* The decode step, recorded once per key bound (re-recorded as the
   * context grows past it) and capture setting. */
  LbVkCommands *decode;
  guint32 decode_bound;
  gboolean decode_capture;
  guint32 decode_image_first, decode_image_n;
  guint32 decode_candidates;
  gboolean decode_logprob;
  guint32 candidates;         /* how many the last run left in the sample buffer */
  /* Attention weights of the last position are in the capture buffer at
   * this query row (prefill) or row 0 (decode); -1: none. */
  gint32 capture_row;
  guint32 capture_rows;       /* rows the capture buffer was recorded with */
};

/* Recording the text forward of n positions (engine-vulkan-text.c). The
 * inputs buffer already holds ids (or x holds embeddings), positions and
 * query info for the n rows. */
typedef struct {
  guint32 n;                  /* positions in this batch (<= B) */
  gboolean embed;             /* look the ids up in token_embd (else x is filled) */
  guint32 layer_begin, layer_end;
  gboolean logits;            /* compute the logits of the last row after the last layer */
  guint32 kv_bound;           /* slots the attention scans: min(bound, capacity) per layer */
  /* Capture the attention over [span_first, span_first + span_n) into the
   * capture buffer for all n rows; span_n = 0: none. */
  guint32 span_first, span_n;
  /* After the logits: the top n_candidates into the sample buffer (0: none;
   * the decode step records max (1, wanted)). */
  guint32 n_candidates;
  /* After the logits: the log-probability of the token in the logprob
   * buffer's target slot 0 into its result slot 0. */
  gboolean logprob;
  /* Teacher forcing: after the last layer, log-probabilities under the
   * logits of rows [score_row, score_row + score_n) of this batch, row
   * score_row + j with the target and result slot j of the logprob
   * buffer (no other logits needed); score_n = 0: none. */
  guint32 score_row, score_n;
} VkTextPass;

/* Records the top k (1: the argmax) of the logits into the sample buffer. */
gboolean lb_vk_text_record_candidates (LbBackendModel *m, LbVkCommands *cmds, guint32 k, GError **error);

/* Log-probabilities on the device (engine-vulkan-logprob.c). */
/* LR for a vocabulary: up to 32 rows, their logits at most 64 MB. */
guint32 lb_vk_logprob_rows (guint32 n_vocab);
/* The last row's logits (the logits buffer) and target slot 0 → result slot 0. */
gboolean lb_vk_text_record_logprob (LbBackendModel *m, LbVkCommands *cmds, GError **error);
/* VkTextPass.score_row/score_n: h rows → logits in chunks of LR → results. */
gboolean lb_vk_text_record_scored (LbBackendModel *m, LbVkCommands *cmds, guint32 row, guint32 n,
                                   GError **error);
/* Builds the pipelines of both at load (warm-up). */
gboolean lb_vk_logprob_warm_up (LbBackendModel *m, GError **error);
/* LbBackend.prefill_scored. */
gboolean lb_vk_prefill_scored (LbBackendState *s, const gint32 *tokens, guint n, const gint32 *targets,
                               guint n_targets, float *logprobs, GCancellable *cancellable, GError **error);

/* Shared by the backend's files (engine-vulkan.c). */
void lb_vk_engine_map_error (GError **error);
/* The numbers of candidates the GPU reduces the logits to (the decode step
 * and the warm-up record one of each). */
extern const guint32 lb_vk_candidate_counts[4];
/* LbBackend.new_state and .free_state (the warm-up uses them too). */
LbBackendState *lb_vk_engine_new_state (LbBackendModel *m, guint capacity, GError **error);
void lb_vk_engine_free_state (LbBackendState *s);
/* Runs n positions (inputs written) through all layers, in a few submits
 * so that a cancel is seen between groups of layers; logits: those of the
 * last row after the last layer; score_row/score_n: see VkTextPass. */
gboolean lb_vk_engine_run_positions (LbBackendState *s, guint32 n, gboolean embed, guint32 span_first,
                                     guint32 span_n, gboolean logits, guint32 score_row, guint32 score_n,
                                     GCancellable *cancellable, GError **error);
gboolean lb_vk_engine_check_room (LbBackendState *s, guint32 n, GError **error);
void lb_vk_engine_advance (LbBackendState *s, guint32 n);

/* One product of a group that reads the same activations. */
typedef struct {
  const VkTensor *weight;
  LbVkBinding out;
  guint32 out_stride;
  const VkTensor *bias;       /* NULL: none */
} MatmulTarget;

/* y_i = W_i x for weights reading the same x: grouped by type into fused
 * matmuls of up to three parts (one dispatch each when their buffers
 * allow, vk-matmul.h), with no barrier between the groups. */
gboolean lb_vk_matmul_targets (LbVkCommands *cmds, LbVkBinding x, guint32 n, guint32 cols,
                               const MatmulTarget *targets, guint n_targets, GError **error);

gboolean lb_vk_text_record (LbBackendModel *m, LbBackendState *s, LbVkCommands *cmds,
                            const VkTextPass *pass, GError **error);

/* Writes ids (may be NULL), positions p0 … p0+n-1 and their query info
 * (an image span [span_begin, span_end) when span_end > span_begin) into
 * the inputs buffer. */
void lb_vk_text_write_inputs (LbBackendModel *m, const gint32 *ids, guint32 n, guint32 p0,
                              guint32 span_begin, guint32 span_end);

/* Vision (engine-vulkan-vision.c): pixels [3][S][S] → embeddings [T][E]. */
gboolean lb_vk_vision_encode (LbBackendModel *m, const float *pixels, LbVkBuffer *embeddings,
                              GCancellable *cancellable, GError **error);

/* Records the encoder without running it (builds its pipelines). */
gboolean lb_vk_vision_warm_up (LbBackendModel *m, LbVkBuffer *embeddings, GError **error);

/* One encoder block over the first N rows of the vision scratch x. */
gboolean lb_vk_vision_record_block (LbBackendModel *m, LbVkCommands *cmds, const VkVisionLayer *L,
                                    guint32 N, GError **error);

/* A GPU timestamp before each operation when profiling (LIGHTBOX_ENGINE_PROFILE). */
static inline gboolean
vk_phase (LbBackendModel *m, LbVkCommands *cmds, const char *name)
{
  if (m->profile)
    lb_vk_commands_phase (cmds, name);
  return TRUE;
}

/* LbBackend.load and .free_model (engine-vulkan-load.c). */
LbBackendModel *lb_vk_engine_load (const LbBackendLoadArgs *args, LbEngineModelInfo *info, GError **error);
void lb_vk_engine_free_model (LbBackendModel *m);

/* Allocation helpers (engine-vulkan.c). */
LbVkBuffer *lb_vk_engine_buffer (LbBackendModel *m, LbVkMemoryKind kind, VkDeviceSize size,
                                 const char *name, GError **error);
static inline VkDeviceSize
vk_align (VkDeviceSize value, VkDeviceSize alignment)
{
  return (value + alignment - 1) / alignment * alignment;
}

/* The self-test (engine-self-test.c): the first text layer (and the
 * first vision block) on the device against src/ref on a small input.
 * Returns FALSE with LB_ENGINE_ERROR_SELF_TEST when they disagree. */
gboolean lb_vk_self_test (LbBackendModel *m, const LbGguf *text_gguf, const LbGguf *vision_gguf,
                          double *out_max_error, GError **error);

G_END_DECLS
