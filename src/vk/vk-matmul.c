/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weight-matrix kernels: the C side of shaders/mul-mat-vec.comp,
 * shaders/mul-mm.comp and shaders/mul-mm-coopmat.comp. Chooses the kernel
 * and its tile shape, fuses parts that share bindings, and splits tensors
 * beyond one binding into chunks. The cooperative-matrix check lives in
 * vk-matmul-check.c.
 */
#define G_LOG_DOMAIN "lightbox-vk"

#include "config.h"

#include <string.h>

#include "vk/vk-matmul.h"
#include "vk/vk-ops-elementwise.h"

/* Mirrors LbMatmulPush in shaders/mul-mat-common.glsl (std430). */
typedef struct {
  guint32 cols;
  guint32 n;
  guint32 x_stride;
  guint32 n_parts;
  guint32 flags;
  guint32 row_words;
  guint32 pad0, pad1;
  guint32 rows[4];
  guint32 w_offset[4];
  guint32 y_offset[4];
  guint32 y_stride[4];
  guint32 b_offset[4];
} LbVkMatmulPush;
G_STATIC_ASSERT (sizeof (LbVkMatmulPush) == 112);

#define MATMUL_FLAG_BIAS 1u
#define MATMUL_FLAG_GELU 2u

/* The shader variants of shaders/dequant.glsl, one per type. */
typedef struct {
  LbTensorType type;
  const char *variant;
  guint32 word_bytes;
  guint32 unit_elements;
} WeightVariant;

static const WeightVariant weight_variants[] = {
  { LB_TENSOR_F32, "f32", 16, 4 },
  { LB_TENSOR_F16, "f16", 16, 8 },
  { LB_TENSOR_BF16, "bf16", 16, 8 },
  { LB_TENSOR_Q4_0, "q4_0", 2, 16 },
  { LB_TENSOR_Q4_1, "q4_1", 4, 16 },
  { LB_TENSOR_Q5_0, "q5_0", 2, 16 },
  { LB_TENSOR_Q5_1, "q5_1", 8, 16 },
  { LB_TENSOR_Q8_0, "q8_0", 2, 16 },
  { LB_TENSOR_Q2_K, "q2_k", 4, 16 },
  { LB_TENSOR_Q3_K, "q3_k", 2, 16 },
  { LB_TENSOR_Q4_K, "q4_k", 16, 32 },
  { LB_TENSOR_Q5_K, "q5_k", 16, 32 },
  { LB_TENSOR_Q6_K, "q6_k", 2, 32 },
};

static const WeightVariant *
find_variant (LbTensorType type)
{
  for (guint i = 0; i < G_N_ELEMENTS (weight_variants); i++)
    if (weight_variants[i].type == type)
      return &weight_variants[i];
  return NULL;
}

gboolean
lb_vk_matmul_supported (LbTensorType type)
{
  return find_variant (type) != NULL;
}

gboolean
lb_vk_weight_layout (LbTensorType type, guint32 cols, LbVkWeightLayout *layout, const char *what,
                     GError **error)
{
  const WeightVariant *v = find_variant (type);
  const LbTensorTypeInfo *info = lb_tensor_type_info (type);
  gboolean dense = type == LB_TENSOR_F32 || type == LB_TENSOR_F16 || type == LB_TENSOR_BF16;

  g_return_val_if_fail (layout != NULL, FALSE);

  if (v == NULL || info == NULL)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s: the Vulkan kernels do not read %s weights", what, lb_tensor_type_name (type));
      return FALSE;
    }
  if (cols == 0 || (dense && cols % 4 != 0) || (!dense && cols % info->block_elements != 0))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "%s: rows of %u %s elements; the kernels need a multiple of %u", what, cols, info->name,
                   dense ? 4 : info->block_elements);
      return FALSE;
    }

  *layout = (LbVkWeightLayout) {
    .variant = v->variant,
    .word_bytes = v->word_bytes,
    .unit_elements = v->unit_elements,
    .row_bytes = lb_tensor_type_bytes (type, cols),
  };
  /* F16 / BF16 rows of 8k + 4: 8-byte words of 4 elements. */
  if ((type == LB_TENSOR_F16 || type == LB_TENSOR_BF16) && cols % 8 != 0)
    {
      layout->variant = type == LB_TENSOR_F16 ? "f16_4" : "bf16_4";
      layout->word_bytes = 8;
      layout->unit_elements = 4;
    }
  return TRUE;
}

/* ---- shapes and bindings -------------------------------------------------- */

static guint64
binding_size (const LbVkBinding *b)
{
  if (b->buffer == NULL || b->offset > b->buffer->size)
    return 0;
  return b->size != 0 ? b->size : b->buffer->size - b->offset;
}

static const char *
binding_name (const LbVkBinding *b)
{
  return b->buffer != NULL && b->buffer->name != NULL ? b->buffer->name : "(unnamed buffer)";
}

static guint64
gcd64 (guint64 a, guint64 b)
{
  while (b != 0)
    {
      guint64 t = a % b;
      a = b;
      b = t;
    }
  return a;
}

/* Smallest count of vectors of stride_bytes whose offset stays aligned. */
static guint64
vector_granule (const LbVkContext *ctx, guint64 stride_bytes)
{
  guint64 alignment = MAX (ctx->info.min_storage_buffer_offset_alignment, 1);

  return alignment / gcd64 (stride_bytes, alignment);
}

/* Bytes of n vectors of `length` floats, `stride` floats apart. */
static guint64
vectors_bytes (guint64 n, guint64 stride, guint64 length)
{
  return ((n - 1) * stride + length) * sizeof (float);
}

/* How many vectors fit one binding, rounded down to the granules of both
 * x and y; 0 when not even one granule fits. */
static guint64
vectors_per_binding (const LbVkContext *ctx, guint64 x_stride, guint64 x_length, guint64 y_stride,
                     guint64 y_length)
{
  guint64 range = ctx->info.max_storage_buffer_range / sizeof (float);
  guint64 gx = vector_granule (ctx, x_stride * sizeof (float));
  guint64 gy = vector_granule (ctx, y_stride * sizeof (float));
  guint64 granule = gx / gcd64 (gx, gy) * gy;
  guint64 nx, ny, n;

  if (range < x_length || range < y_length)
    return 0;
  nx = (range - x_length) / x_stride + 1;
  ny = (range - y_length) / y_stride + 1;
  n = MIN (nx, ny);
  return n - n % granule;
}

/* ---- kernel shapes ------------------------------------------------------ */

typedef struct {
  LbVkPipeline *pipeline;
  guint32 rows_per_group;   /* weight rows per workgroup (ROWS or BM) */
  guint32 vectors_per_group; /* NVEC or BN */
  gboolean glu;             /* gate/up pairs: the grid covers part 0 only */
} Kernel;

/* LIGHTBOX_VK_MATVEC=WG,ROWS and LIGHTBOX_VK_MATMUL_TILE=BM,BN,TM,TN
 * override the shapes chosen below: for tuning on a new device without a
 * rebuild, and for tests that run every tile shape. Returns how many of
 * n_values the variable held (0 when unset or malformed). */
static guint
shape_override (const char *variable, guint32 *values, guint n_values)
{
  const char *text = g_getenv (variable);
  g_auto(GStrv) fields = NULL;

  if (text == NULL || *text == '\0')
    return 0;
  fields = g_strsplit (text, ",", -1);
  if (g_strv_length (fields) != n_values)
    return 0;
  for (guint i = 0; i < n_values; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (fields[i], 10, 1, 1024, &v, NULL))
        return 0;
      values[i] = (guint32) v;
    }
  return n_values;
}

/* Matrix × vector: workgroup size and rows per workgroup. Not yet tuned on
 * real hardware: enough invocations to cover a row at two units each, and
 * enough workgroups (~128k invocations) to keep the memory busy. */
static gboolean
vec_kernel (LbVkContext *ctx, const LbVkWeightLayout *layout, guint32 cols, guint32 rows, guint32 n,
            gboolean glu, Kernel *kernel, GError **error)
{
  const LbVkDeviceInfo *info = &ctx->info;
  guint32 units = cols / layout->unit_elements;
  guint32 min_wg = MAX (info->max_subgroup_size, 1);
  guint32 wg = MAX (128, min_wg);
  guint32 nvec = MIN (n, LB_VK_MATMUL_VEC_MAX);
  guint32 rows_per_wg = 1;
  /* Registers: a gate/up pair reads two rows per output row. */
  guint32 max_rows = (layout->unit_elements >= 32 || nvec > 4 ? 2 : 4) / (glu ? 2 : 1);
  guint32 forced[2];
  g_autofree char *shader = g_strconcat ("mul_mat_vec_", layout->variant, NULL);

  while (wg > min_wg && units < 2 * wg)
    wg /= 2;
  while (rows_per_wg < max_rows && (guint64) rows / (2 * rows_per_wg) * wg >= 131072)
    rows_per_wg *= 2;
  if (shape_override ("LIGHTBOX_VK_MATVEC", forced, 2) && (forced[0] & (forced[0] - 1)) == 0
      && forced[0] >= min_wg && forced[1] <= 8)
    wg = forced[0], rows_per_wg = forced[1];
  wg = MIN (wg, info->max_workgroup_invocations);

  LbVkPipelineDesc desc = {
    .shader = shader,
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_READ },
    .push_size = sizeof (LbVkMatmulPush),
    .local_size = { wg, 1, 1 },
    .n_constants = 4,
    .constants = { rows_per_wg, nvec, MAX (info->min_subgroup_size, 1), glu },
  };
  kernel->pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  kernel->rows_per_group = rows_per_wg;
  kernel->vectors_per_group = nvec;
  kernel->glu = glu;
  return kernel->pipeline != NULL;
}

/* Shared memory of a BM × BN tile (mul-mm.comp: two tiles of 32-element
 * rows, padded by one vec4; gate/up pairs hold two weight tiles). */
static guint32
tile_shared_bytes (guint32 bm, guint32 bn, gboolean glu)
{
  return ((glu ? 2 : 1) * bm + bn) * (32 / 4 + 1) * 16;
}

/* Tiled: BM × BN outputs per workgroup of 256, TM × TN per invocation.
 * GPUs: a narrow tile for few vectors, 64 × 64, and 128 × 128 for large
 * products where shared memory allows. CPU devices (lavapipe) take 32 × 32
 * tiles of 2 × 2: a CPU gains nothing from register tiles, and its JIT
 * compiles the unrolled 4 × 4 body several times slower. */
static gboolean
tiled_kernel (LbVkContext *ctx, const LbVkWeightLayout *layout, guint32 rows, guint32 n, gboolean glu,
              Kernel *kernel, GError **error)
{
  const LbVkDeviceInfo *info = &ctx->info;
  guint32 tile[4] = { 64, 64, 4, 4 };
  g_autofree char *shader = g_strconcat ("mul_mm_", layout->variant, NULL);

  if (info->type == VK_PHYSICAL_DEVICE_TYPE_CPU)
    tile[0] = 32, tile[1] = 32, tile[2] = 2, tile[3] = 2;
  else if (n <= 32)
    tile[0] = 128, tile[1] = 32, tile[2] = 4, tile[3] = 4;
  /* Not for gate/up pairs: 8 × 8 outputs of two sums each are more registers than a GPU keeps. */
  else if (n >= 256 && rows >= 1024 && !glu && info->max_shared_memory_size >= tile_shared_bytes (128, 128, glu))
    tile[0] = 128, tile[1] = 128, tile[2] = 8, tile[3] = 8;
  if (tile_shared_bytes (tile[0], tile[1], glu) > info->max_shared_memory_size)
    tile[0] = 32, tile[1] = 32, tile[2] = 2, tile[3] = 2;   /* 14 KiB at most: any device the runtime accepts */

  {
    guint32 forced[4];
    if (shape_override ("LIGHTBOX_VK_MATMUL_TILE", forced, 4) && forced[0] % forced[2] == 0
        && forced[1] % forced[3] == 0 && (forced[0] / forced[2]) * (forced[1] / forced[3]) <= info->max_workgroup_invocations
        && tile_shared_bytes (forced[0], forced[1], glu) <= info->max_shared_memory_size)
      memcpy (tile, forced, sizeof tile);
  }

  LbVkPipelineDesc desc = {
    .shader = shader,
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_READ },
    .push_size = sizeof (LbVkMatmulPush),
    .local_size = { (tile[0] / tile[2]) * (tile[1] / tile[3]), 1, 1 },
    .n_constants = 5,
    .constants = { tile[0], tile[1], tile[2], tile[3], glu },
  };
  kernel->pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  kernel->rows_per_group = tile[0];
  kernel->vectors_per_group = tile[1];
  kernel->glu = glu;
  return kernel->pipeline != NULL;
}

/* mul-mm-coopmat.comp: 64 × 64 tiles, four subgroups of 2 × 2 fragments
 * (16 × 16) or 2 × 4 (16 × 8) each. Not tuned: it has not yet run on a GPU. */
static gboolean
coopmat_kernel (LbVkContext *ctx, const LbVkWeightLayout *layout, gboolean glu, Kernel *kernel, GError **error)
{
  const LbVkDeviceInfo *info = &ctx->info;
  const guint32 bm = 64, bn = 64, nw = glu ? 2 : 1;
  guint32 shared_bytes = (nw * bm + bn) * (32 + 8) * 2 + 4 * nw * 16 * info->coopmat_n * 4;
  g_autofree char *shader = g_strconcat ("mul_mm_coopmat_", layout->variant, NULL);

  if (!info->cooperative_matrix_nv)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                   "%s has no usable VK_NV_cooperative_matrix (a subgroup f16 × f16 → f32 shape of 16×16×16 "
                   "or 16×8×16)%s", info->name,
                   g_strcmp0 (g_getenv ("LIGHTBOX_VK_COOPMAT"), "1") == 0 ? ", which LIGHTBOX_VK_COOPMAT=1 requires"
                                                                         : "");
      return FALSE;
    }
  if (shared_bytes > info->max_shared_memory_size || 4 * info->subgroup_size > info->max_workgroup_invocations)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT,
                   "%s: the cooperative-matrix tile needs %u bytes of shared memory and %u invocations", info->name,
                   shared_bytes, 4 * info->subgroup_size);
      return FALSE;
    }

  LbVkPipelineDesc desc = {
    .shader = shader,
    .n_bindings = 4,
    .access = { LB_VK_READ, LB_VK_READ, LB_VK_WRITE, LB_VK_READ },
    .push_size = sizeof (LbVkMatmulPush),
    .local_size = { 4 * info->subgroup_size, 1, 1 },
    .n_constants = 4,
    .constants = { bm, bn, info->coopmat_n, glu },
    /* The kernel counts on exactly four subgroups. */
    .required_subgroup_size = info->subgroup_size_control ? info->subgroup_size : 0,
  };
  kernel->pipeline = lb_vk_pipeline_get (ctx, &desc, error);
  kernel->rows_per_group = bm;
  kernel->vectors_per_group = bn;
  kernel->glu = glu;
  return kernel->pipeline != NULL;
}

static gboolean
get_kernel (LbVkContext *ctx, const LbVkMatmul *op, const LbVkWeightLayout *layout, guint32 rows, guint32 n,
            gboolean glu, Kernel *kernel, GError **error)
{
  gboolean vec = op->kernel == LB_VK_MATMUL_VEC
                 || (op->kernel == LB_VK_MATMUL_AUTO && op->n <= LB_VK_MATMUL_VEC_MAX);
  gboolean coopmat = op->kernel == LB_VK_MATMUL_COOPMAT;

  if (vec)
    return vec_kernel (ctx, layout, op->cols, rows, n, glu, kernel, error);
  if ((op->kernel == LB_VK_MATMUL_AUTO || op->kernel == LB_VK_MATMUL_TILED)
      && !lb_vk_matmul_uses_coopmat (ctx, op->type, op->cols, &coopmat, error))
    return FALSE;
  return coopmat ? coopmat_kernel (ctx, layout, glu, kernel, error)
                 : tiled_kernel (ctx, layout, rows, n, glu, kernel, error);
}

gboolean
lb_vk_matmul_uses_coopmat (LbVkContext *ctx, LbTensorType type, guint32 cols, gboolean *out_uses, GError **error)
{
  const char *env = g_getenv ("LIGHTBOX_VK_COOPMAT");
  LbVkWeightLayout layout;
  gpointer state;
  LbVkMatmulCheck check;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (ctx != NULL && out_uses != NULL, FALSE);

  *out_uses = FALSE;
  if (g_strcmp0 (env, "0") == 0)
    return TRUE;
  if (g_strcmp0 (env, "1") == 0)
    {
      if (!ctx->info.cooperative_matrix_nv)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE,
                       "LIGHTBOX_VK_COOPMAT=1, but %s has no usable VK_NV_cooperative_matrix (a subgroup f16 × f16 "
                       "→ f32 shape of 16×16×16 or 16×8×16); unset it to use the scalar tiled kernel",
                       ctx->info.name);
          return FALSE;
        }
      *out_uses = TRUE;
      return TRUE;
    }
  if (!ctx->info.cooperative_matrix_nv || !lb_vk_weight_layout (type, cols, &layout, "coopmat", NULL))
    return TRUE;

  if (ctx->coopmat_checks == NULL)
    ctx->coopmat_checks = g_hash_table_new (g_str_hash, g_str_equal);
  if (!g_hash_table_lookup_extended (ctx->coopmat_checks, layout.variant, NULL, &state))
    {
      /* The check's own rows are 256 (or 260 for the 8k + 4 layouts) long. */
      guint32 check_cols = g_str_has_suffix (layout.variant, "_4") ? 260 : 256;
      gboolean agrees = FALSE;

      if (!lb_vk_matmul_check_kernel (ctx, type, check_cols, LB_VK_MATMUL_COOPMAT, &check, &local))
        g_message ("cooperative-matrix kernel for %s weights on %s: the check could not run (%s); using the "
                   "scalar tiled kernel", lb_tensor_type_name (type), ctx->info.name, local->message);
      else if (!check.agrees)
        g_message ("cooperative-matrix kernel for %s weights on %s disagrees with the scalar tiled kernel "
                   "(%s off by %.3g × the tolerance); using the scalar tiled kernel", lb_tensor_type_name (type),
                   ctx->info.name, check.where, check.worst);
      else
        {
          agrees = TRUE;
          g_info ("cooperative-matrix kernel for %s weights on %s: checked (worst %.3g of the tolerance)",
                  lb_tensor_type_name (type), ctx->info.name, check.worst);
        }
      state = GINT_TO_POINTER (agrees ? 1 : 2);
      g_hash_table_insert (ctx->coopmat_checks, (gpointer) layout.variant, state);
    }
  *out_uses = GPOINTER_TO_INT (state) == 1;
  return TRUE;
}

static guint32
div_up (guint64 a, guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

/* ---- checks ----------------------------------------------------------------- */

static gboolean
check_op (LbVkContext *ctx, const LbVkMatmul *op, const LbVkWeightLayout *layout, GError **error)
{
  guint32 x_stride = op->x_stride != 0 ? op->x_stride : op->cols;

  if (x_stride < op->cols || x_stride % 4 != 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "matmul with %s: activation stride %u for %u columns (at least the columns, a multiple of 4)",
                   binding_name (&op->parts[0].weight), x_stride, op->cols);
      return FALSE;
    }
  if (binding_size (&op->x) < vectors_bytes (op->n, x_stride, op->cols))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "matmul with %s: the activations (%s, %" G_GUINT64_FORMAT " bytes bound) hold fewer than %u "
                   "vectors of %u", binding_name (&op->parts[0].weight), binding_name (&op->x),
                   binding_size (&op->x), op->n, op->cols);
      return FALSE;
    }

  for (guint p = 0; p < op->n_parts; p++)
    {
      const LbVkMatmulPart *part = &op->parts[p];
      const char *name = binding_name (&part->weight);
      guint32 out_stride = part->out_stride != 0 ? part->out_stride : part->rows;

      if (part->rows == 0 || part->weight.buffer == NULL || part->out.buffer == NULL)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "matmul part %u (%s): no rows, weight or output", p, name);
          return FALSE;
        }
      if (part->weight.offset % layout->word_bytes != 0)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "matmul with %s: %s weights at offset %" G_GUINT64_FORMAT ", not a multiple of %u bytes",
                       name, lb_tensor_type_name (op->type), (guint64) part->weight.offset, layout->word_bytes);
          return FALSE;
        }
      if (binding_size (&part->weight) < (guint64) part->rows * layout->row_bytes)
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "matmul with %s: %" G_GUINT64_FORMAT " bytes bound, %u rows of %u %s need %" G_GUINT64_FORMAT,
                       name, binding_size (&part->weight), part->rows, op->cols, lb_tensor_type_name (op->type),
                       (guint64) part->rows * layout->row_bytes);
          return FALSE;
        }
      if (out_stride < part->rows
          || binding_size (&part->out) < vectors_bytes (op->n, out_stride, part->rows))
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "matmul with %s: the output (%s, %" G_GUINT64_FORMAT " bytes bound, stride %u) cannot hold %u "
                       "vectors of %u", name, binding_name (&part->out), binding_size (&part->out), out_stride,
                       op->n, part->rows);
          return FALSE;
        }
      if (part->bias.buffer != NULL && binding_size (&part->bias) < (guint64) part->rows * sizeof (float))
        {
          g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                       "matmul with %s: the bias (%s) holds fewer than %u floats", name,
                       binding_name (&part->bias), part->rows);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- dispatch ------------------------------------------------------------- */

/* Records one dispatch for all of push's parts; bindings = W, x, y, bias. */
static gboolean
dispatch (LbVkCommands *cmds, const Kernel *kernel, const LbVkBinding bindings[4], const LbVkMatmulPush *push,
          GError **error)
{
  guint32 groups_x = 0;

  for (guint p = 0; p < (kernel->glu ? 1 : push->n_parts); p++)
    groups_x += div_up (push->rows[p], kernel->rows_per_group);
  return lb_vk_dispatch (cmds, kernel->pipeline, bindings, push, groups_x,
                         div_up (push->n, kernel->vectors_per_group), 1, error);
}

/* Whether all parts' bindings of one kind share a buffer and fit one
 * binding; fills the covering binding and each part's offset in units. */
static gboolean
cover (LbVkContext *ctx, const LbVkBinding *const bindings[], const guint64 sizes[], guint n, guint32 unit,
       LbVkBinding *out, guint32 offsets[])
{
  guint64 lo = G_MAXUINT64, hi = 0;

  for (guint i = 0; i < n; i++)
    {
      if (bindings[i]->buffer != bindings[0]->buffer)
        return FALSE;
      lo = MIN (lo, bindings[i]->offset);
      hi = MAX (hi, bindings[i]->offset + sizes[i]);
    }
  if (hi - lo > ctx->info.max_storage_buffer_range)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if ((bindings[i]->offset - lo) % unit != 0 || (bindings[i]->offset - lo) / unit > G_MAXUINT32)
        return FALSE;
      offsets[i] = (guint32) ((bindings[i]->offset - lo) / unit);
    }
  *out = lb_vk_bind_range (bindings[0]->buffer, lo, hi - lo);
  return TRUE;
}

static guint32
epilogue_flags (const LbVkMatmul *op)
{
  return op->epilogue == LB_VK_MATMUL_GELU ? MATMUL_FLAG_GELU : 0;
}

/* All parts in one dispatch, when their bindings allow it (GELU_MUL: the
 * gate/up kernel). Sets *done. */
static gboolean
try_fused (LbVkCommands *cmds, const LbVkMatmul *op, const LbVkWeightLayout *layout, gboolean *done,
           GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  guint32 x_stride = op->x_stride != 0 ? op->x_stride : op->cols;
  const LbVkBinding *weights[LB_VK_MATMUL_MAX_PARTS], *outs[LB_VK_MATMUL_MAX_PARTS], *biases[LB_VK_MATMUL_MAX_PARTS];
  guint64 weight_sizes[LB_VK_MATMUL_MAX_PARTS], out_sizes[LB_VK_MATMUL_MAX_PARTS], bias_sizes[LB_VK_MATMUL_MAX_PARTS];
  guint32 max_rows = 0;
  guint n_biases = 0;
  LbVkBinding bindings[4];
  LbVkMatmulPush push = {
    .cols = op->cols,
    .n = op->n,
    .x_stride = x_stride,
    .n_parts = op->n_parts,
    .flags = epilogue_flags (op),
    .row_words = (guint32) (layout->row_bytes / layout->word_bytes),
  };
  Kernel kernel;
  gboolean glu = op->epilogue == LB_VK_MATMUL_GELU_MUL;

  *done = FALSE;
  if (vectors_bytes (op->n, x_stride, op->cols) > ctx->info.max_storage_buffer_range)
    return TRUE;
  for (guint p = 0; p < op->n_parts; p++)
    {
      const LbVkMatmulPart *part = &op->parts[p];
      weights[p] = &part->weight;
      weight_sizes[p] = (guint64) part->rows * layout->row_bytes;
      outs[p] = &part->out;
      push.rows[p] = part->rows;
      push.y_stride[p] = part->out_stride != 0 ? part->out_stride : part->rows;
      out_sizes[p] = vectors_bytes (op->n, push.y_stride[p], part->rows);
      biases[p] = &part->bias;
      bias_sizes[p] = (guint64) part->rows * sizeof (float);
      n_biases += part->bias.buffer != NULL;
      max_rows = MAX (max_rows, part->rows);
    }
  if (n_biases != 0 && n_biases != op->n_parts)
    return TRUE;
  if (!cover (ctx, weights, weight_sizes, op->n_parts, layout->word_bytes, &bindings[0], push.w_offset)
      || !cover (ctx, outs, out_sizes, op->n_parts, sizeof (float), &bindings[2], push.y_offset))
    return TRUE;
  bindings[1] = lb_vk_bind_range (op->x.buffer, op->x.offset, vectors_bytes (op->n, x_stride, op->cols));
  if (n_biases != 0)
    {
      if (!cover (ctx, biases, bias_sizes, op->n_parts, sizeof (float), &bindings[3], push.b_offset))
        return TRUE;
      push.flags |= MATMUL_FLAG_BIAS;
    }
  else
    bindings[3] = bindings[1];

  *done = TRUE;
  return get_kernel (ctx, op, layout, max_rows, op->n, glu, &kernel, error)
         && dispatch (cmds, &kernel, bindings, &push, error);
}

/* One part alone, in row chunks of the weight and groups of vectors. */
static gboolean
matmul_part (LbVkCommands *cmds, const LbVkMatmul *op, const LbVkWeightLayout *layout, const LbVkMatmulPart *part,
             GError **error)
{
  LbVkContext *ctx = lb_vk_commands_get_context (cmds);
  guint32 x_stride = op->x_stride != 0 ? op->x_stride : op->cols;
  guint32 out_stride = part->out_stride != 0 ? part->out_stride : part->rows;
  guint64 row_step = MIN (part->rows, lb_vk_rows_per_binding (ctx, layout->row_bytes));
  guint64 vector_step = vectors_per_binding (ctx, x_stride, op->cols, out_stride, part->rows);
  Kernel kernel;

  if (vector_step == 0)
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_LIMIT,
                   "matmul with %s: one activation or output vector (%u, %u floats) exceeds the device's "
                   "maxStorageBufferRange (%" G_GUINT64_FORMAT " bytes)", binding_name (&part->weight), op->cols,
                   part->rows, ctx->info.max_storage_buffer_range);
      return FALSE;
    }
  if (!get_kernel (ctx, op, layout, (guint32) row_step, MIN (op->n, (guint32) MIN (vector_step, G_MAXUINT32)),
                   FALSE, &kernel, error))
    return FALSE;

  for (guint64 c0 = 0; c0 < op->n; c0 += vector_step)
    {
      guint32 count = (guint32) MIN (vector_step, op->n - c0);
      LbVkBinding x = lb_vk_bind_range (op->x.buffer, op->x.offset + c0 * x_stride * sizeof (float),
                                        vectors_bytes (count, x_stride, op->cols));
      LbVkBinding y = lb_vk_bind_range (part->out.buffer, part->out.offset + c0 * out_stride * sizeof (float),
                                        vectors_bytes (count, out_stride, part->rows));
      LbVkBinding bias = part->bias.buffer != NULL
                           ? lb_vk_bind_range (part->bias.buffer, part->bias.offset, part->rows * sizeof (float))
                           : x;

      for (guint64 r0 = 0; r0 < part->rows; r0 += row_step)
        {
          guint32 rows = (guint32) MIN (row_step, part->rows - r0);
          LbVkBinding bindings[4] = {
            lb_vk_bind_range (part->weight.buffer, part->weight.offset + r0 * layout->row_bytes,
                              rows * layout->row_bytes),
            x, y, bias,
          };
          LbVkMatmulPush push = {
            .cols = op->cols,
            .n = count,
            .x_stride = x_stride,
            .n_parts = 1,
            .flags = (part->bias.buffer != NULL ? MATMUL_FLAG_BIAS : 0) | epilogue_flags (op),
            .row_words = (guint32) (layout->row_bytes / layout->word_bytes),
            .rows = { rows },
            .y_offset = { (guint32) r0 },
            .y_stride = { out_stride },
            .b_offset = { (guint32) r0 },
          };

          if (!dispatch (cmds, &kernel, bindings, &push, error))
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
lb_vk_matmul (LbVkCommands *cmds, const LbVkMatmul *op, GError **error)
{
  LbVkWeightLayout layout;
  gboolean fused = FALSE;

  g_return_val_if_fail (cmds != NULL && op != NULL, FALSE);
  g_return_val_if_fail (op->n_parts >= 1 && op->n_parts <= LB_VK_MATMUL_MAX_PARTS, FALSE);
  g_return_val_if_fail (op->x.buffer != NULL, FALSE);

  if (!lb_vk_weight_layout (op->type, op->cols, &layout, binding_name (&op->parts[0].weight), error)
      || !check_op (lb_vk_commands_get_context (cmds), op, &layout, error))
    return FALSE;
  if (op->epilogue == LB_VK_MATMUL_GELU_MUL && (op->n_parts != 2 || op->parts[0].rows != op->parts[1].rows))
    {
      g_set_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID,
                   "matmul with %s: gelu(gate) × up needs two parts of equal rows, got %u part%s",
                   binding_name (&op->parts[0].weight), op->n_parts, op->n_parts == 1 ? "" : "s");
      return FALSE;
    }
  if (op->n == 0)
    return TRUE;

  if (op->n_parts > 1 && !try_fused (cmds, op, &layout, &fused, error))
    return FALSE;
  if (fused)
    return TRUE;
  for (guint p = 0; p < op->n_parts; p++)
    if (!matmul_part (cmds, op, &layout, &op->parts[p], error))
      return FALSE;
  if (op->epilogue == LB_VK_MATMUL_GELU_MUL)
    {
      /* The pair could not share a dispatch: gate and up went to their own
       * outputs (matmul_part writes no epilogue for GELU_MUL). */
      const LbVkMatmulPart *gate = &op->parts[0], *up = &op->parts[1];
      LbVkElementwise gelu = {
        .op = LB_VK_GELU_MUL,
        .a = gate->out,
        .b = up->out,
        .y = gate->out,
        .n_rows = op->n,
        .n_cols = gate->rows,
        .a_stride = gate->out_stride,
        .b_stride = up->out_stride,
        .y_stride = gate->out_stride,
      };
      return lb_vk_elementwise (cmds, &gelu, error);
    }
  return TRUE;
}

gboolean
lb_vk_matmul_simple (LbVkCommands *cmds, LbTensorType type, LbVkBinding weight, guint32 rows, guint32 cols,
                     LbVkBinding x, guint32 n, LbVkBinding out, GError **error)
{
  LbVkMatmul op = {
    .type = type,
    .cols = cols,
    .n = n,
    .x = x,
    .n_parts = 1,
    .parts = { { .weight = weight, .rows = rows, .out = out } },
  };

  return lb_vk_matmul (cmds, &op, error);
}
