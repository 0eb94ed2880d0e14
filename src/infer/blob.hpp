// What every runtime backend does at its edges (infer/network.hpp): check the blob it is given and copy an output
// tensor into the CV_32F Mat that Network::run returns.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#include <opencv2/core.hpp>

namespace facesearch::infer {

// Throws std::invalid_argument unless `input` is a continuous float blob.
inline void require_float_blob(const cv::Mat& input) {
  if (input.type() != CV_32F || !input.isContinuous())
    throw std::invalid_argument("network input must be a float blob");
}

// A copy of `data` with the tensor's shape (rank >= 2: a vector becomes one row).
inline cv::Mat float_mat(std::span<const std::int64_t> shape, const float* data) {
  std::vector<int> dims;
  std::size_t count = 1;
  for (std::int64_t d : shape) {
    dims.push_back(static_cast<int>(d));
    count *= static_cast<std::size_t>(d);
  }
  if (dims.size() < 2) dims = {1, static_cast<int>(count)};
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  if (count) std::memcpy(m.data, data, count * sizeof(float));
  return m;
}

}  // namespace facesearch::infer
