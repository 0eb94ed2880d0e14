// Faces followed across the sampled frames of a video: each track is one appearance of one person, summarised as
// one Face (the box of its best frame, an embedding from its best few frames, and its time span).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/engine.hpp"

namespace facesearch {

struct TrackOptions {
  // Two faces of neighbouring samples are the same person when their embeddings agree this much: the pack's
  // match threshold, set by Engine::track_options (its scale differs between recognisers)...
  float link_similarity = 1.f;
  // ...or, when their boxes overlap at least `overlap_iou`, half as much (same place, blur or a turned head).
  float overlap_iou = 0.3f;
  // A track missing from the samples for longer than this ends (so one or two missed detections do not split it).
  std::int64_t max_gap_ms = 1750;
  int best_frames = 3;  // the embedding is the normalised mean of this many best frames
  // A face whose box overlaps one open track's last box at least this much, and no other track's, continues that
  // track without an embedding of its own unless it is among the track's best frames (embedding is most of the
  // cost of a sample).
  float sure_overlap_iou = 0.5f;
  // ...and when its pixels correlate this well with the track's last face (same place is not same person: a cut
  // between two shots framed alike). Compared on aligned crops, the same face in consecutive samples of
  // bench/video.sh's clip correlates 0.89-1.0 (most above 0.95), while different people's faces in the shared photos
  // reach 0.89 at most (4,363 pairs; 0.84 at the 99.9th percentile), hence a bar above both.
  float same_face_correlation = 0.93f;
  // ...or this well once warped onto it (warped_correlation in track.cpp): keypoints that jitter by a pixel or two
  // between samples misalign the crops of one steady face (BlazeFace's, the `profile` pack's, down to 0.74 plain).
  // Warped, consecutive samples of bench/video.sh's clip correlate 0.965 and more in 95 of 100 pairs; different
  // people's faces of the shared photos reach 0.957 (the hardest 3,000 and 1,000 random of 240k pairs).
  float same_face_warped_correlation = 0.965f;
  // A continuation among the track's best frames is embedded unless its pixels correlate this well with a frame
  // already embedded, plainly or warped (a still shot: the embedding would come out the same).
  float duplicate_correlation = 0.98f;
};

// Embeddings for some faces of the frame being added: `which` indexes the faces given to FaceTracker::add, and the
// embeddings come back in that order (the engine embeds the aligned crops it made while detecting them).
using EmbedFaces = std::function<std::vector<Embedding>(const std::vector<std::size_t>& which)>;

// Whether two consecutive samples belong to different shots: their grey-level histograms differ too much. Pans and
// zooms keep the histogram; cuts to another scene do not.
class ShotChangeDetector {
 public:
  bool changed(const cv::Mat& bgr);  // compares with the previous call's frame

 private:
  cv::Mat previous_;  // normalised histogram
};

class FaceTracker {
 public:
  explicit FaceTracker(TrackOptions options) : options_(options) {}
  // The faces of one sampled frame (boxes in full-resolution upright pixels; `frame` for sharpness), in time order.
  // `cut`: the frame starts a new shot, every open track ends before it. Faces come with embeddings, or without
  // and `embed` gives those the tracker needs (see TrackOptions::sure_overlap_iou). `aligned`: the faces'
  // landmark-aligned crops, in face order, when the caller has them; the pixel check then compares those, which
  // the detector's box jitter does not move, and the sharpness is measured on them (else on the pixels inside
  // the boxes).
  void add(const Frame& frame, std::vector<Face> faces, bool cut, const EmbedFaces& embed = {},
           const std::vector<cv::Mat>& aligned = {});
  // One Face per track, by first appearance then left to right. Ends the tracker.
  std::vector<Face> finish();

 private:
  struct Sample {
    float quality = 0;
    Embedding embedding;
    cv::Mat patch;  // its pixels, as for Track::last_patch
  };
  struct Track {
    Face best;            // box, landmarks and score of the best frame
    float best_quality = -1;
    Face last;            // where the track was last seen (to link the next sample)
    cv::Mat last_patch;   // and its pixels (normalised, grey), to tell a continuation from a new face
    std::vector<Sample> top;  // the best_frames best samples
    std::int64_t first_ms = 0, last_ms = 0;
  };
  float affinity(const Track& track, const Face& face) const;  // < 0: cannot be linked
  bool needs_embedding(const Face& face, float quality, const cv::Mat& patch, const std::vector<Face>& others) const;
  void extend(Track& track, Face&& face, float quality, cv::Mat patch);
  void close_stale(std::int64_t now_ms);

  TrackOptions options_;
  std::vector<Track> open_, closed_;
};

// How good a frame of a face is for recognition: detector score, size (up to the recogniser's input), sharpness
// (variance of the Laplacian of the face, at a fixed size) and frontality (the nose midway between the eyes).
float face_quality(const Frame& frame, const Face& face);

// A face's pixels as the tracker's pixel check compares them: an aligned crop (or any face image) grey at 64x64,
// zero mean and unit norm, so that the dot product of two is their correlation; empty for a flat image.
cv::Mat face_patch(const cv::Mat& face_bgr);

}  // namespace facesearch
