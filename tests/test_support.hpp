// Helpers shared by the tests: where the labelled photos and the models are.
#pragma once

#include <filesystem>
#include <string>

namespace fstest {

// ../shared/data (or $FACESEARCH_TEST_DATA). Throws with a clear message when absent, so the test fails loudly.
std::filesystem::path shared_data();

// A fresh, empty directory under the build tree for one test's files.
std::filesystem::path scratch_dir(const std::string& name);

}  // namespace fstest

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace fstest {

// A JPEG of `stored` (the pixels as stored in the file) with an EXIF APP1 segment saying `orientation` (1..8).
std::vector<std::uint8_t> jpeg_with_exif_orientation(const cv::Mat& stored, int orientation);

void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);

}  // namespace fstest
