// `facesearch serve` beyond search: people in the API, bearer tokens and exposure rules, background indexing jobs.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "people/people.hpp"
#include "library/people_store.hpp"
#include "server/security.hpp"
#include "server_support.hpp"

using namespace servertest;

// People in the API: persons with their cover face, a person's faces as search records, naming (with the same
// rules as the CLI: one name, one person), and the CLI sees the name given through the API.
TEST(ServerPeople, ListShowAndName) {
  const fs::path dir = fstest::scratch_dir("server-people") / "library";
  fs::copy(shared_library(), dir, fs::copy_options::recursive);
  {
    Library library(dir, false);
    auto store = library.open_people_store();
    people::People people(library, *store, people::ClusterParams::from_pack(resolve_pack(EngineConfig{})));
    ASSERT_GT(people.cluster(false).persons, 10u);
  }
  RunningServer server(options_for(dir));
  auto c = server.client();
  auto listed = c.Get("/api/people");
  ASSERT_TRUE(listed && listed->status == 200);
  const json persons = json::parse(listed->body)["persons"];
  ASSERT_GT(persons.size(), 10u);
  size_t previous = SIZE_MAX;
  for (const auto& p : persons) {
    EXPECT_TRUE(p["name"].is_null());
    EXPECT_EQ(p["face_count"], p["faces"]) << "the CLI's old name, kept as an alias";
    EXPECT_EQ(p["cover"]["face_id"], p["cover_face_id"]);
    EXPECT_LE(p["faces"].get<size_t>(), previous) << "most faces first";
    previous = p["faces"].get<size_t>();
    ASSERT_TRUE(p["cover_face_id"].is_number_integer());
    auto thumb = c.Get("/api/faces/" + std::to_string(p["cover_face_id"].get<std::int64_t>()) + "/thumbnail");
    EXPECT_TRUE(thumb && thumb->status == 200);
  }
  const std::int64_t first = persons[0]["id"], second = persons[1]["id"];
  auto shown = c.Get("/api/people/" + std::to_string(first));
  ASSERT_TRUE(shown && shown->status == 200);
  const json person = json::parse(shown->body);
  const json& matches = person["matches"];
  ASSERT_EQ(matches.size(), persons[0]["faces"].get<size_t>());
  std::set<std::int64_t> images;
  std::set<std::string> folders;
  for (size_t i = 0; i < matches.size(); ++i) {
    for (const char* key : {"path", "similarity", "box", "landmarks", "score", "face_id", "image_id", "assigned_by"})
      EXPECT_TRUE(matches[i].contains(key)) << key;
    if (i) {
      EXPECT_LE(matches[i]["similarity"].get<double>(), matches[i - 1]["similarity"].get<double>());
    }
    EXPECT_TRUE(images.insert(matches[i]["image_id"].get<std::int64_t>()).second) << "two faces of one photo";
    const fs::path folder = fs::path(matches[i]["path"].get<std::string>()).parent_path().filename();
    if (folder.string().rfind("id", 0) == 0) folders.insert(folder.string());
  }
  EXPECT_EQ(folders.size(), 1u) << "the largest person is one labelled identity";

  auto post_name = [&](std::int64_t id, const std::string& body) {
    return c.Post("/api/people/" + std::to_string(id) + "/name", body, "application/json");
  };
  auto named = post_name(first, R"({"name": "Test Person"})");
  ASSERT_TRUE(named && named->status == 200) << (named ? named->body : "");
  EXPECT_EQ(json::parse(named->body)["name"], "Test Person");
  auto relisted = json::parse(c.Get("/api/people")->body)["persons"];
  EXPECT_EQ(relisted[0]["name"], "Test Person");
  expect_json_error(post_name(second, R"({"name": "test person"})"), 409, "a name belongs to one person");
  expect_json_error(post_name(99999999, R"({"name": "Nobody"})"), 404, "unknown person");
  expect_json_error(c.Get("/api/people/99999999"), 404, "unknown person");
  expect_json_error(post_name(second, R"({"name": 5})"), 400, "name not a string");
  expect_json_error(post_name(second, R"({"name": ""})"), 400, "empty name");
  expect_json_error(c.Post("/api/people/" + std::to_string(second) + "/name", "name=x",
                           "application/x-www-form-urlencoded"),
                    415, "not JSON");
  const auto cli = run_command(binary() + " --library " + quoted(dir) + " people list --json");
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_NE(cli.out.find("\"name\":\"Test Person\""), std::string::npos) << cli.out;
  // One person schema: the CLI prints the API's record.
  const auto cli_persons = json_lines(cli.out);
  ASSERT_EQ(cli_persons.size(), relisted.size());
  for (size_t i = 0; i < relisted.size(); ++i) EXPECT_EQ(cli_persons[i], relisted[i]);
}

// Must show: 401 without (or with a wrong) token when a token is set.
TEST(ServerToken, ApiNeedsTheBearerToken) {
  const std::string token = "3f9c2a7e51d04b8f9e6a1c2d7b5e8f01";
  ServerOptions o = options_for(shared_library());
  o.token = token;
  o.engines = 1;
  RunningServer s(o);
  auto c = s.client();
  auto none = c.Get("/api/status");
  expect_json_error(none, 401, "no token");
  EXPECT_EQ(none->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  expect_json_error(c.Get("/api/status", {{"Authorization", "Bearer wrong-token-0000000000000000"}}), 401, "wrong token");
  expect_json_error(c.Get("/api/status", {{"Authorization", "Bearer " + token.substr(0, 31)}}), 401, "token prefix");
  expect_json_error(c.Get("/api/status", {{"Authorization", "Bearer " + token + "0"}}), 401, "token plus a char");
  expect_json_error(c.Get("/api/status", {{"Authorization", "Basic " + token}}), 401, "other scheme");
  expect_json_error(c.Get("/api/faces/1/thumbnail"), 401, "thumbnail without token");
  expect_json_error(c.Post("/api/search", json{{"face_id", 1}}.dump(), "application/json"), 401, "search without token");
  expect_json_error(c.Post("/api/index", json{{"roots", {"/tmp"}}}.dump(), "application/json"), 401, "index without token");
  expect_json_error(c.Post("/api/search", upload(one_photo_per_person()[0])), 401, "upload without token");
  // Past the upload limit, a stranger's body is refused unread (413, or a closed connection while still writing).
  auto big = c.Post("/api/search", httplib::MultipartFormDataItems{{"image", std::string(26u << 20, 'x'), "a.jpg",
                                                                    "image/jpeg"}});
  EXPECT_TRUE(!big || big->status == 401 || big->status == 413) << big->status;
  // A body must not smuggle a GET past the token check.
  expect_json_error(c.Get("/api/status", {{"Content-Length", "0"}}), 401, "GET with an empty body");

  auto ok = c.Get("/api/status", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_TRUE(json::parse(ok->body)["server"]["token_required"].get<bool>());
  c.set_bearer_token_auth(token);
  auto found = c.Post("/api/search", upload(one_photo_per_person()[0]));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, 200);
  // The page itself holds no data and loads without the token (it asks for it).
  auto page = s.client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
}

// Binding beyond loopback without a token refuses to start; loopback is recognised in every spelling.
TEST(ServerToken, ExposureNeedsAToken) {
  using facesearch::server::check_exposure;
  using facesearch::server::is_loopback_host;
  for (const char* h : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:8.8.8.8", ""})
    EXPECT_FALSE(is_loopback_host(h)) << h;
  EXPECT_THROW(check_exposure("0.0.0.0", ""), std::invalid_argument);
  EXPECT_NO_THROW(check_exposure("0.0.0.0", "a-long-enough-token-123"));
  EXPECT_NO_THROW(check_exposure("127.0.0.1", ""));

  const fs::path dir = fstest::scratch_dir("server-exposure");
  ServerOptions o = options_for(dir / "library");
  o.host = "0.0.0.0";
  EXPECT_THROW(Server{o}, std::invalid_argument);
  // The command refuses too, before loading anything, and says why.
  const CommandRun r = run_command(binary() + " --library " + quoted(dir / "library") + " serve --host 0.0.0.0 --port 0", true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("token"), std::string::npos) << r.out;
  // Token files: trimmed, and refused when too short to resist guessing.
  std::ofstream(dir / "short.txt") << "abc\n";
  std::ofstream(dir / "good.txt") << "  0123456789abcdef0123\n";
  EXPECT_THROW(facesearch::server::read_token_file(dir / "short.txt"), std::runtime_error);
  EXPECT_THROW(facesearch::server::read_token_file(dir / "missing.txt"), std::runtime_error);
  EXPECT_EQ(facesearch::server::read_token_file(dir / "good.txt"), "0123456789abcdef0123");
  EXPECT_TRUE(facesearch::server::bearer_matches("Bearer 0123456789abcdef0123", "0123456789abcdef0123"));
  EXPECT_TRUE(facesearch::server::bearer_matches("bearer 0123456789abcdef0123", "0123456789abcdef0123"));
  EXPECT_FALSE(facesearch::server::bearer_matches("Bearer 0123456789abcdef012", "0123456789abcdef0123"));
  EXPECT_FALSE(facesearch::server::bearer_matches("", ""));
}

// POST /api/index runs in the background with progress, one job at a time; photos come out EXIF-upright.
TEST(ServerIndex, BackgroundJobWithProgress) {
  const fs::path data = fstest::shared_data() / "deepface_testset";
  const fs::path dir = fstest::scratch_dir("server-index");
  // A photo stored sideways with EXIF orientation 6 ("rotate 90 degrees clockwise to view").
  const fs::path source = data / "id02" / "img12.jpg";
  const cv::Mat upright = cv::imread(source.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(upright.empty());
  cv::Mat stored;
  cv::rotate(upright, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
  fs::create_directories(dir / "sideways");
  fstest::write_file(dir / "sideways" / "rotated.jpg", fstest::jpeg_with_exif_orientation(stored, 6));

  RunningServer s(options_for(dir / "library"));
  auto c = s.client();
  const json roots = {(data / "id01_Angelina_Jolie").string(), (data / "id10").string(), (dir / "sideways").string()};
  auto started = c.Post("/api/index", json{{"roots", roots}}.dump(), "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  EXPECT_EQ(json::parse(started->body)["state"], "running");
  auto second = c.Post("/api/index", json{{"roots", roots}}.dump(), "application/json");
  expect_json_error(second, 409, "second job while the first runs");

  json state;
  size_t last_done = 0;
  bool monotonic = true;
  for (int i = 0; i < 1200; ++i) {  // at most 4 minutes
    auto r = c.Get("/api/index");
    ASSERT_TRUE(r);
    state = json::parse(r->body);
    const size_t done = state["done"];
    monotonic &= done >= last_done && done <= std::max<size_t>(state["total"].get<size_t>(), done);
    last_done = done;
    if (state["state"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(state["state"], "done") << state.dump();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(state["report"]["files"], 9 + 8 + 1);
  EXPECT_EQ(state["report"]["added"], 18);
  EXPECT_GE(state["report"]["faces_added"].get<int>(), 18);
  EXPECT_EQ(state["done"], state["total"]);

  auto status = c.Get("/api/status");
  ASSERT_TRUE(status);
  const json st = json::parse(status->body);
  EXPECT_EQ(st["images"], 18);
  EXPECT_EQ(st["index"]["state"], "done");

  // The sideways photo is served upright, and its face thumbnail too.
  auto found = c.Post("/api/search", upload(dir / "sideways" / "rotated.jpg"));
  ASSERT_TRUE(found);
  ASSERT_EQ(found->status, 200) << found->body;
  const json top = json::parse(found->body)["matches"][0];
  EXPECT_EQ(top["path"], (dir / "sideways" / "rotated.jpg").lexically_normal().string());
  auto photo = c.Get("/api/images/" + std::to_string(top["image_id"].get<std::int64_t>()));
  ASSERT_TRUE(photo);
  ASSERT_EQ(photo->status, 200);
  const cv::Mat served = decode(photo->body);
  ASSERT_EQ(served.cols, upright.cols);
  ASSERT_EQ(served.rows, upright.rows);
  cv::Mat diff;
  cv::absdiff(served, upright, diff);
  EXPECT_LT(cv::mean(diff)[0], 12.0) << "served photo is not the upright picture";
  // Once finished, another job may start (nothing changed: all files unchanged).
  auto again = c.Post("/api/index", json{{"roots", roots}}.dump(), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202) << again->body;
  for (int i = 0; i < 300 && json::parse(c.Get("/api/index")->body)["state"] == "running"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(json::parse(c.Get("/api/index")->body)["report"]["unchanged"], 18);
}
