// libFuzzer target: the header probes that run on every file before any decoder (src/image/probe.cpp, format.cpp).
#include <cstddef>
#include <cstdint>
#include <span>

#include "image/codec.hpp"
#include "image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facesearch;
  const std::span<const std::uint8_t> bytes(data, size);
  const ImageFormat format = sniff_format(bytes);
  (void)format_name(format);
  const auto info = probe_image(bytes);
  // What decode_image checks next, on the same bytes: the JPEG segment walk and the TIFF layout check.
  if (format == ImageFormat::Jpeg) (void)detail::walk_jpeg(bytes);
  if (format == ImageFormat::Tiff) (void)detail::tiff_layout_problem(bytes);
  if (info && (info->orientation < 1 || info->orientation > 8)) __builtin_trap();  // the documented range
  return 0;
}
