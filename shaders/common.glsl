// SPDX-License-Identifier: GPL-3.0-or-later
//
// Included by every kernel after its #version line. Conventions (see
// src/vk/vk-pipeline.h): set 0, bindings 0..n-1 are storage buffers;
// specialization constants 0..2 are the workgroup size, 3.. the kernel's own;
// the workgroup id may start at a base (split dispatches), so totals come
// from push constants, never from gl_NumWorkGroups.

#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;
layout(constant_id = 0) const uint WG_SIZE = 64;

const float LB_INFINITY = 1.0 / 0.0;
