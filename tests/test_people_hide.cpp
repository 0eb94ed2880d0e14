// Hidden persons (`people hide`): left out of lists, still searchable, and hidden through re-clustering and
// re-indexing, on both backends; the CLI's hide/unhide and list --all.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "people/people.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using namespace facesearch::people;

namespace {

// The person holding the (only) face of this photo; 0 when none.
PersonId person_of_photo(Library& library, PeopleStore& store, const fs::path& photo) {
  std::set<FaceId> faces;
  library.for_each_face([&](const LibraryFace& f) {
    if (f.path == photo) faces.insert(f.id);
    return true;
  });
  for (const auto& a : store.load().assignments)
    if (faces.count(a.face)) return a.person;
  return 0;
}

const PersonSummary* find(const std::vector<PersonSummary>& persons, PersonId id) {
  for (const auto& p : persons)
    if (p.id == id) return &p;
  return nullptr;
}

std::vector<nlohmann::json> cli_json_lines(const std::string& args, int* status) {
  const fstest::CommandRun run =
      fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet " + args + " 2>/dev/null");
  *status = run.exit_code;
  std::vector<nlohmann::json> lines;
  std::istringstream in(run.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

class HiddenPersons : public ::testing::TestWithParam<std::string> {};

TEST_P(HiddenPersons, StayHiddenAndSearchableThroughReclusterAndReindex) {
  // As the library keeps them: absolute and normal.
  const fs::path photos = fs::absolute(fstest::shared_data() / "deepface_testset").lexically_normal();
  const fs::path scratch = fstest::scratch_dir("people-hidden-" + GetParam());
  const std::string spec = fstest::new_library(GetParam(), scratch, "lib");
  Library library(spec);
  library.index({photos}, EngineConfig{}, IndexOptions{});
  auto store = library.open_people_store();
  People people(library, *store, ClusterParams::from_pack(resolve_pack(EngineConfig{})));
  people.cluster(false);

  const fs::path id10_photo = photos / "id10/img26.jpg";
  const PersonId id10 = person_of_photo(library, *store, id10_photo);
  const PersonId jolie = person_of_photo(library, *store, photos / "id01_Angelina_Jolie/img2.jpg");
  ASSERT_GT(id10, 0);
  ASSERT_GT(jolie, 0);
  ASSERT_NE(id10, jolie);
  const auto faces_before = people.faces_of(id10);
  ASSERT_GE(faces_before.size(), 3u);
  const size_t listed_before = people.list(false).size();

  people.set_hidden(id10, true);
  EXPECT_THROW(people.set_hidden(99999999, true), PeopleError);
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    const PersonId now = person_of_photo(library, *store, id10_photo);
    EXPECT_EQ(now, id10) << "the hidden person keeps its id";
    const auto visible = people.list(false);
    EXPECT_EQ(find(visible, id10), nullptr) << "hidden persons are left out of the list";
    EXPECT_EQ(visible.size(), listed_before - 1);
    const auto all = people.list(true);
    const PersonSummary* hidden = find(all, id10);
    ASSERT_NE(hidden, nullptr) << "the full list has it";
    EXPECT_TRUE(hidden->hidden);
    EXPECT_EQ(hidden->face_count, faces_before.size()) << "every face stays with the hidden person";
    EXPECT_TRUE(people.summary(id10).hidden);
    EXPECT_FALSE(find(all, jolie) == nullptr || find(all, jolie)->hidden) << "other persons are not hidden";
    // Its faces stay searchable: the hidden person's most typical face finds its other faces.
    const FaceId typical = people.faces_of(id10).front().face.id;
    const auto face = library.face(typical, /*with_embedding=*/true);
    ASSERT_TRUE(face.has_value());
    SearchOptions search;
    search.threshold = static_cast<float>(resolve_pack(EngineConfig{}).default_threshold());
    std::set<FaceId> found;
    for (const auto& m : library.search(face->face.embedding, search)) found.insert(m.face_id);
    size_t found_members = 0;
    for (const auto& f : people.faces_of(id10)) found_members += found.count(f.face.id);
    EXPECT_GE(found_members, faces_before.size() - 1) << "the hidden person's faces are found by search";
  };
  check("after hiding");
  people.cluster(false);
  check("after cluster");
  people.cluster(true);
  check("after cluster --reset");
  IndexOptions reembed;
  reembed.reembed = true;  // every face gets a new id; the person follows its faces
  library.index({photos}, EngineConfig{}, reembed);
  EXPECT_GT(people.cluster(false).relinked, 20u);
  check("after re-indexing (--reembed) and cluster");
  people.cluster(true);
  check("after re-indexing and cluster --reset");

  // The command line: hidden persons only with --all, marked "hidden"; unhide brings it back.
  const std::string lib = "--library '" + spec + "'";
  int rc = -1;
  auto listed = cli_json_lines(lib + " people list --json", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(listed.size(), listed_before - 1);
  for (const auto& p : listed) EXPECT_NE(p["id"].get<PersonId>(), id10);
  listed = cli_json_lines(lib + " people list --all --json", &rc);
  EXPECT_EQ(rc, 0);
  size_t hidden_lines = 0;
  for (const auto& p : listed) {
    EXPECT_EQ(p["hidden"].get<bool>(), p["id"].get<PersonId>() == id10) << p.dump();
    hidden_lines += p["hidden"].get<bool>();
  }
  EXPECT_EQ(hidden_lines, 1u);
  cli_json_lines(lib + " people unhide " + std::to_string(id10), &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(people.summary(id10).hidden);
  EXPECT_EQ(people.list(false).size(), listed_before);
  cli_json_lines(lib + " people hide " + std::to_string(jolie), &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(people.summary(jolie).hidden);
  cli_json_lines(lib + " people hide 99999999", &rc);
  EXPECT_EQ(rc, 2) << "an unknown person is an error";
}

INSTANTIATE_TEST_SUITE_P(Backends, HiddenPersons, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });
