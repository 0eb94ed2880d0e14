// Each network of a pack on OpenCV DNN, on ONNX Runtime and on OpenVINO (those the build has), one thread each, in
// one process, on the inputs the pipeline gives it from real photos. Prints a markdown table of ms per call (per
// face for the landmarker and the recogniser) and the ratios to OpenCV DNN.
//
//   build/bench/bench_runtimes [--rounds N] [--versus PACK] [--dump-inputs DIR] [FOLDER...]
//
// --versus PACK: compare the default pack's networks with PACK's (e.g. default_int8), both on ONNX Runtime.
// --dump-inputs DIR: write the inputs as DIR/{detector,landmarker,recogniser}.npy (float32, N x C x H x W) and
// stop; scripts/quantize-pack.sh calibrates on them, so calibration sees exactly the engine's pre-processing.
//
// Without folders it reads group_photos and deepface_testset from the shared data ($FACESEARCH_TEST_DATA, default
// ../shared/data beside the checkout). The runtimes take turns round by round, so a busy machine slows both alike.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "engine/batch.hpp"
#include "engine/engine.hpp"
#include "image/image.hpp"
#include "infer/network.hpp"
#include "bench_data.hpp"

namespace fs = std::filesystem;
using namespace facesearch;
using Clock = std::chrono::steady_clock;

namespace {

struct Inputs {
  std::vector<cv::Mat> detector, landmarker, recogniser, crops;  // blobs, and the recogniser's aligned crops
};

// The blobs the default pack's networks see for these photos (as detect/detector.cpp and embed/embedder.cpp
// build them).
Inputs collect(const std::vector<fs::path>& files, Engine& engine) {
  Inputs in;
  for (const fs::path& path : files) {
    DecodedImage image;
    try {
      image = load_image(path, engine.frame_options().decode);
    } catch (const std::exception&) {
      continue;
    }
    const cv::Mat& bgr = image.bgr;
    cv::Mat small;
    cv::resize(bgr, small, {320, 240}, 0, 0, cv::INTER_AREA);
    in.detector.push_back(cv::dnn::blobFromImage(small, 1.0 / 128, {}, cv::Scalar::all(127), true));
    for (const Face& f : engine.analyze(image, false).faces) {
      const float s = static_cast<float>(image.scale);
      const cv::Rect r = cv::Rect(cv::Point(static_cast<int>(f.box.x1 / s), static_cast<int>(f.box.y1 / s)),
                                  cv::Point(static_cast<int>(f.box.x2 / s), static_cast<int>(f.box.y2 / s))) &
                         cv::Rect(0, 0, bgr.cols, bgr.rows);
      if (r.width < 2 || r.height < 2) continue;
      cv::Mat grey, crop;
      cv::cvtColor(bgr(r), grey, cv::COLOR_BGR2GRAY);
      cv::resize(grey, crop, {64, 64}, 0, 0, cv::INTER_AREA);
      in.landmarker.push_back(cv::dnn::blobFromImage(crop, 1.0 / 256));
      Landmarks5 lm = f.landmarks;
      for (auto& p : lm) p /= s;
      in.crops.push_back(align_face(bgr, lm, 112));
      in.recogniser.push_back(cv::dnn::blobFromImage(in.crops.back(), 1.0 / 128, {}, cv::Scalar::all(127), true));
    }
  }
  return in;
}

// One .npy file (format 1.0) holding the blobs stacked along the batch axis.
void write_npy(const fs::path& file, const std::vector<cv::Mat>& blobs) {
  if (blobs.empty()) throw std::runtime_error("no inputs for " + file.string());
  const cv::MatSize& shape = blobs.front().size;
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(blobs.size());
  for (int d = 1; d < shape.dims(); ++d) header += ", " + std::to_string(shape[d]);
  header += "), }";
  header.append(63 - (10 + header.size()) % 64, ' ');  // magic + version + length + header + '\n' = 64k bytes
  header += '\n';
  std::ofstream out(file, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char le[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(le, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const cv::Mat& blob : blobs) {
    if (blob.size != shape || blob.type() != CV_32F || !blob.isContinuous())
      throw std::runtime_error("blobs of different shapes for " + file.string());
    out.write(reinterpret_cast<const char*>(blob.data), static_cast<std::streamsize>(blob.total() * sizeof(float)));
  }
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

double seconds(const std::function<void()>& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::string versus;
  fs::path dump;
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--versus" && i + 1 < argc) {
      versus = argv[++i];
    } else if (a == "--dump-inputs" && i + 1 < argc) {
      dump = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::puts("usage: bench_runtimes [--rounds N] [--versus PACK] [--dump-inputs DIR] [FOLDER...]");
      return 0;
    } else {
      roots.emplace_back(a);
    }
  }
  if (roots.empty()) {
    const fs::path data = bench_data_dir();
    roots = {data / "group_photos", data / "deepface_testset"};
  }
  cv::setNumThreads(1);  // as each scan worker runs; ONNX Runtime follows it (infer/network.hpp)
  try {
    const ModelPack pack = resolve_pack(EngineConfig{});
    const auto files = require_pack(pack);
    nlohmann::json manifest = pack.to_json();
    manifest["runtime"] = infer::kOpenCv;
    EngineConfig config;
    config.pack = std::make_shared<const ModelPack>(ModelPack::from_json(manifest));
    Engine engine(config);
    const Inputs in = collect(collect_files(roots, true), engine);
    if (in.recogniser.empty()) throw std::runtime_error("no faces found in the photos");
    if (!dump.empty()) {
      fs::create_directories(dump);
      write_npy(dump / "detector.npy", in.detector);
      write_npy(dump / "landmarker.npy", in.landmarker);
      write_npy(dump / "recogniser.npy", in.recogniser);
      std::printf("bench_runtimes: %zu detector inputs, %zu faces written to %s\n", in.detector.size(),
                  in.recogniser.size(), dump.c_str());
      return 0;
    }

    std::map<std::string, fs::path> other_files = files;
    if (!versus.empty()) {
      EngineConfig other;
      other.pack_id = versus;
      other_files = require_pack(resolve_pack(other));
    }
    // The contenders: each runtime the build has on the default pack's files, or (--versus) ONNX Runtime on the
    // default pack's files and on the other pack's.
    struct Contender {
      std::string runtime, label;
      bool other_pack;
    };
    std::vector<Contender> contenders;
    if (versus.empty()) {
      for (const std::string& r : infer::available_runtimes()) contenders.push_back({r, infer::runtime_label(r), false});
    } else {
      contenders = {{infer::kOnnxRuntime, "default", false}, {infer::kOnnxRuntime, versus, true}};
    }
    const std::size_t n = contenders.size();
    struct Row {
      const char* name;
      const char* stage;
      std::vector<std::int64_t> shape;
      const std::vector<cv::Mat>* inputs;
      bool flush_denormals;
      std::vector<double> seconds;
    };
    std::vector<Row> rows = {
        {"detector (ultralight, 320x240), per call", "detector", {1, 3, 240, 320}, &in.detector, false, {}},
        {"landmarker (pfld68, 64x64), per face", "landmarker", {1, 1, 64, 64}, &in.landmarker, false, {}},
        {"recogniser (mobilefacenet, 112x112), per face", "embedder", {1, 3, 112, 112}, &in.recogniser, true, {}},
    };
    for (Row& row : rows) {
      row.seconds.assign(n, 0.0);
      std::vector<std::unique_ptr<infer::Network>> nets;
      for (const Contender& c : contenders) {
        infer::NetworkOptions options{c.runtime, row.shape};
        options.flush_denormals = row.flush_denormals;
        options.threads = 1;
        nets.push_back(infer::load_network((c.other_pack ? other_files : files).at(row.stage), options));
        if (nets.back()->runtime() != c.runtime) throw std::runtime_error("runtime fell back");
        for (const cv::Mat& blob : *row.inputs) nets.back()->run(blob);  // warm-up
      }
      for (int round = 0; round < rounds; ++round)
        for (std::size_t r = 0; r < n; ++r)
          row.seconds[r] += seconds([&] {
            for (const cv::Mat& blob : *row.inputs) nets[r]->run(blob);
          });
    }
    std::printf("bench_runtimes: default pack%s%s, %zu photos' detector inputs, %zu faces, %d rounds, one thread, "
                "OpenCV %s, ONNX Runtime %s, OpenVINO %s\n\n",
                versus.empty() ? "" : " vs ", versus.c_str(), in.detector.size(), in.recogniser.size(), rounds,
                CV_VERSION, infer::onnxruntime_version().c_str(), infer::openvino_version().c_str());
    std::string head = "| network |", rule = "|---|";
    for (const Contender& c : contenders) {
      head += " " + c.label + " (ms) |";
      rule += "---:|";
    }
    for (std::size_t r = 1; r < n; ++r) {
      head += " " + contenders[r].label + " speed-up |";
      rule += "---:|";
    }
    std::printf("%s\n%s\n", head.c_str(), rule.c_str());
    for (const Row& row : rows) {
      const double calls = static_cast<double>(row.inputs->size()) * rounds;
      std::printf("| %s |", row.name);
      for (std::size_t r = 0; r < n; ++r) std::printf(" %.2f |", row.seconds[r] / calls * 1e3);
      for (std::size_t r = 1; r < n; ++r) std::printf(" %.2fx |", row.seconds[0] / row.seconds[r]);
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_runtimes: %s\n", e.what());
    return 2;
  }
  return 0;
}
