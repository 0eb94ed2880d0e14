// The registry of storage backends: one line each, asked in order (the embedded directory backend takes whatever
// no other backend claims, so it goes last).
#include "library/backend.hpp"

#include <stdexcept>

namespace facesearch {

BackendType postgres_backend();  // src/library/postgres/
BackendType sqlite_backend();    // src/library/sqlite/

std::span<const BackendType> backend_types() {
  static const BackendType types[] = {
      postgres_backend(),
      sqlite_backend(),
  };
  return types;
}

std::unique_ptr<Backend> open_backend(const std::string& spec, bool create, std::shared_ptr<VectorCache> vectors) {
  for (const BackendType& type : backend_types())
    if (type.claims(spec)) return type.open(spec, create, std::move(vectors));
  throw std::runtime_error("no storage backend for the library '" + spec + "'");
}

bool is_database_url(const std::string& spec) {
  for (const BackendType& type : backend_types())
    if (type.claims(spec)) return std::string_view(type.name) != "sqlite";
  return false;
}

}  // namespace facesearch
