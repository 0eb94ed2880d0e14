// What SCRFD, YuNet and BlazeFace share: the image letterboxed into a fixed network input, and a detector base that reads
// the parameters every such detector has.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detect/detector.hpp"

namespace facesearch {

namespace detail {

// The image shrunk (or grown) to fit the network input with its aspect kept, at the top-left corner of a
// black canvas of the input size, so boxes map back with one scale per axis.
struct Letterbox {
  cv::Mat canvas;        // CV_8UC3, input size
  float sx = 1, sy = 1;  // network pixels per image pixel

  Letterbox(const cv::Mat& bgr, cv::Size input);
  Box to_image(float x1, float y1, float x2, float y2, cv::Size image) const;
  cv::Point2f to_image(float x, float y) const { return {x / sx, y / sy}; }
  // A candidate found in network pixels (box, 5 points), mapped to an image of size `image`.
  Detection to_image(float score, const Box& box, const Landmarks5& points, cv::Size image) const;
};

}  // namespace detail

// A fully convolutional detector with strides up to 32 seeing a letterboxed image. `params` is complete (the
// registry merges the type's defaults): "input" [w, h] (multiples of 32), "score_threshold", "nms_iou",
// "min_reliable_face" (network pixels), the blob's "mean", "scale" and "swap_rb", and optionally
// "pad_when_empty" (Detector::misses_frame_filling_faces).
class LetterboxDetector : public Detector {
 public:
  // Letterbox, one forward pass over `outputs_`, decode(), non-maximum suppression.
  std::vector<Detection> detect(const cv::Mat& bgr) final;
  cv::Size input_size() const override { return input_; }
  float min_reliable_face() const override { return min_face_; }
  const infer::Network& network() const { return *net_; }
  bool misses_frame_filling_faces() const override { return pad_when_empty_; }

 protected:
  LetterboxDetector(const std::filesystem::path& onnx, const nlohmann::json& params);
  // A network loaded otherwise (a TF.js graph rebuilt as ONNX), taking an NCHW blob of the input size.
  LetterboxDetector(std::unique_ptr<infer::Network> net, const nlohmann::json& params);
  // The candidates above score_threshold_ in the network's outputs (in `outputs_` order), boxes and points
  // mapped back to the image of size `image` through `letterbox`.
  virtual std::vector<Detection> decode(const std::vector<cv::Mat>& outs, const detail::Letterbox& letterbox,
                                        cv::Size image) const = 0;

  std::vector<std::string> outputs_;  // set by the subclass's constructor
  cv::Size input_;
  float min_face_ = 0;
  float score_threshold_ = 0;
  float nms_iou_ = 0;
  std::unique_ptr<infer::Network> net_;

 private:
  BlobFormat format_;
  bool pad_when_empty_ = false;
};

}  // namespace facesearch
