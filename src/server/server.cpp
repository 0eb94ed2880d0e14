#include "server/server.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "server/http.hpp"
#include "server/index_job.hpp"
#include "server/security.hpp"
#include "server/views.hpp"
#include "server/views_people.hpp"

namespace facesearch::server {

namespace {

app::SessionOptions session_options(const ServerOptions& o) {
  app::SessionOptions s;
  s.engine = o.engine;
  s.library = o.library;
  s.create_library = true;  // an empty library can be filled through POST /api/index
  s.jobs = o.index_jobs;
  s.engines = static_cast<size_t>(std::max(1, o.engines));
  s.connections = static_cast<size_t>(std::max(1, o.threads)) + 1;  // + the indexing job's
  return s;
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        session(session_options(options)),
        index_job(session),
        access(options.token),
        views(session, options, index_job),
        cluster_job(session),
        people_views(session, cluster_job),
        // As many uploads of the largest size as requests are served at once.
        body_budget(static_cast<std::uint64_t>(std::max(1, options.threads)) * (options.max_upload_bytes + 64 * 1024)) {}

  void routes();

  const ServerOptions options;
  app::Session session;
  IndexJob index_job;
  Access access;
  Views views;
  ClusterJob cluster_job;
  PeopleViews people_views;
  BodyBudget body_budget;
  HttpServer http;
  std::atomic<bool> stopping{false}, in_run{false};
};

void Server::Impl::routes() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // httplib applies Range headers to every answer by itself, and builds multipart answers of several ranges in
    // memory (bytes=0-,0-,0-... repeats a photo as often as asked). Only the video view answers ranges
    // (server/video.hpp, from the header): drop httplib's parsed ranges. The Request is httplib's own mutable
    // object, handed over as const.
    const_cast<httplib::Request&>(req).ranges.clear();
    return access.allowed(req, res) && reserve_body(body_budget, options.max_upload_bytes + 64 * 1024, req, res) ? httplib::Server::HandlerResponse::Unhandled
                                                                            : httplib::Server::HandlerResponse::Handled;
  });
  serve_assets(http);

  // Every API handler checks the token itself (the pre-routing check skips requests with a body).
  auto api = [this](Handler fn) {
    return guarded([this, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
      access.require_token(req);
      fn(req, res);
    });
  };
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  auto id = [](Req req) { return parse_id(req.matches[1]); };
  Views& v = views;
  http.Get("/api/status", api([&v](Req, Res res) { v.status(res); }));
  http.Post("/api/search", api([&v](Req req, Res res) { v.search(req, res); }));
  http.Get(R"(/api/faces/(\d+))", api([&v, id](Req req, Res res) { v.face(id(req), res); }));
  http.Get(R"(/api/faces/(\d+)/thumbnail)", api([&v, id](Req req, Res res) { v.thumbnail(req, id(req), res); }));
  http.Get(R"(/api/images/(\d+))", api([&v, id](Req req, Res res) { v.photo(req, id(req), res); }));
  http.Get(R"(/api/videos/(\d+))", api([&v, id](Req req, Res res) { v.video(req, id(req), res); }));
  http.Get(R"(/api/images/(\d+)/faces)", api([&v, id](Req req, Res res) { v.image_faces(id(req), res); }));
  http.Get("/api/index", api([&v](Req, Res res) { v.index_state(res); }));
  http.Post("/api/index", api([&v](Req req, Res res) { v.start_index(req, res); }));
  http.Get("/api/people", api([&v](Req req, Res res) { v.people(req, res); }));
  http.Get(R"(/api/people/(\d+))", api([&v, id](Req req, Res res) { v.person(id(req), res); }));
  http.Post(R"(/api/people/(\d+)/name)", api([&v, id](Req req, Res res) { v.name_person(req, id(req), res); }));
  PeopleViews& pv = people_views;
  http.Post(R"(/api/people/(\d+)/merge)", api([&pv, id](Req req, Res res) { pv.merge(req, id(req), res); }));
  http.Post(R"(/api/people/(\d+)/hide)", api([&pv, id](Req req, Res res) { pv.set_hidden(req, id(req), true, res); }));
  http.Post(R"(/api/people/(\d+)/unhide)", api([&pv, id](Req req, Res res) { pv.set_hidden(req, id(req), false, res); }));
  http.Post(R"(/api/faces/(\d+)/move)", api([&pv, id](Req req, Res res) { pv.move_face(req, id(req), res); }));
  http.Post(R"(/api/faces/(\d+)/reject)", api([&pv, id](Req req, Res res) { pv.reject_face(req, id(req), res); }));
  http.Post("/api/people/cluster", api([&pv](Req req, Res res) { pv.start_cluster(req, res); }));
  http.Get("/api/people/cluster", api([&pv](Req, Res res) { pv.cluster_state(res); }));
  http.Get("/api/people/suggestions", api([&v](Req req, Res res) { v.suggestions(req, res); }));
  http.Post("/api/people/suggestions/confirm", api([&v](Req req, Res res) { v.answer_suggestion(req, res, true); }));
  http.Post("/api/people/suggestions/reject", api([&v](Req req, Res res) { v.answer_suggestion(req, res, false); }));
  http.Post("/api/people/export-xmp", api([&v](Req req, Res res) { v.export_xmp(req, res); }));
  http.Post("/api/people/import-xmp", api([&v](Req req, Res res) { v.import_xmp(req, res); }));
  answer_errors_as_json(http, options.log_requests);
}

namespace {

// Refuses unsafe options before anything is loaded.
ServerOptions checked(ServerOptions o) {
  check_exposure(o.host, o.token);
  if (o.max_upload_bytes == 0) throw std::invalid_argument("the upload limit must be positive");
  return o;
}

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(checked(std::move(options)))) {
  impl_->session.check_ready();  // models present, library of this pack: fail now, not at the first request
  configure(impl_->http, impl_->options.max_connections, impl_->options.max_upload_bytes);
  impl_->routes();
}

Server::~Server() { stop(); }

app::Session& Server::session() { return impl_->session; }

int Server::bind() {
  const auto& o = impl_->options;
  int port = o.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) port = 0;
  } else if (!impl_->http.bind_to_port(o.host, port)) {
    port = 0;
  }
  if (port <= 0)
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                             " (in use, or not an address of this machine)");
  impl_->http.widen_backlog(128);
  return port;
}

void Server::run() {
  impl_->in_run = true;
  if (!impl_->stopping) impl_->http.listen_after_bind();
  impl_->in_run = false;
}

void Server::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  // httplib ignores stop() until its loop runs: wait for it when run() has begun (a signal right at start-up).
  while (impl_->in_run && !impl_->http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
}

bool Server::indexing() const { return impl_->index_job.running(); }

}  // namespace facesearch::server
