// Where the time of a `scan` goes: every photo of a folder through the stages of Engine::analyze_file, one thread,
// with the time of each stage added up over the whole folder. Prints a markdown table.
//
//   build/bench/bench_stages [--small-faces off|auto|on] [FOLDER...]
//
// Without folders it reads the subsets of the shared data that bench/run.sh uses ($FACESEARCH_TEST_DATA, default
// ../shared/data beside the checkout). The stages are timed the way Engine::analyze runs them (same decode options,
// same find_faces, which reduces big images itself), so their sum is close to what one `scan --jobs 1` worker spends.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "detect/detector.hpp"
#include "embed/embedder.hpp"
#include "engine/batch.hpp"
#include "engine/engine.hpp"
#include "image/image.hpp"
#include "models/model_pack.hpp"
#include "bench_data.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Forwards to the real detector and times each pass (resize + network + NMS). Within one find_faces call the
// first pass is the whole image, any later ones are the small-face tiles.
class CountingDetector : public Detector {
 public:
  explicit CountingDetector(Detector& inner) : inner_(inner) {}
  std::vector<Detection> detect(const cv::Mat& bgr) override {
    auto t0 = Clock::now();
    auto d = inner_.detect(bgr);
    (calls_++ == 0 ? whole_seconds : tile_seconds) += since(t0);
    (calls_ == 1 ? whole_passes : tile_passes) += 1;
    return d;
  }
  cv::Size input_size() const override { return inner_.input_size(); }
  float min_reliable_face() const override { return inner_.min_reliable_face(); }
  void next_image() { calls_ = 0; }
  size_t calls() const { return calls_; }
  double whole_seconds = 0, tile_seconds = 0;
  size_t whole_passes = 0, tile_passes = 0;

 private:
  Detector& inner_;
  size_t calls_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  SmallFaces small = SmallFaces::Auto;
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--small-faces" && i + 1 < argc) {
      std::string v = argv[++i];
      small = v == "off" ? SmallFaces::Off : v == "on" ? SmallFaces::On : SmallFaces::Auto;
    } else if (a == "-h" || a == "--help") {
      std::puts("usage: bench_stages [--small-faces off|auto|on] [FOLDER...]");
      return 0;
    } else {
      roots.emplace_back(a);
    }
  }
  if (roots.empty()) {
    const fs::path data = bench_data_dir();
    for (const char* s : {"deepface_testset", "faceapi_bbt", "face_recognition_examples", "dlib_faces",
                          "openface_examples", "facenet_pytorch_testimages", "group_photos"}) {
      if (!fs::is_directory(data / s)) {
        std::fprintf(stderr, "bench_stages: %s not found (set FACESEARCH_TEST_DATA to the shared data folder)\n",
                     (data / s).c_str());
        return 2;
      }
      roots.push_back(data / s);
    }
  }
  cv::setNumThreads(1);  // as each scan worker runs

  std::unique_ptr<Detector> real_detector;
  std::unique_ptr<Landmarker> landmarker;
  std::unique_ptr<Embedder> embedder;
  std::vector<fs::path> files;
  try {
    const ModelPack pack = resolve_pack(EngineConfig{});
    const auto model_files = require_pack(pack);
    real_detector = make_detector(pack.detector, model_files.at("detector"));
    landmarker = make_landmarker(pack.landmarker, model_files.at("landmarker"));
    embedder = make_embedder(pack.embedder, model_files.at("embedder"));
    files = collect_files(roots, true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_stages: %s\n", e.what());
    return 2;
  }
  CountingDetector detector(*real_detector);
  double find_seconds = 0;

  const EngineConfig config;
  DecodeOptions opt;
  opt.max_pixels = config.max_pixels;
  opt.min_long_side = config.detect_max_side;

  std::map<std::string, double> t;  // stage -> seconds
  size_t images = 0, skipped = 0, faces = 0, reduced = 0, tiled = 0;
  double decoded_mpix = 0;
  const auto start = Clock::now();
  for (const auto& path : files) {
    auto t0 = Clock::now();
    DecodedImage img;
    try {
      img = load_image(path, opt);
    } catch (const std::exception&) {  // ImageError, or cv::Exception from a decoder
      t["skipped files (sniff/read)"] += since(t0);
      ++skipped;
      continue;
    }
    t["read + decode"] += since(t0);
    ++images;
    decoded_mpix += img.bgr.total() / 1e6;
    if (img.scale > 1) ++reduced;
    const cv::Mat& full = img.bgr;

    // As Engine::analyze: find_faces gets all decoded pixels and reduces them itself (by 2 or 4) where it can.
    FindOptions find = config.find;
    find.small_faces = small;
    find.min_face = static_cast<float>(config.find.min_face / img.scale);
    find.max_side = config.detect_max_side;
    t0 = Clock::now();
    detector.next_image();
    auto dets = find_faces(detector, full, find);
    find_seconds += since(t0);
    if (detector.calls() > 1) ++tiled;

    for (const auto& d : dets) {
      t0 = Clock::now();
      const Box& in_full = d.box;
      Landmarks5 lm;
      try {
        lm = landmarker->locate(full, in_full);
      } catch (const std::exception&) {  // a box too thin to crop: the engine would give up on the photo
        t["landmarks"] += since(t0);
        continue;
      }
      t["landmarks"] += since(t0);
      t0 = Clock::now();
      cv::Mat crop = align_face(full, lm, embedder->input_size());
      t["align"] += since(t0);
      t0 = Clock::now();
      auto e = embedder->embed({crop});
      t["embed"] += since(t0);
      ++faces;
    }
  }
  const double total = since(start);
  t["detect: whole-image pass"] = detector.whole_seconds;
  if (detector.tile_passes) t["detect: small-face tile passes"] = detector.tile_seconds;
  t["detect: reduction by 2 or 4, merging, NMS, size filter"] = find_seconds - detector.whole_seconds - detector.tile_seconds;
  const double accounted = [&] {
    double s = 0;
    for (auto& [k, v] : t) s += v;
    return s;
  }();

  std::printf("bench_stages: %zu images (%zu skipped files), %zu faces, small-faces %s, OpenCV %s on %d thread(s)\n",
              images, skipped, faces, small == SmallFaces::Off ? "off" : small == SmallFaces::On ? "on" : "auto",
              CV_VERSION, cv::getNumThreads());
  std::printf("decoded %.1f Mpixel in all (%zu JPEGs DCT-reduced), %zu tiled; "
              "detector passes: %zu whole-image, %zu on tiles\n\n",
              decoded_mpix, reduced, tiled, detector.whole_passes, detector.tile_passes);
  std::printf("| stage | seconds | share | per image (ms) |\n|---|---:|---:|---:|\n");
  std::vector<std::pair<std::string, double>> rows(t.begin(), t.end());
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (auto& [k, v] : rows)
    std::printf("| %s | %.2f | %.1f%% | %.1f |\n", k.c_str(), v, 100 * v / total, images ? 1000 * v / images : 0.0);
  std::printf("| (other: loop, bookkeeping) | %.2f | %.1f%% | |\n", total - accounted, 100 * (total - accounted) / total);
  std::printf("| **total** | %.2f | 100%% | %.1f |\n", total, images ? 1000 * total / images : 0.0);
  if (faces)
    std::printf("\nper face: landmarks %.2f ms, align %.3f ms, embed %.2f ms\n", 1000 * t["landmarks"] / faces,
                1000 * t["align"] / faces, 1000 * t["embed"] / faces);
  return 0;
}
