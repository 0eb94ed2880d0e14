// Where a face library keeps its catalog (images and faces): one interface, one implementation per storage backend
// (src/library/<backend>/, opened through backend.hpp). Library (library.hpp) holds the index diffing on top of it;
// nearest-face search is the searcher's job (searcher.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/batch.hpp"
#include "library/library.hpp"

namespace facesearch {

// An image row as the diffing needs it.
struct StoredImage {
  std::int64_t id = 0;
  std::int64_t size = 0, mtime = 0;
  std::string hash, status;
};

// One analysed (or unusable) file, written with all its faces; replaces any row with the same path.
struct ImageRecord {
  std::filesystem::path path;
  std::int64_t size = 0, mtime = 0;
  std::string hash;
  std::optional<ImageFaces> faces;  // empty: unusable file
  std::string error;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The directory or the URL (without a password) the user would recognise.
  virtual std::string location() const = 0;

  // The model pack fingerprint the library was built with; empty while it has none.
  virtual std::string pack() = 0;
  virtual int dim() = 0;
  // Records this pack if the library has none yet (safe against other processes doing the same); returns the
  // pack the library holds afterwards.
  virtual std::string claim_pack(const std::string& fingerprint, int dim) = 0;
  // Forgets every image, face and the pack (index --reembed).
  virtual void clear() = 0;

  // Every image at `root` or under it, by path.
  virtual std::unordered_map<std::string, StoredImage> images_under(const std::filesystem::path& root) = 0;

  // The reconciliation step of `index` runs between begin() and commit(); a destroyed or failed one rolls back.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual void move_image(std::int64_t id, const std::filesystem::path& path, std::int64_t size, std::int64_t mtime) = 0;
  virtual std::optional<std::int64_t> find_ok_image_by_hash(const std::string& hash) = 0;
  // A new image row with the faces of `source` (same content under another path).
  virtual void copy_image(std::int64_t source, const std::filesystem::path& path, std::int64_t size,
                          std::int64_t mtime) = 0;
  virtual void delete_image(std::int64_t id) = 0;

  // One transaction for the whole batch: a crash keeps all of it or none of it.
  virtual void write_images(const std::vector<ImageRecord>& batch) = 0;
  // Called when `index` is done (e.g. to refresh a vector index or planner statistics).
  virtual void after_index() {}

  virtual size_t face_count() = 0;
  // Everything but vector_backend (the searcher's).
  virtual LibraryStatus status() = 0;
  virtual std::optional<LibraryFace> face(std::int64_t id, bool with_embedding) = 0;
  virtual std::optional<LibraryImage> image(std::int64_t id) = 0;
  virtual void for_each_face(const std::function<bool(const LibraryFace&)>& visit) = 0;
  virtual void for_each_image(const std::function<bool(const LibraryImage&)>& visit) = 0;
  virtual size_t forget(const std::vector<std::filesystem::path>& paths) = 0;
};

// ---- encodings shared by both backends -------------------------------------------------------------------------
// Box corners in tenths of a pixel, score in 1/10000, landmarks as 10 int16 relative to the box in 1/10000 of its size.
std::int64_t box_tenths(float v);
std::int64_t score_units(float v);
std::array<std::int16_t, 10> encode_landmarks(const Box& box, const Landmarks5& lm);
// Pose angles are stored in tenths of a degree.
std::int64_t angle_tenths(float degrees);
float angle_from_tenths(std::int64_t tenths);
Landmarks5 decode_landmarks(const Box& box, std::span<const std::uint8_t> blob);
// Rows under a folder: path == root or root + "/" <= path < root + "0" ('0' follows '/' in byte order).
std::pair<std::string, std::string> prefix_range(const std::filesystem::path& root);
std::filesystem::path absolute_path(const std::filesystem::path& p);
// A file's modification time as the catalog stores it (ns since the epoch); `ec` set when it cannot be read.
std::int64_t file_mtime_ns(const std::filesystem::path& p, std::error_code& ec);
std::int64_t now_seconds();
// The fp16 blob of an embedding (as both catalogs and the vector file store it) and back.
std::vector<std::uint8_t> encode_embedding(std::span<const float> e);
Embedding decode_embedding(std::span<const std::uint8_t> blob);
// A found face as a search result.
Match to_match(LibraryFace&& face, float similarity);
// The order of `scan`: similarity, then path, then left to right.
void sort_like_scan(std::vector<Match>& matches);

}  // namespace facesearch
