// Alignment: a least-squares similarity transform maps the 5 landmarks onto a canonical template.
#pragma once

#include <array>

#include <opencv2/core.hpp>

#include "detect/face.hpp"

namespace facesearch {

// ArcFace 112x112 template (left eye, right eye, nose, left and right mouth corner).
inline constexpr std::array<std::array<float, 2>, 5> kArcFaceTemplate112 = {
    {{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f}}};

// Rotation + uniform scale + translation (no shear, no reflection) minimising the squared error src -> dst.
cv::Matx23d similarity_transform(const Landmarks5& src, const Landmarks5& dst);

Landmarks5 arcface_template(int size = 112);

// The face warped (bilinear) so its landmarks sit on the template: a size x size BGR crop.
cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, int size = 112);

}  // namespace facesearch
