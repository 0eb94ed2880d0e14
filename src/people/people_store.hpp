// Compatibility: the people store interface moved to the library layer (library/people_store.hpp); a library
// hands out its own store (Library::open_people_store), whichever backend holds it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "library/library.hpp"
#include "library/people_store.hpp"

namespace facesearch::people {

// The store beside `library` (`library_spec` is no longer needed: the library remembers how it was opened).
inline std::unique_ptr<PeopleStore> open_people_store(const std::string& /*library_spec*/, const Library& library) {
  return library.open_people_store();
}

}  // namespace facesearch::people
