/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GGUF weight blocks read in place and dequantized on the fly: one include
 * shared by mul-mat-vec.comp, mul-mm.comp and get-rows.comp. The ground
 * truth is lb_dequantize in src/model/tensor-type.c (same layouts, same
 * order of elements); tests/vk/test-matmul.c holds the two together.
 *
 * The including shader includes common.glsl (16-bit storage and the other
 * extensions), defines exactly one LB_TYPE_<T> and LB_WEIGHT_BINDING (the
 * binding of the weight buffer), then includes this file. It gets:
 *
 *   LB_BLOCK_ELEMS   elements per block (dense types: a block is one unit)
 *   LB_BLOCK_WORDS   words per block, a word being the type's load unit:
 *                    uvec4 (16 bytes) where the block size allows it
 *                    (F32, F16, BF16, Q4_K, Q5_K), else uvec2 (Q5_1),
 *                    uint (Q4_1, Q2_K), uint16_t (Q4_0, Q5_0, Q8_0, Q3_K,
 *                    Q6_K: 2-byte aligned blocks, 18/22/34/110/210 bytes;
 *                    their addresses count 16-bit words, but all but Q4_0
 *                    read their quants as runs of 32-bit words, lb_u64_at
 *                    & co.)
 *   LB_WORD_BYTES    bytes of one word
 *   LB_UNITS         units per block: a unit is the piece of a block one
 *                    invocation dequantizes at once, with all the scales it
 *                    needs loaded once (16 or 32 elements for quantized types)
 *   LB_UNIT_VECS     vec4s per unit (LB_UNIT_ELEMS = 4 * LB_UNIT_VECS)
 *   lb_dequant_unit (block_word, sub, v)  dequantizes unit `sub` of the block
 *                    starting at word `block_word` of w_data into v[]
 *   lb_unit_offset (sub, k)  element offset, within the block, of v[k]'s
 *                    first element (v[k] covers 4 consecutive elements)
 *
 * Units are not always contiguous runs (a Q4_0 half-block is elements 0..7
 * and 16..23): kernels place x / outputs with lb_unit_offset, and a dot
 * product does not care about the order in which it visits elements.
 */

#if defined(LB_TYPE_F32)
#define LB_WORD vec4
#define LB_WORD_BYTES 16
#define LB_BLOCK_ELEMS 4
#define LB_BLOCK_WORDS 1
#define LB_UNITS 1
#define LB_UNIT_VECS 1
#elif defined(LB_TYPE_F16) || defined(LB_TYPE_BF16)
#define LB_WORD uvec4
#define LB_WORD_BYTES 16
#define LB_BLOCK_ELEMS 8
#define LB_BLOCK_WORDS 1
#define LB_UNITS 1
#define LB_UNIT_VECS 2
#elif defined(LB_TYPE_F16_4) || defined(LB_TYPE_BF16_4)
/* Rows whose length is a multiple of 4 but not of 8. */
#define LB_WORD uvec2
#define LB_WORD_BYTES 8
#define LB_BLOCK_ELEMS 4
#define LB_BLOCK_WORDS 1
#define LB_UNITS 1
#define LB_UNIT_VECS 1
#elif defined(LB_TYPE_Q4_0)
#define LB_WORD uint16_t
#define LB_WORD_BYTES 2
#define LB_BLOCK_ELEMS 32
#define LB_BLOCK_WORDS 9
#define LB_UNITS 2
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q4_1)
#define LB_WORD uint
#define LB_WORD_BYTES 4
#define LB_BLOCK_ELEMS 32
#define LB_BLOCK_WORDS 5
#define LB_UNITS 2
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q5_0)
#define LB_WORD uint16_t
#define LB_WORD_BYTES 2
#define LB_BLOCK_ELEMS 32
#define LB_BLOCK_WORDS 11
#define LB_UNITS 2
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q5_1)
#define LB_WORD uvec2
#define LB_WORD_BYTES 8
#define LB_BLOCK_ELEMS 32
#define LB_BLOCK_WORDS 3
#define LB_UNITS 2
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q8_0)
#define LB_WORD uint16_t
#define LB_WORD_BYTES 2
#define LB_BLOCK_ELEMS 32
#define LB_BLOCK_WORDS 17
#define LB_UNITS 2
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q2_K)
#define LB_WORD uint
#define LB_WORD_BYTES 4
#define LB_BLOCK_ELEMS 256
#define LB_BLOCK_WORDS 21
#define LB_UNITS 16
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q3_K)
#define LB_WORD uint16_t
#define LB_WORD_BYTES 2
#define LB_BLOCK_ELEMS 256
#define LB_BLOCK_WORDS 55
#define LB_UNITS 16
#define LB_UNIT_VECS 4
#elif defined(LB_TYPE_Q4_K)
#define LB_WORD uvec4
#define LB_WORD_BYTES 16
#define LB_BLOCK_ELEMS 256
#define LB_BLOCK_WORDS 9
#define LB_UNITS 8
#define LB_UNIT_VECS 8
#elif defined(LB_TYPE_Q5_K)
#define LB_WORD uvec4
#define LB_WORD_BYTES 16
#define LB_BLOCK_ELEMS 256
#define LB_BLOCK_WORDS 11
#define LB_UNITS 8
#define LB_UNIT_VECS 8
#elif defined(LB_TYPE_Q6_K)
#define LB_WORD uint16_t
#define LB_WORD_BYTES 2
#define LB_BLOCK_ELEMS 256
#define LB_BLOCK_WORDS 105
#define LB_UNITS 8
#define LB_UNIT_VECS 8
#else
#error "define one LB_TYPE_<type> before including dequant.glsl"
#endif

#define LB_UNIT_ELEMS (4 * LB_UNIT_VECS)

layout(binding = LB_WEIGHT_BINDING, std430) readonly buffer LbWeights { LB_WORD w_data[]; };

/* ---- helpers ------------------------------------------------------------ */

const uvec4 LB_BYTE_SHIFTS = uvec4(0, 8, 16, 24);

/* The four bytes of u, unsigned. */
vec4 lb_bytes (uint u) { return vec4((uvec4(u) >> LB_BYTE_SHIFTS) & 0xffu); }
/* The four bytes of u, sign-extended. */
vec4 lb_sbytes (uint u) { return vec4(ivec4(uvec4(u) << uvec4(24, 16, 8, 0)) >> 24); }
/* The low / high nibble of each byte of u. */
uvec4 lb_lo4 (uint u) { return (uvec4(u) >> LB_BYTE_SHIFTS) & 0xfu; }
uvec4 lb_hi4 (uint u) { return (uvec4(u) >> (LB_BYTE_SHIFTS + 4u)) & 0xfu; }
/* Byte i (0..3) of u. */
uint lb_byte (uint u, uint i) { return (u >> (8u * i)) & 0xffu; }

#if LB_WORD_BYTES == 2
/* Two consecutive 16-bit words as one 32-bit little-endian value. */
uint lb_w32 (uint i) { return uint(w_data[i]) | (uint(w_data[i + 1u]) << 16); }
float lb_f16 (uint i) { return unpackHalf2x16(uint(w_data[i])).x; }

/* Full-width loads for the 2-byte aligned blocks: the same binding seen as
 * 32-bit words (the binding's offset is a multiple of 4: vk-context.c
 * rounds the storage-buffer alignment up to 4). A run of n 32-bit values
 * starting at an even byte a takes n aligned 32-bit loads, one 16-bit load
 * and a funnel shift instead of 2n 16-bit loads. The 16-bit load is the
 * run's last two bytes: when a is 2 mod 4 they are the low half of the
 * word after the n loaded, which may straddle the end of the binding (a
 * binding's size need not be a multiple of 4, and a 32-bit read there
 * would be out of bounds); when a is aligned the shift ignores them. So
 * nothing outside the run is read. */
layout(binding = LB_WEIGHT_BINDING, std430) readonly buffer LbWeights32 { uint w32_data[]; };

/* Bytes sh/8.. of lo, then of hi (sh is 0 or 16; only hi's low half is used). */
uint lb_funnel (uint lo, uint hi, uint sh) { return (lo >> sh) | ((hi << 16u) << (16u - sh)); }
uvec2 lb_u64_at (uint a)
{
  uint i = a >> 2u, sh = (a & 2u) << 3u;
  uint w0 = w32_data[i], w1 = w32_data[i + 1u], tail = uint(w_data[(a + 6u) >> 1u]);
  return uvec2(lb_funnel(w0, w1, sh), lb_funnel(w1, tail, sh));
}
uvec3 lb_u96_at (uint a)
{
  uint i = a >> 2u, sh = (a & 2u) << 3u;
  uint w0 = w32_data[i], w1 = w32_data[i + 1u], w2 = w32_data[i + 2u], tail = uint(w_data[(a + 10u) >> 1u]);
  return uvec3(lb_funnel(w0, w1, sh), lb_funnel(w1, w2, sh), lb_funnel(w2, tail, sh));
}
uvec4 lb_u128_at (uint a)
{
  uint i = a >> 2u, sh = (a & 2u) << 3u;
  uint w0 = w32_data[i], w1 = w32_data[i + 1u], w2 = w32_data[i + 2u], w3 = w32_data[i + 3u];
  uint tail = uint(w_data[(a + 14u) >> 1u]);
  return uvec4(lb_funnel(w0, w1, sh), lb_funnel(w1, w2, sh), lb_funnel(w2, w3, sh), lb_funnel(w3, tail, sh));
}
#endif

/* Q4_K / Q5_K: the 6-bit scale and min of sub-block j from the 12 packed
 * bytes in h.y, h.z, h.w (h.x holds d and dmin). */
#if defined(LB_TYPE_Q4_K) || defined(LB_TYPE_Q5_K)
uint lb_k4_byte (uvec4 h, uint i) { return lb_byte(i < 4u ? h.y : (i < 8u ? h.z : h.w), i & 3u); }
vec2 lb_k4_scale_min (uvec4 h, uint j)
{
  uint sc, m;
  if (j < 4u) {
    sc = lb_k4_byte(h, j) & 63u;
    m = lb_k4_byte(h, j + 4u) & 63u;
  } else {
    sc = (lb_k4_byte(h, j + 4u) & 0xfu) | ((lb_k4_byte(h, j - 4u) >> 6) << 4);
    m = (lb_k4_byte(h, j + 4u) >> 4) | ((lb_k4_byte(h, j) >> 6) << 4);
  }
  return vec2(float(sc), float(m));
}
#endif

/* ---- the dequantizers ---------------------------------------------------- */

#if defined(LB_TYPE_F32)

void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS]) { v[0] = w_data[b]; }
uint lb_unit_offset (uint sub, uint k) { return 0u; }

#elif defined(LB_TYPE_F16)

void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec4 q = w_data[b];
  v[0] = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
  v[1] = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
}
uint lb_unit_offset (uint sub, uint k) { return 4u * k; }

#elif defined(LB_TYPE_F16_4)

void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec2 q = w_data[b];
  v[0] = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
}
uint lb_unit_offset (uint sub, uint k) { return 0u; }

#elif defined(LB_TYPE_BF16) || defined(LB_TYPE_BF16_4)

vec2 lb_bf16x2 (uint u) { return vec2(uintBitsToFloat(u << 16), uintBitsToFloat(u & 0xffff0000u)); }
#if defined(LB_TYPE_BF16)
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec4 q = w_data[b];
  v[0] = vec4(lb_bf16x2(q.x), lb_bf16x2(q.y));
  v[1] = vec4(lb_bf16x2(q.z), lb_bf16x2(q.w));
}
uint lb_unit_offset (uint sub, uint k) { return 4u * k; }
#else
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec2 q = w_data[b];
  v[0] = vec4(lb_bf16x2(q.x), lb_bf16x2(q.y));
}
uint lb_unit_offset (uint sub, uint k) { return 0u; }
#endif

#elif defined(LB_TYPE_Q4_0)

/* f16 d | 16 bytes of nibbles. Unit s (0, 1): bytes 8s..8s+7, whose low
 * nibbles are elements 8s.. and high nibbles 16+8s..; value (q - 8) * d. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  /* Two 16-bit loads per word, not lb_u64_at: measured on lavapipe, the
   * funnel shifts cost more than the one load they save here. */
  float d = lb_f16(b);
  uint q0 = lb_w32(b + 1u + 4u * sub), q1 = lb_w32(b + 3u + 4u * sub);
  v[0] = (vec4(lb_lo4(q0)) - 8.0) * d;
  v[1] = (vec4(lb_lo4(q1)) - 8.0) * d;
  v[2] = (vec4(lb_hi4(q0)) - 8.0) * d;
  v[3] = (vec4(lb_hi4(q1)) - 8.0) * d;
}
uint lb_unit_offset (uint sub, uint k) { return 8u * sub + 4u * (k & 1u) + 16u * (k >> 1); }

#elif defined(LB_TYPE_Q4_1)

/* f16 d, f16 m | 16 bytes of nibbles; value q * d + m. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  vec2 dm = unpackHalf2x16(w_data[b]);
  uint q0 = w_data[b + 1u + 2u * sub], q1 = w_data[b + 2u + 2u * sub];
  v[0] = vec4(lb_lo4(q0)) * dm.x + dm.y;
  v[1] = vec4(lb_lo4(q1)) * dm.x + dm.y;
  v[2] = vec4(lb_hi4(q0)) * dm.x + dm.y;
  v[3] = vec4(lb_hi4(q1)) * dm.x + dm.y;
}
uint lb_unit_offset (uint sub, uint k) { return 8u * sub + 4u * (k & 1u) + 16u * (k >> 1); }

#elif defined(LB_TYPE_Q5_0) || defined(LB_TYPE_Q5_1)

/* Element j (0..31) takes its fifth bit from bit j of qh. */
vec4 lb_q5 (uvec4 nibbles, uint qh, uint j0)
{
  return vec4(nibbles | (((uvec4(qh) >> (uvec4(0, 1, 2, 3) + j0)) & 1u) << 4));
}
#if defined(LB_TYPE_Q5_0)
/* f16 d | u32 qh | 16 bytes of nibbles; value (q - 16) * d. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  /* d and qh (bytes 0..5) lie in the two aligned words from the block's
   * start rounded down to 4: d is the low or high half of the first, qh
   * straddles both or is the second. */
  uint a = 2u * b, i = a >> 2u, odd = a & 2u;
  uint h0 = w32_data[i], h1 = w32_data[i + 1u];
  float d = unpackHalf2x16(odd != 0u ? h0 >> 16 : h0).x;
  uint qh = odd != 0u ? h1 : (h0 >> 16) | (h1 << 16);
  uvec2 q = lb_u64_at(a + 6u + 8u * sub);
  uint q0 = q.x, q1 = q.y;
  uint j = 8u * sub;
  v[0] = (lb_q5(lb_lo4(q0), qh, j) - 16.0) * d;
  v[1] = (lb_q5(lb_lo4(q1), qh, j + 4u) - 16.0) * d;
  v[2] = (lb_q5(lb_hi4(q0), qh, j + 16u) - 16.0) * d;
  v[3] = (lb_q5(lb_hi4(q1), qh, j + 20u) - 16.0) * d;
}
#else
/* (f16 d, f16 m, u32 qh) | 8 bytes | 8 bytes of nibbles; value q * d + m. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec2 h = w_data[b];
  vec2 dm = unpackHalf2x16(h.x);
  uvec2 q = w_data[b + 1u + sub];
  uint j = 8u * sub;
  v[0] = lb_q5(lb_lo4(q.x), h.y, j) * dm.x + dm.y;
  v[1] = lb_q5(lb_lo4(q.y), h.y, j + 4u) * dm.x + dm.y;
  v[2] = lb_q5(lb_hi4(q.x), h.y, j + 16u) * dm.x + dm.y;
  v[3] = lb_q5(lb_hi4(q.y), h.y, j + 20u) * dm.x + dm.y;
}
#endif
uint lb_unit_offset (uint sub, uint k) { return 8u * sub + 4u * (k & 1u) + 16u * (k >> 1); }

#elif defined(LB_TYPE_Q8_0)

/* f16 d | 32 signed bytes. Unit s: elements 16s..16s+15. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  float d = lb_f16(b);
  uvec4 q = lb_u128_at(2u * (b + 1u + 8u * sub));
  [[unroll]] for (uint k = 0u; k < 4u; k++)
    v[k] = lb_sbytes(q[k]) * d;
}
uint lb_unit_offset (uint sub, uint k) { return 16u * sub + 4u * k; }

#elif defined(LB_TYPE_Q2_K)

/* 16 scale bytes (low nibble scale, high nibble min) | 64 bytes of 2-bit
 * values | f16 d, f16 dmin. Unit s is qs word s (bytes 4s..4s+3): with
 * n = s / 8, h = s / 4 % 2, l0 = 4 (s % 4), shift pass j (0..3) gives
 * elements n*128 + 32j + 16 h + l0 .. +3 under scale n*8 + 2j + h. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uint n = sub >> 3, hf = (sub >> 2) & 1u;
  vec2 dm = unpackHalf2x16(w_data[b + 20u]);
  uint q = w_data[b + 4u + sub];
  uint s0 = w_data[b + 2u * n], s1 = w_data[b + 2u * n + 1u];
  [[unroll]] for (uint j = 0u; j < 4u; j++) {
    uint sc = lb_byte((j < 2u) ? s0 : s1, hf + 2u * (j & 1u));
    vec4 vals = vec4((uvec4(q) >> (LB_BYTE_SHIFTS + 2u * j)) & 3u);
    v[j] = vals * (dm.x * float(sc & 0xfu)) - dm.y * float(sc >> 4);
  }
}
uint lb_unit_offset (uint sub, uint k)
{
  return 128u * (sub >> 3) + 32u * k + 16u * ((sub >> 2) & 1u) + 4u * (sub & 3u);
}

#elif defined(LB_TYPE_Q3_K)

/* 32 bytes of high-bit mask | 64 bytes of 2-bit values | 12 bytes of packed
 * 6-bit scales | f16 d. Unit s: n = s / 8, k0 = 4 (s % 8); shift pass j
 * gives elements n*128 + 32j + k0 .. +3 from qs bytes n*32 + k0.., high bits
 * hmask[k0..] & (1 << (4n + j)), scale n*8 + 2j + k0/16. */
int lb_q3_scale (uint p0, uint p1, uint p2, uint i)
{
  uint lo_word = ((i & 7u) < 4u) ? p0 : p1;
  uint lo = (lb_byte(lo_word, i & 3u) >> (4u * (i >> 3))) & 0xfu;
  uint hi = (lb_byte(p2, i & 3u) >> (2u * (i >> 2))) & 3u;
  return int(lo | (hi << 4)) - 32;
}
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uint n = sub >> 3, k0 = 4u * (sub & 7u), hf = k0 >> 4;
  float d = lb_f16(b + 54u);
  uint q = lb_w32(b + 16u + 16u * n + (k0 >> 1));
  uint hm = lb_w32(b + (k0 >> 1));
  uvec3 p = lb_u96_at(2u * (b + 48u));
  uint p0 = p.x, p1 = p.y, p2 = p.z;
  [[unroll]] for (uint j = 0u; j < 4u; j++) {
    uint m = 1u << (4u * n + j);
    uvec4 vals = (uvec4(q) >> (LB_BYTE_SHIFTS + 2u * j)) & 3u;
    uvec4 high = (uvec4(hm) >> LB_BYTE_SHIFTS) & m;
    vec4 value = vec4(vals) - mix(vec4(4.0), vec4(0.0), notEqual(high, uvec4(0)));
    v[j] = value * (d * float(lb_q3_scale(p0, p1, p2, 8u * n + 2u * j + hf)));
  }
}
uint lb_unit_offset (uint sub, uint k) { return 128u * (sub >> 3) + 32u * k + 4u * (sub & 7u); }

#elif defined(LB_TYPE_Q4_K)

/* (f16 d, f16 dmin, 12 scale bytes) | 128 bytes of nibbles, as 9 uvec4.
 * Unit s is nibble word 1 + s: c = s / 2, l0 = 16 (s % 2); low nibbles are
 * elements 64c + l0.. (sub-block 2c), high nibbles 64c + 32 + l0..
 * (sub-block 2c + 1); value d*scale*q - dmin*min. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec4 h = w_data[b];
  uvec4 q = w_data[b + 1u + sub];
  vec2 dm = unpackHalf2x16(h.x);
  uint c = sub >> 1;
  vec2 sm_lo = lb_k4_scale_min(h, 2u * c), sm_hi = lb_k4_scale_min(h, 2u * c + 1u);
  float d1 = dm.x * sm_lo.x, m1 = dm.y * sm_lo.y;
  float d2 = dm.x * sm_hi.x, m2 = dm.y * sm_hi.y;
  [[unroll]] for (uint k = 0u; k < 4u; k++) {
    v[k] = vec4(lb_lo4(q[k])) * d1 - m1;
    v[k + 4u] = vec4(lb_hi4(q[k])) * d2 - m2;
  }
}
uint lb_unit_offset (uint sub, uint k)
{
  return 64u * (sub >> 1) + 16u * (sub & 1u) + 32u * (k >> 2) + 4u * (k & 3u);
}

#elif defined(LB_TYPE_Q5_K)

/* As Q4_K with 32 bytes of fifth bits (words 1, 2) before the nibbles
 * (words 3..10): element 64c + l (+32) takes bit 2c (2c + 1) of qh[l]. */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uvec4 h = w_data[b];
  uvec4 qh = w_data[b + 1u + (sub & 1u)];
  uvec4 q = w_data[b + 3u + sub];
  vec2 dm = unpackHalf2x16(h.x);
  uint c = sub >> 1;
  vec2 sm_lo = lb_k4_scale_min(h, 2u * c), sm_hi = lb_k4_scale_min(h, 2u * c + 1u);
  float d1 = dm.x * sm_lo.x, m1 = dm.y * sm_lo.y;
  float d2 = dm.x * sm_hi.x, m2 = dm.y * sm_hi.y;
  [[unroll]] for (uint k = 0u; k < 4u; k++) {
    uvec4 hb = uvec4(qh[k]) >> LB_BYTE_SHIFTS;
    uvec4 lo = lb_lo4(q[k]) | (((hb >> (2u * c)) & 1u) << 4);
    uvec4 hi = lb_hi4(q[k]) | (((hb >> (2u * c + 1u)) & 1u) << 4);
    v[k] = vec4(lo) * d1 - m1;
    v[k + 4u] = vec4(hi) * d2 - m2;
  }
}
uint lb_unit_offset (uint sub, uint k)
{
  return 64u * (sub >> 1) + 16u * (sub & 1u) + 32u * (k >> 2) + 4u * (k & 3u);
}

#elif defined(LB_TYPE_Q6_K)

/* 128 bytes of low nibbles | 64 bytes of high 2-bit pairs | 16 signed scale
 * bytes | f16 d. Unit s: n = s / 4, l0 = 8 (s % 4), l = l0..l0+7; group g
 * (0..3) gives elements n*128 + 32g + l with nibble (g odd: ql[+32]; g >= 2:
 * high nibble), high bits (qh[l] >> 2g) & 3, scale n*8 + l0/16 + 2g;
 * value d * scale * (q - 32). */
void lb_dequant_unit (uint b, uint sub, out vec4 v[LB_UNIT_VECS])
{
  uint n = sub >> 2, l0 = 8u * (sub & 3u);
  float d = lb_f16(b + 104u);
  uint a = 2u * (b + 32u * n + (l0 >> 1));
  uvec2 ql_lo = lb_u64_at(a), ql_hi = lb_u64_at(a + 32u);
  uint ql[4] = uint[4](ql_lo.x, ql_lo.y, ql_hi.x, ql_hi.y);
  uvec2 qh2 = lb_u64_at(2u * (b + 64u + 16u * n + (l0 >> 1)));
  uint qh[2] = uint[2](qh2.x, qh2.y);
  uint si = 8u * n + (l0 >> 4);   /* scale byte index, even or odd */
  /* Scale bytes si, si + 2, si + 4, si + 6: the 8 bytes from si's 16-bit word. */
  uvec2 sc = lb_u64_at(2u * (b + 96u + (si >> 1)));
  [[unroll]] for (uint g = 0u; g < 4u; g++) {
    uint sbyte = lb_byte(g < 2u ? sc.x : sc.y, 2u * (g & 1u) + (si & 1u));
    float scale = d * float(int(sbyte << 24) >> 24);
    [[unroll]] for (uint hh = 0u; hh < 2u; hh++) {
      uint lowq = ql[2u * (g & 1u) + hh];
      uvec4 nib = (g < 2u) ? lb_lo4(lowq) : lb_hi4(lowq);
      uvec4 high = ((uvec4(qh[hh]) >> (LB_BYTE_SHIFTS + 2u * g)) & 3u) << 4;
      v[2u * g + hh] = (vec4(nib | high) - 32.0) * scale;
    }
  }
}
uint lb_unit_offset (uint sub, uint k)
{
  return 128u * (sub >> 2) + 8u * (sub & 3u) + 32u * (k >> 1) + 4u * (k & 1u);
}

#endif
