#include "media/video_decoder.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace facesearch {

namespace {

// Beside the running program first (the installed layout and the build tree's facesearch), then beside the shared
// object this code is linked into (the Python package's extension, whose program is python), then the build tree
// this code was compiled in (test programs live in a subdirectory of it).
std::vector<std::filesystem::path> module_candidates() {
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path() / kVideoModuleName);
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&module_candidates), &self) && self.dli_fname)
    dirs.push_back(std::filesystem::path(self.dli_fname).parent_path() / kVideoModuleName);
  dirs.push_back(std::filesystem::path(FACESEARCH_BUILD_DIR) / kVideoModuleName);
  return dirs;
}

OpenVideoDecoderFn* load_module() {
  static std::once_flag once;
  static OpenVideoDecoderFn* entry = nullptr;
  std::call_once(once, [] {
    for (const auto& path : module_candidates()) {
      // Never unloaded: decoders made by it may live until the end of the run.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) continue;
      if ((entry = reinterpret_cast<OpenVideoDecoderFn*>(dlsym(handle, kVideoModuleEntry)))) return;
    }
  });
  return entry;
}

}  // namespace

std::unique_ptr<VideoDecoder> open_video_decoder(const std::filesystem::path& path, const DecodeOptions& options) {
  OpenVideoDecoderFn* open = load_module();
  if (!open)
    throw ImageError(std::string("video decoding is not available: ") + kVideoModuleName +
                     " not found beside the program");
  return std::unique_ptr<VideoDecoder>(open(path, options));
}

}  // namespace facesearch
