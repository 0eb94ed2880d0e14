// libFuzzer target: whole HTTP requests as the server reads them: httplib's own request reader (headers,
// Content-Length, multipart/form-data and urlencoded forms) in memory, then the project's parsers of the API's
// bodies (src/server/requests.cpp), including the probe of an uploaded query photo. Seeded with multipart uploads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/requests.hpp"

using namespace facesearch::server;

namespace {

// One request's bytes in, answers thrown away: what httplib reads from and writes to a socket.
class MemoryStream : public httplib::Stream {
 public:
  MemoryStream(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* out, size_t n) override {
    const std::size_t k = std::min(n, size_ - at_);
    std::memcpy(out, data_ + at_, k);
    at_ += k;
    return static_cast<ssize_t>(k);
  }
  ssize_t write(const char*, size_t n) override { return static_cast<ssize_t>(n); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// The parsers of `facesearch serve` behind httplib's router; only HttpError may leave them (the server would answer
// anything else with a 500 and hide it: here it is a finding).
class ParsingServer : public httplib::Server {
 public:
  ParsingServer() {
    set_payload_max_length(1 << 20);  // as configure() bounds the server's bodies
    Post("/api/search", checked([](const httplib::Request& req) {
           const SearchQuery q = parse_search_query(req);
           if (q.image)
             check_query_photo({reinterpret_cast<const std::uint8_t*>(q.image->data()), q.image->size()}, 1 << 20,
                               100'000'000);
         }));
    Post("/api/index", checked([](const httplib::Request& req) { parse_index_request(req); }));
    Post(R"(/api/people/(\d+)/name)", checked([](const httplib::Request& req) {
           parse_id(req.matches[1]);
           parse_person_name(req);
         }));
    Post("/api/people/export-xmp", checked([](const httplib::Request& req) {
           const auto body = optional_json_object(req, "{...}");
           xmp_paths(body);
           json_flag(body, "in_place", false);
         }));
    Get("/api/people/suggestions", checked([](const httplib::Request& req) { int_query(req, "top", 10, 0, 100000); }));
  }

  void serve(MemoryStream& stream) {
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, [](httplib::Request&) {});
  }

 private:
  static Handler checked(void (*parse)(const httplib::Request&)) {
    return [parse](const httplib::Request& req, httplib::Response&) {
      try {
        parse(req);
      } catch (const HttpError& e) {
        if (e.status < 400 || e.status > 499) __builtin_trap();
      } catch (...) {
        __builtin_trap();
      }
    };
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ParsingServer server;
  MemoryStream stream(data, size);
  server.serve(stream);
  return 0;
}
