// XMP face regions (src/metadata): reading MWG and Microsoft Photo regions, merging ours into packets written by
// other programs, refusing malformed packets and nonsense numbers. Packets here stand for other programs' files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "metadata/xmp_regions.hpp"

using namespace facesearch::metadata;
namespace fs = std::filesystem;

namespace {

// An MWG sidecar as digiKam or Lightroom write it: two named faces, a pet, a rating, keywords and people names.
const char* kForeignSidecar = R"(<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmp:Rating="4">
   <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li><rdf:li>beach</rdf:li></rdf:Bag></dc:subject>
   <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Grace Hopper</rdf:li><rdf:li>Ada</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:AppliedToDimensions stDim:w="1000" stDim:h="800" stDim:unit="pixel"/>
    <mwg-rs:RegionList><rdf:Bag>
     <rdf:li><rdf:Description mwg-rs:Name="Grace Hopper" mwg-rs:Type="Face">
      <mwg-rs:Area stArea:x="0.25" stArea:y="0.3" stArea:w="0.1" stArea:h="0.125" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwg-rs:Name="Ada" mwg-rs:Type="Face" mwg-rs:Description="old tag">
      <mwg-rs:Area stArea:x="0.7" stArea:y="0.4" stArea:w="0.1" stArea:h="0.12" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwg-rs:Name="Rex" mwg-rs:Type="Pet">
      <mwg-rs:Area stArea:x="0.5" stArea:y="0.8" stArea:w="0.2" stArea:h="0.2" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
    </rdf:Bag></mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
)";

const FaceRegion* find(const FaceRegions& r, const std::string& name) {
  auto it = std::find_if(r.regions.begin(), r.regions.end(), [&](auto& x) { return x.name == name; });
  return it == r.regions.end() ? nullptr : &*it;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(XmpRegions, ReadsMwgFaceRegionsAndNames) {
  const FaceRegions r = parse_face_regions(kForeignSidecar);
  EXPECT_EQ(r.width, 1000);
  EXPECT_EQ(r.height, 800);
  ASSERT_EQ(r.regions.size(), 2u);  // the pet is no face
  const FaceRegion* grace = find(r, "Grace Hopper");
  ASSERT_TRUE(grace);
  EXPECT_DOUBLE_EQ(grace->x, 0.25);
  EXPECT_DOUBLE_EQ(grace->y, 0.3);
  EXPECT_DOUBLE_EQ(grace->w, 0.1);
  EXPECT_DOUBLE_EQ(grace->h, 0.125);
  EXPECT_EQ(r.person_names, (std::vector<std::string>{"Grace Hopper", "Ada"}));
  EXPECT_TRUE(r.skipped.empty());
}

TEST(XmpRegions, MergeKeepsOtherPropertiesAndRegionsAndReplacesOurNames) {
  RegionUpdate update;
  update.width = 1000;
  update.height = 800;
  update.regions = {{"Ada", 0.71, 0.41, 0.09, 0.11}, {"Bob", 0.1, 0.5, 0.05, 0.06}};
  const std::string merged = merge_face_regions(kForeignSidecar, update);
  const FaceRegions r = parse_face_regions(merged);
  ASSERT_EQ(r.regions.size(), 3u) << merged;  // Grace kept, Ada replaced (not doubled), Bob added
  ASSERT_TRUE(find(r, "Grace Hopper"));
  EXPECT_DOUBLE_EQ(find(r, "Grace Hopper")->x, 0.25);
  ASSERT_TRUE(find(r, "Ada"));
  EXPECT_DOUBLE_EQ(find(r, "Ada")->x, 0.71);
  ASSERT_TRUE(find(r, "Bob"));
  EXPECT_DOUBLE_EQ(find(r, "Bob")->h, 0.06);
  EXPECT_EQ(r.person_names, (std::vector<std::string>{"Grace Hopper", "Ada", "Bob"}));
  // What other programs wrote is still there: keywords, rating, the pet region with its name.
  EXPECT_NE(merged.find("holiday"), std::string::npos) << merged;
  EXPECT_NE(merged.find("beach"), std::string::npos);
  EXPECT_NE(merged.find("Rating"), std::string::npos);
  EXPECT_NE(merged.find("Rex"), std::string::npos);
  EXPECT_NE(merged.find("Pet"), std::string::npos);
  EXPECT_EQ(merged.find("old tag"), std::string::npos);  // the replaced Ada region went whole
  // Merging again changes nothing.
  EXPECT_EQ(merge_face_regions(merged, update), merged);
}

TEST(XmpRegions, RenamedPersonReplacesTheRegionOfTheSameFace) {
  RegionUpdate update{1000, 800, {{"Ada Lovelace", 0.7, 0.4, 0.1, 0.12}}};
  const FaceRegions r = parse_face_regions(merge_face_regions(kForeignSidecar, update));
  EXPECT_FALSE(find(r, "Ada"));
  EXPECT_TRUE(find(r, "Ada Lovelace"));
  EXPECT_TRUE(find(r, "Grace Hopper"));
  EXPECT_EQ(r.person_names, (std::vector<std::string>{"Grace Hopper", "Ada Lovelace"}));
}

TEST(XmpRegions, NewPacketFromNothing) {
  const std::string packet = merge_face_regions("", RegionUpdate{640, 480, {{"Ada", 0.5, 0.5, 0.2, 0.3}}});
  const FaceRegions r = parse_face_regions(packet);
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 480);
  ASSERT_EQ(r.regions.size(), 1u);
  EXPECT_EQ(r.regions[0].name, "Ada");
  EXPECT_EQ(count_of(packet, "normalized"), 1u);
}

TEST(XmpRegions, ReadsMicrosoftPhotoRegions) {
  const char* packet = R"(<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:MP="http://ns.microsoft.com/photo/1.2/"
    xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
   <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
    <rdf:li MPReg:Rectangle="0.2, 0.1, 0.3, 0.4" MPReg:PersonDisplayName="Linus"/>
    <rdf:li MPReg:Rectangle="0.5, 0.5, 0.7, 0.1" MPReg:PersonDisplayName="Too Wide"/>
    <rdf:li MPReg:Rectangle="0.5, oops" MPReg:PersonDisplayName="Broken"/>
   </rdf:Bag></MPRI:Regions></MP:RegionInfo>
  </rdf:Description></rdf:RDF></x:xmpmeta>)";
  const FaceRegions r = parse_face_regions(packet);
  ASSERT_EQ(r.regions.size(), 2u);  // "Too Wide" reaches past the edge but its centre and size are valid
  EXPECT_EQ(r.regions[0].name, "Linus");
  EXPECT_DOUBLE_EQ(r.regions[0].x, 0.35);  // top-left + half the size
  EXPECT_DOUBLE_EQ(r.regions[0].y, 0.3);
  EXPECT_DOUBLE_EQ(r.regions[0].w, 0.3);
  EXPECT_DOUBLE_EQ(r.regions[0].h, 0.4);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("Broken"), std::string::npos);
}

TEST(XmpRegions, NonsenseNumbersAreSkippedWithAReason) {
  std::string packet = kForeignSidecar;
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = packet.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    packet.replace(at, from.size(), to);
  };
  replace("stArea:x=\"0.25\"", "stArea:x=\"-0.5\"");  // Grace: centre off the image
  replace("stArea:w=\"0.1\" stArea:h=\"0.12\"", "stArea:w=\"NaN\" stArea:h=\"0.12\"");  // Ada: not a number
  const FaceRegions r = parse_face_regions(packet);
  EXPECT_TRUE(r.regions.empty());
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_NE(r.skipped[0].find("Grace Hopper"), std::string::npos) << r.skipped[0];
  EXPECT_NE(r.skipped[1].find("Ada"), std::string::npos) << r.skipped[1];
}

TEST(XmpRegions, MalformedPacketsAreRefused) {
  EXPECT_THROW(parse_face_regions("<x:xmpmeta><rdf:RDF><rdf:Description"), XmpError);
  EXPECT_THROW(parse_face_regions("just some text"), XmpError);
  std::string truncated = kForeignSidecar;
  truncated.resize(truncated.size() / 2);
  EXPECT_THROW(parse_face_regions(truncated), XmpError);
  EXPECT_THROW(merge_face_regions(truncated, RegionUpdate{10, 10, {{"A", 0.5, 0.5, 0.1, 0.1}}}), XmpError);
  EXPECT_TRUE(parse_face_regions("").empty());
}

TEST(XmpRegions, SidecarWriteLeavesAMalformedFileAlone) {
  const fs::path dir = fs::temp_directory_path() / ("fs-xmp-unit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path sidecar = dir / "photo.jpg.xmp";
  {
    std::ofstream(sidecar) << "<x:xmpmeta><rdf:RDF>broken";
  }
  EXPECT_THROW(write_sidecar(sidecar, RegionUpdate{10, 10, {{"A", 0.5, 0.5, 0.1, 0.1}}}), XmpError);
  std::ifstream in(sidecar);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "<x:xmpmeta><rdf:RDF>broken");
  EXPECT_EQ(sidecar_path("/a/b/photo.jpg"), fs::path("/a/b/photo.jpg.xmp"));
  EXPECT_EQ(short_sidecar_path("/a/b/photo.jpg"), fs::path("/a/b/photo.xmp"));
  fs::remove_all(dir);
}
