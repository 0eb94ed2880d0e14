#include "test_support.hpp"

#include <libpq-fe.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace fstest {

int spawn_facesearch(const std::vector<std::string>& args) {
  const std::string binary = std::string(FACESEARCH_BINARY_DIR) + "/facesearch";
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> argv;
    static const std::string name = "facesearch";
    argv.push_back(const_cast<char*>(name.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

bool exited_ok(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::filesystem::path shared_data() {
  const char* env = std::getenv("FACESEARCH_TEST_DATA");
  std::filesystem::path dir = env && *env ? env : FACESEARCH_TEST_DATA_DEFAULT;
  if (!std::filesystem::is_directory(dir / "deepface_testset")) {
    throw std::runtime_error("test data not found at '" + dir.string() +
                             "': these tests need the labelled photos of ../shared/data beside the checkout "
                             "(or set FACESEARCH_TEST_DATA)");
  }
  return dir;
}

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(FACESEARCH_BINARY_DIR) / "test-scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace fstest

#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>

namespace fstest {

std::vector<std::uint8_t> jpeg_with_exif_orientation(const cv::Mat& stored, int orientation) {
  std::vector<std::uint8_t> jpeg;
  cv::imencode(".jpg", stored, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95});
  // APP1: "Exif\0\0", little-endian TIFF header, IFD0 with a single Orientation (0x0112, SHORT) entry.
  std::vector<std::uint8_t> tiff = {'I', 'I', 42, 0, 8, 0, 0, 0,  // header, IFD0 at offset 8
                                    1, 0,                         // one entry
                                    0x12, 0x01, 3, 0, 1, 0, 0, 0,  // tag, type SHORT, count 1
                                    static_cast<std::uint8_t>(orientation), 0, 0, 0,
                                    0, 0, 0, 0};  // no next IFD
  std::vector<std::uint8_t> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t len = app1.size() + 2;
  std::vector<std::uint8_t> segment = {0xFF, 0xE1, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len & 0xFF)};
  segment.insert(segment.end(), app1.begin(), app1.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());  // right after SOI
  return jpeg;
}

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::pair<std::filesystem::path, std::string>> deepface_labels(const std::filesystem::path& dir) {
  std::ifstream in(dir / "labels.csv");
  if (!in) throw std::runtime_error("cannot read " + (dir / "labels.csv").string());
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::pair<std::filesystem::path, std::string>> labels;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string file, identity, staged;
    std::getline(ss, file, ',');
    std::getline(ss, identity, ',');
    std::getline(ss, staged, ',');
    if (!staged.empty() && staged.back() == '\r') staged.pop_back();
    if (identity.starts_with("group")) continue;  // group photos hold several people
    labels.emplace_back(dir / staged, identity);
  }
  return labels;
}

CommandRun run_command(const std::string& command_line) {
  CommandRun r;
  FILE* p = popen(command_line.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<float> unit_length(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

std::string pg_test_url() {
  const char* url = std::getenv("FACESEARCH_TEST_PG_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "FACESEARCH_TEST_PG_URL is not set: the PostgreSQL backend tests need a server with pgvector. Run them "
        "through scripts/postgres-test.sh (as `make test` does), e.g. `scripts/postgres-test.sh build/tests/test_storage`");
  return url;
}

void pg_admin(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    const std::string err = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot connect to the test server: " + err);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  const std::string err = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(sql + ": " + err);
}

namespace {
// The URL with another database name.
std::string with_database(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  return base + "/" + db + (query == std::string::npos ? "" : url.substr(query));
}
}  // namespace

std::string new_library(const std::string& backend, const std::filesystem::path& scratch, const std::string& name) {
  if (backend == "sqlite") return (scratch / name).string();
  const std::string url = pg_test_url();
  std::string db = "fs_" + scratch.filename().string() + "_" + name;
  for (char& ch : db)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  pg_admin(url, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  pg_admin(url, "CREATE DATABASE " + db);
  return with_database(url, db);
}

}  // namespace fstest
