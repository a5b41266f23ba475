#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Average pooling of a token grid: in [grid_h * grid_w][channels] row-major
// tokens, out [(grid_h/k) * (grid_w/k)][channels], one invocation per
// output element (consecutive invocations: consecutive channels).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };

layout(push_constant) uniform Push {
  uint grid_w, grid_h, channels, k;
} p;

void main()
{
  const uint out_w = p.grid_w / p.k, out_h = p.grid_h / p.k;
  const uint id = gl_WorkGroupID.x * WG_SIZE + gl_LocalInvocationID.x;
  if (id >= out_w * out_h * p.channels)
    return;
  const uint c = id % p.channels, cell = id / p.channels;
  const uint ox = cell % out_w, oy = cell / out_w;
  float sum = 0.0;
  for (uint dy = 0; dy < p.k; dy++)
    for (uint dx = 0; dx < p.k; dx++)
      sum += x[((oy * p.k + dy) * p.grid_w + ox * p.k + dx) * p.channels + c];
  y[id] = sum / float(p.k * p.k);
}
