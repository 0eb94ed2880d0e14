// libFuzzer target: the bounded decode path every photo takes (decode_image: sniff, probe, pixel limit, TIFF layout
// check, completeness check, then OpenCV / libheif / the GIF decoder, EXIF orientation). A decoder that allocates
// more than the limit allows runs into libFuzzer's -rss_limit_mb / -malloc_limit_mb and counts as a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include <opencv2/core.hpp>

#include "image/image.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::setNumThreads(0);  // no worker pool: one input, one thread, reproducible
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facesearch;
  DecodeOptions options;
  options.max_pixels = 1u << 22;  // 4 MP: 12 MB of BGR pixels, far below the fuzzer's memory limit
  // Odd sizes also try the reduced JPEG decode (DCT scaling) that the scanner asks for; 2 lets even the 8x8 seeds
  // shrink by 4.
  options.min_long_side = size % 2 ? 2 : 0;
  try {
    const DecodedImage image = decode_image(std::span<const std::uint8_t>(data, size), options);
    const std::uint64_t pixels = static_cast<std::uint64_t>(image.bgr.cols) * static_cast<std::uint64_t>(image.bgr.rows);
    if (image.bgr.type() != CV_8UC3 || pixels == 0 || pixels > options.max_pixels) __builtin_trap();
  } catch (const ImageError&) {
    // Refused with a reason: the expected answer to hostile data.
  }
  return 0;
}
