#include "vector/hnsw_file.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace facesearch::vector_detail {

namespace {

constexpr unsigned char kMagic[8] = {'F', 'S', 'H',  'N',
                                     'S', 'W', '\r', '\n'};  // \r\n: catches text-mode copies

template <typename T>
void put(unsigned char* at, T value) {
  std::memcpy(at, &value, sizeof value);  // x86-64 only, so native order is little-endian
}

template <typename T>
T get(const unsigned char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

}  // namespace

std::array<unsigned char, kHnswHeaderBytes> encode_header(const HnswFileHeader& header) {
  std::array<unsigned char, kHnswHeaderBytes> bytes{};
  std::memcpy(bytes.data(), kMagic, sizeof kMagic);
  put(bytes.data() + 8, header.stored_rows ? kHnswStoredRowsVersion : kHnswFileVersion);
  put(bytes.data() + 12, header.dim);
  put(bytes.data() + 16, header.elements);
  put(bytes.data() + 24, header.live);
  put(bytes.data() + 32, header.payload_bytes);
  put(bytes.data() + 40, header.payload_checksum);
  put(bytes.data() + 48, checksum(bytes.data(), 48));
  return bytes;
}

std::optional<HnswFileHeader> decode_header(const unsigned char* bytes) {
  if (std::memcmp(bytes, kMagic, sizeof kMagic) != 0) return std::nullopt;
  const auto version = get<std::uint32_t>(bytes + 8);
  if (version != kHnswFileVersion && version != kHnswStoredRowsVersion) return std::nullopt;
  if (get<std::uint64_t>(bytes + 48) != checksum(bytes, 48)) return std::nullopt;
  HnswFileHeader header;
  header.stored_rows = version == kHnswStoredRowsVersion;
  header.dim = get<std::uint32_t>(bytes + 12);
  header.elements = get<std::uint64_t>(bytes + 16);
  header.live = get<std::uint64_t>(bytes + 24);
  header.payload_bytes = get<std::uint64_t>(bytes + 32);
  header.payload_checksum = get<std::uint64_t>(bytes + 40);
  return header;
}

void Checksum::consume(const unsigned char* block) {
  // Xor is invertible, the rotation brings high bits down and the odd multiplier spreads them up again, so
  // any single changed word changes the lane and two changes rarely cancel.
  for (int lane = 0; lane < 4; ++lane) {
    lanes_[lane] = std::rotl(lanes_[lane] ^ get<std::uint64_t>(block + 8 * lane), 29) * 0x9e3779b97f4a7c15u;
  }
}

void Checksum::update(const void* data, std::size_t size) {
  auto* bytes = static_cast<const unsigned char*>(data);
  length_ += size;
  if (pending_size_ > 0) {
    const std::size_t take = std::min(size, kBlock - pending_size_);
    std::memcpy(pending_ + pending_size_, bytes, take);
    pending_size_ += take;
    bytes += take;
    size -= take;
    if (pending_size_ < kBlock) return;
    consume(pending_);
    pending_size_ = 0;
  }
  for (; size >= kBlock; bytes += kBlock, size -= kBlock) consume(bytes);
  std::memcpy(pending_, bytes, size);
  pending_size_ = size;
}

std::uint64_t Checksum::digest() const {
  Checksum last = *this;
  if (last.pending_size_ > 0) {
    std::memset(last.pending_ + last.pending_size_, 0, kBlock - last.pending_size_);
    last.consume(last.pending_);
  }
  std::uint64_t h = mix(length_);
  for (const std::uint64_t lane : last.lanes_) h = mix(h ^ lane);
  return h;
}

std::uint64_t checksum(const void* data, std::size_t size) {
  Checksum sum;
  sum.update(data, size);
  return sum.digest();
}

}  // namespace facesearch::vector_detail
