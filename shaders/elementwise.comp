#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// y = op(a, b) over n_rows rows of n_cols floats. One workgroup covers
// WG_SIZE * 4 columns of one row (x), rows along y; b may broadcast one row
// over all (b_stride 0: a bias, a position table).
#include "common.glsl"

#define OP_ADD 0u       // a + b
#define OP_MUL 1u       // a * b
#define OP_SCALE 2u     // a * scale
#define OP_GELU 3u      // gelu_tanh(a)
#define OP_GELU_MUL 4u  // gelu_tanh(a) * b   (gate, up)
layout(constant_id = 3) const uint OP = 0;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint a_stride, b_stride, y_stride;  // elements between rows
  float scale;
} p;

// 0.5 x (1 + tanh(u)) written as x / (1 + exp(-2u)): no inf/inf for large |u|.
float gelu_tanh(float x)
{
  const float k = 0.7978845608028654;  // sqrt(2 / pi)
  float u = k * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}

void main()
{
  const uint row = gl_WorkGroupID.y;
  const uint base = gl_WorkGroupID.x * WG_SIZE * 4u + gl_LocalInvocationID.x;
  if (row >= p.n_rows)
    return;
  [[unroll]] for (uint k = 0; k < 4u; k++) {
    const uint col = base + k * WG_SIZE;
    if (col >= p.n_cols)
      break;
    const float x = a[row * p.a_stride + col];
    float r;
    if (OP == OP_ADD)
      r = x + b[row * p.b_stride + col];
    else if (OP == OP_MUL)
      r = x * b[row * p.b_stride + col];
    else if (OP == OP_SCALE)
      r = x * p.scale;
    else if (OP == OP_GELU)
      r = gelu_tanh(x);
    else
      r = gelu_tanh(x) * b[row * p.b_stride + col];
    y[row * p.y_stride + col] = r;
  }
}
