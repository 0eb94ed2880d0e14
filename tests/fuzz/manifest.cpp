// libFuzzer target: the model manifest parser (ModelPack::from_json, src/models/manifest.cpp), which reads
// models/*.json and the manifests `models add` / `models fetch --no-verify` install in the models folder.
#include <cstddef>
#include <cstdint>
#include <exception>

#include <nlohmann/json.hpp>

#include "models/model_pack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const facesearch::ModelPack pack = facesearch::ModelPack::from_json(j);
    (void)pack.fingerprint();
    (void)pack.fully_pinned();
    // What an installed manifest is written as must read back as the same pack.
    const nlohmann::json written = pack.to_json();
    if (facesearch::ModelPack::from_json(written).to_json() != written) __builtin_trap();
  } catch (const std::exception&) {
    // Refused (nlohmann type and range errors, bad numbers, bad file names): what a bad manifest gets.
  }
  return 0;
}
