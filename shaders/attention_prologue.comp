#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// A text layer's attention prologue in one dispatch (src/vk/vk-ops-rope.h):
// per-head RMS norm with weight and NEOX rope of q (in place) and of k, and
// the stores of k and v into the F16 KV cache at slot = position % capacity.
// One workgroup per head row; of the n_tok * (n_heads + 2 * n_kv_heads)
// rows, the row index picks the role:
//   [0, nq)              q rows (token t, head h): norm, rope, back into q
//   [nq, nq + nkv)       k rows: norm, rope, into the K cache; kv head 0
//                        records the slot's position for the attention mask
//   [nq + nkv, nq + 2nkv) v rows: into the V cache
// The role is the same for a whole workgroup, so the reduction's barriers
// stay in uniform control flow. Each invocation rewrites only q elements
// it read after the reduction's barrier, so q in place is safe.
#include "common.glsl"
#include "reduce.glsl"
#include "rope.glsl"

// Eight bindings (the pipeline limit): k and v share one.
layout(std430, binding = 0) buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer KV { float kv[]; };
layout(std430, binding = 2) readonly buffer QW { float q_w[]; };
layout(std430, binding = 3) readonly buffer KW { float k_w[]; };
layout(std430, binding = 4) readonly buffer Pos { int positions[]; };
layout(std430, binding = 5) writeonly buffer CacheK { float16_t cache_k[]; };
layout(std430, binding = 6) writeonly buffer CacheV { float16_t cache_v[]; };
layout(std430, binding = 7) writeonly buffer SlotPos { int slot_pos[]; };

layout(push_constant) uniform Push {
  uint n_tok, n_heads, n_kv_heads, head_dim;
  uint capacity;
  uint v_offset;          // floats: where v starts in kv[] (k starts at 0)
  float eps;
  float rope_log2_base;   // log2 of the frequency base
  float rope_scale;       // position multiplier: 1 / linear scaling factor
} p;

void main()
{
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  const uint nq = p.n_tok * p.n_heads, nkv = p.n_tok * p.n_kv_heads;
  const uint D = p.head_dim, half_d = p.head_dim / 2u;
  if (row >= nq + 2u * nkv)
    return;  // uniform per workgroup

  if (row >= nq + nkv) {
    const uint r = row - nq - nkv;
    const uint slot = uint(positions[r / p.n_kv_heads]) % p.capacity;
    const uint dst = ((r % p.n_kv_heads) * p.capacity + slot) * D;
    for (uint i = tid; i < D; i += WG_SIZE)
      cache_v[dst + i] = float16_t(kv[p.v_offset + r * D + i]);
    return;
  }

  const bool is_q = row < nq;
  const uint r = is_q ? row : row - nq;
  const uint heads = is_q ? p.n_heads : p.n_kv_heads;
  const int pos = positions[r / heads];
  const uint xo = r * D;

  float ss = 0.0;
  for (uint i = tid; i < D; i += WG_SIZE) {
    const float x = is_q ? q[xo + i] : kv[xo + i];
    ss += x * x;
  }
  ss = lb_workgroup_sum(ss);
  const float inv = inversesqrt(ss / float(D) + p.eps);

  const float fpos = float(pos) * p.rope_scale;
  const uint slot = uint(pos) % p.capacity;
  const uint dst = ((r % heads) * p.capacity + slot) * D;
  for (uint i = tid; i < half_d; i += WG_SIZE) {
    float v0, v1;
    if (is_q) {
      v0 = q[xo + i] * inv * q_w[i];
      v1 = q[xo + i + half_d] * inv * q_w[i + half_d];
    } else {
      v0 = kv[xo + i] * inv * k_w[i];
      v1 = kv[xo + i + half_d] * inv * k_w[i + half_d];
    }
    const vec2 rotated = lb_rope_rotate(v0, v1, fpos, i, D, p.rope_log2_base);
    if (is_q) {
      q[xo + i] = rotated.x;
      q[xo + i + half_d] = rotated.y;
    } else {
      cache_k[dst + i] = float16_t(rotated.x);
      cache_k[dst + i + half_d] = float16_t(rotated.y);
    }
  }
  if (!is_q && r % heads == 0u && tid == 0u)
    slot_pos[slot] = pos;
}
