/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of LbImageView share; nothing else includes this:
 *   lb-image-view.c           drawing, the document, the public API, the class
 *   lb-image-view-geometry.c  widget ↔ picture ↔ image coordinates, fit, levels
 *   lb-image-view-textures.c  the lookup table, render jobs, whole-slide detail
 *   lb-image-view-input.c     the readout, scroll, drag, pinch and click
 * (the pixel rendering itself is lb-image-render.c, free of the widget).
 *
 * "Picture" is what is displayed: the image after rotation and flips, or
 * the model-input square; "image" is the stored image.
 */
#pragma once

#include "app/lb-image-view.h"

G_BEGIN_DECLS

#define MAX_LEVELS 16
#define MIN_ZOOM 0.01
#define MAX_ZOOM 64.0
#define ZOOM_STEP 1.25

typedef enum {
  DRAG_NONE,
  DRAG_PAN,
  DRAG_WINDOW,
  DRAG_REGION,
} DragMode;

struct _LbImageView
{
  GtkWidget parent_instance;

  LbDocument *document;
  gulong display_changed_id;

  /* The lookup table of the current window and invert: stored value →
   * 8-bit, indexed by stored - lut_first. serial counts the tables. */
  guint8 *lut;
  int lut_first;
  guint lut_serial;

  /* Full-quality textures of the current table, by level (2^level
   * reduction); a point-sampled preview; renders in flight. */
  GdkTexture *levels[MAX_LEVELS];
  GdkTexture *preview;
  guint preview_level;
  guint rendering; /* bitmask of levels being rendered for lut_serial */
  GCancellable *render_cancellable;

  /* Whole slides: a finer texture for the visible part, read from a level
   * of the slide when zoomed in past the overview. */
  GdkTexture *detail;
  double detail_x, detail_y, detail_w, detail_h; /* in overview image pixels */
  guint detail_serial;
  guint detail_timeout;
  gboolean detail_failed;
  GCancellable *detail_cancellable;

  LbModelInput *model_input;
  GdkTexture *model_texture;
  gboolean show_model_input;

  int width;  /* allocated size */
  int height;
  double zoom;
  double center_x; /* displayed-picture coordinates at the widget's centre */
  double center_y;
  gboolean fit;

  DragMode drag_mode;
  double drag_center_x;
  double drag_center_y;
  double drag_window_center;
  double drag_window_width;
  double zoom_gesture_start;

  gboolean region_mode;
  gboolean has_region;
  double region_x0, region_y0, region_x1, region_y1; /* displayed-picture coordinates */

  guint zoom_notify_source;

  gboolean pointer_inside;
  double pointer_x;
  double pointer_y;
  char *readout;

  GPtrArray *overlays;
};

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_ZOOM,
  PROP_FIT,
  PROP_SHOW_MODEL_INPUT,
  PROP_REGION_MODE,
  PROP_READOUT,
  N_PROPS
};

enum {
  REGION_SELECTED,
  N_SIGNALS
};

extern GParamSpec *lb_image_view_properties[N_PROPS];
extern guint lb_image_view_signals[N_SIGNALS];

/* The size of the last allocation: during size_allocate () GTK may still
 * report the previous one through gtk_widget_get_width (). */
static inline int
view_width (LbImageView *self)
{
  return self->width;
}

static inline int
view_height (LbImageView *self)
{
  return self->height;
}

static inline gboolean
showing_model_input (LbImageView *self)
{
  return self->show_model_input && self->model_input != NULL;
}

/* lb-image-view-geometry.c: the picture's size (FALSE without a document),
 * picture ↔ widget coordinates, the fit zoom, the texture level. */
gboolean lb_image_view_picture_size (LbImageView *self, double *width, double *height);
void lb_image_view_picture_to_widget (LbImageView *self, double px, double py, double *wx, double *wy);
void lb_image_view_widget_to_picture (LbImageView *self, double wx, double wy, double *px, double *py);
double lb_image_view_fit_zoom (LbImageView *self);
void lb_image_view_apply_fit (LbImageView *self);
void lb_image_view_clamp_center (LbImageView *self);
guint lb_image_view_wanted_level (LbImageView *self);

/* lb-image-view-textures.c. start_render renders a level in a worker
 * thread (once per table); viewport_changed is called after every pan or
 * zoom: for a whole slide it asks, once the view settles, for the finer
 * level of the visible part. */
void lb_image_view_clear_textures (LbImageView *self);
void lb_image_view_rebuild_lut (LbImageView *self);
void lb_image_view_start_render (LbImageView *self, guint level);
void lb_image_view_render_preview (LbImageView *self);
void lb_image_view_viewport_changed (LbImageView *self);

/* lb-image-view-input.c: the readout follows the pointer, the document
 * and the view; add_controllers is part of lb_image_view_init (). */
void lb_image_view_update_readout (LbImageView *self);
void lb_image_view_add_controllers (LbImageView *self);

G_END_DECLS
