// Video files of the library served for playback in the page: streamed from disk, with single byte ranges for
// seeking, each answer bounded (docs/API.md, "GET /api/videos/{image_id}").
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <httplib.h>

namespace facesearch::server {

// What a Range header asks of a file of `size` bytes.
struct ByteRangeAnswer {
  enum class Kind { Whole, Partial, Unsatisfiable };
  Kind kind = Kind::Whole;
  std::uint64_t offset = 0, length = 0;  // Partial: the bytes to send, at most `cap`
};

// Only "bytes" ranges are understood (else the whole file, as RFC 9110 allows). Of several ranges, the first one
// the file can satisfy is answered alone: a multipart answer could repeat the file many times over.
// At most `cap` bytes are answered (a player asks again for the rest).
ByteRangeAnswer resolve_range(std::string_view header, std::uint64_t size, std::uint64_t cap);

// The media type of a video by its first bytes (mp4, quicktime, webm, x-matroska, x-msvideo); empty if none.
std::string video_content_type(std::span<const std::uint8_t> head);

// Answers the request with the video at `path` (200 whole file, 206 one range of at most `max_range_bytes`, 416),
// streamed from disk. Throws HttpError 404 when the file is gone or no longer a video.
void send_video(const httplib::Request& req, const std::filesystem::path& path, std::uint64_t max_range_bytes,
                httplib::Response& res);

}  // namespace facesearch::server
