#include "server/requests.hpp"

#include <charconv>

#include "app/numbers.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace facesearch::server {

std::int64_t parse_id(const std::string& text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) throw HttpError{404, "no such id: " + text};
  return id;
}

long long parse_integer(const std::string& name, const std::string& text, long long lo, long long hi) {
  if (auto v = app::read_integer(text, lo, hi)) return *v;
  throw HttpError{400, app::integer_rule(name, lo, hi)};
}

int int_query(const httplib::Request& req, const std::string& name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  return static_cast<int>(parse_integer(name, req.get_param_value(name), lo, hi));
}

float parse_threshold(const std::string& text) {
  if (auto v = app::read_number(text, -1, 1)) return static_cast<float>(*v);
  throw HttpError{400, app::number_rule("threshold", -1, 1)};
}

long long json_integer(const json& value, const std::string& name, long long lo, long long hi) {
  // Integers only: 1.5 and 1e30 are refused, not truncated; an unsigned value is compared before any cast.
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (hi >= 0 && v <= static_cast<std::uint64_t>(hi) && static_cast<long long>(v) >= lo) return static_cast<long long>(v);
  } else if (value.is_number_integer()) {
    const auto v = value.get<long long>();
    if (v >= lo && v <= hi) return v;
  }
  throw HttpError{400, app::integer_rule(name, lo, hi)};
}

double json_number(const json& value, const std::string& name, double lo, double hi) {
  if (value.is_number() && app::number_in_range(value.get<double>(), lo, hi)) return value.get<double>();
  throw HttpError{400, app::number_rule(name, lo, hi)};
}

bool is_json_request(const httplib::Request& req) {
  return req.get_header_value("Content-Type").rfind("application/json", 0) == 0;
}

json json_body(const httplib::Request& req, const std::string& usage) {
  if (!is_json_request(req)) throw HttpError{415, "send a JSON body: " + usage};
  try {
    return json::parse(req.body);
  } catch (const json::exception&) {
    throw HttpError{400, "the body is not valid JSON"};
  }
}

json json_object_body(const httplib::Request& req, const std::string& usage) {
  json body = json_body(req, usage);
  if (!body.is_object()) throw HttpError{400, "send a JSON object: " + usage};
  return body;
}

bool json_flag(const json& body, const char* name, bool fallback) {
  if (!body.contains(name)) return fallback;
  if (!body[name].is_boolean()) throw HttpError{400, std::string(name) + " must be true or false"};
  return body[name].get<bool>();
}

namespace {

SearchQuery parse_json_query(const httplib::Request& req) {
  SearchQuery q;
  const json body = json_body(req, "{\"face_id\": N}");
  if (!body.is_object()) throw HttpError{400, "the body must be a JSON object"};
  if (body.contains("face_id")) q.face_id = json_integer(body["face_id"], "face_id", 1, INT64_MAX);
  if (body.contains("threshold")) q.threshold = static_cast<float>(json_number(body["threshold"], "threshold", -1, 1));
  if (body.contains("top")) q.top = static_cast<size_t>(json_integer(body["top"], "top", 0, 100000));
  if (!q.face_id) throw HttpError{400, "a JSON search needs a face_id (upload photos as multipart/form-data)"};
  return q;
}

// A path string of a body: not empty, no NUL (the system would read "/photos\u0000/x" as /photos), absolute.
fs::path absolute_path(const json& value, const char* each_rule, const char* nul_rule, const char* absolute_rule) {
  if (!value.is_string() || value.get<std::string>().empty()) throw HttpError{400, each_rule};
  if (value.get<std::string>().find('\0') != std::string::npos) throw HttpError{400, nul_rule};
  const fs::path path = value.get<std::string>();
  if (!path.is_absolute()) throw HttpError{400, absolute_rule + path.string()};
  return path.lexically_normal();  // as the CLI would get it
}

}  // namespace

SearchQuery parse_search_query(const httplib::Request& req) {
  if (is_json_request(req)) return parse_json_query(req);
  SearchQuery q;
  // Multipart parts all land in req.files (fields too); a urlencoded form or the query string in req.params.
  auto field = [&](const std::string& name) -> std::optional<std::string> {
    if (req.has_file(name)) return req.get_file_value(name).content;
    if (req.has_param(name)) return req.get_param_value(name);
    return std::nullopt;
  };
  if (req.has_file("image")) q.image = req.get_file_value("image").content;
  if (auto v = field("face_id")) q.face_id = parse_integer("face_id", *v, 1, INT64_MAX);
  if (auto v = field("face")) q.which_face = *v;
  if (auto v = field("threshold")) q.threshold = parse_threshold(*v);
  if (auto v = field("top")) q.top = static_cast<size_t>(parse_integer("top", *v, 0, 100000));
  if (q.image && q.face_id) throw HttpError{400, "send either a photo or a face_id, not both"};
  if (!q.image && !q.face_id)
    throw HttpError{400, "send a photo (multipart field 'image') or the id of a face in the library (face_id)"};
  return q;
}

ImageInfo check_query_photo(std::span<const std::uint8_t> bytes, std::uint64_t max_bytes, std::uint64_t max_pixels) {
  if (bytes.size() > max_bytes) throw HttpError{413, "the photo is larger than " + std::to_string(max_bytes) + " bytes"};
  if (bytes.empty()) throw HttpError{400, "the uploaded photo is empty"};
  const auto info = probe_image(bytes);
  if (!info) throw HttpError{415, "not a photo in a format this server reads (JPEG, PNG, WebP, HEIC, ...)"};
  const std::uint64_t pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);
  if (pixels > max_pixels)
    throw HttpError{413, "the photo has " + std::to_string(pixels) + " pixels; the limit is " + std::to_string(max_pixels)};
  return *info;
}

IndexRequest parse_index_request(const httplib::Request& req) {
  const json body = json_body(req, "{\"roots\": [\"/absolute/folder\", ...]}");
  if (!body.is_object() || !body.contains("roots") || !body["roots"].is_array() || body["roots"].empty() ||
      body["roots"].size() > 64)
    throw HttpError{400, "roots must be a list of 1 to 64 absolute folder paths on the server"};
  IndexRequest out;
  for (const auto& r : body["roots"])
    out.roots.push_back(absolute_path(r, "each root must be a path string", "a root must not contain NUL bytes",
                                      "roots must be absolute paths: "));
  out.reembed = json_flag(body, "reembed", false);
  return out;
}

std::string parse_person_name(const httplib::Request& req) {
  const json body = json_body(req, "{\"name\": \"...\"}");
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
    throw HttpError{400, "name must be a string"};
  std::string name = body["name"].get<std::string>();
  if (name.empty() || name.size() > 200) throw HttpError{400, "a name has 1 to 200 bytes"};
  return name;
}

json optional_json_object(const httplib::Request& req, const std::string& usage) {
  if (req.body.empty()) return json::object();
  return json_object_body(req, usage);
}

std::vector<fs::path> xmp_paths(const json& body) {
  std::vector<fs::path> paths;
  if (!body.contains("paths")) return paths;
  if (!body["paths"].is_array() || body["paths"].size() > 64)
    throw HttpError{400, "paths must be a list of at most 64 absolute paths on the server"};
  for (const auto& p : body["paths"])
    paths.push_back(absolute_path(p, "each path must be a path string", "a path must not contain NUL bytes",
                                  "paths must be absolute: "));
  return paths;
}

}  // namespace facesearch::server
