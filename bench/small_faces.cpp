// Small-face recall by face size: dlib's 43 hand-labelled faces, each cut out with context and pasted at a known
// size (face box side 16..96 px) onto 1920x1080 canvases, found by each detector with and without the tiled pass.
// A face counts as found when a detection overlaps its pasted box with IoU >= 0.3 (the labelled boxes are tight).
//
//   build/bench/small_faces [--data DIR] [--models DIR]      (markdown table on stdout; results in docs/MODELS.md)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detector.hpp"
#include "image/image.hpp"
#include "models/model_pack.hpp"
#include "bench_data.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

struct LabelledFace {
  cv::Mat patch;  // the face with context around it
  Box box;        // the labelled box inside the patch
};

std::vector<LabelledFace> load_faces(const fs::path& data) {
  const fs::path dir = data / "dlib_faces" / "faces";
  const std::regex image_re(R"(<image file='([^']+)')");
  const std::regex box_re(R"(<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)')");
  std::vector<LabelledFace> faces;
  for (const char* xml : {"training.xml", "testing.xml"}) {
    std::ifstream in(dir / xml);
    if (!in) throw std::runtime_error("cannot read " + (dir / xml).string());
    std::string line;
    cv::Mat image;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, image_re)) {
        image = load_image(dir / std::string(m[1])).bgr;
      } else if (std::regex_search(line, m, box_re)) {
        const int top = std::stoi(m[1]), left = std::stoi(m[2]), w = std::stoi(m[3]), h = std::stoi(m[4]);
        // One box side of context on every side (clipped to the photo).
        const int x1 = std::max(0, left - w), y1 = std::max(0, top - h);
        const int x2 = std::min(image.cols, left + 2 * w), y2 = std::min(image.rows, top + 2 * h);
        LabelledFace f;
        f.patch = image(cv::Rect(x1, y1, x2 - x1, y2 - y1)).clone();
        f.box = {static_cast<float>(left - x1), static_cast<float>(top - y1), static_cast<float>(left - x1 + w),
                 static_cast<float>(top - y1 + h)};
        faces.push_back(f);
      }
    }
  }
  return faces;
}

struct Canvas {
  cv::Mat image;
  std::vector<Box> truth;
};

// All faces scaled so their labelled box's longer side is `size` px, on grey noise, one per grid cell.
std::vector<Canvas> make_canvases(const std::vector<LabelledFace>& faces, int size) {
  const cv::Size canvas_size(1920, 1080);
  const int cell = std::max(3 * size + 8, 64);
  const int cols = canvas_size.width / cell, rows = canvas_size.height / cell;
  std::mt19937 rng(7);
  std::vector<Canvas> out;
  for (size_t i = 0; i < faces.size(); ++i) {
    const size_t slot = i % static_cast<size_t>(cols * rows);
    if (slot == 0) {
      Canvas c;
      c.image = cv::Mat(canvas_size, CV_8UC3);
      cv::randn(c.image, cv::Scalar::all(120), cv::Scalar::all(25));
      cv::GaussianBlur(c.image, c.image, {0, 0}, 3);
      out.push_back(c);
    }
    const auto& f = faces[i];
    const double s = size / std::max(f.box.width(), f.box.height());
    cv::Mat scaled;
    cv::resize(f.patch, scaled, {}, s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    scaled = scaled(cv::Rect(0, 0, std::min(scaled.cols, cell), std::min(scaled.rows, cell)));
    const int cx = static_cast<int>(slot % static_cast<size_t>(cols)) * cell;
    const int cy = static_cast<int>(slot / static_cast<size_t>(cols)) * cell;
    scaled.copyTo(out.back().image(cv::Rect(cx, cy, scaled.cols, scaled.rows)));
    out.back().truth.push_back({static_cast<float>(cx + f.box.x1 * s), static_cast<float>(cy + f.box.y1 * s),
                                static_cast<float>(cx + f.box.x2 * s), static_cast<float>(cy + f.box.y2 * s)});
  }
  return out;
}

struct DetectorSpec {
  std::string name;
  fs::path file;
  nlohmann::json params;
};

}  // namespace

int main(int argc, char** argv) {
  fs::path data = bench_data_dir();
  fs::path models = models_root();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--data") data = argv[i + 1];
    if (std::string(argv[i]) == "--models") models = argv[i + 1];
  }
  cv::setNumThreads(1);  // one core per measurement, comparable between detectors
  const fs::path reference = data.parent_path() / "models";
  const ModelPack def = find_pack("default", models);
  std::vector<DetectorSpec> detectors = {
      {"Ultra-Light RFB-320 (default pack)", require_pack(def, models).at("detector"), def.detector},
      {"SCRFD-500M (buffalo_s's detector)", reference / "scrfd_500m_bnkps.onnx",
       {{"type", "scrfd"}, {"input", {640, 640}}, {"min_reliable_face", 18}}},
      {"SCRFD-2.5G", reference / "scrfd_2.5g_bnkps.onnx", {{"type", "scrfd"}, {"input", {640, 640}}}},
      {"YuNet n 320", reference / "yunet_n_320_320.onnx", {{"type", "yunet"}, {"input", {320, 320}}}},
      {"YuNet s 640", reference / "yunet_s_640_640.onnx", {{"type", "yunet"}, {"input", {640, 640}}}},
  };
  const std::vector<LabelledFace> faces = load_faces(data);
  const std::vector<int> sizes = {16, 20, 24, 32, 48, 64, 96};
  std::map<int, std::vector<Canvas>> canvases;
  for (int s : sizes) canvases[s] = make_canvases(faces, s);

  std::printf("%zu faces per size on 1920x1080 canvases; found = IoU >= 0.3 with the pasted labelled box\n\n",
              faces.size());
  std::printf("| detector | tiled pass |");
  for (int s : sizes) std::printf(" %d px |", s);
  std::printf(" ms / canvas |\n|---|---|");
  for (size_t i = 0; i < sizes.size(); ++i) std::printf("---|");
  std::printf("---|\n");
  for (const auto& spec : detectors) {
    auto detector = make_detector(spec.params, spec.file);
    for (SmallFaces mode : {SmallFaces::Off, SmallFaces::On}) {
      FindOptions options;
      options.small_faces = mode;
      options.min_face = 8;
      std::printf("| %s | %s |", spec.name.c_str(), mode == SmallFaces::On ? "on" : "off");
      double ms = 0;
      int runs = 0;
      for (int s : sizes) {
        int found = 0;
        for (const auto& c : canvases[s]) {
          const auto t0 = std::chrono::steady_clock::now();
          const auto dets = find_faces(*detector, c.image, options);
          ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          ++runs;
          for (const auto& t : c.truth)
            found += std::any_of(dets.begin(), dets.end(), [&](const Detection& d) { return iou(d.box, t) >= 0.3f; });
        }
        std::printf(" %d/%zu |", found, faces.size());
      }
      std::printf(" %.0f |\n", ms / runs);
      std::fflush(stdout);
    }
  }
  return 0;
}
