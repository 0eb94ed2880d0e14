// Exact or HNSW search over a local catalog's embeddings file, set up once per catalog generation (VectorCache).
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
    if (use_hnsw(VectorBackend::Auto, source_.face_count())) sync_hnsw();
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
    std::shared_ptr<const VectorIndex> index = hnsw ? sync_hnsw() : map_exact();
    vectors_->keep(kind, gen, index);
    return index;
  }

  // Exact search straight over the mapped embeddings file, without the rows of faces removed since it started.
  std::unique_ptr<VectorIndex> map_exact() {
    std::unique_ptr<VectorIndex> index;
    source_.read_snapshot([&] {
      const StoredRowsView view = source_.stored_rows(true);
      if (!view.rows) {
        index = make_exact_index(source_.dim(), VectorPrecision::F16);
        return;
      }
      std::vector<FaceId> dead;
      source_.removed_after(view.log_seq, [&](FaceId id) { dead.push_back(id); });
      index = make_stored_exact_index(view.rows, dead);
    });
    return index;
  }

  // The graph over the embeddings file's rows (graph.hnsw), brought up to this snapshot: rows added since it was
  // saved go in, faces removed since go out. A graph of another pack or another file is built again.
  std::unique_ptr<VectorIndex> sync_hnsw_in_snapshot() {
    const fs::path file = dir_ / "graph.hnsw", side = dir_ / "graph.hnsw.json";
    const VectorPosition now = source_.position();
    const StoredRowsView view = source_.stored_rows(false);
    if (!view.rows) return make_hnsw_index(source_.dim());
    const std::string pack_id = source_.pack();
    std::int64_t last_seq = view.log_seq;
    std::size_t rows_in_graph = 0;
    std::unique_ptr<VectorIndex> index;
    try {
      std::ifstream in(side);
      auto j = nlohmann::json::parse(in);
      rows_in_graph = j.at("rows").get<std::size_t>();
      if (j.at("pack").get<std::string>() == pack_id && j.at("file").get<std::int64_t>() == view.file &&
          rows_in_graph <= view.rows->count()) {
        index = load_stored_hnsw_index(file, view.rows);
        last_seq = j.at("log_seq").get<std::int64_t>();
        if (index && j.at("generation").get<std::int64_t>() == now.generation) return index;
      }
    } catch (const std::exception&) {
      index.reset();  // missing or unreadable sidecar: rebuild, never trust the file
    }
    if (!index) {
      index = make_stored_hnsw_index(view.rows);
      rows_in_graph = 0;
      last_seq = view.log_seq;
    }
    // New rows first, then removals: a face added and removed since the last save must end up removed. The graph
    // is built on every core.
    add_stored_rows(*index, view.rows, rows_in_graph, std::max(1u, std::thread::hardware_concurrency()));
    source_.removed_after(last_seq, [&](FaceId id) { index->remove(id); });
    save_hnsw_index(*index, file);
    nlohmann::json j = {{"generation", now.generation}, {"log_seq", now.log_seq}, {"rows", view.rows->count()},
                        {"file", view.file}, {"pack", pack_id}};
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
