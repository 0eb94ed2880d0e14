#include "app/records.hpp"

#include <algorithm>
#include <cmath>

#include "library/storage.hpp"  // to_match(LibraryFace&&, float): the one LibraryFace -> Match

using nlohmann::json;

namespace facesearch {

// Rounded so output is stable and short: sub-pixel noise and 1e-7 similarity digits mean nothing. Divide by a power
// of ten (not multiply by 0.1) so the shortest round-trip form is printed.
double rounded(double v, double unit) { return std::round(v / unit) / std::round(1 / unit); }

namespace {
constexpr double kPixel = 0.1;   // boxes and landmarks
constexpr double kScore = 1e-4;  // scores, similarities, thresholds
constexpr double kSecond = 1e-3;  // times in a video
constexpr double kDegree = 0.1;  // pose angles
}  // namespace

json box_json(const Box& b) {
  return {rounded(b.x1, kPixel), rounded(b.y1, kPixel), rounded(b.x2, kPixel), rounded(b.y2, kPixel)};
}

json landmarks_json(const Landmarks5& lm) {
  auto arr = json::array();
  for (const auto& p : lm) arr.push_back({rounded(p.x, kPixel), rounded(p.y, kPixel)});
  return arr;
}

json pose_json(const std::optional<FacePose>& pose) {
  if (!pose) return nullptr;
  return {{"yaw", rounded(pose->yaw, kDegree)}, {"pitch", rounded(pose->pitch, kDegree)},
          {"roll", rounded(pose->roll, kDegree)}};
}

json quality_json(const Face& f) {
  return {{"sharpness", f.sharpness ? json(rounded(*f.sharpness, kPixel)) : json(nullptr)},
          {"size", rounded(std::max(f.box.width(), f.box.height()), kPixel)},
          {"score", rounded(f.score, kScore)}};
}

json face_json(const Face& f, bool with_embedding) {
  json j = {{"box", box_json(f.box)}, {"landmarks", landmarks_json(f.landmarks)}, {"score", rounded(f.score, kScore)}};
  j["pose"] = pose_json(f.pose);
  j["quality"] = quality_json(f);
  if (with_embedding && !f.embedding.empty()) j["embedding"] = f.embedding;
  return j;
}

void add_video_fields(json& j, const Face& f, int frame_width, int frame_height) {
  j["t_start"] = rounded(f.time.first_ms / 1000.0, kSecond);
  j["t_end"] = rounded(f.time.last_ms / 1000.0, kSecond);
  j["t_best"] = rounded(f.time.best_ms / 1000.0, kSecond);
  j["frame_width"] = frame_width;
  j["frame_height"] = frame_height;
}

std::string text_field(const std::string& bytes) {
  // nlohmann's own UTF-8 decoder replaces each invalid sequence with U+FFFD; valid text comes back unchanged.
  return json::parse(json(bytes).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

void add_path(json& record, const std::filesystem::path& path) {
  const std::string& bytes = path.native();
  std::string readable = text_field(bytes);
  if (readable != bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const unsigned char c : bytes) {
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    record["path_bytes"] = std::move(hex);
  }
  record["path"] = std::move(readable);
}

std::string json_text(const json& record) { return record.dump(-1, ' ', false, json::error_handler_t::replace); }

json image_json(const ImageFaces& img, bool with_embeddings) {
  const bool video = img.kind == MediaKind::Video;
  auto faces = json::array();
  for (const auto& f : img.faces) {
    faces.push_back(face_json(f, with_embeddings));
    if (video) add_video_fields(faces.back(), f, img.width, img.height);
  }
  json j = {{"width", img.width}, {"height", img.height}, {"format", media_format_name(img)}, {"faces", faces}};
  add_path(j, img.path);
  if (video) {
    j["kind"] = "video";
    j["frames_analysed"] = img.frames;
    j["frames_decoded"] = img.frames_decoded;
  }
  return j;
}

json unusable_file_json(const SkippedFile& s) {
  json j = {{"error", text_field(s.reason)}};
  add_path(j, s.path);
  return j;
}

Match to_match(const LibraryFace& face, float similarity) {
  Match m = to_match(LibraryFace(face), similarity);
  m.face.embedding.clear();
  return m;
}

json match_json(const Match& m) {
  json j = face_json(m.face, false);
  add_path(j, m.path);
  j["similarity"] = rounded(m.similarity, kScore);
  j["width"] = m.width;
  j["height"] = m.height;
  if (m.face_id) {  // library searches only: ids for `forget`, the server and people commands
    j["face_id"] = m.face_id;
    j["image_id"] = m.image_id;
  }
  if (m.kind == MediaKind::Video) add_video_fields(j, m.face, m.width, m.height);
  return j;
}

json library_face_json(const LibraryFace& f) {
  json j = face_json(f.face, false);
  j["face_id"] = f.id;
  j["image_id"] = f.image_id;
  add_path(j, f.path);
  j["width"] = f.width;
  j["height"] = f.height;
  if (f.kind == MediaKind::Video) add_video_fields(j, f.face, f.width, f.height);
  return j;
}

json library_image_json(const LibraryImage& img) {
  json faces = json::array();
  for (const auto& f : img.faces) {
    json j = face_json(f.face, false);
    j["face_id"] = f.id;
    if (f.kind == MediaKind::Video) add_video_fields(j, f.face, img.width, img.height);
    faces.push_back(std::move(j));
  }
  json j = {{"image_id", img.id}, {"width", img.width}, {"height", img.height},
            {"format", img.format}, {"status", text_field(img.status)}, {"faces", std::move(faces)}};
  add_path(j, img.path);
  return j;
}

json status_json(const LibraryStatus& s) {
  return {{"library", text_field(s.dir.string())},
          {"pack", s.pack},
          {"images", s.images},
          {"faces", s.faces},
          {"zero_face_images", s.zero_face_images},
          {"unusable", s.failed_images},
          {"skipped_files", s.failed_images},
          {"bytes_on_disk", s.bytes_on_disk},
          {"vector_backend", s.vector_backend}};
}

json index_report_json(const IndexReport& r) {
  return {{"files", r.files},     {"added", r.added},     {"changed", r.changed},
          {"unchanged", r.unchanged}, {"touched", r.touched}, {"moved", r.moved},
          {"copied", r.copied},   {"removed", r.removed}, {"unusable", r.failed},
          {"embedded_images", r.embedded_images}, {"faces_added", r.faces_added},
          {"seconds", r.seconds}};
}

json person_json(const people::PersonSummary& p) {
  json j = {{"id", p.id},
            {"name", p.name.empty() ? json(nullptr) : json(text_field(p.name))},
            {"faces", p.face_count},
            {"face_count", p.face_count},
            {"cover_face_id", nullptr},
            {"cover", nullptr},
            {"hidden", p.hidden}};
  if (p.cover) {
    json cover = {{"face_id", p.cover->id}, {"image_id", p.cover->image_id}, {"box", box_json(p.cover->face.box)}};
    add_path(cover, p.cover->path);
    j["cover_face_id"] = p.cover->id;
    j.update(cover);  // the old `people list --json` fields
    j["cover"] = cover;
  }
  return j;
}

json cluster_report_json(const people::ClusterReport& r) {
  return {{"faces", r.faces},
          {"seeds", r.seeds},
          {"joined", r.joined},
          {"new_persons", r.new_persons},
          {"new_person_faces", r.new_person_faces},
          {"unassigned", r.unassigned},
          {"persons", r.persons},
          {"relinked", r.relinked},
          {"dropped", r.dropped},
          {"seconds", rounded(r.seconds, 1e-3)}};
}

json person_face_json(const people::PersonFace& f, people::PersonId person) {
  json j = match_json(to_match(f.face, f.similarity));
  j["person"] = person;
  j["assigned_by"] = f.by_user ? "user" : "auto";
  return j;
}

}  // namespace facesearch
