/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The weight kernels' epilogues and kernel choice (vk-matmul.h):
 *
 *   - GELU_MUL, the fused gate/up of the text MLP, against C:
 *     gelu_tanh(W_g x + b_g) · (W_u x + b_u) in double, for several types,
 *     both kernels (matrix × vector and tiled), one dispatch (shared
 *     buffers) and the fallback (separate buffers: two products and an
 *     elementwise pass);
 *   - GELU, the vision MLP's fc1, the same way;
 *   - cooperative matrices: the shaders are embedded (and pass spirv-val
 *     where it is installed), the selection falls back cleanly on a device
 *     without them (lavapipe), LIGHTBOX_VK_COOPMAT=1 there is an error that
 *     says so, and the on-device check's harness agrees for a kernel that
 *     is right (the matrix × vector kernel). Where a device has them the
 *     same tests run the real check and the products on it.
 *
 * Tolerance, per output: the products as in test-matmul.c,
 * tol_p = 1e-5 · sum_k |W[r][k] x[k]| + 1e-6 (float32 sums of exactly
 * dequantized weights), carried through gelu (|gelu'| <= 1.13) and the
 * product: |Δ(gelu(g) u)| <= 1.13 tol_g (|u| + tol_u) + (|gelu(g)| + 1.13
 * tol_g) tol_u, plus 4e-6 relative for float32 tanh/exp in the shader. On
 * a device whose tiled products run on cooperative matrices (f16 operands)
 * the product tolerance is the check's, 2e-3 · sum + 2^-24 sum (|W| + |x|).
 */
#define G_LOG_DOMAIN "lightbox-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vk-test.h"
#include "model/quantize.h"
#include "vk/vk-matmul.h"
#include "vk/vk-pipeline.h"

#define GELU_SLOPE 1.13

static double
gelu_tanh (double x)
{
  return 0.5 * x * (1.0 + tanh (0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

/* rows × cols random weights of the type; *out_values gets lb_dequantize's values. */
static guint8 *
random_weights (GRand *rand, LbTensorType type, guint32 rows, guint32 cols, gsize *out_bytes, float **out_values)
{
  gsize n = (gsize) rows * cols;
  g_autofree float *values = vk_test_random_floats (rand, n, -1.0f, 1.0f);
  guint8 *data = g_malloc (lb_tensor_type_bytes (type, n));

  lb_quantize (type, values, data, n);
  *out_values = g_new (float, n);
  lb_dequantize (type, data, *out_values, n);
  *out_bytes = lb_tensor_type_bytes (type, n);
  return data;
}

/* W[r] · x[c] + bias[r] in double, with the product's tolerance. */
static double
product (const float *w, const float *x, const float *bias, guint32 cols, guint32 r, guint32 c, gboolean f16,
         double *tolerance)
{
  double sum = bias != NULL ? bias[r] : 0, mag = bias != NULL ? fabs (bias[r]) : 0, sum_abs = 0;

  for (guint32 k = 0; k < cols; k++)
    {
      double t = (double) w[(gsize) r * cols + k] * x[(gsize) c * cols + k];
      sum += t;
      mag += fabs (t);
      sum_abs += fabs (w[(gsize) r * cols + k]) + fabs (x[(gsize) c * cols + k]);
    }
  *tolerance = f16 ? 2e-3 * mag + ldexp (sum_abs, -24) + 1e-6 : 1e-5 * mag + 1e-6;
  return sum;
}

static gboolean
tiled_on_coopmat (LbVkContext *ctx, LbTensorType type, guint32 cols, guint32 n)
{
  gboolean uses = FALSE;
  g_autoptr(GError) error = NULL;

  if (n <= LB_VK_MATMUL_VEC_MAX)
    return FALSE;
  g_assert_true (lb_vk_matmul_uses_coopmat (ctx, type, cols, &uses, &error));
  g_assert_no_error (error);
  return uses;
}

/* ---- GELU_MUL ------------------------------------------------------------ */

typedef struct {
  LbTensorType type;
  guint32 rows, cols, n;
  gboolean shared;      /* gate and up weights (and outputs, biases) in one buffer each: one dispatch */
  gboolean bias;
} GluCase;

static void
run_gelu_mul (LbVkContext *ctx, const GluCase *gc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = vk_test_rand ();
  g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
  g_autofree float *x = vk_test_random_floats (rand, (gsize) gc->n * gc->cols, -1.0f, 1.0f);
  g_autofree float *y = NULL;
  float *w[2] = { NULL }, *bias[2] = { NULL };
  guint8 *blocks[2] = { NULL };
  gsize w_bytes[2];
  guint64 align = ctx->info.min_storage_buffer_offset_alignment;
  guint64 y_bytes = (guint64) gc->n * gc->rows * 4, y_span = (y_bytes + align - 1) / align * align;
  guint64 w_span, b_span = (gc->rows * 4 + align - 1) / align * align;
  LbVkBuffer *w_bufs[2] = { NULL }, *b_bufs[2] = { NULL }, *y_bufs[2] = { NULL };
  g_autoptr(LbVkBuffer) x_buf = NULL;
  gboolean f16 = tiled_on_coopmat (ctx, gc->type, gc->cols, gc->n);
  LbVkMatmul op = {
    .type = gc->type, .cols = gc->cols, .n = gc->n, .n_parts = 2, .epilogue = LB_VK_MATMUL_GELU_MUL,
  };
  g_autofree char *what = g_strdup_printf ("gelu_mul %s %u×%u n=%u %s%s", lb_tensor_type_name (gc->type), gc->rows,
                                          gc->cols, gc->n, gc->shared ? "shared" : "apart", gc->bias ? " bias" : "");
  double worst = -1;
  guint32 worst_r = 0, worst_c = 0;
  guint before;

  for (guint p = 0; p < 2; p++)
    {
      blocks[p] = random_weights (rand, gc->type, gc->rows, gc->cols, &w_bytes[p], &w[p]);
      bias[p] = vk_test_random_floats (rand, gc->rows, -1.0f, 1.0f);
    }
  w_span = (w_bytes[0] + align - 1) / align * align;
  x_buf = vk_test_upload_floats (ctx, x, (gsize) gc->n * gc->cols, "x");
  if (gc->shared)
    {
      w_bufs[0] = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 2 * w_span, "blk.0.ffn_gate+up", &error);
      g_assert_no_error (error);
      b_bufs[0] = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 2 * b_span, "gate/up biases", &error);
      g_assert_no_error (error);
      y_bufs[0] = vk_test_poisoned (ctx, cmds, 2 * y_span, "ffn");
    }
  for (guint p = 0; p < 2; p++)
    {
      LbVkMatmulPart *part = &op.parts[p];

      if (gc->shared)
        {
          lb_vk_buffer_write (w_bufs[0], p * w_span, blocks[p], w_bytes[p], &error);
          g_assert_no_error (error);
          lb_vk_buffer_write (b_bufs[0], p * b_span, bias[p], gc->rows * 4, &error);
          g_assert_no_error (error);
          part->weight = lb_vk_bind_range (w_bufs[0], p * w_span, w_bytes[p]);
          part->bias = lb_vk_bind_range (b_bufs[0], p * b_span, gc->rows * 4);
          part->out = lb_vk_bind_range (y_bufs[0], p * y_span, y_bytes);
        }
      else
        {
          w_bufs[p] = vk_test_upload (ctx, blocks[p], w_bytes[p], p ? "blk.0.ffn_up" : "blk.0.ffn_gate");
          b_bufs[p] = vk_test_upload_floats (ctx, bias[p], gc->rows, "a bias");
          y_bufs[p] = vk_test_poisoned (ctx, cmds, y_bytes, p ? "up" : "gate");
          part->weight = lb_vk_bind (w_bufs[p]);
          part->bias = lb_vk_bind (b_bufs[p]);
          part->out = lb_vk_bind (y_bufs[p]);
        }
      part->rows = gc->rows;
      if (!gc->bias)
        part->bias = (LbVkBinding) { 0 };
    }
  op.x = lb_vk_bind (x_buf);

  before = lb_vk_commands_n_dispatches (cmds);
  lb_vk_matmul (cmds, &op, &error);
  g_assert_no_error (error);
  /* Shared: the pair is one dispatch; apart: two products and the elementwise pass. */
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds) - before, ==, gc->shared ? 1 : 3);
  vk_test_run_commands (cmds);

  y = vk_test_download_floats (y_bufs[0], y_bytes / 4);
  for (guint32 c = 0; c < gc->n; c++)
    for (guint32 r = 0; r < gc->rows; r++)
      {
        double tol_g, tol_u;
        double g = product (w[0], x, gc->bias ? bias[0] : NULL, gc->cols, r, c, f16, &tol_g);
        double u = product (w[1], x, gc->bias ? bias[1] : NULL, gc->cols, r, c, f16, &tol_u);
        double ref = gelu_tanh (g) * u;
        double tol = GELU_SLOPE * tol_g * (fabs (u) + tol_u) + (fabs (gelu_tanh (g)) + GELU_SLOPE * tol_g) * tol_u
                     + 4e-6 * fabs (ref) + 1e-7;
        float got = y[(gsize) c * gc->rows + r];
        double excess = isfinite (got) ? fabs (got - ref) - tol : INFINITY;

        if (excess > worst)
          worst = excess, worst_r = r, worst_c = c;
      }
  if (worst > 0)
    g_test_message ("%s: y[%u][%u] = %g", what, worst_c, worst_r, y[(gsize) worst_c * gc->rows + worst_r]);
  g_assert_cmpfloat (worst, <=, 0.0);

  for (guint p = 0; p < 2; p++)
    {
      g_clear_pointer (&w_bufs[p], lb_vk_buffer_free);
      g_clear_pointer (&b_bufs[p], lb_vk_buffer_free);
      g_clear_pointer (&y_bufs[p], lb_vk_buffer_free);
      g_free (w[p]);
      g_free (bias[p]);
      g_free (blocks[p]);
    }
}

static void
test_gelu_mul (void)
{
  LbVkContext *ctx = vk_test_context ();
  /* Matrix × vector (n <= 8) and tiled (n > 8), 2-byte, 4-byte and
   * 16-byte word types; odd row counts leave the last workgroup partial. */
  const GluCase cases[] = {
    { LB_TENSOR_Q4_K, 45, 512, 1, TRUE, FALSE },
    { LB_TENSOR_Q8_0, 67, 160, 3, TRUE, TRUE },
    { LB_TENSOR_Q6_K, 33, 256, 8, TRUE, FALSE },
    { LB_TENSOR_F16, 37, 100, 2, TRUE, TRUE },
    { LB_TENSOR_Q5_0, 70, 224, 17, TRUE, TRUE },
    { LB_TENSOR_Q3_K, 40, 256, 21, TRUE, FALSE },
    { LB_TENSOR_BF16, 65, 96, 33, TRUE, TRUE },
    { LB_TENSOR_Q4_1, 29, 64, 1, FALSE, TRUE },   /* the fallback, both kernels */
    { LB_TENSOR_Q4_0, 29, 64, 12, FALSE, FALSE },
  };

  if (ctx == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    run_gelu_mul (ctx, &cases[i]);
}

/* The pair's rows must agree, and there must be two parts. */
static void
test_gelu_mul_errors (void)
{
  g_autoptr(GError) error = NULL;
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) w = NULL, x = NULL, y = NULL;
  LbVkMatmul op;

  if (ctx == NULL)
    return;
  cmds = vk_test_commands (ctx);
  w = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 65536, "blk.0.ffn_gate", &error);
  x = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "x", &error);
  y = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 4096, "y", &error);
  g_assert_no_error (error);
  op = (LbVkMatmul) {
    .type = LB_TENSOR_F32, .cols = 64, .n = 1, .x = lb_vk_bind (x), .n_parts = 2,
    .parts = { { lb_vk_bind (w), 8, lb_vk_bind_range (y, 0, 2048) }, { lb_vk_bind (w), 9, lb_vk_bind_range (y, 2048, 2048) } },
    .epilogue = LB_VK_MATMUL_GELU_MUL,
  };
  g_assert_false (lb_vk_matmul (cmds, &op, &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_gate"));
  g_clear_error (&error);
  op.n_parts = 1;
  g_assert_false (lb_vk_matmul (cmds, &op, &error));
  g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds), ==, 0);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);
}

/* ---- GELU ------------------------------------------------------------------ */

static void
run_gelu (LbVkContext *ctx, LbTensorType type, guint32 rows, guint32 cols, guint32 n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = vk_test_rand ();
  g_autoptr(LbVkCommands) cmds = vk_test_commands (ctx);
  g_autofree float *x = vk_test_random_floats (rand, (gsize) n * cols, -1.0f, 1.0f);
  g_autofree float *bias = vk_test_random_floats (rand, rows, -1.0f, 1.0f);
  g_autofree float *w = NULL, *y = NULL;
  g_autofree guint8 *blocks = NULL;
  gsize w_bytes;
  g_autoptr(LbVkBuffer) w_buf = NULL, x_buf = NULL, b_buf = NULL, y_buf = NULL;
  gboolean f16 = tiled_on_coopmat (ctx, type, cols, n);
  LbVkMatmul op;

  blocks = random_weights (rand, type, rows, cols, &w_bytes, &w);
  w_buf = vk_test_upload (ctx, blocks, w_bytes, "v.blk.0.ffn_up.weight");
  x_buf = vk_test_upload_floats (ctx, x, (gsize) n * cols, "h");
  b_buf = vk_test_upload_floats (ctx, bias, rows, "v.blk.0.ffn_up.bias");
  y_buf = vk_test_poisoned (ctx, cmds, (gsize) n * rows * 4, "up");
  op = (LbVkMatmul) {
    .type = type, .cols = cols, .n = n, .x = lb_vk_bind (x_buf), .n_parts = 1,
    .parts = { { .weight = lb_vk_bind (w_buf), .rows = rows, .out = lb_vk_bind (y_buf), .bias = lb_vk_bind (b_buf) } },
    .epilogue = LB_VK_MATMUL_GELU,
  };
  lb_vk_matmul (cmds, &op, &error);
  g_assert_no_error (error);
  vk_test_run_commands (cmds);

  y = vk_test_download_floats (y_buf, (gsize) n * rows);
  for (guint32 c = 0; c < n; c++)
    for (guint32 r = 0; r < rows; r++)
      {
        double tol, v = product (w, x, bias, cols, r, c, f16, &tol);
        double ref = gelu_tanh (v);
        float got = y[(gsize) c * rows + r];

        if (!(fabs (got - ref) <= GELU_SLOPE * tol + 4e-6 * fabs (ref) + 1e-7))
          g_error ("gelu %s n=%u: y[%u][%u] = %g, expected %g", lb_tensor_type_name (type), n, c, r, got, ref);
      }
}

static void
test_gelu (void)
{
  LbVkContext *ctx = vk_test_context ();

  if (ctx == NULL)
    return;
  run_gelu (ctx, LB_TENSOR_F32, 43, 72, 2);
  run_gelu (ctx, LB_TENSOR_F16, 43, 72, 19);
  run_gelu (ctx, LB_TENSOR_Q8_0, 70, 96, 40);
}

/* ---- cooperative matrices -------------------------------------------------------- */

/* Every weight layout has its cooperative-matrix shader, and spirv-val
 * (where installed) accepts it for Vulkan 1.2. */
static void
test_coopmat_shaders (void)
{
  static const char *const variants[] = { "f32", "f16", "f16_4", "bf16", "bf16_4", "q4_0", "q4_1", "q5_0", "q5_1",
                                          "q8_0", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k" };
  g_autofree char *spirv_val = g_find_program_in_path ("spirv-val");
  g_autofree char *dir = NULL;

  if (spirv_val == NULL)
    g_test_message ("spirv-val is not installed: checking that the shaders exist only");
  else
    {
      dir = g_dir_make_tmp ("lightbox-spirv-XXXXXX", NULL);
      g_assert_nonnull (dir);
    }
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *name = g_strconcat ("mul_mm_coopmat_", variants[i], NULL);
      g_autofree char *resource = g_strconcat ("/org/lightbox/Lightbox/shaders/", name, ".spv", NULL);
      g_autoptr(GBytes) spv = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (lb_vk_shader_exists (name));
      spv = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (spv), >, 0);
      if (spirv_val != NULL)
        {
          g_autofree char *path = g_build_filename (dir, "shader.spv", NULL);
          g_autofree char *err = NULL;
          const char *argv[] = { spirv_val, "--target-env", "vulkan1.2", path, NULL };
          int status = 0;

          g_assert_true (g_file_set_contents (path, g_bytes_get_data (spv, NULL), g_bytes_get_size (spv), &error));
          g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                                       &err, &status, &error));
          g_assert_no_error (error);
          if (!g_spawn_check_wait_status (status, NULL))
            g_error ("spirv-val rejects %s: %s", name, err);
          g_unlink (path);
        }
    }
  if (dir != NULL)
    g_rmdir (dir);
}

/* A tiled product with LIGHTBOX_VK_COOPMAT = unset, 0, 1 and with the
 * kernel asked for by name. On a device without cooperative matrices the
 * products run on the scalar kernel and asking for them is an error that
 * names what is missing; with them, every way gives the right numbers
 * (the matrix × vector kernel has nothing to do with them). */
static void
test_coopmat_selection (void)
{
  LbVkContext *ctx = vk_test_context ();
  g_autoptr(GError) error = NULL;
  gboolean uses = TRUE;
  const GluCase tiled = { LB_TENSOR_Q4_K, 40, 256, 17, TRUE, TRUE };
  const GluCase vec = { LB_TENSOR_Q4_K, 40, 256, 2, TRUE, TRUE };
  g_autoptr(LbVkCommands) cmds = NULL;
  g_autoptr(LbVkBuffer) w = NULL, x = NULL, y = NULL;
  LbVkMatmul op;

  if (ctx == NULL)
    return;
  g_assert_true (lb_vk_matmul_uses_coopmat (ctx, LB_TENSOR_Q4_K, 256, &uses, &error));
  g_assert_no_error (error);
  g_assert_true (!uses || ctx->info.cooperative_matrix_nv);
  g_test_message ("%s: cooperative matrices %s for Q4_K", ctx->info.name, uses ? "used" : "not used");
  run_gelu_mul (ctx, &tiled);

  g_setenv ("LIGHTBOX_VK_COOPMAT", "0", TRUE);
  g_assert_true (lb_vk_matmul_uses_coopmat (ctx, LB_TENSOR_Q4_K, 256, &uses, &error));
  g_assert_false (uses);
  run_gelu_mul (ctx, &tiled);

  g_setenv ("LIGHTBOX_VK_COOPMAT", "1", TRUE);
  run_gelu_mul (ctx, &vec);
  cmds = vk_test_commands (ctx);
  w = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 40 * 144, "blk.0.ffn_up.weight", &error);
  x = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 17 * 256 * 4, "x", &error);
  y = lb_vk_buffer_new (ctx, LB_VK_MEMORY_DEVICE, 17 * 40 * 4, "y", &error);
  g_assert_no_error (error);
  op = (LbVkMatmul) {
    .type = LB_TENSOR_Q4_K, .cols = 256, .n = 17, .x = lb_vk_bind (x), .n_parts = 1,
    .parts = { { .weight = lb_vk_bind (w), .rows = 40, .out = lb_vk_bind (y) } },
  };
  if (ctx->info.cooperative_matrix_nv)
    run_gelu_mul (ctx, &tiled);
  else
    {
      g_assert_false (lb_vk_matmul (cmds, &op, &error));
      g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE);
      g_assert_nonnull (strstr (error->message, "LIGHTBOX_VK_COOPMAT=1"));
      g_assert_nonnull (strstr (error->message, "VK_NV_cooperative_matrix"));
      g_clear_error (&error);
    }
  g_unsetenv ("LIGHTBOX_VK_COOPMAT");

  /* Asked for by name. */
  op.kernel = LB_VK_MATMUL_COOPMAT;
  if (!ctx->info.cooperative_matrix_nv)
    {
      g_assert_false (lb_vk_matmul (cmds, &op, &error));
      g_assert_error (error, LB_VK_ERROR, LB_VK_ERROR_MISSING_FEATURE);
      g_clear_error (&error);
    }
  g_assert_cmpuint (lb_vk_commands_n_dispatches (cmds), ==, 0);
  lb_vk_commands_end (cmds, &error);
  g_assert_no_error (error);
}

/* The check's harness (random blocks, one plain and one gate/up product
 * with bias, partial tiles, the tolerance) with a kernel that is right:
 * the matrix × vector kernel against the scalar tiled one; and, where the
 * device has cooperative matrices, the real check. */
static void
test_coopmat_check (void)
{
  static const struct {
    LbTensorType type;
    guint32 cols;
  } cases[] = { { LB_TENSOR_Q4_K, 256 }, { LB_TENSOR_Q8_0, 256 }, { LB_TENSOR_F16, 260 } };
  LbVkContext *ctx = vk_test_context ();

  if (ctx == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      LbVkMatmulCheck check;

      g_assert_true (lb_vk_matmul_check_kernel (ctx, cases[i].type, cases[i].cols, LB_VK_MATMUL_VEC, &check, &error));
      g_assert_no_error (error);
      g_test_message ("%s: matrix × vector vs tiled, worst %.3g of the tolerance at %s",
                      lb_tensor_type_name (cases[i].type), check.worst, check.where);
      g_assert_true (check.agrees);
      g_assert_cmpfloat (check.worst, <=, 1.0);
      if (ctx->info.cooperative_matrix_nv)
        {
          g_assert_true (lb_vk_matmul_check_kernel (ctx, cases[i].type, cases[i].cols, LB_VK_MATMUL_COOPMAT, &check,
                                                    &error));
          g_assert_no_error (error);
          g_test_message ("%s: cooperative matrices vs tiled, worst %.3g of the tolerance at %s",
                          lb_tensor_type_name (cases[i].type), check.worst, check.where);
          g_assert_true (check.agrees);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vk_test_init ();

  g_test_add_func ("/vk/matmul-epilogue/gelu-mul", test_gelu_mul);
  g_test_add_func ("/vk/matmul-epilogue/gelu-mul-errors", test_gelu_mul_errors);
  g_test_add_func ("/vk/matmul-epilogue/gelu", test_gelu);
  g_test_add_func ("/vk/matmul-epilogue/coopmat-shaders", test_coopmat_shaders);
  g_test_add_func ("/vk/matmul-epilogue/coopmat-selection", test_coopmat_selection);
  g_test_add_func ("/vk/matmul-epilogue/coopmat-check", test_coopmat_check);
  return vk_test_run ();
}
