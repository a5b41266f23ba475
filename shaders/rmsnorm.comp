#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = x / sqrt(mean(x^2) + eps) [* w] [then NEOX rope], one workgroup per
// row. Per-head norms are rows of head_dim (n_rows = tokens * heads, w of
// head_dim shared by all heads). With ROPE, the row's token is
// row / rope_heads and its position comes from the positions buffer, so the
// q/k norm and the rotation cost one dispatch. In place (y = x) is allowed:
// each invocation rewrites only the elements it read.
#include "common.glsl"
#include "reduce.glsl"
#include "rope.glsl"

layout(constant_id = 3) const uint HAS_WEIGHT = 1;
layout(constant_id = 4) const uint ROPE = 0;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) readonly buffer Pos { int positions[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint x_stride, y_stride;
  float eps;
  uint rope_heads;       // rows per token (ROPE)
  float rope_log2_base;  // log2 of the frequency base: theta_i = pos * base^(-2i/n_cols)
  float rope_scale;      // position multiplier: 1 / linear scaling factor
} p;

void main()
{
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  if (row >= p.n_rows)
    return;  // uniform per workgroup
  const uint xo = row * p.x_stride, yo = row * p.y_stride;

  float ss = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
    const float v = x[xo + i];
    ss += v * v;
  }
  ss = lb_workgroup_sum(ss);
  const float inv = inversesqrt(ss / float(p.n_cols) + p.eps);

  if (ROPE == 0u) {
    for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
      float v = x[xo + i] * inv;
      if (HAS_WEIGHT != 0u)
        v *= w[i];
      y[yo + i] = v;
    }
  } else {
    const uint half_cols = p.n_cols / 2u;
    const float pos = float(positions[row / p.rope_heads]) * p.rope_scale;
    for (uint i = tid; i < half_cols; i += WG_SIZE) {
      float v0 = x[xo + i] * inv, v1 = x[xo + i + half_cols] * inv;
      if (HAS_WEIGHT != 0u) {
        v0 *= w[i];
        v1 *= w[i + half_cols];
      }
      const vec2 r = lb_rope_rotate(v0, v1, pos, i, p.n_cols, p.rope_log2_base);
      y[yo + i] = r.x;
      y[yo + i + half_cols] = r.y;
    }
  }
}
