// Verifying installed model files: sizes and sha256 against the manifest.
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <stdexcept>

#include "models/model_pack.hpp"

namespace fs = std::filesystem;

namespace facesearch {

std::string_view file_state_name(FileState s) {
  switch (s) {
    case FileState::Missing: return "missing";
    case FileState::SizeMismatch: return "wrong size";
    case FileState::HashMismatch: return "sha256 mismatch";
    case FileState::Unpinned: return "no sha256 recorded";
    case FileState::Ok: return "ok";
  }
  return "?";
}

static std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = digits[d[i] >> 4];
    s[2 * i + 1] = digits[d[i] & 15];
  }
  return s;
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return to_hex(md, len);
}

std::map<std::string, FileState> verify_pack(const ModelPack& pack, const fs::path& dir) {
  std::map<std::string, FileState> out;
  for (const auto& [role, f] : pack.files) {
    fs::path p = dir / f.name;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      out[role] = FileState::Missing;
    } else if (f.sha256.empty()) {
      out[role] = FileState::Unpinned;
    } else if (f.size && fs::file_size(p, ec) != f.size) {
      out[role] = FileState::SizeMismatch;
    } else if (sha256_file(p) != f.sha256) {
      out[role] = FileState::HashMismatch;
    } else {
      out[role] = FileState::Ok;
    }
  }
  return out;
}

std::map<std::string, fs::path> require_pack(const ModelPack& pack, const fs::path& root) {
  fs::path dir = pack_dir(pack, root);
  std::map<std::string, fs::path> paths;
  for (const auto& [role, state] : verify_pack(pack, dir)) {
    const auto& f = pack.files.at(role);
    if (state == FileState::SizeMismatch || state == FileState::HashMismatch) {
      throw std::runtime_error("model pack '" + pack.id + "': refusing " + (dir / f.name).string() + ": " +
                               std::string(file_state_name(state)) + " (expected sha256 " + f.sha256 +
                               "); the file is corrupt or not the one the pack was made with: reinstall it with " +
                               (pack.builtin ? "`facesearch models fetch " + pack.id + "`" : "`facesearch models add`"));
    }
    if (state != FileState::Ok) {
      throw std::runtime_error("model pack '" + pack.id + "': " + (dir / f.name).string() + " is " +
                               std::string(file_state_name(state)) +
                               "; install it with `facesearch models fetch " + pack.id +
                               "` (or set FACESEARCH_MODELS to where it is installed)");
    }
    paths[role] = dir / f.name;
  }
  return paths;
}

}  // namespace facesearch
