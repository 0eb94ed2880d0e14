// Model packs: installing from local files (`models add`), refusing corrupt weights, and downloading over HTTP
// (offline error, resume with Range, sha256 check) against a tiny HTTP server inside the test.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "models/download.hpp"
#include "models/model_pack.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

fs::path reference_model(const std::string& file) {
  const fs::path p = fstest::shared_data().parent_path() / "models" / file;
  if (!fs::is_regular_file(p))
    throw std::runtime_error("reference model '" + p.string() + "' not found: these tests need ../shared/models");
  return p;
}

// The default pack's recogniser, installed by `make models` before the tests run.
fs::path default_recognizer() { return require_pack(find_pack(kDefaultPack, models_root())).at("embedder"); }

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void flip_byte(const fs::path& p, std::streamoff at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.get(c);
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x5a));
}

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun run_cli(const std::string& args) {
  const fs::path err = fs::path(FACESEARCH_BINARY_DIR) / "test-models-stderr.txt";
  const std::string cmd = std::string(FACESEARCH_BINARY_DIR) + "/facesearch " + args + " 2>" + err.string();
  const fstest::CommandRun run = fstest::run_command(cmd);
  CliRun r;
  r.exit_code = run.exit_code;
  r.out = run.out;
  r.err = read_bytes(err);
  return r;
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// A one-thread HTTP/1.1 server on 127.0.0.1 serving fixed bodies, with knobs to misbehave.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 8) != 0)
      throw std::runtime_error("test server: cannot listen");
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  // The next response sends only this many body bytes, then drops the connection.
  void cut_next_after(size_t bytes) { cut_after_ = static_cast<long>(bytes); }
  void ignore_range(bool on) { ignore_range_ = on; }
  std::vector<std::string> ranges_seen() {
    std::lock_guard lock(mu_);
    return ranges_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      close(c);
    }
  }
  void serve(int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    std::istringstream lines(req);
    std::string method, path, line;
    lines >> method >> path;
    size_t from = 0;
    bool ranged = false;
    while (std::getline(lines, line)) {
      if (line.rfind("Range: bytes=", 0) == 0 || line.rfind("range: bytes=", 0) == 0) {
        std::lock_guard lock(mu_);
        ranges_.push_back(line.substr(13, line.find_first_of("\r") - 13));
        from = std::stoul(ranges_.back());
        ranged = !ignore_range_;
      }
    }
    auto it = files_.find(path);
    if (it == files_.end()) {
      send_all(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    const std::string& body = it->second;
    if (!ranged) from = 0;
    std::string head = ranged ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) + "-" +
                                    std::to_string(body.size() - 1) + "/" + std::to_string(body.size()) + "\r\n"
                              : "HTTP/1.1 200 OK\r\n";
    head += "Content-Length: " + std::to_string(body.size() - from) + "\r\nConnection: close\r\n\r\n";
    send_all(c, head);
    size_t n = body.size() - from;
    if (const long cut = cut_after_.exchange(-1); cut >= 0) n = std::min(n, static_cast<size_t>(cut));
    send_all(c, std::string_view(body).substr(from, n));
  }
  static void send_all(int c, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(c, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  std::map<std::string, std::string> files_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<long> cut_after_{-1};
  std::atomic<bool> ignore_range_{false};
  std::mutex mu_;
  std::vector<std::string> ranges_;
  std::thread thread_;
};

std::string random_bytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

// ---- manifests ----------------------------------------------------------------------------------------------

// Issue 17: the default pack is `profile`, and "default" names it; the previous default is `frontal`, whose
// manifest lists the name libraries were claimed with ("default@1"), so those libraries are frontal's. The guard
// compares whole fingerprints: the same recogniser file under another pipeline (profile) is not a match.
TEST(ModelManifest, DefaultPackAndThePreviousDefault) {
  const fs::path nowhere = "/nonexistent/models";
  EXPECT_EQ(find_pack("default", nowhere).id, "profile");
  EXPECT_EQ(find_pack(kDefaultPack, nowhere).id, "profile");
  const ModelPack frontal = find_pack("frontal", nowhere), profile = find_pack("profile", nowhere);
  EXPECT_EQ(frontal.formerly, std::vector<std::string>{"default@1"});
  EXPECT_TRUE(profile.formerly.empty());
  // The previous default's networks, unchanged: frontal is the pipeline `default@1` was.
  EXPECT_TRUE(frontal.keypoints.empty());
  for (const char* role : {"detector", "landmarker", "embedder"})
    EXPECT_EQ(frontal.files.at(role).sha256, profile.files.at(role).sha256) << role;
  EXPECT_FALSE(profile.keypoints.empty());

  const std::string old_library = "default@1:87aacdfe57510db2";  // what the previous default claimed libraries as
  EXPECT_EQ(frontal.fingerprint(), "frontal@1:87aacdfe57510db2");
  EXPECT_TRUE(frontal.matches_library(old_library));
  EXPECT_TRUE(frontal.matches_library(frontal.fingerprint()));
  EXPECT_FALSE(profile.matches_library(old_library));
  EXPECT_FALSE(frontal.matches_library(profile.fingerprint()));
  EXPECT_FALSE(frontal.matches_library("default@2:87aacdfe57510db2"));
  EXPECT_FALSE(frontal.matches_library("default@1:0123456789abcdef"));  // another recogniser under the old name
  ASSERT_TRUE(builtin_pack_formerly(old_library).has_value());
  EXPECT_EQ(builtin_pack_formerly(old_library)->id, "frontal");
  EXPECT_FALSE(builtin_pack_formerly(frontal.fingerprint()).has_value());
  EXPECT_FALSE(builtin_pack_formerly(profile.fingerprint()).has_value());

  // "formerly" round-trips, and only names that can begin a fingerprint are accepted.
  EXPECT_EQ(ModelPack::from_json(frontal.to_json()).formerly, frontal.formerly);
  for (const nlohmann::json& bad : {nlohmann::json("default@1"), nlohmann::json::array({"default"}),
                                    nlohmann::json::array({"@1"}), nlohmann::json::array({"default@"}),
                                    nlohmann::json::array({"default@1:87aa"}), nlohmann::json::array({"default@x"}),
                                    nlohmann::json::array({1})}) {
    nlohmann::json j = frontal.to_json();
    j["formerly"] = bad;
    EXPECT_THROW(ModelPack::from_json(j), std::runtime_error) << bad.dump();
  }
}

TEST(ModelManifest, BuiltinPacksParseAndUnverifiableHashesAreMarked) {
  std::map<std::string, ModelPack> by_id;
  for (const auto& p : builtin_packs()) by_id[p.id] = p;
  ASSERT_TRUE(by_id.count("frontal") && by_id.count("profile") && by_id.count("buffalo_l") &&
              by_id.count("buffalo_s") && by_id.count("yunet_sface"));
  EXPECT_TRUE(by_id["frontal"].fully_pinned());
  EXPECT_TRUE(by_id["profile"].fully_pinned());
  // The URL packs could not be hashed here: their manifests say so (null), and verification says so too.
  for (const char* id : {"buffalo_l", "buffalo_s", "yunet_sface"}) {
    const ModelPack& p = by_id[id];
    EXPECT_EQ(p.source.value("type", ""), "url") << id;
    EXPECT_FALSE(p.fully_pinned()) << id;
    EXPECT_FALSE(p.license.empty()) << id;
  }
  EXPECT_EQ(by_id["buffalo_l"].embedder.value("type", ""), "arcface");
  EXPECT_EQ(by_id["yunet_sface"].embedding_dim(), 128);
  // Round trip through an installed manifest keeps what the engine reads.
  const ModelPack back = ModelPack::from_json(by_id["yunet_sface"].to_json());
  EXPECT_EQ(back.files.at("embedder").url, by_id["yunet_sface"].files.at("embedder").url);
  EXPECT_TRUE(back.files.at("embedder").sha256.empty());
  EXPECT_EQ(back.detector, by_id["yunet_sface"].detector);
}

// Found by the manifest fuzz target (tests/fuzz/manifest.cpp): numbers nlohmann would cast with undefined behaviour.
TEST(ModelManifest, NumbersMustBeIntegersInRange) {
  auto manifest = [](const char* version, const char* dim, const char* size) {
    return nlohmann::json::parse(std::string(R"({"id": "x", "version": )") + version + R"(, "detector": {},
        "embedder": {"type": "sface", "dim": )" + dim + R"(}, "files": {"embedder": {"name": "e.onnx",
        "sha256": null, "size": )" + size + "}}}");
  };
  const ModelPack ok = ModelPack::from_json(manifest("3", "128", "4096"));
  EXPECT_EQ(ok.version, 3);
  EXPECT_EQ(ok.embedding_dim(), 128);
  EXPECT_EQ(ok.files.at("embedder").size, 4096u);
  EXPECT_EQ(ModelPack::from_json(ok.to_json()).to_json(), ok.to_json());  // values set in code read back too
  for (auto [version, dim, size] : {std::array{"1e300", "128", "1"}, {"2.5", "128", "1"}, {"0", "128", "1"},
                                    {"1", "2.5", "1"}, {"1", "1e300", "1"}, {"1", "0", "1"}, {"1", "128", "-1"},
                                    {"1", "128", "-5.5e30"}, {"1", "128", "\"big\""}})
    EXPECT_THROW(ModelPack::from_json(manifest(version, dim, size)), std::exception)
        << version << " " << dim << " " << size;
  try {
    ModelPack::from_json(manifest("1e300", "128", "1"));
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"version\" must be an integer from 1 to"), std::string::npos) << e.what();
  }
}

// ---- install from local files -------------------------------------------------------------------------------

TEST(ModelsAdd, LibraryInstallVerifiesAndRefusesCorruption) {
  const fs::path root = fstest::scratch_dir("models-add-lib");
  ModelPack pack;
  pack.id = "local_yunet";
  pack.detector = {{"type", "yunet"}, {"input", {320, 320}}};
  pack.embedder = {{"type", "mobilefacenet"}, {"input", {112, 112}}, {"dim", 512}};
  const fs::path detector = reference_model("yunet_n_320_320.onnx");
  const ModelPack added =
      add_pack_from_files(pack, {{"detector", detector}, {"embedder", default_recognizer()}}, root, false);
  EXPECT_EQ(added.files.at("detector").sha256, sha256_file(detector));
  EXPECT_EQ(added.files.at("detector").size, fs::file_size(detector));

  const ModelPack found = find_pack("local_yunet", root);
  EXPECT_FALSE(found.builtin);
  EXPECT_EQ(found.files.at("embedder").sha256, sha256_file(default_recognizer()));
  EXPECT_NO_THROW(require_pack(found, root));
  // Built-in names, the default pack's alias and existing packs are refused.
  for (const char* taken : {"default", "frontal", "profile"}) {
    pack.id = taken;
    EXPECT_THROW(add_pack_from_files(pack, {{"detector", detector}}, root, false), std::runtime_error) << taken;
  }
  pack.id = "local_yunet";
  EXPECT_THROW(add_pack_from_files(pack, {{"detector", detector}}, root, false), std::runtime_error);

  flip_byte(root / "local_yunet" / detector.filename(), 5000);
  EXPECT_EQ(verify_pack(found, root / "local_yunet").at("detector"), FileState::HashMismatch);
  try {
    require_pack(found, root);
    ADD_FAILURE() << "a corrupted weight file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sha256 mismatch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(detector.filename().string()), std::string::npos) << e.what();
  }
}

TEST(ModelsAdd, CliInstallsScrfdPackThatFindsFacesAndRefusesCorruptWeights) {
  const fs::path root = fstest::scratch_dir("models-add-cli");
  const fs::path scrfd = reference_model("scrfd_500m_bnkps.onnx");
  const std::string models = "--models " + q(root) + " ";
  CliRun add = run_cli(models + "models add scrfd_local --detector " + q(scrfd) +
                          " --detector-type scrfd --recognizer " + q(default_recognizer()) +
                          " --recognizer-type mobilefacenet --license 'test only'");
  ASSERT_EQ(add.exit_code, 0) << add.err;

  CliRun list = run_cli(models + "models list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  bool listed = false;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["id"] != "scrfd_local") continue;
    listed = true;
    EXPECT_TRUE(j["installed"].get<bool>());
    EXPECT_FALSE(j["builtin"].get<bool>());
    EXPECT_EQ(j["files"]["detector"]["state"], "ok");
    EXPECT_EQ(j["license"], "test only");
  }
  EXPECT_TRUE(listed) << list.out;

  // The pack runs: SCRFD's keypoints replace the landmarker, the recogniser gives 512-d unit vectors.
  const fs::path photo = fstest::shared_data() / "dlib_faces" / "faces" / "2008_002506.jpg";
  CliRun faces = run_cli(models + "--pack scrfd_local faces --embeddings " + q(photo));
  ASSERT_EQ(faces.exit_code, 0) << faces.err;
  const auto record = nlohmann::json::parse(faces.out);
  ASSERT_GE(record["faces"].size(), 3u) << faces.out.substr(0, 300);
  for (const auto& f : record["faces"]) {
    ASSERT_EQ(f["embedding"].size(), 512u);
    double norm = 0;
    for (double v : f["embedding"]) norm += v * v;
    EXPECT_NEAR(norm, 1.0, 1e-3);
  }

  // A corrupted detector is refused by name, with exit code 2.
  flip_byte(root / "scrfd_local" / scrfd.filename(), 100000);
  CliRun refused = run_cli(models + "--pack scrfd_local faces " + q(photo));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("sha256 mismatch"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(scrfd.filename().string()), std::string::npos) << refused.err;

  // A file that is not a model at all is refused before anything is installed.
  const fs::path junk = root / "junk.onnx";
  fstest::write_file(junk, {'n', 'o', 't', ' ', 'o', 'n', 'n', 'x'});
  CliRun bad = run_cli(models + "models add junk --detector " + q(junk) + " --detector-type scrfd --recognizer " +
                          q(default_recognizer()) + " --recognizer-type arcface");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(fs::exists(root / "junk"));
}

// `models add --runtime` pins every network of the pack to that runtime (scripts/quantize-pack.sh relies on it: int8
// QDQ files must not fall back to OpenCV DNN); an unknown runtime is refused and nothing is installed.
TEST(ModelsAdd, RuntimeOptionIsRecordedForEveryNetwork) {
  const fs::path root = fstest::scratch_dir("models-add-runtime");
  const auto files = require_pack(find_pack("frontal", models_root()));  // its three networks
  const std::string models = "--models " + q(root) + " ";
  const std::string stages = " --detector " + q(files.at("detector")) + " --detector-type ultralight --landmarker " +
                             q(files.at("landmarker")) + " --recognizer " + q(files.at("embedder")) +
                             " --recognizer-type mobilefacenet";
  CliRun add = run_cli(models + "models add pinned_opencv --runtime opencv" + stages);
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const ModelPack pack = find_pack("pinned_opencv", root);
  EXPECT_EQ(pack.runtime, "opencv");
  for (const nlohmann::json* network : {&pack.detector, &pack.landmarker, &pack.embedder})
    EXPECT_EQ(network->value("runtime", ""), "opencv") << network->dump();
  EXPECT_NE(pack.fingerprint(), find_pack("frontal", models_root()).fingerprint());

  CliRun bad = run_cli(models + "models add pinned_bogus --runtime tensorflow" + stages);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_FALSE(fs::exists(root / "pinned_bogus"));
}

// ---- downloads ----------------------------------------------------------------------------------------------

TEST(Download, UnreachableServerGivesAClearOfflineError) {
  // A port nobody listens on: bind, read the port, close.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(s);

  const fs::path dir = fstest::scratch_dir("download-offline");
  try {
    download_file("http://127.0.0.1:" + std::to_string(port) + "/w600k_r50.onnx", dir / "w.onnx");
    ADD_FAILURE() << "download from a closed port succeeded";
  } catch (const DownloadError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("offline"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "w.onnx"));
}

TEST(Download, InterruptedTransferResumesWithRangeAndIsVerified) {
  const std::string body = random_bytes(300'000);
  TinyHttpServer server({{"/model.onnx", body}});
  const fs::path dir = fstest::scratch_dir("download-resume");
  const fs::path dest = dir / "model.onnx";
  DownloadOptions opt;
  fstest::write_file(dir / "expected.bin", std::vector<std::uint8_t>(body.begin(), body.end()));
  opt.expected_sha256 = sha256_file(dir / "expected.bin");

  server.cut_next_after(120'000);
  try {
    download_file(server.url("/model.onnx"), dest, opt);
    ADD_FAILURE() << "a cut transfer was reported complete";
  } catch (const DownloadError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest));
  ASSERT_TRUE(fs::exists(dir / "model.onnx.part"));
  const auto kept = fs::file_size(dir / "model.onnx.part");
  EXPECT_EQ(kept, 120'000u);

  const DownloadResult r = download_file(server.url("/model.onnx"), dest, opt);
  EXPECT_EQ(r.resumed_from, kept);
  EXPECT_EQ(r.bytes, body.size());
  EXPECT_EQ(read_bytes(dest), body);
  EXPECT_FALSE(fs::exists(dir / "model.onnx.part"));
  const auto ranges = server.ranges_seen();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0], std::to_string(kept) + "-");
}

TEST(Download, ServerIgnoringRangeStartsOverInsteadOfAppending) {
  const std::string body = random_bytes(50'000);
  TinyHttpServer server({{"/m.onnx", body}});
  server.ignore_range(true);
  const fs::path dir = fstest::scratch_dir("download-norange");
  fstest::write_file(dir / "m.onnx.part", std::vector<std::uint8_t>(7000, 0xAB));
  const DownloadResult r = download_file(server.url("/m.onnx"), dir / "m.onnx");
  EXPECT_EQ(r.resumed_from, 0u);
  EXPECT_EQ(read_bytes(dir / "m.onnx"), body);
}

TEST(Download, WrongSha256IsRefusedAndNothingIsKept) {
  const std::string body = random_bytes(20'000);
  TinyHttpServer server({{"/m.onnx", body}});
  const fs::path dir = fstest::scratch_dir("download-badsha");
  DownloadOptions opt;
  opt.expected_sha256 = std::string(64, '0');
  EXPECT_THROW(download_file(server.url("/m.onnx"), dir / "m.onnx", opt), DownloadError);
  EXPECT_FALSE(fs::exists(dir / "m.onnx"));
  EXPECT_FALSE(fs::exists(dir / "m.onnx.part"));
  try {
    download_file(server.url("/missing.onnx"), dir / "x.onnx");
    ADD_FAILURE();
  } catch (const DownloadError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
  }
}

TEST(Download, UrlPackWithoutRecordedHashIsRefusedUnlessPinned) {
  const fs::path detector = reference_model("yunet_n_320_320.onnx");
  TinyHttpServer server({{"/det.onnx", read_bytes(detector)}, {"/rec.onnx", read_bytes(default_recognizer())}});
  const fs::path root = fstest::scratch_dir("download-pack");
  const ModelPack pack = ModelPack::from_json({
      {"id", "url_pack"},
      {"source", {{"type", "url"}}},
      {"detector", {{"type", "yunet"}, {"input", {320, 320}}}},
      {"embedder", {{"type", "mobilefacenet"}, {"input", {112, 112}}, {"dim", 512}}},
      {"files",
       {{"detector", {{"name", "det.onnx"}, {"sha256", nullptr}, {"url", server.url("/det.onnx")}}},
        {"embedder", {{"name", "rec.onnx"}, {"sha256", nullptr}, {"url", server.url("/rec.onnx")}}}}},
  });
  std::string error;
  EXPECT_FALSE(install_pack_from_url(pack, root, error, true, /*allow_unpinned=*/false));
  EXPECT_NE(error.find("--no-verify"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(root / "url_pack"));

  ASSERT_TRUE(install_pack_from_url(pack, root, error, true, /*allow_unpinned=*/true)) << error;
  const ModelPack pinned = find_pack("url_pack", root);
  EXPECT_EQ(pinned.files.at("detector").sha256, sha256_file(detector));
  EXPECT_NO_THROW(require_pack(pinned, root));
  EXPECT_FALSE(fs::exists(root / ".downloads" / "url_pack"));  // downloads are cleaned after a good install

  flip_byte(root / "url_pack" / "rec.onnx", 4000);
  EXPECT_THROW(require_pack(find_pack("url_pack", root), root), std::runtime_error);
}
