// Inside src/metadata: the packet work of xmp_regions.cpp that xmp_files.cpp builds on. Includes exiv2; not for
// other layers (they use xmp_regions.hpp).
#pragma once

// exiv2 0.27's API hands out std::auto_ptr (deprecated since C++11): its warnings are about exiv2, not this code.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>

#include <mutex>
#include <string>

#include "metadata/xmp_regions.hpp"

namespace facesearch::metadata::detail {

// exiv2's XMP toolkit is not thread-safe: every use holds this (a server may export and import from several threads).
std::mutex& exiv2_mutex();
// Initialises the toolkit and registers the region namespaces (once; later calls return at once).
void set_up();
// Throw XmpError for malformed packets.
Exiv2::XmpData decode_packet(const std::string& packet);
std::string encode_packet(const Exiv2::XmpData& data);
void merge_regions(Exiv2::XmpData& data, const RegionUpdate& update);

}  // namespace facesearch::metadata::detail
