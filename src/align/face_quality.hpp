// Per-face pose and quality measures: how far a face is turned (from its 5 landmarks) and how sharp its
// aligned crop is. Stored with each face so a user or a later stage can prefer frontal, sharp faces.
#pragma once

#include <opencv2/core.hpp>

#include "detect/face.hpp"

namespace facesearch {

// Head rotation in degrees, estimated from the 5 points alone (no 3-D model fit): roll is the tilt of the eye
// line (positive: clockwise in the image); yaw is positive when the nose points to the image's right; pitch is
// positive when the face looks up. Yaw and pitch come from where the nose tip lies between the eyes and between the
// eye and mouth lines, under an average face's depths, so they are rough (+-15 degrees) and saturate at +-90.
struct FacePose {
  float yaw = 0, pitch = 0, roll = 0;
  bool operator==(const FacePose&) const = default;
};

FacePose estimate_pose(const Landmarks5& landmarks);

// Variance of the Laplacian of the grey crop: higher is sharper. Computed on the aligned crop the recogniser sees,
// so values compare across faces of any size (a small face upscaled to the crop is blurry).
float laplacian_sharpness(const cv::Mat& aligned_bgr);

}  // namespace facesearch
