#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Merges the key splits of attention.comp: per (query, head) row,
// M = max m_s, L = sum l_s exp(m_s - M), out = sum exp(m_s - M) o_s / L, and
// the captured raw scores become weights exp(s - M) / L.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Part { float part[]; };  // [split][n_q][n_heads][D]
layout(std430, binding = 1) readonly buffer ML { vec2 ml[]; };      // [split][n_q][n_heads]
layout(std430, binding = 2) writeonly buffer O { float o[]; };
layout(std430, binding = 3) buffer Wts { float wts[]; };

layout(push_constant) uniform Push {
  uint n_q, n_heads, head_dim;
  uint o_stride;
  uint n_splits;
  uint span_len;
} p;

void main()
{
  const uint row = gl_WorkGroupID.x;   // qi * n_heads + h
  const uint tid = gl_LocalInvocationID.x;
  if (row >= p.n_q * p.n_heads)
    return;
  const uint stride = p.n_q * p.n_heads;
  float M = -LB_INFINITY;
  for (uint s = 0; s < p.n_splits; s++)
    M = max(M, ml[s * stride + row].x);
  float L = 0.0;
  if (M != -LB_INFINITY)
    for (uint s = 0; s < p.n_splits; s++) {
      const vec2 v = ml[s * stride + row];
      L += v.y * exp(v.x - M);
    }
  const float inv = L > 0.0 ? 1.0 / L : 0.0;
  const uint qi = row / p.n_heads, h = row % p.n_heads;
  for (uint d = tid; d < p.head_dim; d += WG_SIZE) {
    float sum = 0.0;
    if (M != -LB_INFINITY)
      for (uint s = 0; s < p.n_splits; s++) {
        const vec2 v = ml[s * stride + row];
        sum += exp(v.x - M) * part[(s * stride + row) * p.head_dim + d];
      }
    o[qi * p.o_stride + h * p.head_dim + d] = sum * inv;
  }
  for (uint i = tid; i < p.span_len; i += WG_SIZE) {
    const uint idx = row * p.span_len + i;
    wts[idx] = L > 0.0 ? exp(wts[idx] - M) * inv : 0.0;
  }
}
