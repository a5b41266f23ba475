// SPDX-License-Identifier: GPL-3.0-or-later
//
// Workgroup reductions: subgroup operations, then one value per subgroup
// through shared memory. Call from uniform control flow (they contain
// barriers); every invocation receives the result. Works for any subgroup
// size, including a workgroup smaller than a subgroup.

shared float lb_reduce_buf[WG_SIZE];

float lb_workgroup_sum(float v)
{
  v = subgroupAdd(v);
  barrier();
  if (subgroupElect())
    lb_reduce_buf[gl_SubgroupID] = v;
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; i++)
    total += lb_reduce_buf[i];
  return total;
}

float lb_workgroup_max(float v)
{
  v = subgroupMax(v);
  barrier();
  if (subgroupElect())
    lb_reduce_buf[gl_SubgroupID] = v;
  barrier();
  float m = -LB_INFINITY;
  for (uint i = 0; i < gl_NumSubgroups; i++)
    m = max(m, lb_reduce_buf[i]);
  return m;
}
