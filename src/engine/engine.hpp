// The Engine: one file or frame in, every face out (box, landmarks, score, embedding, time). Thin shells (CLI,
// server) use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "align/face_quality.hpp"
#include "detect/detector.hpp"
#include "embed/embedder.hpp"
#include "image/image.hpp"
#include "media/frame_source.hpp"
#include "models/model_pack.hpp"

namespace facesearch {

struct TrackOptions;

struct EngineConfig {
  std::string pack_id = kDefaultPack;  // "default" names it too (models/model_pack.hpp)
  std::filesystem::path models_root;  // empty: models_root()
  FindOptions find;                   // min_face is in pixels of the full-resolution image
  std::uint64_t max_pixels = 100'000'000;
  // Detection lays its small-face tiles out as if larger photos were this long (find_faces, FindOptions::max_side),
  // and JPEGs are decoded DCT-reduced down to it; boxes still come back in full resolution.
  int detect_max_side = 1920;
  // Videos: frames analysed per second of video, and how much of each video is read (0: all of it).
  double video_fps = 2.0;
  double max_video_seconds = 0;
  // The pack `pack_id` names, once resolved (app::Session does it once per session, so its engines, indexing and
  // eval never read manifests again); empty: resolve_pack() looks it up.
  std::shared_ptr<const ModelPack> pack;
};

// The model pack of a configuration: `config.pack` when resolved, else `pack_id` under `models_root` (built-in
// manifests, or one installed by `models add`). Throws std::runtime_error for an unknown pack.
ModelPack resolve_pack(const EngineConfig& config);

// When a face is seen in its file, in milliseconds from the start: a still photo is one frame at 0; a face followed
// through the frames of a video spans [first_ms, last_ms], and its box is the one of its best frame at best_ms.
struct FaceTime {
  std::int64_t first_ms = 0, last_ms = 0, best_ms = 0;
  bool operator==(const FaceTime&) const = default;
};

// One face, in the coordinates of the upright full-resolution image (frame).
struct Face {
  Box box;
  float score = 0;
  Landmarks5 landmarks{};
  Embedding embedding;  // empty unless embeddings were asked for
  FaceTime time;        // all 0 for a still photo
  // From the landmarks and the aligned crop (align/face_quality.hpp); empty for faces read from a library indexed
  // before they were recorded.
  std::optional<FacePose> pose;
  std::optional<float> sharpness;
};

// Every face of one file, keyed on (path, Face::time): a photo's faces, or a video's appearances (one Face per
// track of a face across its sampled frames, engine/track.hpp).
struct ImageFaces {
  std::filesystem::path path;
  MediaKind kind = MediaKind::Photo;
  ImageFormat format = ImageFormat::Unknown;
  int width = 0, height = 0;  // the upright frame size
  std::size_t frames = 0;     // frames analysed: 1 for a photo
  std::size_t frames_decoded = 0;  // frames decoded, analysed or skipped by sampling
  std::vector<Face> faces;    // by time, then left to right
};

// What the catalog and the records call a file's content: "video" for a video, else its image format ("jpeg"...).
std::string media_format_name(const ImageFaces& faces);
// The kind of media a stored format name stands for.
MediaKind media_kind_of(std::string_view format_name);

// Not thread-safe (it owns network instances): use one Engine per worker thread.
class Engine {
 public:
  explicit Engine(EngineConfig config);
  ~Engine();
  Engine(Engine&&) noexcept;

  const ModelPack& pack() const { return pack_; }
  const EngineConfig& config() const { return config_; }

  // One frame: its faces carry the frame's time (first = last = best = time_ms).
  ImageFaces analyze(const Frame& frame, bool embed = true);
  // A still image: one frame at t = 0.
  ImageFaces analyze(const DecodedImage& image, bool embed = true);
  // The file through its frame source (media/frame_source.hpp), every frame analysed; a video's faces are linked
  // into tracks and come back one Face per track. Throws ImageError when the file cannot be read or is no media
  // this program knows.
  ImageFaces analyze_file(const std::filesystem::path& path, bool embed = true);
  // How analyze_file decodes: the engine's pixel limit, and reduced decoding down to what detection needs.
  FrameSourceOptions frame_options() const;
  // How a video's faces are linked: the pack's match threshold, gaps of up to two missed samples.
  TrackOptions track_options() const;

 private:
  // One frame with these detection options (a video's frames: no tiled small-face pass unless asked for). The
  // aligned crop of every face is made (it gives the sharpness); with `crops` they are handed back, in face order,
  // for embedding later (a video's tracker asks only for the faces it needs).
  ImageFaces analyze(const Frame& frame, bool embed, const FindOptions& find, std::vector<cv::Mat>* crops);

  EngineConfig config_;
  ModelPack pack_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Landmarker> landmarker_;
  std::unique_ptr<Detector> closeup_;  // the pack's "keypoints" stage, when it has one
  // 0: every face found without keypoints is aligned by the close-up detector's, else by the landmarker; above
  // 0: only faces the landmarker sees turned more than this (degrees of yaw).
  double closeup_turned_yaw_ = 0;
  std::unique_ptr<Embedder> embedder_;
};

// Which face of a query photo stands for the person: "best" (highest score), "largest", or a 0-based index.
// Returns -1 when there is no such face.
int choose_face(const ImageFaces& faces, const std::string& which);

}  // namespace facesearch
