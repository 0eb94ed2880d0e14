// XMP face tags (issue 14): `people export-xmp` writes MWG regions that the exiv2 command-line tool reads back,
// `people import-xmp` turns them (and other programs' regions, MWG or Microsoft Photo) into the same named persons;
// sidecars of other programs are merged, never destroyed; malformed ones are reported and skipped; a photo stored
// rotated (EXIF orientation 6) gets regions of its upright image. Runs the built CLI on copies of shared photos.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

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

void copy_photo(const fs::path& from_rel, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(fstest::shared_data() / "deepface_testset" / from_rel, to);
}

// The persons of a library by name, each as its faces' (path, box) — ids differ between libraries, places do not.
std::map<std::string, std::set<std::string>> named_persons(const Cli& cli) {
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
long long name_person_in(const Cli& cli, const std::string& folder, const std::string& name) {
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
long long unnamed_person(const Cli& cli) {
  for (const json& p : cli.json_of("people list --json"))
    if (p["name"].is_null()) return p["id"];
  ADD_FAILURE() << "no unnamed person";
  return 0;
}

// `exiv2 -PX`: every XMP property of a file (or sidecar) as key -> value, read by the exiv2 tool itself.
std::map<std::string, std::string> exiv2_properties(const fs::path& file) {
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

std::vector<ExivRegion> exiv2_regions(const std::map<std::string, std::string>& props) {
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
json faces_of(const fs::path& photo) {
  const auto r = fstest::run_command(std::string(FACESEARCH_BINARY_DIR) + "/facesearch --quiet faces --json '" +
                                     photo.string() + "' 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0);
  return json::parse(r.out);
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A sidecar as another program writes it (MWG layout), with a keyword, a rating and these face regions.
std::string foreign_mwg_sidecar(int width, int height, const std::vector<ExivRegion>& regions) {
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
ExivRegion region_of(const json& box, int width, int height, const std::string& name) {
  const double x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
  return {name, "Face", (x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height};
}

}  // namespace

// Must show: export for a library with named persons, read with exiv2, import into a fresh library: same persons.
// On both storage backends (the PostgreSQL half needs scripts/postgres-test.sh, as `make test` runs it).
class PeopleXmpBackend : public ::testing::TestWithParam<std::string> {};

TEST_P(PeopleXmpBackend, RoundTripThroughSidecarsReadByExiv2) {
  const fs::path scratch = fstest::scratch_dir("people-xmp-roundtrip-" + GetParam());
  const fs::path photos = scratch / "photos";
  for (const char* rel : {"id01_Angelina_Jolie/img2.jpg", "id01_Angelina_Jolie/img4.jpg", "id01_Angelina_Jolie/img5.jpg",
                          "id01_Angelina_Jolie/img6.jpg", "id04/img13.jpg", "id04/img14.jpg", "id04/img15.jpg",
                          "group/couple.jpg"})
    copy_photo(rel, photos / rel);
  const Cli a{fstest::new_library(GetParam(), scratch, "lib_a")};
  ASSERT_EQ(a.run("index '" + photos.string() + "'").exit_code, 0);
  ASSERT_EQ(a.run("people cluster --min-faces 3").exit_code, 0);
  name_person_in(a, "/id01_Angelina_Jolie/", "Angelina Jolie");
  name_person_in(a, "/id04/", "Ada Example");
  const auto persons_a = named_persons(a);
  ASSERT_EQ(persons_a.size(), 2u);
  ASSERT_GE(persons_a.at("Angelina Jolie").size(), 4u);
  ASSERT_GE(persons_a.at("Ada Example").size(), 3u);

  const auto exported = a.json_of("people export-xmp --json");
  ASSERT_FALSE(exported.empty());
  const json summary = exported.back()["summary"];
  size_t regions_expected = 0;
  for (const auto& [name, faces] : persons_a) regions_expected += faces.size();
  EXPECT_EQ(summary["regions"], regions_expected);
  EXPECT_EQ(summary["errors"], 0);
  size_t regions_seen = 0;
  for (size_t i = 0; i + 1 < exported.size(); ++i) {
    const json& rec = exported[i];
    SCOPED_TRACE(rec.dump());
    ASSERT_EQ(rec["status"], "written");
    const fs::path photo = rec["path"].get<std::string>();
    EXPECT_EQ(rec["xmp"], photo.string() + ".xmp");
    // The exiv2 tool reads the sidecar: dimensions of the photo, one region per named face, names in PersonInImage.
    const auto props = exiv2_properties(photo.string() + ".xmp");
    EXPECT_EQ(props.at("Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:w"), std::to_string(rec["width"].get<int>()));
    EXPECT_EQ(props.at("Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:h"), std::to_string(rec["height"].get<int>()));
    EXPECT_EQ(props.at("Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:unit"), "pixel");
    const auto regions = exiv2_regions(props);
    ASSERT_EQ(regions.size(), rec["regions"].size());
    for (size_t r = 0; r < regions.size(); ++r) {
      const json& want = rec["regions"][r];
      EXPECT_EQ(regions[r].name, want["name"]);
      EXPECT_EQ(regions[r].type, "Face");
      // The library's face box, normalised: the person's face in that photo (people show), as exiv2 reads it back.
      bool found = false;
      for (const json& f : a.json_of("people show " + std::to_string(want["person"].get<long long>()) + " --json"))
        if (f["face_id"] == want["face_id"]) {
          found = true;
          const ExivRegion box = region_of(f["box"], f["width"], f["height"], "");
          EXPECT_NEAR(regions[r].x, box.x, 2e-4);
          EXPECT_NEAR(regions[r].y, box.y, 2e-4);
          EXPECT_NEAR(regions[r].w, box.w, 2e-4);
          EXPECT_NEAR(regions[r].h, box.h, 2e-4);
        }
      EXPECT_TRUE(found);
      EXPECT_NE(props.at("Xmp.iptcExt.PersonInImage").find(regions[r].name), std::string::npos);
      ++regions_seen;
    }
  }
  EXPECT_EQ(regions_seen, regions_expected);
  const std::string couple_before = read_text(photos / "group/couple.jpg.xmp");
  EXPECT_EQ(a.json_of("people export-xmp --json").back()["summary"]["regions"], regions_expected);
  EXPECT_EQ(read_text(photos / "group/couple.jpg.xmp"), couple_before);  // exporting again: the same sidecar

  // A fresh library of the same photos (the sidecars beside them are not indexed as images) gets the same persons.
  const Cli b{fstest::new_library(GetParam(), scratch, "lib_b")};
  ASSERT_EQ(b.run("index '" + photos.string() + "'").exit_code, 0);
  const auto status = b.json_of("status --json");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["images"], 8);
  EXPECT_EQ(status[0]["unusable"], 0) << status[0];
  const auto imported = b.json_of("people import-xmp --json");
  const json& s = imported.back()["summary"];
  EXPECT_EQ(s["regions"], regions_expected);
  EXPECT_EQ(s["named"], regions_expected);
  EXPECT_EQ(s["unmatched"], 0);
  EXPECT_EQ(s["persons_created"], 2);
  EXPECT_EQ(s["photos"], 8);
  EXPECT_EQ(s["photos_with_xmp"], exported.size() - 1);
  EXPECT_EQ(named_persons(b), persons_a);
  // Importing twice changes nothing.
  const json again = b.json_of("people import-xmp --json").back()["summary"];
  EXPECT_EQ(again["named"], 0);
  EXPECT_EQ(again["unchanged"], regions_expected);
  EXPECT_EQ(again["persons_created"], 0);
  EXPECT_EQ(named_persons(b), persons_a);
}

INSTANTIATE_TEST_SUITE_P(Backends, PeopleXmpBackend, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Must show: a sidecar written by another program is imported (its name becomes a person) and, after an export,
// still holds its other properties and regions. Also: Microsoft Photo regions, malformed sidecars.
TEST(PeopleXmp, OtherProgramsSidecarsAreImportedAndMergedMalformedOnesSkipped) {
  const fs::path scratch = fstest::scratch_dir("people-xmp-foreign");
  const fs::path photos = scratch / "photos";
  const fs::path couple = photos / "couple.jpg", jolie = photos / "jolie.jpg", ms = photos / "ms.jpg",
                 broken = photos / "broken.jpg";
  copy_photo("group/couple.jpg", couple);
  copy_photo("id01_Angelina_Jolie/img2.jpg", jolie);
  copy_photo("id04/img13.jpg", ms);
  copy_photo("id04/img14.jpg", broken);
  const json couple_faces = faces_of(couple);
  ASSERT_EQ(couple_faces["faces"].size(), 2u);
  const int cw = couple_faces["width"], ch = couple_faces["height"];
  // Both faces of the couple, named by "another program", plus a region where there is no face.
  std::vector<ExivRegion> foreign = {region_of(couple_faces["faces"][0]["box"], cw, ch, "Brad Example"),
                                     region_of(couple_faces["faces"][1]["box"], cw, ch, "Angelina Jolie"),
                                     {"Nobody Here", "Face", 0.05, 0.05, 0.04, 0.04}};
  // The other program's boxes are a little larger than the detector's (heads, not faces).
  for (auto& r : foreign) r.w *= 1.2, r.h *= 1.25;
  write_text(couple.string() + ".xmp", foreign_mwg_sidecar(cw, ch, foreign));
  // Microsoft Photo regions (Windows Live Photo Gallery): "x, y, w, h" from the top-left corner.
  const json ms_faces = faces_of(ms);
  ASSERT_EQ(ms_faces["faces"].size(), 1u);
  const json& mb = ms_faces["faces"][0]["box"];
  const int mw = ms_faces["width"], mh = ms_faces["height"];
  const std::string rect = std::to_string(mb[0].get<double>() / mw) + ", " + std::to_string(mb[1].get<double>() / mh) +
                           ", " + std::to_string((mb[2].get<double>() - mb[0].get<double>()) / mw) + ", " +
                           std::to_string((mb[3].get<double>() - mb[1].get<double>()) / mh);
  write_text(ms.string() + ".xmp",
             R"(<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:MP="http://ns.microsoft.com/photo/1.2/"
  xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
 <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
  <rdf:li MPReg:Rectangle=")" + rect + R"(" MPReg:PersonDisplayName="Linus Example"/>
 </rdf:Bag></MPRI:Regions></MP:RegionInfo>
</rdf:Description></rdf:RDF></x:xmpmeta>)");
  const std::string malformed = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description mwg-rs:Name=";
  write_text(broken.string() + ".xmp", malformed);

  const Cli cli{(scratch / "lib").string()};
  ASSERT_EQ(cli.run("index '" + photos.string() + "'").exit_code, 0);
  const auto imported = cli.json_of("people import-xmp --json");
  const json s = imported.back()["summary"];
  EXPECT_EQ(s["photos"], 4);
  EXPECT_EQ(s["photos_with_xmp"], 3);
  EXPECT_EQ(s["photos_without_xmp"], 1);  // jolie.jpg
  EXPECT_EQ(s["regions"], 4);
  EXPECT_EQ(s["named"], 3);
  EXPECT_EQ(s["unmatched"], 1);
  EXPECT_EQ(s["persons_created"], 3);
  EXPECT_EQ(s["problems"], 1);
  bool broken_reported = false;
  for (const json& r : imported) {
    if (r.contains("error") && r["path"] == broken.string()) broken_reported = r["source"] == broken.string() + ".xmp";
    if (r.contains("name") && r["name"] == "Nobody Here") {
      EXPECT_EQ(r["status"], "unmatched");
    }
    if (r.contains("name") && r["name"] == "Linus Example") {
      EXPECT_EQ(r["status"], "named");
    }
  }
  EXPECT_TRUE(broken_reported);
  const auto persons = named_persons(cli);
  ASSERT_EQ(persons.size(), 3u);
  EXPECT_EQ(persons.at("Brad Example").size(), 1u);
  EXPECT_EQ(persons.at("Linus Example").size(), 1u);
  EXPECT_NE(persons.at("Brad Example").begin()->find("couple.jpg"), std::string::npos);

  // Another face for Angelina Jolie, then export: the sidecar keeps the rating, the keyword and the region without
  // a face; the names are not doubled; the malformed sidecar is reported and left as it was.
  const auto show = cli.json_of("people show 'Angelina Jolie' --json");
  ASSERT_EQ(show.size(), 1u);
  const json jolie_faces = faces_of(jolie);
  ASSERT_EQ(jolie_faces["faces"].size(), 1u);
  const auto jolie_in_library = cli.json_of("search --json --top 1 -q '" + jolie.string() + "'");
  ASSERT_EQ(jolie_in_library.size(), 1u);
  ASSERT_EQ(cli.run("people move " + std::to_string(jolie_in_library[0]["face_id"].get<long long>()) + " 'Angelina Jolie'").exit_code, 0);
  ASSERT_EQ(cli.run("people move " + std::to_string(cli.json_of("search --json --top 1 -q '" + broken.string() + "'")[0]["face_id"].get<long long>()) + " 'Linus Example'").exit_code, 0);
  const auto exported = cli.json_of("people export-xmp --json");
  EXPECT_EQ(exported.back()["summary"]["errors"], 1);
  for (const json& rec : exported)
    if (rec.contains("path") && rec["path"] == broken.string()) {
      EXPECT_EQ(rec["status"], "error");
      EXPECT_TRUE(rec["xmp"].is_null());
    }
  EXPECT_EQ(read_text(broken.string() + ".xmp"), malformed);
  const auto props = exiv2_properties(couple.string() + ".xmp");
  EXPECT_EQ(props.at("Xmp.xmp.Rating"), "4");
  EXPECT_EQ(props.at("Xmp.dc.subject"), "holiday");
  std::multiset<std::string> names;
  for (const auto& r : exiv2_regions(props)) names.insert(r.name);
  EXPECT_EQ(names, (std::multiset<std::string>{"Brad Example", "Angelina Jolie", "Nobody Here"}));
  EXPECT_TRUE(fs::exists(jolie.string() + ".xmp"));
  EXPECT_TRUE(fs::exists(ms.string() + ".xmp"));
  // Imported again after the export: nothing changes.
  const json again = cli.json_of("people import-xmp --json").back()["summary"];
  EXPECT_EQ(again["named"], 0);
  EXPECT_EQ(again["unchanged"], 4);  // couple x2, jolie, ms (MWG now, the Microsoft region is the same face)
  EXPECT_EQ(again["problems"], 1);   // still the malformed sidecar

  // Another program calls Jolie's face someone else (in the `photo.xmp` style of sidecar): beside the exported
  // sidecar, two tags on one face; alone, against the library's own user decision. Either way the library stays as
  // it is and the region is reported as a conflict.
  write_text(photos / "jolie.xmp",
             foreign_mwg_sidecar(jolie_faces["width"], jolie_faces["height"],
                                 {region_of(jolie_faces["faces"][0]["box"], jolie_faces["width"], jolie_faces["height"],
                                            "Someone Else")}));
  for (const bool alone : {false, true}) {
    SCOPED_TRACE(alone ? "alone" : "beside the exported sidecar");
    if (alone) fs::remove(jolie.string() + ".xmp");
    const auto conflicting = cli.json_of("people import-xmp --json '" + jolie.string() + "'");
    EXPECT_EQ(conflicting.back()["summary"]["photos"], 1);
    EXPECT_EQ(conflicting.back()["summary"]["conflicts"], 1);
    EXPECT_EQ(conflicting.back()["summary"]["unchanged"], alone ? 0 : 1);
    EXPECT_EQ(conflicting.back()["summary"]["persons_created"], 0);
    bool conflict_seen = false;
    for (const json& r : conflicting)
      if (r.contains("name") && r["name"] == "Someone Else") {
        conflict_seen = true;
        EXPECT_EQ(r["status"], "conflict");
        EXPECT_EQ(r["source"], (photos / "jolie.xmp").string());
        EXPECT_NE(r["reason"].get<std::string>().find("Angelina Jolie"), std::string::npos) << r;
      }
    EXPECT_TRUE(conflict_seen);
    EXPECT_EQ(named_persons(cli).count("Someone Else"), 0u);
    EXPECT_EQ(named_persons(cli).at("Angelina Jolie").size(), 2u);
  }
}

// A photo stored on its side with EXIF orientation 6: regions and dimensions are those of the upright image, the
// same as for an upright copy of the photo. --in-place writes the photo's own XMP.
TEST(PeopleXmp, RotatedPhotoGetsRegionsOfTheUprightImage) {
  const fs::path scratch = fstest::scratch_dir("people-xmp-rotated");
  const fs::path photos = scratch / "photos";
  const fs::path upright = photos / "upright.jpg", rotated = photos / "rotated.jpg";
  copy_photo("id04/img13.jpg", upright);
  const cv::Mat pixels = cv::imread(upright.string());
  ASSERT_FALSE(pixels.empty());
  ASSERT_NE(pixels.cols, pixels.rows);
  cv::Mat stored;
  cv::rotate(pixels, stored, cv::ROTATE_90_COUNTERCLOCKWISE);  // orientation 6 turns it back clockwise
  ASSERT_TRUE(cv::imwrite(rotated.string(), stored, {cv::IMWRITE_JPEG_QUALITY, 95}));
  ASSERT_EQ(fstest::run_command("exiv2 -M'set Exif.Image.Orientation Short 6' '" + rotated.string() + "' 2>&1").exit_code, 0);

  const Cli cli{(scratch / "lib").string()};
  ASSERT_EQ(cli.run("index '" + photos.string() + "'").exit_code, 0);
  const auto matches = cli.json_of("search --json -q '" + upright.string() + "'");
  ASSERT_EQ(matches.size(), 2u);  // the face in both photos
  for (const json& m : matches) {
    ASSERT_EQ(cli.run("people move " + std::to_string(m["face_id"].get<long long>()) + " new").exit_code, 0);
    const std::string name = "Face " + fs::path(m["path"].get<std::string>()).stem().string();
    ASSERT_EQ(cli.run("people name " + std::to_string(unnamed_person(cli)) + " '" + name + "'").exit_code, 0);
  }
  const auto exported = cli.json_of("people export-xmp --in-place --json");
  ASSERT_EQ(exported.back()["summary"]["written"], 2) << exported.back();
  const auto up_props = exiv2_properties(upright), rot_props = exiv2_properties(rotated);
  EXPECT_EQ(rot_props.at("Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:w"), std::to_string(pixels.cols));
  EXPECT_EQ(rot_props.at("Xmp.mwg-rs.Regions/mwg-rs:AppliedToDimensions/stDim:h"), std::to_string(pixels.rows));
  const auto up_regions = exiv2_regions(up_props), rot_regions = exiv2_regions(rot_props);
  ASSERT_EQ(up_regions.size(), 1u);
  ASSERT_EQ(rot_regions.size(), 1u);
  EXPECT_EQ(rot_regions[0].name, "Face rotated");
  EXPECT_NEAR(rot_regions[0].x, up_regions[0].x, 0.01);
  EXPECT_NEAR(rot_regions[0].y, up_regions[0].y, 0.01);
  EXPECT_NEAR(rot_regions[0].w, up_regions[0].w, 0.01);
  EXPECT_NEAR(rot_regions[0].h, up_regions[0].h, 0.01);
  EXPECT_FALSE(fs::exists(rotated.string() + ".xmp"));  // --in-place: no sidecar
  // The photo is still the same picture, stored on its side.
  const cv::Mat reread = cv::imread(rotated.string(), cv::IMREAD_IGNORE_ORIENTATION | cv::IMREAD_COLOR);
  EXPECT_EQ(reread.cols, stored.cols);
  EXPECT_EQ(reread.rows, stored.rows);
}

// Face regions are for photos: a named person's faces in a video are left out of the export, and said so.
TEST(PeopleXmp, VideosAreSkippedAndReported) {
  const fs::path scratch = fstest::scratch_dir("people-xmp-video");
  const fs::path photos = scratch / "photos";
  copy_photo("id04/img13.jpg", scratch / "still.jpg");
  fs::create_directories(photos);
  const fs::path video = photos / "clip.mp4";
  const auto made = fstest::run_command("ffmpeg -hide_banner -loglevel error -nostdin -y -loop 1 -i '" +
                                        (scratch / "still.jpg").string() + "' -t 1 -r 5 -pix_fmt yuv420p " +
                                        "-vf 'scale=trunc(iw/2)*2:trunc(ih/2)*2' '" + video.string() + "' 2>&1");
  ASSERT_EQ(made.exit_code, 0) << "ffmpeg (scripts/install-deps.sh): " << made.out;
  const Cli cli{(scratch / "lib").string()};
  ASSERT_EQ(cli.run("index '" + photos.string() + "'").exit_code, 0);
  const auto matches = cli.json_of("search --json -q '" + (scratch / "still.jpg").string() + "'");
  ASSERT_GE(matches.size(), 1u);
  ASSERT_EQ(matches[0]["path"], video.string());
  ASSERT_EQ(cli.run("people move " + std::to_string(matches[0]["face_id"].get<long long>()) + " new").exit_code, 0);
  ASSERT_EQ(cli.run("people name " + std::to_string(unnamed_person(cli)) + " 'Ada Example'").exit_code, 0);
  const auto exported = cli.json_of("people export-xmp --json");
  ASSERT_EQ(exported.size(), 2u);
  EXPECT_EQ(exported[0]["path"], video.string());
  EXPECT_EQ(exported[0]["status"], "skipped");
  EXPECT_NE(exported[0]["reason"].get<std::string>().find("video"), std::string::npos);
  EXPECT_EQ(exported[1]["summary"]["videos_skipped"], 1);
  EXPECT_EQ(exported[1]["summary"]["written"], 0);
  EXPECT_FALSE(fs::exists(video.string() + ".xmp"));
  EXPECT_EQ(cli.json_of("people import-xmp --json").back()["summary"]["videos_skipped"], 1);
}
