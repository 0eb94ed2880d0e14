// A close-up keypoint detector (BlazeFace front) as a pack's optional "keypoints" stage: it gives the 5 alignment
// points of faces a box-only detector found, from a crop around each box, where the 68-point landmarker (trained
// on frontal faces) misplaces them on faces turned to the side; and it finds faces that fill a photo (close-ups,
// profile crops) that the general detector missed.
#pragma once

#include <optional>

#include <opencv2/core.hpp>

#include "detect/detector.hpp"

namespace facesearch {

// The 5 points of the face in `box` of `bgr`, from `closeup` run on a square crop around the box (outside the
// image: grey border), or nothing when it finds no face there overlapping the box.
std::optional<Landmarks5> closeup_keypoints(Detector& closeup, const cv::Mat& bgr, const Box& box);

}  // namespace facesearch
