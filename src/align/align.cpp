#include "align/align.hpp"

#include <initializer_list>

#include <opencv2/imgproc.hpp>

namespace facesearch {

cv::Matx23d similarity_transform(const Landmarks5& src, const Landmarks5& dst) {
  // Closed form: centre both point sets; with a = s*cos(theta), b = s*sin(theta) the problem is linear.
  cv::Point2d ms(0, 0), md(0, 0);
  for (size_t i = 0; i < src.size(); ++i) {
    ms += cv::Point2d(src[i]);
    md += cv::Point2d(dst[i]);
  }
  ms /= static_cast<double>(src.size());
  md /= static_cast<double>(src.size());
  double num_a = 0, num_b = 0, den = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    cv::Point2d p = cv::Point2d(src[i]) - ms, q = cv::Point2d(dst[i]) - md;
    num_a += p.x * q.x + p.y * q.y;
    num_b += p.x * q.y - p.y * q.x;
    den += p.x * p.x + p.y * p.y;
  }
  if (den <= 1e-12) return cv::Matx23d(1, 0, md.x - ms.x, 0, 1, md.y - ms.y);
  const double a = num_a / den, b = num_b / den;
  const double tx = md.x - (a * ms.x - b * ms.y);
  const double ty = md.y - (b * ms.x + a * ms.y);
  return cv::Matx23d(a, -b, tx, b, a, ty);
}

Landmarks5 arcface_template(int size) {
  Landmarks5 t;
  const float k = static_cast<float>(size) / 112.f;
  for (size_t i = 0; i < t.size(); ++i) t[i] = {kArcFaceTemplate112[i][0] * k, kArcFaceTemplate112[i][1] * k};
  return t;
}

Landmarks5 dlib_chip_template(int size, double padding) {
  // dlib's mean face shape (interpolation.h, get_face_chip_details) covers points 17..67 of the iBUG 68-point
  // markup; only the points the 5 are made of are needed: {iBUG index, x, y}.
  struct MeanPoint {
    int ibug;
    double x, y;
  };
  static constexpr MeanPoint kMeanFace[] = {
      {30, 0.490127, 0.515625}, {36, 0.121737, 0.216423}, {37, 0.187122, 0.178758}, {38, 0.265825, 0.179852},
      {39, 0.334606, 0.231733}, {40, 0.260918, 0.245099}, {41, 0.182743, 0.244077}, {42, 0.645647, 0.231733},
      {43, 0.714428, 0.179852}, {44, 0.793132, 0.178758}, {45, 0.858516, 0.216423}, {46, 0.79751, 0.244077},
      {47, 0.719335, 0.245099}, {48, 0.254149, 0.780233}, {54, 0.726104, 0.780233}, {60, 0.290379, 0.784792},
      {64, 0.689874, 0.784792}};
  auto mean_of = [](std::initializer_list<int> ibug) {
    cv::Point2d p(0, 0);
    for (int i : ibug)
      for (const MeanPoint& m : kMeanFace)
        if (m.ibug == i) p += cv::Point2d(m.x, m.y);
    return p / static_cast<double>(ibug.size());
  };
  const cv::Point2d unit[5] = {mean_of({36, 37, 38, 39, 40, 41}), mean_of({42, 43, 44, 45, 46, 47}), mean_of({30}),
                               mean_of({48, 60}), mean_of({54, 64})};
  Landmarks5 t;
  for (size_t i = 0; i < t.size(); ++i)
    t[i] = cv::Point2f(static_cast<float>((unit[i].x + padding) / (1 + 2 * padding) * size),
                       static_cast<float>((unit[i].y + padding) / (1 + 2 * padding) * size));
  return t;
}

cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, const Landmarks5& target, int size) {
  cv::Mat out;
  cv::warpAffine(bgr, out, cv::Mat(similarity_transform(landmarks, target)), {size, size}, cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  return out;
}

cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, int size) {
  return align_face(bgr, landmarks, arcface_template(size), size);
}

}  // namespace facesearch
