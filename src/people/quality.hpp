// Which faces are too poor to shape persons: tiny, blurry, side-on, doubtful detections, and background faces
// (strangers behind the subject). Such faces stay searchable; the clustering only attaches them to a person they
// clearly match (cluster.hpp, step 5), and `people list --unsure` shows them. Limits measured in docs/PEOPLE.md.
#pragma once

#include <string>
#include <vector>

#include "library/library.hpp"

namespace facesearch::people {

struct QualityLimits {
  float min_height = 32.f;            // box height in pixels of the upright photo
  float min_relative_height = 0.4f;   // of the photo's largest face; smaller is a background face
  float min_sharpness = 25.f;         // variance of the Laplacian of the aligned crop (align/face_quality.hpp)
  float max_abs_yaw = 50.f;           // degrees; the 5-point estimate is rough (+-15)
  float min_score = 0.65f;            // detector confidence
};

// Why `face` is low quality ("small", "background", "blurry", "side-on", "low-score"); empty when it is good.
// Pose and sharpness count only where the library recorded them (faces indexed before they were measured have
// none); size, relative size and score are always known. `largest_height` is the photo's largest face height.
std::vector<std::string> low_quality_reasons(const LibraryFace& face, float largest_height,
                                             const QualityLimits& limits = {});

// The reasons of every face of a list, the largest face of each photo (image_id) found among them.
std::vector<std::vector<std::string>> low_quality_reasons(const std::vector<LibraryFace>& faces,
                                                          const QualityLimits& limits = {});

}  // namespace facesearch::people
