// The people edits of `facesearch serve` (docs/API.md, "People"): merge, move, reject, hide, and clustering as a
// background job. Each turns a request into one call of the application layer; the rules live in people::People.
#pragma once

#include <cstdint>

#include <httplib.h>

#include "app/session.hpp"
#include "server/cluster_job.hpp"

namespace facesearch::server {

class PeopleViews {
 public:
  PeopleViews(app::Session& session, ClusterJob& cluster_job);

  // POST /api/people/{id}/merge {"into": id}
  void merge(const httplib::Request& req, std::int64_t person, httplib::Response& res);
  // POST /api/faces/{id}/move {"person": id | "new"}
  void move_face(const httplib::Request& req, std::int64_t face, httplib::Response& res);
  // POST /api/faces/{id}/reject {"person": id}
  void reject_face(const httplib::Request& req, std::int64_t face, httplib::Response& res);
  // POST /api/people/{id}/hide and /unhide {}
  void set_hidden(const httplib::Request& req, std::int64_t person, bool hidden, httplib::Response& res);
  // POST /api/people/cluster {"reset": bool}, GET /api/people/cluster
  void start_cluster(const httplib::Request& req, httplib::Response& res);
  void cluster_state(httplib::Response& res);

 private:
  // 404 unless the person exists (an old id of a merged person counts: it leads to the one it went into).
  void require_person(std::int64_t person);
  void require_face(std::int64_t face);

  app::Session& session_;
  ClusterJob& cluster_job_;
};

}  // namespace facesearch::server
