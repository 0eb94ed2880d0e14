// XMP face tags (issue 14): `people export-xmp` writes MWG regions that the exiv2 command-line tool reads back,
// `people import-xmp` turns them (and other programs' regions, MWG or Microsoft Photo) into the same named persons;
// sidecars of other programs are merged, never destroyed; malformed ones are reported and skipped.
// Runs the built CLI on copies of shared photos. Rotated photos and videos: test_people_xmp_media.cpp.
#include "people_xmp_support.hpp"

using namespace xmptest;

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
