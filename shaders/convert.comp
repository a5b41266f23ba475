#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// F32 <-> F16 over rows (variants convert_f32_f16 and convert_f16_f32 by
// -DTO_F16). Rounds to nearest even like lb_f32_to_f16.
#include "common.glsl"

#ifdef TO_F16
#define SRC_T float
#define DST_T float16_t
#else
#define SRC_T float16_t
#define DST_T float
#endif

layout(std430, binding = 0) readonly buffer Src { SRC_T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { DST_T dst[]; };

layout(push_constant) uniform Push {
  uint n_cols, n_rows;
  uint src_stride, dst_stride;
} p;

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
    dst[row * p.dst_stride + col] = DST_T(src[row * p.src_stride + col]);
  }
}
