// The library facade: what does not depend on a storage backend. The catalog behaviour (search == scan,
// incremental index, crash safety, model guard, concurrency) is in test_storage.cpp, run against both backends.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "library/library.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

// A postgresql:// URL selects the server backend; an unreachable server is a clear error that never shows the
// password.
TEST(Library, DatabaseUrlErrorsAreClearAndHidePassword) {
  try {
    Library library(std::string("postgresql://someone:s3cret@127.0.0.1:1/photos?connect_timeout=2"));
    FAIL() << "connected to a server that does not exist";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("postgresql://someone@127.0.0.1:1/photos"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  }
}

// A directory that holds no library is refused without `create`, and made with it.
TEST(Library, DirectoryIsCreatedOnlyWhenAsked) {
  const fs::path dir = fstest::scratch_dir("library-create") / "lib";
  EXPECT_THROW(Library(dir, /*create=*/false), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir));
  Library library(dir);
  EXPECT_TRUE(fs::exists(dir / "catalog.sqlite"));
  EXPECT_EQ(library.status().images, 0u);
  EXPECT_FALSE(library.is_database());
  EXPECT_EQ(library.dir(), fs::absolute(dir).lexically_normal());
}

TEST(Library, CombinedQueryIsNormalisedMean) {
  Embedding a = {1, 0, 0}, b = {0, 1, 0};
  auto c = combine_queries({a, b});
  EXPECT_NEAR(c[0], std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR(c[1], std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR(c[2], 0.f, 1e-6);
}
