// The vector kernels: dot products against double precision, the project's one fp16 codec (every half value, F16C
// agreement), dot / l2_normalize, and the file checksum. Unit tier: no data, no models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "vector/hnsw_file.hpp"
#include "vector/kernels.hpp"

namespace vd = facesearch::vector_detail;

// ----------------------------------------------------------------------------------------------------
// kernels

TEST(VectorKernels, DotProductsAgreeWithDoublePrecision) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (std::size_t n : {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 100, 511, 512, 1000}) {
    std::vector<float> a(n), b(n);
    std::vector<std::uint16_t> h(n), ha(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = uniform(rng);
      b[i] = uniform(rng);
      h[i] = vd::float_to_half(b[i]);
      ha[i] = vd::float_to_half(a[i]);
    }
    double want = 0, want_half = 0, want_halves = 0;
    for (std::size_t i = 0; i < n; ++i) {
      want += double(a[i]) * b[i];
      want_half += double(a[i]) * vd::half_to_float(h[i]);
      want_halves += double(vd::half_to_float(ha[i])) * vd::half_to_float(h[i]);
    }
    const double tolerance = 1e-5 * (1 + std::sqrt(double(n)));
    EXPECT_NEAR(vd::dot_f32_baseline(a.data(), b.data(), n), want, tolerance) << n;
    EXPECT_NEAR(vd::dot_f16_baseline(a.data(), h.data(), n), want_half, tolerance) << n;
    EXPECT_NEAR(vd::dot_f32()(a.data(), b.data(), n), want, tolerance) << n;
    EXPECT_NEAR(vd::dot_f16()(a.data(), h.data(), n), want_half, tolerance) << n;
    EXPECT_NEAR(vd::dot_f16_f16_baseline(ha.data(), h.data(), n), want_halves, tolerance) << n;
    EXPECT_NEAR(vd::dot_f16_f16()(ha.data(), h.data(), n), want_halves, tolerance) << n;
    if (vd::use_avx2()) {
      EXPECT_NEAR(vd::dot_f16_f16_avx2(ha.data(), h.data(), n), want_halves, tolerance) << n;
      EXPECT_NEAR(vd::dot_f32_avx2(a.data(), b.data(), n), want, tolerance) << n;
      EXPECT_NEAR(vd::dot_f16_avx2(a.data(), h.data(), n), want_half, tolerance) << n;
    }
  }
}

TEST(VectorKernels, HalfConversionKnownValues) {
  EXPECT_EQ(vd::float_to_half(1.f), 0x3c00);
  EXPECT_EQ(vd::float_to_half(-2.f), 0xc000);
  EXPECT_EQ(vd::float_to_half(0.f), 0x0000);
  EXPECT_EQ(vd::float_to_half(-0.f), 0x8000);
  EXPECT_EQ(vd::float_to_half(65504.f), 0x7bff);
  EXPECT_EQ(vd::float_to_half(65519.f), 0x7bff);  // below the halfway point to 65536
  EXPECT_EQ(vd::float_to_half(65520.f), 0x7c00);  // halfway: rounds to even, which overflows
  EXPECT_EQ(vd::float_to_half(1e9f), 0x7c00);
  EXPECT_EQ(vd::float_to_half(-INFINITY), 0xfc00);
  EXPECT_EQ(vd::float_to_half(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(vd::float_to_half(0x1p-25f), 0x0000);  // halfway to it: even is zero
  EXPECT_EQ(vd::float_to_half(0x1.8p-25f), 0x0001);
  EXPECT_EQ(vd::float_to_half(0x1p-14f), 0x0400);          // smallest normal
  EXPECT_EQ(vd::float_to_half(1.f + 0x1p-11f), 0x3c00);    // tie between 1 and 1+2^-10: even
  EXPECT_EQ(vd::float_to_half(1.f + 0x1.8p-10f), 0x3c02);  // tie between 0x3c01 and 0x3c02: even
  EXPECT_TRUE(std::isnan(vd::half_to_float(vd::float_to_half(NAN))));
  EXPECT_EQ(vd::half_to_float(0x3c00), 1.f);
  EXPECT_EQ(vd::half_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(vd::half_to_float(0x7bff), 65504.f);
  EXPECT_EQ(vd::half_to_float(0xfc00), -INFINITY);
  EXPECT_TRUE(std::signbit(vd::half_to_float(0x8000)));
}

TEST(VectorKernels, HalfRoundTripsEveryValueAndMatchesF16C) {
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = vd::half_to_float(std::uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(vd::half_to_float(vd::float_to_half(f))));
    } else {
      ASSERT_EQ(vd::float_to_half(f), h) << std::hex << h;
    }
  }
  if (!vd::use_avx2()) GTEST_SKIP() << "no F16C to compare with";
  std::mt19937 rng(2);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 2'000'000; ++i) {
    // Random bit patterns, biased towards the exponents that matter (subnormal, normal and overflowing
    // halves).
    std::uint32_t x = bits(rng);
    if (i % 2) x = (x & 0x807fffffu) | ((100u + x % 50u) << 23);
    float f;
    std::memcpy(&f, &x, sizeof f);
    if (std::isnan(f)) continue;
    ASSERT_EQ(vd::float_to_half(f), vd::float_to_half_f16c(f)) << std::hexfloat << f;
  }
}

TEST(VectorKernels, ChecksumIgnoresChunkingAndSeesEveryByte) {
  std::vector<unsigned char> bytes(1000);
  std::mt19937 rng(3);
  for (auto& b : bytes) b = static_cast<unsigned char>(rng());
  const auto whole = vd::checksum(bytes.data(), bytes.size());
  vd::Checksum pieces;
  for (std::size_t at = 0, step = 1; at < bytes.size(); at += step, step = step * 3 % 41 + 1) {
    pieces.update(bytes.data() + at, std::min(step, bytes.size() - at));
  }
  EXPECT_EQ(pieces.digest(), whole);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[i] ^= static_cast<unsigned char>(1 << bit);
      ASSERT_NE(vd::checksum(bytes.data(), bytes.size()), whole) << i << ":" << bit;
      bytes[i] ^= static_cast<unsigned char>(1 << bit);
    }
  }
  EXPECT_NE(vd::checksum(bytes.data(), bytes.size() - 1), whole);
  bytes.push_back(0);
  EXPECT_NE(vd::checksum(bytes.data(), bytes.size()), whole);  // trailing zero byte still changes the digest
}

TEST(VectorKernels, DotAndL2NormalizeOnSpans) {
  std::vector<float> a = {3, 4, 0}, b = {1, 2, 3, 99};
  EXPECT_FLOAT_EQ(vd::dot(a, b), 3 + 8);  // over the common length
  vd::l2_normalize(a);
  EXPECT_FLOAT_EQ(a[0], 0.6f);
  EXPECT_FLOAT_EQ(a[1], 0.8f);
  EXPECT_FLOAT_EQ(vd::dot(a, a), 1.f);
  std::vector<float> zero(5, 0.f);
  vd::l2_normalize(zero);
  EXPECT_TRUE(std::all_of(zero.begin(), zero.end(), [](float x) { return x == 0.f; }));
  std::mt19937 rng(4);
  std::normal_distribution<float> normal;
  std::vector<float> v(512);
  for (auto& x : v) x = normal(rng);
  vd::l2_normalize(v);
  EXPECT_NEAR(vd::dot(v, v), 1.f, 1e-5);
}
