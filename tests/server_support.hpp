// What the server tests share: a server on a loopback port, the indexed test library, uploads, JSON errors.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "library/library.hpp"
#include "models/model_pack.hpp"
#include "server/server.hpp"
#include "test_support.hpp"

namespace servertest {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace facesearch;
using facesearch::server::Server;
using facesearch::server::ServerOptions;

inline std::string binary() { return std::string(FACESEARCH_BINARY_DIR) + "/facesearch"; }
inline std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

inline std::string file_text(const fs::path& p) {
  auto bytes = fstest::read_file(p);
  return std::string(bytes.begin(), bytes.end());
}

// Runs a shell command; its stdout (and stderr too with `with_stderr`) comes back in `out`.
using fstest::CommandRun;

inline CommandRun run_command(const std::string& cmd, bool with_stderr = false) {
  return fstest::run_command(cmd + (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

using fstest::json_lines;

// A server on a free loopback port, serving from its own thread until destroyed.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) : server_(std::make_unique<Server>(std::move(options))) {
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120);
    c.set_url_encode(false);  // send paths exactly as written: the traversal test needs its raw %2e%2e
    return c;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

inline ServerOptions options_for(const fs::path& library) {
  ServerOptions o;
  o.library = library.string();
  o.port = 0;
  o.threads = 8;
  o.engines = 2;
  return o;
}

// deepface_testset indexed once into the build tree and kept: each test runs in its own process (ctest), and
// indexing again finds every file unchanged in a few milliseconds. It is made again when the default pack's
// manifest is not the one it was made with (a stamp beside it holds that manifest): the library's own guard only
// compares fingerprints (pack id, version, recogniser hash), which a changed pipeline setting leaves alone.
inline fs::path shared_library() {
  const fs::path data = fstest::shared_data();
  const fs::path dir = fs::path(FACESEARCH_BINARY_DIR) / "test-scratch" / "server-library";
  const fs::path stamp = dir.string() + ".pack.json";
  const std::string pack = resolve_pack(EngineConfig{}).to_json().dump();
  const bool same_pack = [&] {
    std::ifstream in(stamp);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) == pack;
  }();
  if (!same_pack) fs::remove_all(dir);  // left by an older build with another default pack or pipeline
  try {
    Library library(dir);
    library.check_pack(resolve_pack(EngineConfig{}));
    library.index({data / "deepface_testset"}, EngineConfig{}, IndexOptions{});
  } catch (const ModelMismatchError&) {  // a library the stamp does not describe
    fs::remove_all(dir);
    Library library(dir);
    library.index({data / "deepface_testset"}, EngineConfig{}, IndexOptions{});
  }
  if (!same_pack) std::ofstream(stamp) << pack;
  return dir;
}

inline httplib::MultipartFormDataItems upload(const fs::path& photo, std::vector<std::pair<std::string, std::string>> fields = {}) {
  httplib::MultipartFormDataItems items = {{"image", file_text(photo), photo.filename().string(), "image/jpeg"}};
  for (auto& [k, v] : fields) items.push_back({k, v, "", ""});
  return items;
}

// Every error is JSON: {"error": "...", "status": N}.
inline void expect_json_error(const httplib::Result& r, int status, const std::string& what) {
  ASSERT_TRUE(r) << what << ": no response (" << httplib::to_string(r.error()) << ")";
  EXPECT_EQ(r->status, status) << what << ": " << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << what;
  json j = json::parse(r->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << what << ": " << r->body;
  EXPECT_EQ(j.value("status", 0), status) << what;
  EXPECT_FALSE(j.value("error", "").empty()) << what;
}

inline cv::Mat decode(const std::string& body) {
  std::vector<std::uint8_t> bytes(body.begin(), body.end());
  return cv::imdecode(bytes, cv::IMREAD_COLOR);
}

// One labelled photo per person of the test set (the first in name order).
inline std::vector<fs::path> one_photo_per_person() {
  std::vector<fs::path> out;
  const fs::path set = fstest::shared_data() / "deepface_testset";
  std::set<fs::path> folders;
  for (auto& e : fs::directory_iterator(set))
    if (e.is_directory() && e.path().filename().string().rfind("id", 0) == 0) folders.insert(e.path());
  for (auto& folder : folders) {
    std::set<fs::path> photos;
    for (auto& e : fs::directory_iterator(folder)) photos.insert(e.path());
    out.push_back(*photos.begin());
  }
  return out;
}

}  // namespace servertest
