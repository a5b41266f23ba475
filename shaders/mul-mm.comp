#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Matrix × matrix (prefill, vision encoder): y_p[c][r] = W_p[r] · x[c] for
// many activation vectors, tiled in shared memory. Compute-bound: each
// weight unit is dequantized once per workgroup into shared memory and
// reused by BN activation vectors; each activation element by BM rows.
//
// A workgroup computes a BM (weight rows) × BN (activation vectors) tile of
// one part; each of its (BM/TM)·(BN/TN) = WG_SIZE invocations owns TM × TN
// outputs, rows tm + i·BM/TM and vectors tn + j·BN/TN (strided, so that
// neighbouring invocations store neighbouring outputs and read shared
// memory without bank conflicts). The K loop walks BK = 32 elements at a
// time as whole units (dequant.glsl): a tile step's "columns" are the
// elements of KU units, in the order lb_dequant_unit produces them, and the
// activation tile is gathered in the same order with lb_unit_offset.
//
// With GLU = 1 the tile holds BM rows of the gate (part 0) and the same
// rows of the up projection (part 1), and each invocation keeps both sums
// of its outputs, so that it stores gelu(gate) * up (mul-mat-common.glsl).
//
// Grid: x = sum over parts of ceil(rows_p / BM) (GLU: ceil(rows_0 / BM));
// y = ceil(n / BN). Variant: -DLB_TYPE_<T>.
#include "common.glsl"

layout(constant_id = 3) const uint BM = 64;   // weight rows per tile
layout(constant_id = 4) const uint BN = 64;   // activation vectors per tile
layout(constant_id = 5) const uint TM = 4;    // rows per invocation
layout(constant_id = 6) const uint TN = 4;    // vectors per invocation
layout(constant_id = 7) const uint GLU = 0;   // 1: gate/up pairs, gelu(gate) * up stored

#include "mul-mat-common.glsl"

const uint BK = 32u;                       // elements per K step
const uint KU = BK / LB_UNIT_ELEMS;        // units per K step
const uint KV = BK / 4u;                   // vec4 per tile row
const uint STRIDE = KV + 1u;               // padded: rows start in different banks
const uint NW = GLU + 1u;                  // weights per output: 1, or gate and up

shared vec4 w_tile[NW * BM * STRIDE];      // w_tile[w][m][kv]: W rows, dequantized
shared vec4 x_tile[BN * STRIDE];           // x_tile[nn][kv]: activations, same order

void main ()
{
  uint part = 0u, group = gl_WorkGroupID.x;
  if (GLU == 0u)
    lb_mm_part(gl_WorkGroupID.x, BM, part, group);
  const uint rows = pc.rows[part];
  const uint m0 = group * BM;
  const uint c0 = gl_WorkGroupID.y * BN;
  const uint tid = gl_LocalInvocationID.x;
  const uint tm = tid % (BM / TM), tn = tid / (BM / TM);
  const uint units = (pc.cols + LB_UNIT_ELEMS - 1u) / LB_UNIT_ELEMS;

  float acc[NW * TM][TN];   // acc[w * TM + i][j]
  [[unroll]] for (uint i = 0u; i < NW * TM; i++)
    [[unroll]] for (uint j = 0u; j < TN; j++)
      acc[i][j] = 0.0;

  for (uint u0 = 0u; u0 < units; u0 += KU) {
    // Weight tile: NW × BM rows × KU units, dequantized once. Neighbouring
    // invocations take neighbouring units of a row (coalesced reads).
    for (uint i = tid; i < NW * BM * KU; i += WG_SIZE) {
      const uint wm = i / KU, ku = i % KU, u = u0 + ku;
      const uint m = wm % BM, w_base = pc.w_offset[GLU != 0u ? wm / BM : part];
      vec4 v[LB_UNIT_VECS];
      if (m0 + m < rows && u < units) {
        const uint block = u / LB_UNITS;
        lb_dequant_unit(w_base + (m0 + m) * pc.row_words + block * LB_BLOCK_WORDS, u % LB_UNITS, v);
      } else {
        [[unroll]] for (uint k = 0u; k < LB_UNIT_VECS; k++)
          v[k] = vec4(0.0);
      }
      [[unroll]] for (uint k = 0u; k < LB_UNIT_VECS; k++)
        w_tile[wm * STRIDE + ku * LB_UNIT_VECS + k] = v[k];
    }
    // Activation tile: BN vectors × the same BK elements.
    for (uint i = tid; i < BN * KV; i += WG_SIZE) {
      const uint nn = i / KV, kv = i % KV;
      const uint u = u0 + kv / LB_UNIT_VECS, k = kv % LB_UNIT_VECS;
      vec4 xv = vec4(0.0);
      if (c0 + nn < pc.n && u < units) {
        const uint block = u / LB_UNITS;
        const uint element = block * LB_BLOCK_ELEMS + lb_unit_offset(u % LB_UNITS, k);
        xv = x_data[((c0 + nn) * pc.x_stride + element) / 4u];
      }
      x_tile[nn * STRIDE + kv] = xv;
    }
    barrier();

    [[unroll]] for (uint kv = 0u; kv < KV; kv++) {
      vec4 a[NW * TM], b[TN];
      [[unroll]] for (uint i = 0u; i < NW * TM; i++)
        a[i] = w_tile[((i / TM) * BM + tm + (i % TM) * (BM / TM)) * STRIDE + kv];
      [[unroll]] for (uint j = 0u; j < TN; j++)
        b[j] = x_tile[(tn + j * (BN / TN)) * STRIDE + kv];
      [[unroll]] for (uint i = 0u; i < NW * TM; i++)
        [[unroll]] for (uint j = 0u; j < TN; j++)
          acc[i][j] += dot(a[i], b[j]);
    }
    barrier();
  }

  [[unroll]] for (uint j = 0u; j < TN; j++) {
    const uint c = c0 + tn + j * (BN / TN);
    if (c >= pc.n)
      continue;
    [[unroll]] for (uint i = 0u; i < TM; i++) {
      const uint r = m0 + tm + i * (BM / TM);
      if (r >= rows)
        continue;
      if (GLU != 0u)
        lb_mm_store_glu(r, c, acc[i][j], acc[TM + i][j]);
      else
        lb_mm_store(part, r, c, acc[i][j]);
    }
  }
}
