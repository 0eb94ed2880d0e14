// POST /api/search: a person found by an uploaded photo or by a face of the library.
#include <chrono>
#include <optional>
#include <span>
#include <stdexcept>

#include "app/records.hpp"
#include "server/http.hpp"
#include "server/views.hpp"

using nlohmann::json;

namespace facesearch::server {

namespace {

// What was asked, from a multipart form (an upload) or a JSON body (a face id).
struct SearchQuery {
  std::optional<std::string> image;  // the uploaded bytes
  std::optional<std::int64_t> face_id;
  std::string which_face = "best";
  std::optional<float> threshold;
  size_t top = 0;
};

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

json faces_json(const std::vector<Face>& faces) {
  json out = json::array();
  for (const auto& f : faces) out.push_back(face_json(f, false));
  return out;
}

}  // namespace

void Views::search(const httplib::Request& req, httplib::Response& res) {
  const SearchQuery q = parse_search_query(req);
  const auto t0 = std::chrono::steady_clock::now();
  json query;
  Embedding embedding;
  if (q.image) {
    const std::string& bytes = *q.image;
    if (bytes.size() > options_.max_upload_bytes)
      throw HttpError{413, "the photo is larger than " + std::to_string(options_.max_upload_bytes) + " bytes"};
    if (bytes.empty()) throw HttpError{400, "the uploaded photo is empty"};
    const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    const auto info = probe_image(span);
    if (!info) throw HttpError{415, "not a photo in a format this server reads (JPEG, PNG, WebP, HEIC, ...)"};
    const std::uint64_t pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);
    if (pixels > options_.engine.max_pixels)
      throw HttpError{413, "the photo has " + std::to_string(pixels) + " pixels; the limit is " +
                               std::to_string(options_.engine.max_pixels)};
    app::QueryPhoto photo;
    try {
      photo = session_.analyze_query(span, q.which_face);
    } catch (const std::invalid_argument&) {
      throw HttpError{400, "face must be 'best', 'largest' or a face number, not '" + q.which_face + "'"};
    }
    if (!photo.face() && !photo.found.faces.empty())
      throw HttpError{400, "the photo has " + std::to_string(photo.found.faces.size()) + " face(s); there is no face " +
                               q.which_face};
    const auto& found = photo.found;
    query = {{"width", found.width}, {"height", found.height}, {"format", std::string(format_name(found.format))},
             {"faces", faces_json(found.faces)}, {"face", photo.face() ? json(photo.chosen) : json(nullptr)}};
    if (photo.face()) embedding = photo.face()->embedding;
  } else {
    auto face = session_.face(*q.face_id, /*with_embedding=*/true);
    if (!face) throw HttpError{404, "no face " + std::to_string(*q.face_id) + " in the library"};
    query = {{"face_id", face->id},  {"image_id", face->image_id}, {"width", face->width},
             {"height", face->height}, {"faces", faces_json({face->face})}, {"face", 0}};
    embedding = std::move(face->face.embedding);
  }
  const auto t1 = std::chrono::steady_clock::now();

  app::SearchRequest request;
  request.threshold = q.threshold;
  request.top = q.top;
  json matches = json::array();
  if (!embedding.empty())
    for (const auto& m : session_.search({embedding}, request).matches) matches.push_back(match_json(m));
  const auto t2 = std::chrono::steady_clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  send_json(res, 200,
            {{"query", std::move(query)},
             {"threshold", rounded(session_.threshold(q.threshold), 1e-4)},
             {"top", q.top},
             {"matches", std::move(matches)},
             {"timing_ms", {{"analyze", ms(t1 - t0).count()}, {"search", ms(t2 - t1).count()}}}});
}

}  // namespace facesearch::server
