// The handlers of `facesearch serve` (docs/API.md): each turns a request into calls of the application layer and
// answers a record of app/records.hpp. Errors are thrown as HttpError (server/http.hpp).
#pragma once

#include <cstdint>

#include <httplib.h>

#include "app/session.hpp"
#include "server/cache.hpp"
#include "server/index_job.hpp"
#include "server/render.hpp"
#include "server/server.hpp"

namespace facesearch::server {

class Views {
 public:
  Views(app::Session& session, const ServerOptions& options, IndexJob& index_job);

  void status(httplib::Response& res);
  void search(const httplib::Request& req, httplib::Response& res);  // views_search.cpp
  void face(std::int64_t id, httplib::Response& res);
  void thumbnail(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  void image_faces(std::int64_t id, httplib::Response& res);
  void photo(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  void video(const httplib::Request& req, std::int64_t id, httplib::Response& res);  // server/video.hpp
  void start_index(const httplib::Request& req, httplib::Response& res);
  void index_state(httplib::Response& res);
  void people(const httplib::Request& req, httplib::Response& res);  // ?hidden=1: hidden persons too
  void person(std::int64_t id, httplib::Response& res);
  void name_person(const httplib::Request& req, std::int64_t id, httplib::Response& res);
  // views_suggest.cpp: GET /api/people/suggestions, POST /api/people/suggestions/confirm and /reject.
  void suggestions(const httplib::Request& req, httplib::Response& res);
  void answer_suggestion(const httplib::Request& req, httplib::Response& res, bool confirm);
  void export_xmp(const httplib::Request& req, httplib::Response& res);  // views_xmp.cpp
  void import_xmp(const httplib::Request& req, httplib::Response& res);

 private:
  app::Session& session_;
  const ServerOptions& options_;
  IndexJob& index_job_;
  PictureCache cache_;
  RenderLimits limits_;
};

}  // namespace facesearch::server
