// Internal: bounded selection of the k best neighbours (higher similarity first, then smaller id).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "vector/vector_index.hpp"

namespace facesearch::vector_detail {

// The one ordering every index reports in, so results are deterministic when similarities tie.
inline bool better(const Neighbor& a, const Neighbor& b) {
  return a.similarity > b.similarity || (a.similarity == b.similarity && a.id < b.id);
}

class TopK {
 public:
  // At most k results out of n candidates (reserves min(k, n), so a huge k costs nothing).
  TopK(std::size_t k, std::size_t n) : k_(std::min(k, n)) { heap_.reserve(k_); }

  std::size_t capacity() const { return k_; }

  void push(const Neighbor& candidate) {
    if (heap_.size() < k_) {
      heap_.push_back(candidate);
      std::push_heap(heap_.begin(), heap_.end(), better);  // front() is the worst kept so far
    } else if (k_ > 0 && better(candidate, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = candidate;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }

  std::vector<Neighbor> sorted() && {
    std::sort_heap(heap_.begin(), heap_.end(), better);  // ascending by `better`: best first
    return std::move(heap_);
  }

 private:
  std::size_t k_;
  std::vector<Neighbor> heap_;
};

}  // namespace facesearch::vector_detail
