#version 450
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Stores new keys or values into the F16 cache at slot = position % capacity
// (a ring for sliding-window layers; a linear cache has capacity > every
// position) and records each slot's position for the attention mask.
// src: [n_tok][n_kv_heads][head_dim] f32, heads contiguous;
// cache element (slot, head, d) at head * cache_head_stride + slot * cache_slot_stride + d.
// Two tokens of one dispatch must not share a slot.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) readonly buffer Pos { int positions[]; };
layout(std430, binding = 2) writeonly buffer Cache { float16_t cache[]; };
layout(std430, binding = 3) writeonly buffer SlotPos { int slot_pos[]; };

layout(push_constant) uniform Push {
  uint n_tok, n_kv_heads, head_dim;
  uint src_tok_stride;
  uint capacity;
  uint cache_slot_stride, cache_head_stride;
} p;

void main()
{
  const uint id = gl_WorkGroupID.x * WG_SIZE + gl_LocalInvocationID.x;
  if (id >= p.n_tok * p.n_kv_heads * p.head_dim)
    return;
  const uint d = id % p.head_dim;
  const uint h = (id / p.head_dim) % p.n_kv_heads;
  const uint t = id / (p.head_dim * p.n_kv_heads);
  const int pos = positions[t];
  const uint slot = uint(pos) % p.capacity;
  cache[h * p.cache_head_stride + slot * p.cache_slot_stride + d] =
    float16_t(src[t * p.src_tok_stride + h * p.head_dim + d]);
  if (h == 0u && d == 0u)
    slot_pos[slot] = pos;
}
