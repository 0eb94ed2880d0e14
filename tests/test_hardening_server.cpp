// Issue 13, classes 4 and 5: hostile HTTP clients against a `facesearch serve` child, over raw loopback sockets.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "hardening_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace hardening;
using Clock = std::chrono::steady_clock;

namespace {

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

void send_text(int fd, const std::string& text) { (void)!send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

// What the server sends until it closes or `seconds` pass.
std::string read_answer(int fd, double seconds) {
  std::string answer;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  char buffer[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  return answer;
}

int status_code(const std::string& answer) {
  return answer.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(answer.substr(9, 3)) : 0;
}

fs::path one_photo_library(const fs::path& scratch) {
  const fs::path library = scratch / "lib";
  const fs::path photo = fstest::shared_data() / "faceapi_bbt" / "identities" / "amy" / "amy1.png";
  EXPECT_TRUE(
      fstest::exited_ok(run_facesearch({"--library", library.string(), "index", photo.string()}, scratch / "i").status));
  return library;
}

}  // namespace

// Class 5: chunked bodies are refused before they are read; without the token a large body is refused before
// it is read; 1,000 ranges never build a large answer; a NUL in an index root is refused.
TEST(Hardening, Class5LimitsClientsCannotWalkAround) {
  const fs::path scratch = fstest::scratch_dir("hardening-class5");
  const fs::path library = one_photo_library(scratch);
  const fs::path token_file = scratch / "token";
  fstest::write_file(token_file, {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'g'});
  ServeChild serve({"--library", library.string(), "serve", "--port", "0", "--token-file", token_file.string()},
                   scratch / "serve");
  const std::string auth = "Authorization: Bearer 0123456789abcdefg\r\n";

  {  // A chunked upload, token or not: 411 after the first chunk, the rest never wanted.
    const int fd = connect_to(serve.port());
    send_text(fd, "POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + auth +
                      "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "10000\r\n" + std::string(4096, 'A'));
    const std::string answer = read_answer(fd, 5);
    EXPECT_EQ(status_code(answer), 411) << answer;
    close(fd);
  }
  {  // 100 MB announced without the token: refused (over the limit) before any of it is sent.
    const int fd = connect_to(serve.port());
    send_text(fd, "POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                  "Content-Length: 100000000\r\n\r\n");
    const std::string answer = read_answer(fd, 5);
    EXPECT_EQ(status_code(answer), 413) << answer;
    close(fd);
  }
  {  // Uploads in flight share a budget (--threads x the upload limit): past it, 503 before the body is read.
    std::vector<int> holders;
    const std::string upload_head = "POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                    "multipart/form-data; boundary=x\r\nContent-Length: 26000000\r\n\r\n";
    for (int i = 0; i < 8; ++i) {
      holders.push_back(connect_to(serve.port()));
      send_text(holders.back(), upload_head + "--x");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const int fd = connect_to(serve.port());
    send_text(fd, upload_head);
    EXPECT_EQ(status_code(read_answer(fd, 5)), 503);
    close(fd);
    for (const int h : holders) close(h);
  }
  {  // Over the upload limit with the token: 413 from the length alone.
    const int fd = connect_to(serve.port());
    send_text(fd, "POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + auth +
                      "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000000\r\n\r\n");
    EXPECT_EQ(status_code(read_answer(fd, 5)), 413);
    close(fd);
  }
  {  // 1,000 ranges of a photo: one plain answer no larger than the photo (httplib would repeat it 1,000 times).
    std::string ranges = "Range: bytes=0-";
    for (int i = 0; i < 999; ++i) ranges += ",0-";
    const int fd = connect_to(serve.port());
    send_text(fd, "GET /api/images/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + auth + ranges + "\r\n\r\n");
    const std::string answer = read_answer(fd, 10);
    EXPECT_EQ(status_code(answer), 200) << answer.substr(0, 200);
    EXPECT_LT(answer.size(), 200'000u);
    close(fd);
  }
  {  // A NUL byte in an index root would make the system index its parent folder.
    httplib::Client client = serve.client();
    client.set_bearer_token_auth("0123456789abcdefg");
    const json body = {{"roots", {(scratch / "photos").string() + std::string(1, '\0') + "/x"}}};
    fs::create_directories(scratch / "photos");
    auto res = client.Post("/api/index", body.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    EXPECT_NE(res->body.find("NUL"), std::string::npos) << res->body;
  }
  EXPECT_TRUE(fstest::exited_ok(serve.stop()));
}

// Class 4: with 500 idle connections and 50 clients sending a header one byte a second, /api/status still
// answers within 1 s, every time it is asked over 4 s. Bounded: every socket closes at the end.
TEST(Hardening, Class4SlowAndIdleClientsDoNotBlockTheServer) {
  const fs::path scratch = fstest::scratch_dir("hardening-class4");
  const fs::path library = one_photo_library(scratch);
  ServeChild serve({"--library", library.string(), "serve", "--port", "0"}, scratch / "serve");

  std::vector<int> idle, slow;
  for (int i = 0; i < 500; ++i) idle.push_back(connect_to(serve.port()));
  for (int i = 0; i < 50; ++i) slow.push_back(connect_to(serve.port()));
  EXPECT_EQ(std::count(idle.begin(), idle.end(), -1) + std::count(slow.begin(), slow.end(), -1), 0);
  const std::string slow_request = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
  double worst = 0;
  int answered = 0;
  const auto start = Clock::now();
  for (std::size_t second = 0; Clock::now() - start < std::chrono::seconds(4); ++second) {
    for (const int fd : slow) send_text(fd, std::string(1, slow_request[second % slow_request.size()]));
    const auto asked = Clock::now();
    const int fd = connect_to(serve.port());
    send_text(fd, "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const std::string answer = read_answer(fd, 5);
    close(fd);
    const double seconds = std::chrono::duration<double>(Clock::now() - asked).count();
    worst = std::max(worst, seconds);
    answered += status_code(answer) == 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000) - (Clock::now() - asked));
  }
  for (const int fd : idle) close(fd);
  for (const int fd : slow) close(fd);
  EXPECT_GE(answered, 4);
  EXPECT_LT(worst, 1.0) << "slowest /api/status: " << worst << " s";
  std::printf("/api/status with 500 idle and 50 slow connections: %d answers, slowest %.3f s\n", answered, worst);
  EXPECT_TRUE(fstest::exited_ok(serve.stop()));
}
