// Grouping faces into persons: the clustering core, independent of any storage, so it runs on plain
// (id, group, embedding) rows as well as on a library.
//
// Algorithm (density-based on cosine distance, neighbours from an HNSW graph, never all pairs):
//  1. For every free face, its k nearest neighbours with similarity >= link_similarity (the eps-neighbourhood).
//  2. Edge strength is the HDBSCAN mutual-reachability similarity min(s(a,b), core(a), core(b)), core(x) being
//     the similarity of x's (min_samples - 1)-th neighbour; faces without any neighbour are noise.
//  3. Edges are taken strongest first (Kruskal, as HDBSCAN walks its spanning tree). Two groups join only if
//     - their mean cross-similarity (exact, from running sums of the unit vectors) is >= mean_similarity, raised
//       towards single_join_similarity when a side is small (a single face: one noisy comparison): this stops the
//       single-link chaining that makes plain DBSCAN glue different people together (or, for a single face and a
//       group of >= dense_join_links faces: it is an eps-neighbour of every one);
//     - no photo has a face on both sides (two faces of one photo are never one person);
//     - they are not two different existing persons, and no face on one side rejects the other's person.
//  4. Groups of free faces with fewer than min_faces faces stay unassigned.
// Faces that already belong to a person are seeds: free faces may join them, they never move or merge.
//  5. Low-quality free faces (tiny, blurry, side-on, background: people/quality.hpp) take no part in 1-4: they never
//     seed a group nor join or bridge two. Afterwards each is attached to the one person or new group it clearly
//     matches (mean similarity to its faces >= attach_similarity, stricter than mean_similarity), else stays alone.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vector/vector_index.hpp"

namespace facesearch {
struct ModelPack;
}

namespace facesearch::people {

using PersonId = std::int64_t;

struct ClusterFaces {
  int dim = 0;
  std::vector<FaceId> ids;
  std::vector<std::int64_t> groups;  // the photo: faces of one group are never one person
  std::vector<PersonId> persons;     // the person a face is fixed to (a seed), 0 when free
  std::vector<float> vectors;        // row i belongs to ids[i]; L2-normalised
  std::vector<std::uint8_t> low_quality;  // 1: may only be attached afterwards (step 5)

  size_t size() const { return ids.size(); }
  std::span<const float> vector(size_t i) const { return {vectors.data() + i * static_cast<size_t>(dim), static_cast<size_t>(dim)}; }
  void add(FaceId id, std::int64_t group, std::span<const float> embedding, PersonId person = 0,
           bool low_quality_face = false);
};

// "This face is not that person" (a user decision).
struct Reject {
  FaceId face = 0;
  PersonId person = 0;
};

struct ClusterParams {
  float link_similarity = 0.338f;  // eps: a link is a match at the pack's FAR 1e-3 threshold...
  float mean_similarity = 0.412f;  // ...and groups join only if they match on average at its FAR 1e-4 threshold
  // A single face needs this mean to join (or pair with) a group; groups whose smaller side has k faces need
  // mean + (single - mean) / sqrt(k). Measured on LFW (docs/PEOPLE.md): uniform 0.412 gives precision 0.916.
  float single_join_similarity = 0.44f;
  size_t neighbors = 32;           // k of the neighbour search
  size_t min_samples = 2;          // density: a face needs min_samples - 1 neighbours to link (2: a pair is enough)
  size_t min_faces = 2;            // smallest new person
  size_t dense_join_links = 4;     // a face linked to every face of a group this large may join it below the mean
  float attach_similarity = 0.45f;  // a low-quality face's mean similarity to the person it is attached to
  unsigned threads = 2;

  // Defaults from the pack's calibrated thresholds (far_1e-3 for links, far_1e-4 for the mean).
  static ClusterParams from_pack(const ModelPack& pack);
};

struct ClusterResult {
  // Parallel to the input: the seed's person or an existing person a free face joined (> 0), a new group
  // (-1, -2, ... numbered from 1), or 0 (unassigned: noise, or a group smaller than min_faces).
  std::vector<PersonId> persons;
  size_t new_persons = 0;
  size_t joined = 0;  // free faces that joined an existing person
  size_t attached = 0;  // low-quality faces attached to a person or new group (step 5)
  size_t edges = 0;   // candidate links examined
};

// `index`, when given, must hold (at least) these faces under the same ids (e.g. the library's HNSW file); ids it
// returns that are not in `faces` are ignored. Without it an HNSW index of the faces is built here.
ClusterResult cluster_faces(const ClusterFaces& faces, const std::vector<Reject>& rejects, const ClusterParams& params,
                            const VectorIndex* index = nullptr);

// Pairwise agreement of a clustering with the truth: over all pairs of items, precision = pairs put together that
// belong together / pairs put together; recall = pairs put together that belong together / pairs that belong
// together. A predicted label of 0 means "alone" (a cluster of one).
struct PairwiseScores {
  double precision = 0, recall = 0;
  std::uint64_t predicted_pairs = 0, true_pairs = 0, correct_pairs = 0;
  size_t predicted_clusters = 0;  // clusters of >= 2 items
  size_t true_clusters = 0;       // true groups of >= 2 items
};
PairwiseScores pairwise_scores(std::span<const PersonId> predicted, std::span<const std::int64_t> truth);

}  // namespace facesearch::people
