#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Top-K (K = 1: argmax) of a float vector, largest first, ties to the lower
// index. Each workgroup reduces a chunk of WG_SIZE * ELEMS candidates to its
// K best (value, index) pairs; the C side repeats passes over those pairs
// (PAIRS_IN = 1) until one workgroup remains. NaN counts as -inf.
//   K = 1: one streaming pass per invocation, then one workgroup argmax.
//   K > 1: the chunk sits in shared memory; K rounds of a workgroup argmax
//          over each invocation's best, whose owner then drops it and
//          rescans its ELEMS candidates.
#include "common.glsl"

layout(constant_id = 3) const uint K = 1;
layout(constant_id = 4) const uint PAIRS_IN = 0;
layout(constant_id = 5) const uint ELEMS = 8;

layout(std430, binding = 0) readonly buffer Values { float values[]; };
layout(std430, binding = 1) readonly buffer InIdx { uint in_idx[]; };
layout(std430, binding = 2) writeonly buffer OutValues { float out_values[]; };
layout(std430, binding = 3) writeonly buffer OutIdx { uint out_idx[]; };

layout(push_constant) uniform Push {
  uint n;   // candidates in this pass
} p;

const uint NONE = 0xffffffffu;
const uint CHUNK = WG_SIZE * ELEMS;

shared float red_v[WG_SIZE];
shared uint red_i[WG_SIZE];
shared float chunk_v[K > 1u ? CHUNK : 1u];
shared uint chunk_i[K > 1u ? CHUNK : 1u];

bool better(float v, uint i, float bv, uint bi)
{
  return v > bv || (v == bv && i < bi);
}

void load(uint pos, out float v, out uint i)
{
  v = -LB_INFINITY;
  i = NONE;
  if (pos < p.n) {
    v = values[pos];
    if (isnan(v))
      v = -LB_INFINITY;
    i = PAIRS_IN != 0u ? in_idx[pos] : pos;
  }
}

// Workgroup argmax of (v, i); every invocation gets the winner.
void reduce_best(inout float v, inout uint i)
{
  const float m = subgroupMax(v);
  const uint mi = subgroupMin(v == m ? i : NONE);
  barrier();
  if (subgroupElect()) {
    red_v[gl_SubgroupID] = m;
    red_i[gl_SubgroupID] = mi;
  }
  barrier();
  v = red_v[0];
  i = red_i[0];
  for (uint s = 1; s < gl_NumSubgroups; s++)
    if (better(red_v[s], red_i[s], v, i)) {
      v = red_v[s];
      i = red_i[s];
    }
}

void main()
{
  const uint tid = gl_LocalInvocationID.x;
  const uint group = gl_WorkGroupID.x;
  const uint base = group * CHUNK;

  if (K == 1u) {
    float bv = -LB_INFINITY;
    uint bi = NONE;
    for (uint e = 0; e < ELEMS; e++) {
      float v;
      uint i;
      load(base + e * WG_SIZE + tid, v, i);
      if (better(v, i, bv, bi)) {
        bv = v;
        bi = i;
      }
    }
    reduce_best(bv, bi);
    if (tid == 0u) {
      out_values[group] = bv;
      out_idx[group] = bi;
    }
    return;
  }

  // K > 1: each invocation owns chunk slots tid + e * WG_SIZE.
  float bv = -LB_INFINITY;
  uint bi = NONE, bslot = 0;
  for (uint e = 0; e < ELEMS; e++) {
    const uint slot = e * WG_SIZE + tid;
    float v;
    uint i;
    load(base + slot, v, i);
    chunk_v[slot] = v;
    chunk_i[slot] = i;
    if (better(v, i, bv, bi)) {
      bv = v;
      bi = i;
      bslot = slot;
    }
  }
  for (uint r = 0; r < K; r++) {
    float wv = bv;
    uint wi = bi;
    reduce_best(wv, wi);
    if (tid == 0u) {
      out_values[group * K + r] = wv;
      out_idx[group * K + r] = wi;
    }
    if (wi != NONE && wi == bi) {
      // The owner drops its winner and finds its next best.
      chunk_v[bslot] = -LB_INFINITY;
      chunk_i[bslot] = NONE;
      bv = -LB_INFINITY;
      bi = NONE;
      for (uint e = 0; e < ELEMS; e++) {
        const uint slot = e * WG_SIZE + tid;
        if (better(chunk_v[slot], chunk_i[slot], bv, bi)) {
          bv = chunk_v[slot];
          bi = chunk_i[slot];
          bslot = slot;
        }
      }
    }
  }
}
