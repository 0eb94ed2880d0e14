// libFuzzer target: EXIF orientation parsing (an APP1 or WebP "EXIF" payload: "Exif\0\0", then a TIFF IFD).
#include <cstddef>
#include <cstdint>
#include <span>

#include "image/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int orientation = facesearch::detail::exif_orientation(std::span<const std::uint8_t>(data, size));
  if (orientation < 1 || orientation > 8) __builtin_trap();  // callers index their transforms by it
  return 0;
}
