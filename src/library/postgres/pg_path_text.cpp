#include "library/postgres/pg_path_text.hpp"

#include <cstdint>

namespace facesearch::pg {

namespace {

constexpr std::string_view kMarker = "\xEF\xBF\xBF";  // U+FFFF, a noncharacter: never in a real name by intent
constexpr char kHex[] = "0123456789ABCDEF";

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629, as PostgreSQL checks it: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b = byte(i);
  if (b < 0x80) return 1;
  std::size_t n;
  std::uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string path_to_text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  auto escape = [&](std::size_t i, std::size_t n) {
    for (std::size_t k = i; k < i + n; ++k) {
      const auto b = static_cast<std::uint8_t>(bytes[k]);
      out += kMarker;
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  };
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = sequence_length(bytes, i);
    if (n == 0) {
      escape(i, 1);
      ++i;
      continue;
    }
    if (bytes.substr(i, n) == kMarker) escape(i, n);
    else out.append(bytes.substr(i, n));
    i += n;
  }
  return out;
}

std::string path_from_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, kMarker.size()) == kMarker && i + kMarker.size() + 2 <= text.size()) {
      const int hi = hex_value(text[i + 3]), lo = hex_value(text[i + 4]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += kMarker.size() + 2;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace facesearch::pg
