// The embedded backend: a library directory holding catalog.sqlite (catalog and people tables) and the local
// searcher's vector files.
#include <filesystem>

#include "library/backend.hpp"
#include "library/sqlite/sqlite_catalog.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(const fs::path& dir, bool create, std::shared_ptr<VectorCache> vectors)
      : catalog_(open_sqlite_catalog(dir, create)),
        dir_(catalog_->location()),
        searcher_(make_local_searcher(*catalog_, dir_, std::move(vectors))) {}

  std::string location() const override { return dir_.string(); }
  bool is_database() const override { return false; }
  Storage& catalog() override { return *catalog_; }
  Searcher& searcher() override { return *searcher_; }
  std::unique_ptr<people::PeopleStore> open_people_store() const override {
    return people::open_sqlite_people_store(dir_);
  }

 private:
  std::unique_ptr<SqliteCatalog> catalog_;
  fs::path dir_;
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace

BackendType sqlite_backend() {
  return {"sqlite", [](const std::string&) { return true; },
          [](const std::string& spec, bool create, std::shared_ptr<VectorCache> vectors) -> std::unique_ptr<Backend> {
            return std::make_unique<SqliteBackend>(spec, create, std::move(vectors));
          }};
}

}  // namespace facesearch
