#include "server/views_people.hpp"

#include "app/records.hpp"
#include "server/http.hpp"

using nlohmann::json;

namespace facesearch::server {

namespace {

// An edit the people rules refuse (two faces of one photo, a person merged with itself): 409 with the reason.
template <class Edit>
auto refused_as_conflict(Edit edit) {
  try {
    return edit();
  } catch (const people::PeopleError& e) {
    throw HttpError{409, e.what()};
  }
}

std::int64_t person_field(const json& body, const char* field) {
  if (!body.contains(field)) throw HttpError{400, std::string(field) + " is missing (a person id)"};
  return json_integer(body[field], field, 1, INT64_MAX);
}

}  // namespace

PeopleViews::PeopleViews(app::Session& session, ClusterJob& cluster_job)
    : session_(session), cluster_job_(cluster_job) {}

void PeopleViews::require_person(std::int64_t person) {
  try {
    session_.person(std::to_string(person));
  } catch (const people::PeopleError&) {
    throw HttpError{404, "no person " + std::to_string(person) + " in the library"};
  }
}

void PeopleViews::require_face(std::int64_t face) {
  if (!session_.face(face)) throw HttpError{404, "no face " + std::to_string(face) + " in the library"};
}

void PeopleViews::merge(const httplib::Request& req, std::int64_t person, httplib::Response& res) {
  const json body = json_object_body(req, "{\"into\": PERSON_ID}");
  const std::int64_t into = person_field(body, "into");
  require_person(person);
  require_person(into);
  const auto [from, now] = refused_as_conflict([&] { return session_.merge_people(std::to_string(person), std::to_string(into)); });
  send_json(res, 200, {{"from", from}, {"into", now}});
}

void PeopleViews::move_face(const httplib::Request& req, std::int64_t face, httplib::Response& res) {
  const json body = json_object_body(req, "{\"person\": PERSON_ID or \"new\"}");
  std::string target = "new";
  if (!body.contains("person")) throw HttpError{400, "person is missing (a person id, or \"new\")"};
  if (!(body["person"].is_string() && body["person"].get<std::string>() == "new")) {
    const std::int64_t person = json_integer(body["person"], "person", 1, INT64_MAX);
    require_person(person);
    target = std::to_string(person);
  }
  require_face(face);
  const people::PersonId now = refused_as_conflict([&] { return session_.move_face(face, target); });
  send_json(res, 200, {{"face_id", face}, {"person", now}});
}

void PeopleViews::reject_face(const httplib::Request& req, std::int64_t face, httplib::Response& res) {
  const std::int64_t person = person_field(json_object_body(req, "{\"person\": PERSON_ID}"), "person");
  require_person(person);
  require_face(face);
  const people::PersonId was = refused_as_conflict([&] { return session_.reject_face(face, std::to_string(person)); });
  send_json(res, 200, {{"face_id", face}, {"person", was}});
}

void PeopleViews::set_hidden(const httplib::Request& req, std::int64_t person, bool hidden, httplib::Response& res) {
  json_object_body(req, "{}");  // JSON only, as every edit: a cross-site form cannot send it
  require_person(person);
  const people::PersonId id = refused_as_conflict([&] { return session_.hide_person(std::to_string(person), hidden); });
  send_json(res, 200, {{"id", id}, {"hidden", hidden}});
}

void PeopleViews::start_cluster(const httplib::Request& req, httplib::Response& res) {
  const json body = json_object_body(req, "{\"reset\": false}");
  const bool started = cluster_job_.start(json_flag(body, "reset", false));
  send_job_start(res, started, cluster_job_.state(), "clustering is already running");
}

void PeopleViews::cluster_state(httplib::Response& res) { send_json(res, 200, cluster_job_.state()); }

}  // namespace facesearch::server
