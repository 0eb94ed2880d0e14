// Sidecar files and the XMP embedded in images: reading and writing them around the packet work of xmp_regions.cpp.
#include "metadata/xmp_packet.hpp"
#include "metadata/xmp_regions.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace facesearch::metadata {

using detail::exiv2_mutex;

namespace {

// Sidecars are a few kilobytes; anything this large is no sidecar and is not read into memory.
constexpr std::uintmax_t kMaxSidecarBytes = 16u << 20;

std::string read_text(const fs::path& path) {
  std::error_code ec;
  if (const auto size = fs::file_size(path, ec); !ec && size > kMaxSidecarBytes)
    throw XmpError(path.string() + " is too large for an XMP sidecar (" + std::to_string(size) + " bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw XmpError("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw XmpError("cannot read " + path.string());
  return text.str();
}

// A file of a type exiv2 does not know (PNM, some HEIF): it can hold no XMP exiv2 could read or write.
class UnknownImageType : public XmpError {
 public:
  using XmpError::XmpError;
};

// Opens an image with exiv2 and reads its metadata; XmpError when exiv2 cannot.
Exiv2::Image::AutoPtr open_image(const fs::path& path) {
  detail::set_up();
  try {
    Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(path.string(), false);
    image->readMetadata();
    return image;
  } catch (const Exiv2::AnyError& e) {
    const std::string why = std::string("exiv2 cannot read the image: ") + e.what();
    if (e.code() == Exiv2::kerFileContainsUnknownImageType) throw UnknownImageType(why);
    throw XmpError(why);
  }
}

}  // namespace

FaceRegions read_sidecar(const fs::path& sidecar) { return parse_face_regions(read_text(sidecar)); }

void write_sidecar(const fs::path& sidecar, const RegionUpdate& update) {
  std::error_code ec;
  const std::string before = fs::exists(sidecar, ec) ? read_text(sidecar) : std::string();
  const std::string after = merge_face_regions(before, update);
  // A name of its own per write: two exports (CLI and server) of one photo never share a half-written file.
  static std::atomic<unsigned> writes{0};
  // Hidden, so an `index` running meanwhile does not list it.
  const fs::path temporary = sidecar.parent_path() / ("." + sidecar.filename().string() + ".facesearch-" +
                                                      std::to_string(::getpid()) + "-" + std::to_string(++writes));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << after;
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      throw XmpError("cannot write " + temporary.string());
    }
  }
  fs::rename(temporary, sidecar, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw XmpError("cannot replace " + sidecar.string() + ": " + ec.message());
  }
}

FaceRegions read_embedded(const fs::path& image) {
  std::string packet;
  {
    std::scoped_lock lock(exiv2_mutex());
    try {
      packet = open_image(image)->xmpPacket();
    } catch (const UnknownImageType&) {
      return {};  // no XMP there that anyone could have written with exiv2
    }
  }
  return parse_face_regions(packet);
}

void write_embedded(const fs::path& image, const RegionUpdate& update) {
  std::scoped_lock lock(exiv2_mutex());
  auto opened = open_image(image);
  Exiv2::XmpData data = detail::decode_packet(opened->xmpPacket());
  detail::merge_regions(data, update);
  try {
    opened->setXmpData(data);
    opened->writeMetadata();
  } catch (const Exiv2::AnyError& e) {
    throw XmpError(std::string("exiv2 cannot write the image: ") + e.what());
  }
}

fs::path sidecar_path(const fs::path& photo) { return photo.string() + ".xmp"; }

fs::path short_sidecar_path(const fs::path& photo) {
  fs::path p = photo;
  return p.replace_extension(".xmp");
}

}  // namespace facesearch::metadata
