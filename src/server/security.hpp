// What keeps the server local unless told otherwise: loopback checks, bearer tokens, Host header checks.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace facesearch::server {

// True for names/addresses that can only be reached from this machine: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_host(std::string_view host);

// Throws std::invalid_argument when serving on `host` would expose the library without a token.
void check_exposure(std::string_view host, std::string_view token);

// Reads a token file (surrounding whitespace trimmed). Throws std::runtime_error when unreadable, empty or too short
// to resist guessing.
std::string read_token_file(const std::filesystem::path& path);

// Compares an `Authorization` header value with "Bearer <token>" in time independent of where they differ
// (and of the presented value's length).
bool bearer_matches(std::string_view authorization_header, std::string_view token);

// The host part of a Host header ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1").
std::string host_header_name(std::string_view host_header);

}  // namespace facesearch::server
