// The people edits of `facesearch serve`: clustering as a background job, merge, move, reject, hide — each through
// the API, visible in the API and the CLI afterwards, and kept by a re-clustering started from the API.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "server_support.hpp"

using namespace servertest;

namespace {

using Id = std::int64_t;

json get_json(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path);
  if (!r || r->status != 200) return json();
  return json::parse(r->body);
}

httplib::Result post_json(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path, body, "application/json");
}

// Starts clustering through the API and waits for the job's end; returns its final state.
json cluster_through_api(httplib::Client& c, bool reset) {
  auto started = post_json(c, "/api/people/cluster", reset ? R"({"reset": true})" : "{}");
  if (!started || started->status != 202) return json();
  const json first = json::parse(started->body);
  EXPECT_EQ(first["reset"], reset);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    const json state = get_json(c, "/api/people/cluster");
    if (state.value("state", "") != "running") return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return json();
}

// Each person's labelled identity (deepface_testset/<folder>) -> person id, from the persons' faces.
std::map<std::string, Id> persons_by_folder(httplib::Client& c, const std::string& list_query = "") {
  std::map<std::string, Id> out;
  const json persons = get_json(c, "/api/people" + list_query);  // kept: a loop over a temporary's member dangles
  for (const auto& p : persons["persons"]) {
    const json shown = get_json(c, "/api/people/" + std::to_string(p["id"].get<Id>()));
    std::map<std::string, size_t> folders;
    for (const auto& m : shown["matches"])
      ++folders[fs::path(m["path"].get<std::string>()).parent_path().filename().string()];
    for (auto& [folder, n] : folders)
      if (folder != "group" && n * 2 > shown["matches"].size()) out[folder] = p["id"];
  }
  return out;
}

std::set<Id> face_ids_of(httplib::Client& c, Id person) {
  std::set<Id> out;
  const json shown = get_json(c, "/api/people/" + std::to_string(person));
  for (const auto& m : shown["matches"]) out.insert(m["face_id"].get<Id>());
  return out;
}

std::set<Id> listed_ids(httplib::Client& c, const std::string& query = "") {
  std::set<Id> out;
  const json persons = get_json(c, "/api/people" + query);
  for (const auto& p : persons["persons"]) out.insert(p["id"].get<Id>());
  return out;
}

}  // namespace

TEST(ServerPeopleEdits, ClusterMergeMoveRejectHideThroughTheApi) {
  const fs::path dir = fstest::scratch_dir("server-people-edits") / "library";
  fs::copy(shared_library(), dir, fs::copy_options::recursive);
  RunningServer server(options_for(dir));
  auto c = server.client();

  // Clustering, started through the API, runs as a job whose state can be read.
  EXPECT_EQ(get_json(c, "/api/people/cluster")["state"], "idle");
  EXPECT_TRUE(get_json(c, "/api/people")["persons"].empty());
  const json job = cluster_through_api(c, false);
  ASSERT_EQ(job.value("state", ""), "done") << job.dump();
  EXPECT_GT(job["report"]["persons"].get<size_t>(), 10u);
  EXPECT_GE(job["report"]["faces"].get<size_t>(), 60u);
  EXPECT_GE(job["seconds"].get<double>(), 0.0);
  auto folders = persons_by_folder(c);
  for (const char* f : {"id01_Angelina_Jolie", "id04", "id05", "id10", "id11", "id12"})
    ASSERT_TRUE(folders.count(f)) << f << " in " << json(folders).dump();
  const Id jolie = folders["id01_Angelina_Jolie"], p04 = folders["id04"], p05 = folders["id05"];
  const Id p10 = folders["id10"], p11 = folders["id11"], p12 = folders["id12"];

  // Merge two persons: the faces of both in one, the old id leads to it.
  const size_t merged_faces = face_ids_of(c, p04).size() + face_ids_of(c, p05).size();
  auto merged = post_json(c, "/api/people/" + std::to_string(p05) + "/merge", R"({"into": )" + std::to_string(p04) + "}");
  ASSERT_TRUE(merged && merged->status == 200) << (merged ? merged->body : "");
  EXPECT_EQ(json::parse(merged->body), json({{"from", p05}, {"into", p04}}));
  EXPECT_EQ(face_ids_of(c, p04).size(), merged_faces);
  EXPECT_EQ(get_json(c, "/api/people/" + std::to_string(p05))["id"], p04) << "an old id answers for the merged person";
  EXPECT_FALSE(listed_ids(c).count(p05));
  expect_json_error(post_json(c, "/api/people/" + std::to_string(p04) + "/merge", R"({"into": )" + std::to_string(p05) + "}"),
                    409, "merging a person with itself (through its old id)");

  // Move a face to a new person and back; a face into a person that has a face of the same photo is refused.
  const Id moved = get_json(c, "/api/people/" + std::to_string(p10))["matches"].back()["face_id"];
  auto to_new = post_json(c, "/api/faces/" + std::to_string(moved) + "/move", R"({"person": "new"})");
  ASSERT_TRUE(to_new && to_new->status == 200) << (to_new ? to_new->body : "");
  const Id created = json::parse(to_new->body)["person"];
  EXPECT_EQ(json::parse(to_new->body)["face_id"], moved);
  EXPECT_EQ(face_ids_of(c, created), std::set<Id>{moved});
  EXPECT_FALSE(face_ids_of(c, p10).count(moved));
  auto back = post_json(c, "/api/faces/" + std::to_string(moved) + "/move", R"({"person": )" + std::to_string(p10) + "}");
  ASSERT_TRUE(back && back->status == 200) << (back ? back->body : "");
  EXPECT_TRUE(face_ids_of(c, p10).count(moved));
  Id couple_other = 0;
  const json jolie_faces = get_json(c, "/api/people/" + std::to_string(jolie));
  for (const auto& m : jolie_faces["matches"])
    if (fs::path(m["path"].get<std::string>()).filename() == "couple.jpg") {
      const json photo = get_json(c, "/api/images/" + std::to_string(m["image_id"].get<Id>()) + "/faces");
      for (const auto& f : photo["faces"])
        if (f["face_id"] != m["face_id"]) couple_other = f["face_id"];
    }
  ASSERT_GT(couple_other, 0) << "couple.jpg's other face";
  expect_json_error(post_json(c, "/api/faces/" + std::to_string(couple_other) + "/move",
                              R"({"person": )" + std::to_string(jolie) + "}"),
                    409, "two faces of one photo into one person");

  // Reject: the face leaves the person for good.
  const Id rejected = get_json(c, "/api/people/" + std::to_string(p11))["matches"].back()["face_id"];
  auto rej = post_json(c, "/api/faces/" + std::to_string(rejected) + "/reject", R"({"person": )" + std::to_string(p11) + "}");
  ASSERT_TRUE(rej && rej->status == 200) << (rej ? rej->body : "");
  EXPECT_FALSE(face_ids_of(c, p11).count(rejected));

  // Hide: out of the list, in the list with ?hidden=1 (marked), its faces still found by search.
  auto hid = post_json(c, "/api/people/" + std::to_string(p12) + "/hide", "{}");
  ASSERT_TRUE(hid && hid->status == 200) << (hid ? hid->body : "");
  EXPECT_EQ(json::parse(hid->body), json({{"id", p12}, {"hidden", true}}));
  auto check_hidden = [&](const char* when) {
    SCOPED_TRACE(when);
    EXPECT_FALSE(listed_ids(c).count(p12));
    bool marked = false;
    const json all = get_json(c, "/api/people?hidden=1");
    for (const auto& p : all["persons"]) {
      EXPECT_EQ(p["hidden"].get<bool>(), p["id"].get<Id>() == p12) << p.dump();
      marked |= p["id"].get<Id>() == p12 && p["hidden"].get<bool>();
    }
    EXPECT_TRUE(marked);
    EXPECT_EQ(get_json(c, "/api/people?hidden=0")["persons"], get_json(c, "/api/people")["persons"]);
    EXPECT_TRUE(get_json(c, "/api/people/" + std::to_string(p12))["hidden"].get<bool>());
    const json typical = get_json(c, "/api/people/" + std::to_string(p12))["matches"][0];
    auto found = c.Post("/api/search", "{\"face_id\": " + std::to_string(typical["face_id"].get<Id>()) + "}", "application/json");
    ASSERT_TRUE(found && found->status == 200) << (found ? found->body : "");
    EXPECT_GE(json::parse(found->body)["matches"].size(), face_ids_of(c, p12).size() - 1) << "hidden faces stay searchable";
  };
  check_hidden("after hiding");

  // Every decision is kept by a re-clustering from scratch started through the API.
  const std::set<Id> faces10 = face_ids_of(c, p10), faces04 = face_ids_of(c, p04);
  const json reset = cluster_through_api(c, true);
  ASSERT_EQ(reset.value("state", ""), "done") << reset.dump();
  EXPECT_TRUE(reset["reset"].get<bool>());
  check_hidden("after cluster --reset through the API");
  EXPECT_EQ(face_ids_of(c, p04), faces04);
  EXPECT_EQ(face_ids_of(c, p10), faces10);
  EXPECT_FALSE(face_ids_of(c, p11).count(rejected));

  // The CLI sees the same persons: hidden ones only with --all.
  const auto cli = run_command(binary() + " --library " + quoted(dir) + " people list --json");
  ASSERT_EQ(cli.exit_code, 0);
  const auto cli_persons = json_lines(cli.out);
  const json api_persons = get_json(c, "/api/people")["persons"];
  ASSERT_EQ(cli_persons.size(), api_persons.size());
  for (size_t i = 0; i < cli_persons.size(); ++i) EXPECT_EQ(cli_persons[i], api_persons[i]);
  const auto cli_all = run_command(binary() + " --library " + quoted(dir) + " people list --all --json");
  EXPECT_EQ(json_lines(cli_all.out).size(), api_persons.size() + 1);

  auto shown = post_json(c, "/api/people/" + std::to_string(p12) + "/unhide", "{}");
  ASSERT_TRUE(shown && shown->status == 200);
  EXPECT_TRUE(listed_ids(c).count(p12));
  EXPECT_FALSE(get_json(c, "/api/people/" + std::to_string(p12))["hidden"].get<bool>());
}

// Bad requests answer the API's JSON errors and change nothing.
TEST(ServerPeopleEdits, BadRequestsAreRefused) {
  const fs::path dir = fstest::scratch_dir("server-people-errors") / "library";
  fs::copy(shared_library(), dir, fs::copy_options::recursive);
  RunningServer server(options_for(dir));
  auto c = server.client();
  ASSERT_EQ(cluster_through_api(c, false).value("state", ""), "done");
  const json persons = get_json(c, "/api/people")["persons"];
  ASSERT_GE(persons.size(), 2u);
  const std::string a = std::to_string(persons[0]["id"].get<Id>()), b = std::to_string(persons[1]["id"].get<Id>());
  const std::string face = std::to_string(persons[0]["cover_face_id"].get<Id>());

  expect_json_error(post_json(c, "/api/people/99999999/merge", R"({"into": )" + b + "}"), 404, "unknown person");
  expect_json_error(post_json(c, "/api/people/" + a + "/merge", R"({"into": 99999999})"), 404, "unknown target");
  expect_json_error(post_json(c, "/api/people/" + a + "/merge", R"({"into": "x"})"), 400, "target not an id");
  expect_json_error(post_json(c, "/api/people/" + a + "/merge", "{}"), 400, "no target");
  expect_json_error(post_json(c, "/api/people/" + a + "/merge", "[1]"), 400, "not an object");
  expect_json_error(post_json(c, "/api/people/" + a + "/merge", "{"), 400, "not JSON");
  expect_json_error(c.Post("/api/people/" + a + "/merge", "into=" + b, "application/x-www-form-urlencoded"), 415,
                    "a form (cross-site)");
  expect_json_error(post_json(c, "/api/faces/99999999/move", R"({"person": "new"})"), 404, "unknown face");
  expect_json_error(post_json(c, "/api/faces/" + face + "/move", R"({"person": 99999999})"), 404, "unknown person");
  expect_json_error(post_json(c, "/api/faces/" + face + "/move", R"({"person": 1.5})"), 400, "not an id");
  expect_json_error(post_json(c, "/api/faces/" + face + "/move", R"({"person": "old"})"), 400, "not an id or new");
  expect_json_error(post_json(c, "/api/faces/99999999/reject", R"({"person": )" + a + "}"), 404, "unknown face");
  expect_json_error(post_json(c, "/api/faces/" + face + "/reject", R"({"person": "new"})"), 400, "reject from new");
  expect_json_error(post_json(c, "/api/people/99999999/hide", "{}"), 404, "unknown person");
  expect_json_error(c.Post("/api/people/" + a + "/hide", "", "text/plain"), 415, "hide needs a JSON body");
  expect_json_error(post_json(c, "/api/people/cluster", R"({"reset": "yes"})"), 400, "reset not a boolean");
  expect_json_error(c.Get("/api/people?hidden=yes"), 400, "hidden not 0 or 1");
  EXPECT_EQ(get_json(c, "/api/people")["persons"], persons) << "nothing changed";
}
