// Internal: the header in front of hnswlib's payload in an HNSW index file, and the checksum that guards
// both.
//
// Layout (little-endian, 56 bytes), then the payload (byte for byte what hnswlib's saveIndex writes):
//   0  magic "FSHNSW\r\n"      8  version (u32)      12 dimension (u32)
//   16 graph elements (u64, deleted ones included)   24 live elements (u64)
//   32 payload bytes (u64)     40 payload checksum (u64)      48 checksum of bytes 0..47 (u64)
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace facesearch::vector_detail {

inline constexpr std::size_t kHnswHeaderBytes = 56;
// Version 1: each node holds its vector (fp32). Version 2: each node holds a row number of the embeddings file
// (vector_file.hpp), which holds the vectors.
inline constexpr std::uint32_t kHnswFileVersion = 1;
inline constexpr std::uint32_t kHnswStoredRowsVersion = 2;

struct HnswFileHeader {
  bool stored_rows = false;  // version 2
  std::uint32_t dim = 0;
  std::uint64_t elements = 0;
  std::uint64_t live = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t payload_checksum = 0;
};

std::array<unsigned char, kHnswHeaderBytes> encode_header(const HnswFileHeader& header);
// nullopt for a wrong magic, an unknown version or a wrong header checksum.
std::optional<HnswFileHeader> decode_header(const unsigned char* bytes);

// A fast 64-bit checksum for detecting corrupt or truncated files (not an adversarial hash): four independent
// multiply-rotate lanes over 8-byte words, so it runs at several GB/s, then mixed with the length. Feeding
// the bytes in any chunking gives the same digest.
class Checksum {
 public:
  void update(const void* data, std::size_t size);
  std::uint64_t digest() const;

 private:
  static constexpr std::size_t kBlock = 32;
  void consume(const unsigned char* block);

  std::uint64_t lanes_[4] = {0x243f6a8885a308d3u, 0x13198a2e03707344u, 0xa4093822299f31d0u,
                             0x082efa98ec4e6c89u};
  unsigned char pending_[kBlock] = {};
  std::size_t pending_size_ = 0;
  std::uint64_t length_ = 0;
};

std::uint64_t checksum(const void* data, std::size_t size);

// hnswlib's saveIndex header fields, in file order.
// hnswlib's types are written out (hnsw_index.cpp checks them): tableint and linklistsizeint are 32-bit,
// labeltype is size_t.
struct GraphHeader {
  std::size_t offset_level0 = 0, max_elements = 0, elements = 0, bytes_per_element = 0, label_offset = 0,
              data_offset = 0;
  int max_level = 0;
  std::uint32_t entry_point = 0;
  std::size_t max_m = 0, max_m0 = 0, m = 0;
  double mult = 0;
  std::size_t ef_construction = 0;

  template <typename Reader>
  bool read(Reader& in) {
    return in.get(offset_level0) && in.get(max_elements) && in.get(elements) && in.get(bytes_per_element) &&
           in.get(label_offset) && in.get(data_offset) && in.get(max_level) && in.get(entry_point) &&
           in.get(max_m) && in.get(max_m0) && in.get(m) && in.get(mult) && in.get(ef_construction);
  }

  // The layout hnswlib derives from M and a node's data size (a vector, or a row number); anything else is not a
  // file we wrote.
  bool consistent(std::size_t data_bytes) const {
    constexpr int kMaxLevel = 64;  // -ln(2^-53) / ln(2) < 37: no real graph comes close
    if (m < 2 || m > 10000 || max_m != m || max_m0 != 2 * m) return false;
    const std::size_t links0 = max_m0 * sizeof(std::uint32_t) + sizeof(std::uint32_t);
    if (offset_level0 != 0 || data_offset != links0 || label_offset != data_offset + data_bytes ||
        bytes_per_element != label_offset + sizeof(std::size_t)) {
      return false;
    }
    if (max_elements < elements || elements >= std::numeric_limits<std::uint32_t>::max()) return false;
    if (!std::isfinite(mult) || mult <= 0 || mult > 10 || ef_construction < m) return false;
    if (elements == 0) return max_level == -1;
    return max_level >= 0 && max_level <= kMaxLevel && entry_point < elements;
  }
};

}  // namespace facesearch::vector_detail
