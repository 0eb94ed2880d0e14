// First-frame GIF decoding: OpenCV 4.6 has no GIF reader.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>

namespace facesearch::detail {

// Decodes the first frame of a GIF onto its logical screen as CV_8UC3 BGR. Transparent and uncovered pixels
// are white. Throws ImageError when the data is truncated or corrupt, or the screen or a frame has more than
// `max_pixels` pixels.
cv::Mat decode_gif(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels);

}  // namespace facesearch::detail
