#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = (x - mean) / sqrt(var + eps) * w + b, one workgroup per row (the
// SigLIP encoder's norms). Two passes for the variance: no cancellation.
#include "common.glsl"
#include "reduce.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

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
    return;
  const uint xo = row * p.x_stride, yo = row * p.y_stride;

  float s = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    s += x[xo + i];
  const float mean = lb_workgroup_sum(s) / float(p.n_cols);
  float v = 0.0;
  for (uint i = tid; i < p.n_cols; i += WG_SIZE) {
    const float d = x[xo + i] - mean;
    v += d * d;
  }
  const float inv = inversesqrt(lb_workgroup_sum(v) / float(p.n_cols) + p.eps);
  for (uint i = tid; i < p.n_cols; i += WG_SIZE)
    y[yo + i] = (x[xo + i] - mean) * inv * w[i] + b[i];
}
