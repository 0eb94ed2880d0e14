// What the API's requests say: parameters and bodies (JSON, multipart forms) turned into checked values, or an
// HttpError that says what to send. Pure functions of the request: no library, no files; the fuzz targets
// (tests/fuzz/http_*.cpp) call them on hostile input. The handlers (views*.cpp) act on what they return.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "image/image.hpp"

namespace facesearch::server {

// An error a handler answers with: {"error": message, "status": status}.
struct HttpError {
  int status;
  std::string message;
};

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
// json_body that must be an object, else a 400 with `usage`.
nlohmann::json json_object_body(const httplib::Request& req, const std::string& usage);

// POST /api/search: a photo (multipart field "image") or a face of the library (face_id, multipart or JSON).
struct SearchQuery {
  std::optional<std::string> image;  // the uploaded bytes
  std::optional<std::int64_t> face_id;
  std::string which_face = "best";
  std::optional<float> threshold;
  size_t top = 0;
};
SearchQuery parse_search_query(const httplib::Request& req);

// The uploaded photo of a search, probed without decoding: 413 over `max_bytes` or `max_pixels`, 400 when empty,
// 415 when not a format the server reads.
ImageInfo check_query_photo(std::span<const std::uint8_t> bytes, std::uint64_t max_bytes, std::uint64_t max_pixels);

// POST /api/index: {"roots": [...], "reembed": false}. The roots come back absolute and lexically normal, not yet
// checked to be folders (the handler does, on the server's disk).
struct IndexRequest {
  std::vector<std::filesystem::path> roots;
  bool reembed = false;
};
IndexRequest parse_index_request(const httplib::Request& req);

// POST /api/people/{id}/name: {"name": "..."}, 1 to 200 bytes.
std::string parse_person_name(const httplib::Request& req);

// POST /api/people/export-xmp and import-xmp: the body may be empty (= {}), else a JSON object.
nlohmann::json optional_json_object(const httplib::Request& req, const std::string& usage);
// Its optional "paths": at most 64 absolute paths, returned lexically normal (none: every photo of the library).
std::vector<std::filesystem::path> xmp_paths(const nlohmann::json& body);

// An optional boolean member of a body: `fallback` when absent, else a 400 unless it is true or false.
bool json_flag(const nlohmann::json& body, const char* name, bool fallback);

}  // namespace facesearch::server
