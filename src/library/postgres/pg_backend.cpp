// The PostgreSQL backend: a postgresql:// URL; catalog and pgvector searcher share one connection, the people store
// opens its own.
#include "library/backend.hpp"
#include "library/postgres/pg_catalog.hpp"

namespace facesearch {

namespace {

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(const std::string& url, bool create)
      : url_(url), db_(url), catalog_(open_pg_catalog(db_, create)), searcher_(make_pgvector_searcher(db_)) {}

  std::string location() const override { return db_.where(); }
  bool is_database() const override { return true; }
  Storage& catalog() override { return *catalog_; }
  Searcher& searcher() override { return *searcher_; }
  std::unique_ptr<people::PeopleStore> open_people_store() const override {
    return people::open_postgres_people_store(url_);
  }

 private:
  std::string url_;  // with its password, for the people store's connection
  pg::Connection db_;
  std::unique_ptr<Storage> catalog_;
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace

BackendType postgres_backend() {
  return {"postgres",
          [](const std::string& spec) { return spec.starts_with("postgresql://") || spec.starts_with("postgres://"); },
          [](const std::string& spec, bool create, std::shared_ptr<VectorCache>) -> std::unique_ptr<Backend> {
            return std::make_unique<PostgresBackend>(spec, create);
          }};
}

}  // namespace facesearch
