#include "engine/batch.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <opencv2/core.hpp>

#include "util/parallel.hpp"

namespace fs = std::filesystem;

namespace facesearch {

static bool hidden(const fs::path& p) {
  auto name = p.filename().string();
  return name.size() > 1 && name[0] == '.' && name != "..";
}

// XMP sidecars (`photo.jpg.xmp`, written by `people export-xmp` and other photo programs) describe photos and are
// never images themselves: listing them would report each as an unusable file.
static bool sidecar(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".xmp";
}

std::vector<fs::path> collect_files(const std::vector<fs::path>& roots, bool recursive) {
  std::vector<fs::path> files;
  for (const auto& root : roots) {
    std::error_code ec;
    auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) throw std::runtime_error("no such file or directory: " + root.string());
    if (!fs::is_directory(st)) {
      files.push_back(root);
      continue;
    }
    // Everything but folders is listed: FIFOs, devices and broken symbolic links too, so the analysis reports each
    // with its reason (it never opens them) instead of leaving them out silently.
    if (!recursive) {
      for (auto& e : fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec))
        if (!hidden(e.path()) && !sidecar(e.path()) && !e.is_directory(ec)) files.push_back(e.path());
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      if (hidden(it->path())) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_directory(ec) && !sidecar(it->path())) files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

BatchStats analyze_files(const EngineConfig& config, const std::vector<fs::path>& files, int jobs, bool embed,
                         const BatchCallbacks& cb) {
  const auto start = std::chrono::steady_clock::now();
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(std::max<size_t>(files.size(), 1))));
  OpenCvThreads one_opencv_thread_per_worker(1);
  // Load the networks up front so a missing model fails once, loudly, before any thread starts.
  std::vector<std::optional<Engine>> engines(static_cast<size_t>(jobs));
  for (auto& e : engines) e.emplace(config);

  BatchStats stats;
  std::mutex mu;
  size_t done = 0;
  parallel_for(files.size(), jobs, [&](size_t i, int worker) {
    std::optional<ImageFaces> faces;
    std::string error;
    bool read_failed = false;
    try {
      faces = engines[static_cast<size_t>(worker)]->analyze_file(files[i], embed);
    } catch (const ReadError& e) {
      error = e.what();
      read_failed = true;
    } catch (const ImageError& e) {
      error = e.what();
    } catch (const cv::Exception& e) {
      error = std::string("image processing failed: ") + e.err;
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard lock(mu);
    ++done;
    if (faces) {
      ++stats.images;
      stats.frames += faces->frames;
      stats.frames_decoded += faces->frames_decoded;
      stats.faces += faces->faces.size();
      if (cb.on_image) cb.on_image(std::move(*faces));
    } else {
      ++stats.skipped;
      if (cb.on_skip) cb.on_skip({files[i], error, read_failed});
    }
    if (cb.on_progress) cb.on_progress(done, files.size(), stats.faces);
  });
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

ScanResult scan_files(const EngineConfig& config, const Embedding& query, const std::vector<fs::path>& files,
                      const ScanOptions& options, const BatchCallbacks& callbacks) {
  ScanResult result;
  BatchCallbacks cb = callbacks;
  cb.on_image = [&](ImageFaces&& img) {
    for (auto& f : img.faces) {
      float sim = dot(query, f.embedding);
      if (sim < options.threshold) continue;
      Match m{img.path, img.width, img.height, std::move(f), sim, 0, 0};
      m.face.embedding.clear();
      m.kind = img.kind;
      result.matches.push_back(std::move(m));
    }
    if (callbacks.on_image) callbacks.on_image(std::move(img));
  };
  cb.on_skip = [&](const SkippedFile& s) {
    result.skipped.push_back(s);
    if (callbacks.on_skip) callbacks.on_skip(s);
  };
  result.stats = analyze_files(config, files, options.jobs, /*embed=*/true, cb);
  // Ties broken by path and position so the order never depends on thread timing.
  std::sort(result.matches.begin(), result.matches.end(), [](const Match& a, const Match& b) {
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    if (a.path != b.path) return a.path < b.path;
    if (a.face.time.best_ms != b.face.time.best_ms) return a.face.time.best_ms < b.face.time.best_ms;
    return a.face.box.x1 < b.face.box.x1;
  });
  if (options.top && result.matches.size() > options.top) result.matches.resize(options.top);
  std::sort(result.skipped.begin(), result.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
  return result;
}

}  // namespace facesearch
