#include "server/views.hpp"

#include "app/records.hpp"
#include "app/version.hpp"
#include "server/http.hpp"
#include "server/video.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace facesearch::server {

namespace {

std::string cache_key(const char* kind, std::int64_t id, int size, const fs::path& path) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  const auto bytes = fs::file_size(path, ec);
  return std::string(kind) + ":" + std::to_string(id) + ":" + std::to_string(size) + ":" + std::to_string(mtime) +
         ":" + std::to_string(ec ? 0 : bytes);
}

HttpError no_face(std::int64_t id) { return {404, "no face " + std::to_string(id) + " in the library"}; }
HttpError no_image(const char* what, std::int64_t id) {
  return {404, std::string("no ") + what + " " + std::to_string(id) + " in the library"};
}

bool is_video(const LibraryImage& image) { return media_kind_of(image.format) == MediaKind::Video; }

// What the whole picture of a library file is: the photo, or the video's frame at `t_ms` (by default the best
// frame of its first appearance).
PictureSource picture_of(const httplib::Request& req, const LibraryImage& image) {
  PictureSource picture{image.path, MediaKind::Photo, 0, image.size, image.mtime_ns};
  if (!is_video(image)) return picture;
  picture.kind = MediaKind::Video;
  picture.time_ms = image.faces.empty() ? 0 : image.faces.front().face.time.best_ms;
  if (req.has_param("t_ms")) picture.time_ms = parse_integer("t_ms", req.get_param_value("t_ms"), 0, INT64_MAX);
  return picture;
}
HttpError no_person(std::int64_t id) { return {404, "no person " + std::to_string(id) + " in the library"}; }

}  // namespace

Views::Views(app::Session& session, const ServerOptions& options, IndexJob& index_job)
    : session_(session), options_(options), index_job_(index_job), cache_(options.cache_bytes) {
  limits_.max_pixels = options.engine.max_pixels;
}

void Views::status(httplib::Response& res) {
  json body = status_json(session_.status());
  body["server"] = {{"version", kVersion},
                    {"engine_pack", session_.pack().fingerprint()},
                    {"default_threshold", rounded(session_.threshold(), 1e-4)},
                    {"max_upload_bytes", options_.max_upload_bytes},
                    {"max_pixels", options_.engine.max_pixels},
                    {"token_required", !options_.token.empty()}};
  body["index"] = index_job_.state();
  send_json(res, 200, body);
}

void Views::face(std::int64_t id, httplib::Response& res) {
  auto face = session_.face(id);
  if (!face) throw no_face(id);
  send_json(res, 200, library_face_json(*face));
}

void Views::thumbnail(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const int size = int_query(req, "size", 160, 16, 512);
  const auto face = session_.face(id);
  if (!face) throw no_face(id);
  const auto image = session_.image(face->image_id);  // the file as indexed: size and mtime
  if (!image) throw no_face(id);
  // The key holds the file's identity too: a photo changed under the same path is never served from the cache.
  const std::string key = cache_key("face", id, size, face->path) + ":" + std::to_string(image->size) + ":" +
                          std::to_string(image->mtime_ns);
  auto bytes = cache_.get(key);
  if (!bytes) {
    // A video face is shown in its best frame.
    const PictureSource picture{face->path, face->kind, face->kind == MediaKind::Video ? face->face.time.best_ms : 0,
                                image->size, image->mtime_ns};
    bytes = std::make_shared<const std::vector<std::uint8_t>>(
        face_thumbnail_jpeg(picture, face->width, face->height, face->face.box, size, limits_));
    cache_.put(key, bytes);
  }
  send_jpeg(res, bytes);
}

void Views::image_faces(std::int64_t id, httplib::Response& res) {
  const auto image = session_.image(id);
  if (!image) throw no_image("image", id);
  send_json(res, 200, library_image_json(*image));
}

void Views::photo(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const int max_side = int_query(req, "max_side", 0, 0, 16384);
  const auto image = session_.image(id);
  // Unusable files stay in the catalog (with their reason) but there is nothing to show.
  if (!image || image->status != "ok") throw no_image("photo", id);
  const PictureSource picture = picture_of(req, *image);
  const std::string key = cache_key("photo", id, max_side, image->path) + ":" + std::to_string(picture.time_ms) + ":" +
                          std::to_string(image->size) + ":" + std::to_string(image->mtime_ns);
  auto bytes = cache_.get(key);
  if (!bytes) {
    bytes = std::make_shared<const std::vector<std::uint8_t>>(photo_jpeg(picture, max_side, limits_));
    cache_.put(key, bytes);
  }
  send_jpeg(res, bytes);
}

void Views::video(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  // Only files the library indexed as videos, only by id: never a path from the client.
  const auto image = session_.image(id);
  if (!image || image->status != "ok" || !is_video(*image)) throw no_image("video", id);
  send_video(req, image->path, options_.max_range_bytes, res);
}

void Views::start_index(const httplib::Request& req, httplib::Response& res) {
  IndexRequest request = parse_index_request(req);
  for (const auto& root : request.roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw HttpError{400, "not a folder on the server: " + root.string()};
  }
  const bool started = index_job_.start(std::move(request.roots), request.reembed);
  send_job_start(res, started, index_job_.state(), "an indexing job is already running");
}

void Views::index_state(httplib::Response& res) { send_json(res, 200, index_job_.state()); }

void Views::people(const httplib::Request& req, httplib::Response& res) {
  const bool hidden = req.has_param("hidden") && parse_integer("hidden", req.get_param_value("hidden"), 0, 1) == 1;
  json persons = json::array();
  for (const auto& p : session_.list_people(/*include_hidden=*/hidden)) persons.push_back(person_json(p));
  send_json(res, 200, {{"persons", std::move(persons)}});
}

void Views::person(std::int64_t id, httplib::Response& res) {
  app::PersonFaces found;
  try {
    found = session_.person_faces(std::to_string(id));
  } catch (const people::PeopleError&) {
    throw no_person(id);
  }
  json body = person_json(found.person);
  json matches = json::array();
  for (const auto& f : found.faces) matches.push_back(person_face_json(f, found.person.id));
  body["matches"] = std::move(matches);
  send_json(res, 200, body);
}

void Views::name_person(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const std::string name = parse_person_name(req);
  try {
    session_.person(std::to_string(id));
  } catch (const people::PeopleError&) {
    throw no_person(id);
  }
  try {
    const people::PersonId current = session_.name_person(std::to_string(id), name);
    send_json(res, 200, {{"id", current}, {"name", name}});
  } catch (const people::PeopleError& e) {
    throw HttpError{409, e.what()};  // the name belongs to another person
  }
}

}  // namespace facesearch::server
