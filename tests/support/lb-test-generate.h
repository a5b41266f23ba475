/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `lightbox-cli generate --json` against the reference outputs
 * (tests/reference/generate-cases.json), with the comparison rules of
 * tests/reference/README.md, for every backend's test program.
 *
 * Tolerances: two correct implementations differ by rounding, more so on
 * quantized weights.
 * - float models (all matrices F32): atol + rtol·|logit| = 0.02 + 0.002|x|.
 *   Two correct float32 implementations differ by summation order and by
 *   the reference's F16 KV cache, which alone moves its logits by up to
 *   0.0024 on a-f32.
 * - quantized models (any matrix in another type, BF16 and F16 included):
 *   0.3 + 0.03|x|. The reference rounds activations to 8 bits (or
 *   F16/BF16) inside its quantized dot products; its KV cache alone moves
 *   the logits by up to 0.18 on b-q8 and c-q4km.
 * A different token is accepted only at a step where the reference's top-2
 * margin is below twice the tolerance (a near tie); after it the sequences
 * may part and the rest of the case is not compared. Pieces and text must
 * match wherever the tokens do.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The cases (an array of objects; README there). Free with json_node_unref. */
JsonNode *lb_test_generate_cases (void);

/* Runs `lightbox-cli generate [--backend BACKEND] --json --top-logits K
 * -n N --model … [--mmproj … --image …] --raw-prompt …` for the case
 * (backend NULL: the command's default). Returns the parsed output (valid
 * UTF-8 asserted), or NULL when the command failed, with its exit status
 * in *out_status and its stderr in *out_stderr (either may be NULL). */
JsonNode *lb_test_generate_run_case (JsonObject *c, const char *backend, guint top_logits,
                                     int *out_status, char **out_stderr);

/* Checks one output against the case: the prompt tokens exactly, every
 * step, and the reference's top-5 logits among our top_logits within the
 * tolerance (rules above). Fails the test otherwise. */
void lb_test_generate_check_case (JsonObject *c, JsonObject *got, guint top_logits);

/* The tokens of an output's steps (gint64). */
GArray *lb_test_generate_step_tokens (JsonObject *got);

G_END_DECLS
