// The application layer's own decisions, without models or data (unit tier): threshold and library resolution,
// person specs, and the JSON records both shells print.
#include <gtest/gtest.h>

#include <cstdlib>

#include "app/records.hpp"
#include "app/session.hpp"
#include "app/version.hpp"

using namespace facesearch;
using nlohmann::json;

TEST(AppThreshold, GivenElseThePacks) {
  ModelPack pack;
  pack.thresholds["default"] = 0.42;
  EXPECT_FLOAT_EQ(app::resolve_threshold(std::nullopt, pack), 0.42f);
  EXPECT_FLOAT_EQ(app::resolve_threshold(0.5f, pack), 0.5f);
  EXPECT_FLOAT_EQ(app::resolve_threshold(-1.f, pack), -1.f);  // a given value wins even at the edge
  EXPECT_FLOAT_EQ(app::resolve_threshold(0.f, pack), 0.f);    // ...and zero is a value, not "not given"
  const ModelPack builtin = builtin_packs().front();
  EXPECT_FLOAT_EQ(app::resolve_threshold(std::nullopt, builtin), static_cast<float>(builtin.default_threshold()));
}

TEST(AppLibrary, GivenElseTheEnvironment) {
  EXPECT_EQ(app::resolve_library("/tmp/some-library"), "/tmp/some-library");
  EXPECT_EQ(app::resolve_library("postgresql://u@h/db"), "postgresql://u@h/db");
  ::setenv("FACESEARCH_LIBRARY", "/tmp/from-env", 1);
  EXPECT_EQ(app::resolve_library(""), "/tmp/from-env");
  ::unsetenv("FACESEARCH_LIBRARY");
  EXPECT_FALSE(app::resolve_library("").empty());
}

TEST(AppPeople, PersonSpecs) {
  using people::parse_person_spec;
  EXPECT_EQ(parse_person_spec("17").id, 17);
  EXPECT_TRUE(parse_person_spec("17").name.empty());
  EXPECT_EQ(parse_person_spec("Ada Lovelace").name, "Ada Lovelace");
  EXPECT_EQ(parse_person_spec("17b").name, "17b");  // not all digits: a name
  EXPECT_FALSE(parse_person_spec("new").is_new);   // a name where no new person can be made...
  EXPECT_EQ(parse_person_spec("new").name, "new");
  EXPECT_TRUE(parse_person_spec("new", /*allow_new=*/true).is_new);  // ...a new person for `people move`
  EXPECT_THROW(parse_person_spec(""), people::PeopleError);
  EXPECT_THROW(parse_person_spec("99999999999999999999999"), people::PeopleError);
}

TEST(AppRecords, MatchRoundedOnce) {
  Match m;
  m.path = "/photos/a.jpg";
  m.width = 640;
  m.height = 480;
  m.face.box = {10.04f, 20.06f, 110.0f, 140.96f};
  m.face.score = 0.987654f;
  m.similarity = 0.3400000035762787f;
  json j = match_json(m);
  EXPECT_EQ(j["path"], "/photos/a.jpg");
  EXPECT_EQ(j["similarity"].dump(), "0.34");
  EXPECT_EQ(j["score"].dump(), "0.9877");
  EXPECT_EQ(j["box"].dump(), "[10.0,20.1,110.0,141.0]");
  EXPECT_EQ(j["landmarks"].size(), 5u);
  EXPECT_FALSE(j.contains("face_id"));  // a scan match has no library ids
  m.face_id = 7;
  m.image_id = 3;
  j = match_json(m);
  EXPECT_EQ(j["face_id"], 7);
  EXPECT_EQ(j["image_id"], 3);
  EXPECT_EQ(rounded(43.9, 0.1), 43.9);
}

TEST(AppRecords, LibraryFaceAsMatch) {
  LibraryFace f;
  f.id = 12;
  f.image_id = 4;
  f.path = "/p/b.jpg";
  f.width = 100;
  f.height = 80;
  f.face.embedding = {1.f, 0.f};
  const Match m = to_match(f, 0.5f);
  EXPECT_EQ(m.face_id, 12);
  EXPECT_EQ(m.image_id, 4);
  EXPECT_EQ(m.path, "/p/b.jpg");
  EXPECT_TRUE(m.face.embedding.empty());
  EXPECT_EQ(library_face_json(f)["face_id"], 12);
}

TEST(AppRecords, OnePersonSchemaWithAliases) {
  people::PersonSummary p;
  p.id = 5;
  p.face_count = 9;
  json j = person_json(p);
  EXPECT_TRUE(j["name"].is_null());
  EXPECT_EQ(j["faces"], 9);
  EXPECT_EQ(j["face_count"], 9);
  EXPECT_TRUE(j["cover_face_id"].is_null());
  EXPECT_TRUE(j["cover"].is_null());
  LibraryFace cover;
  cover.id = 31;
  cover.image_id = 8;
  cover.path = "/p/c.jpg";
  p.cover = cover;
  p.name = "Ada";
  j = person_json(p);
  EXPECT_EQ(j["name"], "Ada");
  EXPECT_EQ(j["cover_face_id"], 31);
  EXPECT_EQ(j["cover"]["face_id"], 31);
  EXPECT_EQ(j["cover"]["image_id"], 8);
  EXPECT_EQ(j["cover"]["path"], "/p/c.jpg");
  EXPECT_EQ(j["face_id"], 31);  // the old `people list --json` fields
  EXPECT_EQ(j["path"], "/p/c.jpg");
  EXPECT_EQ(j["box"].size(), 4u);

  people::PersonFace face{cover, true, 0.8f};
  const json r = person_face_json(face, 5);
  EXPECT_EQ(r["person"], 5);
  EXPECT_EQ(r["assigned_by"], "user");
  EXPECT_EQ(r["face_id"], 31);
  EXPECT_EQ(r["similarity"].dump(), "0.8");
}

TEST(AppRecords, UnusableIsOneWord) {
  LibraryStatus s;
  s.failed_images = 4;
  const json status = status_json(s);
  EXPECT_EQ(status["unusable"], 4);
  EXPECT_EQ(status["skipped_files"], 4);  // the name docs/API.md promised first
  IndexReport r;
  r.failed = 2;
  EXPECT_EQ(index_report_json(r)["unusable"], 2);
  EXPECT_EQ(unusable_file_json({"/x.jpg", "not an image"}), (json{{"path", "/x.jpg"}, {"error", "not an image"}}));
}

TEST(AppVersion, FromCMake) {
  EXPECT_STREQ(kVersion, FACESEARCH_EXPECTED_VERSION);
}

// A session resolves its choices at construction without loading models or opening the library.
TEST(AppSession, ResolvesOnceWithoutModelsOrLibrary) {
  app::SessionOptions options;
  options.engine.pack_id = "default";
  options.engine.models_root = "/nonexistent/models";  // nothing is loaded from here until an engine is needed
  options.library = "/nonexistent/library";
  options.jobs = 3;
  app::Session session(options);
  EXPECT_EQ(session.library_spec(), "/nonexistent/library");
  EXPECT_EQ(session.pack().id, kDefaultPack);  // "default" names the default pack (issue 17: profile)
  EXPECT_FLOAT_EQ(session.threshold(), static_cast<float>(session.pack().default_threshold()));
  EXPECT_FLOAT_EQ(session.threshold(0.6f), 0.6f);
  const auto params = session.cluster_params();
  EXPECT_EQ(params.threads, 3u);
  EXPECT_FLOAT_EQ(params.link_similarity, people::ClusterParams::from_pack(session.pack()).link_similarity);
  EXPECT_EQ(session.cluster_params(5).min_faces, 5u);
  EXPECT_THROW(session.status(), std::runtime_error);  // the library is opened on first use, and is missing
}
