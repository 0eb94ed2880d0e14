#include "server/render.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image.hpp"
#include "library/storage.hpp"
#include "media/video_source.hpp"

namespace facesearch::server {

namespace {

// Context around the face in a thumbnail: hair and chin make faces recognisable at a glance.
constexpr float kThumbnailMargin = 1.6f;

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& bgr, int quality) {
  std::vector<std::uint8_t> out;
  if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, quality, cv::IMWRITE_JPEG_OPTIMIZE, 1}))
    throw ImageError("cannot encode JPEG");
  return out;
}

cv::Mat shrink_to(const cv::Mat& bgr, int max_side) {
  const int long_side = std::max(bgr.cols, bgr.rows);
  if (max_side <= 0 || long_side <= max_side) return bgr;
  const double f = static_cast<double>(max_side) / long_side;
  cv::Mat out;
  cv::resize(bgr, out, cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * f))),
                                std::max(1, static_cast<int>(std::lround(bgr.rows * f)))),
             0, 0, cv::INTER_AREA);
  return out;
}

// A photo through the image decoder; a video frame through the video source, with the same limits.
DecodedImage load_picture(const PictureSource& picture, const DecodeOptions& options) {
  if (picture.size >= 0) {
    std::error_code size_error, time_error;
    const auto size = std::filesystem::file_size(picture.path, size_error);
    const std::int64_t mtime = file_mtime_ns(picture.path, time_error);
    if (!size_error && !time_error &&
        (static_cast<std::int64_t>(size) != picture.size || mtime != picture.mtime_ns))
      throw StalePhotoError("the photo changed on disk since it was indexed (index it again)");
  }
  if (picture.kind == MediaKind::Photo) return load_image(picture.path, options);
  FrameSourceOptions frame_options;
  frame_options.decode = options;
  return read_video_frame(picture.path, picture.time_ms, frame_options).image;
}

}  // namespace

std::vector<std::uint8_t> face_thumbnail_jpeg(const PictureSource& picture, int width, int height, const Box& box,
                                              int size, const RenderLimits& limits) {
  const float side_full = std::max({box.width(), box.height(), 1.f}) * kThumbnailMargin;
  const int long_full = std::max(width, height);
  // Let the JPEG decoder shrink by 2/4/8 as long as the crop keeps at least `size` pixels.
  DecodeOptions options;
  options.max_pixels = limits.max_pixels;
  options.min_long_side = std::min(long_full, static_cast<int>(std::ceil(long_full * size / side_full)));
  DecodedImage img = load_picture(picture, options);
  if (img.width != width || img.height != height)
    throw StalePhotoError("the photo changed on disk since it was indexed (index it again)");

  const double s = img.scale;
  const float cx = (box.x1 + box.x2) / 2, cy = (box.y1 + box.y2) / 2;
  const int side = std::max(1, static_cast<int>(std::lround(side_full / s)));
  const cv::Rect want(static_cast<int>(std::lround(cx / s)) - side / 2, static_cast<int>(std::lround(cy / s)) - side / 2,
                      side, side);
  const cv::Rect inside = want & cv::Rect(0, 0, img.bgr.cols, img.bgr.rows);
  // Faces at the border stay centred: the part of the square outside the photo is a neutral grey.
  cv::Mat square(side, side, CV_8UC3, cv::Scalar(48, 48, 48));
  if (inside.area() > 0) img.bgr(inside).copyTo(square(inside - want.tl()));
  cv::Mat out;
  cv::resize(square, out, cv::Size(size, size), 0, 0, side > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  return encode_jpeg(out, limits.jpeg_quality);
}

std::vector<std::uint8_t> photo_jpeg(const PictureSource& picture, int max_side, const RenderLimits& limits) {
  DecodeOptions options;
  options.max_pixels = limits.max_pixels;
  options.min_long_side = max_side;
  DecodedImage img = load_picture(picture, options);
  return encode_jpeg(shrink_to(img.bgr, max_side), limits.jpeg_quality);
}

}  // namespace facesearch::server
