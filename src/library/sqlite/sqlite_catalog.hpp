// The embedded backend's catalog (catalog.sqlite in the library directory): the library's Storage and the
// VectorSource its local searcher reads.
#pragma once

#include <filesystem>
#include <memory>

#include "library/local/local_searcher.hpp"
#include "library/sqlite/sqlite.hpp"
#include "library/storage.hpp"

namespace facesearch {

// pack(), dim() and face_count() are in both interfaces; the implementation overrides both at once.
class SqliteCatalog : public Storage, public VectorSource {};

// Opens (with `create`, makes) the catalog in `dir`, migrated to the current schema.
std::unique_ptr<SqliteCatalog> open_sqlite_catalog(const std::filesystem::path& dir, bool create);

}  // namespace facesearch
