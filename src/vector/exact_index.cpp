// Brute-force index: vectors in one contiguous array, a SIMD dot product per row, a bounded heap for the top
// k.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "vector/kernels.hpp"
#include "vector/exact_scan.hpp"
#include "vector/vector_index.hpp"

namespace facesearch {

namespace {

namespace vd = vector_detail;

class ExactIndex final : public VectorIndex {
 public:
  ExactIndex(int dim, VectorPrecision precision) : dim_(dim), precision_(precision) {
    if (dim <= 0) throw std::invalid_argument("vector index: dimension must be positive");
  }

  int dim() const override { return dim_; }

  std::size_t size() const override {
    std::shared_lock lock(mutex_);
    return ids_.size();
  }

  void add(FaceId id, std::span<const float> vector) override {
    check_dim(vector.size(), "add");
    std::unique_lock lock(mutex_);
    add_locked(id, vector);
  }

  void add_batch(std::span<const FaceId> ids, std::span<const float> vectors, unsigned /*threads*/) override {
    const auto d = static_cast<std::size_t>(dim_);
    if (vectors.size() != ids.size() * d)
      throw std::invalid_argument("vector index: add_batch needs ids.size() rows");
    std::unique_lock lock(mutex_);
    reserve_locked(ids_.size() + ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) add_locked(ids[i], vectors.subspan(i * d, d));
  }

  void remove(FaceId id) override {
    std::unique_lock lock(mutex_);
    const auto it = slots_.find(id);
    if (it == slots_.end()) return;
    // Move the last row into the hole so the rows stay contiguous (search order does not matter: ties are
    // broken by id, not by slot).
    const std::size_t hole = it->second;
    const std::size_t last = ids_.size() - 1;
    slots_.erase(it);
    if (hole != last) {
      if (precision_ == VectorPrecision::F32)
        move_row(f32_, last, hole);
      else
        move_row(f16_, last, hole);
      ids_[hole] = ids_[last];
      slots_[ids_[hole]] = hole;
    }
    ids_.pop_back();
    const std::size_t values = ids_.size() * static_cast<std::size_t>(dim_);
    if (precision_ == VectorPrecision::F32)
      f32_.resize(values);
    else
      f16_.resize(values);
  }

  std::vector<Neighbor> search(std::span<const float> query, std::size_t k,
                               float min_similarity) const override {
    check_dim(query.size(), "search");
    std::shared_lock lock(mutex_);
    const std::size_t n = ids_.size();
    const auto d = static_cast<std::size_t>(dim_);
    if (precision_ == VectorPrecision::F32) {
      const auto dot = vd::dot_f32();
      return vd::exact_scan({ids_.data(), n}, k, min_similarity,
                            [&](std::size_t i) { return dot(query.data(), f32_.data() + i * d, d); });
    }
    const auto dot = vd::dot_f16();
    return vd::exact_scan({ids_.data(), n}, k, min_similarity,
                          [&](std::size_t i) { return dot(query.data(), f16_.data() + i * d, d); });
  }

  std::string name() const override { return precision_ == VectorPrecision::F32 ? "exact-f32" : "exact-f16"; }

  std::size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    // Hash node: next pointer, key, value, cached hash.
    constexpr std::size_t kNodeBytes =
        sizeof(void*) + sizeof(FaceId) + sizeof(std::size_t) + sizeof(std::size_t);
    return f32_.capacity() * sizeof(float) + f16_.capacity() * sizeof(std::uint16_t) +
           ids_.capacity() * sizeof(FaceId) + slots_.bucket_count() * sizeof(void*) +
           slots_.size() * kNodeBytes;
  }

 private:
  void check_dim(std::size_t n, const char* what) const {
    if (n != static_cast<std::size_t>(dim_)) {
      throw std::invalid_argument(std::string("vector index: ") + what + " with a vector of " +
                                  std::to_string(n) + " values, the index has dimension " +
                                  std::to_string(dim_));
    }
  }

  template <typename T>
  void move_row(std::vector<T>& rows, std::size_t from, std::size_t to) const {
    const auto d = static_cast<std::size_t>(dim_);
    std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(from * d), d,
                rows.begin() + static_cast<std::ptrdiff_t>(to * d));
  }

  void reserve_locked(std::size_t rows) {
    const auto d = static_cast<std::size_t>(dim_);
    ids_.reserve(rows);
    slots_.reserve(rows);
    if (precision_ == VectorPrecision::F32)
      f32_.reserve(rows * d);
    else
      f16_.reserve(rows * d);
  }

  void add_locked(FaceId id, std::span<const float> vector) {
    const auto d = static_cast<std::size_t>(dim_);
    const auto [it, inserted] = slots_.try_emplace(id, ids_.size());
    const std::size_t slot = it->second;
    if (inserted) {
      ids_.push_back(id);
      if (precision_ == VectorPrecision::F32)
        f32_.resize(f32_.size() + d);
      else
        f16_.resize(f16_.size() + d);
    }
    if (precision_ == VectorPrecision::F32) {
      std::copy(vector.begin(), vector.end(), f32_.begin() + static_cast<std::ptrdiff_t>(slot * d));
    } else {
      std::transform(vector.begin(), vector.end(), f16_.begin() + static_cast<std::ptrdiff_t>(slot * d),
                     vd::float_to_half);
    }
  }

  const int dim_;
  const VectorPrecision precision_;
  std::vector<float> f32_;                         // rows of dim_ floats (F32)
  std::vector<std::uint16_t> f16_;                 // rows of dim_ IEEE halves (F16)
  std::vector<FaceId> ids_;                        // slot -> id
  std::unordered_map<FaceId, std::size_t> slots_;  // id -> slot
  mutable std::shared_mutex mutex_;
};

}  // namespace

void VectorIndex::add_batch(std::span<const FaceId> ids, std::span<const float> vectors,
                            unsigned /*threads*/) {
  const auto d = static_cast<std::size_t>(dim());
  if (vectors.size() != ids.size() * d)
    throw std::invalid_argument("vector index: add_batch needs ids.size() rows");
  for (std::size_t i = 0; i < ids.size(); ++i) add(ids[i], vectors.subspan(i * d, d));
}

std::unique_ptr<VectorIndex> make_exact_index(int dim, VectorPrecision precision) {
  return std::make_unique<ExactIndex>(dim, precision);
}

}  // namespace facesearch
