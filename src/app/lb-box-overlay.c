/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include "app/lb-box-overlay.h"
#include "app/lb-image-view.h"
#include "regions/regions.h"

#define LABEL_PADDING 3.0f
#define MARGIN 12.0f

typedef struct {
  char *label;           /* as shown: the model's label, or "Box N" */
  double x;              /* stored image pixels */
  double y;
  double width;
  double height;
  gssize sentence_start;
  gssize sentence_end;
} Item;

struct _LbBoxOverlay {
  GObject parent_instance;

  GArray *items;         /* Item, largest first: smaller boxes are drawn on top */
  int highlighted_box;
  gssize highlighted_sentence;
};

static void lb_box_overlay_image_overlay_init (LbImageOverlayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LbBoxOverlay, lb_box_overlay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (LB_TYPE_IMAGE_OVERLAY, lb_box_overlay_image_overlay_init))

/* Distinct on dark and light images alike, none red or green alone. */
static const GdkRGBA palette[] = {
  { 1.00f, 0.76f, 0.03f, 1 },   /* amber */
  { 0.30f, 0.80f, 1.00f, 1 },   /* sky */
  { 1.00f, 0.45f, 0.80f, 1 },   /* pink */
  { 0.60f, 1.00f, 0.40f, 1 },   /* lime */
  { 1.00f, 0.55f, 0.20f, 1 },   /* orange */
  { 0.75f, 0.60f, 1.00f, 1 },   /* lavender */
};

static void
item_clear (gpointer data)
{
  Item *item = data;
  g_free (item->label);
}

static gboolean
is_highlighted (LbBoxOverlay *self, guint index)
{
  const Item *item = &g_array_index (self->items, Item, index);

  return (int) index == self->highlighted_box ||
         (self->highlighted_sentence >= 0 && item->sentence_start == self->highlighted_sentence);
}

/* The box in widget coordinates. */
static graphene_rect_t
widget_rect (LbImageView *view, const Item *item)
{
  double x0, y0, x1, y1;

  lb_image_view_image_to_widget (view, item->x, item->y, &x0, &y0);
  lb_image_view_image_to_widget (view, item->x + item->width, item->y + item->height, &x1, &y1);
  return GRAPHENE_RECT_INIT ((float) MIN (x0, x1), (float) MIN (y0, y1), (float) ABS (x1 - x0),
                             (float) ABS (y1 - y0));
}

/* Where the label goes: above the box, or inside its top when there is no
 * room above. */
static graphene_rect_t
label_rect (const graphene_rect_t *box, PangoLayout *layout)
{
  int w, h;
  float y;

  pango_layout_get_pixel_size (layout, &w, &h);
  y = box->origin.y - h - 2 * LABEL_PADDING;
  if (y < 0)
    y = box->origin.y;
  return GRAPHENE_RECT_INIT (box->origin.x, y, w + 2 * LABEL_PADDING, h + 2 * LABEL_PADDING);
}

static void
lb_box_overlay_snapshot (LbImageOverlay *overlay, LbImageView *view, GtkSnapshot *snapshot)
{
  LbBoxOverlay *self = LB_BOX_OVERLAY (overlay);
  int view_height = gtk_widget_get_height (GTK_WIDGET (view));

  if (self->items->len == 0)
    return;
  for (guint i = 0; i < self->items->len; i++)
    {
      const Item *item = &g_array_index (self->items, Item, i);
      gboolean lit = is_highlighted (self, i);
      GdkRGBA colour = palette[i % G_N_ELEMENTS (palette)];
      graphene_rect_t rect = widget_rect (view, item);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), item->label);
      graphene_rect_t under = label_rect (&rect, layout);
      float width = lit ? 3.5f : 2.0f;
      GskRoundedRect outline;

      if (lit)
        {
          GdkRGBA fill = colour;
          fill.alpha = 0.18f;
          gtk_snapshot_append_color (snapshot, &fill, &rect);
        }
      /* A dark halo keeps the outline visible on bright anatomy. */
      gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT (rect.origin.x - 1, rect.origin.y - 1,
                                                                      rect.size.width + 2, rect.size.height + 2), 0);
      gtk_snapshot_append_border (snapshot, &outline, (float[4]) { 1, 1, 1, 1 },
                                  (GdkRGBA[4]) { { 0, 0, 0, 0.6f }, { 0, 0, 0, 0.6f },
                                                 { 0, 0, 0, 0.6f }, { 0, 0, 0, 0.6f } });
      gsk_rounded_rect_init_from_rect (&outline, &rect, 0);
      gtk_snapshot_append_border (snapshot, &outline, (float[4]) { width, width, width, width },
                                  (GdkRGBA[4]) { colour, colour, colour, colour });

      gtk_snapshot_append_color (snapshot, &colour, &under);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (under.origin.x + LABEL_PADDING,
                                                              under.origin.y + LABEL_PADDING));
      gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 0, 0, 0, 1 });
      gtk_snapshot_restore (snapshot);
    }

  /* What they are, bottom left. */
  {
    g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), LB_REGIONS_BOXES_LABEL);
    int w, h;

    pango_layout_get_pixel_size (layout, &w, &h);
    gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.65f },
                               &GRAPHENE_RECT_INIT (MARGIN, view_height - MARGIN - h - 2 * 6.0f, w + 2 * 6.0f,
                                                    h + 2 * 6.0f));
    gtk_snapshot_save (snapshot);
    gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (MARGIN + 6.0f, view_height - MARGIN - h - 6.0f));
    gtk_snapshot_append_layout (snapshot, layout, &(GdkRGBA) { 1, 1, 1, 1 });
    gtk_snapshot_restore (snapshot);
  }
}

static void
lb_box_overlay_image_overlay_init (LbImageOverlayInterface *iface)
{
  iface->snapshot = lb_box_overlay_snapshot;
}

static void
lb_box_overlay_finalize (GObject *object)
{
  LbBoxOverlay *self = LB_BOX_OVERLAY (object);

  g_array_unref (self->items);
  G_OBJECT_CLASS (lb_box_overlay_parent_class)->finalize (object);
}

static void
lb_box_overlay_class_init (LbBoxOverlayClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_box_overlay_finalize;
}

static void
lb_box_overlay_init (LbBoxOverlay *self)
{
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, item_clear);
  self->highlighted_box = -1;
  self->highlighted_sentence = -1;
}

LbBoxOverlay *
lb_box_overlay_new (void)
{
  return g_object_new (LB_TYPE_BOX_OVERLAY, NULL);
}

static int
compare_area (gconstpointer a, gconstpointer b)
{
  const Item *x = a, *y = b;
  double ax = x->width * x->height, ay = y->width * y->height;

  return ax > ay ? -1 : ax < ay;
}

void
lb_box_overlay_set_boxes (LbBoxOverlay *self, const LbBoxList *list, const LbModelInput *input)
{
  g_return_if_fail (LB_IS_BOX_OVERLAY (self));
  g_return_if_fail (list == NULL || (input != NULL && input->scale > 0));

  g_array_set_size (self->items, 0);
  for (guint i = 0; list != NULL && i < list->boxes->len; i++)
    {
      const LbBox *box = &g_array_index (list->boxes, LbBox, i);
      Item item = { 0 };

      if (!lb_box_to_image (box, input, &item.x, &item.y, &item.width, &item.height))
        continue;
      item.label = box->label[0] != '\0' ? g_strdup (box->label) : g_strdup_printf ("Box %u", i + 1);
      item.sentence_start = box->sentence_start;
      item.sentence_end = box->sentence_end;
      g_array_append_val (self->items, item);
    }
  /* Stable for equal areas: the text's order. */
  g_array_sort (self->items, compare_area);
  if (self->highlighted_box >= (int) self->items->len)
    self->highlighted_box = -1;
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

guint
lb_box_overlay_get_n_boxes (LbBoxOverlay *self)
{
  g_return_val_if_fail (LB_IS_BOX_OVERLAY (self), 0);
  return self->items->len;
}

const char *
lb_box_overlay_get_label (LbBoxOverlay *self, guint index)
{
  g_return_val_if_fail (LB_IS_BOX_OVERLAY (self) && index < self->items->len, NULL);
  return g_array_index (self->items, Item, index).label;
}

void
lb_box_overlay_get_rect (LbBoxOverlay *self, guint index, double *x, double *y, double *width, double *height)
{
  const Item *item;

  g_return_if_fail (LB_IS_BOX_OVERLAY (self) && index < self->items->len);
  item = &g_array_index (self->items, Item, index);
  *x = item->x;
  *y = item->y;
  *width = item->width;
  *height = item->height;
}

void
lb_box_overlay_get_sentence (LbBoxOverlay *self, guint index, gssize *start, gssize *end)
{
  const Item *item;

  g_return_if_fail (LB_IS_BOX_OVERLAY (self) && index < self->items->len);
  item = &g_array_index (self->items, Item, index);
  *start = item->sentence_start;
  *end = item->sentence_end;
}

int
lb_box_overlay_hit_test (LbBoxOverlay *self, LbImageView *view, double widget_x, double widget_y)
{
  const graphene_point_t point = GRAPHENE_POINT_INIT ((float) widget_x, (float) widget_y);

  g_return_val_if_fail (LB_IS_BOX_OVERLAY (self), -1);
  /* Topmost first: the reverse of the drawing order. */
  for (guint i = self->items->len; i-- > 0;)
    {
      const Item *item = &g_array_index (self->items, Item, i);
      graphene_rect_t rect = widget_rect (view, item);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), item->label);
      graphene_rect_t under = label_rect (&rect, layout);

      if (graphene_rect_contains_point (&rect, &point) || graphene_rect_contains_point (&under, &point))
        return (int) i;
    }
  return -1;
}

void
lb_box_overlay_highlight_box (LbBoxOverlay *self, int index)
{
  g_return_if_fail (LB_IS_BOX_OVERLAY (self));

  self->highlighted_box = index >= 0 && (guint) index < self->items->len ? index : -1;
  self->highlighted_sentence = -1;
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

void
lb_box_overlay_highlight_sentence (LbBoxOverlay *self, gssize start)
{
  g_return_if_fail (LB_IS_BOX_OVERLAY (self));

  self->highlighted_sentence = start >= 0 ? start : -1;
  self->highlighted_box = -1;
  lb_image_overlay_changed (LB_IMAGE_OVERLAY (self));
}

gboolean
lb_box_overlay_is_highlighted (LbBoxOverlay *self, guint index)
{
  g_return_val_if_fail (LB_IS_BOX_OVERLAY (self) && index < self->items->len, FALSE);
  return is_highlighted (self, index);
}
