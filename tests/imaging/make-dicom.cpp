/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Test helper: writes a DICOM file with DCMTK (not with Lightbox code) from
 * raw samples, in any transfer syntax DCMTK can encode.
 *
 *   make-dicom OUT.dcm --rows R --cols C --raw SAMPLES [--frames F] [--spp 1|3]
 *     [--bits 8|16] [--stored N] [--high N] [--signed] [--photometric P] [--planar 0|1]
 *     [--xfer le-implicit|le-explicit|be-explicit|rle|jpeg-baseline|jpeg-extended|
 *             jpeg-lossless|jpegls-lossless|jpegls-near|j2k]
 *     [--slope S] [--intercept I] [--rescale-type T] [--window C,W[,EXPLANATION]]…
 *     [--modality M] [--claim ROWS,COLS] [--modality-lut FIRST,BITS,V0,V1,…] [--enhanced]
 *
 * SAMPLES holds F × R × C × spp native-endian samples (1 or 2 bytes),
 * interleaved by pixel; --planar 1 stores them by plane. --claim writes
 * other Rows/Columns than the samples have (for decompression-bomb tests).
 * j2k writes a JPEG 2000 transfer syntax around an opaque fragment (the
 * reader must refuse it by name). --enhanced puts rescale and window in the
 * functional-group sequences instead of the top level.
 */
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmimage/diregist.h> /* colour images for the lossy JPEG encoder */
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpeg/djrploss.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static int
fail (const char *what, const char *detail)
{
  fprintf (stderr, "make-dicom: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

int
main (int argc, char **argv)
{
  OFLog::configure (OFLogger::ERROR_LOG_LEVEL);
  if (argc < 2)
    return fail ("usage: make-dicom OUT.dcm OPTIONS", NULL);

  const char *out = argv[1];
  unsigned rows = 0, cols = 0, frames = 1, spp = 1, bits = 16, stored = 0, high = 0, planar = 0;
  bool is_signed = false, enhanced = false, have_high = false;
  std::string photometric, xfer = "le-explicit", raw, slope, intercept, rescale_type, modality = "OT";
  std::string claim, modality_lut;
  std::vector<std::string> windows;

  for (int i = 2; i < argc; i++)
    {
      std::string a = argv[i];
      auto next = [&] () -> std::string {
        if (i + 1 >= argc)
          {
            fail ("missing value for", a.c_str ());
            exit (1);
          }
        return argv[++i];
      };
      if (a == "--rows") rows = atoi (next ().c_str ());
      else if (a == "--cols") cols = atoi (next ().c_str ());
      else if (a == "--frames") frames = atoi (next ().c_str ());
      else if (a == "--spp") spp = atoi (next ().c_str ());
      else if (a == "--bits") bits = atoi (next ().c_str ());
      else if (a == "--stored") stored = atoi (next ().c_str ());
      else if (a == "--high") { high = atoi (next ().c_str ()); have_high = true; }
      else if (a == "--signed") is_signed = true;
      else if (a == "--photometric") photometric = next ();
      else if (a == "--planar") planar = atoi (next ().c_str ());
      else if (a == "--xfer") xfer = next ();
      else if (a == "--raw") raw = next ();
      else if (a == "--slope") slope = next ();
      else if (a == "--intercept") intercept = next ();
      else if (a == "--rescale-type") rescale_type = next ();
      else if (a == "--window") windows.push_back (next ());
      else if (a == "--modality") modality = next ();
      else if (a == "--claim") claim = next ();
      else if (a == "--modality-lut") modality_lut = next ();
      else if (a == "--enhanced") enhanced = true;
      else return fail ("unknown option", a.c_str ());
    }
  if (stored == 0)
    stored = bits;
  if (!have_high)
    high = stored - 1;
  if (photometric.empty ())
    photometric = spp == 3 ? "RGB" : "MONOCHROME2";

  size_t bps = bits / 8;
  size_t frame_samples = (size_t) rows * cols * spp;
  std::vector<unsigned char> samples (frame_samples * frames * bps);
  FILE *f = fopen (raw.c_str (), "rb");
  if (f == NULL || fread (samples.data (), 1, samples.size (), f) != samples.size ())
    return fail ("cannot read the samples", raw.c_str ());
  fclose (f);
  if (planar == 1 && spp == 3)
    {
      std::vector<unsigned char> planes (samples.size ());
      size_t n = (size_t) rows * cols;
      for (unsigned fr = 0; fr < frames; fr++)
        for (size_t p = 0; p < n; p++)
          for (unsigned c = 0; c < 3; c++)
            memcpy (&planes[(fr * frame_samples + c * n + p) * bps],
                    &samples[(fr * frame_samples + p * 3 + c) * bps], bps);
      samples.swap (planes);
    }

  DcmFileFormat file;
  DcmDataset *ds = file.getDataset ();
  char uid[100];
  ds->putAndInsertString (DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
  ds->putAndInsertString (DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier (uid, SITE_INSTANCE_UID_ROOT));
  ds->putAndInsertString (DCM_StudyInstanceUID, dcmGenerateUniqueIdentifier (uid, SITE_STUDY_UID_ROOT));
  ds->putAndInsertString (DCM_SeriesInstanceUID, dcmGenerateUniqueIdentifier (uid, SITE_SERIES_UID_ROOT));
  ds->putAndInsertString (DCM_PatientName, "Doe^Jane");
  ds->putAndInsertString (DCM_PatientID, "LB-0001");
  ds->putAndInsertString (DCM_PatientBirthDate, "19700101");
  ds->putAndInsertString (DCM_Modality, modality.c_str ());
  ds->putAndInsertString (DCM_PixelSpacing, "0.5\\0.25");
  ds->putAndInsertString (DCM_PatientOrientation, "L\\F");

  unsigned claim_rows = rows, claim_cols = cols;
  if (!claim.empty ())
    sscanf (claim.c_str (), "%u,%u", &claim_rows, &claim_cols);
  ds->putAndInsertUint16 (DCM_Rows, (Uint16) claim_rows);
  ds->putAndInsertUint16 (DCM_Columns, (Uint16) claim_cols);
  ds->putAndInsertUint16 (DCM_SamplesPerPixel, (Uint16) spp);
  ds->putAndInsertString (DCM_PhotometricInterpretation, photometric.c_str ());
  ds->putAndInsertUint16 (DCM_BitsAllocated, (Uint16) bits);
  ds->putAndInsertUint16 (DCM_BitsStored, (Uint16) stored);
  ds->putAndInsertUint16 (DCM_HighBit, (Uint16) high);
  ds->putAndInsertUint16 (DCM_PixelRepresentation, is_signed ? 1 : 0);
  if (spp == 3)
    ds->putAndInsertUint16 (DCM_PlanarConfiguration, (Uint16) planar);
  if (frames > 1)
    ds->putAndInsertString (DCM_NumberOfFrames, std::to_string (frames).c_str ());

  std::string centers, widths, explanations;
  for (const std::string &w : windows)
    {
      char c[64] = "", wd[64] = "", ex[64] = "";
      sscanf (w.c_str (), "%63[^,],%63[^,],%63[^\n]", c, wd, ex);
      centers += (centers.empty () ? "" : "\\") + std::string (c);
      widths += (widths.empty () ? "" : "\\") + std::string (wd);
      explanations += (explanations.empty () ? "" : "\\") + std::string (ex);
    }

  DcmItem *value_item = ds, *voi_item = ds;
  if (enhanced)
    {
      DcmItem *shared = NULL, *pvt = NULL, *voi = NULL;
      ds->findOrCreateSequenceItem (DCM_SharedFunctionalGroupsSequence, shared, 0);
      shared->findOrCreateSequenceItem (DCM_PixelValueTransformationSequence, pvt, 0);
      shared->findOrCreateSequenceItem (DCM_FrameVOILUTSequence, voi, 0);
      value_item = pvt;
      voi_item = voi;
    }
  if (!slope.empty ())
    value_item->putAndInsertString (DCM_RescaleSlope, slope.c_str ());
  if (!intercept.empty ())
    value_item->putAndInsertString (DCM_RescaleIntercept, intercept.c_str ());
  if (!rescale_type.empty ())
    value_item->putAndInsertString (DCM_RescaleType, rescale_type.c_str ());
  if (!windows.empty ())
    {
      voi_item->putAndInsertString (DCM_WindowCenter, centers.c_str ());
      voi_item->putAndInsertString (DCM_WindowWidth, widths.c_str ());
      voi_item->putAndInsertString (DCM_WindowCenterWidthExplanation, explanations.c_str ());
    }
  if (!modality_lut.empty ())
    {
      std::vector<long> v;
      size_t pos = 0;
      while (pos <= modality_lut.size ())
        {
          size_t comma = modality_lut.find (',', pos);
          v.push_back (atol (modality_lut.substr (pos, comma - pos).c_str ()));
          if (comma == std::string::npos)
            break;
          pos = comma + 1;
        }
      DcmItem *lut = NULL;
      ds->findOrCreateSequenceItem (DCM_ModalityLUTSequence, lut, 0);
      std::vector<Uint16> data;
      for (size_t i = 2; i < v.size (); i++)
        data.push_back ((Uint16) v[i]);
      DcmElement *desc = new DcmUnsignedShort (DcmTag (DCM_LUTDescriptor, EVR_US));
      Uint16 d[3] = { (Uint16) data.size (), (Uint16) v[0], (Uint16) v[1] };
      desc->putUint16Array (d, 3);
      lut->insert (desc, OFTrue);
      lut->putAndInsertUint16Array (DCM_LUTData, data.data (), (unsigned long) data.size ());
      lut->putAndInsertString (DCM_ModalityLUTType, "US");
    }

  E_TransferSyntax target;
  DcmRepresentationParameter *param = NULL;
  DJ_RPLossless lossless;
  DJ_RPLossy lossy (95);
  DcmRLERepresentationParameter rle;
  DJLSRepresentationParameter jls_lossless (0, OFTrue), jls_near (2, OFFalse);
  if (xfer == "le-implicit") target = EXS_LittleEndianImplicit;
  else if (xfer == "le-explicit") target = EXS_LittleEndianExplicit;
  else if (xfer == "be-explicit") target = EXS_BigEndianExplicit;
  else if (xfer == "rle") { target = EXS_RLELossless; param = &rle; }
  else if (xfer == "jpeg-baseline") { target = EXS_JPEGProcess1; param = &lossy; }
  else if (xfer == "jpeg-extended") { target = EXS_JPEGProcess2_4; param = &lossy; }
  else if (xfer == "jpeg-lossless") { target = EXS_JPEGProcess14SV1; param = &lossless; }
  else if (xfer == "jpegls-lossless") { target = EXS_JPEGLSLossless; param = &jls_lossless; }
  else if (xfer == "jpegls-near") { target = EXS_JPEGLSLossy; param = &jls_near; }
  else if (xfer == "j2k") target = EXS_JPEG2000LosslessOnly;
  else return fail ("unknown transfer syntax", xfer.c_str ());

  OFCondition cond;
  if (target == EXS_JPEG2000LosslessOnly)
    {
      /* An encapsulated stream with a J2K codestream marker and nothing
       * decodable: only the transfer syntax matters to the reader. */
      DcmPixelData *pixels = new DcmPixelData (DCM_PixelData);
      DcmPixelSequence *sequence = new DcmPixelSequence (DCM_PixelSequenceTag);
      DcmPixelItem *offsets = new DcmPixelItem (DCM_PixelItemTag);
      sequence->insert (offsets);
      DcmPixelItem *fragment = new DcmPixelItem (DCM_PixelItemTag);
      Uint8 codestream[8] = { 0xff, 0x4f, 0xff, 0x51, 0, 0, 0, 0 };
      fragment->putUint8Array (codestream, sizeof codestream);
      sequence->insert (fragment);
      pixels->putOriginalRepresentation (EXS_JPEG2000LosslessOnly, NULL, sequence);
      ds->insert (pixels, OFTrue);
    }
  else
    {
      if (bits == 8)
        cond = ds->putAndInsertUint8Array (DCM_PixelData, samples.data (), (unsigned long) samples.size ());
      else
        cond = ds->putAndInsertUint16Array (DCM_PixelData, reinterpret_cast<const Uint16 *> (samples.data ()),
                                           (unsigned long) (samples.size () / 2));
      if (cond.bad ())
        return fail ("cannot insert the pixel data", cond.text ());
    }

  if (param != NULL)
    {
      DcmRLEEncoderRegistration::registerCodecs ();
      /* usePixelValues off: otherwise the lossy encoder shifts 8-bit values
       * to start at 0 without recording it in the dataset. */
      DJEncoderRegistration::registerCodecs (ECC_lossyYCbCr, EUC_never, OFFalse, 0, 0, 0, OFTrue, ESS_422,
                                             OFTrue, OFFalse, 0, 0, 0.0, 0.0, 0, 0, 0, 0, OFFalse);
      /* Raw (not "cooked") JPEG-LS encoding: DCMTK 3.6.7's cooked path writes past
       * its buffer in fixPaddingIfNecessary (seen with valgrind). */
      DJLSEncoderRegistration::registerCodecs (0, 0, 0, 0, OFFalse);
      cond = ds->chooseRepresentation (target, param);
      if (cond.bad () || !ds->canWriteXfer (target))
        return fail ("DCMTK cannot encode this image in the transfer syntax", xfer.c_str ());
    }
  cond = file.saveFile (out, target);
  if (cond.bad ())
    return fail ("cannot write", cond.text ());
  return 0;
}
