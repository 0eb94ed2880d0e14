// The JSON records of `people export-xmp` and `people import-xmp` (docs/CLI.md, "XMP face tags").
#include "app/people_xmp.hpp"
#include "app/records.hpp"

using nlohmann::json;

namespace facesearch::app {

namespace {
constexpr double kFraction = 1e-6;  // normalised coordinates, as written into the XMP

void add_area(json& j, const metadata::FaceRegion& r) {
  j["x"] = rounded(r.x, kFraction);
  j["y"] = rounded(r.y, kFraction);
  j["w"] = rounded(r.w, kFraction);
  j["h"] = rounded(r.h, kFraction);
}
}  // namespace

json xmp_export_photo_json(const XmpExportPhoto& p) {
  json regions = json::array();
  for (const auto& r : p.regions) {
    json region = {{"name", text_field(r.name)}, {"person", r.person}, {"face_id", r.face}};
    add_area(region, r.area);
    regions.push_back(std::move(region));
  }
  json j = {{"status", p.status}, {"width", p.width}, {"height", p.height}, {"regions", std::move(regions)}};
  add_path(j, p.photo);
  j["xmp"] = p.written.empty() ? json(nullptr) : json(text_field(p.written.string()));
  if (!p.reason.empty()) j["reason"] = text_field(p.reason);
  return j;
}

json xmp_export_summary_json(const XmpExportReport& r) {
  return {{"summary",
           {{"photos", r.photos.size()}, {"written", r.written}, {"regions", r.regions},
            {"videos_skipped", r.videos_skipped}, {"errors", r.errors}}}};
}

json xmp_import_region_json(const XmpRegionIn& r) {
  json j = {{"source", text_field(r.source)},
            {"name", text_field(r.area.name)},
            {"status", r.status},
            {"face_id", r.face ? json(r.face) : json(nullptr)},
            {"person", r.person ? json(r.person) : json(nullptr)},
            {"iou", rounded(r.iou, 1e-4)},
            {"box", box_json(r.box)}};
  add_area(j, r.area);
  add_path(j, r.photo);
  if (!r.reason.empty()) j["reason"] = text_field(r.reason);
  return j;
}

json xmp_problem_json(const XmpProblem& p) {
  json j = {{"source", text_field(p.source)}, {"error", text_field(p.message)}};
  add_path(j, p.photo);
  return j;
}

json xmp_import_summary_json(const XmpImportReport& r) {
  return {{"summary",
           {{"photos", r.photos}, {"photos_with_xmp", r.photos_with_xmp}, {"photos_without_xmp", r.photos_without_xmp},
            {"videos_skipped", r.videos_skipped}, {"regions", r.regions.size()}, {"named", r.named},
            {"unchanged", r.unchanged}, {"conflicts", r.conflicts}, {"unmatched", r.unmatched},
            {"persons_created", r.persons_created}, {"problems", r.problems.size()}}}};
}

}  // namespace facesearch::app
