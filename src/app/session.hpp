// The application layer: what facesearch does, once, for every shell (the CLI in src/cli, the server in
// src/server). A Session resolves the user's choices once (model pack, similarity threshold default, cluster
// parameters, library location), owns the engines that analyse query photos, the library connections and the
// people store, and offers the use cases. Shells parse arguments, call these and print records (app/records.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/pool.hpp"
#include "engine/batch.hpp"
#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "people/people.hpp"

namespace facesearch::app {

// What the user chose; everything else is derived from it by the Session.
struct SessionOptions {
  EngineConfig engine;            // pack id, models root, detection options, pixel limit
  std::string library;            // directory or postgresql:// URL; empty: the default library
  bool create_library = false;    // make the library when missing (index, serve)
  int jobs = 2;                   // worker threads of batch work: scan, faces, index, cluster
  size_t engines = 1;             // query photos analysed at once (each Engine holds its own networks)
  size_t connections = 1;         // library connections in use at once (a server: one per HTTP thread, + 1)
};

// The one place "the threshold given, else the pack's" is decided.
float resolve_threshold(std::optional<float> given, const ModelPack& pack);
// The library given (--library), else $FACESEARCH_LIBRARY or the default directory.
std::string resolve_library(const std::string& given);

// A query photo analysed: every face found and the one that stands for the person (-1: no such face).
struct QueryPhoto {
  ImageFaces found;
  int chosen = -1;
  const Face* face() const { return chosen >= 0 ? &found.faces[static_cast<size_t>(chosen)] : nullptr; }
};

struct SearchRequest {
  std::optional<float> threshold;  // empty: the pack's
  size_t top = 0;                  // 0: all over the threshold
  VectorBackend backend = VectorBackend::Auto;
  std::string person;              // id or name: only that person's faces among the matches
};

struct SearchResult {
  std::vector<Match> matches;  // best first
  float threshold = 0;         // the one used
  double milliseconds = 0;     // library search (and person filter)
};

struct PersonMatches {
  people::PersonId person = 0;
  std::vector<Match> matches;  // most typical first; similarity to the person's mean face
};

// One person and its faces, most typical first (similarity to the person's mean face).
struct PersonFaces {
  people::PersonSummary person;
  std::vector<people::PersonFace> faces;
};

// Thread-safe: the server calls it from every HTTP thread (engines and connections are pooled, people edits
// serialised). Library and models are opened on first need, so commands that need neither stay fast.
class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const SessionOptions& options() const { return options_; }
  const ModelPack& pack() const { return pack_; }
  const std::string& library_spec() const { return library_spec_; }
  float threshold(std::optional<float> given = std::nullopt) const { return resolve_threshold(given, pack_); }
  // The pack's calibrated thresholds, `jobs` threads; `min_faces` overrides the smallest new person.
  people::ClusterParams cluster_params(std::optional<size_t> min_faces = std::nullopt) const;

  // Loads one engine and checks the library's pack now, so a server fails at start-up, not at the first request.
  void check_ready();

  // Query photos, decoded as library files are, so the CLI and the server find the same faces. `which`: "best",
  // "largest" or a face number (std::invalid_argument otherwise). Throws ImageError for unusable photos.
  QueryPhoto analyze_query(const std::filesystem::path& photo, const std::string& which);
  QueryPhoto analyze_query(std::span<const std::uint8_t> encoded, const std::string& which);
  // Pixels already in memory (the Python package's numpy arrays): analysed as given, never shrunk.
  QueryPhoto analyze_query(const DecodedImage& image, const std::string& which);

  // Search without an index: every face under `roots` compared with the query.
  ScanResult scan(const Embedding& query, const std::vector<std::filesystem::path>& roots, bool recursive,
                  const SearchRequest& request, const BatchCallbacks& callbacks = {});
  // Every face of these files.
  BatchStats faces(const std::vector<std::filesystem::path>& files, bool embeddings, const BatchCallbacks& callbacks);

  // The library.
  IndexReport index(const std::vector<std::filesystem::path>& roots, bool reembed, const BatchCallbacks& callbacks = {});
  // Several query embeddings of one person make one better query.
  SearchResult search(const std::vector<Embedding>& queries, const SearchRequest& request);
  // The faces of a person (search --person without a photo), at most `top` (0: all).
  PersonMatches person_matches(const std::string& person, size_t top);
  LibraryStatus status();
  size_t forget(const std::vector<std::filesystem::path>& paths);
  std::optional<LibraryFace> face(std::int64_t id, bool with_embedding = false);
  std::optional<LibraryImage> image(std::int64_t id);
  // Every image of the library (with its faces, without embeddings), in path order; stops when `visit` says false.
  void for_each_image(const std::function<bool(const LibraryImage&)>& visit);

  // People (docs/PEOPLE.md). Persons are given as an id or a name; unknown ones throw people::PeopleError.
  people::ClusterReport cluster_people(bool reset, std::optional<size_t> min_faces = std::nullopt);
  // Hidden persons (`people hide`) only with `include_hidden`; the shells leave them out unless asked.
  std::vector<people::PersonSummary> list_people(bool include_hidden = true);
  people::PersonSummary person(const std::string& spec);
  PersonFaces person_faces(const std::string& spec);
  people::PersonId name_person(const std::string& spec, const std::string& name);
  // Returns (from, into).
  std::pair<people::PersonId, people::PersonId> merge_people(const std::string& from, const std::string& into);
  // `to` is a person or "new"; returns the person the face is in now.
  people::PersonId move_face(FaceId face, const std::string& to);
  people::PersonId split_person(const std::string& spec, const std::vector<FaceId>& faces);
  people::PersonId reject_face(FaceId face, const std::string& spec);
  // Hides the person from lists (or shows it again); returns its id.
  people::PersonId hide_person(const std::string& spec, bool hidden);
  // Review (issue 14): low-quality faces, suggestions, and their answers. `person` empty: every person.
  std::vector<people::UnsureFace> unsure_faces();
  people::Suggestions suggestions(const std::string& person, size_t top);
  // A face suggestion confirmed is a move into the person; rejected, a reject(face, person).
  people::PersonId confirm_face_suggestion(FaceId face, const std::string& person);
  people::PersonId reject_face_suggestion(FaceId face, const std::string& person);
  // A merge suggestion confirmed merges `a` into `b` (returns (a, b)); rejected, records "not the same person".
  std::pair<people::PersonId, people::PersonId> confirm_merge_suggestion(const std::string& a, const std::string& b);
  std::pair<people::PersonId, people::PersonId> reject_merge_suggestion(const std::string& a, const std::string& b);

 private:
  using LibraryLease = Pool<Library>::Lease;
  LibraryLease library();
  std::unique_ptr<Library> open_library() const;
  // A library of another pack would give meaningless similarities: checked before the first search.
  void check_pack_once(Library& library);
  QueryPhoto choose(ImageFaces found, const std::string& which);
  template <class Fn>
  auto with_people(Fn fn);

  const SessionOptions options_;
  const std::string library_spec_;
  const ModelPack pack_;
  std::shared_ptr<VectorCache> vectors_;
  Pool<Engine> engines_;
  Pool<Library> libraries_;
  std::atomic<bool> pack_checked_{false};

  // People edits are rare and short: one at a time, on a connection of their own.
  std::mutex people_mutex_;
  // Clustering can take long: one run at a time, on its own connection, without holding up reads and edits
  // (an edit that lands meanwhile makes the run start over, see People::cluster).
  std::mutex cluster_mutex_;
  std::unique_ptr<Library> people_library_;
  std::unique_ptr<people::PeopleStore> people_store_;
  std::unique_ptr<people::People> people_;
};

}  // namespace facesearch::app
