// POST /api/people/export-xmp and /api/people/import-xmp: the CLI's XMP face tags over HTTP, on copies of shared
// photos (sidecars are written beside them).
#include <gtest/gtest.h>

#include "server_support.hpp"

using namespace servertest;

TEST(ServerXmp, ExportAndImportAnswerTheCliRecords) {
  const fs::path scratch = fstest::scratch_dir("server-xmp");
  const fs::path photos = scratch / "photos", library = scratch / "library";
  fs::create_directories(photos);
  for (const char* rel : {"id04/img13.jpg", "id04/img14.jpg", "id04/img15.jpg", "group/couple.jpg"})
    fs::copy_file(fstest::shared_data() / "deepface_testset" / rel, photos / fs::path(rel).filename());
  const std::string cli = binary() + " --quiet --library " + quoted(library) + " ";
  ASSERT_EQ(run_command(cli + "index " + quoted(photos)).exit_code, 0);
  ASSERT_EQ(run_command(cli + "people cluster --min-faces 3").exit_code, 0);
  const auto persons = json_lines(run_command(cli + "people list --json").out);
  ASSERT_EQ(persons.size(), 1u);  // the three photos of id04
  ASSERT_EQ(run_command(cli + "people name " + std::to_string(persons[0]["id"].get<long long>()) + " 'Ada Example'").exit_code, 0);

  RunningServer server(options_for(library));
  auto c = server.client();
  auto exported = c.Post("/api/people/export-xmp", json{{"paths", {photos.string()}}}.dump(), "application/json");
  ASSERT_TRUE(exported && exported->status == 200) << (exported ? exported->body : "");
  const json e = json::parse(exported->body);
  EXPECT_EQ(e["summary"]["written"], 3);
  EXPECT_EQ(e["summary"]["regions"], 3);
  ASSERT_EQ(e["photos"].size(), 3u);
  for (const auto& p : e["photos"]) {
    EXPECT_EQ(p["status"], "written");
    EXPECT_EQ(p["regions"][0]["name"], "Ada Example");
    EXPECT_TRUE(fs::exists(p["xmp"].get<std::string>())) << p;
  }
  // The same records as the CLI's (the CLI rewrites the same sidecars with the same content).
  const auto from_cli = json_lines(run_command(cli + "people export-xmp --json").out);
  ASSERT_EQ(from_cli.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(from_cli[i], e["photos"][i]);
  // Nothing to export under another folder; an empty body means every photo.
  auto none = c.Post("/api/people/export-xmp", json{{"paths", {scratch.string() + "/elsewhere"}}}.dump(), "application/json");
  ASSERT_TRUE(none && none->status == 200);
  EXPECT_EQ(json::parse(none->body)["summary"]["photos"], 0);

  auto imported = c.Post("/api/people/import-xmp", "", "application/json");
  ASSERT_TRUE(imported && imported->status == 200) << (imported ? imported->body : "");
  const json i = json::parse(imported->body);
  EXPECT_EQ(i["summary"]["photos"], 4);
  EXPECT_EQ(i["summary"]["photos_with_xmp"], 3);
  EXPECT_EQ(i["summary"]["unchanged"], 3);  // exported from this library: already so
  EXPECT_EQ(i["summary"]["named"], 0);
  ASSERT_EQ(i["regions"].size(), 3u);
  EXPECT_TRUE(i["problems"].empty());

  auto post = [&](const char* path, const std::string& body) { return c.Post(path, body, "application/json"); };
  expect_json_error(post("/api/people/export-xmp", R"({"paths": "/x"})"), 400, "paths not a list");
  expect_json_error(post("/api/people/export-xmp", R"({"paths": ["relative/folder"]})"), 400, "relative path");
  expect_json_error(post("/api/people/export-xmp", R"({"in_place": 1})"), 400, "in_place not a boolean");
  expect_json_error(post("/api/people/import-xmp", R"([1, 2])"), 400, "not an object");
  expect_json_error(post("/api/people/import-xmp", "{"), 400, "not JSON");
}
