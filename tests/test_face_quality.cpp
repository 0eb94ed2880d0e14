// Pose from 5 landmarks and the sharpness measure (align/face_quality.hpp), and BlazeFace's 5 points: on
// synthetic points and images, so they run in the unit tier.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "align/face_quality.hpp"
#include "detect/blazeface.hpp"

using namespace facesearch;

namespace {

Landmarks5 rotated(const Landmarks5& p, float degrees, cv::Point2f centre) {
  const float a = degrees / 57.29578f, c = std::cos(a), s = std::sin(a);
  Landmarks5 out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const cv::Point2f d = p[i] - centre;
    out[i] = centre + cv::Point2f(c * d.x - s * d.y, s * d.x + c * d.y);
  }
  return out;
}

}  // namespace

TEST(FacePose, TemplateFaceIsFrontal) {
  const FacePose pose = estimate_pose(arcface_template(112));
  EXPECT_NEAR(pose.yaw, 0.f, 3.f);
  EXPECT_NEAR(pose.pitch, 0.f, 3.f);
  EXPECT_NEAR(pose.roll, 0.f, 1.f);
}

TEST(FacePose, RollFollowsTheEyeLineAndLeavesYawAndPitch) {
  const Landmarks5 base = arcface_template(112);
  for (float angle : {-40.f, -10.f, 25.f, 60.f}) {
    const FacePose pose = estimate_pose(rotated(base, angle, {56, 72}));
    EXPECT_NEAR(pose.roll, angle, 1.f) << angle;
    EXPECT_NEAR(pose.yaw, 0.f, 3.f) << angle;
    EXPECT_NEAR(pose.pitch, 0.f, 3.f) << angle;
  }
}

TEST(FacePose, NoseTowardsOneSideIsYawOfThatSign) {
  Landmarks5 p = arcface_template(112);
  // A face turned to the image's right: the nose moves right and the eyes and mouth corners close up.
  for (auto& q : p) q.x = 56 + (q.x - 56) * 0.6f;
  p[2].x += 14;
  const FacePose right = estimate_pose(p);
  EXPECT_GT(right.yaw, 20.f);
  p[2].x -= 28;
  const FacePose left = estimate_pose(p);
  EXPECT_LT(left.yaw, -20.f);
  EXPECT_NEAR(right.yaw, -left.yaw, 1.f);
  // A profile: the eyes almost on top of each other, the nose past both.
  Landmarks5 profile = {{{40, 50}, {43, 50}, {20, 70}, {38, 90}, {40, 90}}};
  EXPECT_LT(estimate_pose(profile).yaw, -70.f);
}

TEST(FacePose, NoseHigherIsLookingUp) {
  Landmarks5 p = arcface_template(112);
  p[2].y -= 10;
  EXPECT_GT(estimate_pose(p).pitch, 10.f);
  p[2].y += 20;
  EXPECT_LT(estimate_pose(p).pitch, -10.f);
}

TEST(FaceSharpness, BlurLowersIt) {
  cv::Mat img(112, 112, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat blurred;
  cv::GaussianBlur(img, blurred, {0, 0}, 2.0);
  const float sharp = laplacian_sharpness(img), soft = laplacian_sharpness(blurred);
  EXPECT_GT(sharp, 10 * soft);
  EXPECT_GT(soft, 0.f);
  EXPECT_EQ(laplacian_sharpness(cv::Mat(112, 112, CV_8UC3, cv::Scalar::all(90))), 0.f);
}

TEST(BlazeFacePoints, MouthCornersBesideTheMouthCentreParallelToTheEyes) {
  const Landmarks5 t = arcface_template(112);
  const cv::Point2f mouth = (t[3] + t[4]) * 0.5f;
  const Landmarks5 p = five_points_from_blazeface(t[0], t[1], t[2], mouth);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p[i], t[i]);
  // Within a pixel of the ArcFace template's own corners.
  EXPECT_LT(cv::norm(p[3] - t[3]), 1.0);
  EXPECT_LT(cv::norm(p[4] - t[4]), 1.0);
}
