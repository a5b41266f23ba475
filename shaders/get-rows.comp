#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Row lookup (embedding table): out[t][e] = scale · W[ids[ids_offset + t]][e]
// for every type dequant.glsl reads. The table may be bound in row chunks
// (tables beyond maxStorageBufferRange, src/vk/vk-memory.h): this dispatch
// holds rows [row_begin, row_begin + row_count) and skips every id outside
// them, so the chunks' dispatches write disjoint outputs. An id past the
// table's end leaves its output row unwritten.
//
// Grid: x = ceil(units per row / WG_SIZE); y = ids. Variant: -DLB_TYPE_<T>.
#include "common.glsl"

#define LB_WEIGHT_BINDING 0
#include "dequant.glsl"

layout(binding = 1, std430) readonly buffer LbIds { uint ids[]; };
layout(binding = 2, std430) writeonly buffer LbOut { vec4 out_data[]; };

layout(push_constant, std430) uniform LbGetRowsPush {
  uint cols;        // elements per row
  uint n_ids;
  uint ids_offset;  // first id read
  uint row_begin;   // rows of the table this dispatch binds
  uint row_count;
  uint row_words;   // words of LB_WORD per row
  uint out_stride;  // elements between output rows (multiple of 4)
  float scale;
} pc;

void main ()
{
  const uint t = gl_WorkGroupID.y;
  const uint u = gl_WorkGroupID.x * WG_SIZE + gl_LocalInvocationID.x;
  if (t >= pc.n_ids || u >= pc.cols / LB_UNIT_ELEMS)
    return;
  const uint row = ids[pc.ids_offset + t] - pc.row_begin;  // wraps below row_begin
  if (row >= pc.row_count)
    return;

  const uint block = u / LB_UNITS, sub = u % LB_UNITS;
  vec4 v[LB_UNIT_VECS];
  lb_dequant_unit(row * pc.row_words + block * LB_BLOCK_WORDS, sub, v);
  const uint base = t * pc.out_stride + block * LB_BLOCK_ELEMS;
  [[unroll]] for (uint k = 0u; k < LB_UNIT_VECS; k++)
    out_data[(base + lb_unit_offset(sub, k)) / 4u] = v[k] * pc.scale;
}
