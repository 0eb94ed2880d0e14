// Helpers of the image tests (test_image*.cpp): reference photos, pixel comparison, and builders of files
// OpenCV cannot write (EXIF-oriented JPEG/TIFF/WebP, GIF, hostile PNG headers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <libheif/heif.h>
#include <opencv2/core.hpp>

namespace facesearch::imagetest {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

inline constexpr std::string_view kCameraJpeg = "deepface_testset/id01_Angelina_Jolie/img1.jpg";  // EXIF + thumbnail
inline constexpr std::string_view kProgressiveJpeg = "deepface_testset/id13/img41.jpg";
inline constexpr std::string_view kWebpNamedJpg = "deepface_testset/id03/img47.jpg";
inline constexpr std::string_view kGreyPng = "faceapi_bbt/identities/amy/amy1.png";
inline constexpr std::string_view kRgbaPng = "face_recognition_examples/extra/unlabeled/32bit.png";

fs::path photo(std::string_view relative);
// Reference pixels straight from OpenCV, so expectations do not come from the code under test.
cv::Mat reference(const fs::path& path);
// A real photo at a size that keeps the tests quick; not square, so a transpose cannot go unnoticed.
const cv::Mat& portrait();
// Mean absolute difference per channel value; enormous when the shapes differ so that can never pass.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b);
Bytes encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {});
// The message of the ImageError `f` throws, or a description of what happened instead.
std::string error_of(const std::function<void()>& f);
void put_le24(Bytes& b, std::uint32_t v);
void put_le32(Bytes& b, std::uint32_t v);
void append(Bytes& b, std::string_view s);

// The pixels a camera would store for `upright` with EXIF `orientation`.
cv::Mat stored_for(const cv::Mat& upright, int orientation);
Bytes jpeg_with_orientation(const cv::Mat& stored, int orientation, bool big_endian = false);
Bytes tiff_with_orientation(const cv::Mat& stored, int orientation);
Bytes webp_with_orientation(const cv::Mat& stored, int orientation);
// Encodes with libheif (HEIC, AVIF); "" on success, else why this libheif build cannot.
std::string write_heif(const cv::Mat& bgr, const fs::path& path, heif_compression_format codec, int bits = 8,
                       int orientation = 1);
cv::Vec3b palette_bgr(int i);
cv::Mat palette_indices(const cv::Mat& bgr);
Bytes encode_gif(const cv::Mat& indices, int palette_bits, bool interlaced, int transparent = -1);
Bytes png_claiming(std::uint32_t width, std::uint32_t height, const Bytes& tail);
Bytes png_with_text(const Bytes& png, std::string_view text);
Bytes random_bytes(std::size_t n, std::uint32_t seed);

}  // namespace facesearch::imagetest
