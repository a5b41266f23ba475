// SPDX-License-Identifier: GPL-3.0-or-later
//
// NEOX rotary embedding: the pair (i, i + D/2) rotates by
// theta = pos * base^(-2i/D), pos already divided by the linear scaling
// factor. log2(base) comes from the host in double precision, and theta is
// reduced to [0, 2pi) before sin/cos, whose GPU versions are only accurate
// near zero.

vec2 lb_rope_rotate(float v0, float v1, float pos, uint i, uint dims, float log2_base)
{
  const float inv_freq = exp2(-2.0 * float(i) / float(dims) * log2_base);
  float theta = pos * inv_freq;
  const float two_pi = 6.283185307179586;
  theta -= two_pi * floor(theta / two_pi);
  const float c = cos(theta), s = sin(theta);
  return vec2(v0 * c - v1 * s, v0 * s + v1 * c);
}
