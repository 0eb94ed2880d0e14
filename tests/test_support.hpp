// Helpers shared by the tests: where the labelled photos and the models are.
#pragma once

#include <filesystem>
#include <string>

namespace facesearch::testing {

// ../shared/data (or $FACESEARCH_TEST_DATA). Throws with a clear message when absent, so the test fails loudly.
std::filesystem::path shared_data();

// A fresh, empty directory under the build tree for one test's files.
std::filesystem::path scratch_dir(const std::string& name);

}  // namespace facesearch::testing
