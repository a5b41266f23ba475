#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Flash-style attention for decode (one query) and prefill (many), float32
// softmax, F16 keys and values, grouped-query heads.
//
// Workgroup (x, y, z) = (block of QB query rows, kv head g, key split s).
// The query rows of kv head g are (query qi, head h = g * G + hg) for the
// G = n_heads / n_kv_heads heads that share it, so each K/V tile loaded into
// shared memory serves all of them. Keys are walked in tiles of KT with an
// online softmax (running max m and sum l per row), so any number of keys
// works whatever the shared memory. Splits (flash-decoding) spread the keys
// of a decode step over many workgroups; attention_combine.comp merges them.
//
// Visibility (mask = 1): key slot j holds position pk = key_pos[j]; query
// row has (pq, limit) from q_meta; visible iff 0 <= pk < limit and
// (window == 0 or pq - pk < window). Causal text has limit = pq + 1; a query
// inside an image [a, b) has limit = b, so the image attends both ways while
// the window still drops only earlier keys. mask = 0: every slot visible.
//
// Attention weights (span_len > 0): the raw score of each key whose
// position lies in [span_begin, span_begin + span_len) is written to
// wts[(qi * n_heads + h) * span_len + pk - span_begin], -inf when masked,
// then normalized (here, or in the combine pass when split).
#include "common.glsl"

layout(constant_id = 3) const uint D = 256;   // head dim, a multiple of 8
layout(constant_id = 4) const uint QB = 8;    // query rows per workgroup
layout(constant_id = 5) const uint KT = 32;   // keys per tile (<= WG_SIZE)

const uint D8 = D / 8u;                         // uvec4 (8 halves) per key row
// Tile rows padded by one uvec4: invocations reading consecutive keys of
// the tile hit different shared-memory banks.
const uint ROW4 = D8 + 1u;
const uint D2 = D / 2u;                         // packed half pairs per key row
const uint OUT_PAIRS = (QB * D2 + WG_SIZE - 1u) / WG_SIZE;
#define MAX_OUT_PAIRS 16

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { uvec4 k[]; };
layout(std430, binding = 2) readonly buffer V { uvec4 v[]; };
layout(std430, binding = 3) readonly buffer KPos { int key_pos[]; };
layout(std430, binding = 4) readonly buffer QMeta { ivec2 q_meta[]; };
layout(std430, binding = 5) writeonly buffer O { float o[]; };
layout(std430, binding = 6) writeonly buffer ML { vec2 ml[]; };
layout(std430, binding = 7) coherent buffer Wts { float wts[]; };

layout(push_constant) uniform Push {
  uint n_q, n_kv, n_heads, n_kv_heads;
  uint q_stride, o_stride;                  // floats between queries
  uint k_slot_stride, k_head_stride;        // halves, multiples of 8
  uint v_slot_stride, v_head_stride;
  float scale;
  uint window;
  uint mask;
  uint kv_per_split;                        // a multiple of KT
  uint n_splits;
  int span_begin;
  uint span_len;
} p;

shared float sq[QB * D];        // the block's query rows, pre-scaled
shared uvec4 skv[KT * ROW4];    // the K tile, then the V tile (padded rows)
shared float sp[QB * KT];       // scores, then probabilities
shared float s_alpha[QB], s_m[QB], s_l[QB];
shared ivec2 s_meta[QB];

bool key_visible(int pk, ivec2 meta)
{
  return pk >= 0 && pk < meta.y && (p.window == 0u || meta.x - pk < int(p.window));
}

void main()
{
  const uint tid = gl_LocalInvocationID.x;
  const uint g = gl_WorkGroupID.y;
  const uint split = gl_WorkGroupID.z;
  const uint G = p.n_heads / p.n_kv_heads;
  const uint n_rows = p.n_q * G;
  const uint row0 = gl_WorkGroupID.x * QB;

  // Query rows and their masks.
  for (uint i = tid; i < QB * D; i += WG_SIZE) {
    const uint r = i / D, row = row0 + r;
    float value = 0.0;
    if (row < n_rows)
      value = q[(row / G) * p.q_stride + (g * G + row % G) * D + i % D] * p.scale;
    sq[i] = value;
  }
  if (tid < QB) {
    const uint row = row0 + tid;
    ivec2 meta = ivec2(0, -2147483647);          // a padding row sees nothing
    if (row < n_rows)
      meta = p.mask != 0u ? q_meta[row / G] : ivec2(0, 2147483647);
    s_meta[tid] = meta;
    s_m[tid] = -LB_INFINITY;
    s_l[tid] = 0.0;
  }

  // Position bounds of the whole block, to skip tiles nobody sees.
  int lo = -2147483647, hi = -2147483647;
  if (p.mask != 0u) {
    lo = 2147483647;
    for (uint r = 0; r < QB && row0 + r < n_rows; r++) {
      const ivec2 meta = q_meta[(row0 + r) / G];
      lo = min(lo, p.window != 0u ? meta.x - int(p.window) + 1 : 0);
      hi = max(hi, meta.y);
    }
  }
  const int span_end = p.span_begin + int(p.span_len);

  float acc[2 * MAX_OUT_PAIRS];
  [[unroll]] for (uint i = 0; i < 2 * MAX_OUT_PAIRS; i++)
    acc[i] = 0.0;

  const uint kv_begin = split * p.kv_per_split;
  const uint kv_end = min(p.n_kv, kv_begin + p.kv_per_split);
  const uint k_base = g * p.k_head_stride, v_base = g * p.v_head_stride;

  for (uint t0 = kv_begin; t0 < kv_end; t0 += KT) {
    // Every invocation reaches the same verdict: uniform control flow.
    if (p.mask != 0u) {
      bool any = false;
      for (uint j = 0; j < KT && t0 + j < kv_end; j++) {
        const int pk = key_pos[t0 + j];
        any = any || (pk >= 0 && pk >= lo && pk < hi) || (pk >= p.span_begin && pk < span_end);
      }
      if (!any)
        continue;
    }

    barrier();  // the previous tile is fully consumed
    for (uint u = tid; u < KT * D8; u += WG_SIZE) {
      const uint slot = t0 + u / D8;
      skv[(u / D8) * ROW4 + u % D8] = slot < kv_end ? k[(k_base + slot * p.k_slot_stride) / 8u + u % D8] : uvec4(0);
    }
    barrier();

    for (uint e = tid; e < QB * KT; e += WG_SIZE) {
      const uint r = e / KT, j = e % KT, slot = t0 + j;
      const bool row_valid = row0 + r < n_rows;
      float s = -LB_INFINITY;
      int pk = int(slot);
      if (slot < kv_end && row_valid) {
        if (p.mask != 0u)
          pk = key_pos[slot];
        if (p.mask == 0u || key_visible(pk, s_meta[r])) {
          float dot_qk = 0.0;
          [[unroll]] for (uint c = 0; c < D8; c++) {
            const uvec4 kk = skv[j * ROW4 + c];
            const uint qo = r * D + c * 8u;
            const vec2 k0 = unpackHalf2x16(kk.x), k1 = unpackHalf2x16(kk.y);
            const vec2 k2 = unpackHalf2x16(kk.z), k3 = unpackHalf2x16(kk.w);
            dot_qk += sq[qo] * k0.x + sq[qo + 1u] * k0.y + sq[qo + 2u] * k1.x + sq[qo + 3u] * k1.y
                    + sq[qo + 4u] * k2.x + sq[qo + 5u] * k2.y + sq[qo + 6u] * k3.x + sq[qo + 7u] * k3.y;
          }
          s = dot_qk;
        }
        if (p.span_len > 0u && pk >= p.span_begin && pk < span_end) {
          const uint row = row0 + r;
          wts[((row / G) * p.n_heads + g * G + row % G) * p.span_len + uint(pk - p.span_begin)] = s;
        }
      }
      sp[e] = s;
    }
    barrier();

    // Online softmax, one invocation per row; the others load V meanwhile.
    if (tid < QB) {
      const float m_old = s_m[tid];
      float m_new = m_old;
      for (uint j = 0; j < KT; j++)
        m_new = max(m_new, sp[tid * KT + j]);
      float alpha = 1.0, sum = 0.0;
      if (m_new == -LB_INFINITY) {
        for (uint j = 0; j < KT; j++)
          sp[tid * KT + j] = 0.0;
      } else {
        alpha = exp(m_old - m_new);  // 0 when m_old is -inf
        for (uint j = 0; j < KT; j++) {
          const float e = exp(sp[tid * KT + j] - m_new);
          sp[tid * KT + j] = e;
          sum += e;
        }
      }
      s_alpha[tid] = alpha;
      s_l[tid] = s_l[tid] * alpha + sum;
      s_m[tid] = m_new;
    }
    for (uint u = tid; u < KT * D8; u += WG_SIZE) {
      const uint slot = t0 + u / D8;
      skv[(u / D8) * ROW4 + u % D8] = slot < kv_end ? v[(v_base + slot * p.v_slot_stride) / 8u + u % D8] : uvec4(0);
    }
    barrier();

    // OUT_PAIRS is constant once specialized: drivers unroll this and keep
    // acc in registers. (Unrolling it here, to MAX_OUT_PAIRS with a guard,
    // made lavapipe 22.3 hang for OUT_PAIRS >= 8.)
    for (uint i = 0; i < OUT_PAIRS; i++) {
      const uint e2 = tid + i * WG_SIZE;
      if (e2 < QB * D2) {
        const uint r = e2 / D2, dp = e2 % D2;
        const float alpha = s_alpha[r];
        float a0 = acc[2u * i] * alpha, a1 = acc[2u * i + 1u] * alpha;
        for (uint j = 0; j < KT; j++) {
          const float pj = sp[r * KT + j];
          const uint word = j * ROW4 * 4u + dp;
          const vec2 vv = unpackHalf2x16(skv[word / 4u][word % 4u]);
          a0 += pj * vv.x;
          a1 += pj * vv.y;
        }
        acc[2u * i] = a0;
        acc[2u * i + 1u] = a1;
      }
    }
  }
  barrier();

  for (uint i = 0; i < OUT_PAIRS; i++) {
    const uint e2 = tid + i * WG_SIZE;
    if (e2 < QB * D2 && row0 + e2 / D2 < n_rows) {
      const uint r = e2 / D2, dp = e2 % D2, row = row0 + r;
      const uint qi = row / G, h = g * G + row % G;
      if (p.n_splits == 1u) {
        const float l = s_l[r];
        const float inv = l > 0.0 ? 1.0 / l : 0.0;
        o[qi * p.o_stride + h * D + 2u * dp] = acc[2u * i] * inv;
        o[qi * p.o_stride + h * D + 2u * dp + 1u] = acc[2u * i + 1u] * inv;
      } else {
        const uint base = ((split * p.n_q + qi) * p.n_heads + h) * D + 2u * dp;
        o[base] = acc[2u * i];
        o[base + 1u] = acc[2u * i + 1u];
      }
    }
  }
  if (p.n_splits > 1u) {
    if (tid < QB && row0 + tid < n_rows) {
      const uint row = row0 + tid;
      ml[(split * p.n_q + row / G) * p.n_heads + g * G + row % G] = vec2(s_m[tid], s_l[tid]);
    }
    return;
  }

  // One split: normalize the captured weights of this block's rows.
  if (p.span_len > 0u) {
    memoryBarrierBuffer();
    barrier();
    for (uint e = tid; e < QB * p.span_len; e += WG_SIZE) {
      const uint r = e / p.span_len, row = row0 + r;
      if (row < n_rows) {
        const uint idx = ((row / G) * p.n_heads + g * G + row % G) * p.span_len + e % p.span_len;
        const float l = s_l[r];
        wts[idx] = l > 0.0 ? exp(wts[idx] - s_m[r]) / l : 0.0;
      }
    }
  }
}
