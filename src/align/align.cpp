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
  // dlib's mean face shape (interpolation.h, get_face_chip_details), points 17..67 of the iBUG 68-point markup;
  // only the ones the 5 points are made of are needed: index in these arrays = iBUG index - 17.
  static constexpr double kMeanX[51] = {
      0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
      0.490127,    0.490127,  0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
      0.187122,    0.265825,  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
      0.719335,    0.254149,  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
      0.490127,    0.423532,  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
      0.42689};
  static constexpr double kMeanY[51] = {
      0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
      0.203352, 0.307009, 0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,  0.587326, 0.216423,
      0.178758, 0.179852, 0.231733,  0.245099,  0.244077,  0.231733,  0.179852,  0.178758,  0.216423, 0.244077,
      0.245099, 0.780233, 0.745405,  0.727388,  0.742578,  0.727388,  0.745405,  0.780233,  0.864805, 0.902192,
      0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,  0.824182, 0.831803,
      0.824182};
  auto mean_of = [](std::initializer_list<int> ibug) {
    cv::Point2d p(0, 0);
    for (int i : ibug) p += cv::Point2d(kMeanX[i - 17], kMeanY[i - 17]);
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
