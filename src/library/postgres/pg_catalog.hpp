// The PostgreSQL backend's parts, sharing the backend's one connection: the catalog (pg_catalog.cpp), its schema
// and migrations (pg_schema.cpp) and the pgvector searcher (pg_searcher.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "library/postgres/pg.hpp"
#include "library/searcher.hpp"
#include "library/storage.hpp"

namespace facesearch {

// pg_advisory_xact_lock key for schema changes and claiming the pack (any constant unlikely to collide).
constexpr std::int64_t kPgLockKey = 0x66616365;  // "face"

// Columns read by read_pg_face: f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2,
// f.score, f.landmarks, f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness[, f.embedding]
// (faces f JOIN images i).
#define FACESEARCH_PG_FACE_COLUMNS                                                                              \
  "f.id, f.image_id, i.path, i.width, i.height, i.format, f.x1, f.y1, f.x2, f.y2, f.score, f.landmarks, "       \
  "f.first_ms, f.last_ms, f.best_ms, f.yaw, f.pitch, f.roll, f.sharpness"
constexpr const char* kPgFaceColumns = FACESEARCH_PG_FACE_COLUMNS;
constexpr int kPgFaceColumnCount = 19;
LibraryFace read_pg_face(const pg::Result& r, int row, bool with_embedding);

std::string pg_meta(pg::Connection& db, const char* key);
// Checks pgvector and brings the `facesearch` schema to the current version (catalog and people tables).
// Without `create`, a database without a library is an error.
void migrate_pg_catalog(pg::Connection& db, bool create);

std::unique_ptr<Storage> open_pg_catalog(pg::Connection& db, bool create);
std::unique_ptr<Searcher> make_pgvector_searcher(pg::Connection& db);

}  // namespace facesearch
