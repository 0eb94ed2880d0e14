#include "engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <future>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "align/align.hpp"
#include "detect/closeup.hpp"
#include "detect/registry.hpp"
#include "engine/track.hpp"

namespace facesearch {

namespace {
// Box height, in pixels of a video frame's reduced copy, from which a face's landmarks are located on the copy:
// twice the largest landmark input (BlazeFace's 128 covers a crop 1.8x the box).
constexpr float kLocateOnCopyMinSide = 160.f;
}  // namespace

ModelPack resolve_pack(const EngineConfig& config) {
  if (config.pack) return *config.pack;
  return find_pack(config.pack_id, config.models_root.empty() ? models_root() : config.models_root);
}

Engine::Engine(EngineConfig config) : config_(std::move(config)), pack_(resolve_pack(config_)) {
  auto root = config_.models_root.empty() ? models_root() : config_.models_root;
  auto files = require_pack(pack_, root);
  // The recogniser takes the longest to load (OpenVINO compiles it): it loads on a thread of its own meanwhile.
  std::future<std::unique_ptr<Embedder>> embedder = std::async(
      std::launch::async, [&] { return make_embedder(pack_.embedder, files.at("embedder")); });
  detector_ = make_detector(pack_.detector, files.at("detector"));
  if (files.count("landmarker")) landmarker_ = make_landmarker(pack_.landmarker, files.at("landmarker"));
  if (!pack_.keypoints.empty()) {
    if (!files.count("keypoints")) throw std::runtime_error("pack '" + pack_.id + "' has no keypoints file");
    if (!detector_type(pack_.keypoints.value("type", "")).keypoints)
      throw std::runtime_error("pack '" + pack_.id + "': its keypoints stage must be a detector with keypoints");
    closeup_ = make_detector(pack_.keypoints, files.at("keypoints"));
    closeup_turned_yaw_ = pack_.keypoints.value("turned_yaw", 0.0);
  }
  embedder_ = embedder.get();
  if (!landmarker_ && !detector_type(pack_.detector.value("type", "")).keypoints)
    throw std::runtime_error("pack '" + pack_.id + "' has neither detector keypoints nor a landmarker");
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;

ImageFaces Engine::analyze(const DecodedImage& image, bool embed) { return analyze(Frame{image, 0, {}}, embed); }

ImageFaces Engine::analyze(const Frame& frame, bool embed) { return analyze(frame, embed, config_.find, nullptr); }

ImageFaces Engine::analyze(const Frame& frame, bool embed, const FindOptions& find_options,
                           std::vector<cv::Mat>* crops_out) {
  const DecodedImage& image = frame.image;
  ImageFaces result;
  result.frames = 1;
  result.format = image.format;
  result.width = image.width;
  result.height = image.height;
  const cv::Mat& full = image.bgr;

  // find_faces shrinks the image itself, only as far as each pass needs (a 12-megapixel photo's tiles are laid out
  // as if it were detect_max_side); landmarks and crops use all decoded pixels.
  FindOptions find = find_options;
  find.min_face = static_cast<float>(config_.find.min_face / image.scale);
  find.max_side = config_.detect_max_side;
  // A video frame's reduced copy (made while converting from YUV) serves the whole-image pass; tiles need all pixels.
  const bool use_copy = !frame.detect_bgr.empty() && find_options.small_faces == SmallFaces::Off && !full.empty();
  const cv::Mat& det_image = use_copy ? frame.detect_bgr : full;
  const float shrink = use_copy ? static_cast<float>(full.cols) / static_cast<float>(det_image.cols) : 1.f;
  find.min_face /= shrink;
  std::vector<Detection> dets = find_faces(*detector_, det_image, find);
  if (dets.empty() && closeup_) {
    // A face filling the photo (a close-up, a profile crop) that the general detector missed.
    FindOptions whole = find;
    whole.small_faces = SmallFaces::Off;
    dets = find_faces(*closeup_, det_image, whole);
  }
  if (shrink != 1.f)
    for (Detection& d : dets) d = d.scaled(shrink);
  std::sort(dets.begin(), dets.end(), [](const auto& a, const auto& b) { return a.box.x1 < b.box.x1; });

  // The five points of a face the detector gave none for: the close-up detector's keypoints, or the landmarker's.
  auto locate = [&](const cv::Mat& image, const Box& box) {
    if (closeup_ && closeup_turned_yaw_ <= 0)
      if (std::optional<Landmarks5> points = closeup_keypoints(*closeup_, image, box)) return *points;
    if (!landmarker_)
      throw std::runtime_error("pack '" + pack_.id + "' has neither detector keypoints nor a landmarker");
    Landmarks5 lm = landmarker_->locate(image, box);
    // The 68-point landmarker is trained on frontal faces: with a "turned_yaw" limit, a face it sees turned more is
    // aligned by the close-up detector's keypoints when that finds it.
    if (closeup_ && closeup_turned_yaw_ > 0 && std::abs(estimate_pose(lm).yaw) > closeup_turned_yaw_)
      if (std::optional<Landmarks5> turned = closeup_keypoints(*closeup_, image, box)) lm = *turned;
    return lm;
  };
  std::vector<cv::Mat> crops;
  for (const auto& d : dets) {
    Face f;
    f.score = d.score;
    f.time = {frame.time_ms, frame.time_ms, frame.time_ms};
    const Box& in_full = d.box;
    Landmarks5 lm;
    if (d.landmarks) {
      lm = *d.landmarks;
    } else if (use_copy && shrink > 1.f && in_full.height() / shrink >= kLocateOnCopyMinSide) {
      // Landmark networks take 64-128 pixels: a face this large in the reduced copy is located there, because
      // shrinking its box out of the full frame costs more than the network does.
      lm = locate(det_image, in_full.scaled(1.f / shrink));
      for (cv::Point2f& p : lm) p *= shrink;
    } else {
      lm = locate(full, in_full);
    }
    // The crop the recogniser sees also gives the sharpness, so it is made even when nothing is embedded.
    cv::Mat crop = align_face(full, lm, embedder_->face_template(), embedder_->input_size());
    f.pose = estimate_pose(lm);
    f.sharpness = laplacian_sharpness(crop);
    if (embed || crops_out) crops.push_back(std::move(crop));
    const auto s = static_cast<float>(image.scale);
    f.box = in_full.scaled(s);
    for (size_t i = 0; i < lm.size(); ++i) f.landmarks[i] = lm[i] * s;
    result.faces.push_back(std::move(f));
  }
  if (embed && !crops.empty()) {
    std::vector<Embedding> embs = embedder_->embed(crops);
    for (size_t i = 0; i < embs.size(); ++i) result.faces[i].embedding = std::move(embs[i]);
  }
  if (crops_out) *crops_out = std::move(crops);
  return result;
}

FrameSourceOptions Engine::frame_options() const {
  FrameSourceOptions options;
  options.decode.max_pixels = config_.max_pixels;
  options.decode.min_long_side = config_.detect_max_side;
  options.video_fps = config_.video_fps;
  options.max_video_seconds = config_.max_video_seconds;
  // Three times the detector's input: its own shrink from there sees nearly what it saw from the full frame (at
  // twice, the best frame of an appearance of bench/video.sh's clip moved).
  const cv::Size in = detector_->input_size();
  options.detect_long_side = 3 * std::max(in.width, in.height);
  return options;
}

TrackOptions Engine::track_options() const {
  TrackOptions options;
  options.link_similarity = static_cast<float>(pack_.default_threshold());
  const double interval_ms = config_.video_fps > 0 ? 1000.0 / config_.video_fps : 500.0;
  options.max_gap_ms = static_cast<std::int64_t>(std::lround(3.5 * std::max(interval_ms, 100.0)));
  return options;
}

ImageFaces Engine::analyze_file(const std::filesystem::path& path, bool embed) {
  std::unique_ptr<FrameSource> source = open_frame_source(path, frame_options());
  ImageFaces result;
  result.path = path;
  result.kind = source->kind();
  const bool video = result.kind == MediaKind::Video;
  // The tiled small-face pass costs a video more than its decoding; in videos it runs only when asked for ("on").
  FindOptions video_find = config_.find;
  if (video_find.small_faces == SmallFaces::Auto) video_find.small_faces = SmallFaces::Off;
  FaceTracker tracker(track_options());
  ShotChangeDetector shots;
  while (std::optional<Frame> frame = source->next()) {
    // A video's faces are embedded as the tracker asks: most samples of a track need no embedding of their own.
    std::vector<cv::Mat> crops;
    ImageFaces faces = analyze(*frame, embed && !video, video ? video_find : config_.find, video ? &crops : nullptr);
    result.format = faces.format;
    result.width = faces.width;
    result.height = faces.height;
    ++result.frames;
    if (video) {
      const bool cut = shots.changed(frame->detect_bgr.empty() ? frame->image.bgr : frame->detect_bgr);
      // The tracker embeds even when the caller wants no embeddings: a place on screen alone does not tell two
      // people framed alike apart across a cut the shot detector missed. They are dropped at the end instead.
      const EmbedFaces embed_some = [&](const std::vector<std::size_t>& which) {
        std::vector<cv::Mat> asked;
        for (std::size_t i : which) asked.push_back(crops.at(i));
        return embedder_->embed(asked);
      };
      tracker.add(*frame, std::move(faces.faces), cut, embed_some, crops);
    } else {
      for (Face& f : faces.faces) result.faces.push_back(std::move(f));
    }
  }
  if (result.frames == 0) throw ImageError("no frame to analyse");
  result.frames_decoded = source->frames_decoded();
  if (video) result.faces = tracker.finish();
  if (video && !embed)
    for (Face& f : result.faces) Embedding().swap(f.embedding);
  return result;
}

int choose_face(const ImageFaces& faces, const std::string& which) {
  if (faces.faces.empty()) return -1;
  auto by = [&](auto key) {
    return static_cast<int>(std::max_element(faces.faces.begin(), faces.faces.end(),
                                             [&](const Face& a, const Face& b) { return key(a) < key(b); }) -
                            faces.faces.begin());
  };
  if (which == "best" || which.empty()) return by([](const Face& f) { return f.score; });
  if (which == "largest") return by([](const Face& f) { return f.box.area(); });
  try {
    size_t pos = 0;
    int idx = std::stoi(which, &pos);
    if (pos != which.size()) throw std::invalid_argument(which);
    return idx >= 0 && idx < static_cast<int>(faces.faces.size()) ? idx : -1;
  } catch (const std::logic_error&) {
    throw std::invalid_argument("--query-face must be 'best', 'largest' or a face number, not '" + which + "'");
  }
}

std::string media_format_name(const ImageFaces& faces) {
  return faces.kind == MediaKind::Video ? "video" : std::string(format_name(faces.format));
}

MediaKind media_kind_of(std::string_view format_name) {
  return format_name == "video" ? MediaKind::Video : MediaKind::Photo;
}

}  // namespace facesearch
