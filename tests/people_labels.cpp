#include "people_labels.hpp"

#include <algorithm>

namespace fs = std::filesystem;
using facesearch::Library;
using facesearch::LibraryFace;

namespace fstest {

// The face of a labelled photo that the label is about: the only face, or one at least 3x the area of any other
// (people in the background). Photos with two similar-sized faces are not judged: the label cannot say which.
std::optional<LibraryFace> subject_face(const std::vector<LibraryFace>& faces) {
  if (faces.empty()) return std::nullopt;
  auto sorted = faces;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.face.box.area() > b.face.box.area(); });
  if (sorted.size() > 1 && sorted[0].face.box.area() < 3 * sorted[1].face.box.area()) return std::nullopt;
  return sorted[0];
}

// Labels of the two sets: deepface_testset/<id>/..., faceapi_bbt/identities/<name>/...; group stills and the
// unlabelled emotion photos have none.
std::string label_of(const fs::path& path) {
  const std::string p = path.string();
  for (const char* set : {"/deepface_testset/", "/faceapi_bbt/identities/"}) {
    auto at = p.find(set);
    if (at == std::string::npos) continue;
    const std::string rest = p.substr(at + std::string(set).size());
    const std::string folder = rest.substr(0, rest.find('/'));
    if (folder == "group" || rest.find('/') == std::string::npos) return {};
    return std::string(set) + folder;
  }
  return {};
}

std::map<fs::path, std::vector<LibraryFace>> faces_by_path(Library& library) {
  std::map<fs::path, std::vector<LibraryFace>> out;
  library.for_each_face([&](const LibraryFace& f) {
    auto copy = f;
    copy.face.embedding.clear();
    out[f.path].push_back(std::move(copy));
    return true;
  });
  return out;
}

}  // namespace fstest
