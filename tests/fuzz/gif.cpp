// libFuzzer target: the project's own GIF decoder (src/image/gif.cpp; OpenCV 4.6 has none), with a pixel limit.
#include <cstddef>
#include <cstdint>
#include <span>

#include "image/gif.hpp"
#include "image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // decode_image hands the decoder only data whose first 6 bytes are a GIF signature; so does this target.
  const std::span<const std::uint8_t> bytes(data, size);
  if (facesearch::sniff_format(bytes) != facesearch::ImageFormat::Gif) return -1;  // not added to the corpus
  try {
    const cv::Mat canvas = facesearch::detail::decode_gif(bytes, /*max_pixels=*/1u << 22);
    if (canvas.empty() || canvas.type() != CV_8UC3) __builtin_trap();
  } catch (const facesearch::ImageError&) {
    // The decoder's answer to corrupt data.
  }
  return 0;
}
