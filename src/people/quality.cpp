#include "people/quality.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace facesearch::people {

std::vector<std::string> low_quality_reasons(const LibraryFace& face, float largest_height, const QualityLimits& limits) {
  std::vector<std::string> reasons;
  const float height = face.face.box.height();
  if (height < limits.min_height) reasons.emplace_back("small");
  if (height < limits.min_relative_height * largest_height) reasons.emplace_back("background");
  if (face.face.sharpness && *face.face.sharpness < limits.min_sharpness) reasons.emplace_back("blurry");
  if (face.face.pose && std::abs(face.face.pose->yaw) > limits.max_abs_yaw) reasons.emplace_back("side-on");
  if (face.face.score < limits.min_score) reasons.emplace_back("low-score");
  return reasons;
}

std::vector<std::vector<std::string>> low_quality_reasons(const std::vector<LibraryFace>& faces,
                                                          const QualityLimits& limits) {
  std::unordered_map<std::int64_t, float> largest;
  for (const auto& f : faces) largest[f.image_id] = std::max(largest[f.image_id], f.face.box.height());
  std::vector<std::vector<std::string>> out;
  out.reserve(faces.size());
  for (const auto& f : faces) out.push_back(low_quality_reasons(f, largest[f.image_id], limits));
  return out;
}

}  // namespace facesearch::people
