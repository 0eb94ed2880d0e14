#include "app/session.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unordered_set>

#include "app/records.hpp"

namespace fs = std::filesystem;

namespace facesearch::app {

float resolve_threshold(std::optional<float> given, const ModelPack& pack) {
  return given ? *given : static_cast<float>(pack.default_threshold());
}

std::string resolve_library(const std::string& given) {
  return given.empty() ? Library::default_dir().string() : given;
}

namespace {

// The session's engine configuration with its pack resolved: every engine, index run and eval reuses it.
SessionOptions with_resolved_pack(SessionOptions options) {
  options.engine.pack = std::make_shared<const ModelPack>(resolve_pack(options.engine));
  return options;
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Session::Session(SessionOptions options)
    : options_(with_resolved_pack(std::move(options))),
      library_spec_(resolve_library(options_.library)),
      pack_(*options_.engine.pack),
      vectors_(std::make_shared<VectorCache>()),
      engines_(std::max<size_t>(1, options_.engines), [config = options_.engine] { return std::make_unique<Engine>(config); }),
      libraries_(std::max<size_t>(1, options_.connections), [this] { return open_library(); }) {}

// The one way the session opens its library: every connection shares the loaded vectors.
std::unique_ptr<Library> Session::open_library() const {
  return std::make_unique<Library>(library_spec_, options_.create_library, vectors_);
}

void Session::check_pack_once(Library& library) {
  if (pack_checked_) return;
  library.check_pack(pack_);
  pack_checked_ = true;
}

Session::~Session() = default;

people::ClusterParams Session::cluster_params(std::optional<size_t> min_faces) const {
  auto params = people::ClusterParams::from_pack(pack_);
  params.threads = static_cast<unsigned>(std::max(1, options_.jobs));
  if (min_faces) params.min_faces = *min_faces;
  return params;
}

Session::LibraryLease Session::library() { return libraries_.acquire(); }

void Session::check_ready() {
  engines_.acquire();  // loads the networks now; the engine goes back to the pool
  check_pack_once(*library());
}

QueryPhoto Session::choose(ImageFaces found, const std::string& which) {
  QueryPhoto q;
  q.chosen = choose_face(found, which);
  q.found = std::move(found);
  return q;
}

QueryPhoto Session::analyze_query(const fs::path& photo, const std::string& which) {
  ImageFaces found;
  {
    auto engine = engines_.acquire();
    found = engine->analyze_file(photo);
  }
  return choose(std::move(found), which);
}

QueryPhoto Session::analyze_query(std::span<const std::uint8_t> encoded, const std::string& which) {
  DecodeOptions decode;  // as Engine::analyze_file decodes a file
  decode.max_pixels = options_.engine.max_pixels;
  decode.min_long_side = options_.engine.detect_max_side;
  return analyze_query(decode_image(encoded, decode), which);
}

QueryPhoto Session::analyze_query(const DecodedImage& image, const std::string& which) {
  ImageFaces found;
  {
    auto engine = engines_.acquire();
    found = engine->analyze(image, true);
  }
  return choose(std::move(found), which);
}

ScanResult Session::scan(const Embedding& query, const std::vector<fs::path>& roots, bool recursive,
                         const SearchRequest& request, const BatchCallbacks& callbacks) {
  const std::vector<fs::path> files = collect_files(roots, recursive);
  ScanOptions options;
  options.threshold = threshold(request.threshold);
  options.top = request.top;
  options.jobs = options_.jobs;
  return scan_files(options_.engine, query, files, options, callbacks);
}

BatchStats Session::faces(const std::vector<fs::path>& files, bool embeddings, const BatchCallbacks& callbacks) {
  return analyze_files(options_.engine, files, options_.jobs, embeddings, callbacks);
}

IndexReport Session::index(const std::vector<fs::path>& roots, bool reembed, const BatchCallbacks& callbacks) {
  IndexOptions options;
  options.jobs = options_.jobs;
  options.reembed = reembed;
  return library()->index(roots, options_.engine, options, callbacks);
}

SearchResult Session::search(const std::vector<Embedding>& queries, const SearchRequest& request) {
  if (queries.empty()) throw std::invalid_argument("a search needs at least one query face");
  SearchResult result;
  SearchOptions options;
  options.threshold = result.threshold = threshold(request.threshold);
  options.top = request.top;
  options.backend = request.backend;
  const auto start = std::chrono::steady_clock::now();
  {
    auto library = this->library();
    check_pack_once(*library);
    result.matches = library->search(queries.size() == 1 ? queries.front() : combine_queries(queries), options);
  }
  if (!request.person.empty()) {
    std::unordered_set<FaceId> theirs;
    for (const auto& f : person_faces(request.person).faces) theirs.insert(f.face.id);
    std::erase_if(result.matches, [&](const Match& m) { return !theirs.count(m.face_id); });
  }
  result.milliseconds = since(start);
  return result;
}

PersonMatches Session::person_matches(const std::string& person, size_t top) {
  PersonFaces found = person_faces(person);
  if (top && found.faces.size() > top) found.faces.resize(top);
  PersonMatches out{found.person.id, {}};
  for (const auto& f : found.faces) out.matches.push_back(to_match(f.face, f.similarity));
  return out;
}

LibraryStatus Session::status() { return library()->status(); }

size_t Session::forget(const std::vector<fs::path>& paths) { return library()->forget(paths); }

std::optional<LibraryFace> Session::face(std::int64_t id, bool with_embedding) {
  return library()->face(id, with_embedding);
}

std::optional<LibraryImage> Session::image(std::int64_t id) { return library()->image(id); }

void Session::for_each_image(const std::function<bool(const LibraryImage&)>& visit) {
  library()->for_each_image(visit);
}

// ---- people ----------------------------------------------------------------------------------------------------

template <class Fn>
auto Session::with_people(Fn fn) {
  std::scoped_lock lock(people_mutex_);
  if (!people_) {
    people_library_ = open_library();
    people_store_ = people_library_->open_people_store();
    people_ = std::make_unique<people::People>(*people_library_, *people_store_, cluster_params());
  }
  return fn(*people_);
}

people::ClusterReport Session::cluster_people(bool reset, std::optional<size_t> min_faces) {
  std::scoped_lock lock(cluster_mutex_);
  const auto library = open_library();
  library->check_pack(pack_);
  auto store = library->open_people_store();
  return people::People(*library, *store, cluster_params(min_faces)).cluster(reset);
}

std::vector<people::PersonSummary> Session::list_people(bool include_hidden) {
  return with_people([include_hidden](people::People& p) { return p.list(include_hidden); });
}

people::PersonSummary Session::person(const std::string& spec) {
  return with_people([&](people::People& p) { return p.summary(p.resolve(spec)); });
}

PersonFaces Session::person_faces(const std::string& spec) {
  return with_people([&](people::People& p) {
    const people::PersonId id = p.resolve(spec);
    return PersonFaces{p.summary(id), p.faces_of(id)};
  });
}

people::PersonId Session::name_person(const std::string& spec, const std::string& name) {
  return with_people([&](people::People& p) {
    const people::PersonId id = p.resolve(spec);
    p.name(id, name);
    return id;
  });
}

std::pair<people::PersonId, people::PersonId> Session::merge_people(const std::string& from, const std::string& into) {
  return with_people([&](people::People& p) {
    const people::PersonId a = p.resolve(from), b = p.resolve(into);
    p.merge(a, b);
    return std::pair{a, b};
  });
}

people::PersonId Session::move_face(FaceId face, const std::string& to) {
  return with_people([&](people::People& p) {
    const people::PersonSpec target = people::parse_person_spec(to, /*allow_new=*/true);
    return p.move(face, target.is_new ? 0 : p.resolve(to));
  });
}

people::PersonId Session::split_person(const std::string& spec, const std::vector<FaceId>& faces) {
  return with_people([&](people::People& p) { return p.split(p.resolve(spec), faces); });
}

people::PersonId Session::reject_face(FaceId face, const std::string& spec) {
  return with_people([&](people::People& p) {
    const people::PersonId id = p.resolve(spec);
    p.reject(face, id);
    return id;
  });
}

people::PersonId Session::hide_person(const std::string& spec, bool hidden) {
  return with_people([&](people::People& p) {
    const people::PersonId id = p.resolve(spec);
    p.set_hidden(id, hidden);
    return id;
  });
}

std::vector<people::UnsureFace> Session::unsure_faces() {
  return with_people([](people::People& p) { return p.unsure(); });
}

people::Suggestions Session::suggestions(const std::string& person, size_t top) {
  return with_people([&](people::People& p) { return p.suggest(person.empty() ? 0 : p.resolve(person), top); });
}

people::PersonId Session::confirm_face_suggestion(FaceId face, const std::string& person) {
  return with_people([&](people::People& p) { return p.move(face, p.resolve(person)); });
}

people::PersonId Session::reject_face_suggestion(FaceId face, const std::string& person) {
  return reject_face(face, person);
}

std::pair<people::PersonId, people::PersonId> Session::confirm_merge_suggestion(const std::string& a,
                                                                                const std::string& b) {
  return merge_people(a, b);
}

std::pair<people::PersonId, people::PersonId> Session::reject_merge_suggestion(const std::string& a,
                                                                               const std::string& b) {
  return with_people([&](people::People& p) {
    const people::PersonId x = p.resolve(a), y = p.resolve(b);
    p.not_same(x, y);
    return std::pair{x, y};
  });
}

}  // namespace facesearch::app
