// `facesearch serve`: the HTTP API on a loopback port over a library of real photos. Same answers as the CLI,
// pictures that really are the faces, and the security rules: size limits, ids only, no path traversal
// (tokens, people and indexing jobs: test_server_jobs.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "server_support.hpp"

using namespace servertest;

namespace {

class ServerApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    library_ = new fs::path(shared_library());
    server_ = new RunningServer(options_for(*library_));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete library_;
  }
  static httplib::Client client() { return server_->client(); }
  static const fs::path& library() { return *library_; }

  // The first match of searching with this photo's best face.
  static json search_upload(const fs::path& photo, std::vector<std::pair<std::string, std::string>> fields = {}) {
    auto r = client().Post("/api/search", upload(photo, std::move(fields)));
    if (!r || r->status != 200) return json();
    return json::parse(r->body);
  }

  static inline fs::path* library_ = nullptr;
  static inline RunningServer* server_ = nullptr;
};

}  // namespace

// Must show: search by upload returns the same matches as `facesearch search --json`, for every person of the set.
TEST_F(ServerApi, SearchByUploadMatchesCli) {
  const auto queries = one_photo_per_person();
  ASSERT_EQ(queries.size(), 13u);
  size_t compared = 0;
  for (const auto& q : queries) {
    SCOPED_TRACE(q.string());
    const json api = search_upload(q, {{"threshold", "0.3"}});
    ASSERT_TRUE(api.is_object()) << "search failed";
    const CommandRun cli =
        run_command(binary() + " --quiet --library " + quoted(library()) + " search --threshold 0.3 --json -q " + quoted(q));
    ASSERT_EQ(cli.exit_code, 0);
    const auto expected = json_lines(cli.out);
    const json& got = api["matches"];
    ASSERT_EQ(got.size(), expected.size());
    ASSERT_GE(got.size(), 1u);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]["face_id"], expected[i]["face_id"]) << "rank " << i;
      EXPECT_EQ(got[i]["path"], expected[i]["path"]) << "rank " << i;
      EXPECT_NEAR(got[i]["similarity"].get<double>(), expected[i]["similarity"].get<double>(), 1e-4) << "rank " << i;
      EXPECT_EQ(got[i]["box"], expected[i]["box"]) << "rank " << i;
    }
    // The photo itself is in the library: it comes first, as itself.
    EXPECT_EQ(got[0]["path"], fs::absolute(q).lexically_normal().string());
    EXPECT_GT(got[0]["similarity"].get<double>(), 0.99);
    EXPECT_GE(api["query"]["faces"].size(), 1u);
    EXPECT_EQ(api["threshold"].get<double>(), 0.3);
    compared += got.size();
  }
  std::printf("%zu matches of 13 queries identical through the API and the CLI\n", compared);
}

TEST_F(ServerApi, SearchByFaceIdFindsTheSamePerson) {
  const fs::path photo = one_photo_per_person()[0];  // id01, Angelina Jolie: 9 photos
  const json by_upload = search_upload(photo);
  ASSERT_TRUE(by_upload.is_object());
  const std::int64_t face_id = by_upload["matches"][0]["face_id"];
  auto r = client().Post("/api/search", json{{"face_id", face_id}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json by_id = json::parse(r->body);
  EXPECT_EQ(by_id["query"]["face_id"], face_id);
  ASSERT_FALSE(by_id["matches"].empty());
  EXPECT_EQ(by_id["matches"][0]["face_id"], face_id);
  // The stored embedding and the one computed from the upload find the same faces.
  std::set<std::int64_t> a, b;
  for (auto& m : by_upload["matches"]) a.insert(m["face_id"].get<std::int64_t>());
  for (auto& m : by_id["matches"]) b.insert(m["face_id"].get<std::int64_t>());
  EXPECT_EQ(a, b);
  size_t same_person = 0;
  for (auto& m : by_id["matches"])
    same_person += m["path"].get<std::string>().find("/id01_Angelina_Jolie/") != std::string::npos;
  EXPECT_GE(same_person, 8u);
  // Also through a multipart form field, and with `top`.
  auto r2 = client().Post("/api/search", httplib::MultipartFormDataItems{{"face_id", std::to_string(face_id), "", ""},
                                                                         {"top", "3", "", ""}});
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, 200) << r2->body;
  EXPECT_EQ(json::parse(r2->body)["matches"].size(), 3u);
}

// The thumbnail really is the face: the engine finds a face in it, and it is the same person.
TEST_F(ServerApi, ThumbnailIsTheFace) {
  const json found = search_upload(one_photo_per_person()[1]);
  ASSERT_TRUE(found.is_object());
  Engine engine(EngineConfig{});
  for (size_t i = 0; i < std::min<size_t>(3, found["matches"].size()); ++i) {
    const json& m = found["matches"][i];
    auto r = client().Get("/api/faces/" + std::to_string(m["face_id"].get<std::int64_t>()) + "/thumbnail?size=224");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
    const std::vector<std::uint8_t> bytes(r->body.begin(), r->body.end());
    const DecodedImage thumb = decode_image(bytes);
    ASSERT_EQ(thumb.width, 224);
    ASSERT_EQ(thumb.height, 224);
    const ImageFaces faces = engine.analyze(thumb);
    ASSERT_GE(faces.faces.size(), 1u) << "no face in the thumbnail of " << m["path"];
    // The face is in the middle, and it is the query's person.
    const int k = choose_face(faces, "largest");
    const Box& box = faces.faces[static_cast<size_t>(k)].box;
    EXPECT_NEAR((box.x1 + box.x2) / 2, 112, 30);
    EXPECT_NEAR((box.y1 + box.y2) / 2, 112, 30);
    auto lib_face = Library(library(), false).face(m["face_id"].get<std::int64_t>(), true);
    ASSERT_TRUE(lib_face);
    float dot = 0;
    for (size_t d = 0; d < lib_face->face.embedding.size(); ++d)
      dot += lib_face->face.embedding[d] * faces.faces[static_cast<size_t>(k)].embedding[d];
    EXPECT_GT(dot, 0.5f) << m["path"];
  }
}

// Photos come from the library by id, upright, optionally downscaled; their faces by id too.
TEST_F(ServerApi, PhotoAndItsFaces) {
  const json found = search_upload(one_photo_per_person()[2]);
  ASSERT_TRUE(found.is_object());
  const json& m = found["matches"][0];
  const std::string id = std::to_string(m["image_id"].get<std::int64_t>());
  auto full = client().Get("/api/images/" + id);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->status, 200);
  cv::Mat img = decode(full->body);
  EXPECT_EQ(img.cols, m["width"].get<int>());
  EXPECT_EQ(img.rows, m["height"].get<int>());
  auto small = client().Get("/api/images/" + id + "?max_side=300");
  ASSERT_TRUE(small);
  ASSERT_EQ(small->status, 200);
  cv::Mat s = decode(small->body);
  EXPECT_EQ(std::max(s.cols, s.rows), std::min(300, std::max(img.cols, img.rows)));
  EXPECT_NEAR(static_cast<double>(s.cols) / s.rows, static_cast<double>(img.cols) / img.rows, 0.02);

  auto info = client().Get("/api/images/" + id + "/faces");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200);
  const json j = json::parse(info->body);
  EXPECT_EQ(j["path"], m["path"]);
  bool listed = false;
  for (auto& f : j["faces"]) listed |= f["face_id"] == m["face_id"] && f["box"] == m["box"];
  EXPECT_TRUE(listed);
  auto face = client().Get("/api/faces/" + std::to_string(m["face_id"].get<std::int64_t>()));
  ASSERT_TRUE(face);
  ASSERT_EQ(face->status, 200);
  EXPECT_EQ(json::parse(face->body)["image_id"], m["image_id"]);
}

TEST_F(ServerApi, UnknownIdsAre404) {
  auto c = client();
  expect_json_error(c.Get("/api/faces/987654321/thumbnail"), 404, "unknown face thumbnail");
  expect_json_error(c.Get("/api/faces/987654321"), 404, "unknown face");
  expect_json_error(c.Get("/api/images/987654321"), 404, "unknown image");
  expect_json_error(c.Get("/api/images/987654321/faces"), 404, "unknown image faces");
  expect_json_error(c.Get("/api/images/0"), 404, "id 0");
  expect_json_error(c.Get("/api/images/99999999999999999999999"), 404, "id beyond int64");
  expect_json_error(c.Get("/api/images/abc"), 404, "id not a number");
  expect_json_error(c.Get("/api/nothing"), 404, "unknown API route");
  expect_json_error(c.Get("/nothing.html"), 404, "unknown page file");
  expect_json_error(c.Post("/api/search", json{{"face_id", 987654321}}.dump(), "application/json"), 404,
                    "search by unknown face id");
}

// Must show: no request reaches a file that is not a photo of the library, however the path is spelled.
TEST_F(ServerApi, PathTraversalNeverReturnsAFile) {
  const std::string secret = file_text("/etc/passwd");
  ASSERT_NE(secret.find("root:"), std::string::npos);
  const std::string catalog = (library() / "catalog.sqlite").string();
  const std::vector<std::string> attempts = {
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/..%252f..%252fetc%252fpasswd",
      "//etc/passwd",
      "/etc/passwd",
      "/app.js/../../../../etc/passwd",
      "/api/images/..%2f..%2f..%2fetc%2fpasswd",
      "/api/images/%2fetc%2fpasswd",
      "/api/images/1/../../../../etc/passwd",
      "/api/images/1%2f..%2f..%2f..%2fetc%2fpasswd",
      "/api/faces/1/thumbnail/../../../../../etc/passwd",
      "/api/faces/%2e%2e%2f%2e%2e%2fetc%2fpasswd/thumbnail",
      "/api/images//etc/passwd",
      "/api/images/1?path=/etc/passwd",
      "/api/images/1?max_side=/etc/passwd",
      "/api/faces/1/thumbnail?size=../../etc/passwd",
      "/catalog.sqlite",
      "/api/catalog.sqlite",
      "/" + catalog,
      "/api/images/" + catalog,
      "/web/",
      "/src/server/server.cpp",
  };
  auto c = client();
  for (const auto& path : attempts) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_TRUE(r->status == 404 || r->status == 400) << path << " -> " << r->status;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("SQLite format"), std::string::npos) << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << path;
  }
  // Paths in search parameters are never opened either.
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"face_id", "/etc/passwd"}, {"face_id", "../../etc/passwd"}, {"image", "/etc/passwd"}, {"face", "/etc/passwd"}}) {
    auto r = c.Post("/api/search", httplib::MultipartFormDataItems{{field, value, "", ""}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, field == "image" ? 415 : 400) << field << "=" << value << ": " << r->body;
    EXPECT_EQ(r->body.find("root:"), std::string::npos);
  }
  // Index roots: absolute folders only (files, relative paths and traversal are refused).
  for (const std::string root : {"../../etc", "/etc/passwd", "relative/folder", "/no/such/folder"}) {
    auto r = c.Post("/api/index", json{{"roots", {root}}}.dump(), "application/json");
    expect_json_error(r, 400, "index root " + root);
  }
}

// GET /api/status starts with the record of `facesearch status --json` (one records module for both shells); a bad
// file is `unusable` (old name `skipped_files` kept), the version is the build's, the threshold the pack's.
TEST_F(ServerApi, StatusIsTheCliStatus) {
  auto r = client().Get("/api/status");
  ASSERT_TRUE(r && r->status == 200);
  const json api = json::parse(r->body);
  const auto cli = run_command(binary() + " --library " + quoted(library()) + " status --json");
  ASSERT_EQ(cli.exit_code, 0);
  const json status = json::parse(cli.out);
  for (const auto& [key, value] : status.items()) EXPECT_EQ(api[key], value) << key;
  EXPECT_EQ(status["unusable"], status["skipped_files"]);
  EXPECT_GT(status["unusable"].get<int>(), 0) << "deepface_testset holds non-photo files";
  const auto version = run_command(binary() + " --version");
  EXPECT_EQ(version.out, "facesearch " + api["server"]["version"].get<std::string>() + "\n");
  EXPECT_EQ(api["server"]["default_threshold"].get<double>(), resolve_pack(EngineConfig{}).default_threshold());
  EXPECT_EQ(api["index"]["unusable"], api["index"]["skipped"]);
}

// Must show: 413 on an oversize upload (the default 25 MB limit).
TEST_F(ServerApi, OversizeUploadIs413) {
  std::string big(26u * 1024 * 1024, '\0');
  const auto jpeg = fstest::read_file(one_photo_per_person()[0]);
  std::copy(jpeg.begin(), jpeg.end(), big.begin());  // a real photo, padded past the limit
  auto c = client();
  expect_json_error(c.Post("/api/search", httplib::MultipartFormDataItems{{"image", big, "big.jpg", "image/jpeg"}}),
                    413, "26 MiB upload");
  // The server is still fine after refusing it.
  auto ok = c.Get("/api/status");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

// The pixel limit (EngineConfig.max_pixels) is checked from the header, before any pixel is decoded.
TEST_F(ServerApi, PixelBombIs413) {
  // A PNG header claiming 40000 x 40000 pixels (1.6 gigapixels), and nothing behind it.
  std::string png = "\x89PNG\r\n\x1a\n";
  const unsigned char ihdr[] = {0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40, 8, 2, 0, 0, 0, 0, 0, 0, 0};
  png.append(reinterpret_cast<const char*>(ihdr), sizeof ihdr);
  png.append(1000, '\0');
  expect_json_error(client().Post("/api/search", httplib::MultipartFormDataItems{{"image", png, "bomb.png", "image/png"}}),
                    413, "1.6 gigapixel PNG");
}

TEST_F(ServerApi, BadRequestsAreJsonErrors) {
  auto c = client();
  const fs::path photo = one_photo_per_person()[3];
  expect_json_error(c.Post("/api/search", httplib::MultipartFormDataItems{}), 400, "nothing to search with");
  expect_json_error(c.Post("/api/search", upload(photo, {{"threshold", "abc"}})), 400, "threshold abc");
  expect_json_error(c.Post("/api/search", upload(photo, {{"threshold", "2"}})), 400, "threshold 2");
  expect_json_error(c.Post("/api/search", upload(photo, {{"top", "-1"}})), 400, "top -1");
  expect_json_error(c.Post("/api/search", upload(photo, {{"face", "7"}})), 400, "face 7 of a one-face photo");
  expect_json_error(c.Post("/api/search", upload(photo, {{"face", "someone"}})), 400, "face someone");
  expect_json_error(c.Post("/api/search", upload(photo, {{"face_id", "1"}})), 400, "photo and face id");
  expect_json_error(c.Post("/api/search", "{not json", "application/json"), 400, "broken JSON");
  expect_json_error(c.Post("/api/search", httplib::MultipartFormDataItems{{"image", "", "empty.jpg", "image/jpeg"}}),
                    400, "empty upload");
  expect_json_error(c.Post("/api/search", httplib::MultipartFormDataItems{{"image", "hello", "a.txt", "text/plain"}}),
                    415, "not an image");
  auto jpeg = fstest::read_file(photo);
  jpeg.resize(jpeg.size() / 3);  // a truncated JPEG: recognised, but not decodable
  expect_json_error(c.Post("/api/search", httplib::MultipartFormDataItems{{"image", std::string(jpeg.begin(), jpeg.end()),
                                                                           "cut.jpg", "image/jpeg"}}),
                    422, "truncated JPEG");
  expect_json_error(c.Get("/api/faces/1/thumbnail?size=5000"), 400, "thumbnail too big");
  expect_json_error(c.Get("/api/images/1?max_side=-3"), 400, "negative max_side");
  expect_json_error(c.Post("/api/index", "roots=/tmp", "application/x-www-form-urlencoded"), 415,
                    "index from a form (CSRF)");
  expect_json_error(c.Post("/api/index", json{{"roots", json::array()}}.dump(), "application/json"), 400, "no roots");
  // A photo without any face: 200, no face, no matches.
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<std::uint8_t> blank;
  cv::imencode(".jpg", grey, blank);
  auto r = c.Post("/api/search", httplib::MultipartFormDataItems{{"image", std::string(blank.begin(), blank.end()),
                                                                  "blank.jpg", "image/jpeg"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_TRUE(j["query"]["face"].is_null());
  EXPECT_TRUE(j["matches"].empty());
}

// Without a token the server answers to loopback names only: a web page reaching it through DNS rebinding is refused.
TEST_F(ServerApi, ForeignHostHeaderIsRefused) {
  auto c = client();
  expect_json_error(c.Get("/api/status", {{"Host", "attacker.example:8080"}}), 403, "foreign Host");
  for (const std::string host : {"localhost:1234", "127.0.0.1", "[::1]:80"}) {
    auto r = c.Get("/api/status", {{"Host", host}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << host;
  }
}

// The page is compiled in and served as is, with a restrictive content security policy.
TEST_F(ServerApi, PageIsEmbedded) {
  auto c = client();
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  ASSERT_EQ(index->status, 200);
  EXPECT_EQ(index->body, file_text(fs::path(FACESEARCH_SOURCE_DIR) / "web/index.html"));
  EXPECT_NE(index->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
  for (const std::string name : {"app.js", "viewer.js", "style.css"}) {
    auto r = c.Get("/" + name);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << name;
    EXPECT_EQ(r->body, file_text(fs::path(FACESEARCH_SOURCE_DIR) / "web" / name)) << name;
  }
  EXPECT_EQ(c.Get("/app.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

// The thread pool serves concurrent clients, and results do not depend on which Engine or Library answered.
TEST_F(ServerApi, ConcurrentSearchesAgree) {
  const auto photos = one_photo_per_person();
  std::vector<json> reference;
  for (size_t i = 0; i < 4; ++i) reference.push_back(search_upload(photos[i])["matches"]);
  std::vector<std::thread> clients;
  std::atomic<int> failures{0}, done{0};
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      auto c = client();
      for (int k = 0; k < 4; ++k) {
        const size_t i = static_cast<size_t>(t + k) % 4;
        auto r = (t % 2) ? c.Post("/api/search", upload(photos[i]))
                         : c.Get("/api/faces/" + std::to_string(reference[i][0]["face_id"].get<std::int64_t>()) +
                                 "/thumbnail");
        if (!r || r->status != 200) {
          ++failures;
          continue;
        }
        if (t % 2 && json::parse(r->body)["matches"] != reference[i]) ++failures;
        ++done;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(done.load(), 32);
}
