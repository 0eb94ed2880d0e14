// Internal: the exact scan shared by the in-memory and the mapped exact indexes: score rows in blocks, keep the k
// best over the threshold.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "vector/top_k.hpp"

namespace facesearch::vector_detail {

// `score(i)` is the similarity of row i, whose id is ids[i].
template <typename Score>
std::vector<Neighbor> exact_scan(std::span<const FaceId> ids, std::size_t k, float min_similarity, Score&& score) {
  const std::size_t n = ids.size();
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
      if (s >= min_similarity) top.push({ids[i], s});  // NaN fails the comparison and is skipped
    }
  }
  return std::move(top).sorted();
}

}  // namespace facesearch::vector_detail
