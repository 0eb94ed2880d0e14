// Per-stage microbenchmarks of the default pipeline on real photos from the shared data set:
// decode (full and DCT-reduced), the engine's shrink before detection, one detector pass, find_faces (with and
// without the small-face tiles), landmarks, alignment, embedding of one crop, and Engine::analyze_file end to end.
//
//   build/bench/bench_pipeline [--benchmark_filter=REGEX] [--benchmark_repetitions=N] ...
//
// Photos come from $FACESEARCH_TEST_DATA (default: ../shared/data beside the checkout); models from the usual
// models root ($FACESEARCH_MODELS or ~/.cache/facesearch/models). OpenCV runs on one thread by default, as each
// `scan` worker does; FACESEARCH_BENCH_CV_THREADS=N changes that.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "detect/detector.hpp"
#include "embed/embedder.hpp"
#include "engine/engine.hpp"
#include "image/image.hpp"
#include "models/model_pack.hpp"
#include "bench_data.hpp"

namespace fs = std::filesystem;
using namespace facesearch;

namespace {

// A portrait-sized camera JPEG with one face, and a group photo with many small faces.
const std::vector<std::pair<std::string, std::string>> kPhotos = {
    {"portrait", "deepface_testset/id01_Angelina_Jolie/img4.jpg"},
    {"group", "group_photos/insightface/t1.jpg"},
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Models {
  std::unique_ptr<Detector> detector;
  std::unique_ptr<Landmarker> landmarker;
  std::unique_ptr<Embedder> embedder;
  std::map<SmallFaces, std::unique_ptr<Engine>> engines;
};

// Everything one photo needs, prepared once the way Engine::analyze does, so each benchmark times one stage.
struct Photo {
  std::string label;
  fs::path path;
  std::vector<std::uint8_t> bytes;
  DecodedImage decoded;  // with the engine's decode options (reduced only when the long side allows it)
  cv::Mat det_image;     // shrunk to EngineConfig::detect_max_side
  double shrink = 1.0;
  cv::Mat net_input;     // already the detector's input size: a detector pass without its resize
  FindOptions find;      // min_face in det_image pixels, as the engine sets it
  Box face;              // the first face's box in decoded pixels
  Landmarks5 landmarks{};
  cv::Mat crop;          // the aligned crop of that face
  size_t faces = 0;
};

Models* g_models = nullptr;

std::string short_name(SmallFaces s) { return s == SmallFaces::Off ? "off" : s == SmallFaces::On ? "on" : "auto"; }

Photo prepare(const std::string& label, const fs::path& path, Models& m) {
  Photo p;
  p.label = label;
  p.path = path;
  p.bytes = read_bytes(path);
  const EngineConfig config;
  DecodeOptions opt;
  opt.max_pixels = config.max_pixels;
  opt.min_long_side = config.detect_max_side;
  p.decoded = decode_image(p.bytes, opt);
  const cv::Mat& full = p.decoded.bgr;
  const int long_side = std::max(full.cols, full.rows);
  p.shrink = long_side > config.detect_max_side ? static_cast<double>(long_side) / config.detect_max_side : 1.0;
  p.det_image = full;
  if (p.shrink > 1.0)
    cv::resize(full, p.det_image,
               {static_cast<int>(std::lround(full.cols / p.shrink)), static_cast<int>(std::lround(full.rows / p.shrink))},
               0, 0, cv::INTER_AREA);
  cv::resize(p.det_image, p.net_input, m.detector->input_size(), 0, 0, cv::INTER_AREA);
  p.find = config.find;
  p.find.min_face = static_cast<float>(config.find.min_face / (p.decoded.scale * p.shrink));
  auto dets = find_faces(*m.detector, p.det_image, p.find);
  if (dets.empty()) throw std::runtime_error("no face found in " + path.string());
  p.faces = dets.size();
  p.face = dets.front().box.scaled(static_cast<float>(p.shrink));
  p.landmarks = m.landmarker->locate(full, p.face);
  p.crop = align_face(full, p.landmarks, m.embedder->input_size());
  return p;
}

// ---- the benchmarks ------------------------------------------------------------------------------------------

// Decoding from memory; `factor` 1 is the full image, 2/4/8 ask libjpeg for a DCT-scaled one.
void BM_Decode(benchmark::State& state, const Photo* p) {
  const int factor = static_cast<int>(state.range(0));
  auto info = probe_image(p->bytes);
  DecodeOptions opt;
  opt.min_long_side = factor == 1 ? 0 : std::max(info->width, info->height) / factor;
  int cols = 0;
  for (auto _ : state) {
    DecodedImage img = decode_image(p->bytes, opt);
    cols = img.bgr.cols;
    benchmark::DoNotOptimize(img.bgr.data);
  }
  state.counters["width"] = cols;
}

// File read + decode with the engine's options (what each `scan` worker pays before detection).
void BM_LoadImageEngineOptions(benchmark::State& state, const Photo* p) {
  const EngineConfig config;
  DecodeOptions opt;
  opt.max_pixels = config.max_pixels;
  opt.min_long_side = config.detect_max_side;
  for (auto _ : state) {
    DecodedImage img = load_image(p->path, opt);
    benchmark::DoNotOptimize(img.bgr.data);
  }
}

// The engine's INTER_AREA shrink to detect_max_side (a no-op copy-free view for photos already small enough).
void BM_ShrinkForDetect(benchmark::State& state, const Photo* p) {
  const cv::Mat& full = p->decoded.bgr;
  const cv::Size to(p->det_image.cols, p->det_image.rows);
  for (auto _ : state) {
    cv::Mat out = full;
    if (p->shrink > 1.0) cv::resize(full, out, to, 0, 0, cv::INTER_AREA);
    benchmark::DoNotOptimize(out.data);
  }
}

// One detector pass on an image already at the network's input size: the network, decoding and NMS only.
void BM_DetectorNetOnly(benchmark::State& state, const Photo* p) {
  for (auto _ : state) benchmark::DoNotOptimize(g_models->detector->detect(p->net_input));
}

// One detector pass on the detection image: its resize to 320x240 included.
void BM_DetectorPass(benchmark::State& state, const Photo* p) {
  for (auto _ : state) benchmark::DoNotOptimize(g_models->detector->detect(p->det_image));
}

void BM_FindFaces(benchmark::State& state, const Photo* p, SmallFaces small) {
  FindOptions opt = p->find;
  opt.small_faces = small;
  size_t n = 0;
  for (auto _ : state) {
    auto dets = find_faces(*g_models->detector, p->det_image, opt);
    n = dets.size();
    benchmark::DoNotOptimize(dets.data());
  }
  state.counters["faces"] = static_cast<double>(n);
}

void BM_Landmarks(benchmark::State& state, const Photo* p) {
  for (auto _ : state) benchmark::DoNotOptimize(g_models->landmarker->locate(p->decoded.bgr, p->face));
}

void BM_Align(benchmark::State& state, const Photo* p) {
  for (auto _ : state) {
    cv::Mat crop = align_face(p->decoded.bgr, p->landmarks, 112);
    benchmark::DoNotOptimize(crop.data);
  }
}

void BM_EmbedOneCrop(benchmark::State& state, const Photo* p) {
  const std::vector<cv::Mat> crops{p->crop};
  for (auto _ : state) benchmark::DoNotOptimize(g_models->embedder->embed(crops));
}

// Engine::analyze_file: read, decode, detect, landmarks, align and embed every face.
void BM_AnalyzeFile(benchmark::State& state, const Photo* p, SmallFaces small) {
  Engine& engine = *g_models->engines.at(small);
  size_t n = 0;
  for (auto _ : state) {
    ImageFaces faces = engine.analyze_file(p->path);
    n = faces.faces.size();
    benchmark::DoNotOptimize(faces.faces.data());
  }
  state.counters["faces"] = static_cast<double>(n);
}

void register_all(const std::vector<Photo>& photos) {
  using benchmark::RegisterBenchmark;
  constexpr auto ms = benchmark::kMillisecond, us = benchmark::kMicrosecond;
  for (const Photo& ph : photos) {
    const Photo* p = &ph;
    const std::string l = "/" + ph.label;
    RegisterBenchmark(("decode" + l).c_str(), BM_Decode, p)->ArgName("reduce")->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(ms);
    RegisterBenchmark(("load_image_engine" + l).c_str(), BM_LoadImageEngineOptions, p)->Unit(ms);
    RegisterBenchmark(("shrink_for_detect" + l).c_str(), BM_ShrinkForDetect, p)->Unit(ms);
    RegisterBenchmark(("detector_net_only" + l).c_str(), BM_DetectorNetOnly, p)->Unit(ms);
    RegisterBenchmark(("detector_pass" + l).c_str(), BM_DetectorPass, p)->Unit(ms);
    for (SmallFaces s : {SmallFaces::Off, SmallFaces::Auto})
      RegisterBenchmark(("find_faces" + l + "/small_faces:" + short_name(s)).c_str(), BM_FindFaces, p, s)->Unit(ms);
    RegisterBenchmark(("landmarks" + l).c_str(), BM_Landmarks, p)->Unit(us);
    RegisterBenchmark(("align" + l).c_str(), BM_Align, p)->Unit(us);
    RegisterBenchmark(("embed_one_crop" + l).c_str(), BM_EmbedOneCrop, p)->Unit(ms);
    for (SmallFaces s : {SmallFaces::Off, SmallFaces::Auto})
      RegisterBenchmark(("analyze_file" + l + "/small_faces:" + short_name(s)).c_str(), BM_AnalyzeFile, p, s)->Unit(ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  int cv_threads = 1;
  if (const char* t = std::getenv("FACESEARCH_BENCH_CV_THREADS"); t && *t) cv_threads = std::max(1, std::atoi(t));
  cv::setNumThreads(cv_threads);

  const fs::path data = bench_data_dir();
  if (!fs::is_directory(data)) {
    std::fprintf(stderr,
                 "bench_pipeline: shared test data not found at %s\n"
                 "  set FACESEARCH_TEST_DATA to the folder that holds deepface_testset/, group_photos/, ...\n",
                 data.c_str());
    return 2;
  }

  Models models;
  std::vector<Photo> photos;
  try {
    const ModelPack pack = resolve_pack(EngineConfig{});
    const auto files = require_pack(pack);
    models.detector = make_detector(pack.detector, files.at("detector"));
    models.landmarker = make_landmarker(pack.landmarker, files.at("landmarker"));
    models.embedder = make_embedder(pack.embedder, files.at("embedder"));
    for (SmallFaces s : {SmallFaces::Off, SmallFaces::Auto}) {
      EngineConfig config;
      config.find.small_faces = s;
      models.engines.emplace(s, std::make_unique<Engine>(config));
    }
    g_models = &models;
    photos.reserve(kPhotos.size());
    for (const auto& [label, rel] : kPhotos) {
      const fs::path path = data / rel;
      if (!fs::is_regular_file(path)) throw std::runtime_error("missing photo " + path.string());
      photos.push_back(prepare(label, path, models));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline: %s\n", e.what());
    return 2;
  }

  benchmark::AddCustomContext("opencv", CV_VERSION);
  benchmark::AddCustomContext("opencv_threads", std::to_string(cv::getNumThreads()));
  for (const Photo& p : photos) {
    benchmark::AddCustomContext(
        "photo_" + p.label,
        p.path.lexically_relative(data).string() + " " + std::to_string(p.decoded.width) + "x" +
            std::to_string(p.decoded.height) + ", decoded " + std::to_string(p.decoded.bgr.cols) + "x" +
            std::to_string(p.decoded.bgr.rows) + ", detect on " + std::to_string(p.det_image.cols) + "x" +
            std::to_string(p.det_image.rows) + ", " + std::to_string(p.faces) + " face(s) with small_faces auto");
  }
  register_all(photos);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
