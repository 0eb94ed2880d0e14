// Where persons and the user's decisions about them are kept. Narrow on purpose: a snapshot to read, and a few
// writes applied atomically. Each storage backend (src/library/<backend>/) implements it beside its catalog, and
// Library hands it out; it lives in the library layer so fs_library never depends on fs_people.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/face.hpp"
#include "vector/vector_index.hpp"

namespace facesearch::people {

using PersonId = std::int64_t;  // also declared by people/cluster.hpp (same type)

// Where a face was: re-indexing a changed photo (or --reembed) gives its faces new ids, and a decision about the
// face is carried over to the new face found at the same place of the same photo.
struct FaceAnchor {
  std::string path;
  Box box;
};

struct PersonRow {
  PersonId id = 0;
  std::string name;  // empty: not named yet
  std::int64_t created = 0;
  FaceId cover = 0;  // representative face (most typical), 0 when unknown
  bool hidden = false;  // left out of people lists unless asked for (`people hide`)
};

struct AssignmentRow {
  FaceId face = 0;
  PersonId person = 0;
  bool by_user = false;  // user decisions are kept by `cluster --reset`; 'auto' rows are redone
  FaceAnchor anchor;
};

struct RejectRow {
  FaceId face = 0;
  PersonId person = 0;
  FaceAnchor anchor;
};

struct PeopleSnapshot {
  std::vector<PersonRow> persons;
  std::vector<AssignmentRow> assignments;
  std::vector<RejectRow> rejects;
  std::map<PersonId, PersonId> merged_into;  // merged (gone) person -> the person it went into
  std::vector<std::pair<PersonId, PersonId>> not_same;  // "not the same person" pairs (first < second), as decided
  std::int64_t generation = 0;               // goes up with every update
};

class PeopleWriter {
 public:
  virtual ~PeopleWriter() = default;
  virtual PersonId create_person(const std::string& name) = 0;  // ids are never reused
  virtual void rename(PersonId person, const std::string& name) = 0;
  virtual void set_cover(PersonId person, FaceId face) = 0;
  virtual void set_hidden(PersonId person, bool hidden) = 0;
  virtual void delete_person(PersonId person) = 0;  // with its assignments and rejects
  virtual void assign(const AssignmentRow& row) = 0;  // insert or replace the face's row
  virtual void unassign(FaceId face) = 0;
  virtual void confirm_person(PersonId person) = 0;  // every face of the person becomes a user decision
  virtual void clear_auto() = 0;                     // drop every automatic assignment
  virtual void add_reject(const RejectRow& row) = 0;
  virtual void remove_reject(FaceId face, PersonId person) = 0;
  virtual void move_rejects(PersonId from, PersonId into) = 0;
  // The face was found again under a new id (assignment and rejects follow it), or is gone (new_face == 0).
  virtual void rekey_face(FaceId old_face, FaceId new_face) = 0;
  virtual void record_merge(PersonId from, PersonId into) = 0;
  // "These two persons are not the same person" (a rejected merge suggestion); order does not matter.
  virtual void add_not_same(PersonId a, PersonId b) = 0;
};

class PeopleStore {
 public:
  virtual ~PeopleStore() = default;
  virtual PeopleSnapshot load() = 0;
  // Runs `change` in one transaction. With expected_generation >= 0, does nothing and returns false when another
  // process changed the store since that generation was read.
  virtual bool update(const std::function<void(PeopleWriter&)>& change, std::int64_t expected_generation = -1) = 0;
};

// The embedded library's store in <library_dir>/catalog.sqlite, on a connection of its own (the library must have been
// opened once, which creates its tables). Library::open_people_store() is the way in for other code.
std::unique_ptr<PeopleStore> open_sqlite_people_store(const std::filesystem::path& library_dir);

// A PostgreSQL library's store (`url` with its password), on a connection of its own.
std::unique_ptr<PeopleStore> open_postgres_people_store(const std::string& url);

// Follows recorded merges: the person an old id refers to now.
inline PersonId current_person(const PeopleSnapshot& snapshot, PersonId id) {
  // Merge records form chains (a -> b, later b -> c); a bound on the steps guards against a corrupt cycle.
  for (size_t steps = 0; steps <= snapshot.merged_into.size(); ++steps) {
    auto it = snapshot.merged_into.find(id);
    if (it == snapshot.merged_into.end()) return id;
    id = it->second;
  }
  return id;
}

}  // namespace facesearch::people
