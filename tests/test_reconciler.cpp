// The index reconciler against an in-memory catalog and a fake analysis: every kind of change a folder can see
// between two runs ends up in the right report bucket, with only new or changed content analysed. Unit tier: no
// photos, no models, no database.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <map>

#include "library/reconciler.hpp"
#include "library/storage.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// A catalog in memory: images with a face count; transactions restore a copy on rollback.
class MemoryStorage final : public Storage {
 public:
  struct Row {
    std::string path, hash, status;
    std::int64_t size = 0, mtime = 0;
    size_t faces = 0;
  };
  std::map<std::int64_t, Row> rows;

  std::string location() const override { return "memory"; }
  std::string pack() override { return pack_; }
  int dim() override { return 4; }
  std::string claim_pack(const std::string& fingerprint, int) override {
    if (pack_.empty()) pack_ = fingerprint;
    return pack_;
  }
  void clear() override { rows.clear(); }
  std::unordered_map<std::string, StoredImage> images_under(const fs::path& root) override {
    std::unordered_map<std::string, StoredImage> out;
    auto [lo, hi] = prefix_range(root);
    for (auto& [id, r] : rows)
      if (r.path == root.string() || (r.path >= lo && r.path < hi)) out[r.path] = {id, r.size, r.mtime, r.hash, r.status};
    return out;
  }
  void begin() override { saved_ = rows; }
  void commit() override { saved_.reset(); }
  void rollback() override {
    if (saved_) rows = *saved_;
    saved_.reset();
  }
  void move_image(std::int64_t id, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    Row& r = rows.at(id);
    r.path = path.string();
    r.size = size;
    r.mtime = mtime;
  }
  std::optional<std::int64_t> find_ok_image_by_hash(const std::string& hash) override {
    for (auto& [id, r] : rows)
      if (r.hash == hash && r.status == "ok") return id;
    return std::nullopt;
  }
  void copy_image(std::int64_t source, const fs::path& path, std::int64_t size, std::int64_t mtime) override {
    Row r = rows.at(source);
    r.path = path.string();
    r.size = size;
    r.mtime = mtime;
    rows[next_id_++] = r;
  }
  void delete_image(std::int64_t id) override { rows.erase(id); }
  void write_images(const std::vector<ImageRecord>& batch) override {
    for (const ImageRecord& rec : batch) {
      std::erase_if(rows, [&](const auto& kv) { return kv.second.path == rec.path.string(); });
      rows[next_id_++] = {rec.path.string(), rec.hash, rec.faces ? "ok" : "error", rec.size, rec.mtime,
                          rec.faces ? rec.faces->faces.size() : 0};
    }
  }
  size_t face_count() override {
    size_t n = 0;
    for (auto& [id, r] : rows) n += r.faces;
    return n;
  }
  LibraryStatus status() override { return {}; }
  std::optional<LibraryFace> face(std::int64_t, bool) override { return std::nullopt; }
  std::optional<LibraryImage> image(std::int64_t) override { return std::nullopt; }
  void for_each_face(const std::function<bool(const LibraryFace&)>&) override {}
  void for_each_image(const std::function<bool(const LibraryImage&)>&) override {}
  size_t forget(const std::vector<fs::path>&) override { return 0; }

  std::optional<Row> at(const fs::path& path) const {
    for (auto& [id, r] : rows)
      if (r.path == path.string()) return r;
    return std::nullopt;
  }

 private:
  std::string pack_;
  std::int64_t next_id_ = 1;
  std::optional<std::map<std::int64_t, Row>> saved_;
};

// Files whose bytes start with "broken" are unusable; others have one face per line.
struct FakeAnalysis {
  std::vector<std::string> analysed;  // file names, over all runs
  void operator()(const std::vector<fs::path>& files, const BatchCallbacks& cb) {
    for (const auto& f : files) {
      analysed.push_back(f.filename().string());
      std::ifstream in(f);
      std::string line;
      ImageFaces img;
      img.path = f;
      bool first = true;
      while (std::getline(in, line)) {
        if (first && line.starts_with("broken")) {
          cb.on_skip({f, "not an image"});
          img.path.clear();
          break;
        }
        first = false;
        Face face;
        face.embedding = {1, 0, 0, 0};
        img.faces.push_back(face);
      }
      if (!img.path.empty()) cb.on_image(std::move(img));
    }
  }
};

void write(const fs::path& p, const std::string& text, int mtime_offset_s) {
  std::ofstream(p) << text;
  fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(1) + std::chrono::seconds(mtime_offset_s));
}

}  // namespace

TEST(Reconciler, EveryKindOfChangeLandsInItsBucket) {
  const fs::path root = fs::temp_directory_path() / ("fs-reconciler-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "sub");
  write(root / "a.jpg", "face\nface\n", 0);
  write(root / "sub" / "b.jpg", "face\nface\n", 0);  // the same bytes as a.jpg: analysed once
  write(root / "c.jpg", "broken\n", 0);
  write(root / "d.jpg", "face\n", 0);
  MemoryStorage store;
  FakeAnalysis analysis;
  auto analyze = [&](const std::vector<fs::path>& files, const BatchCallbacks& cb) { analysis(files, cb); };
  std::vector<std::string> seen_skips;
  BatchCallbacks callbacks;
  callbacks.on_skip = [&](const SkippedFile& s) { seen_skips.push_back(s.path.filename().string()); };

  IndexReport first = reconcile(store, {root}, 2, analyze, callbacks);
  EXPECT_EQ(first.files, 4u);
  EXPECT_EQ(first.added, 3u);
  EXPECT_EQ(first.copied, 1u);
  EXPECT_EQ(first.failed, 1u);
  EXPECT_EQ(first.embedded_images, 2u);
  EXPECT_EQ(first.faces_added, 3u);
  EXPECT_EQ(analysis.analysed, (std::vector<std::string>{"a.jpg", "c.jpg", "d.jpg"}));
  EXPECT_EQ(seen_skips, std::vector<std::string>{"c.jpg"});
  ASSERT_TRUE(store.at(root / "sub" / "b.jpg"));
  EXPECT_EQ(store.at(root / "sub" / "b.jpg")->faces, 2u);
  EXPECT_EQ(store.at(root / "c.jpg")->status, "error");
  EXPECT_EQ(store.face_count(), 5u);

  IndexReport again = reconcile(store, {root}, 2, analyze);
  EXPECT_EQ(again.unchanged, 4u);
  EXPECT_EQ(again.added + again.changed + again.touched + again.removed, 0u);

  analysis.analysed.clear();
  write(root / "a.jpg", "face\nface\n", 60);          // touched: new mtime, same bytes
  fs::rename(root / "d.jpg", root / "sub" / "e.jpg");  // moved
  write(root / "sub" / "b.jpg", "face\n", 120);       // changed
  fs::remove(root / "c.jpg");                          // removed
  fs::copy_file(root / "a.jpg", root / "f.jpg");       // copied from a known image
  IndexReport third = reconcile(store, {root}, 1, analyze);
  EXPECT_EQ(third.files, 4u);
  EXPECT_EQ(third.touched, 1u);
  EXPECT_EQ(third.moved, 1u);
  EXPECT_EQ(third.changed, 1u);
  EXPECT_EQ(third.removed, 1u);
  EXPECT_EQ(third.copied, 1u);
  EXPECT_EQ(third.added, 0u);
  EXPECT_EQ(analysis.analysed, std::vector<std::string>{"b.jpg"});
  EXPECT_FALSE(store.at(root / "c.jpg"));
  EXPECT_FALSE(store.at(root / "d.jpg"));
  EXPECT_EQ(store.at(root / "sub" / "e.jpg")->faces, 1u);
  EXPECT_EQ(store.at(root / "sub" / "b.jpg")->faces, 1u);
  EXPECT_EQ(store.at(root / "f.jpg")->faces, 2u);
  EXPECT_EQ(store.rows.size(), 4u);
  fs::remove_all(root);
}

TEST(Reconciler, AFailedAnalysisLeavesNoHalfWrittenImage) {
  const fs::path root = fs::temp_directory_path() / ("fs-reconciler-fail-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  write(root / "a.jpg", "face\n", 0);
  MemoryStorage store;
  auto failing = [](const std::vector<fs::path>&, const BatchCallbacks&) { throw std::runtime_error("engine down"); };
  EXPECT_THROW(reconcile(store, {root}, 1, failing), std::runtime_error);
  EXPECT_TRUE(store.rows.empty());  // nothing half-written
  FakeAnalysis analysis;
  IndexReport retry = reconcile(store, {root}, 1, [&](auto& f, auto& cb) { analysis(f, cb); });
  EXPECT_EQ(retry.added, 1u);
  EXPECT_EQ(store.face_count(), 1u);
  fs::remove_all(root);
}
