/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DICOM through DCMTK (C++), behind the C function lb_image_load_dicom.
 * One frame is decoded at a time with DcmPixelData::getUncompressedFrame:
 * uncompressed little/big endian with implicit or explicit VR, RLE, JPEG
 * baseline/extended/lossless and JPEG-LS through DCMTK's registered
 * decoders. JPEG 2000 is refused by name (DCMTK's free edition has no
 * decoder). Samples are kept as stored (masked to Bits Stored and
 * sign-extended); the modality LUT, windows and MONOCHROME1 go to the
 * metadata for the display transform.
 *
 * No C++ exception or DCMTK log line escapes: DCMTK's logger is silenced
 * and every failure becomes a GError.
 */
#define G_LOG_DOMAIN "lightbox-imaging"

#include "config.h"

#include <cerrno>
#include <cstring>
#include <new>

#include <glib/gstdio.h>
#include <unistd.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include "imaging/image-private.h"

namespace {

gpointer
register_codecs (gpointer)
{
  /* Quiet: the core never prints; errors come back as conditions. */
  OFLog::configure (OFLogger::OFF_LOG_LEVEL);
  DcmRLEDecoderRegistration::registerCodecs ();
  DJDecoderRegistration::registerCodecs (EDC_photometricInterpretation, EUC_never, EPC_colorByPixel);
  DJLSDecoderRegistration::registerCodecs (EJLSUC_never, EJLSPC_colorByPixel);
  return NULL;
}

/* Patient-identifying attributes (after DICOM PS3.15 Annex E's basic
 * profile): names, IDs, dates, places, free text about the patient. */
const DcmTagKey identifying_tags[] = {
  DCM_PatientName, DCM_PatientID, DCM_IssuerOfPatientID, DCM_PatientBirthDate,
  DCM_PatientBirthTime, DCM_PatientSex, DCM_PatientAge, DCM_PatientSize, DCM_PatientWeight,
  DCM_RETIRED_OtherPatientIDs, DCM_OtherPatientIDsSequence, DCM_OtherPatientNames, DCM_PatientBirthName, DCM_PatientMotherBirthName,
  DCM_PatientAddress, DCM_PatientTelephoneNumbers, DCM_RETIRED_MedicalRecordLocator, DCM_EthnicGroup,
  DCM_Occupation, DCM_AdditionalPatientHistory, DCM_PatientComments, DCM_MilitaryRank,
  DCM_CountryOfResidence, DCM_RegionOfResidence, DCM_InstitutionName, DCM_InstitutionAddress,
  DCM_InstitutionalDepartmentName, DCM_ReferringPhysicianName, DCM_ReferringPhysicianAddress,
  DCM_ReferringPhysicianTelephoneNumbers, DCM_PerformingPhysicianName,
  DCM_NameOfPhysiciansReadingStudy, DCM_PhysiciansOfRecord, DCM_OperatorsName,
  DCM_RequestingPhysician, DCM_AccessionNumber, DCM_StudyID, DCM_StudyDate, DCM_SeriesDate,
  DCM_AcquisitionDate, DCM_ContentDate, DCM_StudyTime, DCM_SeriesTime, DCM_AcquisitionTime,
  DCM_ContentTime, DCM_AcquisitionDateTime, DCM_StudyInstanceUID, DCM_SeriesInstanceUID,
  DCM_SOPInstanceUID, DCM_FrameOfReferenceUID, DCM_StationName, DCM_DeviceSerialNumber,
  DCM_StudyDescription, DCM_SeriesDescription, DCM_RequestAttributesSequence,
  DCM_PerformedProcedureStepID, DCM_ScheduledProcedureStepID, DCM_RequestedProcedureID,
  DCM_InstanceCreationDate, DCM_InstanceCreationTime, DCM_ImageComments,
};

gboolean
is_identifying (const DcmTagKey &key)
{
  if (key.getGroup () & 1)
    return TRUE; /* private tags may hold anything */
  for (const DcmTagKey &k : identifying_tags)
    if (k == key)
      return TRUE;
  return FALSE;
}

/* Attributes that describe the pixels or the file, and are not shown as
 * tags (they have their own fields). */
gboolean
skip_as_tag (const DcmTagKey &key)
{
  return key == DCM_PixelData || key == DCM_FloatPixelData || key == DCM_DoubleFloatPixelData
         || key.getGroup () == 0x0002 || key.getGroup () == 0x7fe0 || key == DCM_LUTData;
}

char *
get_string (DcmItem *item, const DcmTagKey &key)
{
  OFString value;
  if (item->findAndGetOFStringArray (key, value).good () && !value.empty ())
    return g_strstrip (g_strdup (value.c_str ()));
  return NULL;
}

gboolean
get_double (DcmItem *item, const DcmTagKey &key, unsigned long pos, double *out)
{
  Float64 value = 0;
  if (item->findAndGetFloat64 (key, value, pos).good ())
    {
      *out = value;
      return TRUE;
    }
  return FALSE;
}

DcmItem *
sequence_item (DcmItem *item, const DcmTagKey &key, unsigned long index)
{
  DcmItem *result = NULL;
  if (item != NULL && item->findAndGetSequenceItem (key, result, (signed long) index).good ())
    return result;
  return NULL;
}

/* Rescale and windows: top level, else the enhanced multi-frame
 * functional groups (per-frame over shared). */
void
read_value_transforms (DcmDataset *ds, guint frame, LbImageMetadata *m)
{
  DcmItem *shared = sequence_item (ds, DCM_SharedFunctionalGroupsSequence, 0);
  DcmItem *per_frame = sequence_item (ds, DCM_PerFrameFunctionalGroupsSequence, frame);
  DcmItem *sources[3] = {
    ds,
    sequence_item (per_frame, DCM_PixelValueTransformationSequence, 0),
    sequence_item (shared, DCM_PixelValueTransformationSequence, 0),
  };
  for (DcmItem *src : sources)
    {
      double slope, intercept;
      if (src != NULL && get_double (src, DCM_RescaleSlope, 0, &slope)
          && get_double (src, DCM_RescaleIntercept, 0, &intercept))
        {
          m->rescale_slope = slope != 0.0 ? slope : 1.0;
          m->rescale_intercept = intercept;
          m->rescale_type = get_string (src, DCM_RescaleType);
          break;
        }
    }

  DcmItem *voi_sources[3] = {
    ds,
    sequence_item (per_frame, DCM_FrameVOILUTSequence, 0),
    sequence_item (shared, DCM_FrameVOILUTSequence, 0),
  };
  for (DcmItem *src : voi_sources)
    {
      if (src == NULL)
        continue;
      for (unsigned long i = 0; i < 64; i++)
        {
          double center, width;
          if (!get_double (src, DCM_WindowCenter, i, &center) || !get_double (src, DCM_WindowWidth, i, &width))
            break;
          OFString explanation;
          const char *text = NULL;
          if (src->findAndGetOFString (DCM_WindowCenterWidthExplanation, explanation, i).good ()
              && !explanation.empty ())
            text = explanation.c_str ();
          if (width >= 1.0)
            lb_image_metadata_add_window (m, center, width, text);
        }
      if (m->windows->len > 0)
        break;
    }

  /* A Modality LUT Sequence replaces rescale. */
  DcmItem *lut = sequence_item (ds, DCM_ModalityLUTSequence, 0);
  if (lut != NULL)
    {
      Uint16 entries = 0, bits = 0;
      Sint32 first = 0;
      const Uint16 *values = NULL;
      unsigned long count = 0;
      Uint16 first_raw = 0;
      if (lut->findAndGetUint16 (DCM_LUTDescriptor, entries, 0).good ()
          && lut->findAndGetUint16 (DCM_LUTDescriptor, first_raw, 1).good ()
          && lut->findAndGetUint16 (DCM_LUTDescriptor, bits, 2).good ()
          && lut->findAndGetUint16Array (DCM_LUTData, values, &count).good () && values != NULL)
        {
          guint n = entries == 0 ? 65536u : entries;
          /* The first mapped value is signed when the pixels are. */
          Uint16 pixel_representation = 0;
          ds->findAndGetUint16 (DCM_PixelRepresentation, pixel_representation);
          first = pixel_representation ? (Sint16) first_raw : first_raw;
          if (count >= n && bits >= 8 && bits <= 16)
            {
              m->modality_lut = static_cast<guint16 *> (g_memdup2 (values, sizeof (guint16) * n));
              m->n_modality_lut = n;
              m->lut_first = first;
              m->rescale_type = get_string (lut, DCM_ModalityLUTType);
            }
        }
    }
}

void
read_tags (DcmDataset *ds, LbImageMetadata *m)
{
  for (unsigned long i = 0; i < ds->card (); i++)
    {
      DcmElement *element = ds->getElement (i);
      if (element == NULL)
        continue;
      DcmTag tag = element->getTag ();
      DcmTagKey key = tag.getXTag ();
      DcmEVR vr = element->ident ();
      if (skip_as_tag (key) || vr == EVR_SQ || vr == EVR_OB || vr == EVR_OW || vr == EVR_OF
          || vr == EVR_OD || vr == EVR_OL || vr == EVR_UN || vr == EVR_pixelSQ)
        continue;
      /* Long values are neither useful here nor worth loading. */
      if (element->getLength () > 4096)
        continue;
      OFString value;
      if (element->getOFStringArray (value).bad ())
        continue;
      if (value.length () > 512)
        value = value.substr (0, 512) + "…";
      const char *keyword = tag.getTagName ();
      g_autofree char *name = keyword != NULL && strcmp (keyword, DcmTag_ERROR_TagName) != 0
                                ? g_strdup (keyword)
                                : g_strdup_printf ("(%04x,%04x)", key.getGroup (), key.getElement ());
      guint32 number = (guint32) key.getGroup () << 16 | key.getElement ();
      lb_image_metadata_add_tag (m, number, name, value.c_str (), is_identifying (key));
    }
}

/* A temporary copy of in-memory data, removed when the load is done. */
struct TempFile
{
  char *path = NULL;
  TempFile () = default;
  TempFile (const TempFile &) = delete;
  TempFile &operator= (const TempFile &) = delete;
  ~TempFile ()
  {
    if (path != NULL)
      {
        g_unlink (path);
        g_free (path);
      }
  }
};

/* YCbCr (full range, ITU-R BT.601 as DICOM defines YBR_FULL) to RGB. */
inline guint8
clamp8 (double v)
{
  v = v < 0 ? 0 : v > 255 ? 255 : v;
  return (guint8) (v + 0.5);
}

void
ybr_to_rgb (guint8 *px, double y, double cb, double cr)
{
  px[0] = clamp8 (y + 1.402 * (cr - 128));
  px[1] = clamp8 (y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  px[2] = clamp8 (y + 1.772 * (cb - 128));
}

LbImage *
load (const guint8 *data, gsize size, const char *name, const char *path, guint frame, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, register_codecs, NULL);

  if (!dcmDataDict.isDictionaryLoaded ())
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: the DICOM data dictionary of DCMTK is not available", name);
      return NULL;
    }
  if (size > G_MAXUINT32)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "%s: DICOM files over 4 GiB are not supported", name);
      return NULL;
    }

  /* From a file, values longer than 4 kB are loaded only when used, so a
   * damaged length field cannot make DCMTK allocate gigabytes while
   * parsing (it must fit in the file, or parsing fails). */
  TempFile temp;
  if (path == NULL)
    {
      char *&tmp_path = temp.path;
      GError *tmp_error = NULL;
      int fd = g_file_open_tmp ("lightbox-XXXXXX.dcm", &tmp_path, &tmp_error);
      gboolean written = fd >= 0;
      if (written)
        {
          gsize done = 0;
          while (written && done < size)
            {
              gssize n = write (fd, data + done, size - done);
              written = n > 0;
              done += written ? (gsize) n : 0;
            }
          close (fd);
        }
      if (!written)
        {
          g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_IO, "%s: cannot write a temporary copy: %s", name,
                       tmp_error != NULL ? tmp_error->message : g_strerror (errno));
          g_clear_error (&tmp_error);
          return NULL;
        }
      path = temp.path;
    }
  DcmFileFormat file; /* destroyed before temp: DCMTK reopens the file by name */
  OFCondition cond = file.loadFile (OFFilename (path), EXS_Unknown, EGL_noChange, 4096);
  if (cond.bad ())
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: cannot parse the DICOM file: %s (is it truncated?)", name, cond.text ());
      return NULL;
    }

  DcmDataset *ds = file.getDataset ();
  E_TransferSyntax xfer = ds->getOriginalXfer ();
  DcmXfer xfer_info (xfer);
  const char *xfer_name = xfer_info.getXferName ();

  if (xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000
      || xfer == EXS_JPEG2000MulticomponentLosslessOnly || xfer == EXS_JPEG2000Multicomponent)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: the pixel data is JPEG 2000 compressed (%s), which Lightbox cannot decode; "
                   "convert the file to an uncompressed or JPEG/JPEG-LS transfer syntax", name, xfer_name);
      return NULL;
    }

  DcmElement *pixel_element = NULL;
  if (ds->findAndGetElement (DCM_PixelData, pixel_element).bad () || pixel_element == NULL)
    {
      if (ds->tagExists (DCM_FloatPixelData) || ds->tagExists (DCM_DoubleFloatPixelData))
        g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                     "%s: floating-point DICOM pixel data is not supported", name);
      else
        g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                     "%s: the DICOM file has no Pixel Data (7FE0,0010); it is not an image "
                     "(a report, a structured document or a presentation state?)", name);
      return NULL;
    }

  Uint16 rows = 0, columns = 0, bits_allocated = 0, bits_stored = 0, high_bit = 0;
  Uint16 pixel_representation = 0, samples = 1, planar = 0;
  if (ds->findAndGetUint16 (DCM_Rows, rows).bad () || ds->findAndGetUint16 (DCM_Columns, columns).bad ()
      || ds->findAndGetUint16 (DCM_BitsAllocated, bits_allocated).bad ())
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: the DICOM image lacks Rows, Columns or Bits Allocated", name);
      return NULL;
    }
  if (ds->findAndGetUint16 (DCM_BitsStored, bits_stored).bad ())
    bits_stored = bits_allocated;
  if (ds->findAndGetUint16 (DCM_HighBit, high_bit).bad ())
    high_bit = bits_stored - 1;
  ds->findAndGetUint16 (DCM_PixelRepresentation, pixel_representation);
  ds->findAndGetUint16 (DCM_SamplesPerPixel, samples);
  ds->findAndGetUint16 (DCM_PlanarConfiguration, planar);
  Sint32 n_frames = 1;
  if (ds->findAndGetSint32 (DCM_NumberOfFrames, n_frames).bad () || n_frames < 1)
    n_frames = 1;
  g_autofree char *photometric = get_string (ds, DCM_PhotometricInterpretation);
  if (photometric == NULL)
    photometric = g_strdup (samples == 3 ? "RGB" : "MONOCHROME2");

  if (!lb_image_check_dimensions (name, columns, rows, error))
    return NULL;
  if (bits_allocated != 8 && bits_allocated != 16)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: %u bits allocated per sample; 8 or 16 were expected", name, bits_allocated);
      return NULL;
    }
  if (bits_stored == 0 || bits_stored > bits_allocated || high_bit >= bits_allocated
      || high_bit + 1 < bits_stored)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: inconsistent Bits Stored %u / High Bit %u for %u bits allocated", name,
                   bits_stored, high_bit, bits_allocated);
      return NULL;
    }
  if (samples != 1 && samples != 3)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: %u samples per pixel; 1 or 3 were expected", name, samples);
      return NULL;
    }
  if (frame >= (guint) n_frames)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_FRAME,
                   "%s: frame %u requested, but the DICOM image has %d frame%s", name, frame,
                   (int) n_frames, n_frames == 1 ? "" : "s");
      return NULL;
    }

  DcmPixelData *pixels = OFstatic_cast (DcmPixelData *, pixel_element);
  Uint32 frame_size = 0;
  if (pixels->getUncompressedFrameSize (ds, frame_size).bad () || frame_size == 0)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: cannot determine the size of a DICOM frame", name);
      return NULL;
    }
  gsize expected = (gsize) rows * columns * samples * (bits_allocated / 8);
  gboolean ybr422 = g_str_has_prefix (photometric, "YBR_FULL_422") && xfer_info.isEncapsulated () == OFFalse;
  if (ybr422)
    expected = (gsize) rows * columns * 2; /* Y Y Cb Cr per two pixels */
  if (frame_size < expected)
    frame_size = (Uint32) expected;
  Uint32 buffer_size = frame_size + (frame_size & 1);
  guint8 *buffer = static_cast<guint8 *> (g_try_malloc (buffer_size));
  if (buffer == NULL)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "%s: out of memory for a %u×%u frame", name, columns, rows);
      return NULL;
    }
  Uint32 start_fragment = 0;
  OFString color_model;
  if (!xfer_info.isEncapsulated ())
    {
      /* Uncompressed: check the element holds the frame before copying. */
      Uint32 length = pixel_element->getLength ();
      if ((guint64) length < (guint64) (frame + 1) * expected)
        {
          g_free (buffer);
          g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                       "%s: the Pixel Data holds %u bytes, but frame %u needs %" G_GUINT64_FORMAT
                       " (is the file truncated?)", name, length, frame,
                       (guint64) (frame + 1) * expected);
          return NULL;
        }
    }
  if (frame > 0 && xfer_info.isEncapsulated ())
    {
      /* Decode frames in order so DCMTK can find each one's first
       * fragment without an offset table. */
      for (guint f = 0; f < frame; f++)
        {
          cond = pixels->getUncompressedFrame (ds, f, start_fragment, buffer, buffer_size, color_model);
          if (cond.bad ())
            break;
        }
    }
  if (cond.good ())
    cond = pixels->getUncompressedFrame (ds, frame, start_fragment, buffer, buffer_size, color_model);
  if (cond.bad ())
    {
      g_free (buffer);
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: cannot decode frame %u of the DICOM pixel data (%s): %s", name, frame,
                   xfer_name, cond.text ());
      return NULL;
    }

  gboolean is_signed = pixel_representation == 1;
  guint channels = samples;
  GError *new_error = NULL;
  LbImage *image = lb_image_new (columns, rows, channels, bits_allocated, is_signed, &new_error);
  if (image == NULL)
    {
      g_free (buffer);
      g_propagate_error (error, new_error);
      return NULL;
    }

  gsize n_pixels = (gsize) rows * columns;
  const char *model = color_model.empty () ? photometric : color_model.c_str ();
  if (channels == 1)
    {
      guint shift = high_bit + 1 - bits_stored;
      if (bits_allocated == 8)
        {
          guint8 mask = (guint8) ((1u << bits_stored) - 1);
          for (gsize i = 0; i < n_pixels; i++)
            {
              int v = (buffer[i] >> shift) & mask;
              if (is_signed && (v & (1 << (bits_stored - 1))))
                v -= 1 << bits_stored;
              image->u8[i] = (guint8) v;
            }
        }
      else
        {
          const guint16 *in = reinterpret_cast<const guint16 *> (buffer);
          guint32 mask = (1u << bits_stored) - 1;
          for (gsize i = 0; i < n_pixels; i++)
            {
              gint32 v = (in[i] >> shift) & mask;
              if (is_signed && (v & (1 << (bits_stored - 1))))
                v -= 1 << bits_stored;
              image->u16[i] = (guint16) v;
            }
        }
    }
  else
    {
      /* Colour: planar (RRR…GGG…BBB) to interleaved, YBR to RGB. DCMTK's
       * JPEG and JPEG-LS decoders were told to produce colour-by-pixel;
       * uncompressed and RLE frames follow Planar Configuration. */
      gboolean by_plane = xfer_info.isEncapsulated () && xfer != EXS_RLELossless ? FALSE : planar == 1;
      gsize B = bits_allocated / 8;
      if (ybr422)
        {
          for (guint y = 0; y < rows; y++)
            for (guint x = 0; x < columns; x++)
              {
                gsize pair = ((gsize) y * columns + x) / 2;
                const guint8 *p = buffer + pair * 4;
                double Y = p[((gsize) y * columns + x) & 1];
                ybr_to_rgb (image->u8 + ((gsize) y * columns + x) * 3, Y, p[2], p[3]);
              }
        }
      else if (B == 1)
        {
          for (gsize i = 0; i < n_pixels; i++)
            for (guint c = 0; c < 3; c++)
              image->u8[i * 3 + c] = by_plane ? buffer[c * n_pixels + i] : buffer[i * 3 + c];
          if (g_str_has_prefix (model, "YBR_FULL"))
            for (gsize i = 0; i < n_pixels; i++)
              {
                guint8 *px = image->u8 + i * 3;
                ybr_to_rgb (px, px[0], px[1], px[2]);
              }
        }
      else
        {
          const guint16 *in = reinterpret_cast<const guint16 *> (buffer);
          for (gsize i = 0; i < n_pixels; i++)
            for (guint c = 0; c < 3; c++)
              image->u16[i * 3 + c] = by_plane ? in[c * n_pixels + i] : in[i * 3 + c];
        }
    }
  g_free (buffer);

  LbImageMetadata *m = &image->metadata;
  g_free (m->photometric);
  m->photometric = g_strdup (channels == 3 ? "RGB"
                             : g_strcmp0 (photometric, "MONOCHROME1") == 0 ? "MONOCHROME1" : "MONOCHROME2");
  if (channels == 1 && g_strcmp0 (photometric, "PALETTE COLOR") == 0)
    {
      lb_image_free (image);
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_UNSUPPORTED,
                   "%s: PALETTE COLOR DICOM images are not supported", name);
      return NULL;
    }
  m->bits_used = bits_stored;
  m->n_frames = (guint) n_frames;
  m->frame = frame;
  m->modality = get_string (ds, DCM_Modality);
  m->transfer_syntax = g_strdup (xfer_name);
  m->compression = g_strdup (xfer_name);
  m->patient_orientation = get_string (ds, DCM_PatientOrientation);
  double spacing[2];
  if ((get_double (ds, DCM_PixelSpacing, 0, &spacing[0]) && get_double (ds, DCM_PixelSpacing, 1, &spacing[1]))
      || (get_double (ds, DCM_ImagerPixelSpacing, 0, &spacing[0])
          && get_double (ds, DCM_ImagerPixelSpacing, 1, &spacing[1])))
    {
      if (spacing[0] > 0 && spacing[1] > 0)
        {
          m->has_pixel_spacing = TRUE;
          m->pixel_spacing[0] = spacing[0];
          m->pixel_spacing[1] = spacing[1];
        }
    }
  if (channels == 1)
    read_value_transforms (ds, frame, m);
  read_tags (ds, m);
  return image;
}

} /* namespace */

extern "C" LbImage *
lb_image_load_dicom (const guint8 *data, gsize size, const char *name, const char *path, guint frame,
                     GError **error)
{
  try
    {
      return load (data, size, name, path, frame, error);
    }
  catch (const std::bad_alloc &)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_TOO_LARGE,
                   "%s: out of memory while reading the DICOM file", name);
    }
  catch (...)
    {
      g_set_error (error, LB_IMAGE_ERROR, LB_IMAGE_ERROR_CORRUPT,
                   "%s: the DICOM reader failed on this file", name);
    }
  return NULL;
}
