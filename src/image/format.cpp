// Image formats: their names and how to tell them apart by their first bytes.
#include <algorithm>
#include <array>

#include "image/codec.hpp"

using namespace std::string_view_literals;

namespace facesearch {

namespace {

using namespace detail;

struct FormatNames {
  ImageFormat format;
  std::string_view id;       // in --json output and the catalog
  std::string_view display;  // in messages
};

constexpr std::array<FormatNames, 8> kFormats = {{{ImageFormat::Jpeg, "jpeg", "JPEG"},
                                                  {ImageFormat::Png, "png", "PNG"},
                                                  {ImageFormat::Webp, "webp", "WebP"},
                                                  {ImageFormat::Bmp, "bmp", "BMP"},
                                                  {ImageFormat::Tiff, "tiff", "TIFF"},
                                                  {ImageFormat::Heif, "heif", "HEIF"},
                                                  {ImageFormat::Gif, "gif", "GIF"},
                                                  {ImageFormat::Pnm, "pnm", "PNM"}}};

const FormatNames* names_of(ImageFormat f) {
  for (const auto& n : kFormats)
    if (n.format == f) return &n;
  return nullptr;
}

bool is_bmp(Bytes h) {
  if (!has(h, 0, "BM") || h.size() < 18) return false;
  // Two letters are too weak a signature on their own: also require a known DIB header size.
  static constexpr std::array<std::uint32_t, 7> kDibHeaderSizes = {12, 40, 52, 56, 64, 108, 124};
  return std::find(kDibHeaderSizes.begin(), kDibHeaderSizes.end(), le32(&h[14])) != kDibHeaderSizes.end();
}

bool is_heif(Bytes h) {
  if (!has(h, 4, "ftyp") || h.size() < 12) return false;
  static constexpr std::array<std::string_view, 9> kBrands = {"heic", "heix", "hevc", "hevx", "heim",
                                                              "heis", "mif1", "msf1", "avif"};
  auto known = [&](std::size_t at) {
    return std::any_of(kBrands.begin(), kBrands.end(), [&](std::string_view b) { return has(h, at, b); });
  };
  if (known(8)) return true;  // major brand
  // Compatible brands follow the minor version, up to the end of the ftyp box.
  const std::size_t box_end = std::min<std::size_t>(be32(&h[0]), h.size());
  for (std::size_t at = 16; at + 4 <= box_end; at += 4)
    if (known(at)) return true;
  return false;
}

}  // namespace

std::string detail::display_name(ImageFormat f) {
  const FormatNames* n = names_of(f);
  return n ? std::string(n->display) : "unknown";
}

std::string_view format_name(ImageFormat f) {
  const FormatNames* n = names_of(f);
  return n ? n->id : "unknown";
}

ImageFormat sniff_format(Bytes h) {
  if (has(h, 0, "\xFF\xD8\xFF")) return ImageFormat::Jpeg;
  if (has(h, 0, "\x89PNG\r\n\x1A\n")) return ImageFormat::Png;
  if (has(h, 0, "RIFF") && has(h, 8, "WEBP")) return ImageFormat::Webp;
  if (is_bmp(h)) return ImageFormat::Bmp;
  if (has(h, 0, "II*\0"sv) || has(h, 0, "MM\0*"sv)) return ImageFormat::Tiff;
  if (has(h, 0, "GIF87a") || has(h, 0, "GIF89a")) return ImageFormat::Gif;
  if (h.size() >= 3 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6' && is_space(h[2])) return ImageFormat::Pnm;
  if (is_heif(h)) return ImageFormat::Heif;
  return ImageFormat::Unknown;
}

}  // namespace facesearch
