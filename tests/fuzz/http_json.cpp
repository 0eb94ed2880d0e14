// libFuzzer target: the JSON bodies of POST /api/... (src/server/requests.cpp). The first byte picks the endpoint,
// the rest is the body; every parser must answer a value or an HttpError, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/requests.hpp"

using namespace facesearch::server;
using nlohmann::json;

namespace {

// The bodies of the people edits and the suggestion answers, read as their handlers read them.
void people_edit(const httplib::Request& req) {
  const json body = json_object_body(req, "{...}");
  for (const char* id : {"into", "person", "face_id", "a", "b"})
    if (body.contains(id) && !body[id].is_string()) json_integer(body[id], id, 1, INT64_MAX);
  json_flag(body, "reset", false);
}

void parse(std::uint8_t endpoint, const httplib::Request& req) {
  switch (endpoint % 5) {
    case 0: {
      const SearchQuery q = parse_search_query(req);
      if (!q.face_id || q.image || q.top > 100000 || (q.threshold && !(*q.threshold >= -1 && *q.threshold <= 1)))
        __builtin_trap();  // a JSON search is by face id, with checked numbers
      break;
    }
    case 1:
      for (const auto& root : parse_index_request(req).roots)
        if (!root.is_absolute() || root.native().find('\0') != std::string::npos) __builtin_trap();
      break;
    case 2: {
      const std::string name = parse_person_name(req);
      if (name.empty() || name.size() > 200) __builtin_trap();
      break;
    }
    case 3: {
      const json body = optional_json_object(req, "{...}");
      for (const auto& path : xmp_paths(body))
        if (!path.is_absolute()) __builtin_trap();
      json_flag(body, "in_place", false);
      break;
    }
    default:
      people_edit(req);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  httplib::Request req;
  req.method = "POST";
  req.set_header("Content-Type", "application/json");
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    parse(data[0], req);
  } catch (const HttpError& e) {
    if (e.status != 400 && e.status != 415) __builtin_trap();  // a bad body is the client's error
  }
  return 0;
}
