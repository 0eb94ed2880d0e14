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

// Where the 5 points lie in dlib's face chip (dlib::get_face_chip_details(shape, size, padding); the dlib ResNet
// recogniser was trained on size 150, padding 0.25). dlib maps the 51 non-jaw points of the 68-point iBUG shape to
// its mean face (coordinates 0..1, published in dlib's interpolation.h), shifted by `padding` and scaled by
// size / (1 + 2 * padding). Here the 5 points are taken from that mean face the same way the landmarker takes
// them from a 68-point shape: eye centres (mean of 36-41 and of 42-47), nose tip (30), mouth corners (mean of 48
// and 60, of 54 and 64). A least-squares fit to these 5 points approximates dlib's fit to 51 points.
Landmarks5 dlib_chip_template(int size = 150, double padding = 0.25);

// The face warped (bilinear) so its landmarks sit on the template: a size x size BGR crop.
cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, int size = 112);
// The same onto any template for a size x size crop.
cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, const Landmarks5& target, int size);

}  // namespace facesearch
