#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Gemma's sandwich norms in one dispatch, one workgroup per row:
//   x += rmsnorm(a) * w1              (post-attention / post-FFN norm + residual)
//   h  = rmsnorm(x) * w2              (the next pre-norm; SECOND = 1)
// Each invocation rewrites only the x elements it read.
#include "common.glsl"
#include "reduce.glsl"

layout(constant_id = 3) const uint SECOND = 1;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer W1 { float w1[]; };
layout(std430, binding = 2) buffer X { float x[]; };
layout(std430, binding = 3) readonly buffer W2 { float w2[]; };
layout(std430, binding = 4) writeonly buffer H { float h[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint a_stride, x_stride, h_stride;
  float eps;
} p;

void main()
{
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  if (row >= p.n_rows)
    return;
  const uint ao = row * p.a_stride, xo = row * p.x_stride, ho = row * p.h_stride;

  float ss = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
    const float v = a[ao + i];
    ss += v * v;
  }
  ss = lb_workgroup_sum(ss);
  const float inv_a = inversesqrt(ss / float(p.n_cols) + p.eps);

  float ss2 = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
    const float v = x[xo + i] + a[ao + i] * inv_a * w1[i];
    x[xo + i] = v;
    ss2 += v * v;
  }
  if (SECOND == 0u)
    return;
  ss2 = lb_workgroup_sum(ss2);
  const float inv_x = inversesqrt(ss2 / float(p.n_cols) + p.eps);
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    h[ho + i] = x[xo + i] * inv_x * w2[i];
}
