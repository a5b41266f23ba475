/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What mul-mat-vec.comp and mul-mm.comp share: bindings, push constants
 * (mirrored by LbVkMatmulPush in src/vk/vk-matmul.c) and the mapping of a
 * workgroup onto one of up to three weights ("parts") that read the same
 * activations: q/k/v or gate/up in one dispatch.
 *
 *   y_p[c][r] = sum_k W_p[r][k] * x[c][k]  (+ bias_p[r])
 *
 * Epilogues: LB_MM_GELU in flags writes gelu_tanh(y_p) instead; a kernel
 * built with GLU = 1 (a specialization constant) reads two parts, gate
 * (part 0) and up (part 1), of equal rows, in workgroups that compute the
 * same rows of both, and writes y_0[c][r] = gelu_tanh(gate) * up only
 * (part 1's output is not written). Its grid covers part 0's rows alone.
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
  uint flags;      /* LB_MM_BIAS | LB_MM_GELU */
  uint row_words;  /* words of LB_WORD per weight row */
  uint pad0, pad1;
  uvec4 rows;      /* rows of part p */
  uvec4 w_offset;  /* word of W where part p's row 0 starts */
  uvec4 y_offset;  /* element of y where part p's output starts */
  uvec4 y_stride;  /* elements between part p's output vectors */
  uvec4 b_offset;  /* element of bias where part p's bias starts */
} pc;

#define LB_MM_BIAS 1u
#define LB_MM_GELU 2u

/* As in elementwise.comp: 0.5 x (1 + tanh(u)) written as x / (1 + exp(-2u)),
 * which has no inf/inf for large |x|. */
float lb_gelu_tanh (float x)
{
  const float k = 0.7978845608028654;  // sqrt(2 / pi)
  float u = k * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}

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

/* Part p's row r plus its bias. */
float lb_mm_biased (uint p, uint r, float value)
{
  if ((pc.flags & LB_MM_BIAS) != 0u)
    value += bias_data[pc.b_offset[p] + r];
  return value;
}

/* Writes one output (bias and epilogue applied): part p, weight row r, vector c. */
void lb_mm_store (uint p, uint r, uint c, float value)
{
  value = lb_mm_biased(p, r, value);
  if ((pc.flags & LB_MM_GELU) != 0u)
    value = lb_gelu_tanh(value);
  y_data[pc.y_offset[p] + c * pc.y_stride[p] + r] = value;
}

/* The GLU epilogue: gate and up of row r, vector c, into part 0's output. */
void lb_mm_store_glu (uint r, uint c, float gate, float up)
{
  y_data[pc.y_offset[0] + c * pc.y_stride[0] + r] = lb_gelu_tanh(lb_mm_biased(0u, r, gate)) * lb_mm_biased(1u, r, up);
}
