// XMP face tags of photos stored rotated (EXIF orientation) and of videos (skipped).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "people_xmp_support.hpp"

using namespace xmptest;

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
