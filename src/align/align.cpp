#include "align/align.hpp"

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

cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& landmarks, int size) {
  cv::Mat out;
  cv::warpAffine(bgr, out, cv::Mat(similarity_transform(landmarks, arcface_template(size))), {size, size},
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  return out;
}

}  // namespace facesearch
