// Similarity of embeddings: the project's one dot product (the best SIMD kernel this CPU has) and one L2
// normalisation. Embeddings are L2-normalised, so their dot product is their cosine similarity.
#pragma once

#include <span>

namespace facesearch {

// Over the common length of a and b.
float dot(std::span<const float> a, std::span<const float> b);
// Scales v to unit length (a zero vector stays zero), summing squares in double.
void l2_normalize(std::span<float> v);

}  // namespace facesearch
