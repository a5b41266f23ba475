#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = x / sqrt(mean(x^2) + eps) [* w], one workgroup per row. Per-head norms
// are rows of head_dim (n_rows = tokens * heads, w of head_dim shared by
// all heads; the text layers' q/k norms live in attention_prologue.comp,
// fused with rope and the KV cache stores). In place (y = x) is allowed:
// each invocation rewrites only the elements it read.
#include "common.glsl"
#include "reduce.glsl"

layout(constant_id = 3) const uint HAS_WEIGHT = 1;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint x_stride, y_stride;
  float eps;
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

  for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
    float v = x[xo + i] * inv;
    if (HAS_WEIGHT != 0u)
      v *= w[i];
    y[yo + i] = v;
  }
}
