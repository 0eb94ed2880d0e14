// XMP packets: face regions read from exiv2's XmpData and merged into it (sidecar and image files: xmp_files.cpp).
#include "metadata/xmp_regions.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <optional>
#include <sstream>
#include <system_error>

#include "metadata/xmp_packet.hpp"

namespace facesearch::metadata {

namespace {

// The prefixes exiv2 uses for the namespaces of face regions (registered here when exiv2 does not know them).
struct Prefixes {
  std::string mwg, dim, area, mp, mpri, mpreg, iptc_ext;
};

std::string registered_prefix(const std::string& uri, const std::string& preferred) {
  std::string prefix = Exiv2::XmpProperties::prefix(uri);
  if (prefix.empty()) {
    Exiv2::XmpProperties::registerNs(uri, preferred);
    prefix = preferred;
  }
  return prefix;
}

// exiv2's XMP toolkit is set up once per process (not thread-safe itself); its own log lines are muted because
// every failure comes back to the caller as an XmpError with the file named.
const Prefixes& prefixes() {
  static std::once_flag once;
  static Prefixes p;
  std::call_once(once, [] {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    Exiv2::XmpParser::initialize();
    p.mwg = registered_prefix("http://www.metadataworkinggroup.com/schemas/regions/", "mwg-rs");
    p.dim = registered_prefix("http://ns.adobe.com/xap/1.0/sType/Dimensions#", "stDim");
    p.area = registered_prefix("http://ns.adobe.com/xmp/sType/Area#", "stArea");
    p.mp = registered_prefix("http://ns.microsoft.com/photo/1.2/", "MP");
    p.mpri = registered_prefix("http://ns.microsoft.com/photo/1.2/t/RegionInfo#", "MPRI");
    p.mpreg = registered_prefix("http://ns.microsoft.com/photo/1.2/t/Region#", "MPReg");
    p.iptc_ext = registered_prefix("http://iptc.org/std/Iptc4xmpExt/2008-02-29/", "Iptc4xmpExt");
  });
  return p;
}

// Keys of the MWG region structure.
std::string regions_key() { return "Xmp." + prefixes().mwg + ".Regions"; }
std::string region_list_key() { return regions_key() + "/" + prefixes().mwg + ":RegionList"; }
std::string region_item_key(size_t i) { return region_list_key() + "[" + std::to_string(i) + "]"; }
std::string mwg_field(const std::string& item, const char* field) { return item + "/" + prefixes().mwg + ":" + field; }
std::string area_field(const std::string& item, const char* field) {
  return mwg_field(item, "Area") + "/" + prefixes().area + ":" + field;
}
std::string dimensions_key() { return regions_key() + "/" + prefixes().mwg + ":AppliedToDimensions"; }
std::string person_in_image_key() { return "Xmp." + prefixes().iptc_ext + ".PersonInImage"; }

bool starts_with_path(const std::string& key, const std::string& prefix) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
         (key.size() == prefix.size() || key[prefix.size()] == '/' || key[prefix.size()] == '[');
}

// A property's text without surrounding white space (names typed by hand often have some).
std::optional<std::string> text(const Exiv2::XmpData& data, const std::string& key) {
  const auto it = data.findKey(Exiv2::XmpKey(key));
  if (it == data.end()) return std::nullopt;
  std::string t = it->toString();
  const size_t first = t.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::string();
  return t.substr(first, t.find_last_not_of(" \t\r\n") - first + 1);
}

std::optional<double> number(const std::string& s) {
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  while (begin < end && *begin == ' ') ++begin;
  while (end > begin && end[-1] == ' ') --end;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::string number_text(double v) {
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
  return ec == std::errc() ? std::string(buf, ptr) : std::string("0");
}

// Items in an XMP array: the highest [n] among the keys under it.
size_t item_count(const Exiv2::XmpData& data, const std::string& array_key) {
  size_t count = 0;
  const std::string open = array_key + "[";
  for (const auto& d : data) {
    const std::string key = d.key();
    if (key.compare(0, open.size(), open) != 0) continue;
    size_t n = 0;
    std::from_chars(key.data() + open.size(), key.data() + key.size(), n);
    count = std::max(count, n);
  }
  return count;
}

Exiv2::XmpData decode(const std::string& packet) {
  Exiv2::XmpData data;
  if (packet.find_first_not_of(" \t\r\n") == std::string::npos) return data;
  // Text without RDF is no XMP packet, whatever the toolkit makes of it.
  if (packet.find("rdf:RDF") == std::string::npos) throw XmpError("not an XMP packet (no rdf:RDF)");
  try {
    if (Exiv2::XmpParser::decode(data, packet) != 0) throw XmpError("malformed XMP (exiv2 could not parse it)");
  } catch (const Exiv2::AnyError& e) {
    throw XmpError(std::string("malformed XMP: ") + e.what());
  }
  return data;
}

std::string encode(const Exiv2::XmpData& data, std::uint16_t flags) {
  std::string packet;
  try {
    if (Exiv2::XmpParser::encode(packet, data, flags) != 0) throw XmpError("exiv2 could not encode the XMP");
  } catch (const Exiv2::AnyError& e) {
    throw XmpError(std::string("cannot encode XMP: ") + e.what());
  }
  return packet;
}

// An MWG region as found: its index in the list, type, name and area (when the numbers make sense).
struct MwgItem {
  size_t index = 0;
  std::string type, name;
  std::optional<FaceRegion> area;
  std::string problem;  // why the area is unusable
};

// Checks a region's numbers: finite, centre inside the image, size in (0, 1].
std::string check_region(const FaceRegion& r) {
  for (double v : {r.x, r.y, r.w, r.h})
    if (!std::isfinite(v)) return "not a number";
  if (r.w <= 0 || r.h <= 0 || r.w > 1 || r.h > 1) return "size outside (0, 1]";
  if (r.x < 0 || r.y < 0 || r.x > 1 || r.y > 1) return "centre outside the image";
  return {};
}

std::vector<MwgItem> mwg_items(const Exiv2::XmpData& data) {
  std::vector<MwgItem> items;
  const size_t n = item_count(data, region_list_key());
  for (size_t i = 1; i <= n; ++i) {
    const std::string item = region_item_key(i);
    MwgItem m;
    m.index = i;
    m.type = text(data, mwg_field(item, "Type")).value_or("");
    m.name = text(data, mwg_field(item, "Name")).value_or("");
    const auto x = text(data, area_field(item, "x")), y = text(data, area_field(item, "y")),
               w = text(data, area_field(item, "w")), h = text(data, area_field(item, "h"));
    const std::string unit = text(data, area_field(item, "unit")).value_or("normalized");
    if (!x || !y || !w || !h) {
      m.problem = "no area";
    } else if (unit != "normalized") {
      m.problem = "area unit \"" + unit + "\" (only normalized is used)";
    } else {
      const auto nx = number(*x), ny = number(*y), nw = number(*w), nh = number(*h);
      if (!nx || !ny || !nw || !nh) {
        m.problem = "area numbers unreadable";
      } else {
        FaceRegion r{m.name, *nx, *ny, *nw, *nh};
        m.problem = check_region(r);
        if (m.problem.empty()) m.area = r;
      }
    }
    items.push_back(std::move(m));
  }
  return items;
}

bool is_face(const std::string& type) { return type.empty() || type == "Face"; }

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

FaceRegions regions_of(const Exiv2::XmpData& data) {
  const Prefixes& p = prefixes();
  FaceRegions out;
  out.width = static_cast<int>(number(text(data, dimensions_key() + "/" + p.dim + ":w").value_or("")).value_or(0));
  out.height = static_cast<int>(number(text(data, dimensions_key() + "/" + p.dim + ":h").value_or("")).value_or(0));
  for (const MwgItem& m : mwg_items(data)) {
    if (!is_face(m.type) || m.name.empty()) continue;  // pets, focus areas and unnamed faces say nothing of persons
    if (m.area)
      out.regions.push_back(*m.area);
    else
      out.skipped.push_back("MWG region \"" + m.name + "\": " + m.problem);
  }
  // Microsoft Photo regions: "x, y, w, h", top-left corner and size. Programs that write both (digiKam) give the
  // same faces twice: one already read from MWG is not added again.
  const std::string mp_regions = "Xmp." + p.mp + ".RegionInfo/" + p.mpri + ":Regions";
  const size_t mwg_count = out.regions.size();
  for (size_t i = 1, n = item_count(data, mp_regions); i <= n; ++i) {
    const std::string item = mp_regions + "[" + std::to_string(i) + "]";
    const std::string name = text(data, item + "/" + p.mpreg + ":PersonDisplayName").value_or("");
    if (name.empty()) continue;
    const std::string rect = text(data, item + "/" + p.mpreg + ":Rectangle").value_or("");
    std::vector<double> v;
    std::stringstream fields(rect);
    for (std::string part; std::getline(fields, part, ',');)
      if (auto x = number(part)) v.push_back(*x);
    if (v.size() != 4 || std::count(rect.begin(), rect.end(), ',') != 3) {
      out.skipped.push_back("Microsoft Photo region \"" + name + "\": rectangle \"" + rect + "\" unreadable");
      continue;
    }
    const FaceRegion r{name, v[0] + v[2] / 2, v[1] + v[3] / 2, v[2], v[3]};
    if (const std::string problem = check_region(r); !problem.empty()) {
      out.skipped.push_back("Microsoft Photo region \"" + name + "\": " + problem);
      continue;
    }
    const bool seen = std::any_of(out.regions.begin(), out.regions.begin() + static_cast<long>(mwg_count), [&](auto& m) {
      return lowercase(m.name) == lowercase(name) && region_iou(m, r) >= kSameFaceIoU;
    });
    if (!seen) out.regions.push_back(r);
  }
  const auto it = data.findKey(Exiv2::XmpKey(person_in_image_key()));
  if (it != data.end())
    for (long i = 0; i < it->count(); ++i) out.person_names.push_back(it->toString(i));
  return out;
}

void add_container(Exiv2::XmpData& data, const std::string& key, Exiv2::XmpValue::XmpArrayType array) {
  Exiv2::XmpTextValue v;
  if (array == Exiv2::XmpValue::xaNone)
    v.setXmpStruct();
  else
    v.setXmpArrayType(array);
  data.add(Exiv2::XmpKey(key), &v);
}

void set_text(Exiv2::XmpData& data, const std::string& key, const std::string& value) {
  Exiv2::XmpTextValue v(value);
  data.add(Exiv2::XmpKey(key), &v);
}

void erase_under(Exiv2::XmpData& data, const std::string& prefix) {
  for (auto it = data.begin(); it != data.end();) it = starts_with_path(it->key(), prefix) ? data.erase(it) : it + 1;
}

// Merges the update into `data`: see RegionUpdate.
void merge(Exiv2::XmpData& data, const RegionUpdate& update) {
  const Prefixes& p = prefixes();
  std::vector<std::string> ours;
  for (const auto& r : update.regions) ours.push_back(lowercase(r.name));
  auto replaced = [&](const MwgItem& m) {
    if (!is_face(m.type)) return false;
    if (!m.name.empty() && std::count(ours.begin(), ours.end(), lowercase(m.name))) return true;
    return m.area && std::any_of(update.regions.begin(), update.regions.end(),
                                 [&](const FaceRegion& r) { return region_iou(r, *m.area) >= kSameFaceIoU; });
  };
  // Keep other regions' properties as they are (every field, in order), renumbered after the ones dropped.
  std::vector<std::pair<std::string, Exiv2::Xmpdatum>> kept;  // (path below the item, datum)
  std::vector<std::string> dropped_names;
  size_t kept_items = 0;
  for (const MwgItem& m : mwg_items(data)) {
    if (replaced(m)) {
      dropped_names.push_back(lowercase(m.name));
      continue;
    }
    ++kept_items;
    const std::string item = region_item_key(m.index);
    for (const auto& d : data)
      if (starts_with_path(d.key(), item))
        kept.emplace_back(region_item_key(kept_items) + d.key().substr(item.size()), d);
  }
  std::vector<Exiv2::Xmpdatum> other_region_fields;  // children of mwg-rs:Regions besides these two
  for (const auto& d : data)
    if (starts_with_path(d.key(), regions_key()) && d.key() != regions_key() &&
        !starts_with_path(d.key(), region_list_key()) && !starts_with_path(d.key(), dimensions_key()))
      other_region_fields.push_back(d);

  erase_under(data, regions_key());
  add_container(data, regions_key(), Exiv2::XmpValue::xaNone);
  for (const auto& d : other_region_fields) data.add(d);
  add_container(data, dimensions_key(), Exiv2::XmpValue::xaNone);
  set_text(data, dimensions_key() + "/" + p.dim + ":w", std::to_string(update.width));
  set_text(data, dimensions_key() + "/" + p.dim + ":h", std::to_string(update.height));
  set_text(data, dimensions_key() + "/" + p.dim + ":unit", "pixel");
  add_container(data, region_list_key(), Exiv2::XmpValue::xaBag);
  for (const auto& [key, d] : kept) data.add(Exiv2::XmpKey(key), &d.value());
  size_t index = kept_items;
  for (const FaceRegion& r : update.regions) {
    const std::string item = region_item_key(++index);
    add_container(data, item, Exiv2::XmpValue::xaNone);
    add_container(data, mwg_field(item, "Area"), Exiv2::XmpValue::xaNone);
    set_text(data, area_field(item, "x"), number_text(r.x));
    set_text(data, area_field(item, "y"), number_text(r.y));
    set_text(data, area_field(item, "w"), number_text(r.w));
    set_text(data, area_field(item, "h"), number_text(r.h));
    set_text(data, area_field(item, "unit"), "normalized");
    set_text(data, mwg_field(item, "Type"), "Face");
    set_text(data, mwg_field(item, "Name"), r.name);
  }

  // PersonInImage: the names there before, less those of replaced regions, plus ours; each once.
  std::vector<std::string> names;
  auto add_name = [&](const std::string& name) {
    const bool present = std::any_of(names.begin(), names.end(), [&](auto& n) { return lowercase(n) == lowercase(name); });
    if (!name.empty() && !present) names.push_back(name);
  };
  const FaceRegions before = regions_of(data);  // (the MWG part is ours now; the names are still the old ones)
  for (const auto& name : before.person_names)
    if (!std::count(dropped_names.begin(), dropped_names.end(), lowercase(name))) add_name(name);
  for (const auto& r : update.regions) add_name(r.name);
  erase_under(data, person_in_image_key());
  Exiv2::XmpArrayValue bag(Exiv2::xmpBag);
  for (const auto& name : names) bag.read(name);
  if (!names.empty()) data.add(Exiv2::XmpKey(person_in_image_key()), &bag);
}

}  // namespace

namespace detail {

// exiv2's XMP toolkit is not thread-safe: one call at a time (a server may export and import from several threads).
std::mutex& exiv2_mutex() {
  static std::mutex m;
  return m;
}

void set_up() { prefixes(); }
Exiv2::XmpData decode_packet(const std::string& packet) { return decode(packet); }
std::string encode_packet(const Exiv2::XmpData& data) {
  return encode(data, Exiv2::XmpParser::useCompactFormat | Exiv2::XmpParser::omitPacketWrapper);
}
void merge_regions(Exiv2::XmpData& data, const RegionUpdate& update) { merge(data, update); }

}  // namespace detail

using detail::exiv2_mutex;

double region_iou(const FaceRegion& a, const FaceRegion& b) {
  const double ix = std::min(a.x + a.w / 2, b.x + b.w / 2) - std::max(a.x - a.w / 2, b.x - b.w / 2);
  const double iy = std::min(a.y + a.h / 2, b.y + b.h / 2) - std::max(a.y - a.h / 2, b.y - b.h / 2);
  if (ix <= 0 || iy <= 0) return 0;
  const double inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

FaceRegions parse_face_regions(const std::string& packet) {
  prefixes();
  std::scoped_lock lock(exiv2_mutex());
  return regions_of(decode(packet));
}

std::string merge_face_regions(const std::string& packet, const RegionUpdate& update) {
  prefixes();
  std::scoped_lock lock(exiv2_mutex());
  Exiv2::XmpData data = decode(packet);
  merge(data, update);
  return detail::encode_packet(data);
}

}  // namespace facesearch::metadata
