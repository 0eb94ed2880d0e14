// `facesearch serve`: the people review API (suggestions, confirm, reject) and that it agrees with the CLI.
#include <gtest/gtest.h>

#include "library/people_store.hpp"
#include "people/people.hpp"
#include "server_support.hpp"

using namespace servertest;

// Two faces of the largest person are moved out into persons of their own, then suggested back through the API:
// one rejected (gone, also for the CLI), one confirmed (back in the person); a merge suggestion rejected for good.
TEST(ServerPeople, SuggestionsConfirmAndReject) {
  const fs::path dir = fstest::scratch_dir("server-suggest") / "library";
  fs::copy(shared_library(), dir, fs::copy_options::recursive);
  people::PersonId ada = 0;
  std::vector<FaceId> faces;
  {
    Library library(dir, false);
    auto store = library.open_people_store();
    people::People people(library, *store, people::ClusterParams::from_pack(resolve_pack(EngineConfig{})));
    people.cluster(false);
    ada = people.list().at(0).id;
    people.name(ada, "Ada");
    for (const auto& f : people.faces_of(ada)) faces.push_back(f.face.id);
    ASSERT_GE(faces.size(), 4u);
    people.move(faces[1], 0);
    people.move(faces[2], 0);
  }
  RunningServer server(options_for(dir));
  auto c = server.client();
  auto suggestions = [&] {
    auto r = c.Get("/api/people/suggestions?top=0");
    EXPECT_TRUE(r && r->status == 200);
    return json::parse(r->body);
  };
  auto suggested = [&](FaceId face) {
    const json now = suggestions();  // kept: a loop over a temporary's member would dangle
    for (const auto& f : now["faces"])
      if (f["face_id"] == face && f["person"] == ada) return true;
    return false;
  };
  const json first = suggestions();
  ASSERT_TRUE(suggested(faces[1]) && suggested(faces[2])) << "faces " << faces[1] << ", " << faces[2] << " of " << ada << ": " << first.dump();
  for (const auto& f : first["faces"]) {
    for (const char* key : {"kind", "person", "name", "current_person", "similarity", "face_id", "path", "box"})
      EXPECT_TRUE(f.contains(key)) << key;
    EXPECT_EQ(f["kind"], "face");
  }
  ASSERT_FALSE(first["merges"].empty());
  const json merge = first["merges"][0];
  EXPECT_EQ(merge["kind"], "merge");
  EXPECT_TRUE(merge["a"].contains("cover_face_id") && merge["b"].contains("faces"));

  auto post = [&](const std::string& verdict, const json& body) {
    return c.Post("/api/people/suggestions/" + verdict, body.dump(), "application/json");
  };
  auto rejected = post("reject", {{"face_id", faces[1]}, {"person", ada}});
  ASSERT_TRUE(rejected && rejected->status == 200) << (rejected ? rejected->body : "");
  EXPECT_FALSE(suggested(faces[1]));
  auto confirmed = post("confirm", {{"face_id", faces[2]}, {"person", "Ada"}});
  ASSERT_TRUE(confirmed && confirmed->status == 200) << (confirmed ? confirmed->body : "");
  EXPECT_EQ(json::parse(confirmed->body)["person"], ada);
  EXPECT_FALSE(suggested(faces[2]));
  const json shown = json::parse(c.Get("/api/people/" + std::to_string(ada))->body);
  bool back = false;
  for (const auto& m : shown["matches"]) back = back || m["face_id"] == faces[2];
  EXPECT_TRUE(back) << "the confirmed face is the person's again";

  const json merges_now = suggestions()["merges"];  // the persons of the first ones may be gone by now
  ASSERT_FALSE(merges_now.empty());
  const std::int64_t a = merges_now[0]["a"]["id"], b = merges_now[0]["b"]["id"];
  auto not_same = post("reject", {{"a", a}, {"b", b}});
  ASSERT_TRUE(not_same && not_same->status == 200) << (not_same ? not_same->body : "");
  const json after = suggestions();
  for (const auto& m : after["merges"])
    EXPECT_FALSE(m["a"]["id"] == a && m["b"]["id"] == b) << "a rejected merge came back";
  const auto cli = run_command(binary() + " --library " + quoted(dir) + " people suggest --json --top 0");
  EXPECT_EQ(cli.exit_code, 0);
  for (const auto& line : json_lines(cli.out)) {
    EXPECT_FALSE(line["kind"] == "face" && line["face_id"] == faces[1] && line["person"] == ada) << line;
    EXPECT_FALSE(line["kind"] == "merge" && line["a"]["id"] == a && line["b"]["id"] == b) << line;
  }

  expect_json_error(post("confirm", {{"face_id", faces[3]}}), 400, "neither a face nor a merge");
  expect_json_error(post("confirm", {{"face_id", 99999999}, {"person", ada}}), 409, "unknown face");
  expect_json_error(post("reject", {{"a", ada}, {"b", 99999999}}), 409, "unknown person");
  expect_json_error(c.Get("/api/people/suggestions?person=Nobody"), 404, "unknown person");
  expect_json_error(c.Post("/api/people/suggestions/reject", "a=1", "application/x-www-form-urlencoded"), 415,
                    "not JSON");
}
