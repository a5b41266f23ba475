/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Random model pairs for tests and benchmarks: a Gemma 3 text GGUF and a
 * SigLIP + Gemma 3 projector mmproj GGUF in the llama.cpp conventions of
 * DESIGN §4 (keys, tensor names, shapes, norm weights with the "+1"
 * already added, a tokenizer), with random weights of any shape and type.
 * Their general.name starts with LB_RANDOM_MODEL_NAME_PREFIX: the app must
 * never present their output as MedGemma's.
 *
 * The weights are a function of the seed and the tensor's name only, so
 * the same seed in two types gives the same model, quantized differently.
 * Tensor data is generated, quantized and written a slice at a time: the
 * 4B shapes (~2.5 GB at Q4_K_M) never sit in memory.
 */
#pragma once

#include <glib.h>

#include "model/tensor-type.h"

G_BEGIN_DECLS

#define LB_RANDOM_MODEL_NAME_PREFIX "Lightbox random test model"

typedef struct {
  /* Text model (DESIGN §4 names). */
  guint32 n_vocab;          /* synthesized vocabulary size; ignored with vocab_path */
  guint32 n_ctx;
  guint32 n_embd;           /* E */
  guint32 n_layer;
  guint32 n_ff;
  guint32 n_head;           /* H */
  guint32 n_head_kv;        /* KV */
  guint32 head_dim;         /* D */
  guint32 sliding_window;
  guint32 sliding_window_pattern; /* written only when not 6 (the default) */
  float rope_base;
  float rope_base_swa;      /* written only when not 10000 (the default) */
  float rope_scale;         /* linear, global layers */
  float final_logit_softcap;/* 0: key not written */
  float rms_eps;
  gboolean tied_output;     /* no output.weight */

  /* Vision encoder + projector. */
  guint32 image_size;
  guint32 patch_size;
  guint32 v_embd;           /* VE */
  guint32 v_ff;
  guint32 v_layer;
  guint32 v_head;
  guint32 pool;             /* average-pooling kernel; (image/patch) % pool == 0 */
  float v_eps;

  /* Files. */
  LbTensorType type;        /* matrices of the text model */
  gboolean k_mix;           /* llama.cpp's _M mix: Q6_K for the output/embedding and
                             * for attn_v and ffn_down of some layers (type Q4_K or Q5_K) */
  LbTensorType mmproj_type; /* matrices of the projector */
  guint64 seed;
  char *vocab_path;         /* copy the tokenizer of this GGUF; NULL: synthesize one */
  char *preset;             /* for general.name */
} LbRandomModelSpec;

/* Fills spec with a preset: "tiny" (E=128, 6 layers, 16 image tokens),
 * "small" (E=256, 12 layers, two global, separate output) or
 * "medgemma-4b" (the real shapes, Q4_K_M). FALSE for an unknown name. */
gboolean lb_random_model_spec_init (LbRandomModelSpec *spec, const char *preset, GError **error);
void lb_random_model_spec_clear (LbRandomModelSpec *spec);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LbRandomModelSpec, lb_random_model_spec_clear)

/* Applies "key=value,key=value…" overrides: vocab, ctx, embd, layers, ff,
 * heads, kv-heads, head-dim, window, pattern, rope-base, rope-base-swa,
 * rope-scale, softcap, tied (0/1), image, patch, v-embd, v-ff, v-layers,
 * v-heads, pool. */
gboolean lb_random_model_spec_parse_shape (LbRandomModelSpec *spec, const char *shape, GError **error);

/* Parses a file type: a tensor type name (f32, f16, bf16, q8_0, q4_0, q4_1,
 * q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k) or a mix (q4_k_m, q5_k_m). */
gboolean lb_random_model_parse_type (const char *name, LbTensorType *out_type, gboolean *out_k_mix,
                                     GError **error);

/* Checks the shapes fit together (heads divide, pool divides the grid…). */
gboolean lb_random_model_spec_check (const LbRandomModelSpec *spec, GError **error);

/* Writes text_path and mmproj_path (either may be NULL to skip it). */
gboolean lb_random_model_write (const LbRandomModelSpec *spec, const char *text_path,
                                const char *mmproj_path, GError **error);

G_END_DECLS
