/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include <string.h>

#include "app/lb-heatmap-overlay.h"
#include "app/lb-image-view.h"
#include "regions/colormap.h"
#include "regions/regions.h"

#define MAX_TEXTURE_SIDE 1024
#define MARGIN 12.0f
#define PADDING 6.0f
#define LEGEND_WIDTH 140.0f
#define LEGEND_HEIGHT 8.0f

struct _LbHeatmapOverlay {
  GObject parent_instance;

  LbRegionMap *map;
  LbModelInput geometry;     /* the input's geometry; rgb is NULL */
  char *caption;
  double opacity;
  LbColormap colormap;
  GdkTexture *texture;       /* the map in colours, alpha by value; NULL until drawn */
};

enum {
  PROP_0,
  PROP_OPACITY,
  PROP_COLORMAP,
  N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void lb_heatmap_overlay_image_overlay_init (LbImageOverlayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LbHeatmapOverlay, lb_heatmap_overlay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LB_TYPE_IMAGE_OVERLAY,
                                                      lb_heatmap_overlay_image_overlay_init))

static GdkTexture *
render_texture (LbHeatmapOverlay *self)
{
  g_autoptr(LbHeatOverlay) overlay = NULL;
  g_autoptr(GBytes) bytes = NULL;
  LbHeatStyle style;
  gsize stride;

  lb_heat_style_init (&style);
  style.colormap = self->colormap;
  style.opacity = 1.0f;          /* the snapshot applies the opacity */
  style.max_side = MAX_TEXTURE_SIDE;
  overlay = lb_region_map_render (self->map, &self->geometry, &style);
  if (overlay == NULL)
    return NULL;
  stride = (gsize) overlay->width * 4;
  bytes = g_bytes_new_take (g_steal_pointer (&overlay->rgba), stride * overlay->height);
  return gdk_memory_texture_new ((int) overlay->width, (int) overlay->height, GDK_MEMORY_R8G8B8A8,
                                 bytes, stride);
}

/* The caption and a legend of the colormap, top left of the view. */
static void
snapshot_caption (LbHeatmapOverlay *self, LbImageView *view, GtkSnapshot *snapshot)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), self->caption);
  GskColorStop stops[9];
  int text_width, text_height;
  float width, height;

  pango_layout_get_pixel_size (layout, &text_width, &text_height);
  width = MAX ((float) text_width, LEGEND_WIDTH) + 2 * PADDING;
  height = (float) text_height + LEGEND_HEIGHT + 3 * PADDING;

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.65f },
                             &GRAPHENE_RECT_INIT (MARGIN, MARGIN, width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (MARGIN + PADDING, MARGIN + PADDING));
  gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 1, 1, 1, 1 });
  gtk_snapshot_restore (snapshot);

  for (guint i = 0; i < G_N_ELEMENTS (stops); i++)
    {
      guint8 rgb[3];
      float t = (float) i / (G_N_ELEMENTS (stops) - 1);
      lb_colormap_lookup (self->colormap, t, rgb);
      stops[i].offset = t;
      /* As drawn: the alpha grows with the value. */
      stops[i].color = (GdkRGBA) { rgb[0] / 255.0f, rgb[1] / 255.0f, rgb[2] / 255.0f,
                                   0.25f + 0.75f * t };
    }
  {
    float x = MARGIN + PADDING, y = MARGIN + 2 * PADDING + (float) text_height;
    gtk_snapshot_append_linear_gradient (snapshot, &GRAPHENE_RECT_INIT (x, y, LEGEND_WIDTH, LEGEND_HEIGHT),
                                         &GRAPHENE_POINT_INIT (x, y),
                                         &GRAPHENE_POINT_INIT (x + LEGEND_WIDTH, y),
                                         stops, G_N_ELEMENTS (stops));
  }
}

static void
lb_heatmap_overlay_snapshot (LbImageOverlay *overlay, LbImageView *view, GtkSnapshot *snapshot)
{
  LbHeatmapOverlay *self = LB_HEATMAP_OVERLAY (overlay);

  if (self->map == NULL)
    return;
  if (self->texture == NULL)
    self->texture = render_texture (self);
  if (self->texture != NULL)
    {
      lb_image_view_push_image_transform (view, snapshot);
      gtk_snapshot_push_opacity (snapshot, self->opacity);
      /* The texture covers the stored image; the view's transform
       * scales, turns and mirrors it with the picture. */
      gtk_snapshot_append_texture (snapshot, self->texture,
                                   &GRAPHENE_RECT_INIT (0, 0, self->geometry.image_width,
                                                        self->geometry.image_height));
      gtk_snapshot_pop (snapshot);
      gtk_snapshot_restore (snapshot);
    }
  snapshot_caption (self, view, snapshot);
}

static void
lb_heatmap_overlay_image_overlay_init (LbImageOverlayInterface *iface)
{
  iface->snapshot = lb_heatmap_overlay_snapshot;
}

static void
lb_heatmap_overlay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbHeatmapOverlay *self = LB_HEATMAP_OVERLAY (object);

  switch (prop_id)
    {
    case PROP_OPACITY:
      g_value_set_double (value, self->opacity);
      break;
    case PROP_COLORMAP:
      g_value_set_string (value, lb_colormap_name (self->colormap));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_heatmap_overlay_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbHeatmapOverlay *self = LB_HEATMAP_OVERLAY (object);

  switch (prop_id)
    {
    case PROP_OPACITY:
      lb_heatmap_overlay_set_opacity (self, g_value_get_double (value));
      break;
    case PROP_COLORMAP:
      lb_heatmap_overlay_set_colormap (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_heatmap_overlay_finalize (GObject *object)
{
  LbHeatmapOverlay *self = LB_HEATMAP_OVERLAY (object);

  g_clear_pointer (&self->map, lb_region_map_free);
  g_clear_object (&self->texture);
  g_free (self->caption);
  G_OBJECT_CLASS (lb_heatmap_overlay_parent_class)->finalize (object);
}

static void
lb_heatmap_overlay_class_init (LbHeatmapOverlayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = lb_heatmap_overlay_get_property;
  object_class->set_property = lb_heatmap_overlay_set_property;
  object_class->finalize = lb_heatmap_overlay_finalize;

  properties[PROP_OPACITY] =
    g_param_spec_double ("opacity", NULL, NULL, 0.0, 1.0, 0.6,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLORMAP] =
    g_param_spec_string ("colormap", NULL, NULL, "viridis",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lb_heatmap_overlay_init (LbHeatmapOverlay *self)
{
  self->opacity = 0.6;
  self->colormap = LB_COLORMAP_VIRIDIS;
  self->caption = g_strdup (LB_REGIONS_LABEL);
}

LbHeatmapOverlay *
lb_heatmap_overlay_new (void)
{
  return g_object_new (LB_TYPE_HEATMAP_OVERLAY, NULL);
}

void
lb_heatmap_overlay_set_map (LbHeatmapOverlay *self, const LbRegionMap *map, const LbModelInput *input,
                            const char *title)
{
  lb_heatmap_overlay_set_map_full (self, map, input, title, NULL);
}

void
lb_heatmap_overlay_set_map_full (LbHeatmapOverlay *self, const LbRegionMap *map, const LbModelInput *input,
                                 const char *title, const char *meaning)
{
  g_return_if_fail (LB_IS_HEATMAP_OVERLAY (self));
  g_return_if_fail (map == NULL || (input != NULL && input->scale > 0));

  g_clear_pointer (&self->map, lb_region_map_free);
  g_clear_object (&self->texture);
  g_free (self->caption);
  if (map != NULL)
    {
      self->map = lb_region_map_copy (map);
      self->geometry = *input;
      self->geometry.rgb = NULL;
    }
  if (meaning == NULL)
    meaning = LB_REGIONS_LABEL;
  self->caption = title != NULL && title[0] != '\0' ? g_strdup_printf ("%s: %s", title, meaning)
                                                    : g_strdup (meaning);
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

gboolean
lb_heatmap_overlay_has_map (LbHeatmapOverlay *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_OVERLAY (self), FALSE);
  return self->map != NULL;
}

const LbRegionMap *
lb_heatmap_overlay_get_map (LbHeatmapOverlay *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_OVERLAY (self), NULL);
  return self->map;
}

double
lb_heatmap_overlay_get_opacity (LbHeatmapOverlay *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_OVERLAY (self), 0.0);
  return self->opacity;
}

void
lb_heatmap_overlay_set_opacity (LbHeatmapOverlay *self, double opacity)
{
  g_return_if_fail (LB_IS_HEATMAP_OVERLAY (self));

  opacity = CLAMP (opacity, 0.0, 1.0);
  if (opacity == self->opacity)
    return;
  self->opacity = opacity;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPACITY]);
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

const char *
lb_heatmap_overlay_get_colormap (LbHeatmapOverlay *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_OVERLAY (self), NULL);
  return lb_colormap_name (self->colormap);
}

void
lb_heatmap_overlay_set_colormap (LbHeatmapOverlay *self, const char *colormap)
{
  LbColormap value;

  g_return_if_fail (LB_IS_HEATMAP_OVERLAY (self));
  if (!lb_colormap_from_name (colormap, &value))
    {
      g_warning ("unknown colormap '%s' (viridis or inferno)", colormap != NULL ? colormap : "(null)");
      return;
    }
  if (value == self->colormap)
    return;
  self->colormap = value;
  g_clear_object (&self->texture);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

const char *
lb_heatmap_overlay_get_caption (LbHeatmapOverlay *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_OVERLAY (self), NULL);
  return self->caption;
}
