#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Top-K (K = 1: argmax) of a float vector, largest first, ties to the lower
// index, NaN ranked as -inf and -0 as +0 (src/vk/vk-ops-sample.h).
//
// STAGE 0, argmax: each workgroup reduces WG_SIZE * ELEMS candidates to its
// best (value, index) pair; the C side repeats passes over those pairs
// (PAIRS_IN = 1) until one workgroup remains.
//
// K > 1, a radix select: every value maps to a 32-bit key whose unsigned
// order is the float order (key()); the K-th largest key is found 11 bits
// at a time from histograms, so no pass depends on K.
//   STAGE 1: histogram of the top 11 bits (digit 0) of every key.
//   STAGE 2: pick the digit d0 holding the K-th largest; histogram the next
//            11 bits (digit 1) of the keys with digit 0 = d0.
//   STAGE 3: pick d1: the keys above the 22-bit prefix P = (d0, d1) are
//            certainly in (fewer than K), and those on P are the boundary;
//            both go to lists in the scratch (the boundary only when
//            the final workgroup can sort it whole, the usual case).
//   STAGE 4, one workgroup: sort the lists by (key desc, index asc) and
//            keep K. When the boundary was too large (thousands of keys
//            sharing 22 bits: heavy ties), it resolves the last 10 bits
//            and the ties itself by scanning the values.
// Workgroups add their shared histograms into global ones that the C side
// zeroes before STAGE 1; each workgroup of a stage redoes the small pick
// (2048 bins) itself rather than waiting for another dispatch. The radix
// stages run 256 invocations (8 bins of a pick each).
#include "common.glsl"

layout(constant_id = 3) const uint PAIRS_IN = 0;
layout(constant_id = 4) const uint ELEMS = 8;
layout(constant_id = 5) const uint STAGE = 0;

layout(std430, binding = 0) readonly buffer Values { float values[]; };
// Argmax: the indices of a previous pass's pairs. Radix: the scratch.
layout(std430, binding = 1) buffer Aux { uint aux[]; };
layout(std430, binding = 2) writeonly buffer OutValues { float out_values[]; };
layout(std430, binding = 3) writeonly buffer OutIdx { uint out_idx[]; };

layout(push_constant) uniform Push {
  uint n;   // candidates in this pass
  uint k;   // K (radix stages)
} p;

const uint NONE = 0xffffffffu;
const uint CHUNK = WG_SIZE * ELEMS;

// The radix scratch, in words (mirrored in src/vk/vk-ops-sample.c).
const uint BINS = 2048u;              // digits 0 and 1: 11 bits each
const uint LAST_BINS = 1024u;         // digit 2: the last 10 bits
const uint SORT_CAP = 1024u;          // keys the final workgroup sorts
const uint HIST0 = 0u, HIST1 = BINS;
const uint COUNT_GT = 2u * BINS, COUNT_BOUNDARY = COUNT_GT + 1u;  // zeroed with the histograms
const uint META = COUNT_GT + 4u;      // d0, above0, P, gt, boundary size
const uint GT_LIST = META + 8u;       // [256] (key, index)
const uint BOUNDARY_LIST = GT_LIST + 512u;  // [SORT_CAP] (key, index)

const bool RADIX = STAGE != 0u;
shared float red_v[RADIX ? 1u : WG_SIZE];
shared uint red_i[RADIX ? 1u : WG_SIZE];
shared uint s_hist[STAGE == 4u ? LAST_BINS : (RADIX ? BINS : 1u)];
shared uint s_key[STAGE == 4u ? SORT_CAP : 1u];
shared uint s_idx[STAGE == 4u ? SORT_CAP : 1u];
shared uint s_group[WG_SIZE];         // one value per subgroup
shared uint s_pick[2];
shared uint s_count;

bool better(float v, uint i, float bv, uint bi)
{
  return v > bv || (v == bv && i < bi);
}

float canonical(float v)
{
  // NaN ranks as -inf; -0 and +0 are equal values, so one key.
  return isnan(v) ? -LB_INFINITY : (v == 0.0 ? 0.0 : v);
}

// Unsigned order of the key = order of the value.
uint key(float v)
{
  const uint b = floatBitsToUint(canonical(v));
  return (b & 0x80000000u) != 0u ? ~b : (b | 0x80000000u);
}

float key_value(uint k)
{
  return uintBitsToFloat((k & 0x80000000u) != 0u ? (k & 0x7fffffffu) : ~k);
}

// ---- argmax -------------------------------------------------------------------

void load(uint pos, out float v, out uint i)
{
  v = -LB_INFINITY;
  i = NONE;
  if (pos < p.n) {
    v = canonical(values[pos]);
    i = PAIRS_IN != 0u ? aux[pos] : pos;
  }
}

void argmax_main()
{
  const uint tid = gl_LocalInvocationID.x;
  const uint group = gl_WorkGroupID.x;
  float bv = -LB_INFINITY;
  uint bi = NONE;

  for (uint e = 0; e < ELEMS; e++) {
    float v;
    uint i;
    load(group * CHUNK + e * WG_SIZE + tid, v, i);
    if (better(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  const float m = subgroupMax(bv);
  const uint mi = subgroupMin(bv == m ? bi : NONE);
  barrier();
  if (subgroupElect()) {
    red_v[gl_SubgroupID] = m;
    red_i[gl_SubgroupID] = mi;
  }
  barrier();
  if (tid == 0u) {
    bv = red_v[0];
    bi = red_i[0];
    for (uint s = 1; s < gl_NumSubgroups; s++)
      if (better(red_v[s], red_i[s], bv, bi)) {
        bv = red_v[s];
        bi = red_i[s];
      }
    out_values[group] = bv;
    out_idx[group] = bi;
  }
}

// ---- workgroup scans in a fixed invocation order --------------------------------
// Ordered work (the pick walks bins from the top; ties are taken by index)
// needs one order of invocations that subgroup scans agree with: by
// subgroup, then by invocation within it. rank() numbers the invocations
// in that order without assuming how the driver forms subgroups.

uint exclusive_scan(uint v, out uint total)
{
  const uint in_group = subgroupExclusiveAdd(v);
  const uint group_total = subgroupAdd(v);
  barrier();
  if (subgroupElect())
    s_group[gl_SubgroupID] = group_total;
  barrier();
  uint before = 0u, all = 0u;
  for (uint s = 0; s < gl_NumSubgroups; s++) {
    const uint t = s_group[s];
    before += s < gl_SubgroupID ? t : 0u;
    all += t;
  }
  total = all;
  return before + in_group;
}

uint rank()
{
  uint total;
  return exclusive_scan(1u, total);
}

// The digit holding the need-th largest key (1-based) and how many keys lie
// in higher digits. counts[j] is the count of digit bins - 1 - (me * per + j),
// so rank order walks the digits from the top.
uvec2 pick_digit(uint counts[8], uint per, uint bins, uint me, uint need)
{
  uint sum = 0u;
  for (uint j = 0; j < per; j++)
    sum += counts[j];
  uint total;
  const uint before = exclusive_scan(sum, total);
  if (before < need && need <= before + sum) {
    uint acc = before;
    for (uint j = 0; j < per; j++) {
      if (acc + counts[j] >= need) {
        s_pick[0] = bins - 1u - (me * per + j);
        s_pick[1] = acc;
        break;
      }
      acc += counts[j];
    }
  }
  barrier();
  const uvec2 picked = uvec2(s_pick[0], s_pick[1]);
  barrier();
  return picked;
}

uvec2 pick_from_global(uint hist, uint me, uint need)
{
  const uint per = BINS / WG_SIZE;
  uint counts[8];
  for (uint j = 0; j < per; j++)
    counts[j] = aux[hist + BINS - 1u - (me * per + j)];
  return pick_digit(counts, per, BINS, me, need);
}

// ---- radix stages ---------------------------------------------------------------

void clear_hist(uint bins)
{
  for (uint b = gl_LocalInvocationID.x; b < bins; b += WG_SIZE)
    s_hist[b] = 0u;
  barrier();
}

void flush_hist(uint hist)
{
  barrier();
  for (uint b = gl_LocalInvocationID.x; b < BINS; b += WG_SIZE) {
    const uint c = s_hist[b];
    if (c != 0u)
      atomicAdd(aux[hist + b], c);
  }
}

void histogram_main()
{
  const uint base = gl_WorkGroupID.x * CHUNK;
  uint d0 = 0u;

  if (STAGE == 2u) {
    const uint me = rank();
    const uvec2 pick = pick_from_global(HIST0, me, min(p.k, p.n));
    d0 = pick.x;
    if (gl_WorkGroupID.x == 0u && me == 0u) {
      aux[META] = pick.x;
      aux[META + 1u] = pick.y;
    }
  }
  clear_hist(BINS);
  for (uint e = 0; e < ELEMS; e++) {
    const uint i = base + e * WG_SIZE + gl_LocalInvocationID.x;
    if (i < p.n) {
      const uint k = key(values[i]);
      if (STAGE == 1u)
        atomicAdd(s_hist[k >> 21], 1u);
      else if (k >> 21 == d0)
        atomicAdd(s_hist[(k >> 10) & (BINS - 1u)], 1u);
    }
  }
  flush_hist(STAGE == 1u ? HIST0 : HIST1);
}

void compact_main()
{
  const uint base = gl_WorkGroupID.x * CHUNK;
  const uint top = min(p.k, p.n);
  const uint me = rank();
  const uint d0 = aux[META], above0 = aux[META + 1u];
  const uvec2 pick = pick_from_global(HIST1, me, top - above0);
  const uint prefix = (d0 << 11) | pick.x;
  const uint gt = above0 + pick.y;
  const uint boundary = aux[HIST1 + pick.x];
  const bool keep_boundary = gt + boundary <= SORT_CAP;

  if (gl_WorkGroupID.x == 0u && me == 0u) {
    aux[META + 2u] = prefix;
    aux[META + 3u] = gt;
    aux[META + 4u] = boundary;
  }
  for (uint e = 0; e < ELEMS; e++) {
    const uint i = base + e * WG_SIZE + gl_LocalInvocationID.x;
    if (i < p.n) {
      const uint k = key(values[i]);
      if (k >> 10 > prefix) {
        const uint slot = atomicAdd(aux[COUNT_GT], 1u);
        aux[GT_LIST + 2u * slot] = k;
        aux[GT_LIST + 2u * slot + 1u] = i;
      } else if (k >> 10 == prefix && keep_boundary) {
        const uint slot = atomicAdd(aux[COUNT_BOUNDARY], 1u);
        aux[BOUNDARY_LIST + 2u * slot] = k;
        aux[BOUNDARY_LIST + 2u * slot + 1u] = i;
      }
    }
  }
}

// The boundary did not fit: find the K-th key among those on the prefix
// (digit 2) and take the keys above it, then the lowest indices of the
// keys equal to it, scanning the values with this one workgroup.
void resolve_boundary(uint prefix, uint gt, uint need, uint me)
{
  const uint tid = gl_LocalInvocationID.x;

  clear_hist(LAST_BINS);
  for (uint i = tid; i < p.n; i += WG_SIZE) {
    const uint k = key(values[i]);
    if (k >> 10 == prefix)
      atomicAdd(s_hist[k & (LAST_BINS - 1u)], 1u);
  }
  barrier();
  const uint per = LAST_BINS / WG_SIZE;
  uint counts[8];
  for (uint j = 0; j < per; j++)
    counts[j] = s_hist[LAST_BINS - 1u - (me * per + j)];
  const uvec2 pick = pick_digit(counts, per, LAST_BINS, me, need);
  const uint threshold = (prefix << 10) | pick.x;
  const uint ties_needed = need - pick.y;

  if (tid == 0u)
    s_count = 0u;
  barrier();
  for (uint i = tid; i < p.n; i += WG_SIZE) {
    const uint k = key(values[i]);
    if (k >> 10 == prefix && k > threshold) {
      const uint slot = gt + atomicAdd(s_count, 1u);
      s_key[slot] = k;
      s_idx[slot] = i;
    }
  }
  // Ties in index order: each invocation takes a contiguous range, in
  // rank order.
  const uint span = (p.n + WG_SIZE - 1u) / WG_SIZE;
  const uint begin = min(me * span, p.n), end = min(begin + span, p.n);
  uint mine = 0u;
  for (uint i = begin; i < end; i++)
    mine += key(values[i]) == threshold ? 1u : 0u;
  uint total;
  uint before = exclusive_scan(mine, total);
  const uint first = gt + pick.y;
  for (uint i = begin; i < end && before < ties_needed; i++)
    if (key(values[i]) == threshold) {
      s_key[first + before] = threshold;
      s_idx[first + before] = i;
      before++;
    }
  barrier();
}

void final_main()
{
  const uint tid = gl_LocalInvocationID.x;
  const uint top = min(p.k, p.n);
  const uint me = rank();
  const uint prefix = aux[META + 2u], gt = aux[META + 3u], boundary = aux[META + 4u];
  uint m;

  for (uint j = tid; j < gt; j += WG_SIZE) {
    s_key[j] = aux[GT_LIST + 2u * j];
    s_idx[j] = aux[GT_LIST + 2u * j + 1u];
  }
  if (gt + boundary <= SORT_CAP) {
    for (uint j = tid; j < boundary; j += WG_SIZE) {
      s_key[gt + j] = aux[BOUNDARY_LIST + 2u * j];
      s_idx[gt + j] = aux[BOUNDARY_LIST + 2u * j + 1u];
    }
    m = gt + boundary;
    barrier();
  } else {
    resolve_boundary(prefix, gt, top - gt, me);
    m = top;
  }

  // Bitonic sort of the m keys, padded to a power of two with keys that
  // rank last, best first: key descending, then index ascending.
  uint size = 2u;
  while (size < m)
    size *= 2u;
  for (uint j = m + tid; j < size; j += WG_SIZE) {
    s_key[j] = 0u;
    s_idx[j] = NONE;
  }
  barrier();
  for (uint block = 2u; block <= size; block *= 2u)
    for (uint stride = block / 2u; stride > 0u; stride /= 2u) {
      for (uint t = tid; t < size / 2u; t += WG_SIZE) {
        const uint lo = 2u * stride * (t / stride) + t % stride, hi = lo + stride;
        const uint ka = s_key[lo], kb = s_key[hi], ia = s_idx[lo], ib = s_idx[hi];
        const bool a_first = ka > kb || (ka == kb && ia < ib);
        if (a_first != ((lo & block) == 0u)) {
          s_key[lo] = kb;
          s_key[hi] = ka;
          s_idx[lo] = ib;
          s_idx[hi] = ia;
        }
      }
      barrier();
    }

  for (uint r = tid; r < p.k; r += WG_SIZE) {
    out_values[r] = r < top ? key_value(s_key[r]) : -LB_INFINITY;
    out_idx[r] = r < top ? s_idx[r] : NONE;
  }
}

void main()
{
  if (STAGE == 0u)
    argmax_main();
  else if (STAGE <= 2u)
    histogram_main();
  else if (STAGE == 3u)
    compact_main();
  else
    final_main();
}
