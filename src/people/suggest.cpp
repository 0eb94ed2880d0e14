// People's review helpers: low-quality ("unsure") faces and ranked suggestions (faces for named persons, merges).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "people/people.hpp"
#include "people/quality.hpp"

namespace facesearch::people {

namespace {

float dot(std::span<const float> a, std::span<const float> b) {
  float s = 0;
  for (size_t d = 0; d < a.size() && d < b.size(); ++d) s += a[d] * b[d];
  return s;
}

// A person's faces as one running sum of unit vectors: the mean similarity of a face to them is dot(v, sum) / n.
struct Members {
  std::vector<float> sum;
  size_t count = 0;
  std::set<std::int64_t> photos;
  std::vector<FaceId> faces;
};

}  // namespace

std::vector<UnsureFace> People::unsure() {
  const PeopleSnapshot snap = store_.load();
  std::unordered_map<FaceId, const AssignmentRow*> assignment;
  for (const auto& a : snap.assignments) assignment[a.face] = &a;
  std::vector<LibraryFace> faces;
  library_.for_each_face([&](const LibraryFace& f) {
    faces.push_back(f);
    faces.back().face.embedding.clear();
    return true;
  });
  const auto reasons = low_quality_reasons(faces);
  std::vector<UnsureFace> out;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (reasons[i].empty()) continue;
    auto it = assignment.find(faces[i].id);
    if (it != assignment.end() && it->second->by_user) continue;  // the user put it there: not unsure any more
    out.push_back({faces[i], reasons[i], it == assignment.end() ? 0 : it->second->person});
  }
  return out;
}

Suggestions People::suggest(PersonId only, size_t top) {
  const PeopleSnapshot snap = store_.load();
  if (only) require_person(snap, only);
  std::map<PersonId, const PersonRow*> rows;
  for (const auto& p : snap.persons) rows[p.id] = &p;
  std::unordered_map<FaceId, PersonId> person_of;
  for (const auto& a : snap.assignments) person_of[a.face] = a.person;
  std::set<std::pair<FaceId, PersonId>> rejected;
  for (const auto& r : snap.rejects) rejected.emplace(r.face, r.person);
  std::set<std::pair<PersonId, PersonId>> not_same;
  for (const auto& [a, b] : snap.not_same) {
    const PersonId x = current_person(snap, a), y = current_person(snap, b);
    not_same.emplace(std::min(x, y), std::max(x, y));
  }

  // Every face with its embedding, and the persons' running sums.
  std::vector<LibraryFace> faces;
  std::map<PersonId, Members> members;
  library_.for_each_face([&](const LibraryFace& f) {
    if (f.face.embedding.empty()) return true;
    faces.push_back(f);
    if (auto it = person_of.find(f.id); it != person_of.end() && rows.count(it->second)) {
      Members& m = members[it->second];
      m.sum.resize(f.face.embedding.size(), 0.f);
      for (size_t d = 0; d < m.sum.size(); ++d) m.sum[d] += f.face.embedding[d];
      ++m.count;
      m.photos.insert(f.image_id);
      m.faces.push_back(f.id);
    }
    return true;
  });
  auto named = [&](PersonId p) { return rows.count(p) && !rows.at(p)->name.empty(); };

  Suggestions out;
  // (a) Faces: each candidate goes to the named person it matches best on average, if that is a match at all.
  std::map<PersonId, std::vector<FaceSuggestion>> by_person;
  for (const auto& f : faces) {
    const PersonId current = person_of.count(f.id) ? person_of.at(f.id) : 0;
    if (current && named(current)) continue;  // in a named person: moving it is the user's call, not a suggestion
    FaceSuggestion best;
    best.similarity = params_.link_similarity;
    for (const auto& [p, m] : members) {
      if (!named(p) || rejected.count({f.id, p}) || m.photos.count(f.image_id)) continue;
      const float s = dot(f.face.embedding, m.sum) / static_cast<float>(m.count);
      if (s >= best.similarity) best = {p, rows.at(p)->name, f, current, s};
    }
    if (!best.person || (only && best.person != only)) continue;
    best.face.face.embedding.clear();
    by_person[best.person].push_back(std::move(best));
  }
  for (auto& [p, list] : by_person) {
    std::sort(list.begin(), list.end(), [](auto& x, auto& y) { return x.similarity > y.similarity; });
    if (top && list.size() > top) list.resize(top);
    for (auto& s : list) out.faces.push_back(std::move(s));
  }

  // (b) Merges: pairs of persons whose faces match on average, not sharing a photo, not declared different.
  std::vector<PersonId> ids;
  for (const auto& [p, m] : members) ids.push_back(p);
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = i + 1; j < ids.size(); ++j) {
      const PersonId a = ids[i], b = ids[j];
      if (only && a != only && b != only) continue;
      if (named(a) && named(b)) continue;  // two names: the user already told them apart
      if (not_same.count({std::min(a, b), std::max(a, b)})) continue;
      const Members &ma = members[a], &mb = members[b];
      const float s = dot(ma.sum, mb.sum) / static_cast<float>(ma.count * mb.count);
      if (s < params_.link_similarity) continue;
      if (std::any_of(ma.photos.begin(), ma.photos.end(), [&](auto photo) { return mb.photos.count(photo) > 0; }))
        continue;
      out.merges.push_back({PersonSummary{a, {}, 0, std::nullopt}, PersonSummary{b, {}, 0, std::nullopt}, s});
    }
  std::sort(out.merges.begin(), out.merges.end(), [](auto& x, auto& y) { return x.similarity > y.similarity; });
  if (top && out.merges.size() > top) out.merges.resize(top);
  for (auto& m : out.merges) {  // covers only for what is shown
    m.a = summarize(*rows.at(m.a.id), members[m.a.id].faces);
    m.b = summarize(*rows.at(m.b.id), members[m.b.id].faces);
  }
  return out;
}

void People::not_same(PersonId a, PersonId b) {
  const PeopleSnapshot snap = store_.load();
  require_person(snap, a);
  require_person(snap, b);
  if (a == b) throw PeopleError("a person is always the same person as itself");
  update([&](PeopleWriter& w) { w.add_not_same(a, b); });
}

}  // namespace facesearch::people
