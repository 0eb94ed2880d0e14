#include "engine/records.hpp"

#include <cmath>

namespace facesearch {

// Rounded so output is stable and short: sub-pixel noise and 1e-7 similarity digits mean nothing.
// Divide by a power of ten (not multiply by 0.1) so the shortest round-trip form is printed: 43.9, not 43.900000000000006.
static double round_to(double v, double unit) { return std::round(v / unit) / std::round(1 / unit); }

nlohmann::json box_json(const Box& b) {
  return {round_to(b.x1, 0.1), round_to(b.y1, 0.1), round_to(b.x2, 0.1), round_to(b.y2, 0.1)};
}

nlohmann::json landmarks_json(const Landmarks5& lm) {
  auto arr = nlohmann::json::array();
  for (const auto& p : lm) arr.push_back({round_to(p.x, 0.1), round_to(p.y, 0.1)});
  return arr;
}

nlohmann::json face_json(const Face& f, bool with_embedding) {
  nlohmann::json j = {{"box", box_json(f.box)}, {"landmarks", landmarks_json(f.landmarks)},
                      {"score", round_to(f.score, 1e-4)}};
  if (with_embedding && !f.embedding.empty()) j["embedding"] = f.embedding;
  return j;
}

nlohmann::json image_json(const ImageFaces& img, bool with_embeddings) {
  auto faces = nlohmann::json::array();
  for (const auto& f : img.faces) faces.push_back(face_json(f, with_embeddings));
  return {{"path", img.path.string()}, {"width", img.width}, {"height", img.height},
          {"format", std::string(format_name(img.format))}, {"faces", faces}};
}

nlohmann::json match_json(const Match& m) {
  nlohmann::json j = {{"path", m.path.string()},
          {"similarity", round_to(m.similarity, 1e-4)},
          {"box", box_json(m.face.box)},
          {"landmarks", landmarks_json(m.face.landmarks)},
          {"score", round_to(m.face.score, 1e-4)},
          {"width", m.width},
          {"height", m.height}};
  if (m.face_id) {  // library searches only: ids for `forget`, the server and people commands
    j["face_id"] = m.face_id;
    j["image_id"] = m.image_id;
  }
  return j;
}

}  // namespace facesearch
