// The people review API (docs/API.md): suggestions, and their confirmation or rejection as user decisions.
#include <limits>

#include "app/records.hpp"
#include "server/http.hpp"
#include "server/views.hpp"

using nlohmann::json;

namespace facesearch::server {

namespace {

constexpr const char* kUsage =
    "{\"face_id\": 12, \"person\": 3} (a face suggestion) or {\"a\": 17, \"b\": 3} (a merge suggestion: a into b)";

// A person of a body: an id (number or digits) or a name.
std::string person_field(const json& body, const char* key) {
  const json& v = body.at(key);
  if (v.is_number_integer()) return std::to_string(json_integer(v, key, 1, std::numeric_limits<std::int64_t>::max()));
  if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
  throw HttpError{400, std::string(key) + " must be a person id or name"};
}

}  // namespace

void Views::suggestions(const httplib::Request& req, httplib::Response& res) {
  const std::string person = req.has_param("person") ? req.get_param_value("person") : std::string();
  const int top = int_query(req, "top", 10, 0, 100000);
  try {
    send_json(res, 200, suggestions_json(session_.suggestions(person, static_cast<size_t>(top))));
  } catch (const people::PeopleError& e) {
    throw HttpError{404, e.what()};
  }
}

void Views::answer_suggestion(const httplib::Request& req, httplib::Response& res, bool confirm) {
  const json body = json_body(req, kUsage);
  if (!body.is_object()) throw HttpError{400, std::string("send ") + kUsage};
  try {
    if (body.contains("face_id") && body.contains("person")) {
      const FaceId face = json_integer(body["face_id"], "face_id", 1, std::numeric_limits<std::int64_t>::max());
      const std::string person = person_field(body, "person");
      const people::PersonId p =
          confirm ? session_.confirm_face_suggestion(face, person) : session_.reject_face_suggestion(face, person);
      send_json(res, 200, {{"face_id", face}, {"person", p}, {"confirmed", confirm}});
    } else if (body.contains("a") && body.contains("b")) {
      const std::string a = person_field(body, "a"), b = person_field(body, "b");
      const auto [x, y] = confirm ? session_.confirm_merge_suggestion(a, b) : session_.reject_merge_suggestion(a, b);
      send_json(res, 200, {{"a", x}, {"b", y}, {"confirmed", confirm}});
    } else {
      throw HttpError{400, std::string("send ") + kUsage};
    }
  } catch (const people::PeopleError& e) {
    throw HttpError{409, e.what()};  // an unknown face or person, or a decision that breaks a constraint
  }
}

}  // namespace facesearch::server
