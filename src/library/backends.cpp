// The registry of storage backends, asked in order (the embedded directory backend takes whatever no other backend
// claims, so it goes last). A backend in src/library/NAME/ defines `BackendType NAME_backend()`; registering it is
// its one line in this list.
#include "library/backend.hpp"

#include <stdexcept>

#define FACESEARCH_STORAGE_BACKENDS(X) \
  X(postgres)                          \
  X(sqlite)

namespace facesearch {

#define FACESEARCH_DECLARE_BACKEND(name) BackendType name##_backend();
FACESEARCH_STORAGE_BACKENDS(FACESEARCH_DECLARE_BACKEND)

std::span<const BackendType> backend_types() {
#define FACESEARCH_LIST_BACKEND(name) name##_backend(),
  static const BackendType types[] = {FACESEARCH_STORAGE_BACKENDS(FACESEARCH_LIST_BACKEND)};
  return types;
}

std::unique_ptr<Backend> open_backend(const std::string& spec, bool create, std::shared_ptr<VectorCache> vectors) {
  for (const BackendType& type : backend_types())
    if (type.claims(spec)) return type.open(spec, create, std::move(vectors));
  throw std::runtime_error("no storage backend for the library '" + spec + "'");
}

}  // namespace facesearch
