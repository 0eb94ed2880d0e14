// What the XMP face tag tests share: the built CLI on a library, exiv2's view of a file, hand-written sidecars.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace xmptest {

namespace fs = std::filesystem;
using nlohmann::json;

using fstest::json_lines;

struct Cli {
  std::string library;
  fstest::CommandRun run(const std::string& args) const {
    return fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet --library '" + library + "' " +
                               args + " 2>/dev/null");
  }
  std::vector<json> json_of(const std::string& args) const {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args;
    return json_lines(r.out);
  }
};

inline void copy_photo(const fs::path& from_rel, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(fstest::shared_data() / "deepface_testset" / from_rel, to);
}

// The persons of a library by name, each as its faces' (path, box) — ids differ between libraries, places do not.
inline std::map<std::string, std::set<std::string>> named_persons(const Cli& cli) {
  std::map<std::string, std::set<std::string>> out;
  for (const json& p : cli.json_of("people list --json")) {
    if (p["name"].is_null()) continue;
    const std::string name = p["name"];
    for (const json& f : cli.json_of("people show " + std::to_string(p["id"].get<long long>()) + " --json"))
      out[name].insert(f["path"].get<std::string>() + " " + f["box"].dump());
  }
  return out;
}

// Names the person (of at least 3 faces) that has faces from `folder`; returns its id.
inline long long name_person_in(const Cli& cli, const std::string& folder, const std::string& name) {
  for (const json& p : cli.json_of("people list --json")) {
    const long long id = p["id"];
    if (p["faces"].get<int>() < 3) continue;
    for (const json& f : cli.json_of("people show " + std::to_string(id) + " --json"))
      if (f["path"].get<std::string>().find(folder) != std::string::npos) {
        EXPECT_EQ(cli.run("people name " + std::to_string(id) + " '" + name + "'").exit_code, 0);
        return id;
      }
  }
  ADD_FAILURE() << "no person with photos in " << folder;
  return 0;
}

// The one person without a name (after `people move FACE new` in a library never clustered).
inline long long unnamed_person(const Cli& cli) {
  for (const json& p : cli.json_of("people list --json"))
    if (p["name"].is_null()) return p["id"];
  ADD_FAILURE() << "no unnamed person";
  return 0;
}

// `exiv2 -PX`: every XMP property of a file (or sidecar) as key -> value, read by the exiv2 tool itself.
inline std::map<std::string, std::string> exiv2_properties(const fs::path& file) {
  const auto r = fstest::run_command("exiv2 -PX '" + file.string() + "' 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::map<std::string, std::string> props;
  static const std::regex line(R"(^(\S+)\s+(\S+)\s+(\d+)\s*(.*)$)");
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) props[m[1]] = m[4];
  }
  return props;
}

struct ExivRegion {
  std::string name, type;
  double x = 0, y = 0, w = 0, h = 0;
};

inline std::vector<ExivRegion> exiv2_regions(const std::map<std::string, std::string>& props) {
  std::vector<ExivRegion> out;
  for (int i = 1;; ++i) {
    const std::string item = "Xmp.mwg-rs.Regions/mwg-rs:RegionList[" + std::to_string(i) + "]";
    if (!props.count(item)) break;
    auto get = [&](const std::string& k) { return props.count(item + k) ? props.at(item + k) : std::string(); };
    auto num = [&](const char* k) { return std::stod(get(std::string("/mwg-rs:Area/stArea:") + k)); };
    out.push_back({get("/mwg-rs:Name"), get("/mwg-rs:Type"), num("x"), num("y"), num("w"), num("h")});
    EXPECT_EQ(get("/mwg-rs:Area/stArea:unit"), "normalized");
  }
  return out;
}

// The faces `facesearch faces` finds in a photo (the same detector and decoding as the library's).
inline json faces_of(const fs::path& photo) {
  const auto r = fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet faces --json '" +
                                     photo.string() + "' 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  return json::parse(r.out);
}

inline void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A sidecar as another program writes it (MWG layout), with a keyword, a rating and these face regions.
inline std::string foreign_mwg_sidecar(int width, int height, const std::vector<ExivRegion>& regions) {
  std::string items;
  for (const auto& r : regions)
    items += "<rdf:li><rdf:Description mwg-rs:Name=\"" + r.name + "\" mwg-rs:Type=\"Face\"><mwg-rs:Area stArea:x=\"" +
             std::to_string(r.x) + "\" stArea:y=\"" + std::to_string(r.y) + "\" stArea:w=\"" + std::to_string(r.w) +
             "\" stArea:h=\"" + std::to_string(r.h) + "\" stArea:unit=\"normalized\"/></rdf:Description></rdf:li>\n";
  return R"(<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
   xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
   xmp:Rating="4">
  <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li></rdf:Bag></dc:subject>
  <mwg-rs:Regions rdf:parseType="Resource">
   <mwg-rs:AppliedToDimensions stDim:w=")" + std::to_string(width) + "\" stDim:h=\"" + std::to_string(height) +
         R"(" stDim:unit="pixel"/>
   <mwg-rs:RegionList><rdf:Bag>
)" + items + R"(   </rdf:Bag></mwg-rs:RegionList>
  </mwg-rs:Regions>
 </rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>)";
}

// A face box [x1, y1, x2, y2] (pixels) as a normalised centre/size region.
inline ExivRegion region_of(const json& box, int width, int height, const std::string& name) {
  const double x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
  return {name, "Face", (x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height};
}


}  // namespace xmptest
