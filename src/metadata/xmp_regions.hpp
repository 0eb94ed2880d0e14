// Face regions in XMP, read and written with exiv2: the Metadata Working Group regions (mwg-rs:Regions, what
// digiKam, Lightroom, immich and PhotoPrism read and write), the older Microsoft Photo regions (MP:RegionInfo, read
// only) and the names in Iptc4xmpExt:PersonInImage. Knows nothing of libraries or persons: names and rectangles.
//
// Coordinates are normalised to the image the regions apply to (mwg-rs:AppliedToDimensions): a region's centre and
// size, each 0..1 of the width or height. facesearch writes them for the upright (EXIF-rotated) image.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace facesearch::metadata {

// A packet or file that cannot be read or written (malformed XMP, unreadable image); the message says why.
class XmpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A named face region: centre (x, y) and size (w, h), normalised to the image.
struct FaceRegion {
  std::string name;
  double x = 0, y = 0, w = 0, h = 0;
};

// What a packet says about faces.
struct FaceRegions {
  int width = 0, height = 0;            // mwg-rs:AppliedToDimensions in pixels (0: not given)
  std::vector<FaceRegion> regions;      // named face regions: MWG first, then Microsoft Photo
  std::vector<std::string> person_names;  // Iptc4xmpExt:PersonInImage
  std::vector<std::string> skipped;     // named regions left out, each with the reason (nonsense numbers, units)
  bool empty() const { return regions.empty() && person_names.empty() && skipped.empty(); }
};

// The regions facesearch writes for one photo. Existing face regions with one of these names, or covering the same
// face (intersection over union >= kSameFaceIoU), are replaced; every other property and region stays.
struct RegionUpdate {
  int width = 0, height = 0;  // of the upright image
  std::vector<FaceRegion> regions;
};

inline constexpr double kSameFaceIoU = 0.5;

// Intersection over union of two normalised centre/size rectangles.
double region_iou(const FaceRegion& a, const FaceRegion& b);

// Parses an XMP packet (a sidecar's whole text, or an image's embedded packet). Throws XmpError when malformed.
FaceRegions parse_face_regions(const std::string& packet);
// `packet` (empty: none) with the update merged in, as new packet text. Throws XmpError when `packet` is malformed.
std::string merge_face_regions(const std::string& packet, const RegionUpdate& update);

// Sidecar files (`photo.jpg.xmp`). Reading throws XmpError for unreadable or malformed files. Writing merges with
// the existing sidecar (if any) and replaces it atomically (a temporary file renamed over it).
FaceRegions read_sidecar(const std::filesystem::path& sidecar);
void write_sidecar(const std::filesystem::path& sidecar, const RegionUpdate& update);

// The XMP embedded in an image file (empty FaceRegions when it has none). Throws XmpError when the file cannot be
// opened by exiv2 or its packet is malformed.
FaceRegions read_embedded(const std::filesystem::path& image);
// Merges the update into the image's embedded XMP and rewrites the file (the pixels are not re-encoded).
void write_embedded(const std::filesystem::path& image, const RegionUpdate& update);

// The sidecar names facesearch writes and reads: `photo.jpg.xmp`; `photo.xmp` (Lightroom's, darktable's other
// style) is also read.
std::filesystem::path sidecar_path(const std::filesystem::path& photo);
std::filesystem::path short_sidecar_path(const std::filesystem::path& photo);

}  // namespace facesearch::metadata
