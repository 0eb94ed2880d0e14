#include "eval/photo_embeddings.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "image/image.hpp"
#include "util/parallel.hpp"

namespace facesearch {

PhotoEmbeddings embed_largest_faces(const std::vector<std::filesystem::path>& photos, const EngineConfig& engine,
                                    int jobs) {
  PhotoEmbeddings r;
  r.embeddings.resize(photos.size());
  r.unreadable.resize(photos.size());
  jobs = std::max(1, jobs);
  // Workers split the photos; OpenCV's own threads would only compete with them.
  OpenCvThreads one_opencv_thread_per_worker(1);
  std::vector<std::optional<Engine>> engines(static_cast<std::size_t>(jobs));
  std::vector<double> worker_seconds(static_cast<std::size_t>(jobs), 0.0);
  parallel_for(photos.size(), jobs, [&](std::size_t i, int worker) {
    auto& slot = engines[static_cast<std::size_t>(worker)];
    if (!slot) slot.emplace(engine);  // networks loaded once per worker, outside the timing
    const auto start = std::chrono::steady_clock::now();
    try {
      const ImageFaces faces = slot->analyze_file(photos[i]);
      if (const int k = choose_face(faces, "largest"); k >= 0)
        r.embeddings[i] = faces.faces[static_cast<std::size_t>(k)].embedding;
    } catch (const ImageError& e) {
      r.unreadable[i] = e.what();
    }
    worker_seconds[static_cast<std::size_t>(worker)] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  for (std::size_t i = 0; i < photos.size(); ++i) {
    r.without_face += r.embeddings[i].empty();
    r.unreadable_count += !r.unreadable[i].empty();
  }
  double seconds = 0;
  for (double s : worker_seconds) seconds += s;
  if (!photos.empty()) r.ms_per_photo = 1000.0 * seconds / static_cast<double>(photos.size());
  return r;
}

}  // namespace facesearch
