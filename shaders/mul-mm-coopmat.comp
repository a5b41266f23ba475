#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Matrix × matrix on NVIDIA's tensor cores through VK_NV_cooperative_matrix:
// the same product, bindings, push constants and epilogues as mul-mm.comp
// (mul-mat-common.glsl), for devices whose context found a subgroup-scope
// f16 × f16 → f32 shape of 16 × CM_N × 16 (vk-context.h). src/vk/vk-matmul.c
// uses it only after checking it against mul-mm.comp on the device.
//
// A workgroup of four subgroups computes a BM (weight rows) × BN (vectors)
// tile; the subgroups form a 2 × 2 grid, each owning (BM/2) × (BN/2)
// outputs as FM × FN accumulator fragments of 16 × CM_N (f32). The K loop
// walks BK = 32 elements at a time: the weight tile is dequantized
// (dequant.glsl, whole units in the order lb_dequant_unit produces them)
// and the activation tile gathered in the same order, both rounded to f16
// in shared memory, then two 16-deep steps of coopMatMulAddNV. Accumulators
// are stored fragment by fragment through a small f32 staging area, from
// which each lane writes outputs with bias and epilogue and bounds checks.
//
// f16 tiles: weights and activations are rounded to 11 significant bits
// (relative error <= 2^-11 each), and values beyond ±65504 would overflow;
// sums are f32. vk-matmul.c's check states the tolerance this gives.
//
// Grid: as mul-mm.comp. Workgroup: 4 × the subgroup size (spec constant 0).
// Variant: -DLB_TYPE_<T>.
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#include "common.glsl"

layout(constant_id = 3) const uint BM = 64;     // weight rows per tile (multiple of 32)
layout(constant_id = 4) const uint BN = 64;     // activation vectors per tile (multiple of 2 × CM_N)
layout(constant_id = 5) const uint CM_N = 16;   // fragment width: 16 or 8
layout(constant_id = 6) const uint GLU = 0;     // 1: gate/up pairs, gelu(gate) * up stored

#include "mul-mat-common.glsl"

const uint CM_M = 16u, CM_K = 16u;
const uint BK = 32u;                         // elements per K step
const uint KU = BK / LB_UNIT_ELEMS;          // units per K step
const uint KV = BK / 4u;                     // vec4 per tile row
const uint TILE_STRIDE = BK + 8u;            // f16 per tile row: 80 bytes, a multiple of 16
const uint NW = GLU + 1u;                    // weights per output: 1, or gate and up
const uint WM = BM / 2u, WN = BN / 2u;       // outputs per subgroup
const uint FM = WM / CM_M, FN = WN / CM_N;   // fragments per subgroup
const uint FRAG = CM_M * CM_N;               // elements per fragment

shared float16_t w_tile[NW * BM * TILE_STRIDE];   // w_tile[w][m][k]
shared float16_t x_tile[BN * TILE_STRIDE];        // x_tile[n][k]
shared float stage[4u * NW * FRAG];               // per subgroup: NW fragments, column-major

void main ()
{
  uint part = 0u, group = gl_WorkGroupID.x;
  if (GLU == 0u)
    lb_mm_part(gl_WorkGroupID.x, BM, part, group);
  const uint rows = pc.rows[part];
  const uint m0 = group * BM;
  const uint c0 = gl_WorkGroupID.y * BN;
  const uint tid = gl_LocalInvocationID.x;
  const uint units = (pc.cols + LB_UNIT_ELEMS - 1u) / LB_UNIT_ELEMS;
  const uint sg = gl_SubgroupID;
  const uint sm = sg % 2u, sn = sg / 2u;

  fcoopmatNV<32, gl_ScopeSubgroup, CM_M, CM_N> acc[NW * FM * FN];   // acc[(w * FM + fm) * FN + fn]
  [[unroll]] for (uint i = 0u; i < NW * FM * FN; i++)
    acc[i] = fcoopmatNV<32, gl_ScopeSubgroup, CM_M, CM_N>(0.0);

  for (uint u0 = 0u; u0 < units; u0 += KU) {
    // Weight tile: NW × BM rows × KU units, dequantized once.
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
      [[unroll]] for (uint k = 0u; k < LB_UNIT_VECS; k++) {
        const uint o = wm * TILE_STRIDE + (ku * LB_UNIT_VECS + k) * 4u;
        const f16vec4 h = f16vec4(v[k]);
        w_tile[o] = h.x, w_tile[o + 1u] = h.y, w_tile[o + 2u] = h.z, w_tile[o + 3u] = h.w;
      }
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
      const uint o = nn * TILE_STRIDE + kv * 4u;
      const f16vec4 h = f16vec4(xv);
      x_tile[o] = h.x, x_tile[o + 1u] = h.y, x_tile[o + 2u] = h.z, x_tile[o + 3u] = h.w;
    }
    barrier();

    [[unroll]] for (uint kk = 0u; kk < BK; kk += CM_K) {
      fcoopmatNV<16, gl_ScopeSubgroup, CM_M, CM_K> a[NW * FM];
      fcoopmatNV<16, gl_ScopeSubgroup, CM_K, CM_N> b[FN];
      [[unroll]] for (uint i = 0u; i < NW * FM; i++)
        coopMatLoadNV(a[i], w_tile, ((i / FM) * BM + sm * WM + (i % FM) * CM_M) * TILE_STRIDE + kk,
                      TILE_STRIDE, false);
      // B[k][n] = x_tile[n][k]: column-major.
      [[unroll]] for (uint j = 0u; j < FN; j++)
        coopMatLoadNV(b[j], x_tile, (sn * WN + j * CM_N) * TILE_STRIDE + kk, TILE_STRIDE, true);
      [[unroll]] for (uint i = 0u; i < NW * FM; i++)
        [[unroll]] for (uint j = 0u; j < FN; j++)
          acc[i * FN + j] = coopMatMulAddNV(a[i], b[j], acc[i * FN + j]);
    }
    barrier();
  }

  // Epilogue, one fragment position at a time: its NW accumulators go to
  // the subgroup's staging area (column-major: element (m, n) at n·16 + m,
  // so neighbouring lanes write neighbouring rows), then out.
  const uint base = sg * NW * FRAG;
  [[unroll]] for (uint fm = 0u; fm < FM; fm++)
    [[unroll]] for (uint fn = 0u; fn < FN; fn++) {
      [[unroll]] for (uint w = 0u; w < NW; w++)
        coopMatStoreNV(acc[(w * FM + fm) * FN + fn], stage, base + w * FRAG, CM_M, true);
      subgroupMemoryBarrierShared();
      subgroupBarrier();
      for (uint e = gl_SubgroupInvocationID; e < FRAG; e += gl_SubgroupSize) {
        const uint r = m0 + sm * WM + fm * CM_M + e % CM_M;
        const uint c = c0 + sn * WN + fn * CM_N + e / CM_M;
        if (r >= rows || c >= pc.n)
          continue;
        if (GLU != 0u)
          lb_mm_store_glu(r, c, stage[base + e], stage[base + FRAG + e]);
        else
          lb_mm_store(part, r, c, stage[base + e]);
      }
      subgroupMemoryBarrierShared();
      subgroupBarrier();
    }
}
