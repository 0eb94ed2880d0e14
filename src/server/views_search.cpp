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
    const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    check_query_photo(span, options_.max_upload_bytes, options_.engine.max_pixels);
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
