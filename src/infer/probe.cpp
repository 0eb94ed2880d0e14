// Runs one ONNX file once on a constant input and prints the runtime that ran it and each output's shape:
//
//   facesearch_infer_probe [--runtime opencv|onnxruntime|openvino] MODEL.onnx N C H W
//
// tests/CMakeLists.txt uses it to check that a build without ONNX Runtime still runs networks (on OpenCV DNN).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "infer/network.hpp"

int main(int argc, char** argv) {
  using namespace facesearch::infer;
  NetworkOptions options;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "--runtime") {
    options.runtime = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.size() != 5) {
    std::fputs("usage: facesearch_infer_probe [--runtime opencv|onnxruntime|openvino] MODEL.onnx N C H W\n", stderr);
    return 2;
  }
  try {
    std::vector<int> dims;
    for (std::size_t i = 1; i < 5; ++i) dims.push_back(std::stoi(args[i]));
    options.input_shape.assign(dims.begin(), dims.end());
    const auto network = load_network(args[0], options);
    std::string runtimes;
    for (const std::string& r : available_runtimes()) runtimes += (runtimes.empty() ? "" : ",") + r;
    std::string in_shape;
    for (std::int64_t d : network->input_shape()) in_shape += (in_shape.empty() ? "" : "x") + std::to_string(d);
    std::printf("runtimes %s\nruntime %s\ninput %s\n", runtimes.c_str(), network->runtime(), in_shape.c_str());
    const cv::Mat input(static_cast<int>(dims.size()), dims.data(), CV_32F, cv::Scalar(0.5));
    const auto names = network->output_names();
    const auto outs = network->run(input);
    for (std::size_t i = 0; i < outs.size(); ++i) {
      std::string shape;
      for (int d = 0; d < outs[i].dims; ++d) shape += (d ? "x" : "") + std::to_string(outs[i].size[d]);
      std::printf("output %s %s\n", names[i].c_str(), shape.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facesearch_infer_probe: %s\n", e.what());
    return 1;
  }
  return 0;
}
