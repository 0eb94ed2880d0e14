// Labels of the people tests' photo sets (deepface_testset, faceapi_bbt) and which face of a photo they are about.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "library/library.hpp"

namespace fstest {

// The face of a labelled photo that the label is about: the only face, or one at least 3x the area of any other
// (people in the background). Photos with two similar-sized faces are not judged: the label cannot say which.
std::optional<facesearch::LibraryFace> subject_face(const std::vector<facesearch::LibraryFace>& faces);

// deepface_testset/<id>/..., faceapi_bbt/identities/<name>/...; group stills and the unlabelled emotion photos
// have none (empty).
std::string label_of(const std::filesystem::path& path);

// Every face of the library (without embeddings) by photo.
std::map<std::filesystem::path, std::vector<facesearch::LibraryFace>> faces_by_path(facesearch::Library& library);

}  // namespace fstest
