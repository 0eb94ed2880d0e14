// POST /api/people/export-xmp and /api/people/import-xmp (docs/API.md): `people export-xmp` / `import-xmp` of the
// CLI, answered as one JSON object of the same records.
#include "app/people_xmp.hpp"
#include "server/http.hpp"
#include "server/views.hpp"

using nlohmann::json;

namespace facesearch::server {

void Views::export_xmp(const httplib::Request& req, httplib::Response& res) {
  const json body = optional_json_object(req, "{\"paths\": [\"/absolute/folder\", ...], \"in_place\": false}");
  app::XmpExportOptions options;
  options.paths = xmp_paths(body);
  options.in_place = json_flag(body, "in_place", false);
  const app::XmpExportReport report = app::export_xmp(session_, options);
  json photos = json::array();
  for (const auto& p : report.photos) photos.push_back(app::xmp_export_photo_json(p));
  json answer = app::xmp_export_summary_json(report);
  answer["photos"] = std::move(photos);
  send_json(res, 200, answer);
}

void Views::import_xmp(const httplib::Request& req, httplib::Response& res) {
  const json body = optional_json_object(req, "{\"paths\": [\"/absolute/folder\", ...]}");
  const app::XmpImportReport report = app::import_xmp(session_, {xmp_paths(body)});
  json regions = json::array(), problems = json::array();
  for (const auto& r : report.regions) regions.push_back(app::xmp_import_region_json(r));
  for (const auto& p : report.problems) problems.push_back(app::xmp_problem_json(p));
  json answer = app::xmp_import_summary_json(report);
  answer["regions"] = std::move(regions);
  answer["problems"] = std::move(problems);
  send_json(res, 200, answer);
}

}  // namespace facesearch::server
