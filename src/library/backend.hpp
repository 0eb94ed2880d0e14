// A storage backend opens a library spec (a directory, a postgresql:// URL, ...) into its three parts: the catalog
// (images and faces), the searcher (nearest faces to a query) and the people store. Backends register one line in
// backends.cpp (in the way DuckDB's storage extensions attach a database); Library opens them through open_backend.
// Adding a backend: a folder src/library/<name>/ with a BackendType factory, plus its line in backends.cpp.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "library/library.hpp"
#include "library/people_store.hpp"
#include "library/searcher.hpp"
#include "library/storage.hpp"

namespace facesearch {

class Backend {
 public:
  virtual ~Backend() = default;
  // The directory or the URL (without a password) the user would recognise.
  virtual std::string location() const = 0;
  // True when the library lives in a database server rather than in a directory.
  virtual bool is_database() const = 0;
  virtual Storage& catalog() = 0;
  virtual Searcher& searcher() = 0;
  // A people store on a connection of its own (safe to use beside the catalog, even from another thread).
  virtual std::unique_ptr<people::PeopleStore> open_people_store() const = 0;
};

struct BackendType {
  const char* name;
  // True when this backend handles `spec`; the registry asks backends in order, so a catch-all goes last.
  bool (*claims)(const std::string& spec);
  // Opens (with `create`, makes) the library. `vectors` shares loaded vectors between Library objects of the same
  // library; backends whose vectors live in a server ignore it.
  std::unique_ptr<Backend> (*open)(const std::string& spec, bool create, std::shared_ptr<VectorCache> vectors);
};

// Every registered backend, in the order they are asked.
std::span<const BackendType> backend_types();
// Opens `spec` with the first backend that claims it. Throws std::runtime_error on failure.
std::unique_ptr<Backend> open_backend(const std::string& spec, bool create,
                                      std::shared_ptr<VectorCache> vectors = nullptr);

}  // namespace facesearch
