// Storage backends side by side, in one run: ingest (faces/s through the same batched writes `index` makes), the
// vector index build, search latency (top 10) exact and HNSW, HNSW recall@10, and bytes per face.
//   bench_storage --faces 100000 --pg-url postgresql://... [--dir /tmp/x] [--queries 200] [--sqlite off]
//                 [--postgres off] [--pg-sweep 16:64,24:128 --ef-search 40,64,100,200]
// --pg-sweep loads the faces into PostgreSQL once, then for each m:ef_construction rebuilds the HNSW index (timed,
// sized) and measures recall@10 and latency of every query at each hnsw.ef_search (ground truth: the exact search).
// --pg-url names a server where the bench may create and drop the database `fs_bench`
// (scripts/postgres-test.sh exports FACESEARCH_TEST_PG_URL, used when --pg-url is not given).
// Vectors are synthetic but face-like: 20 faces per identity around a random centre (cosine ~0.6 within one).
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "library/backend.hpp"
#include "library/postgres/pg.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kDim = 512;
constexpr int kFacesPerImage = 2;
constexpr size_t kFacesPerIdentity = 20;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Embedding unit_gaussian(std::mt19937_64& rng, float sigma) {
  std::normal_distribution<float> normal(0.f, sigma);
  Embedding e(kDim);
  for (auto& v : e) v = normal(rng);
  return e;
}

struct Synthetic {
  std::vector<Embedding> centres;
  explicit Synthetic(size_t faces) {
    std::mt19937_64 rng(7);
    centres.resize(std::max<size_t>(1, faces / kFacesPerIdentity));
    for (auto& c : centres) {
      c = unit_gaussian(rng, 1.f);
      l2_normalize(c);
    }
  }
  // Face i: its identity's centre plus noise; the same i always gives the same vector.
  Embedding face(size_t i) const {
    std::mt19937_64 rng(1000003 + i);
    Embedding e = unit_gaussian(rng, 0.82f / std::sqrt(float(kDim)));
    const Embedding& c = centres[i / kFacesPerIdentity % centres.size()];
    for (int j = 0; j < kDim; ++j) e[j] += c[j];
    l2_normalize(e);
    return e;
  }
};

void pg_admin(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(sql + ": " + err);
}

std::string with_database(const std::string& url, const std::string& db) {
  const size_t slash = url.find('/', url.find("://") + 3);
  return url.substr(0, slash) + "/" + db;
}

struct Row {
  std::string backend;
  size_t faces = 0;
  double ingest_s = 0, after_s = 0;
  double exact_ms = 0, hnsw_ms = 0, hnsw_p95_ms = 0, recall = 0;
  double bytes_per_face = 0;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Queries near stored faces: a random face plus noise (its own face stays its nearest).
std::vector<Embedding> query_vectors(const Synthetic& data, size_t faces, size_t queries) {
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<size_t> pick(0, faces - 1);
  std::vector<Embedding> qs;
  for (size_t q = 0; q < queries; ++q) {
    Embedding e = data.face(pick(rng));
    Embedding noise = unit_gaussian(rng, 0.5f / std::sqrt(float(kDim)));
    for (int j = 0; j < kDim; ++j) e[j] += noise[j];
    l2_normalize(e);
    qs.push_back(std::move(e));
  }
  return qs;
}

Row run(const std::string& name, Backend& backend, const Synthetic& data, size_t faces, size_t queries,
        bool build_index = true) {
  Row row{name, faces};
  Storage& store = backend.catalog();
  Searcher& searcher = backend.searcher();
  store.claim_pack("bench@synthetic", kDim);
  // The same batches as `index`: 32 images per transaction.
  const auto t0 = Clock::now();
  std::vector<ImageRecord> batch;
  for (size_t i = 0; i < faces; i += kFacesPerImage) {
    ImageRecord r;
    r.path = "/bench/photos/" + std::to_string(i / 1000) + "/img" + std::to_string(i) + ".jpg";
    r.size = 100000;
    r.mtime = static_cast<std::int64_t>(i);
    r.hash = std::to_string(i);
    ImageFaces img;
    img.path = r.path;
    img.format = ImageFormat::Jpeg;
    img.width = 1600;
    img.height = 1200;
    for (size_t j = i; j < std::min(faces, i + kFacesPerImage); ++j) {
      Face f;
      f.box = {100.f + 300.f * float(j - i), 200.f, 300.f + 300.f * float(j - i), 450.f};
      f.score = 0.9f;
      for (int k = 0; k < 5; ++k) f.landmarks[k] = {f.box.x1 + 30.f * float(k), f.box.y1 + 40.f};
      f.embedding = data.face(j);
      img.faces.push_back(std::move(f));
    }
    r.faces = std::move(img);
    batch.push_back(std::move(r));
    if (batch.size() == 32) {
      store.write_images(batch);
      batch.clear();
    }
    if (i % 100000 == 0 && i) std::fprintf(stderr, "  %s: %zu faces written, %.0f s\n", name.c_str(), i, seconds_since(t0));
  }
  store.write_images(batch);
  row.ingest_s = seconds_since(t0);
  if (!build_index) return row;
  const auto t1 = Clock::now();
  store.after_index();
  searcher.after_index();
  searcher.sync_hnsw();  // the embedded backend builds its HNSW file here, also below 100k faces (PostgreSQL: no-op)
  row.after_s = seconds_since(t1);

  if (!queries) return row;
  std::vector<Embedding> qs = query_vectors(data, faces, queries);
  SearchOptions exact, hnsw;
  exact.top = hnsw.top = 10;
  exact.threshold = hnsw.threshold = -1.f;
  exact.backend = VectorBackend::Exact;
  hnsw.backend = VectorBackend::Hnsw;
  // Warm caches (the HNSW file, the vectors loaded for exact search, the server's buffers): the table is about a
  // long-running process (serve), not a first search.
  searcher.search(qs[0], hnsw);
  searcher.search(qs[0], exact);
  const size_t exact_queries = std::min<size_t>(queries, 20);
  std::vector<double> hnsw_ms;
  size_t found = 0, wanted = 0;
  double exact_total = 0;
  for (size_t q = 0; q < queries; ++q) {
    auto t = Clock::now();
    auto approx = searcher.search(qs[q], hnsw);
    hnsw_ms.push_back(seconds_since(t) * 1000);
    if (q < exact_queries) {
      t = Clock::now();
      auto truth = searcher.search(qs[q], exact);
      exact_total += seconds_since(t) * 1000;
      std::set<std::int64_t> ids;
      for (auto& m : truth) ids.insert(m.face_id);
      for (auto& m : approx) found += ids.count(m.face_id);
      wanted += ids.size();
    }
  }
  row.exact_ms = exact_total / double(exact_queries);
  row.hnsw_ms = percentile(hnsw_ms, 0.5);
  row.hnsw_p95_ms = percentile(hnsw_ms, 0.95);
  row.recall = double(found) / double(std::max<size_t>(wanted, 1));
  LibraryStatus s = store.status();
  row.bytes_per_face = double(s.bytes_on_disk) / double(std::max<size_t>(s.faces, 1));
  return row;
}


std::vector<size_t> numbers(const std::string& list) {
  std::vector<size_t> out;
  for (size_t i = 0; i < list.size();) {
    size_t used = 0;
    out.push_back(std::stoul(list.substr(i), &used));
    i += used + 1;
  }
  return out;
}

// Recall@10 and latency of the backend's HNSW statement (pg_searcher.cpp) at each hnsw.ef_search, over the index
// as it is; ground truth: the exact search over the same stored halfvecs, for every query.
void ef_sweep(Backend& backend, const std::string& url, const Synthetic& data, size_t faces, size_t queries,
              const std::vector<size_t>& efs, const std::string& label) {
  std::vector<Embedding> qs = query_vectors(data, faces, queries);
  SearchOptions exact;
  exact.top = 10;
  exact.backend = VectorBackend::Exact;
  std::vector<std::set<std::int64_t>> truth;
  for (auto& q : qs) {
    std::set<std::int64_t> ids;
    for (auto& m : backend.searcher().search(q, exact)) ids.insert(m.face_id);
    truth.push_back(std::move(ids));
  }
  pg::Connection db(url);
  db.exec("SET search_path = facesearch, public");
  db.exec("ANALYZE faces");
  const double mb = double(db.query("SELECT pg_relation_size('faces_embedding')").i64(0, 0)) / 1e6;
  for (size_t ef : efs) {
    db.exec(("SET hnsw.ef_search = " + std::to_string(ef)).c_str());
    std::vector<double> ms;
    size_t found = 0, wanted = 0;
    for (size_t q = 0; q <= qs.size(); ++q) {  // query 0 twice: the first pass warms the buffers
      const size_t i = q ? q - 1 : 0;
      const auto t = Clock::now();
      pg::Params params;
      params.halfvec(qs[i]).i64(10);
      pg::Result r = db.query("SELECT id FROM faces ORDER BY embedding <=> $1::halfvec LIMIT $2", params);
      if (!q) continue;
      ms.push_back(seconds_since(t) * 1000);
      for (int row = 0; row < r.rows(); ++row) found += truth[i].count(r.i64(row, 0));
      wanted += truth[i].size();
    }
    std::printf("| %s | %.0f | %zu | %.2f | %.2f | %.3f |\n", label.c_str(), mb, ef, percentile(ms, 0.5),
                percentile(ms, 0.95), double(found) / double(std::max<size_t>(wanted, 1)));
    std::fflush(stdout);
  }
}

// Index parameters side by side on one load (see --pg-sweep above): each m:ef_construction rebuilt, timed, swept.
void pg_sweep(const std::string& url, const Synthetic& data, size_t faces, size_t queries, const std::string& configs,
              const std::vector<size_t>& efs) {
  auto backend = open_backend(url, true);
  run("load", *backend, data, faces, 0, false);
  pg::Connection db(url);
  db.exec("SET search_path = facesearch, public");
  std::printf("| index (m / ef_construction / build s) | index MB | ef_search | p50 ms | p95 ms | recall@10 |\n"
              "|---|---|---|---|---|---|\n");
  const std::vector<size_t> mc = numbers(configs);
  for (size_t c = 0; c + 1 < mc.size(); c += 2) {
    db.exec("DROP INDEX IF EXISTS faces_embedding");
    const auto t = Clock::now();
    const std::string create = "CREATE INDEX faces_embedding ON faces USING hnsw (embedding halfvec_cosine_ops) "
                               "WITH (m = " + std::to_string(mc[c]) + ", ef_construction = " +
                               std::to_string(mc[c + 1]) + ")";
    db.exec(create.c_str());
    char label[64];
    std::snprintf(label, sizeof label, "%zu / %zu / %.0f", mc[c], mc[c + 1], seconds_since(t));
    ef_sweep(*backend, url, data, faces, queries, efs, label);
  }
}
}  // namespace

int main(int argc, char** argv) {
  size_t faces = 100000, queries = 200;
  std::string pg_url = std::getenv("FACESEARCH_TEST_PG_URL") ? std::getenv("FACESEARCH_TEST_PG_URL") : "";
  fs::path dir = fs::temp_directory_path() / "facesearch-bench-storage";
  bool skip_sqlite = false, skip_postgres = false;
  std::string sweep_configs, sweep_efs;  // --ef-search: also sweep ef_search on the backend's index
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--faces") faces = std::stoul(v);
    else if (a == "--queries") queries = std::stoul(v);
    else if (a == "--pg-url") pg_url = v;
    else if (a == "--dir") dir = v;
    else if (a == "--sqlite") skip_sqlite = v == "off";
    else if (a == "--postgres") skip_postgres = v == "off";
    else if (a == "--pg-sweep") sweep_configs = v;
    else if (a == "--ef-search") sweep_efs = v;
  }
  if (pg_url.empty() && !skip_postgres) {
    std::fprintf(stderr, "bench_storage: --pg-url (or $FACESEARCH_TEST_PG_URL) is required\n");
    return 2;
  }
  const Synthetic data(faces);
  if (!sweep_configs.empty()) {
    try {
      pg_admin(pg_url, "DROP DATABASE IF EXISTS fs_bench WITH (FORCE)");
      pg_admin(pg_url, "CREATE DATABASE fs_bench");
      pg_sweep(with_database(pg_url, "fs_bench"), data, faces, queries, sweep_configs,
               numbers(sweep_efs.empty() ? "40,64,100,128,200" : sweep_efs));
      pg_admin(pg_url, "DROP DATABASE fs_bench WITH (FORCE)");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_storage: %s\n", e.what());
      return 1;
    }
    return 0;
  }
  std::vector<Row> rows;
  try {
    if (!skip_sqlite) {
      fs::remove_all(dir);
      auto store = open_backend(dir.string(), true);
      rows.push_back(run("embedded (SQLite + hnswlib file)", *store, data, faces, queries));
      store.reset();
      // A new process's first search (e.g. a CLI `search`): what loading the vectors (and the graph) costs.
      for (const VectorBackend kind : {VectorBackend::Exact, VectorBackend::Hnsw}) {
        auto fresh = open_backend(dir.string(), false);
        SearchOptions first;
        first.top = 10;
        first.backend = kind;
        const auto t = Clock::now();
        fresh->searcher().search(data.face(0), first);
        std::printf("embedded first search in a new process (%s): %.0f ms\n",
                    kind == VectorBackend::Exact ? "exact" : "hnsw", seconds_since(t) * 1000);
      }
      for (auto& e : fs::directory_iterator(dir))  // where the embedded library's bytes are
        if (e.is_regular_file())
          std::printf("embedded file %s: %.0f bytes/face\n", e.path().filename().c_str(),
                      double(e.file_size()) / double(faces));
      fs::remove_all(dir);
    }
    if (!skip_postgres) {
      pg_admin(pg_url, "DROP DATABASE IF EXISTS fs_bench WITH (FORCE)");
      pg_admin(pg_url, "CREATE DATABASE fs_bench");
      {
        auto store = open_backend(with_database(pg_url, "fs_bench"), true);
        rows.push_back(run("PostgreSQL 15 + pgvector (halfvec, HNSW)", *store, data, faces, queries));
        if (!sweep_efs.empty()) {
          std::printf("| index | index MB | ef_search | p50 ms | p95 ms | recall@10 |\n|---|---|---|---|---|---|\n");
          ef_sweep(*store, with_database(pg_url, "fs_bench"), data, faces, queries, numbers(sweep_efs),
                   "backend default");
        }
      }
      pg_admin(pg_url, "DROP DATABASE fs_bench WITH (FORCE)");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_storage: %s\n", e.what());
    return 1;
  }
  std::printf("| backend | faces | ingest faces/s | index build s | exact top-10 ms | HNSW top-10 ms (p50 / p95) | "
              "HNSW recall@10 | bytes/face |\n|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows)
    std::printf("| %s | %zu | %.0f | %.1f | %.1f | %.2f / %.2f | %.3f | %.0f |\n", r.backend.c_str(), r.faces,
                double(r.faces) / r.ingest_s, r.after_s, r.exact_ms, r.hnsw_ms, r.hnsw_p95_ms, r.recall,
                r.bytes_per_face);
  std::printf("(%u hardware threads; %zu queries, exact on the first 20)\n", std::thread::hardware_concurrency(),
              queries);
  return 0;
}
