/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "lightbox-app"

#include "config.h"

#include "app/lb-study-item.h"

struct _LbStudyItem
{
  GObject parent_instance;

  GFile *file;
  char *name;
  GdkTexture *thumbnail;
  gboolean requested;
  gboolean failed;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_THUMBNAIL,
  PROP_FAILED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (LbStudyItem, lb_study_item, G_TYPE_OBJECT)

static void
lb_study_item_finalize (GObject *object)
{
  LbStudyItem *self = LB_STUDY_ITEM (object);

  g_clear_object (&self->file);
  g_clear_object (&self->thumbnail);
  g_free (self->name);

  G_OBJECT_CLASS (lb_study_item_parent_class)->finalize (object);
}

static void
lb_study_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbStudyItem *self = LB_STUDY_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_THUMBNAIL:
      g_value_set_object (value, self->thumbnail);
      break;
    case PROP_FAILED:
      g_value_set_boolean (value, self->failed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_study_item_class_init (LbStudyItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lb_study_item_finalize;
  object_class->get_property = lb_study_item_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILED] =
    g_param_spec_boolean ("failed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lb_study_item_init (LbStudyItem *self)
{
}

LbStudyItem *
lb_study_item_new (GFile *file)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  LbStudyItem *self = g_object_new (LB_TYPE_STUDY_ITEM, NULL);
  self->file = g_object_ref (file);
  g_autofree char *path = g_file_get_path (file);
  self->name = path != NULL ? g_filename_display_basename (path) : g_file_get_basename (file);
  return self;
}

GFile *
lb_study_item_get_file (LbStudyItem *self)
{
  g_return_val_if_fail (LB_IS_STUDY_ITEM (self), NULL);
  return self->file;
}

const char *
lb_study_item_get_name (LbStudyItem *self)
{
  g_return_val_if_fail (LB_IS_STUDY_ITEM (self), NULL);
  return self->name;
}

GdkTexture *
lb_study_item_get_thumbnail (LbStudyItem *self)
{
  g_return_val_if_fail (LB_IS_STUDY_ITEM (self), NULL);
  return self->thumbnail;
}

void
lb_study_item_set_thumbnail (LbStudyItem *self, GdkTexture *thumbnail)
{
  g_return_if_fail (LB_IS_STUDY_ITEM (self));
  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}

gboolean
lb_study_item_get_requested (LbStudyItem *self)
{
  g_return_val_if_fail (LB_IS_STUDY_ITEM (self), FALSE);
  return self->requested;
}

void
lb_study_item_set_requested (LbStudyItem *self)
{
  g_return_if_fail (LB_IS_STUDY_ITEM (self));
  self->requested = TRUE;
}

gboolean
lb_study_item_get_failed (LbStudyItem *self)
{
  g_return_val_if_fail (LB_IS_STUDY_ITEM (self), FALSE);
  return self->failed;
}

void
lb_study_item_set_failed (LbStudyItem *self, const char *message)
{
  g_return_if_fail (LB_IS_STUDY_ITEM (self));
  self->failed = TRUE;
  g_debug ("%s: no thumbnail: %s", self->name, message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED]);
}
