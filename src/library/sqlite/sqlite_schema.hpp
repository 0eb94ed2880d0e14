// The embedded backend's schema: one ordered migration list (catalog and people tables), applied when a catalog
// is opened; a version table records how far a catalog is.
#pragma once

#include <string>

#include "library/sqlite/sqlite.hpp"

namespace facesearch::sqlite_backend {

// The schema version this build writes (the length of the migration list).
int schema_version();
// Brings the catalog to schema_version() in one transaction (safe against other processes doing the same).
// Throws std::runtime_error for a catalog made by a newer facesearch; `where` names the library in messages.
void migrate(sql::Database& db, const std::string& where);
// The version a catalog is at (0: empty file).
int current_version(sql::Database& db);

std::string meta_get(sql::Database& db, const char* key);
void meta_set(sql::Database& db, const char* key, const std::string& value);

}  // namespace facesearch::sqlite_backend
