// The embeddings file: rows appended by the catalog's writer, mapped read-only by every search.
#include "vector/vector_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "vector/exact_scan.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/kernels.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

namespace vd = vector_detail;

constexpr char kMagic[8] = {'F', 'S', 'E', 'M', 'B', 'R', 'O', 'W'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 64;

std::array<unsigned char, kHeaderBytes> encode_header(std::uint32_t dim) {
  std::array<unsigned char, kHeaderBytes> b{};
  std::memcpy(b.data(), kMagic, 8);
  std::memcpy(b.data() + 8, &kVersion, 4);
  std::memcpy(b.data() + 12, &dim, 4);
  const std::uint64_t sum = vd::checksum(b.data(), 56);
  std::memcpy(b.data() + 56, &sum, 8);
  return b;
}

// The dimension a header records; nullopt for a damaged or foreign header.
std::optional<std::uint32_t> decode_header(const unsigned char* b) {
  std::uint32_t version = 0, dim = 0;
  std::uint64_t sum = 0;
  std::memcpy(&version, b + 8, 4);
  std::memcpy(&dim, b + 12, 4);
  std::memcpy(&sum, b + 56, 8);
  if (std::memcmp(b, kMagic, 8) != 0 || version != kVersion || sum != vd::checksum(b, 56)) return std::nullopt;
  return dim;
}

[[noreturn]] void throw_errno(const std::string& what, const fs::path& file) {
  throw std::system_error(errno, std::generic_category(), what + " " + file.string());
}

class StoredExactIndex final : public VectorIndex {
 public:
  StoredExactIndex(std::shared_ptr<const StoredRows> rows, std::span<const FaceId> dead)
      : rows_(std::move(rows)), dead_(rows_->count(), false) {
    for (const FaceId id : dead)
      if (auto row = rows_->find(id); row && !dead_[*row]) {
        dead_[*row] = true;
        ++dead_count_;
      }
  }

  int dim() const override { return rows_->dim(); }
  std::size_t size() const override { return rows_->count() - dead_count_; }
  void add(FaceId, std::span<const float>) override { throw std::logic_error("stored rows are read-only"); }
  void remove(FaceId) override { throw std::logic_error("stored rows are read-only"); }

  std::vector<Neighbor> search(std::span<const float> query, std::size_t k, float min_similarity) const override {
    const auto d = static_cast<std::size_t>(rows_->dim());
    if (query.size() != d)
      throw std::invalid_argument("vector index: search with a vector of " + std::to_string(query.size()) +
                                  " values, the index has dimension " + std::to_string(d));
    const StoredRows& rows = *rows_;
    const auto dot = vd::dot_f16();
    const float skip = std::nanf("");  // exact_scan drops NaN scores
    return vd::exact_scan(
        rows.count(), [&](std::size_t i) { return rows.id(i); }, std::min(k, size()), min_similarity,
        [&](std::size_t i) { return dead_[i] ? skip : dot(query.data(), rows.halves(i), d); });
  }

  std::string name() const override { return "exact-f16-stored"; }
  std::size_t memory_bytes() const override {
    return rows_->count() * StoredRows::row_bytes(rows_->dim()) + dead_.size() / 8;
  }

 private:
  std::shared_ptr<const StoredRows> rows_;
  std::vector<bool> dead_;
  std::size_t dead_count_ = 0;
};

}  // namespace

StoredRows::StoredRows(void* base, std::size_t bytes, int dim, std::size_t count)
    : base_(base), bytes_(bytes), dim_(dim), count_(count), stride_(row_bytes(dim)) {}

StoredRows::~StoredRows() {
  if (base_ != nullptr) munmap(base_, bytes_);
}

const unsigned char* StoredRows::at(std::size_t row) const {
  return static_cast<const unsigned char*>(base_) + kHeaderBytes + row * stride_;
}

std::optional<std::size_t> StoredRows::find(FaceId id) const {
  std::size_t lo = 0, hi = count_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (this->id(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  if (lo < count_ && this->id(lo) == id) return lo;
  return std::nullopt;
}

std::shared_ptr<const StoredRows> StoredRows::map(const fs::path& file, int dim, std::size_t count, bool populate) {
  if (dim <= 0) return nullptr;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  const std::size_t bytes = kHeaderBytes + count * row_bytes(dim);
  if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < bytes) {
    ::close(fd);
    return nullptr;
  }
  // Only the committed rows are mapped: what lies past them may be rewritten while this mapping lives.
  void* base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) return nullptr;
  const auto header_dim = decode_header(static_cast<const unsigned char*>(base));
  if (!header_dim || *header_dim != static_cast<std::uint32_t>(dim)) {
    munmap(base, bytes);
    return nullptr;
  }
  return std::shared_ptr<const StoredRows>(new StoredRows(base, bytes, dim, count));
}

StoredRowsWriter::StoredRowsWriter(const fs::path& file, int dim) : file_(file), dim_(dim) {
  if (dim <= 0) throw std::invalid_argument("embeddings file: dimension must be positive");
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot open", file);
  std::array<unsigned char, kHeaderBytes> header{};
  const ssize_t got = ::pread(fd_, header.data(), header.size(), 0);
  if (got == 0) {
    header = encode_header(static_cast<std::uint32_t>(dim));
    if (::pwrite(fd_, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()))
      throw_errno("cannot write", file);
    return;
  }
  const auto header_dim = got == static_cast<ssize_t>(header.size()) ? decode_header(header.data()) : std::nullopt;
  if (!header_dim || *header_dim != static_cast<std::uint32_t>(dim)) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("the embeddings file " + file.string() + " is damaged or holds another dimension");
  }
}

StoredRowsWriter::~StoredRowsWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void StoredRowsWriter::write(std::size_t row, FaceId id, std::span<const std::uint8_t> halves) {
  if (halves.size() != 2 * static_cast<std::size_t>(dim_))
    throw std::invalid_argument("embeddings file: a row of " + std::to_string(halves.size()) +
                                " bytes for dimension " + std::to_string(dim_));
  const std::size_t stride = StoredRows::row_bytes(dim_);
  constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  if (!pending_.empty() && (row != pending_first_ + pending_.size() / stride || pending_.size() >= kFlushBytes))
    flush();
  if (pending_.empty()) pending_first_ = row;
  const auto* id_bytes = reinterpret_cast<const unsigned char*>(&id);
  pending_.insert(pending_.end(), id_bytes, id_bytes + sizeof id);
  pending_.insert(pending_.end(), halves.begin(), halves.end());
}

void StoredRowsWriter::flush() {
  if (pending_.empty()) return;
  const auto offset = static_cast<off_t>(kHeaderBytes + pending_first_ * StoredRows::row_bytes(dim_));
  if (::pwrite(fd_, pending_.data(), pending_.size(), offset) != static_cast<ssize_t>(pending_.size()))
    throw_errno("cannot write", file_);
  pending_.clear();
}

void StoredRowsWriter::sync() {
  flush();
  if (::fdatasync(fd_) != 0) throw_errno("cannot sync", file_);
}

std::unique_ptr<VectorIndex> make_stored_exact_index(std::shared_ptr<const StoredRows> rows,
                                                     std::span<const FaceId> dead) {
  return std::make_unique<StoredExactIndex>(std::move(rows), dead);
}

}  // namespace facesearch
