#include "people/cluster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "models/model_pack.hpp"
#include "util/parallel.hpp"

namespace facesearch::people {

void ClusterFaces::add(FaceId id, std::int64_t group, std::span<const float> embedding, PersonId person,
                       bool low_quality_face) {
  if (dim == 0) dim = static_cast<int>(embedding.size());
  if (embedding.size() != static_cast<size_t>(dim)) throw std::invalid_argument("embedding of another dimension");
  ids.push_back(id);
  groups.push_back(group);
  persons.push_back(person);
  low_quality.push_back(low_quality_face ? 1 : 0);
  vectors.insert(vectors.end(), embedding.begin(), embedding.end());
}

ClusterParams ClusterParams::from_pack(const ModelPack& pack) {
  ClusterParams p;
  auto get = [&](const char* key, float fallback) {
    auto it = pack.thresholds.find(key);
    return it == pack.thresholds.end() ? fallback : static_cast<float>(it->second);
  };
  p.link_similarity = get("far_1e-3", static_cast<float>(pack.default_threshold()));
  p.mean_similarity = get("far_1e-4", p.link_similarity);
  // The margin measured on LFW for the default pack (0.412 -> 0.44); a pack-relative offset, no calibrated point.
  p.single_join_similarity = p.mean_similarity + 0.028f;
  return p;
}

namespace {

// The mean cross-similarity two groups need to join: single_join_similarity when one side is a single face (one
// comparison, the noisiest evidence), falling towards mean_similarity as the smaller side grows (a mean over k
// faces varies ~1/sqrt(k) as much).
float join_threshold(const ClusterParams& params, size_t count_a, size_t count_b) {
  const double k = static_cast<double>(std::max<size_t>(1, std::min(count_a, count_b)));
  const double extra = std::max(0.f, params.single_join_similarity - params.mean_similarity);
  return static_cast<float>(params.mean_similarity + extra / std::sqrt(k));
}

struct Edge {
  float similarity;
  std::uint32_t a, b;
};

// A growing person: running sum of unit vectors (for the exact mean cross-similarity) and what constrains it.
struct Group {
  std::vector<float> sum;
  std::vector<std::uint32_t> members;
  size_t count = 0;
  PersonId person = 0;
  std::unordered_set<std::int64_t> photos;
  std::unordered_set<PersonId> rejected;
};

class Groups {
 public:
  Groups(const ClusterFaces& faces, const std::vector<Reject>& rejects)
      : faces_(faces), parent_(faces.size()), groups_(faces.size()) {
    std::iota(parent_.begin(), parent_.end(), 0u);
    std::unordered_map<FaceId, size_t> row;
    for (size_t i = 0; i < faces.size(); ++i) row.emplace(faces.ids[i], i);
    for (size_t i = 0; i < faces.size(); ++i) {
      auto v = faces.vector(i);
      groups_[i].sum.assign(v.begin(), v.end());
      groups_[i].count = 1;
      groups_[i].members = {static_cast<std::uint32_t>(i)};
      groups_[i].person = faces.persons[i];
      groups_[i].photos.insert(faces.groups[i]);
    }
    for (const auto& r : rejects)
      if (auto it = row.find(r.face); it != row.end()) groups_[it->second].rejected.insert(r.person);
    // Seeds of one person start as one group, whatever their similarity.
    std::unordered_map<PersonId, std::uint32_t> first;
    for (std::uint32_t i = 0; i < faces.size(); ++i)
      if (PersonId p = faces.persons[i]; p != 0) {
        auto [it, fresh] = first.emplace(p, i);
        if (!fresh) unite(find(it->second), find(i));
      }
  }

  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  // Without path compression: safe from several threads once the groups are final.
  std::uint32_t find_const(std::uint32_t x) const {
    while (parent_[x] != x) x = parent_[x];
    return x;
  }
  const Group& operator[](std::uint32_t root) const { return groups_[root]; }

  // Mean similarity of face `i` to the group, or -2 when a constraint forbids it to be there (a face of the same
  // photo, or the face rejects the group's person). `extra_photos` are photos of faces attached to it since.
  float attach_score(std::uint32_t i, std::uint32_t root, const std::unordered_set<std::int64_t>& extra_photos) const {
    const Group& g = groups_[root];
    const std::int64_t photo = faces_.groups[i];
    if (g.photos.count(photo) || extra_photos.count(photo)) return -2.f;
    if (g.person && groups_[i].rejected.count(g.person)) return -2.f;
    auto v = faces_.vector(i);
    double cross = 0;
    for (size_t d = 0; d < v.size(); ++d) cross += static_cast<double>(v[d]) * g.sum[d];
    return static_cast<float>(cross / static_cast<double>(g.count));
  }

  bool may_join(std::uint32_t a, std::uint32_t b, const ClusterParams& params, float mean_similarity) const {
    const Group& ga = groups_[a];
    const Group& gb = groups_[b];
    if (ga.person && gb.person) return false;  // two persons are merged only by the user
    if (ga.person && gb.rejected.count(ga.person)) return false;
    if (gb.person && ga.rejected.count(gb.person)) return false;
    const Group& small = ga.photos.size() < gb.photos.size() ? ga : gb;
    const Group& large = &small == &ga ? gb : ga;
    for (auto photo : small.photos)
      if (large.photos.count(photo)) return false;
    double cross = 0;
    for (size_t d = 0; d < ga.sum.size(); ++d) cross += static_cast<double>(ga.sum[d]) * gb.sum[d];
    const double pairs = static_cast<double>(ga.count) * static_cast<double>(gb.count);
    if (cross / pairs >= mean_similarity) return true;
    // A single face that is an eps-neighbour of every face of a group of at least dense_join_links faces joins it
    // even below the stricter mean: several independent matches are strong evidence (a harder photo of a person).
    if (std::min(ga.count, gb.count) != 1 || std::max(ga.count, gb.count) < params.dense_join_links) return false;
    const Group& single = ga.count == 1 ? ga : gb;
    const Group& group = ga.count == 1 ? gb : ga;
    auto u = faces_.vector(single.members.front());
    for (auto y : group.members) {
      auto v = faces_.vector(y);
      float sim = 0;
      for (size_t d = 0; d < u.size(); ++d) sim += u[d] * v[d];
      if (sim < params.link_similarity) return false;
    }
    return true;
  }

  void unite(std::uint32_t a, std::uint32_t b) {
    if (groups_[a].count < groups_[b].count) std::swap(a, b);  // small into large
    Group& into = groups_[a];
    Group& from = groups_[b];
    for (size_t d = 0; d < into.sum.size(); ++d) into.sum[d] += from.sum[d];
    into.count += from.count;
    into.members.insert(into.members.end(), from.members.begin(), from.members.end());
    if (!into.person) into.person = from.person;
    into.photos.insert(from.photos.begin(), from.photos.end());
    into.rejected.insert(from.rejected.begin(), from.rejected.end());
    from = Group{};
    parent_[b] = a;
  }

 private:

  const ClusterFaces& faces_;
  std::vector<std::uint32_t> parent_;
  std::vector<Group> groups_;
};

}  // namespace

ClusterResult cluster_faces(const ClusterFaces& faces, const std::vector<Reject>& rejects, const ClusterParams& params,
                            const VectorIndex* index) {
  const size_t n = faces.size();
  ClusterResult result;
  result.persons.assign(n, 0);
  if (n == 0) return result;
  if (faces.vectors.size() != n * static_cast<size_t>(faces.dim) || faces.groups.size() != n || faces.persons.size() != n ||
      (faces.low_quality.size() != n && !faces.low_quality.empty()))
    throw std::invalid_argument("cluster_faces: inconsistent input");
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("cluster_faces: too many faces");

  std::unordered_map<FaceId, std::uint32_t> row;
  row.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) row.emplace(faces.ids[i], i);

  std::unique_ptr<VectorIndex> own;
  if (!index) {
    own = make_hnsw_index(faces.dim, HnswParams{.M = 16, .ef_construction = 100, .ef_search = 0, .initial_capacity = n});
    own->add_batch(faces.ids, faces.vectors, std::max(1u, params.threads));
    index = own.get();
  }

  // 1. eps-neighbourhoods of the free faces (seeds do not need theirs: nothing moves them). Low-quality free faces
  //    are nobody's neighbour: they are only attached at the end (step 5).
  // Low-quality faces already in a person (attached earlier, or put there by the user) stay in its mean but are
  // nobody's neighbour either: they must not pull free faces in.
  auto low = [&](std::uint32_t i) { return !faces.low_quality.empty() && faces.low_quality[i] != 0; };
  auto gated = [&](std::uint32_t i) { return low(i) && !faces.persons[i]; };
  std::vector<std::uint32_t> free_rows, gated_rows;
  for (std::uint32_t i = 0; i < n; ++i)
    if (!faces.persons[i]) (gated(i) ? gated_rows : free_rows).push_back(i);
  const bool any_low = std::any_of(faces.low_quality.begin(), faces.low_quality.end(), [](auto q) { return q != 0; });
  const size_t ask = params.neighbors + 1 + (any_low ? params.neighbors : 0);  // room for the ones dropped
  std::vector<std::vector<Neighbor>> neighbors(n);
  auto neighbours_of = [&](std::uint32_t i) {
    auto found = index->search(faces.vector(i), ask, params.link_similarity);
    std::erase_if(found, [&](const Neighbor& nb) {
      auto it = row.find(nb.id);
      return nb.id == faces.ids[i] || it == row.end() || low(it->second);
    });
    if (found.size() > params.neighbors) found.resize(params.neighbors);
    return found;
  };
  parallel_for(free_rows.size(), static_cast<int>(std::max(1u, params.threads)),
               [&](size_t k, int) { neighbors[free_rows[k]] = neighbours_of(free_rows[k]); });

  // 2. Mutual-reachability edges. A seed is dense by construction (core similarity 1).
  auto core = [&](std::uint32_t i) -> float {
    if (faces.persons[i]) return 1.f;
    if (params.min_samples <= 1) return 1.f;
    const auto& nb = neighbors[i];
    return nb.size() >= params.min_samples - 1 ? nb[params.min_samples - 2].similarity : -2.f;
  };
  std::vector<Edge> edges;
  for (std::uint32_t i : free_rows)
    for (const auto& nb : neighbors[i]) {
      const std::uint32_t j = row.at(nb.id);
      const float s = std::min({nb.similarity, core(i), core(j)});
      if (s >= params.link_similarity) edges.push_back({s, std::min(i, j), std::max(i, j)});
    }
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
    return x.similarity != y.similarity ? x.similarity > y.similarity : std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });
  result.edges = edges.size();

  // 3. Strongest links first, each checked against the mean similarity and the constraints.
  Groups groups(faces, rejects);
  for (const auto& e : edges) {
    std::uint32_t a = groups.find(e.a), b = groups.find(e.b);
    if (a == b || !groups.may_join(a, b, params, join_threshold(params, groups[a].count, groups[b].count))) continue;
    groups.unite(a, b);
  }

  // 4. Labels: persons for seeds and what joined them, new groups numbered in input order.
  std::unordered_map<std::uint32_t, PersonId> new_label;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t r = groups.find(i);
    const Group& g = groups[r];
    if (g.person) {
      result.persons[i] = g.person;
      if (!faces.persons[i]) ++result.joined;
    } else if (g.count >= std::max<size_t>(params.min_faces, 1)) {
      auto [it, fresh] = new_label.emplace(r, -static_cast<PersonId>(new_label.size() + 1));
      result.persons[i] = it->second;
    }
  }
  result.new_persons = new_label.size();

  // 5. Low-quality faces: attached to the labelled group they match best on average, when that is clear enough;
  //    they do not change the groups, so they never bridge two. Strongest matches are placed first.
  std::vector<std::pair<float, std::uint32_t>> best(gated_rows.size(), {-2.f, 0});
  parallel_for(gated_rows.size(), static_cast<int>(std::max(1u, params.threads)), [&](size_t k, int) {
    const std::uint32_t i = gated_rows[k];
    for (const auto& nb : neighbours_of(i)) {
      const std::uint32_t r = groups.find_const(row.at(nb.id));
      if (!groups[r].person && !new_label.count(r)) continue;
      if (float s = groups.attach_score(i, r, {}); s > best[k].first) best[k] = {s, r};
    }
  });
  std::vector<size_t> order(gated_rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return best[x].first > best[y].first; });
  std::unordered_map<std::uint32_t, std::unordered_set<std::int64_t>> attached_photos;
  for (size_t k : order) {
    const auto [score, r] = best[k];
    const std::uint32_t i = gated_rows[k];
    if (score < params.attach_similarity) break;
    if (groups.attach_score(i, r, attached_photos[r]) < params.attach_similarity) continue;  // a photo taken since
    attached_photos[r].insert(faces.groups[i]);
    result.persons[i] = groups[r].person ? groups[r].person : new_label.at(r);
    if (groups[r].person) ++result.joined;
    ++result.attached;
  }
  return result;
}

PairwiseScores pairwise_scores(std::span<const PersonId> predicted, std::span<const std::int64_t> truth) {
  if (predicted.size() != truth.size()) throw std::invalid_argument("pairwise_scores: sizes differ");
  auto pairs = [](std::uint64_t k) { return k * (k - 1) / 2; };
  std::map<PersonId, std::uint64_t> by_predicted;
  std::map<std::int64_t, std::uint64_t> by_truth;
  std::map<std::pair<PersonId, std::int64_t>, std::uint64_t> both;
  for (size_t i = 0; i < predicted.size(); ++i) {
    ++by_truth[truth[i]];
    if (predicted[i] == 0) continue;  // alone: part of no predicted pair
    ++by_predicted[predicted[i]];
    ++both[{predicted[i], truth[i]}];
  }
  PairwiseScores s;
  for (auto& [label, k] : by_predicted) {
    s.predicted_pairs += pairs(k);
    if (k >= 2) ++s.predicted_clusters;
  }
  for (auto& [label, k] : by_truth) {
    s.true_pairs += pairs(k);
    if (k >= 2) ++s.true_clusters;
  }
  for (auto& [key, k] : both) s.correct_pairs += pairs(k);
  s.precision = s.predicted_pairs ? static_cast<double>(s.correct_pairs) / s.predicted_pairs : 1.0;
  s.recall = s.true_pairs ? static_cast<double>(s.correct_pairs) / s.true_pairs : 1.0;
  return s;
}

}  // namespace facesearch::people
