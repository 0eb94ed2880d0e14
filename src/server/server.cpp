#include "server/server.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <thread>

#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/records.hpp"
#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "people/people.hpp"
#include "people/people_store.hpp"
#include "server/cache.hpp"
#include "server/index_job.hpp"
#include "server/pool.hpp"
#include "server/render.hpp"
#include "server/security.hpp"
#include "server/web_assets.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace facesearch::server {

namespace {

// An error a handler answers with: {"error": message, "status": status}.
struct HttpError {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

const char* status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "a bearer token is required";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 409: return "conflict";
    case 413: return "the request is too large";
    case 414: return "the URI is too long";
    case 415: return "unsupported media type";
    case 416: return "range not satisfiable";
    case 422: return "unprocessable";
    default: return status >= 500 ? "internal error" : "error";
  }
}

// Ids are decimal integers that fit an int64; anything else cannot name a face or image.
std::int64_t parse_id(const std::string& text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) throw HttpError{404, "no such id: " + text};
  return id;
}

long long parse_integer(const std::string& name, const std::string& text, long long lo, long long hi) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    throw HttpError{400, name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)};
  return v;
}

int int_query(const httplib::Request& req, const std::string& name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  return static_cast<int>(parse_integer(name, req.get_param_value(name), lo, hi));
}

float parse_threshold(const std::string& text) {
  try {
    size_t pos = 0;
    const float v = std::stof(text, &pos);
    if (pos == text.size() && v >= -1.f && v <= 1.f) return v;
  } catch (const std::logic_error&) {
  }
  throw HttpError{400, "threshold must be a number from -1 to 1"};
}

// Thresholds are floats: 0.34f would print as 0.3400000035762787.
double rounded(float v) { return std::round(static_cast<double>(v) * 1e4) / 1e4; }

bool is_json_request(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  return type.rfind("application/json", 0) == 0;
}

// The JSON body of a request that changes something, or a 415/400 saying what to send (`usage`). JSON only: a
// cross-site form cannot send it without a CORS preflight, which this server never grants.
json json_body(const httplib::Request& req, const std::string& usage) {
  if (!is_json_request(req)) throw HttpError{415, "send a JSON body: " + usage};
  try {
    return json::parse(req.body);
  } catch (const json::exception&) {
    throw HttpError{400, "the body is not valid JSON"};
  }
}

// What POST /api/search was asked, from a multipart form (an upload) or a JSON body (a face id).
struct SearchRequest {
  std::optional<std::string> image;  // the uploaded bytes
  std::optional<std::int64_t> face_id;
  std::string which_face = "best";
  std::optional<float> threshold;
  size_t top = 0;
};

SearchRequest parse_search_request(const httplib::Request& req) {
  SearchRequest q;
  auto read_top = [&](long long v) { q.top = static_cast<size_t>(v); };
  if (is_json_request(req)) {
    const json body = json_body(req, "{\"face_id\": N}");
    if (!body.is_object()) throw HttpError{400, "the body must be a JSON object"};
    try {
      if (body.contains("face_id")) q.face_id = body.at("face_id").get<std::int64_t>();
      if (body.contains("threshold")) {
        const double t = body.at("threshold").get<double>();
        if (t < -1 || t > 1) throw HttpError{400, "threshold must be a number from -1 to 1"};
        q.threshold = static_cast<float>(t);
      }
      if (body.contains("top")) {
        const auto t = body.at("top").get<long long>();
        if (t < 0 || t > 100000) throw HttpError{400, "top must be an integer from 0 to 100000"};
        read_top(t);
      }
    } catch (const json::exception&) {
      throw HttpError{400, "face_id and top must be integers, threshold a number"};
    }
    if (!q.face_id) throw HttpError{400, "a JSON search needs a face_id (upload photos as multipart/form-data)"};
    return q;
  }
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
  if (auto v = field("top")) read_top(parse_integer("top", *v, 0, 100000));
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

json image_faces_json(const LibraryImage& img) {
  json faces = json::array();
  for (const auto& f : img.faces) {
    json j = face_json(f.face, false);
    j["face_id"] = f.id;
    faces.push_back(std::move(j));
  }
  return {{"image_id", img.id}, {"path", img.path.string()}, {"width", img.width},
          {"height", img.height}, {"format", img.format}, {"status", img.status},
          {"faces", std::move(faces)}};
}

std::string cache_key(const char* kind, std::int64_t id, int size, const fs::path& path) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  const auto bytes = fs::file_size(path, ec);
  return std::string(kind) + ":" + std::to_string(id) + ":" + std::to_string(size) + ":" + std::to_string(mtime) +
         ":" + std::to_string(ec ? 0 : bytes);
}

void send_jpeg(httplib::Response& res, const PictureCache::Bytes& bytes) {
  res.status = 200;
  // Private: the page may be behind a token. Short: an id's photo can change when the file is indexed again.
  res.set_header("Cache-Control", "private, max-age=300");
  res.set_content(reinterpret_cast<const char*>(bytes->data()), bytes->size(), "image/jpeg");
}

// httplib listens with a backlog of 5 (fixed when Debian built it): eight clients connecting at once overflow it and
// the kernel drops SYNs, which clients retry only after a second. listen() again on the bound socket widens it.
class HttpServer : public httplib::Server {
 public:
  void widen_backlog(int backlog) { ::listen(svr_sock_, backlog); }
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        engines(static_cast<size_t>(std::max(1, options.engines)),
                [cfg = options.engine] { return std::make_unique<Engine>(cfg); }),
        libraries(static_cast<size_t>(std::max(1, options.threads)) + 1,
                  [spec = options.library, vectors = std::make_shared<VectorCache>()] {
                    return std::make_unique<Library>(spec, false, vectors);
                  }),
        index_job(options.library, options.engine, options.index_jobs),
        cache(options.cache_bytes) {
    limits.max_pixels = options.engine.max_pixels;
  }

  void routes();
  bool allowed(const httplib::Request& req, httplib::Response& res) const;
  bool token_ok(const httplib::Request& req) const;
  void require_token(const httplib::Request& req) const;
  void search(const httplib::Request& req, httplib::Response& res);
  void status(httplib::Response& res);
  void face_info(std::int64_t id, httplib::Response& res);
  void thumbnail(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  void image_info(std::int64_t id, httplib::Response& res);
  void photo(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  void start_index(const httplib::Request& req, httplib::Response& res);
  void list_people(httplib::Response& res);
  void person(std::int64_t id, httplib::Response& res);
  void name_person(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  // Runs `fn` with the library's people, opened on first use; one request at a time (edits are rare and short).
  template <class Fn>
  auto with_people(Fn fn);

  ServerOptions options;
  double default_threshold = 0.34;
  std::string pack_fingerprint;
  Pool<Engine> engines;
  Pool<Library> libraries;
  IndexJob index_job;
  PictureCache cache;
  RenderLimits limits;
  HttpServer http;
  std::atomic<bool> stopping{false}, in_run{false};

  struct PeopleState {
    std::unique_ptr<Library> library;
    std::unique_ptr<people::PeopleStore> store;
    std::unique_ptr<people::People> people;
  };
  std::mutex people_mutex;
  PeopleState people_state;
};

// Every handler answers errors the same way: JSON with a status code, never an HTML page or a dropped connection.
template <class Fn>
httplib::Server::Handler guarded(Fn fn) {
  return [fn](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const HttpError& e) {
      if (e.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"facesearch\"");
      send_error(res, e.status, e.message);
    } catch (const ImageError& e) {
      send_error(res, 422, std::string("not a usable photo: ") + e.what());
    } catch (const StalePhotoError& e) {
      send_error(res, 409, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  };
}

bool Server::Impl::allowed(const httplib::Request& req, httplib::Response& res) const {
  if (options.token.empty()) {
    // No token means loopback only: refuse pages of other sites that reach us through DNS rebinding.
    if (req.has_header("Host") && !is_loopback_host(host_header_name(req.get_header_value("Host")))) {
      send_error(res, 403, "this server answers only to localhost addresses (start it with --token-file to expose it)");
      return false;
    }
    return true;
  }
  // Requests with a body are checked by their handler once httplib has read the body (within the upload limit):
  // answering before would leave the body unread, and the client would see a reset connection, not the 401.
  if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) return true;
  try {
    require_token(req);
  } catch (const HttpError& e) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"facesearch\"");
    send_error(res, e.status, e.message);
    return false;
  }
  return true;
}

bool Server::Impl::token_ok(const httplib::Request& req) const {
  // The page and its scripts hold no data: only the API needs the token.
  if (options.token.empty() || (req.path.rfind("/api/", 0) != 0 && req.path != "/api")) return true;
  return bearer_matches(req.get_header_value("Authorization"), options.token);
}

void Server::Impl::require_token(const httplib::Request& req) const {
  if (!token_ok(req))
    throw HttpError{401, req.has_header("Authorization") ? "wrong token" : "a bearer token is required"};
}

void Server::Impl::status(httplib::Response& res) {
  LibraryStatus s;
  {
    auto library = libraries.acquire();
    s = library->status();
  }
  send_json(res, 200,
            {{"library", s.dir.string()},
             {"pack", s.pack},
             {"images", s.images},
             {"faces", s.faces},
             {"zero_face_images", s.zero_face_images},
             {"skipped_files", s.failed_images},
             {"bytes_on_disk", s.bytes_on_disk},
             {"vector_backend", s.vector_backend},
             {"server",
              {{"version", "0.1.0"},
               {"engine_pack", pack_fingerprint},
               {"default_threshold", default_threshold},
               {"max_upload_bytes", options.max_upload_bytes},
               {"max_pixels", options.engine.max_pixels},
               {"token_required", !options.token.empty()}}},
             {"index", index_job.state()}});
}

void Server::Impl::search(const httplib::Request& req, httplib::Response& res) {
  const SearchRequest q = parse_search_request(req);
  SearchOptions search_options;
  search_options.threshold = q.threshold.value_or(static_cast<float>(default_threshold));
  search_options.top = q.top;

  const auto t0 = std::chrono::steady_clock::now();
  json query;
  Embedding embedding;
  if (q.image) {
    const std::string& bytes = *q.image;
    if (bytes.size() > options.max_upload_bytes)
      throw HttpError{413, "the photo is larger than " + std::to_string(options.max_upload_bytes) + " bytes"};
    if (bytes.empty()) throw HttpError{400, "the uploaded photo is empty"};
    const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    const auto info = probe_image(span);
    if (!info) throw HttpError{415, "not a photo in a format this server reads (JPEG, PNG, WebP, HEIC, ...)"};
    const std::uint64_t pixels = static_cast<std::uint64_t>(info->width) * static_cast<std::uint64_t>(info->height);
    if (pixels > options.engine.max_pixels)
      throw HttpError{413, "the photo has " + std::to_string(pixels) + " pixels; the limit is " +
                               std::to_string(options.engine.max_pixels)};
    // Decoded as `facesearch search` decodes a query file, so both find the same faces.
    DecodeOptions decode;
    decode.max_pixels = options.engine.max_pixels;
    decode.min_long_side = options.engine.detect_max_side;
    const DecodedImage image = decode_image(span, decode);
    ImageFaces found;
    {
      auto engine = engines.acquire();
      found = engine->analyze(image, true);
    }
    int chosen = -1;
    try {
      chosen = choose_face(found, q.which_face);
    } catch (const std::invalid_argument&) {
      throw HttpError{400, "face must be 'best', 'largest' or a face number, not '" + q.which_face + "'"};
    }
    if (chosen < 0 && !found.faces.empty())
      throw HttpError{400, "the photo has " + std::to_string(found.faces.size()) + " face(s); there is no face " +
                               q.which_face};
    query = {{"width", found.width}, {"height", found.height}, {"format", std::string(format_name(found.format))},
             {"faces", faces_json(found.faces)}, {"face", chosen >= 0 ? json(chosen) : json(nullptr)}};
    if (chosen >= 0) embedding = found.faces[static_cast<size_t>(chosen)].embedding;
  } else {
    auto library = libraries.acquire();
    auto face = library->face(*q.face_id, /*with_embedding=*/true);
    if (!face) throw HttpError{404, "no face " + std::to_string(*q.face_id) + " in the library"};
    query = {{"face_id", face->id},  {"image_id", face->image_id}, {"width", face->width},
             {"height", face->height}, {"faces", faces_json({face->face})}, {"face", 0}};
    embedding = std::move(face->face.embedding);
  }
  const auto t1 = std::chrono::steady_clock::now();

  json matches = json::array();
  if (!embedding.empty()) {
    auto library = libraries.acquire();
    for (const auto& m : library->search(embedding, search_options)) matches.push_back(match_json(m));
  }
  const auto t2 = std::chrono::steady_clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  send_json(res, 200,
            {{"query", std::move(query)},
             {"threshold", rounded(search_options.threshold)},
             {"top", search_options.top},
             {"matches", std::move(matches)},
             {"timing_ms", {{"analyze", ms(t1 - t0).count()}, {"search", ms(t2 - t1).count()}}}});
}

void Server::Impl::face_info(std::int64_t id, httplib::Response& res) {
  auto library = libraries.acquire();
  auto face = library->face(id);
  if (!face) throw HttpError{404, "no face " + std::to_string(id) + " in the library"};
  json j = face_json(face->face, false);
  j["face_id"] = face->id;
  j["image_id"] = face->image_id;
  j["path"] = face->path.string();
  j["width"] = face->width;
  j["height"] = face->height;
  send_json(res, 200, j);
}

void Server::Impl::thumbnail(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const int size = int_query(req, "size", 160, 16, 512);
  std::optional<LibraryFace> face;
  {
    auto library = libraries.acquire();
    face = library->face(id);
  }
  if (!face) throw HttpError{404, "no face " + std::to_string(id) + " in the library"};
  const std::string key = cache_key("face", id, size, face->path);
  auto bytes = cache.get(key);
  if (!bytes) {
    bytes = std::make_shared<const std::vector<std::uint8_t>>(
        face_thumbnail_jpeg(face->path, face->width, face->height, face->face.box, size, limits));
    cache.put(key, bytes);
  }
  send_jpeg(res, bytes);
}

void Server::Impl::image_info(std::int64_t id, httplib::Response& res) {
  std::optional<LibraryImage> image;
  {
    auto library = libraries.acquire();
    image = library->image(id);
  }
  if (!image) throw HttpError{404, "no image " + std::to_string(id) + " in the library"};
  send_json(res, 200, image_faces_json(*image));
}

void Server::Impl::photo(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const int max_side = int_query(req, "max_side", 0, 0, 16384);
  std::optional<LibraryImage> image;
  {
    auto library = libraries.acquire();
    image = library->image(id);
  }
  // Unusable files stay in the catalog (with their reason) but there is nothing to show.
  if (!image || image->status != "ok") throw HttpError{404, "no photo " + std::to_string(id) + " in the library"};
  const std::string key = cache_key("photo", id, max_side, image->path);
  auto bytes = cache.get(key);
  if (!bytes) {
    bytes = std::make_shared<const std::vector<std::uint8_t>>(photo_jpeg(image->path, max_side, limits));
    cache.put(key, bytes);
  }
  send_jpeg(res, bytes);
}

template <class Fn>
auto Server::Impl::with_people(Fn fn) {
  std::scoped_lock lock(people_mutex);
  auto& st = people_state;
  if (!st.people) {
    st.library = std::make_unique<Library>(options.library, /*create=*/false);
    st.store = people::open_people_store(options.library, *st.library);
    auto params = people::ClusterParams::from_pack(find_builtin_pack(options.engine.pack_id));
    st.people = std::make_unique<people::People>(*st.library, *st.store, params);
  }
  return fn(*st.people);
}

static json person_json(const people::PersonSummary& p) {
  return {{"id", p.id},
          {"name", p.name.empty() ? json(nullptr) : json(p.name)},
          {"faces", p.face_count},
          {"cover_face_id", p.cover ? json(p.cover->id) : json(nullptr)}};
}

void Server::Impl::list_people(httplib::Response& res) {
  json persons = json::array();
  with_people([&](people::People& people) {
    for (const auto& p : people.list()) persons.push_back(person_json(p));
  });
  send_json(res, 200, {{"persons", std::move(persons)}});
}

void Server::Impl::person(std::int64_t id, httplib::Response& res) {
  json body = with_people([&](people::People& people) {
    std::vector<people::PersonFace> faces;
    people::PersonSummary summary;
    try {
      const people::PersonId current = people.resolve(std::to_string(id));
      summary = people.summary(current);
      faces = people.faces_of(current);
    } catch (const people::PeopleError&) {
      throw HttpError{404, "no person " + std::to_string(id) + " in the library"};
    }
    json out = person_json(summary);
    json records = json::array();
    for (const auto& f : faces) {
      // The records of a search, similarity being to the person's mean face.
      Match m;
      m.path = f.face.path;
      m.width = f.face.width;
      m.height = f.face.height;
      m.face = f.face.face;
      m.similarity = f.similarity;
      m.face_id = f.face.id;
      m.image_id = f.face.image_id;
      json r = match_json(m);
      r["assigned_by"] = f.by_user ? "user" : "auto";
      records.push_back(std::move(r));
    }
    out["matches"] = std::move(records);
    return out;
  });
  send_json(res, 200, body);
}

void Server::Impl::name_person(const httplib::Request& req, std::int64_t id, httplib::Response& res) {
  const json body = json_body(req, "{\"name\": \"...\"}");
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
    throw HttpError{400, "name must be a string"};
  std::string name = body["name"].get<std::string>();
  if (name.empty() || name.size() > 200) throw HttpError{400, "a name has 1 to 200 bytes"};
  json out = with_people([&](people::People& people) {
    people::PersonId current = 0;
    try {
      current = people.resolve(std::to_string(id));
    } catch (const people::PeopleError&) {
      throw HttpError{404, "no person " + std::to_string(id) + " in the library"};
    }
    try {
      people.name(current, name);
    } catch (const people::PeopleError& e) {
      throw HttpError{409, e.what()};  // the name belongs to another person
    }
    return json{{"id", current}, {"name", name}};
  });
  send_json(res, 200, out);
}

void Server::Impl::start_index(const httplib::Request& req, httplib::Response& res) {
  const json body = json_body(req, "{\"roots\": [\"/absolute/folder\", ...]}");
  if (!body.is_object() || !body.contains("roots") || !body["roots"].is_array() || body["roots"].empty() ||
      body["roots"].size() > 64)
    throw HttpError{400, "roots must be a list of 1 to 64 absolute folder paths on the server"};
  std::vector<fs::path> roots;
  for (const auto& r : body["roots"]) {
    if (!r.is_string() || r.get<std::string>().empty()) throw HttpError{400, "each root must be a path string"};
    const fs::path p = r.get<std::string>();
    if (!p.is_absolute()) throw HttpError{400, "roots must be absolute paths: " + p.string()};
    std::error_code ec;
    if (!fs::is_directory(p, ec)) throw HttpError{400, "not a folder on the server: " + p.string()};
    roots.push_back(p.lexically_normal());  // as `facesearch index` would get it
  }
  bool reembed = false;
  if (body.contains("reembed")) {
    if (!body["reembed"].is_boolean()) throw HttpError{400, "reembed must be true or false"};
    reembed = body["reembed"].get<bool>();
  }
  if (!index_job.start(std::move(roots), reembed)) {
    json j = index_job.state();
    j["error"] = "an indexing job is already running";
    j["status"] = 409;
    send_json(res, 409, j);
    return;
  }
  send_json(res, 202, index_job.state());
}

void Server::Impl::routes() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return allowed(req, res) ? httplib::Server::HandlerResponse::Unhandled : httplib::Server::HandlerResponse::Handled;
  });

  // The page: files compiled in, looked up by exact name; nothing is ever read from a path the client gives.
  auto asset = [](const std::string& name, httplib::Response& res) {
    for (const auto& a : web_assets())
      if (a.name == name) {
        res.set_header("Cache-Control", "no-cache");
        res.set_content(a.data.data(), a.data.size(), std::string(a.mime).c_str());
        return;
      }
    throw HttpError{404, "not found"};
  };
  http.Get("/", guarded([asset](const httplib::Request&, httplib::Response& res) { asset("index.html", res); }));
  http.Get(R"(/([A-Za-z0-9_-]+\.[a-z]+))",
           guarded([asset](const httplib::Request& req, httplib::Response& res) { asset(req.matches[1], res); }));

  // Every API handler checks the token itself (the pre-routing check skips requests with a body).
  auto api = [this](auto fn) {
    return guarded([this, fn](const httplib::Request& req, httplib::Response& res) {
      require_token(req);
      fn(req, res);
    });
  };
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  http.Get("/api/status", api([this](Req, Res res) { status(res); }));
  http.Post("/api/search", api([this](Req req, Res res) { search(req, res); }));
  http.Get(R"(/api/faces/(\d+))", api([this](Req req, Res res) { face_info(parse_id(req.matches[1]), res); }));
  http.Get(R"(/api/faces/(\d+)/thumbnail)",
           api([this](Req req, Res res) { thumbnail(req, parse_id(req.matches[1]), res); }));
  http.Get(R"(/api/images/(\d+))", api([this](Req req, Res res) { photo(req, parse_id(req.matches[1]), res); }));
  http.Get(R"(/api/images/(\d+)/faces)", api([this](Req req, Res res) { image_info(parse_id(req.matches[1]), res); }));
  http.Get("/api/index", api([this](Req, Res res) { send_json(res, 200, index_job.state()); }));
  http.Get("/api/people", api([this](Req, Res res) { list_people(res); }));
  http.Get(R"(/api/people/(\d+))", api([this](Req req, Res res) { person(parse_id(req.matches[1]), res); }));
  http.Post(R"(/api/people/(\d+)/name)",
            api([this](Req req, Res res) { name_person(req, parse_id(req.matches[1]), res); }));
  http.Post("/api/index", api([this](Req req, Res res) { start_index(req, res); }));

  // Unknown routes, oversize bodies (413, set by httplib before any handler runs) and the like: a JSON body too.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler already explained
    send_error(res, res.status, status_text(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
  if (options.log_requests)
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& o = impl_->options;
  check_exposure(o.host, o.token);
  if (o.max_upload_bytes == 0) throw std::invalid_argument("the upload limit must be positive");
  {
    Library library(o.library, /*create=*/true);  // an empty library can be filled through POST /api/index
    auto engine = std::make_unique<Engine>(o.engine);
    library.check_pack(engine->pack());
    impl_->default_threshold = engine->pack().default_threshold();
    impl_->pack_fingerprint = engine->pack().fingerprint();
    impl_->engines.add(std::move(engine));
  }
  auto& http = impl_->http;
  const size_t threads = static_cast<size_t>(std::max(1, o.threads));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Multipart framing around an upload of exactly the limit must still fit.
  http.set_payload_max_length(o.max_upload_bytes + 64 * 1024);
  // Headers and body go out in separate writes: without this, Nagle's algorithm meets the client's delayed ACK and
  // small answers wait ~40 ms.
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(1000);
  http.set_read_timeout(30);
  http.set_write_timeout(30);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Content-Security-Policy",
                             "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
                             "form-action 'none'; frame-ancestors 'none'"}});
  impl_->routes();
}

Server::~Server() { stop(); }

int Server::bind() {
  auto& o = impl_->options;
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) port = 0;
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    port = 0;
  }
  if (port <= 0)
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             " (in use, or not an address of this machine)");
  impl_->http.widen_backlog(128);
  return port;
}

void Server::run() {
  impl_->in_run = true;
  if (!impl_->stopping) impl_->http.listen_after_bind();
  impl_->in_run = false;
}

void Server::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  // httplib ignores stop() until its loop runs: wait for it when run() has begun (a signal right at start-up).
  while (impl_->in_run && !impl_->http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
}

bool Server::indexing() const { return impl_->index_job.running(); }

}  // namespace facesearch::server
