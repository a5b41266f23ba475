#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Patch embedding: a convolution with stride = kernel = P, as a tiled
// matrix product out[patch][o] = bias[o] + sum_k W[o][k] * X[patch][k] with
// k = (c, y, x) over channels × P × P, X gathered from the planar image
// [channels][height][width] on the fly (no im2col buffer). Workgroup:
// 16 × 16 invocations, a 64 × 64 output tile (4 × 4 per invocation), K in
// steps of 16 through shared memory. Weights F32, or F16 with -DWEIGHT_F16.
#include "common.glsl"

#ifdef WEIGHT_F16
#define WEIGHT_T float16_t
#else
#define WEIGHT_T float
#endif

layout(std430, binding = 0) readonly buffer Image { float image[]; };
layout(std430, binding = 1) readonly buffer Weight { WEIGHT_T weight[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Out { float y[]; };

layout(push_constant) uniform Push {
  uint channels, height, width, patch_size;
  uint n_out;
  uint has_bias;
} p;

const uint TILE = 64, TK = 16;
shared float sx[TK][TILE + 1];  // [k][patch]
shared float sw[TK][TILE + 1];  // [k][out channel]

void main()
{
  const uint tx = gl_LocalInvocationID.x % 16u, ty = gl_LocalInvocationID.x / 16u;
  const uint P = p.patch_size;
  const uint pw = p.width / P, n_patches = (p.height / P) * pw;
  const uint kdim = p.channels * P * P;
  const uint patch0 = gl_WorkGroupID.x * TILE, out0 = gl_WorkGroupID.y * TILE;

  float acc[4][4];
  [[unroll]] for (uint i = 0; i < 4u; i++)
    [[unroll]] for (uint j = 0; j < 4u; j++)
      acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < kdim; k0 += TK) {
    // 16 × 64 of each operand: 4 loads per invocation each.
    for (uint e = gl_LocalInvocationID.x; e < TK * TILE; e += 256u) {
      const uint kk = e / TILE, t = e % TILE, k = k0 + kk;
      float xv = 0.0, wv = 0.0;
      if (k < kdim) {
        const uint c = k / (P * P), r = k % (P * P), yy = r / P, xx = r % P;
        const uint pt = patch0 + t;
        if (pt < n_patches)
          xv = image[(c * p.height + (pt / pw) * P + yy) * p.width + (pt % pw) * P + xx];
        if (out0 + t < p.n_out)
          wv = float(weight[(out0 + t) * kdim + k]);
      }
      sx[kk][t] = xv;
      sw[kk][t] = wv;
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < TK; kk++) {
      float xs[4], ws[4];
      [[unroll]] for (uint i = 0; i < 4u; i++) {
        xs[i] = sx[kk][ty + 16u * i];
        ws[i] = sw[kk][tx + 16u * i];
      }
      [[unroll]] for (uint i = 0; i < 4u; i++)
        [[unroll]] for (uint j = 0; j < 4u; j++)
          acc[i][j] += xs[i] * ws[j];
    }
    barrier();
  }

  [[unroll]] for (uint i = 0; i < 4u; i++)
    [[unroll]] for (uint j = 0; j < 4u; j++) {
      const uint pt = patch0 + ty + 16u * i, o = out0 + tx + 16u * j;
      if (pt < n_patches && o < p.n_out)
        y[pt * p.n_out + o] = acc[i][j] + (p.has_bias != 0u ? bias[o] : 0.0);
    }
}
