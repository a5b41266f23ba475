#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Log-softmax over long rows (a vocabulary of 262144 logits) without the
// rows leaving the device: out[first + r] = x[r][target[first + r]] −
// logsumexp(x[r]) (TARGETS = 1), or logsumexp(x[r]) alone (TARGETS = 0),
// in float32, after an optional soft cap c·tanh(x / c) (Gemma's final
// logit soft-capping; p.softcap = 0: none).
//
//   FINAL = 0: workgroup (chunk, row) folds CHUNK = WG_SIZE * ELEMS values
//              into a partial (max m, sum of exp(x − m)) at
//              partials[row][chunk]; each invocation keeps a running (m, s)
//              so no exp ever sees a positive argument (no overflow at any
//              magnitude), then subgroup and shared-memory reductions.
//   FINAL = 1: one workgroup per row combines that row's partials.
//
// -inf values add nothing; a NaN value makes the row NaN (a broken model
// must not look confident). A target outside the row gives NaN.
#include "common.glsl"
#include "reduce.glsl"

layout(constant_id = 3) const uint FINAL = 0;
layout(constant_id = 4) const uint ELEMS = 8;
layout(constant_id = 5) const uint TARGETS = 1;

layout(std430, binding = 0) readonly buffer Values { float x[]; };
layout(std430, binding = 1) buffer Partials { vec2 partials[]; };     // [n_rows][n_chunks] (m, s)
layout(std430, binding = 2) readonly buffer Targets { uint targets[]; };
layout(std430, binding = 3) writeonly buffer Out { float out_values[]; };

layout(push_constant) uniform Push {
  uint n;          // values per row
  uint n_rows;
  uint stride;     // elements between rows of x
  uint n_chunks;   // partials per row
  uint first;      // row 0's index in targets and out_values
  float softcap;
} p;

const uint CHUNK = WG_SIZE * ELEMS;

float capped(float v)
{
  return p.softcap > 0.0 ? p.softcap * tanh(v / p.softcap) : v;
}

// Adds a value to the running (m, s).
void push_value(inout float m, inout float s, float v)
{
  if (v > m) {
    s = s * exp(m - v) + 1.0;
    m = v;
  } else if (v != -LB_INFINITY) {
    s += exp(v - m);   // NaN stays NaN
  }
}

// Adds a partial (pm, ps) to the running (m, s).
void push_partial(inout float m, inout float s, float pm, float ps)
{
  if (pm > m) {
    s = s * exp(m - pm) + ps;
    m = pm;
  } else if (pm != -LB_INFINITY) {
    s += ps * exp(pm - m);
  } else if (isnan(ps)) {
    s = ps;
  }
}

// Every invocation's (m, s) into the workgroup's: the largest m, and the
// sums rescaled to it.
void reduce_pair(inout float m, inout float s)
{
  const float wm = lb_workgroup_max(m);
  const float scaled = m == -LB_INFINITY ? (isnan(s) ? s : 0.0) : s * exp(m - wm);
  s = lb_workgroup_sum(scaled);
  m = wm;
}

void main()
{
  const uint tid = gl_LocalInvocationID.x;
  const uint row = gl_WorkGroupID.y;
  if (row >= p.n_rows)
    return;
  const uint xo = row * p.stride;
  float m = -LB_INFINITY, s = 0.0;

  if (FINAL == 0u) {
    const uint chunk = gl_WorkGroupID.x;
    const uint base = chunk * CHUNK;
    [[unroll]] for (uint e = 0; e < ELEMS; e++) {
      const uint i = base + e * WG_SIZE + tid;
      if (i < p.n)
        push_value(m, s, capped(x[xo + i]));
    }
    reduce_pair(m, s);
    if (tid == 0u && chunk < p.n_chunks)
      partials[row * p.n_chunks + chunk] = vec2(m, s);
    return;
  }

  for (uint c = tid; c < p.n_chunks; c += WG_SIZE) {
    const vec2 part = partials[row * p.n_chunks + c];
    push_partial(m, s, part.x, part.y);
  }
  reduce_pair(m, s);
  if (tid == 0u) {
    float lse = s > 0.0 ? m + log(s) : (isnan(s) ? s : -LB_INFINITY);
    float result = lse;
    if (TARGETS != 0u) {
      const uint t = targets[p.first + row];
      result = t < p.n ? capped(x[xo + t]) - lse : uintBitsToFloat(0x7fc00000u);
    }
    out_values[p.first + row] = result;
  }
}
