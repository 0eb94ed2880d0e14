// Internal: the exact scan shared by the in-memory and the mapped exact indexes: score rows in blocks, keep the k
// best over the threshold.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "vector/top_k.hpp"

namespace facesearch::vector_detail {

// `score(i)` is the similarity of row i, whose id is `id(i)`, for rows 0..n-1.
template <typename Id, typename Score>
std::vector<Neighbor> exact_scan(std::size_t n, Id&& id, std::size_t k, float min_similarity, Score&& score) {
  TopK top(k, n);
  if (top.capacity() == 0) return {};
  // Score a block of rows, then feed the heap: keeps the dot-product loop free of heap branches.
  constexpr std::size_t kBlock = 256;
  float scores[kBlock];
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t end = std::min(n, begin + kBlock);
    for (std::size_t i = begin; i < end; ++i) scores[i - begin] = score(i);
    for (std::size_t i = begin; i < end; ++i) {
      const float s = scores[i - begin];
      if (s >= min_similarity) top.push({id(i), s});  // NaN fails the comparison and is skipped
    }
  }
  return std::move(top).sorted();
}

template <typename Score>
std::vector<Neighbor> exact_scan(std::span<const FaceId> ids, std::size_t k, float min_similarity, Score&& score) {
  return exact_scan(ids.size(), [&](std::size_t i) { return ids[i]; }, k, min_similarity, score);
}

}  // namespace facesearch::vector_detail
