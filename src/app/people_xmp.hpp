// People <-> XMP face tags (docs/CLI.md, "XMP face tags"): named persons written into photos' metadata as
// Metadata Working Group face regions, and face regions other programs wrote read back as the user's own decisions.
// The XMP itself is src/metadata's job; this is the use case over a Session.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/session.hpp"
#include "metadata/xmp_regions.hpp"

namespace facesearch::app {

// A region and a detected face are the same face when their boxes overlap this much (intersection over union).
// Lower than re-indexing's 0.5: other programs draw face boxes of their own size (often the whole head).
inline constexpr double kXmpMatchIoU = 0.3;

// True when `photo` is one of `roots` or under one of them (every photo when `roots` is empty).
bool photo_selected(const std::filesystem::path& photo, const std::vector<std::filesystem::path>& roots);

// ---- export ------------------------------------------------------------------------------------------------------

struct XmpExportOptions {
  std::vector<std::filesystem::path> paths;  // only photos under these (empty: all)
  bool in_place = false;                     // into the photo's embedded XMP instead of `photo.jpg.xmp`
};

struct XmpRegionOut {
  std::string name;
  people::PersonId person = 0;
  FaceId face = 0;
  metadata::FaceRegion area;  // normalised to the upright image
};

struct XmpExportPhoto {
  std::filesystem::path photo;
  std::filesystem::path written;  // the sidecar, or the photo itself (--in-place); empty when nothing was written
  int width = 0, height = 0;      // upright
  std::string status;             // "written", "skipped" (a video), "error"
  std::string reason;             // for skipped and error
  std::vector<XmpRegionOut> regions;
};

struct XmpExportReport {
  std::vector<XmpExportPhoto> photos;  // in path order
  size_t written = 0, regions = 0, videos_skipped = 0, errors = 0;
};

// Writes the faces of named persons. One photo's failure (a malformed sidecar, a read-only folder) is reported in
// its record; the others go on.
XmpExportReport export_xmp(Session& session, const XmpExportOptions& options);

// ---- import ------------------------------------------------------------------------------------------------------

struct XmpImportOptions {
  std::vector<std::filesystem::path> paths;  // only photos under these (empty: all indexed photos)
};

// One named region found in a photo's XMP and what became of it.
struct XmpRegionIn {
  std::filesystem::path photo;
  std::string source;  // the sidecar's path, or "embedded"
  metadata::FaceRegion area;
  Box box;             // the area in the upright photo's pixels
  // "named": the face now belongs to the person of that name (created when new); "unchanged": it did already;
  // "conflict": left alone (the reason says why); "unmatched": no detected face overlaps it enough.
  std::string status;
  std::string reason;
  FaceId face = 0;
  people::PersonId person = 0;
  double iou = 0;
};

// A sidecar or packet that could not be read, or a region left out (nonsense numbers).
struct XmpProblem {
  std::filesystem::path photo;
  std::string source;
  std::string message;
};

struct XmpImportReport {
  std::vector<XmpRegionIn> regions;
  std::vector<XmpProblem> problems;
  size_t photos = 0, photos_with_xmp = 0, photos_without_xmp = 0, videos_skipped = 0;
  size_t named = 0, unchanged = 0, conflicts = 0, unmatched = 0, persons_created = 0;
};

// Reads sidecars (`photo.jpg.xmp`, then `photo.xmp`) and the embedded XMP of indexed photos, and names the faces
// they tag as `people move` / `people name` would. Idempotent: importing again changes nothing.
XmpImportReport import_xmp(Session& session, const XmpImportOptions& options);

// ---- records (--json, docs/CLI.md) -------------------------------------------------------------------------------

// {"path", "status", "reason"?, "xmp" (file written, or null), "width", "height",
//  "regions": [{"name", "person", "face_id", "x", "y", "w", "h"}]}
nlohmann::json xmp_export_photo_json(const XmpExportPhoto& p);
// {"summary": {"photos", "written", "regions", "videos_skipped", "errors"}}
nlohmann::json xmp_export_summary_json(const XmpExportReport& r);
// {"path", "source", "name", "status", "reason"?, "face_id", "person", "iou", "box", "x", "y", "w", "h"}
nlohmann::json xmp_import_region_json(const XmpRegionIn& r);
// {"path", "source", "error"}
nlohmann::json xmp_problem_json(const XmpProblem& p);
// {"summary": {"photos", "photos_with_xmp", "photos_without_xmp", "videos_skipped", "regions", "named",
//  "unchanged", "conflicts", "unmatched", "persons_created", "problems"}}
nlohmann::json xmp_import_summary_json(const XmpImportReport& r);

}  // namespace facesearch::app
