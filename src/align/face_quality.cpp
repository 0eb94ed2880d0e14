#include "align/face_quality.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace facesearch {

namespace {

constexpr float kDegrees = 57.29578f;
// Average face, frontal: the nose tip lies 0.494 of the way from the eye line to the mouth line (ArcFace
// template); nose tip depth over half the eye distance ~1.0 and over the eye-mouth height ~0.55 (adult
// anthropometry), which turn the nose's offset into an angle.
constexpr float kNoseHeight = 0.494f;
constexpr float kDepthOverHalfEyes = 1.0f;
constexpr float kDepthOverHeight = 0.55f;

}  // namespace

FacePose estimate_pose(const Landmarks5& p) {
  const cv::Point2f eye_mid = (p[0] + p[1]) * 0.5f, mouth_mid = (p[3] + p[4]) * 0.5f;
  const cv::Point2f eyes = p[1] - p[0];
  FacePose pose;
  // Roll from the eye line; when the eyes nearly coincide (a profile) the eye-mouth axis says more.
  const cv::Point2f down = mouth_mid - eye_mid;
  const float eye_len = std::hypot(eyes.x, eyes.y), down_len = std::hypot(down.x, down.y);
  if (down_len <= 0.f && eye_len <= 0.f) return pose;
  const float roll = eye_len > 0.25f * down_len ? std::atan2(eyes.y, eyes.x) : std::atan2(-down.x, down.y);
  pose.roll = roll * kDegrees;
  // Into the face's frame: x along the eyes, y down the face.
  const float c = std::cos(roll), s = std::sin(roll);
  auto local = [&](cv::Point2f q) {
    const cv::Point2f d = q - eye_mid;
    return cv::Point2f(c * d.x + s * d.y, -s * d.x + c * d.y);
  };
  const cv::Point2f nose = local(p[2]), mouth = local(mouth_mid);
  const float half_eyes = 0.5f * std::abs(local(p[1]).x - local(p[0]).x);
  const float height = std::max(mouth.y, 1e-3f);
  pose.yaw = std::atan2(nose.x, half_eyes * kDepthOverHalfEyes) * kDegrees;
  pose.pitch = std::atan2(kNoseHeight * height - nose.y, height * kDepthOverHeight) * kDegrees;
  pose.pitch = std::clamp(pose.pitch, -90.f, 90.f);
  return pose;
}

float laplacian_sharpness(const cv::Mat& aligned_bgr) {
  if (aligned_bgr.empty()) return 0.f;
  cv::Mat grey, lap;
  if (aligned_bgr.channels() == 3)
    cv::cvtColor(aligned_bgr, grey, cv::COLOR_BGR2GRAY);
  else
    grey = aligned_bgr;
  cv::Laplacian(grey, lap, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  return static_cast<float>(stddev[0] * stddev[0]);
}

}  // namespace facesearch
