// HTTP plumbing of `facesearch serve`: JSON answers and errors, access rules (loopback, Host header, bearer token),
// static assets, listening limits. Request parameters and bodies: requests.hpp; the handlers: views.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/cache.hpp"
#include "server/connections.hpp"
#include "server/requests.hpp"  // HttpError and the request parsers the handlers use

namespace facesearch::server {

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
void send_error(httplib::Response& res, int status, const std::string& message);
void send_jpeg(httplib::Response& res, const PictureCache::Bytes& bytes);

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
