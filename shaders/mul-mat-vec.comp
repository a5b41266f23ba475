#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Matrix × vector (decode): y_p[c][r] = W_p[r] · x[c] for a few activation
// vectors (NVEC, 1..8) and up to three weights sharing them (see
// mul-mat-common.glsl). Memory-bound: every weight byte is read once, at
// the type's full load width, and dequantized in registers.
//
// A workgroup of WG_SIZE invocations owns ROWS consecutive rows of one part;
// its invocations stride together over the units (see dequant.glsl) of
// those rows, so neighbouring invocations read neighbouring bytes. Each
// invocation keeps ROWS × NVEC partial sums; subgroupAdd reduces them
// within a subgroup and shared memory across the workgroup's subgroups.
//
// With GLU = 1 the workgroup owns ROWS rows of the gate (part 0) and the
// same rows of the up projection (part 1): 2 × ROWS rows, one store of
// gelu(gate) * up each (mul-mat-common.glsl).
//
// Grid: x = sum over parts of ceil(rows_p / ROWS) (GLU: ceil(rows_0 / ROWS));
// y = ceil(n / NVEC). Variant: -DLB_TYPE_<T>.
#include "common.glsl"

layout(constant_id = 3) const uint ROWS = 2;          // weight rows per workgroup
layout(constant_id = 4) const uint NVEC = 1;          // activation vectors per workgroup
layout(constant_id = 5) const uint MIN_SUBGROUP = 8;  // smallest subgroup the device may use
layout(constant_id = 6) const uint GLU = 0;           // 1: gate/up pairs, gelu(gate) * up stored

#include "mul-mat-common.glsl"

const uint NR = ROWS * (GLU + 1u);   // weight rows read per workgroup

shared float partial[NR * NVEC * (WG_SIZE / MIN_SUBGROUP)];

void main ()
{
  uint part = 0u, group = gl_WorkGroupID.x;
  if (GLU == 0u)
    lb_mm_part(gl_WorkGroupID.x, ROWS, part, group);
  const uint rows = pc.rows[part];
  const uint row0 = group * ROWS;
  const uint c0 = gl_WorkGroupID.y * NVEC;
  const uint tid = gl_LocalInvocationID.x;
  const uint units = pc.cols / LB_UNIT_ELEMS;

  // Rows past the end read the last row (in bounds) and are never stored.
  // GLU: rows ROWS.. are part 1's (same row count as part 0).
  uint row_word[NR];
  [[unroll]] for (uint r = 0u; r < NR; r++) {
    const uint p = GLU != 0u ? r / ROWS : part;
    row_word[r] = pc.w_offset[p] + min(row0 + r % ROWS, rows - 1u) * pc.row_words;
  }

  float acc[NR][NVEC];
  [[unroll]] for (uint r = 0u; r < NR; r++)
    [[unroll]] for (uint c = 0u; c < NVEC; c++)
      acc[r][c] = 0.0;

  for (uint u = tid; u < units; u += WG_SIZE) {
    const uint block = u / LB_UNITS, sub = u % LB_UNITS;
    vec4 w[NR][LB_UNIT_VECS];
    [[unroll]] for (uint r = 0u; r < NR; r++)
      lb_dequant_unit(row_word[r] + block * LB_BLOCK_WORDS, sub, w[r]);

    const uint element = block * LB_BLOCK_ELEMS;
    [[unroll]] for (uint c = 0u; c < NVEC; c++) {
      if (c0 + c >= pc.n)
        break;
      const uint x_vec = ((c0 + c) * pc.x_stride + element) / 4u;
      [[unroll]] for (uint k = 0u; k < LB_UNIT_VECS; k++) {
        const vec4 xv = x_data[x_vec + lb_unit_offset(sub, k) / 4u];
        [[unroll]] for (uint r = 0u; r < NR; r++)
          acc[r][c] += dot(w[r][k], xv);
      }
    }
  }

  // Reduce: within each subgroup, then across the workgroup's subgroups.
  const uint n_subgroups = gl_NumSubgroups;
  [[unroll]] for (uint r = 0u; r < NR; r++)
    [[unroll]] for (uint c = 0u; c < NVEC; c++) {
      const float sum = subgroupAdd(acc[r][c]);
      if (subgroupElect())
        partial[(r * NVEC + c) * n_subgroups + gl_SubgroupID] = sum;
    }
  barrier();

  for (uint i = tid; i < ROWS * NVEC; i += WG_SIZE) {
    const uint r = i / NVEC, c = i % NVEC;
    if (row0 + r >= rows || c0 + c >= pc.n)
      continue;
    float sum = 0.0;
    for (uint s = 0u; s < n_subgroups; s++)
      sum += partial[i * n_subgroups + s];
    if (GLU != 0u) {
      // Row r of the up projection is row ROWS + r of the workgroup.
      float up = 0.0;
      for (uint s = 0u; s < n_subgroups; s++)
        up += partial[(i + ROWS * NVEC) * n_subgroups + s];
      lb_mm_store_glu(row0 + r, c0 + c, sum, up);
    } else {
      lb_mm_store(part, row0 + r, c0 + c, sum);
    }
  }
}
