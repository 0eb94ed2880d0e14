// POST /api/people/export-xmp and /api/people/import-xmp (docs/API.md): `people export-xmp` / `import-xmp` of the
// CLI, answered as one JSON object of the same records.
#include <filesystem>

#include "app/people_xmp.hpp"
#include "server/http.hpp"
#include "server/views.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace facesearch::server {

namespace {

// The optional "paths" of a request: absolute paths that restrict the photos (none: every photo of the library).
std::vector<fs::path> paths_of(const json& body) {
  std::vector<fs::path> paths;
  if (!body.contains("paths")) return paths;
  if (!body["paths"].is_array() || body["paths"].size() > 64)
    throw HttpError{400, "paths must be a list of at most 64 absolute paths on the server"};
  for (const auto& p : body["paths"]) {
    if (!p.is_string() || p.get<std::string>().empty()) throw HttpError{400, "each path must be a path string"};
    if (p.get<std::string>().find('\0') != std::string::npos) throw HttpError{400, "a path must not contain NUL bytes"};
    const fs::path path = p.get<std::string>();
    if (!path.is_absolute()) throw HttpError{400, "paths must be absolute: " + path.string()};
    paths.push_back(path.lexically_normal());
  }
  return paths;
}

json request_body(const httplib::Request& req, const std::string& usage) {
  if (req.body.empty()) return json::object();
  const json body = json_body(req, usage);
  if (!body.is_object()) throw HttpError{400, "send a JSON object: " + usage};
  return body;
}

}  // namespace

void Views::export_xmp(const httplib::Request& req, httplib::Response& res) {
  const json body = request_body(req, "{\"paths\": [\"/absolute/folder\", ...], \"in_place\": false}");
  app::XmpExportOptions options;
  options.paths = paths_of(body);
  if (body.contains("in_place")) {
    if (!body["in_place"].is_boolean()) throw HttpError{400, "in_place must be true or false"};
    options.in_place = body["in_place"].get<bool>();
  }
  const app::XmpExportReport report = app::export_xmp(session_, options);
  json photos = json::array();
  for (const auto& p : report.photos) photos.push_back(app::xmp_export_photo_json(p));
  json answer = app::xmp_export_summary_json(report);
  answer["photos"] = std::move(photos);
  send_json(res, 200, answer);
}

void Views::import_xmp(const httplib::Request& req, httplib::Response& res) {
  const json body = request_body(req, "{\"paths\": [\"/absolute/folder\", ...]}");
  const app::XmpImportReport report = app::import_xmp(session_, {paths_of(body)});
  json regions = json::array(), problems = json::array();
  for (const auto& r : report.regions) regions.push_back(app::xmp_import_region_json(r));
  for (const auto& p : report.problems) problems.push_back(app::xmp_problem_json(p));
  json answer = app::xmp_import_summary_json(report);
  answer["regions"] = std::move(regions);
  answer["problems"] = std::move(problems);
  send_json(res, 200, answer);
}

}  // namespace facesearch::server
