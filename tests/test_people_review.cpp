// People review (issue 14): low-quality faces never shape persons, suggestions are right, answers last.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "engine/engine.hpp"
#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "people/cluster.hpp"
#include "people/people.hpp"
#include "people/quality.hpp"
#include "people_labels.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using namespace facesearch::people;

namespace {

// A direction in 8-d between axes a and b (t = 0: a, t = 1: b).
std::vector<float> between(int a, int b, float t) {
  std::vector<float> v(8, 0.f);
  v[static_cast<size_t>(a)] = 1.f - t;
  v[static_cast<size_t>(b)] = t;
  return fstest::unit_length(std::move(v));
}

std::map<FaceId, PersonId> person_of(const PeopleSnapshot& s) {
  std::map<FaceId, PersonId> out;
  for (const auto& a : s.assignments) out[a.face] = a.person;
  return out;
}

ClusterParams default_params() { return ClusterParams::from_pack(resolve_pack(EngineConfig{})); }

}  // namespace

TEST(ClusterQuality, LowQualityFacesNeverSeedNorBridge) {
  ClusterParams params;
  params.link_similarity = 0.5f;
  params.mean_similarity = 0.3f;  // low enough for face 5 to pull A and B together when it counts
  params.single_join_similarity = 0.3f;
  params.attach_similarity = 0.8f;
  ClusterFaces faces;
  faces.add(1, 1, between(0, 1, 0.05f));
  faces.add(2, 2, between(0, 1, 0.10f));  // group A: axis 0
  faces.add(3, 3, between(0, 1, 0.95f));
  faces.add(4, 4, between(0, 1, 0.90f));  // group B: axis 1
  faces.add(5, 5, between(0, 1, 0.50f), 0, true);  // half way: would bridge A and B, but is low quality
  faces.add(6, 6, between(0, 1, 0.08f), 0, true);  // clearly A: attached
  faces.add(7, 7, between(4, 5, 0.1f), 0, true);   // a pair of low-quality faces: never a person of their own
  faces.add(8, 8, between(4, 5, 0.12f), 0, true);
  auto r = cluster_faces(faces, {}, params);
  EXPECT_LT(r.persons[0], 0);
  EXPECT_EQ(r.persons[0], r.persons[1]);
  EXPECT_LT(r.persons[2], 0);
  EXPECT_EQ(r.persons[2], r.persons[3]);
  EXPECT_NE(r.persons[0], r.persons[2]);  // not bridged
  EXPECT_EQ(r.persons[4], 0);             // matches both only loosely: not attached
  EXPECT_EQ(r.persons[5], r.persons[0]);  // attached to A
  EXPECT_EQ(r.persons[6], 0);
  EXPECT_EQ(r.persons[7], 0);
  EXPECT_EQ(r.attached, 1u);
  EXPECT_EQ(r.new_persons, 2u);

  // The same faces all of good quality: face 5 joins the two groups into one, 7 and 8 form a person.
  faces.low_quality.assign(faces.size(), 0);
  r = cluster_faces(faces, {}, params);
  EXPECT_EQ(r.persons[0], r.persons[2]);
  EXPECT_NE(r.persons[6], 0);
}

// Must show: on the group photos no person is made of background faces only. A background face is one whose box
// is less than 0.4x as tall as the largest face of its photo.
TEST(PeopleReview, NoPersonOfBackgroundFacesOnly) {
  const fs::path lib_dir = fstest::scratch_dir("review-group-photos");
  Library library(lib_dir);
  const fs::path data = fstest::shared_data();
  library.index({data / "group_photos", data / "deepface_testset" / "group", data / "faceapi_bbt" / "group"},
                EngineConfig{}, IndexOptions{});
  std::map<std::int64_t, float> largest;
  std::vector<LibraryFace> all;
  library.for_each_face([&](const LibraryFace& f) {
    largest[f.image_id] = std::max(largest[f.image_id], f.face.box.height());
    all.push_back(f);
    return true;
  });
  std::set<FaceId> background;
  for (const auto& f : all)
    if (f.face.box.height() < 0.4f * largest[f.image_id]) background.insert(f.id);
  ASSERT_GT(background.size(), 100u) << "the group photos should have many background faces";

  auto store = library.open_people_store();
  People people(library, *store, default_params());
  const auto report = people.cluster(false);
  std::map<PersonId, std::pair<size_t, size_t>> counts;  // person -> (faces, background faces)
  for (const auto& [face, person] : person_of(store->load())) {
    ++counts[person].first;
    counts[person].second += background.count(face);
  }
  size_t background_only = 0;
  for (const auto& [person, c] : counts)
    if (c.first == c.second) ++background_only;
  // What the same faces give without the quality gate, to show the gate is what keeps them out.
  ClusterFaces ungated;
  for (const auto& f : all) ungated.add(f.id, f.image_id, f.face.embedding);
  const auto plain = cluster_faces(ungated, {}, default_params());
  std::map<PersonId, std::pair<size_t, size_t>> plain_counts;
  for (size_t i = 0; i < all.size(); ++i)
    if (plain.persons[i]) {
      ++plain_counts[plain.persons[i]].first;
      plain_counts[plain.persons[i]].second += background.count(all[i].id);
    }
  size_t plain_background_only = 0;
  for (const auto& [person, c] : plain_counts) plain_background_only += c.first == c.second;
  std::printf("%zu faces (%zu background) -> %zu persons, %zu low-quality faces (%zu attached); persons of background "
              "faces only: %zu (without the quality gate: %zu of %zu persons)\n",
              report.faces, background.size(), report.persons, report.low_quality, report.attached, background_only,
              plain_background_only, plain_counts.size());
  EXPECT_EQ(background_only, 0u);
  EXPECT_GT(report.low_quality, background.size() / 2);

  // `people list --unsure` lists them with their reasons; every background face not attached is among them.
  const auto unsure = people.unsure();
  std::set<FaceId> unsure_ids;
  for (const auto& u : unsure) {
    EXPECT_FALSE(u.reasons.empty());
    unsure_ids.insert(u.face.id);
  }
  for (FaceId f : background) EXPECT_TRUE(unsure_ids.count(f)) << "background face " << f << " not listed as unsure";
  const auto listed = fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet --library '" +
                                          lib_dir.string() + "' people list --unsure --json 2>/dev/null");
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_EQ(static_cast<size_t>(std::count(listed.out.begin(), listed.out.end(), '\n')), unsure.size());
  EXPECT_NE(listed.out.find("\"unsure_reasons\":[\""), std::string::npos);
}

namespace {

// Labelled subject faces of a library, by label, in path order.
std::map<std::string, std::vector<LibraryFace>> judged_faces(Library& library) {
  std::map<std::string, std::vector<LibraryFace>> out;
  for (auto& [path, faces] : fstest::faces_by_path(library)) {
    const std::string label = fstest::label_of(path);
    if (label.empty()) continue;
    if (auto f = fstest::subject_face(faces)) out[label].push_back(*f);
  }
  return out;
}

// Names a person made of these faces (moved into a new person one by one, as a user would).
PersonId name_person_of(People& people, const std::vector<LibraryFace>& faces, const std::string& name) {
  const PersonId p = people.move(faces.at(0).id, 0);
  for (size_t i = 1; i < faces.size(); ++i) people.move(faces[i].id, p);
  people.name(p, name);
  return p;
}

}  // namespace

// Must show: on deepface + bbt, persons named from two labelled faces each get top-10 face suggestions that are
// >= 90% right. Judged: suggested faces that are the subject of a labelled photo; faces of group stills and
// background faces carry no label and are counted apart.
TEST(PeopleReview, SuggestedFacesOfNamedPersonsAreRight) {
  const fs::path data = fstest::shared_data();
  const fs::path lib_dir = fstest::scratch_dir("review-suggest");
  Library library(lib_dir);
  library.index({data / "deepface_testset", data / "faceapi_bbt"}, EngineConfig{}, IndexOptions{});
  auto store = library.open_people_store();
  People people(library, *store, default_params());
  const auto judged = judged_faces(library);
  std::map<FaceId, std::string> label_of_face;
  for (auto& [label, faces] : judged)
    for (auto& f : faces) label_of_face[f.id] = label;
  std::map<PersonId, std::string> label_of_person;
  for (auto& [label, faces] : judged)
    if (faces.size() >= 3)
      label_of_person[name_person_of(people, {faces[0], faces[1]}, label.substr(label.rfind('/') + 1))] = label;
  ASSERT_GE(label_of_person.size(), 18u);  // 10 deepface identities + 8 characters

  const auto s = people.suggest(0, 10);
  std::map<PersonId, std::array<size_t, 3>> tally;  // person -> (suggested, judged, right)
  for (const auto& f : s.faces) {
    auto& t = tally[f.person];
    ++t[0];
    if (!label_of_face.count(f.face.id)) continue;
    ++t[1];
    t[2] += label_of_face.at(f.face.id) == label_of_person.at(f.person);
  }
  size_t judged_total = 0, right_total = 0;
  for (const auto& [person, label] : label_of_person) {
    const auto t = tally[person];
    std::printf("%-40s top-10 suggestions: %zu, judged %zu, right %zu\n", label.c_str(), t[0], t[1], t[2]);
    EXPECT_LE(t[0], 10u);
    judged_total += t[1];
    right_total += t[2];
    // >= 90% of at most 10: at most one wrong among 10 judged, none among fewer.
    EXPECT_GE(static_cast<double>(t[2]), std::ceil(0.9 * static_cast<double>(t[1]))) << label;
  }
  std::printf("suggestions judged %zu, right %zu (%.1f%%); %zu merge suggestions\n", judged_total, right_total,
              judged_total ? 100.0 * right_total / judged_total : 0.0, s.merges.size());
  EXPECT_GE(judged_total, 30u);  // a real number of suggestions was judged
}

// Must show: confirming a suggestion is the user decision (move, merge); a rejected suggestion never comes back,
// also after clustering and with a new connection; both backends.
class ReviewBackend : public ::testing::TestWithParam<std::string> {};

TEST_P(ReviewBackend, RejectedSuggestionsNeverComeBack) {
  const fs::path data = fstest::shared_data();
  const fs::path scratch = fstest::scratch_dir("review-decisions-" + GetParam());
  Library library(fstest::new_library(GetParam(), scratch, "lib"));
  library.index({data / "deepface_testset"}, EngineConfig{}, IndexOptions{});
  auto store = library.open_people_store();
  People people(library, *store, default_params());
  const auto judged = judged_faces(library);
  const auto& jolie_faces = judged.at("/deepface_testset/id01_Angelina_Jolie");
  const auto& id04 = judged.at("/deepface_testset/id04");
  ASSERT_GE(jolie_faces.size(), 5u);
  ASSERT_GE(id04.size(), 3u);
  const PersonId jolie = name_person_of(people, {jolie_faces[0], jolie_faces[1]}, "Angelina Jolie");
  const PersonId other = people.move(id04[0].id, 0);  // an unnamed person of one face, another person's photo
  const PersonId lookalike = people.move(jolie_faces[2].id, 0);  // an unnamed person that is really Jolie

  auto face_suggested = [&](FaceId face) {
    for (const auto& f : people.suggest(0, 0).faces)
      if (f.face.id == face && f.person == jolie) return true;
    return false;
  };
  auto merge_suggested = [&](PersonId a, PersonId b) {
    for (const auto& m : people.suggest(0, 0).merges)
      if ((m.a.id == a && m.b.id == b) || (m.a.id == b && m.b.id == a)) return true;
    return false;
  };
  ASSERT_TRUE(face_suggested(jolie_faces[3].id));
  ASSERT_TRUE(face_suggested(jolie_faces[4].id));
  ASSERT_TRUE(merge_suggested(jolie, lookalike));
  EXPECT_FALSE(merge_suggested(jolie, other));

  // Reject a face suggestion and the merge; confirm another face.
  people.reject(jolie_faces[3].id, jolie);
  people.not_same(lookalike, jolie);
  people.move(jolie_faces[4].id, jolie);
  EXPECT_THROW(people.not_same(jolie, jolie), PeopleError);
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    EXPECT_FALSE(face_suggested(jolie_faces[3].id));
    EXPECT_FALSE(merge_suggested(jolie, lookalike));
    const auto who = person_of(store->load());
    EXPECT_EQ(who.at(jolie_faces[4].id), jolie);
    EXPECT_NE(who.count(jolie_faces[3].id) ? who.at(jolie_faces[3].id) : 0, jolie);
  };
  check("at once");
  people.cluster(false);
  check("after cluster");
  auto store2 = library.open_people_store();
  People again(library, *store2, default_params());
  for (const auto& m : again.suggest(jolie, 0).merges) EXPECT_NE(m.a.id + m.b.id, jolie + lookalike);
  for (const auto& f : again.suggest(jolie, 0).faces) EXPECT_NE(f.face.id, jolie_faces[3].id);

  // Confirming a merge is a merge: two unnamed persons of one man are suggested, merged, and the old id follows.
  const PersonId second = again.move(id04[1].id, 0);
  ASSERT_TRUE(merge_suggested(other, second));
  again.merge(second, other);
  EXPECT_EQ(again.resolve(std::to_string(second)), other);
  EXPECT_FALSE(merge_suggested(other, second));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewBackend, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });
