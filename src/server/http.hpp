// HTTP plumbing of `facesearch serve`: JSON answers and errors, request parameters, access rules (loopback, Host
// header, bearer token), static assets, listening limits. The handlers themselves are in views.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/cache.hpp"
#include "server/connections.hpp"

namespace facesearch::server {

// An error a handler answers with: {"error": message, "status": status}.
struct HttpError {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
void send_error(httplib::Response& res, int status, const std::string& message);
void send_jpeg(httplib::Response& res, const PictureCache::Bytes& bytes);

// Ids are decimal integers that fit an int64; anything else cannot name a face or image (404).
std::int64_t parse_id(const std::string& text);
// An integer parameter in [lo, hi], else a 400 naming it.
long long parse_integer(const std::string& name, const std::string& text, long long lo, long long hi);
int int_query(const httplib::Request& req, const std::string& name, int fallback, int lo, int hi);
// A similarity threshold in [-1, 1], else a 400.
float parse_threshold(const std::string& text);
// Numbers of a JSON body, checked the same way (app/numbers.hpp), else a 400 naming them.
long long json_integer(const nlohmann::json& value, const std::string& name, long long lo, long long hi);
double json_number(const nlohmann::json& value, const std::string& name, double lo, double hi);
bool is_json_request(const httplib::Request& req);
// The JSON body of a request that changes something, or a 415/400 saying what to send (`usage`). JSON only: a
// cross-site form cannot send it without a CORS preflight, which this server never grants.
nlohmann::json json_body(const httplib::Request& req, const std::string& usage);

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
// Every handler answers errors the same way: JSON with a status code, never an HTML page or a dropped connection.
httplib::Server::Handler guarded(Handler fn);

// Who may ask what: without a token, loopback Host headers only; with one, the API needs it.
class Access {
 public:
  explicit Access(std::string token) : token_(std::move(token)) {}
  bool token_required() const { return !token_.empty(); }
  // The pre-routing check: false after answering 403/401.
  bool allowed(const httplib::Request& req, httplib::Response& res) const;
  // Throws HttpError 401 unless the request may use the API.
  void require_token(const httplib::Request& req) const;

 private:
  bool token_ok(const httplib::Request& req) const;
  std::string token_;
};

// Before httplib reads a body: a body over 64 KiB (and within `max_body_bytes`, which httplib enforces) reserves its
// length from `budget`, else 503 (answered here, connection closed); false after answering.
bool reserve_body(BodyBudget& budget, std::uint64_t max_body_bytes, const httplib::Request& req,
                  httplib::Response& res);

// httplib listens with a backlog of 5 (fixed when Debian built it): eight clients connecting at once overflow it and
// the kernel drops SYNs, which clients retry only after a second. listen() again on the bound socket widens it.
class HttpServer : public httplib::Server {
 public:
  void widen_backlog(int backlog);
};

// A thread per connection up to `max_connections` (server/connections.hpp), body limit (an upload of
// `max_upload_bytes` plus its multipart framing), timeouts and the security headers of every answer.
void configure(HttpServer& http, size_t max_connections, size_t max_upload_bytes);
// GET / and /<name>.<ext>: the page compiled in (web/), looked up by exact name; never a path from the client.
void serve_assets(HttpServer& http);
// Unknown routes, oversize bodies and uncaught exceptions answer JSON too; with `log`, one line per request.
void answer_errors_as_json(HttpServer& http, bool log);

}  // namespace facesearch::server
