// `people import-xmp`: face regions other programs (or an earlier export) wrote, read back as user decisions.
#include <algorithm>
#include <map>
#include <system_error>

#include "app/people_xmp.hpp"

namespace fs = std::filesystem;

namespace facesearch::app {

namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Box pixel_box(const metadata::FaceRegion& r, int width, int height) {
  return {static_cast<float>((r.x - r.w / 2) * width), static_cast<float>((r.y - r.h / 2) * height),
          static_cast<float>((r.x + r.w / 2) * width), static_cast<float>((r.y + r.h / 2) * height)};
}

// Where every face is now, and which person has which name: read once, kept up to date while importing.
struct PeopleNow {
  struct Membership {
    people::PersonId person = 0;
    bool by_user = false;
  };
  std::map<FaceId, Membership> person_of;
  std::map<people::PersonId, std::string> name_of;
  std::map<std::string, people::PersonId> person_named;  // lowercase name

  explicit PeopleNow(Session& session) {
    for (const auto& p : session.list_people()) {
      if (p.name.empty()) continue;
      name_of[p.id] = p.name;
      person_named[lowercase(p.name)] = p.id;
    }
    for (const auto& p : session.list_people())
      for (const auto& f : session.person_faces(std::to_string(p.id)).faces) person_of[f.face.id] = {p.id, f.by_user};
  }
};

// Makes `region.face` a face of the person called `name`, as `people move` and `people name` do.
void decide(Session& session, PeopleNow& now, const std::string& name, XmpRegionIn& region, XmpImportReport& report) {
  const auto current = now.person_of.find(region.face);
  const people::PersonId in = current == now.person_of.end() ? 0 : current->second.person;
  const std::string in_name = now.name_of.count(in) ? now.name_of[in] : std::string();
  if (in && lowercase(in_name) == lowercase(name)) {
    region.status = "unchanged";
    region.person = in;
    ++report.unchanged;
    return;
  }
  if (!in_name.empty() && current->second.by_user) {
    region.status = "conflict";
    region.reason = "the library's user decision puts this face in \"" + in_name + "\"";
    region.person = in;
    ++report.conflicts;
    return;
  }
  try {
    const auto named = now.person_named.find(lowercase(name));
    if (named != now.person_named.end()) {
      region.person = session.move_face(region.face, std::to_string(named->second));
    } else {
      region.person = session.move_face(region.face, "new");
      session.name_person(std::to_string(region.person), name);
      now.name_of[region.person] = name;
      now.person_named[lowercase(name)] = region.person;
      ++report.persons_created;
    }
    now.person_of[region.face] = {region.person, true};
    region.status = "named";
    ++report.named;
  } catch (const people::PeopleError& e) {  // e.g. that person already has another face of this photo
    region.status = "conflict";
    region.reason = e.what();
    ++report.conflicts;
  }
}

// The named regions of one photo from every place XMP may be, each face once; unreadable places are problems.
std::vector<std::pair<std::string, metadata::FaceRegion>> regions_of_photo(const fs::path& photo,
                                                                           XmpImportReport& report, bool& has_xmp) {
  std::vector<std::pair<std::string, metadata::FaceRegion>> found;
  auto take = [&](const std::string& source, const metadata::FaceRegions& r) {
    has_xmp = has_xmp || !r.empty();
    for (const auto& message : r.skipped) report.problems.push_back({photo, source, message});
    for (const auto& region : r.regions) {
      const bool seen = std::any_of(found.begin(), found.end(), [&](auto& f) {
        return lowercase(f.second.name) == lowercase(region.name) && metadata::region_iou(f.second, region) >= metadata::kSameFaceIoU;
      });
      if (!seen) found.emplace_back(source, region);
    }
  };
  std::error_code ec;
  for (const fs::path& sidecar : {metadata::sidecar_path(photo), metadata::short_sidecar_path(photo)}) {
    if (!fs::is_regular_file(sidecar, ec)) continue;
    has_xmp = true;
    try {
      take(sidecar.string(), metadata::read_sidecar(sidecar));
    } catch (const std::exception& e) {
      report.problems.push_back({photo, sidecar.string(), e.what()});
    }
  }
  try {
    take("embedded", metadata::read_embedded(photo));
  } catch (const std::exception& e) {
    report.problems.push_back({photo, "embedded", e.what()});
  }
  return found;
}

}  // namespace

XmpImportReport import_xmp(Session& session, const XmpImportOptions& options) {
  std::vector<LibraryImage> photos;
  XmpImportReport report;
  session.for_each_image([&](const LibraryImage& image) {
    if (image.status != "ok" || !photo_selected(image.path, options.paths)) return true;
    if (image.format == "video")
      ++report.videos_skipped;
    else
      photos.push_back(image);
    return true;
  });
  PeopleNow now(session);
  for (const LibraryImage& image : photos) {
    ++report.photos;
    bool has_xmp = false;
    const auto found = regions_of_photo(image.path, report, has_xmp);
    ++(has_xmp ? report.photos_with_xmp : report.photos_without_xmp);

    // Best overlaps first; each face and each region used once.
    std::vector<XmpRegionIn> regions;
    for (const auto& [source, area] : found)
      regions.push_back({image.path, source, area, pixel_box(area, image.width, image.height), "unmatched", {}, 0, 0, 0});
    struct Pair {
      double iou;
      size_t region, face;
    };
    std::vector<Pair> pairs;
    for (size_t r = 0; r < regions.size(); ++r)
      for (size_t f = 0; f < image.faces.size(); ++f)
        if (const double o = iou(regions[r].box, image.faces[f].face.box); o >= kXmpMatchIoU) pairs.push_back({o, r, f});
    std::stable_sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.iou > b.iou; });
    std::vector<std::optional<size_t>> taken_by(image.faces.size());  // the region each face went to
    std::vector<std::optional<size_t>> lost(regions.size());           // a region's best face, taken by another
    for (const Pair& p : pairs) {
      if (regions[p.region].face) continue;
      if (taken_by[p.face]) {
        if (!lost[p.region]) lost[p.region] = *taken_by[p.face];
        continue;
      }
      taken_by[p.face] = p.region;
      regions[p.region].face = image.faces[p.face].id;
      regions[p.region].iou = p.iou;
    }
    for (size_t r = 0; r < regions.size(); ++r) {
      XmpRegionIn& region = regions[r];
      if (region.face) {
        decide(session, now, region.area.name, region, report);
      } else if (lost[r]) {  // two tags on one face: the one that fits better wins, this one is reported
        const XmpRegionIn& winner = regions[*lost[r]];
        region.status = "conflict";
        region.reason = "its face is tagged \"" + winner.area.name + "\" by " + winner.source;
        ++report.conflicts;
      } else {
        ++report.unmatched;
      }
      report.regions.push_back(region);  // a copy: a later region may still name this one as the winner
    }
  }
  return report;
}

}  // namespace facesearch::app
