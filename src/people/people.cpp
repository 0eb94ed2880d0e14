#include "people/people.hpp"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "people/quality.hpp"

namespace facesearch::people {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

FaceAnchor anchor_of(const LibraryFace& f) { return {f.path.string(), f.face.box}; }

float dot_sum(std::span<const float> v, const std::vector<float>& sum) {
  float s = 0;
  for (size_t d = 0; d < v.size() && d < sum.size(); ++d) s += v[d] * sum[d];
  return s;
}

// What cluster() needs of every face of the library.
struct LibraryFaces {
  ClusterFaces rows;
  std::vector<FaceAnchor> anchors;
  std::unordered_map<FaceId, size_t> row_of;
  std::unordered_map<std::string, std::vector<size_t>> rows_by_path;
};

LibraryFaces read_faces(Library& library) {
  LibraryFaces out;
  std::vector<LibraryFace> records;  // without embeddings: for the quality of each row
  library.for_each_face([&](const LibraryFace& f) {
    if (f.face.embedding.empty()) return true;
    out.row_of[f.id] = out.rows.size();
    out.rows_by_path[f.path.string()].push_back(out.rows.size());
    out.rows.add(f.id, f.image_id, f.face.embedding);
    out.anchors.push_back(anchor_of(f));
    records.push_back(f);
    records.back().face.embedding.clear();
    return true;
  });
  const auto reasons = low_quality_reasons(records);
  for (size_t i = 0; i < reasons.size(); ++i) out.rows.low_quality[i] = reasons[i].empty() ? 0 : 1;
  return out;
}

// Where a decision about `face` belongs now: the face itself, or the face at the same place of the same photo
// after re-indexing gave it a new id, or nothing (0).
FaceId relocate(const LibraryFaces& faces, FaceId face, const FaceAnchor& anchor) {
  if (faces.row_of.count(face)) return face;
  auto it = faces.rows_by_path.find(anchor.path);
  if (it == faces.rows_by_path.end()) return 0;
  FaceId best = 0;
  float best_iou = 0.5f;
  for (size_t r : it->second) {
    const float overlap = iou(anchor.box, faces.anchors[r].box);
    if (overlap >= best_iou) {
      best_iou = overlap;
      best = faces.rows.ids[r];
    }
  }
  return best;
}

}  // namespace

People::People(Library& library, PeopleStore& store, ClusterParams params)
    : library_(library), store_(store), params_(params) {}

void People::update(const std::function<void(PeopleWriter&)>& change) { store_.update(change); }

LibraryFace People::require_face(FaceId id) {
  auto f = library_.face(id);
  if (!f) throw PeopleError("no face " + std::to_string(id) + " in the library");
  return *f;
}

void People::require_person(const PeopleSnapshot& s, PersonId id) {
  for (const auto& p : s.persons)
    if (p.id == id) return;
  throw PeopleError("no person " + std::to_string(id));
}

void People::check_same_photo(const PeopleSnapshot& s, PersonId person, const LibraryFace& face) {
  for (const auto& a : s.assignments) {
    if (a.person != person || a.face == face.id) continue;
    auto other = library_.face(a.face);
    if (other && other->image_id == face.image_id)
      throw PeopleError("face " + std::to_string(other->id) + " of person " + std::to_string(person) +
                        " is in the same photo (" + face.path.string() +
                        "); two faces of one photo cannot be one person");
  }
}

ClusterReport People::cluster(bool reset) {
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    ClusterReport report;
    const PeopleSnapshot snap = store_.load();
    LibraryFaces faces = read_faces(library_);
    report.faces = faces.rows.size();
    std::set<PersonId> existing;
    for (const auto& p : snap.persons) existing.insert(p.id);

    // 1. Decisions follow their faces through re-indexing; decisions about vanished faces are dropped.
    std::map<FaceId, FaceId> rekeys;  // old id -> new id (0: gone)
    std::unordered_set<FaceId> taken;
    auto place = [&](FaceId face, const FaceAnchor& anchor) {
      if (auto it = rekeys.find(face); it != rekeys.end()) return it->second;
      FaceId now = relocate(faces, face, anchor);
      if (now != face) {
        if (now && !taken.insert(now).second) now = 0;
        rekeys[face] = now;
        ++(now ? report.relinked : report.dropped);
      }
      return now;
    };
    for (const auto& a : snap.assignments)
      if (faces.row_of.count(a.face)) taken.insert(a.face);
    std::unordered_map<FaceId, std::pair<PersonId, bool>> assigned;  // face -> (person, by user)
    std::unordered_map<FaceId, PersonId> previous_auto;
    for (const auto& a : snap.assignments) {
      const FaceId face = place(a.face, a.anchor);
      if (!face || !existing.count(a.person)) continue;
      if (reset && !a.by_user) {
        previous_auto[face] = a.person;
        continue;
      }
      assigned[face] = {a.person, a.by_user};
    }
    std::vector<Reject> rejects;
    for (const auto& r : snap.rejects)
      if (FaceId face = place(r.face, r.anchor)) rejects.push_back({face, r.person});

    // 2. Cluster: assigned faces are seeds, the rest is free.
    std::set<PersonId> seeded;
    for (size_t i = 0; i < faces.rows.size(); ++i)
      if (auto it = assigned.find(faces.rows.ids[i]); it != assigned.end()) {
        faces.rows.persons[i] = it->second.first;
        seeded.insert(it->second.first);
        ++report.seeds;
      }
    const ClusterResult result = cluster_faces(faces.rows, rejects, params_);

    // A reset keeps the ids of unnamed persons where a new group is mostly an old one (stable links, scripts).
    std::map<PersonId, PersonId> label_to_person;
    if (reset) {
      std::map<std::pair<PersonId, PersonId>, size_t> overlap;  // (new label, old person) -> faces
      for (size_t i = 0; i < faces.rows.size(); ++i)
        if (result.persons[i] < 0)
          if (auto it = previous_auto.find(faces.rows.ids[i]); it != previous_auto.end())
            ++overlap[{result.persons[i], it->second}];
      std::vector<std::tuple<size_t, PersonId, PersonId>> candidates;
      for (auto& [key, count] : overlap) candidates.emplace_back(count, key.first, key.second);
      std::sort(candidates.begin(), candidates.end(), [](auto& x, auto& y) { return std::get<0>(x) > std::get<0>(y); });
      std::set<PersonId> used;
      for (auto& [count, label, old] : candidates)
        if (!label_to_person.count(label) && !used.count(old) && !seeded.count(old)) {
          label_to_person[label] = old;
          used.insert(old);
        }
    }

    const bool written = store_.update(
        [&](PeopleWriter& w) {
          for (auto& [from, to] : rekeys) w.rekey_face(from, to);
          if (reset) w.clear_auto();
          std::map<PersonId, std::vector<size_t>> members;
          for (size_t i = 0; i < faces.rows.size(); ++i) {
            PersonId p = result.persons[i];
            if (p == 0) {
              ++report.unassigned;
              continue;
            }
            const bool seed = faces.rows.persons[i] != 0;
            if (p < 0) {
              auto [it, fresh] = label_to_person.emplace(p, 0);
              if (fresh || it->second == 0) it->second = w.create_person("");
              p = it->second;
              ++report.new_person_faces;
            } else if (!seed) {
              ++report.joined;
            }
            if (!seed) w.assign({faces.rows.ids[i], p, false, faces.anchors[i]});
            members[p].push_back(i);
          }
          report.new_persons = result.new_persons;
          report.attached = result.attached;
          for (size_t i = 0; i < faces.rows.size(); ++i)
            report.low_quality += faces.rows.low_quality[i] && !faces.rows.persons[i];
          report.persons = members.size();
          // The cover is the most typical face: the one closest to the person's mean.
          for (auto& [person, rows] : members) {
            std::vector<float> sum(static_cast<size_t>(faces.rows.dim), 0.f);
            for (size_t r : rows) {
              auto v = faces.rows.vector(r);
              for (size_t d = 0; d < sum.size(); ++d) sum[d] += v[d];
            }
            size_t best = rows.front();
            for (size_t r : rows)
              if (dot_sum(faces.rows.vector(r), sum) > dot_sum(faces.rows.vector(best), sum)) best = r;
            w.set_cover(person, faces.rows.ids[best]);
          }
          for (const auto& p : snap.persons)
            if (p.name.empty() && !members.count(p.id)) w.delete_person(p.id);
        },
        snap.generation);
    if (written) {
      report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return report;
    }
    if (attempt >= 2) throw PeopleError("persons keep changing while clustering (another process?); try again");
  }
}

PersonSummary People::summarize(const PersonRow& p, const std::vector<FaceId>& members) {
  PersonSummary s{p.id, p.name, 0, std::nullopt, p.hidden};
  for (FaceId f : members) {
    auto face = library_.face(f);
    if (!face) continue;  // gone since the last `cluster`
    ++s.face_count;
    if (!s.cover || f == p.cover) s.cover = *face;
  }
  return s;
}

PersonSummary People::summary(PersonId person) {
  const PeopleSnapshot snap = store_.load();
  std::vector<FaceId> members;
  for (const auto& a : snap.assignments)
    if (a.person == person) members.push_back(a.face);
  for (const auto& p : snap.persons)
    if (p.id == person) return summarize(p, members);
  throw PeopleError("no person " + std::to_string(person));
}

std::vector<PersonSummary> People::list(bool include_hidden) {
  const PeopleSnapshot snap = store_.load();
  std::map<PersonId, std::vector<FaceId>> members;
  for (const auto& a : snap.assignments) members[a.person].push_back(a.face);
  std::vector<PersonSummary> out;
  for (const auto& p : snap.persons) {
    if (p.hidden && !include_hidden) continue;
    PersonSummary s = summarize(p, members[p.id]);
    if (s.face_count || !s.name.empty()) out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.face_count > b.face_count; });
  return out;
}

PersonSpec parse_person_spec(const std::string& text, bool allow_new) {
  if (text.empty()) throw PeopleError("a person is an id or a name, not an empty text");
  PersonSpec spec;
  if (allow_new && text == "new") {
    spec.is_new = true;
  } else if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    try {
      spec.id = std::stoll(text);
    } catch (const std::out_of_range&) {
      throw PeopleError("no person " + text);
    }
  } else {
    spec.name = text;
  }
  return spec;
}

PersonId People::resolve(const std::string& text) {
  const PersonSpec spec = parse_person_spec(text);
  const PeopleSnapshot snap = store_.load();
  if (spec.name.empty()) {
    const PersonId id = current_person(snap, spec.id);
    require_person(snap, id);
    return id;
  }
  for (const auto& p : snap.persons)
    if (!p.name.empty() && lower(p.name) == lower(spec.name)) return p.id;
  throw PeopleError("no person named \"" + spec.name + "\" (see `facesearch people list`)");
}

std::vector<PersonFace> People::faces_of(PersonId person) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, person);
  std::vector<PersonFace> out;
  std::vector<Embedding> embeddings;
  for (const auto& a : snap.assignments) {
    if (a.person != person) continue;
    auto f = library_.face(a.face, /*with_embedding=*/true);
    if (!f) continue;
    embeddings.push_back(std::move(f->face.embedding));
    f->face.embedding.clear();
    out.push_back({std::move(*f), a.by_user, 0.f});
  }
  if (out.empty()) return out;
  const Embedding mean = combine_queries(embeddings);
  for (size_t i = 0; i < out.size(); ++i) out[i].similarity = dot_sum(embeddings[i], mean);
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.similarity > b.similarity; });
  return out;
}

namespace {

bool valid_utf8(const std::string& text) {
  // nlohmann's strict decoder throws on any invalid sequence: the library's check, not a hand-written one.
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

void People::name(PersonId person, const std::string& name) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, person);
  if (name.empty()) throw PeopleError("a name cannot be empty");
  // Names are printed to terminals and pages: control characters (escape sequences, newlines, NUL) are refused,
  // and so are bytes that are not UTF-8.
  for (const unsigned char c : name)
    if (c < 0x20 || c == 0x7F) throw PeopleError("a name cannot contain control characters (newlines, tabs, escapes)");
  if (!valid_utf8(name)) throw PeopleError("a name must be UTF-8 text");
  if (name.size() > 200) throw PeopleError("a name can be at most 200 bytes long");
  for (const auto& p : snap.persons)
    if (p.id != person && !p.name.empty() && lower(p.name) == lower(name))
      throw PeopleError("person " + std::to_string(p.id) + " is already called \"" + p.name +
                        "\"; if they are the same person: facesearch people merge " + std::to_string(person) + " " +
                        std::to_string(p.id));
  update([&](PeopleWriter& w) {
    w.rename(person, name);
    w.confirm_person(person);
  });
}

void People::merge(PersonId from, PersonId into) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, from);
  require_person(snap, into);
  if (from == into) throw PeopleError("a person cannot be merged with itself");
  std::unordered_map<std::int64_t, FaceId> photos_of_into;
  for (const auto& a : snap.assignments)
    if (a.person == into)
      if (auto f = library_.face(a.face)) photos_of_into[f->image_id] = f->id;
  for (const auto& a : snap.assignments)
    if (a.person == from)
      if (auto f = library_.face(a.face); f && photos_of_into.count(f->image_id))
        throw PeopleError("faces " + std::to_string(f->id) + " and " + std::to_string(photos_of_into[f->image_id]) +
                          " are in the same photo (" + f->path.string() +
                          "); move one of them out first (facesearch people move FACE_ID new)");
  std::string from_name, into_name;
  for (const auto& p : snap.persons) {
    if (p.id == from) from_name = p.name;
    if (p.id == into) into_name = p.name;
  }
  update([&](PeopleWriter& w) {
    for (const auto& a : snap.assignments)
      if (a.person == from) w.assign({a.face, into, true, a.anchor});
    w.confirm_person(into);
    w.move_rejects(from, into);
    w.record_merge(from, into);
    w.delete_person(from);
    if (into_name.empty() && !from_name.empty()) w.rename(into, from_name);
  });
}

PersonId People::move(FaceId face_id, PersonId to) {
  const PeopleSnapshot snap = store_.load();
  const LibraryFace face = require_face(face_id);
  if (to) {
    require_person(snap, to);
    check_same_photo(snap, to, face);
  }
  PersonId old = 0;
  size_t old_size = 0;
  std::string old_name;
  for (const auto& a : snap.assignments)
    if (a.face == face_id) old = a.person;
  for (const auto& a : snap.assignments) old_size += old && a.person == old;
  for (const auto& p : snap.persons)
    if (p.id == old) old_name = p.name;
  PersonId result = to;
  update([&](PeopleWriter& w) {
    if (!result) result = w.create_person("");
    w.assign({face_id, result, true, anchor_of(face)});
    w.remove_reject(face_id, result);
    w.confirm_person(result);  // the user looked at this person: a reset must not take it apart
    if (old && old != result && old_size == 1 && old_name.empty()) w.delete_person(old);
  });
  return result;
}

PersonId People::split(PersonId from, const std::vector<FaceId>& faces) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, from);
  if (faces.empty()) throw PeopleError("split needs at least one face id");
  std::set<FaceId> members;
  for (const auto& a : snap.assignments)
    if (a.person == from) members.insert(a.face);
  std::vector<LibraryFace> moving;
  for (FaceId f : faces) {
    if (!members.count(f)) throw PeopleError("face " + std::to_string(f) + " is not in person " + std::to_string(from));
    moving.push_back(require_face(f));
  }
  PersonId created = 0;
  update([&](PeopleWriter& w) {
    created = w.create_person("");
    for (const auto& f : moving) w.assign({f.id, created, true, anchor_of(f)});
    // What stays is confirmed too: the user looked at this person and kept these faces.
    w.confirm_person(from);
  });
  return created;
}

void People::reject(FaceId face_id, PersonId person) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, person);
  const LibraryFace face = require_face(face_id);
  update([&](PeopleWriter& w) {
    w.add_reject({face_id, person, anchor_of(face)});
    for (const auto& a : snap.assignments)
      if (a.face == face_id && a.person == person) w.unassign(face_id);
    // The rest of the person is confirmed: after a reset the rejected face could otherwise come back with it.
    w.confirm_person(person);
  });
}

void People::set_hidden(PersonId person, bool hidden) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, person);
  update([&](PeopleWriter& w) {
    w.set_hidden(person, hidden);
    w.confirm_person(person);
  });
}

}  // namespace facesearch::people
