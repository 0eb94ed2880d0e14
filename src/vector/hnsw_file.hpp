// Internal: the header in front of hnswlib's payload in an HNSW index file, and the checksum that guards
// both.
//
// Layout (little-endian, 56 bytes), then the payload (byte for byte what hnswlib's saveIndex writes):
//   0  magic "FSHNSW\r\n"      8  version (u32)      12 dimension (u32)
//   16 graph elements (u64, deleted ones included)   24 live elements (u64)
//   32 payload bytes (u64)     40 payload checksum (u64)      48 checksum of bytes 0..47 (u64)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace facesearch::vector_detail {

inline constexpr std::size_t kHnswHeaderBytes = 56;
inline constexpr std::uint32_t kHnswFileVersion = 1;

struct HnswFileHeader {
  std::uint32_t dim = 0;
  std::uint64_t elements = 0;
  std::uint64_t live = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t payload_checksum = 0;
};

std::array<unsigned char, kHnswHeaderBytes> encode_header(const HnswFileHeader& header);
// nullopt for a wrong magic, version or header checksum.
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

}  // namespace facesearch::vector_detail
