// pgvector search: the faces nearest to a query, exact (sequential scan) or through the halfvec HNSW index, as one
// statement that also returns the faces' photos.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "library/postgres/pg_catalog.hpp"

namespace facesearch {

using namespace pg;

namespace {

constexpr int kMaxEfSearch = 1000;  // pgvector's upper bound for hnsw.ef_search
// The HNSW index's shape (pgvector's defaults are m 16, ef_construction 64): a wider build-time beam gives a graph
// that reaches recall@10 >= 0.95 at 1M faces with a query beam short enough for <= 10 ms (PERFORMANCE.md).
constexpr int kHnswM = 16;
constexpr int kHnswEfConstruction = 200;
// The query beam floor: max(4 x top, kMinEfSearch) on an index of that shape; indexes built before it (pgvector's
// defaults, until a rebuild: POSTGRES.md) keep the longer walk they need, kLegacyMinEfSearch.
constexpr size_t kMinEfSearch = 128;
constexpr size_t kLegacyMinEfSearch = 256;

class PgvectorSearcher final : public Searcher {
 public:
  explicit PgvectorSearcher(Connection& db) : db_(db) {}

  void after_index() override {
    // The HNSW index is built once the first `index` has loaded its faces, not maintained row by row during that
    // load: one bulk build is several times faster than inserting each face into the graph (see POSTGRES.md).
    // Later runs insert into the existing index. Until it exists a search is exact (same answers, slower).
    if (!pg_meta(db_, "dim").empty()) {
      Tx tx(db_);
      db_.query("SELECT pg_advisory_xact_lock($1)", Params().i64(kPgLockKey));
      db_.exec(("CREATE INDEX IF NOT EXISTS faces_embedding ON faces USING hnsw (embedding halfvec_cosine_ops) "
                "WITH (m = " + std::to_string(kHnswM) + ", ef_construction = " +
                std::to_string(kHnswEfConstruction) + ")").c_str());
      tx.commit();
      min_ef_ = 0;
    }
    estimate_.reset();
    // Fresh planner statistics, so the size estimate that picks exact vs HNSW search is right.
    db_.exec("ANALYZE images, faces");
  }


  std::vector<Match> search(std::span<const float> query, const SearchOptions& options) override {
    const bool hnsw = use_hnsw(options.backend, estimated_faces());
    const size_t k = options.top ? options.top : (hnsw ? static_cast<size_t>(kMaxEfSearch) : 0);
    const double max_distance = 1.0 - static_cast<double>(options.threshold);
    Params params;  // $1 query, $2 how many (NULL: all), $3 largest cosine distance
    params.halfvec(query);
    if (k) params.i64(static_cast<std::int64_t>(k)); else params.null(20);
    params.f64(max_distance);
    std::optional<Result> found;
    if (hnsw) {
      // ef_search: the candidate list of the graph walk. At 1M faces pgvector's default-like max(2 x top, 64) gave
      // recall@10 0.77 on the default graph (PERFORMANCE.md).
      const size_t ef = std::clamp<size_t>(std::max<size_t>(4 * k, min_ef()), 1, kMaxEfSearch);
      // Set for the session, and only when it changes: the search is then one statement, one round trip, with no
      // transaction around it. Only this searcher's graph walks read the setting. Inside a transaction someone else
      // opened it is set for that transaction alone (a rollback would silently undo a session-level change).
      const bool idle = db_.idle();
      if (!idle || ef != session_ef_) {
        db_.query(idle ? "SELECT set_config('hnsw.ef_search', $1, false)"
                       : "SELECT set_config('hnsw.ef_search', $1, true)",
                  Params().text(std::to_string(ef)));
        session_ef_ = idle ? ef : 0;
      }
      found = db_.query("SELECT " FACESEARCH_PG_FACE_COLUMNS ", nn.distance FROM (SELECT id, embedding <=> $1::halfvec "
                        "AS distance FROM faces ORDER BY embedding <=> $1::halfvec LIMIT $2) nn "
                        "JOIN faces f ON f.id = nn.id JOIN images i ON i.id = f.image_id WHERE nn.distance <= $3",
                        params);
    } else {
      // Exact: every face is compared; the HNSW index must not be used.
      Tx tx(db_, "BEGIN READ ONLY");
      db_.exec("SET LOCAL enable_indexscan = off");
      found = db_.query("SELECT " FACESEARCH_PG_FACE_COLUMNS ", nn.distance FROM (SELECT id, embedding <=> $1::halfvec "
                        "AS distance FROM faces WHERE (embedding <=> $1::halfvec) <= $3 "
                        "ORDER BY embedding <=> $1::halfvec LIMIT $2) nn "
                        "JOIN faces f ON f.id = nn.id JOIN images i ON i.id = f.image_id",
                        params);
      tx.commit();
    }
    const Result& r = *found;
    std::vector<Match> matches;
    matches.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      matches.push_back(to_match(read_pg_face(r, i, false), static_cast<float>(1.0 - r.f64(i, kPgFaceColumnCount))));
    }
    sort_like_scan(matches);
    return matches;
  }

  std::string describe(size_t faces) const override {
    return use_hnsw(VectorBackend::Auto, faces) ? "hnsw (pgvector)" : "exact (pgvector)";
  }

 private:
  size_t face_count() { return static_cast<size_t>(db_.query("SELECT count(*) FROM faces").i64(0, 0)); }

  // pg_class.reltuples after ANALYZE (which `index` runs last); counted exactly when unknown or within 10% of the
  // exact/HNSW boundary. The count walks the whole table (~20 ms at 150k faces): done on every search between 50k
  // and 200k faces, it cost more than the HNSW search itself. The estimate is looked up again after a few seconds,
  // not on every search (a round trip each); exact and HNSW search give the same answers meanwhile.
  size_t estimated_faces() {
    const auto now = std::chrono::steady_clock::now();
    if (!estimate_ || now - estimated_at_ > std::chrono::seconds(5)) {
      estimate_ =
          db_.query("SELECT reltuples::bigint FROM pg_class WHERE oid = 'facesearch.faces'::regclass").i64(0, 0);
      estimated_at_ = now;
    }
    const std::int64_t est = *estimate_;
    const auto limit = static_cast<std::int64_t>(Library::kExactLimit);
    if (est < 0 || (est > limit - limit / 10 && est < limit + limit / 10)) return face_count();
    return static_cast<size_t>(est);
  }

  // The beam floor for the index as built (its reloptions), looked up once per searcher.
  size_t min_ef() {
    if (!min_ef_) {
      Result r = db_.query("SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class "
                           "WHERE oid = to_regclass('facesearch.faces_embedding')");
      const std::string shape = "ef_construction=" + std::to_string(kHnswEfConstruction);
      min_ef_ = r.rows() && r.text(0, 0).find(shape) != std::string::npos ? kMinEfSearch : kLegacyMinEfSearch;
    }
    return min_ef_;
  }

  Connection& db_;
  size_t min_ef_ = 0;
  size_t session_ef_ = 0;  // hnsw.ef_search as set for the session; 0: not set
  std::optional<std::int64_t> estimate_;
  std::chrono::steady_clock::time_point estimated_at_;
};

}  // namespace

std::unique_ptr<Searcher> make_pgvector_searcher(Connection& db) { return std::make_unique<PgvectorSearcher>(db); }

}  // namespace facesearch
