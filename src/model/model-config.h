/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hyper-parameters of the two model files Lightbox uses (DESIGN §4): the
 * Gemma 3 text model (architecture "gemma3") and the SigLIP vision
 * projector (architecture "clip", clip.projector_type "gemma3"). Loading a
 * config also checks that every tensor the model needs is present with the
 * right shape and a readable type, so that later code can trust the file.
 */
#pragma once

#include "model/gguf.h"

G_BEGIN_DECLS

typedef struct {
  guint32 n_vocab;          /* rows of token_embd */
  guint32 n_ctx;            /* gemma3.context_length */
  guint32 n_embd;           /* E */
  guint32 n_layer;
  guint32 n_ff;             /* feed-forward width */
  guint32 n_head;           /* H */
  guint32 n_head_kv;        /* KV */
  guint32 head_dim;         /* D (key_length; value_length must equal it) */
  float rms_eps;
  float rope_base;          /* global layers */
  float rope_base_swa;      /* local (sliding-window) layers */
  float rope_scale;         /* linear factor, global layers only (1 = none) */
  guint32 sliding_window;
  guint32 sliding_window_pattern; /* layer l is global when l % pattern == pattern - 1 */
  float final_logit_softcap;      /* 0 = none */
  float attn_scale;         /* 1/sqrt(D), or 1/sqrt(E/H) for 27B */
  gboolean tied_output;     /* no output.weight: logits use token_embd */
} LbTextConfig;

typedef struct {
  guint32 image_size;       /* input square side in pixels (896) */
  guint32 patch_size;       /* P (14) */
  guint32 n_embd;           /* VE (1152) */
  guint32 n_ff;             /* 4304 */
  guint32 n_layer;          /* 27 */
  guint32 n_head;           /* 16 */
  float layer_norm_eps;
  float image_mean[3];
  float image_std[3];
  guint32 projection_dim;   /* E of the text model */
  guint32 pool;             /* average-pooling kernel (4) */
  guint32 n_patches_side;   /* image_size / patch_size (64) */
  guint32 n_image_tokens;   /* (n_patches_side / pool)^2 (256) */
} LbVisionConfig;

/* Reads and checks a text model. Errors: another architecture
 * ("this is a llama model, Lightbox needs Gemma 3"), missing keys or
 * tensors, wrong shapes, unreadable tensor types. */
gboolean lb_text_config_load (const LbGguf *gguf, LbTextConfig *config, GError **error);
gboolean lb_text_layer_is_global (const LbTextConfig *config, guint layer);

gboolean lb_vision_config_load (const LbGguf *gguf, LbVisionConfig *config, GError **error);

/* Checks that a projector fits a text model (projection_dim == n_embd). */
gboolean lb_vision_config_matches_text (const LbVisionConfig *vision, const LbTextConfig *text,
                                        const char *vision_name, GError **error);

G_END_DECLS
