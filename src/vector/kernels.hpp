// Internal: dot-product kernels and IEEE half conversion shared by the indexes (and exercised by the tests).
// The build targets baseline x86-64, so the AVX2/FMA/F16C variants are chosen at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "vector/similarity.hpp"

namespace facesearch::vector_detail {

using DotF32 = float (*)(const float* a, const float* b, std::size_t n);
using DotF16 = float (*)(const float* query, const std::uint16_t* halves, std::size_t n);
using DotF16F16 = float (*)(const std::uint16_t* a, const std::uint16_t* b, std::size_t n);
// Same signature as hnswlib::DISTFUNC<float>; param points at the dimension (std::size_t).
using DistanceFn = float (*)(const void* a, const void* b, const void* param);

// True when the CPU and the OS support AVX2, FMA and F16C. FACESEARCH_VECTOR_SIMD=baseline in the environment
// forces the baseline kernels (read once, at first use).
bool use_avx2();

float dot_f32_baseline(const float* a, const float* b, std::size_t n);
float dot_f16_baseline(const float* query, const std::uint16_t* halves, std::size_t n);
// Only callable when the CPU supports AVX2, FMA and F16C.
float dot_f32_avx2(const float* a, const float* b, std::size_t n);
float dot_f16_avx2(const float* query, const std::uint16_t* halves, std::size_t n);
// Two fp16 rows (building a graph over stored rows).
float dot_f16_f16_baseline(const std::uint16_t* a, const std::uint16_t* b, std::size_t n);
float dot_f16_f16_avx2(const std::uint16_t* a, const std::uint16_t* b, std::size_t n);

// The best kernels for this CPU.
DotF32 dot_f32();
DotF16 dot_f16();
DotF16F16 dot_f16_f16();
// 1 - dot (hnswlib's inner-product distance), with the best kernel.
DistanceFn inner_product_distance();

// The public dot / l2_normalize (vector/similarity.hpp) are these kernels too.
using facesearch::dot;
using facesearch::l2_normalize;

// The project's one fp16 codec. Round to nearest even; overflow gives infinity, NaN stays NaN.
std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t half);
// Hardware F16C conversion (round to nearest even), for cross-checking; only callable when use_avx2().
std::uint16_t float_to_half_f16c(float value);

}  // namespace facesearch::vector_detail
