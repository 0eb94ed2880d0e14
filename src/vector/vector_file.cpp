// The fp16 vector file: written once per catalog generation, mapped read-only by every search process.
#include "vector/vector_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <stdexcept>
#include <system_error>

#include "vector/exact_scan.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/kernels.hpp"

namespace fs = std::filesystem;

namespace facesearch {

namespace {

namespace vd = vector_detail;

constexpr char kMagic[8] = {'F', 'S', 'V', 'E', 'C', 'F', '1', '6'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 64;

struct Header {
  std::uint32_t dim = 0;
  std::uint64_t count = 0;
  VectorFileStamp stamp{};
};

std::array<unsigned char, kHeaderBytes> encode(const Header& h) {
  std::array<unsigned char, kHeaderBytes> b{};
  std::memcpy(b.data(), kMagic, 8);
  std::memcpy(b.data() + 8, &kVersion, 4);
  std::memcpy(b.data() + 12, &h.dim, 4);
  std::memcpy(b.data() + 16, &h.count, 8);
  std::memcpy(b.data() + 24, h.stamp.data(), 32);
  const std::uint64_t sum = vd::checksum(b.data(), 56);
  std::memcpy(b.data() + 56, &sum, 8);
  return b;
}

bool decode(const unsigned char* b, Header& h) {
  std::uint32_t version = 0;
  std::uint64_t sum = 0;
  std::memcpy(&version, b + 8, 4);
  std::memcpy(&sum, b + 56, 8);
  if (std::memcmp(b, kMagic, 8) != 0 || version != kVersion || sum != vd::checksum(b, 56)) return false;
  std::memcpy(&h.dim, b + 12, 4);
  std::memcpy(&h.count, b + 16, 8);
  std::memcpy(h.stamp.data(), b + 24, 32);
  return true;
}

std::size_t ids_offset(std::uint64_t count, std::uint32_t dim) {
  const std::size_t end_of_rows = kHeaderBytes + count * dim * 2;
  return (end_of_rows + 7) / 8 * 8;
}

class MappedVectors final : public VectorIndex {
 public:
  MappedVectors(void* base, std::size_t bytes, const Header& h) : base_(base), bytes_(bytes), header_(h) {}
  ~MappedVectors() override { munmap(base_, bytes_); }

  int dim() const override { return static_cast<int>(header_.dim); }
  std::size_t size() const override { return header_.count; }
  void add(FaceId, std::span<const float>) override { throw std::logic_error("a mapped vector file is read-only"); }
  void remove(FaceId) override { throw std::logic_error("a mapped vector file is read-only"); }

  std::vector<Neighbor> search(std::span<const float> query, std::size_t k, float min_similarity) const override {
    if (query.size() != header_.dim)
      throw std::invalid_argument("vector index: search with a vector of " + std::to_string(query.size()) +
                                  " values, the index has dimension " + std::to_string(header_.dim));
    const auto* bytes = static_cast<const unsigned char*>(base_);
    const auto* rows = reinterpret_cast<const std::uint16_t*>(bytes + kHeaderBytes);
    const auto* ids = reinterpret_cast<const FaceId*>(bytes + ids_offset(header_.count, header_.dim));
    const std::size_t d = header_.dim;
    const auto dot = vd::dot_f16();
    return vd::exact_scan({ids, header_.count}, k, min_similarity,
                          [&](std::size_t i) { return dot(query.data(), rows + i * d, d); });
  }

  std::string name() const override { return "exact-f16-mapped"; }
  std::size_t memory_bytes() const override { return bytes_; }

 private:
  void* base_;
  std::size_t bytes_;
  Header header_;
};

// Temporary files of writers that died (kill -9) more than an hour ago; a live writer finishes in seconds.
void remove_abandoned_tmp_files(const fs::path& file) {
  const std::string prefix = file.filename().string() + ".tmp.";
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(file.parent_path().empty() ? "." : file.parent_path(), ec))
    if (e.path().filename().string().starts_with(prefix) && e.last_write_time(ec) < cutoff) fs::remove(e.path(), ec);
}

// Several processes may rebuild the same file at once: each writes its own temporary file, the last rename wins.
fs::path unique_tmp(const fs::path& file) {
  remove_abandoned_tmp_files(file);
  static std::atomic<unsigned> counter{0};
  return file.string() + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

}  // namespace

VectorFileWriter::VectorFileWriter(const fs::path& file, int dim)
    : file_(file), tmp_(unique_tmp(file)), dim_(dim) {
  out_ = std::fopen(tmp_.c_str(), "wb");
  if (!out_) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp_.string());
  const std::array<unsigned char, kHeaderBytes> placeholder{};
  std::fwrite(placeholder.data(), 1, placeholder.size(), out_);
}

VectorFileWriter::~VectorFileWriter() {
  if (out_) std::fclose(out_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void VectorFileWriter::add(FaceId id, std::span<const std::uint8_t> halves) {
  if (halves.size() != static_cast<std::size_t>(dim_) * 2)
    throw std::invalid_argument("vector file: a row of " + std::to_string(halves.size()) + " bytes for dimension " +
                                std::to_string(dim_));
  std::fwrite(halves.data(), 1, halves.size(), out_);
  ids_.push_back(id);
}

void VectorFileWriter::commit(const VectorFileStamp& stamp) {
  Header h;
  h.dim = static_cast<std::uint32_t>(dim_);
  h.count = ids_.size();
  h.stamp = stamp;
  const std::size_t at = ids_offset(h.count, h.dim);
  const std::size_t written = kHeaderBytes + h.count * h.dim * 2;
  const std::array<unsigned char, 8> zeros{};
  std::fwrite(zeros.data(), 1, at - written, out_);
  std::fwrite(ids_.data(), sizeof(FaceId), ids_.size(), out_);
  const auto header = encode(h);
  const bool ok = std::fflush(out_) == 0 && std::fseek(out_, 0, SEEK_SET) == 0 &&
                  std::fwrite(header.data(), 1, header.size(), out_) == header.size() && std::fflush(out_) == 0 &&
                  fsync(fileno(out_)) == 0;
  const int error = errno;
  std::fclose(out_);
  out_ = nullptr;
  if (!ok) throw std::system_error(error, std::generic_category(), "cannot write " + tmp_.string());
  fs::rename(tmp_, file_);
  committed_ = true;
}

std::unique_ptr<VectorIndex> map_vector_file(const fs::path& file, int dim, const VectorFileStamp& expected) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) < kHeaderBytes) {
    ::close(fd);
    return nullptr;
  }
  const auto bytes = static_cast<std::size_t>(st.st_size);
  // MAP_POPULATE maps the cached pages up front: one call instead of a page fault per 4 KiB during the scan.
  void* base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) return nullptr;
  Header h;
  const bool usable = decode(static_cast<const unsigned char*>(base), h) && h.dim == static_cast<std::uint32_t>(dim) &&
                      h.stamp == expected && bytes == ids_offset(h.count, h.dim) + h.count * sizeof(FaceId);
  if (!usable) {
    munmap(base, bytes);
    return nullptr;
  }
  return std::make_unique<MappedVectors>(base, bytes, h);
}

}  // namespace facesearch
