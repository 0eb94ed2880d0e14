// The index reconciler: brings a catalog in line with the files under some folders. Files are compared by size and
// mtime, then by content hash, and end up unchanged, touched (new mtime, same bytes), moved or copied (same bytes
// as a known image: its faces are kept or copied, nothing is analysed), new or changed (analysed), or removed.
// The analysis is injected, so the reconciler runs against any Storage with any analysis (tests use fakes).
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "engine/batch.hpp"
#include "library/library.hpp"

namespace facesearch {

class Storage;

// Analyses `files`, reporting each through callbacks.on_image (with embeddings) or callbacks.on_skip.
using AnalyzeFiles = std::function<void(const std::vector<std::filesystem::path>& files, const BatchCallbacks& callbacks)>;

// `roots` must be absolute and normal. `jobs` threads hash files. The caller's callbacks see every analysed image
// and every unusable file (after it is recorded). Does not call Storage::after_index.
IndexReport reconcile(Storage& store, const std::vector<std::filesystem::path>& roots, int jobs,
                      const AnalyzeFiles& analyze, const BatchCallbacks& callbacks = {});

}  // namespace facesearch
