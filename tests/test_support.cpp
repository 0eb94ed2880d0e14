#include "test_support.hpp"

#include <cstdlib>
#include <stdexcept>

namespace facesearch::testing {

std::filesystem::path shared_data() {
  const char* env = std::getenv("FACESEARCH_TEST_DATA");
  std::filesystem::path dir = env && *env ? env : FACESEARCH_TEST_DATA_DEFAULT;
  if (!std::filesystem::is_directory(dir / "deepface_testset")) {
    throw std::runtime_error("test data not found at '" + dir.string() +
                             "': these tests need the labelled photos of ../shared/data beside the checkout "
                             "(or set FACESEARCH_TEST_DATA)");
  }
  return dir;
}

std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(FACESEARCH_BINARY_DIR) / "test-scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace facesearch::testing
