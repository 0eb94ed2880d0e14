// The embedding of each photo's largest face through the whole pipeline (detect, align, embed), every photo once,
// on all workers: what `eval lfw` (without --aligned) and `eval pairs` share.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace facesearch {

struct PhotoEmbeddings {
  std::vector<Embedding> embeddings;  // per photo; empty when no face was found or the photo is unreadable
  std::vector<std::string> unreadable;  // per photo: why it could not be read (empty when it could)
  std::size_t without_face = 0;         // photos with an empty embedding, unreadable ones included
  std::size_t unreadable_count = 0;
  double ms_per_photo = 0;  // mean time of one photo on one worker (decode, detect, align, embed)
};

// Throws what the engine throws except ImageError (a photo that is no image this program reads is recorded).
PhotoEmbeddings embed_largest_faces(const std::vector<std::filesystem::path>& photos, const EngineConfig& engine,
                                    int jobs);

}  // namespace facesearch
