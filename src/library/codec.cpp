// Encodings shared by the storage backends (boxes, landmarks, fp16 embeddings) and small helpers.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "library/storage.hpp"
#include "vector/kernels.hpp"

namespace fs = std::filesystem;

namespace facesearch {

// ---- encodings shared by both backends -------------------------------------------------------------------------

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

fs::path absolute_path(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

std::int64_t file_mtime_ns(const fs::path& p, std::error_code& ec) {
  const auto t = fs::last_write_time(p, ec);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::pair<std::string, std::string> prefix_range(const fs::path& root) {
  std::string base = root.string();
  while (!base.empty() && base.back() == '/') base.pop_back();  // "/" itself too: everything under it
  return {base + "/", base + "0"};
}

std::int64_t box_tenths(float v) { return static_cast<std::int64_t>(std::lround(v * 10.f)); }
std::int64_t score_units(float v) { return static_cast<std::int64_t>(std::lround(v * 10000.f)); }

// Landmarks relative to the box, in 1/10000 of its width and height: int16 is plenty (sub-pixel for faces up to
// several thousand pixels) and half the size of float32.
std::int64_t angle_tenths(float degrees) { return static_cast<std::int64_t>(std::lround(degrees * 10.f)); }
float angle_from_tenths(std::int64_t tenths) { return static_cast<float>(tenths) / 10.f; }

std::array<std::int16_t, 10> encode_landmarks(const Box& box, const Landmarks5& lm) {
  std::array<std::int16_t, 10> out{};
  const float w = std::max(box.width(), 1e-3f), h = std::max(box.height(), 1e-3f);
  auto q = [](float v) { return static_cast<std::int16_t>(std::clamp(std::lround(v * 10000.f), -32767L, 32767L)); };
  for (size_t i = 0; i < 5; ++i) {
    out[2 * i] = q((lm[i].x - box.x1) / w);
    out[2 * i + 1] = q((lm[i].y - box.y1) / h);
  }
  return out;
}

Landmarks5 decode_landmarks(const Box& box, std::span<const std::uint8_t> blob) {
  std::array<std::int16_t, 10> v{};
  std::memcpy(v.data(), blob.data(), std::min(blob.size(), sizeof(v)));
  Landmarks5 lm{};
  for (size_t i = 0; i < 5; ++i)
    lm[i] = {box.x1 + v[2 * i] / 10000.f * box.width(), box.y1 + v[2 * i + 1] / 10000.f * box.height()};
  return lm;
}

void sort_like_scan(std::vector<Match>& matches) {
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    if (a.path != b.path) return a.path < b.path;
    return a.face.box.x1 < b.face.box.x1;
  });
}

std::vector<std::uint8_t> encode_embedding(std::span<const float> e) {
  std::vector<std::uint8_t> out(e.size() * 2);
  for (size_t i = 0; i < e.size(); ++i) {
    const std::uint16_t h = vector_detail::float_to_half(e[i]);
    std::memcpy(&out[2 * i], &h, 2);
  }
  return out;
}

Embedding decode_embedding(std::span<const std::uint8_t> blob) {
  Embedding e(blob.size() / 2);
  for (size_t i = 0; i < e.size(); ++i) {
    std::uint16_t h;
    std::memcpy(&h, &blob[2 * i], 2);
    e[i] = vector_detail::half_to_float(h);
  }
  return e;
}

Match to_match(LibraryFace&& face, float similarity) {
  Match m;
  m.path = std::move(face.path);
  m.width = face.width;
  m.height = face.height;
  m.face = std::move(face.face);
  m.similarity = similarity;
  m.face_id = face.id;
  m.image_id = face.image_id;
  m.kind = face.kind;
  return m;
}

}  // namespace facesearch
