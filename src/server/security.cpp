#include "server/security.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace facesearch::server {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest.data());
  return digest;
}

constexpr size_t kMinTokenLength = 16;

}  // namespace

bool is_loopback_host(std::string_view host_in) {
  std::string host = lower(host_in);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void check_exposure(std::string_view host, std::string_view token) {
  if (!is_loopback_host(host) && token.empty())
    throw std::invalid_argument("refusing to serve on '" + std::string(host) +
                                "' without a token: anyone on the network could browse the library. "
                                "Give --token-file, or keep the default --host 127.0.0.1");
}

std::string read_token_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the token file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  token.erase(token.begin(), std::find_if(token.begin(), token.end(), not_space));
  token.erase(std::find_if(token.rbegin(), token.rend(), not_space).base(), token.end());
  if (token.size() < kMinTokenLength)
    throw std::runtime_error("the token in " + path.string() + " is " + (token.empty() ? "empty" : "too short") +
                             ": use at least 16 random characters (e.g. `openssl rand -hex 24`)");
  if (std::any_of(token.begin(), token.end(), [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); }))
    throw std::runtime_error("the token in " + path.string() + " must be one word without spaces");
  return token;
}

bool bearer_matches(std::string_view header, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (token.empty() || header.size() < scheme.size() || lower(header.substr(0, scheme.size())) != scheme) return false;
  // Comparing fixed-size digests makes the time independent of the presented length and of the first differing byte.
  const auto presented = sha256(header.substr(scheme.size()));
  const auto expected = sha256(token);
  return CRYPTO_memcmp(presented.data(), expected.data(), presented.size()) == 0;
}

std::string host_header_name(std::string_view h) {
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    return std::string(close == std::string_view::npos ? h.substr(1) : h.substr(1, close - 1));
  }
  const size_t colon = h.find(':');
  return std::string(colon == std::string_view::npos ? h : h.substr(0, colon));
}

}  // namespace facesearch::server
