/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What mul-mat-vec.comp and mul-mm.comp share: bindings, push constants
 * (mirrored by LbVkMatmulPush in src/vk/vk-matmul.c) and the mapping of a
 * workgroup onto one of up to three weights ("parts") that read the same
 * activations: q/k/v or gate/up in one dispatch.
 *
 *   y_p[c][r] = sum_k W_p[r][k] * x[c][k]  (+ bias_p[r])
 *
 * binding 0  W      the parts' weights, GGUF blocks, rows contiguous
 * binding 1  x      float32 activations x[n][x_stride] (read as vec4)
 * binding 2  y      float32 outputs, part p at y_offset[p] + c * y_stride[p]
 * binding 3  bias   float32, part p's at b_offset[p] (bound to x when unused)
 */

#define LB_WEIGHT_BINDING 0
#include "dequant.glsl"

layout(binding = 1, std430) readonly buffer LbX { vec4 x_data[]; };
layout(binding = 2, std430) writeonly buffer LbY { float y_data[]; };
layout(binding = 3, std430) readonly buffer LbBias { float bias_data[]; };

layout(push_constant, std430) uniform LbMatmulPush {
  uint cols;       /* K: elements of a weight row = of an activation vector */
  uint n;          /* activation vectors in this dispatch */
  uint x_stride;   /* elements between activation vectors (multiple of 4) */
  uint n_parts;    /* 1..3 */
  uint flags;      /* LB_MM_BIAS */
  uint row_words;  /* words of LB_WORD per weight row */
  uint pad0, pad1;
  uvec4 rows;      /* rows of part p */
  uvec4 w_offset;  /* word of W where part p's row 0 starts */
  uvec4 y_offset;  /* element of y where part p's output starts */
  uvec4 y_stride;  /* elements between part p's output vectors */
  uvec4 b_offset;  /* element of bias where part p's bias starts */
} pc;

#define LB_MM_BIAS 1u

/* Splits a workgroup index along x into (part, workgroup within the part),
 * each part covering ceil(rows / rows_per_group) workgroups. */
void lb_mm_part (uint group, uint rows_per_group, out uint part, out uint part_group)
{
  part = 0u;
  part_group = group;
  [[unroll]] for (uint p = 0u; p < 2u; p++) {
    uint groups = (pc.rows[part] + rows_per_group - 1u) / rows_per_group;
    if (part + 1u < pc.n_parts && part_group >= groups) {
      part_group -= groups;
      part++;
    }
  }
}

/* Writes one output (and adds the bias): part p, weight row r, vector c. */
void lb_mm_store (uint p, uint r, uint c, float value)
{
  if ((pc.flags & LB_MM_BIAS) != 0u)
    value += bias_data[pc.b_offset[p] + r];
  y_data[pc.y_offset[p] + c * pc.y_stride[p] + r] = value;
}
