// The JSON records of both shells: `--json` output of the CLI (docs/CLI.md) and the HTTP API (docs/API.md).
// Field names are a contract: add, never rename (an old name stays as an alias). Numbers are rounded here only.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/batch.hpp"
#include "library/library.hpp"
#include "people/people.hpp"

namespace facesearch {

// `v` to a multiple of `unit` (a power of ten), printed in its shortest form: 43.9, not 43.900000000000006.
double rounded(double v, double unit);

// File names are bytes, JSON text is UTF-8. Every record's "path" is the name with each invalid UTF-8 sequence
// replaced by U+FFFD; when that changed anything, "path_bytes" holds the exact name in hex (docs/CLI.md), so no
// name is lost and no output stops halfway.
void add_path(nlohmann::json& record, const std::filesystem::path& path);
// Any other text of outside origin (error reasons, names): invalid UTF-8 sequences replaced by U+FFFD.
std::string text_field(const std::string& bytes);
// A record as one line of JSON; never throws on text that slipped through unchecked (replaced, as above).
std::string json_text(const nlohmann::json& record);

nlohmann::json box_json(const Box& b);
nlohmann::json landmarks_json(const Landmarks5& lm);
// {"yaw", "pitch", "roll"} in degrees, or null when not measured (faces of a library indexed before).
nlohmann::json pose_json(const std::optional<FacePose>& pose);
// {"sharpness" (Laplacian variance of the aligned crop, null when not measured), "size" (longer box side, pixels),
// "score" (the detector's)}.
nlohmann::json quality_json(const Face& f);
// {"box", "landmarks", "score", "pose", "quality"} plus "embedding" when asked and present.
nlohmann::json face_json(const Face& f, bool with_embedding);
// A video's faces are appearances: {"t_start", "t_end", "t_best"} (seconds) and {"frame_width", "frame_height"}.
// Photos have neither.
void add_video_fields(nlohmann::json& j, const Face& f, int frame_width, int frame_height);
// {"path", "width", "height", "format", "faces": [...]}
nlohmann::json image_json(const ImageFaces& img, bool with_embeddings);
// A file that could not be used: {"path", "error"}.
nlohmann::json unusable_file_json(const SkippedFile& s);
// A face of the library as a search record (the similarity to whatever it was compared with).
Match to_match(const LibraryFace& face, float similarity);
// {"path", "similarity", "box", "landmarks", "score", "width", "height"} (+ "face_id", "image_id" from a library).
nlohmann::json match_json(const Match& m);

// A face of the library: face_json + {"face_id", "image_id", "path", "width", "height"}.
nlohmann::json library_face_json(const LibraryFace& f);
// {"image_id", "path", "width", "height", "format", "status", "faces": [{"face_id", "box", ...}]}
nlohmann::json library_image_json(const LibraryImage& img);
// {"library", "pack", "images", "faces", "zero_face_images", "unusable", "bytes_on_disk", "vector_backend"}
// ("skipped_files": the old name of "unusable").
nlohmann::json status_json(const LibraryStatus& s);
// {"files", "added", "changed", "unchanged", "touched", "moved", "copied", "removed", "unusable",
//  "embedded_images", "faces_added", "seconds"}
nlohmann::json index_report_json(const IndexReport& r);

// A person, in the CLI and the API alike: {"id", "name" (null until named), "faces", "cover_face_id" (null without
// faces), "cover": {"face_id", "image_id", "path", "box"} or null, "hidden" (`people hide`)}. Old names kept as aliases: "face_count" (= faces;
// `people list --json`) and the cover's "face_id", "image_id", "path", "box" at the top level.
nlohmann::json person_json(const people::PersonSummary& p);
// A face of a person: the search record (similarity to the person's mean face) + "person", "assigned_by".
nlohmann::json person_face_json(const people::PersonFace& f, people::PersonId person);
// What a `people cluster` run did: {"faces", "seeds", "joined", "new_persons", "new_person_faces", "unassigned",
// "persons", "relinked", "dropped", "seconds"} (the counts the CLI prints).
nlohmann::json cluster_report_json(const people::ClusterReport& r);

// Review records (review_records.cpp). An unsure face: library_face_json + "unsure": true, "unsure_reasons"
// (["small", "background", "blurry", "side-on", "low-score"]), "person" (the person it was attached to, or null).
nlohmann::json unsure_face_json(const people::UnsureFace& f);
// A face suggestion: library_face_json + "kind": "face", "person", "name", "current_person" (an unnamed person it is
// in, or null), "similarity" (mean similarity to the person's faces).
nlohmann::json face_suggestion_json(const people::FaceSuggestion& s);
// A merge suggestion: {"kind": "merge", "a": person_json, "b": person_json, "similarity"}.
nlohmann::json merge_suggestion_json(const people::MergeSuggestion& s);
// {"faces": [face suggestions], "merges": [merge suggestions]}
nlohmann::json suggestions_json(const people::Suggestions& s);

}  // namespace facesearch
