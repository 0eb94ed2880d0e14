#include "server/video.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "media/video_source.hpp"
#include "server/http.hpp"

namespace facesearch::server {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One "first-last", "first-" or "-suffix" spec: the inclusive [first, last] it asks for in the file, nullopt when it
// cannot be satisfied. `valid` turns false when the spec is not a byte range at all.
std::optional<std::pair<std::uint64_t, std::uint64_t>> spec_range(std::string_view spec, std::uint64_t size,
                                                                   bool& valid) {
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return valid = false, std::nullopt;
  const auto first_text = trim(spec.substr(0, dash)), last_text = trim(spec.substr(dash + 1));
  if (first_text.empty()) {  // the last N bytes
    const auto n = number(last_text);
    if (!n) return valid = false, std::nullopt;
    if (*n == 0 || size == 0) return std::nullopt;
    return std::pair{size - std::min(*n, size), size - 1};
  }
  const auto first = number(first_text);
  const auto last = last_text.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(last_text);
  if (!first || !last || *last < *first) return valid = false, std::nullopt;
  if (*first >= size) return std::nullopt;
  return std::pair{*first, std::min(*last, size - 1)};
}

}  // namespace

ByteRangeAnswer resolve_range(std::string_view header, std::uint64_t size, std::uint64_t cap) {
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || header.substr(0, kUnit.size()) != kUnit) return {};
  header.remove_prefix(kUnit.size());
  bool valid = true, any = false;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> chosen;
  while (!header.empty() && valid) {
    const auto comma = header.find(',');
    const auto spec = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (spec.empty()) continue;
    any = true;
    auto r = spec_range(spec, size, valid);
    if (r && !chosen) chosen = r;
  }
  if (!valid || !any) return {};  // not a byte-range header: ignored
  if (!chosen) return {ByteRangeAnswer::Kind::Unsatisfiable, 0, 0};
  const std::uint64_t length = std::min(chosen->second - chosen->first + 1, std::max<std::uint64_t>(cap, 1));
  return {ByteRangeAnswer::Kind::Partial, chosen->first, length};
}

std::string video_content_type(std::span<const std::uint8_t> head) {
  if (!VideoSource::sniff(head)) return {};
  auto at = [&](std::size_t offset, std::string_view magic) {
    return head.size() >= offset + magic.size() && std::memcmp(head.data() + offset, magic.data(), magic.size()) == 0;
  };
  if (at(0, "RIFF")) return "video/x-msvideo";
  if (at(0, "\x1A\x45\xDF\xA3")) {
    // The EBML header names its DocType near the start: "webm" or "matroska".
    const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    return text.find("webm") != std::string_view::npos ? "video/webm" : "video/x-matroska";
  }
  if (at(4, "ftyp")) return at(8, "qt  ") ? "video/quicktime" : "video/mp4";
  return "video/quicktime";  // an old QuickTime file starting with another atom
}

void send_video(const httplib::Request& req, const std::filesystem::path& path, std::uint64_t max_range_bytes,
                httplib::Response& res) {
  std::shared_ptr<std::FILE> file(std::fopen(path.c_str(), "rb"), [](std::FILE* f) {
    if (f) std::fclose(f);
  });
  if (!file) throw HttpError{404, "the video is no longer on disk"};
  std::uint8_t head[64];
  const std::size_t got = std::fread(head, 1, sizeof head, file.get());
  const std::string type = video_content_type({head, got});
  if (type.empty()) throw HttpError{404, "the file is no longer a video"};
  if (std::fseek(file.get(), 0, SEEK_END) != 0) throw HttpError{404, "the video cannot be read"};
  const long end = std::ftell(file.get());
  if (end < 0) throw HttpError{404, "the video cannot be read"};
  const auto size = static_cast<std::uint64_t>(end);

  std::uint64_t offset = 0, length = size;
  res.status = 200;
  if (req.has_header("Range")) {
    const ByteRangeAnswer range = resolve_range(req.get_header_value("Range"), size, max_range_bytes);
    if (range.kind == ByteRangeAnswer::Kind::Unsatisfiable) {
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      throw HttpError{416, "the range is outside the video (" + std::to_string(size) + " bytes)"};
    }
    if (range.kind == ByteRangeAnswer::Kind::Partial) {
      offset = range.offset;
      length = range.length;
      res.status = 206;
      res.set_header("Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) +
                                          "/" + std::to_string(size));
    }
  }
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", "private, max-age=300");
  // Streamed in 64 KiB reads: a long video is never held in memory.
  res.set_content_provider(
      static_cast<std::size_t>(length), type,
      [file, offset](std::size_t done, std::size_t left, httplib::DataSink& sink) {
        std::vector<char> buffer(std::min<std::size_t>(left, 64 * 1024));
        if (std::fseek(file.get(), static_cast<long>(offset + done), SEEK_SET) != 0) return false;
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        return n > 0 && sink.write(buffer.data(), n);
      });
}

}  // namespace facesearch::server
