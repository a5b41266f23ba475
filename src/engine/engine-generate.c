/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-engine"

#include "config.h"

#include <string.h>

#include "engine/engine-generate.h"
#include "model/chat-format.h"

G_STATIC_ASSERT (LB_CHAT_IMAGE_TOKEN == LB_IMAGE_POSITION);

typedef struct {
  LbGenerateStepFunc on_step;
  gpointer user_data;
} Forward;

static void
forward_tokens (LbSession *session, const LbTokenBatch *batch, gpointer data)
{
  Forward *f = data;

  for (guint i = 0; i < batch->n_tokens; i++)
    {
      LbGenerateStep step = {
        .token = batch->ids[i],
        .n_top = batch->n_top,
        .top = batch->top != NULL ? batch->top + (gsize) i * batch->n_top : NULL,
      };
      f->on_step (&step, f->user_data);
    }
}

gboolean
lb_engine_generate (const LbGenerateRequest *request, LbGenerateStepFunc on_step, gpointer user_data,
                    LbAskStats *stats, GError **error)
{
  g_autoptr(LbEngine) engine = NULL;
  g_autoptr(LbSession) session = NULL;
  g_autoptr(LbModelInput) input = NULL;
  LbEngineOptions options;
  LbAskRequest ask;
  Forward forward = { on_step, user_data };
  gboolean ok;

  g_return_val_if_fail (request != NULL && request->model_path != NULL, FALSE);

  lb_engine_options_init (&options);
  options.backend = request->backend;
  /* Room for the prompt and every step (capped at the model's context). */
  options.context_length = MAX (request->n_prompt + request->n_predict, 1);
  engine = lb_engine_new (&options, error);
  if (engine == NULL ||
      !lb_engine_load_sync (engine, request->model_path, request->mmproj_path, NULL, NULL, NULL, error))
    return FALSE;

  if (request->image != NULL)
    {
      LbModelInputParams params;
      guint size = lb_engine_get_image_size (engine);

      if (size == 0)
        {
          g_set_error (error, LB_ENGINE_ERROR, LB_ENGINE_ERROR_NO_MODEL,
                       "an image needs a vision projector (--mmproj)");
          return FALSE;
        }
      lb_model_input_params_init (&params, request->image);
      input = lb_model_input_build (request->image, &params, size, error);
      if (input == NULL)
        return FALSE;
    }

  session = lb_engine_new_session (engine);
  lb_ask_request_init (&ask);
  ask.prompt_tokens = request->prompt;
  ask.n_prompt_tokens = request->n_prompt;
  ask.image = input;
  ask.sampling = request->sampling;
  ask.max_tokens = request->n_predict;
  ask.n_top_logits = request->n_top;
  if (request->n_predict == 0)
    {
      if (stats != NULL)
        memset (stats, 0, sizeof *stats);
      return TRUE;
    }
  ok = lb_session_ask_sync (session, &ask, on_step != NULL ? forward_tokens : NULL, &forward, NULL,
                            stats, error);
  lb_engine_close (engine);
  return ok;
}
