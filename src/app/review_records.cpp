// JSON records of the people review: unsure faces and suggestions (records.hpp documents the fields).
#include <cmath>

#include "app/records.hpp"

namespace facesearch {

using nlohmann::json;

namespace {

double similarity_value(float s) { return std::round(static_cast<double>(s) * 1e4) / 1e4; }

json person_or_null(people::PersonId p) { return p ? json(p) : json(nullptr); }

}  // namespace

json unsure_face_json(const people::UnsureFace& f) {
  json j = library_face_json(f.face);
  j["unsure"] = true;
  j["unsure_reasons"] = f.reasons;
  j["person"] = person_or_null(f.person);
  return j;
}

json face_suggestion_json(const people::FaceSuggestion& s) {
  json j = library_face_json(s.face);
  j["kind"] = "face";
  j["person"] = s.person;
  j["name"] = person_json(people::PersonSummary{s.person, s.name, 0, std::nullopt})["name"];
  j["current_person"] = person_or_null(s.current);
  j["similarity"] = similarity_value(s.similarity);
  return j;
}

json merge_suggestion_json(const people::MergeSuggestion& s) {
  return {{"kind", "merge"}, {"a", person_json(s.a)}, {"b", person_json(s.b)}, {"similarity", similarity_value(s.similarity)}};
}

json suggestions_json(const people::Suggestions& s) {
  json faces = json::array(), merges = json::array();
  for (const auto& f : s.faces) faces.push_back(face_suggestion_json(f));
  for (const auto& m : s.merges) merges.push_back(merge_suggestion_json(m));
  return {{"faces", faces}, {"merges", merges}};
}

}  // namespace facesearch
