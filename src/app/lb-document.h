/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One opened image and how it is shown: the decoded LbImage (or, for a
 * whole-slide image, the LbSlide and an overview of it), the display
 * transform the user chose (window/level, invert, rotation, flips), an
 * optional separate window for the model, and the modality. The image is
 * immutable once loaded, so worker threads may read it while the UI
 * changes the display parameters (they get a copy of those).
 */
#pragma once

#include <gio/gio.h>

#include "app/lb-modality.h"
#include "imaging/display.h"
#include "imaging/image.h"
#include "imaging/model-input.h"

G_BEGIN_DECLS

typedef enum {
  LB_DOCUMENT_CHANGE_WINDOW = 1 << 0,   /* window/level or invert: the pixels change */
  LB_DOCUMENT_CHANGE_GEOMETRY = 1 << 1, /* rotation or flips */
  LB_DOCUMENT_CHANGE_MODEL = 1 << 2,    /* what the model is given */
} LbDocumentChange;

/* A rectangle in displayed (rotated, flipped) pixels. */
typedef struct {
  guint x;
  guint y;
  guint width;
  guint height;
} LbCrop;

#define LB_TYPE_DOCUMENT (lb_document_get_type ())
G_DECLARE_FINAL_TYPE (LbDocument, lb_document, LB, DOCUMENT, GObject)

/* Loads the file in a worker thread (DICOM, PNG, JPEG, TIFF; whole-slide
 * formats through OpenSlide, shown as an overview of at most
 * LB_DOCUMENT_SLIDE_OVERVIEW pixels a side). */
#define LB_DOCUMENT_SLIDE_OVERVIEW 1536
void lb_document_load_async (GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
LbDocument *lb_document_load_finish (GAsyncResult *result, GError **error);
/* The same, in the calling thread (tests, thumbnails). */
LbDocument *lb_document_load (GFile *file, GError **error);
/* Wraps an image already in memory (takes it). */
LbDocument *lb_document_new_for_image (LbImage *image, const char *title);

GFile *lb_document_get_file (LbDocument *self);        /* NULL for an image from memory */
const char *lb_document_get_title (LbDocument *self);  /* the file's display name */
const LbImage *lb_document_get_image (LbDocument *self);
gboolean lb_document_is_slide (LbDocument *self);
/* Whole slides: level-0 size and the overview's scale (level-0 pixels per
 * overview pixel); 1 for ordinary images. */
double lb_document_get_slide_scale (LbDocument *self);
void lb_document_get_full_size (LbDocument *self, gint64 *width, gint64 *height);

/* Whole slides, any thread: the part x, y, width × height of the overview
 * (overview pixels), read from the slide level that gives about one pixel
 * per `downsample` level-0 pixels, as 8-bit RGB. */
LbImage *lb_document_read_slide_region (LbDocument *self, double x, double y, double width,
                                        double height, double downsample, GError **error);

/* A stable key for the image (its path, or its title), for the autosave. */
const char *lb_document_get_key (LbDocument *self);

const LbDisplayParams *lb_document_get_display (LbDocument *self);
void lb_document_set_window (LbDocument *self, double center, double width);
void lb_document_set_invert (LbDocument *self, gboolean invert);
gboolean lb_document_get_invert (LbDocument *self);
void lb_document_rotate (LbDocument *self, int quarter_turns); /* +1 clockwise */
void lb_document_flip (LbDocument *self, gboolean horizontal);
/* Back to lb_display_params_init. */
void lb_document_reset_display (LbDocument *self);

/* Window presets (lb_display_presets). */
GArray *lb_document_get_presets (LbDocument *self);
/* The value range of the image in modality units (for drag sensitivity). */
void lb_document_get_value_range (LbDocument *self, double *min, double *max);

LbModality lb_document_get_modality (LbDocument *self);
void lb_document_set_modality (LbDocument *self, LbModality modality);

/* The model's own window (off: the model sees the display window). */
gboolean lb_document_get_separate_model_window (LbDocument *self);
void lb_document_set_separate_model_window (LbDocument *self, gboolean separate);
void lb_document_get_model_window (LbDocument *self, double *center, double *width);
void lb_document_set_model_window (LbDocument *self, double center, double width);

/* The model-input parameters: the display transform (with the model window
 * when separate) and an optional crop in displayed pixels. */
void lb_document_get_model_input_params (LbDocument *self, const LbCrop *crop,
                                         LbModelInputParams *params);

/* Builds the square the model sees, size × size, in a worker thread. crop
 * (displayed pixels; NULL: the whole image) is read at full resolution:
 * for a whole slide, from the finest level that gives at least `size`
 * pixels across the crop. */
void lb_document_build_model_input_async (LbDocument *self, guint size, const LbCrop *crop,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
LbModelInput *lb_document_build_model_input_finish (LbDocument *self, GAsyncResult *result,
                                                    GError **error);
LbModelInput *lb_document_build_model_input (LbDocument *self, guint size, const LbCrop *crop,
                                             GError **error);

G_END_DECLS
