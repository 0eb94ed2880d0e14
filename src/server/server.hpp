// `facesearch serve`: a JSON API and a web page over a face library (docs/API.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/session.hpp"
#include "engine/engine.hpp"

namespace facesearch::server {

struct ServerOptions {
  std::string library;            // library spec (a directory); created when missing so the API can index into it
  EngineConfig engine;            // analysis of uploaded photos and of indexing jobs; max_pixels is the pixel limit
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (see Server::bind)
  std::string token;              // empty: no authentication, which check_exposure allows on loopback only
  size_t max_upload_bytes = 25u * 1024 * 1024;
  int threads = 8;                // requests served at once (each holds a library connection)
  size_t max_connections = 1024;  // open connections served at once (a thread each); more wait for one to end
  int engines = 2;                // photos analysed at once (each Engine holds its own networks)
  int index_jobs = 2;             // worker threads of an indexing job
  size_t cache_bytes = 64u * 1024 * 1024;  // encoded thumbnails and photos kept in memory
  size_t max_range_bytes = 8u * 1024 * 1024;  // bytes of a video sent per ranged answer (a player asks for more)
  bool log_requests = false;      // one line per request on stderr
};

class Server {
 public:
  // Opens the session: the library (created when missing) and one Engine, failing early when the models are
  // missing or the library was built with another pack. Throws std::invalid_argument for unsafe options,
  // std::runtime_error otherwise.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port (useful with port 0). Throws std::runtime_error.
  int bind();
  // Serves requests on the thread pool until stop() (at once if stop() came first); call bind() first.
  void run();
  // Thread-safe; run() returns soon after.
  void stop();
  // True while an indexing job started through the API is running (stop waits for it).
  bool indexing() const;
  // The application session the server answers from (e.g. for the status line of `facesearch serve`).
  app::Session& session();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace facesearch::server
