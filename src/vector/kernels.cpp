#include "vector/kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace facesearch::vector_detail {

namespace {

bool detect_avx2() {
  if (const char* env = std::getenv("FACESEARCH_VECTOR_SIMD"); env && std::string_view(env) == "baseline") {
    return false;
  }
  __builtin_cpu_init();
  // libgcc checks XCR0 (OS support for the YMM state) before reporting AVX2.
#if defined(__clang__) && __clang_major__ < 15
  // clang 14 (the fuzz build) cannot ask for F16C; every CPU with AVX2 and FMA (Haswell, Zen) has it.
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
}

float distance_baseline(const void* a, const void* b, const void* param) {
  return 1.f - dot_f32_baseline(static_cast<const float*>(a), static_cast<const float*>(b),
                                *static_cast<const std::size_t*>(param));
}

__attribute__((target("avx2,fma,f16c"))) float distance_avx2(const void* a, const void* b,
                                                             const void* param) {
  return 1.f - dot_f32_avx2(static_cast<const float*>(a), static_cast<const float*>(b),
                            *static_cast<const std::size_t*>(param));
}

// Eight halves widened to floats (a lambda would not inherit the target attribute).
__attribute__((target("avx2,fma,f16c"))) inline __m256 load8(const std::uint16_t* halves, std::size_t at) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(halves + at)));
}

__attribute__((target("avx2,fma,f16c"))) inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

}  // namespace

bool use_avx2() {
  static const bool value = detect_avx2();
  return value;
}

// SSE2 is part of x86-64, so the baseline kernel can use it unconditionally. Four accumulators hide the add
// latency.
float dot_f32_baseline(const float* a, const float* b, std::size_t n) {
  __m128 acc0 = _mm_setzero_ps(), acc1 = _mm_setzero_ps(), acc2 = _mm_setzero_ps(), acc3 = _mm_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    acc1 = _mm_add_ps(acc1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    acc2 = _mm_add_ps(acc2, _mm_mul_ps(_mm_loadu_ps(a + i + 8), _mm_loadu_ps(b + i + 8)));
    acc3 = _mm_add_ps(acc3, _mm_mul_ps(_mm_loadu_ps(a + i + 12), _mm_loadu_ps(b + i + 12)));
  }
  for (; i + 4 <= n; i += 4) acc0 = _mm_add_ps(acc0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
  __m128 s = _mm_add_ps(_mm_add_ps(acc0, acc1), _mm_add_ps(acc2, acc3));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  float sum = _mm_cvtss_f32(s);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

namespace {

// Widens `halves` to floats a block at a time and sums dot_block(block, offset, size) over the blocks: the baseline
// kernels' fp16 path, only used on CPUs without F16C.
template <typename DotBlock>
float over_half_blocks(const std::uint16_t* halves, std::size_t n, DotBlock&& dot_block) {
  constexpr std::size_t kBlock = 64;
  float block[kBlock];
  float sum = 0;
  for (std::size_t i = 0; i < n; i += kBlock) {
    const std::size_t m = n - i < kBlock ? n - i : kBlock;
    for (std::size_t j = 0; j < m; ++j) block[j] = half_to_float(halves[i + j]);
    sum += dot_block(block, i, m);
  }
  return sum;
}

}  // namespace

float dot_f16_baseline(const float* query, const std::uint16_t* halves, std::size_t n) {
  return over_half_blocks(halves, n,
                          [&](const float* block, std::size_t i, std::size_t m) { return dot_f32_baseline(query + i, block, m); });
}

__attribute__((target("avx2,fma,f16c"))) float dot_f32_avx2(const float* a, const float* b, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) float dot_f16_avx2(const float* query, const std::uint16_t* halves,
                                                            std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(),
         acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load8(halves, i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 8), load8(halves, i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 16), load8(halves, i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 24), load8(halves, i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load8(halves, i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += query[i] * half_to_float(halves[i]);
  return sum;
}

float dot_f16_f16_baseline(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) {
  return over_half_blocks(a, n,
                          [&](const float* block, std::size_t i, std::size_t m) { return dot_f16_baseline(block, b + i, m); });
}

__attribute__((target("avx2,fma,f16c"))) float dot_f16_f16_avx2(const std::uint16_t* a, const std::uint16_t* b,
                                                                std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load8(a, i), load8(b, i), acc0);
    acc1 = _mm256_fmadd_ps(load8(a, i + 8), load8(b, i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8(a, i), load8(b, i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += half_to_float(a[i]) * half_to_float(b[i]);
  return sum;
}

DotF32 dot_f32() { return use_avx2() ? dot_f32_avx2 : dot_f32_baseline; }
DotF16F16 dot_f16_f16() { return use_avx2() ? dot_f16_f16_avx2 : dot_f16_f16_baseline; }
DotF16 dot_f16() { return use_avx2() ? dot_f16_avx2 : dot_f16_baseline; }
DistanceFn inner_product_distance() { return use_avx2() ? distance_avx2 : distance_baseline; }

std::uint16_t float_to_half(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // infinity or NaN (keep NaN quiet and non-zero)
    const bool nan = magnitude > 0x7f800000u;
    return static_cast<std::uint16_t>(sign | 0x7c00u | (nan ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0u));
  }
  if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (magnitude >=
      0x38800000u) {  // normal half: rebias the exponent (127 -> 15), round 13 mantissa bits to even
    const std::uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
    return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  // Subnormal half (or zero): adding 0.5f makes the FPU round to a multiple of 2^-24 (0.5's ulp), to nearest
  // even; the mantissa bits are then the half's subnormal mantissa (1024 means the smallest normal, which is
  // also right).
  const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
  return static_cast<std::uint16_t>(sign | (std::bit_cast<std::uint32_t>(shifted) - 0x3f000000u));
}

float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t magnitude = half & 0x7fffu;
  if (magnitude >= 0x7c00u) return std::bit_cast<float>(sign | 0x7f800000u | ((magnitude & 0x3ffu) << 13));
  // Shifting puts the half's exponent and mantissa in the float's fields with the wrong bias; scaling by
  // 2^112 fixes the bias for normals and turns subnormals (float denormals here) into the right normal float.
  const float scaled = std::bit_cast<float>(magnitude << 13) * 0x1p112f;
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(scaled));
}

__attribute__((target("avx2,fma,f16c"))) std::uint16_t float_to_half_f16c(float value) {
  const __m128i h = _mm_cvtps_ph(_mm_set_ss(value), _MM_FROUND_TO_NEAREST_INT);
  return static_cast<std::uint16_t>(_mm_extract_epi16(h, 0));
}

}  // namespace facesearch::vector_detail

namespace facesearch {

float dot(std::span<const float> a, std::span<const float> b) {
  return vector_detail::dot_f32()(a.data(), b.data(), std::min(a.size(), b.size()));
}

void l2_normalize(std::span<float> v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 0)
    for (float& x : v) x = static_cast<float>(x / n);
}

}  // namespace facesearch
