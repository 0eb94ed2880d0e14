// `people export-xmp`: the faces of named persons as MWG face regions, in sidecars or the photos themselves.
#include <algorithm>
#include <map>

#include "app/people_xmp.hpp"
#include "library/storage.hpp"  // absolute_path: the form the catalog keeps paths in

namespace fs = std::filesystem;

namespace facesearch::app {

bool photo_selected(const fs::path& photo, const std::vector<fs::path>& roots) {
  if (roots.empty()) return true;
  const std::string p = photo.string();
  for (const auto& root : roots) {
    std::string r = absolute_path(root).string();
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    if (p == r || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && (r == "/" || p[r.size()] == '/')))
      return true;
  }
  return false;
}

namespace {

// A face box (upright pixels, possibly reaching past the edges) as a normalised MWG area within the image.
metadata::FaceRegion normalised(const Box& box, int width, int height, const std::string& name) {
  const double w = width, h = height;
  const double x1 = std::clamp<double>(box.x1, 0, w), x2 = std::clamp<double>(box.x2, 0, w);
  const double y1 = std::clamp<double>(box.y1, 0, h), y2 = std::clamp<double>(box.y2, 0, h);
  return {name, (x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h};
}

}  // namespace

XmpExportReport export_xmp(Session& session, const XmpExportOptions& options) {
  // The photos of named persons' faces, each with its regions.
  std::map<fs::path, XmpExportPhoto> photos;
  std::map<fs::path, MediaKind> kinds;
  for (const auto& person : session.list_people()) {
    if (person.name.empty()) continue;
    for (const auto& f : session.person_faces(std::to_string(person.id)).faces) {
      const LibraryFace& face = f.face;
      if (!photo_selected(face.path, options.paths) || face.width <= 0 || face.height <= 0) continue;
      XmpExportPhoto& photo = photos[face.path];
      photo.photo = face.path;
      photo.width = face.width;
      photo.height = face.height;
      kinds[face.path] = face.kind;
      photo.regions.push_back({person.name, person.id, face.id, normalised(face.face.box, face.width, face.height, person.name)});
    }
  }

  XmpExportReport report;
  for (auto& [path, photo] : photos) {
    if (kinds[path] == MediaKind::Video) {
      photo.status = "skipped";
      photo.reason = "a video: face regions are for photos";
      ++report.videos_skipped;
    } else {
      metadata::RegionUpdate update{photo.width, photo.height, {}};
      for (const auto& r : photo.regions) update.regions.push_back(r.area);
      try {
        if (options.in_place) {
          metadata::write_embedded(path, update);
          photo.written = path;
        } else {
          photo.written = metadata::sidecar_path(path);
          metadata::write_sidecar(photo.written, update);
        }
        photo.status = "written";
        ++report.written;
        report.regions += photo.regions.size();
      } catch (const std::exception& e) {  // XmpError, or a filesystem error: this photo only
        photo.status = "error";
        photo.reason = e.what();
        photo.written.clear();
        ++report.errors;
      }
    }
    report.photos.push_back(std::move(photo));
  }
  return report;
}

}  // namespace facesearch::app
