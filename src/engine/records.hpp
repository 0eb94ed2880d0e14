// The JSON records of the --json contract (docs/CLI.md): field names here are stable.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/batch.hpp"

namespace facesearch {

nlohmann::json box_json(const Box& b);
nlohmann::json landmarks_json(const Landmarks5& lm);
// {"box", "landmarks", "score"} plus "embedding" when asked and present.
nlohmann::json face_json(const Face& f, bool with_embedding);
// {"path", "width", "height", "format", "faces": [...]}
nlohmann::json image_json(const ImageFaces& img, bool with_embeddings);
// {"path", "similarity", "box", "landmarks", "score", "width", "height"}
nlohmann::json match_json(const Match& m);

}  // namespace facesearch
