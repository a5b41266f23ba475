/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "lb-test-model.h"
#include "lb-test.h"
#include "model/random-model.h"

const char *
lb_test_random_model (const char *name, const LbTestModelSpec *spec)
{
  static GHashTable *written; /* name → folder */
  char *dir;

  if (written == NULL)
    written = g_hash_table_new (g_str_hash, g_str_equal);
  dir = g_hash_table_lookup (written, name);
  if (dir != NULL)
    return dir;

  g_auto(LbRandomModelSpec) model = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true (lb_random_model_spec_init (&model, spec->preset != NULL ? spec->preset : "tiny", &error));
  if (spec->shape != NULL)
    g_assert_true (lb_random_model_spec_parse_shape (&model, spec->shape, &error));
  if (spec->type != NULL)
    g_assert_true (lb_random_model_parse_type (spec->type, &model.type, &model.k_mix, &error));
  if (spec->mmproj_type != NULL)
    {
      gboolean k_mix;
      g_assert_true (lb_random_model_parse_type (spec->mmproj_type, &model.mmproj_type, &k_mix, &error));
    }
  g_assert_no_error (error);
  model.seed = spec->seed;
  g_assert_true (lb_random_model_spec_check (&model, &error));
  g_assert_no_error (error);

  dir = g_build_filename (lb_test_tmpdir (), name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_autofree char *text = g_build_filename (dir, "text.gguf", NULL);
  g_autofree char *mmproj = g_build_filename (dir, "mmproj.gguf", NULL);
  g_assert_true (lb_random_model_write (&model, text, mmproj, &error));
  g_assert_no_error (error);
  g_hash_table_insert (written, g_strdup (name), dir);
  return dir;
}

char *
lb_test_random_model_text (const char *name, const LbTestModelSpec *spec)
{
  return g_build_filename (lb_test_random_model (name, spec), "text.gguf", NULL);
}

char *
lb_test_random_model_mmproj (const char *name, const LbTestModelSpec *spec)
{
  return g_build_filename (lb_test_random_model (name, spec), "mmproj.gguf", NULL);
}
