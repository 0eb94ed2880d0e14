// People of a library: automatic grouping of its faces into persons, and the user's corrections on top of it.
//
// What survives what:
//  - `cluster` (incremental): faces already in a person stay there; new and unassigned faces join a person they
//    match or form new persons among themselves.
//  - `cluster --reset`: automatic assignments are redone; user decisions stay. Any edit of a person (name, merge,
//    move into it, split, reject) confirms the faces it has then: the user has looked at it, so a reset leaves it
//    whole (new faces may still join it). "Not this person" rejections are kept as constraints.
//  - Re-indexing: a photo analysed again gets new face ids; every decision follows its face to the new id found at
//    the same place (same path, box IoU >= 0.5) in the next `cluster`. Faces that are gone are forgotten.
//  - Two faces of one photo are never one person, for the clustering and for the user's own moves and merges.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "library/library.hpp"
#include "library/people_store.hpp"
#include "people/cluster.hpp"

namespace facesearch::people {

// A request that cannot be done (unknown person or face, a constraint it would break); the message says why.
class PeopleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a user names a person: an id ("17"; an id merged away leads to the person it went into), a name
// (case-insensitive), or, where a new person may be made (`people move`), "new".
struct PersonSpec {
  PersonId id = 0;   // when the text is digits
  std::string name;  // when it is not (empty for an id)
  bool is_new = false;
};
// Throws PeopleError for an empty text.
PersonSpec parse_person_spec(const std::string& text, bool allow_new = false);

struct PersonSummary {
  PersonId id = 0;
  std::string name;
  size_t face_count = 0;
  std::optional<LibraryFace> cover;  // representative face
  bool hidden = false;               // `people hide`: left out of lists unless asked for
};

struct PersonFace {
  LibraryFace face;  // without embedding
  bool by_user = false;
  float similarity = 0;  // to the person's mean face
};

// A low-quality face (people/quality.hpp) that is in no person, or only attached to one by the clustering.
struct UnsureFace {
  LibraryFace face;  // without embedding
  std::vector<std::string> reasons;
  PersonId person = 0;  // the person it was attached to, 0 when unassigned
};

// "This face is likely that named person": a face in no person or in an unnamed one (`current`).
struct FaceSuggestion {
  PersonId person = 0;
  std::string name;
  LibraryFace face;  // without embedding
  PersonId current = 0;
  float similarity = 0;  // mean similarity to the person's faces
};

// "These two persons may be one": mean similarity of their faces, most likely first.
struct MergeSuggestion {
  PersonSummary a, b;
  float similarity = 0;
};

struct Suggestions {
  std::vector<FaceSuggestion> faces;  // by person, most likely first
  std::vector<MergeSuggestion> merges;
};

struct ClusterReport {
  size_t faces = 0;        // in the library
  size_t seeds = 0;        // already in a person before this run
  size_t joined = 0;       // free faces that joined an existing person
  size_t new_persons = 0;
  size_t new_person_faces = 0;
  size_t unassigned = 0;   // faces in no person after the run
  size_t low_quality = 0;  // free faces too poor to seed or join (people/quality.hpp)...
  size_t attached = 0;     // ...of which this many were attached to a person they clearly match
  size_t persons = 0;      // persons with at least one face
  size_t relinked = 0;     // decisions carried over to a re-indexed face's new id
  size_t dropped = 0;      // decisions about faces that are gone
  double seconds = 0;
};

class People {
 public:
  People(Library& library, PeopleStore& store, ClusterParams params);

  ClusterReport cluster(bool reset);

  // Persons with at least one face, or a name; most faces first. Hidden ones only with `include_hidden`.
  std::vector<PersonSummary> list(bool include_hidden = true);
  // One person as list() describes it (without following merges). Throws PeopleError when unknown.
  PersonSummary summary(PersonId person);
  // "17" (an id, following merges) or a name (case-insensitive). Throws PeopleError when unknown.
  PersonId resolve(const std::string& spec);
  // The person's faces, most typical first.
  std::vector<PersonFace> faces_of(PersonId person);

  // Names a person and confirms its faces. A name belongs to one person (merge instead).
  void name(PersonId person, const std::string& name);
  // `from` goes into `into` (its faces, rejections and name if `into` has none); both confirmed.
  void merge(PersonId from, PersonId into);
  // The face goes to `to` (0: a new person), as a user decision. Returns the person it is in now.
  PersonId move(FaceId face, PersonId to);
  // These faces of `from` become a new person. Returns its id.
  PersonId split(PersonId from, const std::vector<FaceId>& faces);
  // "This face is not that person": it leaves the person and never goes back automatically.
  void reject(FaceId face, PersonId person);
  // Hides a person from lists (strangers, background faces) or shows it again; its faces stay searchable. Like any
  // edit it confirms the person's faces, so the person (and the flag) survive `cluster --reset`.
  void set_hidden(PersonId person, bool hidden);

  // Low-quality faces that are unassigned or were attached automatically (suggest.cpp).
  std::vector<UnsureFace> unsure();
  // For each named person (or only `person`), its `top` likeliest faces among those in no person or an unnamed
  // one; and the `top` likeliest pairs of persons to merge (involving `person` when given). Rejected suggestions
  // (reject(face, person), not_same(a, b)) are never made again.
  Suggestions suggest(PersonId person, size_t top);
  // A rejected merge suggestion: "a and b are not the same person".
  void not_same(PersonId a, PersonId b);

 private:
  LibraryFace require_face(FaceId id);
  // The person's faces that still exist in the library, and its cover among them.
  PersonSummary summarize(const PersonRow& p, const std::vector<FaceId>& members);
  void require_person(const PeopleSnapshot& s, PersonId id);
  // Throws PeopleError when one of `person`'s faces (other than `face`) comes from `face`'s photo.
  void check_same_photo(const PeopleSnapshot& s, PersonId person, const LibraryFace& face);
  void update(const std::function<void(PeopleWriter&)>& change);

  Library& library_;
  PeopleStore& store_;
  ClusterParams params_;
};

}  // namespace facesearch::people
