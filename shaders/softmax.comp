#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = softmax(x * scale) per row, one workgroup per row, in float32.
#include "common.glsl"
#include "reduce.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint x_stride, y_stride;
  float scale;
} p;

void main()
{
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  if (row >= p.n_rows)
    return;
  const uint xo = row * p.x_stride, yo = row * p.y_stride;

  float m = -LB_INFINITY;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    m = max(m, x[xo + i] * p.scale);
  m = lb_workgroup_max(m);
  float s = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    s += exp(x[xo + i] * p.scale - m);
  const float inv = 1.0 / lb_workgroup_sum(s);
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    y[yo + i] = exp(x[xo + i] * p.scale - m) * inv;
}
