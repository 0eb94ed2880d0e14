#include "server/http.hpp"

#include <cstdio>
#include <stdexcept>

#include <sys/socket.h>

#include "app/numbers.hpp"
#include "app/records.hpp"
#include "image/image.hpp"
#include "server/connections.hpp"
#include "server/render.hpp"
#include "server/security.hpp"
#include "server/web_assets.hpp"

using nlohmann::json;

namespace facesearch::server {

namespace {

const char* status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "a bearer token is required";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 409: return "conflict";
    case 413: return "the request is too large";
    case 414: return "the URI is too long";
    case 415: return "unsupported media type";
    case 416: return "range not satisfiable";
    case 422: return "unprocessable";
    default: return status >= 500 ? "internal error" : "error";
  }
}

}  // namespace

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(json_text(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

void send_jpeg(httplib::Response& res, const PictureCache::Bytes& bytes) {
  res.status = 200;
  // Private: the page may be behind a token. Short: an id's photo can change when the file is indexed again.
  res.set_header("Cache-Control", "private, max-age=300");
  res.set_content(reinterpret_cast<const char*>(bytes->data()), bytes->size(), "image/jpeg");
}

httplib::Server::Handler guarded(Handler fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const HttpError& e) {
      if (e.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"facesearch\"");
      send_error(res, e.status, e.message);
    } catch (const ImageError& e) {
      send_error(res, 422, std::string("not a usable photo: ") + e.what());
    } catch (const StalePhotoError& e) {
      send_error(res, 409, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  };
}

bool Access::allowed(const httplib::Request& req, httplib::Response& res) const {
  // This runs before httplib reads any body. httplib holds a Content-Length body to the upload limit, but reads a
  // chunked one whole: refuse those (browsers and curl send uploads with a length). The connection closes, so the
  // unread body is never taken for the next request.
  if (req.has_header("Transfer-Encoding")) {
    res.set_header("Connection", "close");
    send_error(res, 411, "send the body with a Content-Length (chunked request bodies are not accepted)");
    return false;
  }
  if (token_.empty()) {
    // No token means loopback only: refuse pages of other sites that reach us through DNS rebinding.
    if (req.has_header("Host") && !is_loopback_host(host_header_name(req.get_header_value("Host")))) {
      send_error(res, 403, "this server answers only to localhost addresses (start it with --token-file to expose it)");
      return false;
    }
    return true;
  }
  // Bodies within the upload limit are read before the token is checked (else the client, still writing, would
  // see a reset connection instead of the 401); the body budget bounds what all of them hold at once.
  if (req.has_header("Content-Length")) return true;
  try {
    require_token(req);
  } catch (const HttpError& e) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"facesearch\"");
    send_error(res, e.status, e.message);
    return false;
  }
  return true;
}

bool reserve_body(BodyBudget& budget, std::uint64_t max_body_bytes, const httplib::Request& req,
                  httplib::Response& res) {
  const auto length = app::read_integer(req.get_header_value("Content-Length"), 0, INT64_MAX);
  constexpr long long kSmallBody = 64 * 1024;
  // Small bodies cost little; bodies over the limit are refused by httplib (413) without being kept.
  if (!length || *length <= kSmallBody || static_cast<std::uint64_t>(*length) > max_body_bytes) {
    BodyBudget::release_current();
    return true;
  }
  if (budget.reserve(static_cast<std::uint64_t>(*length))) return true;
  res.set_header("Connection", "close");
  res.set_header("Retry-After", "5");
  send_error(res, 503, "too many uploads at once; try again in a few seconds");
  return false;
}

bool Access::token_ok(const httplib::Request& req) const {
  // The page and its scripts hold no data: only the API needs the token.
  if (token_.empty() || (req.path.rfind("/api/", 0) != 0 && req.path != "/api")) return true;
  return bearer_matches(req.get_header_value("Authorization"), token_);
}

void Access::require_token(const httplib::Request& req) const {
  if (!token_ok(req))
    throw HttpError{401, req.has_header("Authorization") ? "wrong token" : "a bearer token is required"};
}

void HttpServer::widen_backlog(int backlog) { ::listen(svr_sock_, backlog); }

void configure(HttpServer& http, size_t max_connections, size_t max_upload_bytes) {
  http.new_task_queue = [max_connections] { return new ConnectionThreads(max_connections); };
  // Multipart framing around an upload of exactly the limit must still fit.
  http.set_payload_max_length(max_upload_bytes + 64 * 1024);
  // Headers and body go out in separate writes: without this, Nagle's algorithm meets the client's delayed ACK and
  // small answers wait ~40 ms.
  http.set_tcp_nodelay(true);
  // A client that stops sending for 5 s, or keeps an idle connection for 5 s, is dropped; a connection serves at
  // most 100 requests.
  http.set_keep_alive_max_count(100);
  http.set_keep_alive_timeout(5);
  http.set_read_timeout(5);
  http.set_write_timeout(10);
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                            {"X-Frame-Options", "DENY"},
                            {"Referrer-Policy", "no-referrer"},
                            {"Content-Security-Policy",
                             "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                             "form-action 'none'; frame-ancestors 'none'"}});
}

void serve_assets(HttpServer& http) {
  auto asset = [](const std::string& name, httplib::Response& res) {
    for (const auto& a : web_assets())
      if (a.name == name) {
        res.set_header("Cache-Control", "no-cache");
        res.set_content(a.data.data(), a.data.size(), std::string(a.mime).c_str());
        return;
      }
    throw HttpError{404, "not found"};
  };
  http.Get("/", guarded([asset](const httplib::Request&, httplib::Response& res) { asset("index.html", res); }));
  http.Get(R"(/([A-Za-z0-9_-]+\.[a-z]+))",
           guarded([asset](const httplib::Request& req, httplib::Response& res) { asset(req.matches[1], res); }));
}

void answer_errors_as_json(HttpServer& http, bool log) {
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a handler already explained
    send_error(res, res.status, status_text(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal error");
  });
  if (log)
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
}

}  // namespace facesearch::server
