// HEIF (HEIC, AVIF) through libheif.
#include <libheif/heif.h>

#include <memory>

#include <opencv2/imgproc.hpp>

#include "image/codec.hpp"

namespace facesearch::detail {

namespace {

using HeifContextPtr = std::unique_ptr<heif_context, decltype(&heif_context_free)>;
using HeifHandlePtr = std::unique_ptr<heif_image_handle, decltype(&heif_image_handle_release)>;
using HeifImagePtr = std::unique_ptr<heif_image, decltype(&heif_image_release)>;

std::string heif_message(const heif_error& err) {
  return err.message ? err.message : "unknown libheif error";
}

// Parses the box structure only (no pixels). `bytes` must outlive the context.
HeifHandlePtr open_heif_primary(Bytes b, HeifContextPtr& ctx, std::string* error) {
  ctx.reset(heif_context_alloc());
  heif_error err = heif_context_read_from_memory_without_copy(ctx.get(), b.data(), b.size(), nullptr);
  heif_image_handle* handle = nullptr;
  if (err.code == heif_error_Ok) err = heif_context_get_primary_image_handle(ctx.get(), &handle);
  if (err.code != heif_error_Ok) {
    if (error) *error = heif_message(err);
    return {nullptr, heif_image_handle_release};
  }
  return {handle, heif_image_handle_release};
}

}  // namespace

std::optional<ImageInfo> probe_heif(Bytes b) {
  HeifContextPtr ctx(nullptr, heif_context_free);
  HeifHandlePtr handle = open_heif_primary(b, ctx, nullptr);
  if (!handle) return std::nullopt;
  // libheif reports the size after the file's rotation/mirror boxes, which decoding applies: upright.
  return ImageInfo{ImageFormat::Heif, heif_image_handle_get_width(handle.get()),
                   heif_image_handle_get_height(handle.get()), 1};
}

cv::Mat decode_heif(Bytes b) {
  HeifContextPtr ctx(nullptr, heif_context_free);
  std::string error;
  HeifHandlePtr handle = open_heif_primary(b, ctx, &error);
  if (!handle) throw ImageError("corrupt HEIF data: " + error);
  heif_image* raw = nullptr;
  // Default options apply the file's rotation and mirroring; 8-bit interleaved RGB even for 10-bit sources.
  heif_error err =
      heif_decode_image(handle.get(), &raw, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr);
  if (err.code != heif_error_Ok) throw ImageError("cannot decode HEIF: " + heif_message(err));
  HeifImagePtr image(raw, heif_image_release);
  int stride = 0;
  const std::uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int h = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (!plane || w <= 0 || h <= 0 || stride < 3 * w ||
      heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved) != 8)
    throw ImageError("cannot decode HEIF: no 8-bit RGB plane");
  // Wraps libheif's buffer (rows `stride` apart); cvtColor copies it out before the image is released.
  const cv::Mat rgb(h, w, CV_8UC3, const_cast<std::uint8_t*>(plane), static_cast<std::size_t>(stride));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace facesearch::detail
