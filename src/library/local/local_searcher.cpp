// Exact or HNSW search over a local catalog's vectors, loaded once per catalog generation (VectorCache).
#include "library/local/local_searcher.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "library/storage.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/vector_file.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

class LocalSearcher final : public Searcher {
 public:
  LocalSearcher(VectorSource& source, const fs::path& dir, std::shared_ptr<VectorCache> vectors)
      : source_(source), dir_(dir), vectors_(vectors ? std::move(vectors) : std::make_shared<VectorCache>()) {}

  std::vector<Match> search(std::span<const float> query, const SearchOptions& options) override {
    // count(*) walks the whole table (~6 ms at 1M faces): counted again only when the generation moved.
    const std::int64_t gen = source_.generation();
    if (gen != counted_generation_) {
      counted_faces_ = source_.face_count();
      counted_generation_ = gen;
    }
    const bool hnsw = use_hnsw(options.backend, counted_faces_);
    std::shared_ptr<const VectorIndex> index = searchable(hnsw, gen);
    const size_t k = neighbours_wanted(options, hnsw, counted_faces_);
    return source_.matches(index->search(query, k, options.threshold));
  }

  // Bring the file the next search reads up to date now, so the first search (a new process) pays no load.
  void after_index() override {
    if (use_hnsw(VectorBackend::Auto, source_.face_count()))
      sync_hnsw();
    else
      map_exact(source_.generation());
  }

  std::string describe(size_t faces) const override {
    return use_hnsw(VectorBackend::Auto, faces) ? "hnsw" : "exact";
  }

  std::unique_ptr<VectorIndex> sync_hnsw() override {
    std::unique_ptr<VectorIndex> index;
    source_.read_snapshot([&] { index = sync_hnsw_in_snapshot(); });
    return index;
  }

 private:
  // The vectors to search, from the cache while no face was added or removed since they were loaded. `gen` is
  // read before loading: a write in between makes the entry look older than it is, never newer.
  std::shared_ptr<const VectorIndex> searchable(bool hnsw, std::int64_t gen) {
    const std::string kind = hnsw ? "hnsw" : "exact";
    if (auto cached = vectors_->find(kind, gen)) return cached;
    std::shared_ptr<const VectorIndex> index = hnsw ? sync_hnsw() : map_exact(gen);
    vectors_->keep(kind, gen, index);
    return index;
  }

  // The catalog's vectors as the memory-mapped fp16 file beside it (vectors.f16), rewritten when it does not
  // reflect catalog generation `gen`. Where the file cannot be written (a read-only directory), loaded into memory.
  std::unique_ptr<VectorIndex> map_exact(std::int64_t gen) {
    const fs::path file = dir_ / "vectors.f16";
    const int dim = source_.dim();
    if (auto mapped = map_vector_file(file, dim, stamp(gen))) return mapped;
    std::int64_t written = gen;
    try {
      source_.read_snapshot([&] {
        written = source_.generation();
        VectorFileWriter out(file, dim);
        source_.vectors_after(0, [&](FaceId id, std::span<const std::uint8_t> blob) { out.add(id, blob); });
        out.commit(stamp(written));
      });
      if (auto mapped = map_vector_file(file, dim, stamp(written))) return mapped;
    } catch (const std::exception&) {
    }
    auto index = make_exact_index(dim, VectorPrecision::F32);
    source_.vectors_after(0, [&](FaceId id, std::span<const std::uint8_t> blob) { index->add(id, decode_embedding(blob)); });
    return index;
  }

  // What a vector file must have been written from: this catalog generation of this model pack.
  VectorFileStamp stamp(std::int64_t gen) {
    const std::string pack = source_.pack();
    return {gen, static_cast<std::int64_t>(vector_detail::checksum(pack.data(), pack.size())), 0, 0};
  }

  std::unique_ptr<VectorIndex> sync_hnsw_in_snapshot() {
    const fs::path file = dir_ / "vectors.hnsw", side = dir_ / "vectors.hnsw.json";
    const int d = source_.dim();
    const VectorPosition now = source_.position();
    const std::string pack_id = source_.pack();
    std::int64_t last_seq = 0, max_id = 0;
    std::unique_ptr<VectorIndex> index;
    try {
      std::ifstream in(side);
      auto j = nlohmann::json::parse(in);
      if (j.at("pack").get<std::string>() == pack_id) {
        index = load_hnsw_index(file, d);
        last_seq = j.at("log_seq").get<std::int64_t>();
        max_id = j.at("max_face_id").get<std::int64_t>();
        if (index && j.at("generation").get<std::int64_t>() == now.generation) return index;
      }
    } catch (const std::exception&) {
      index.reset();  // missing or unreadable sidecar: rebuild, never trust the file
    }
    if (!index) {
      index = make_hnsw_index(d);
      last_seq = max_id = 0;
    } else {
      source_.removed_after(last_seq, [&](FaceId id) { index->remove(id); });
    }
    // New faces go in as batches: the graph is built on every core, in bounded memory for a first build of millions.
    std::vector<FaceId> ids;
    std::vector<float> vectors;
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    auto flush = [&] {
      index->add_batch(ids, vectors, threads);
      ids.clear();
      vectors.clear();
    };
    source_.vectors_after(max_id, [&](FaceId id, std::span<const std::uint8_t> blob) {
      ids.push_back(id);
      const Embedding e = decode_embedding(blob);
      vectors.insert(vectors.end(), e.begin(), e.end());
      if (ids.size() == 65536) flush();
    });
    flush();
    save_hnsw_index(*index, file);
    nlohmann::json j = {{"generation", now.generation}, {"log_seq", now.log_seq},
                        {"max_face_id", std::max(now.max_face_id, max_id)}, {"pack", pack_id}};
    {
      std::ofstream out(side.string() + ".tmp");
      out << j.dump();
    }
    fs::rename(side.string() + ".tmp", side);
    return index;
  }

  VectorSource& source_;
  fs::path dir_;
  std::shared_ptr<VectorCache> vectors_;
  std::int64_t counted_generation_ = -1;
  size_t counted_faces_ = 0;
};

}  // namespace

std::unique_ptr<Searcher> make_local_searcher(VectorSource& source, const fs::path& dir,
                                              std::shared_ptr<VectorCache> vectors) {
  return std::make_unique<LocalSearcher>(source, dir, std::move(vectors));
}

}  // namespace facesearch
