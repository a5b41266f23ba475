#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// NEOX rope on [n_tok][n_heads][head_dim] (strides in elements), the
// position of token t from positions[t]; one invocation per rotated pair.
// In place allowed.
#include "common.glsl"
#include "rope.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { int positions[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint n_tok, n_heads, head_dim;
  uint x_tok_stride, x_head_stride;
  uint y_tok_stride, y_head_stride;
  float log2_base;
  float pos_scale;   // 1 / linear scaling factor
} p;

void main()
{
  const uint half_dim = p.head_dim / 2u;
  const uint id = gl_WorkGroupID.x * WG_SIZE + gl_LocalInvocationID.x;
  if (id >= p.n_tok * p.n_heads * half_dim)
    return;
  const uint i = id % half_dim;
  const uint h = (id / half_dim) % p.n_heads;
  const uint t = id / (half_dim * p.n_heads);
  const uint xo = t * p.x_tok_stride + h * p.x_head_stride + i;
  const uint yo = t * p.y_tok_stride + h * p.y_head_stride + i;
  const vec2 r = lb_rope_rotate(x[xo], x[xo + half_dim], float(positions[t]) * p.pos_scale, i, p.head_dim,
                                p.log2_base);
  y[yo] = r.x;
  y[yo + half_dim] = r.y;
}
