// HNSW index on Debian's hnswlib (0.6.x, header-only), with our own distance kernel, per-query beam width and
// a checked file format.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

// hnswlib.h defines a few functions and function-pointer variables non-inline at namespace scope: give them
// private names so that another translation unit of the program may include hnswlib too without duplicate
// symbols at link time.
#include <cpuid.h>
#include <x86intrin.h>
#define cpuid facesearch_hnswlib_cpuid
#define xgetbv facesearch_hnswlib_xgetbv
#define AVXCapable facesearch_hnswlib_AVXCapable
#define AVX512Capable facesearch_hnswlib_AVX512Capable
#define InnerProductSIMD16Ext facesearch_hnswlib_InnerProductSIMD16Ext
#define InnerProductSIMD4Ext facesearch_hnswlib_InnerProductSIMD4Ext
#define InnerProductDistanceSIMD16Ext facesearch_hnswlib_InnerProductDistanceSIMD16Ext
#define InnerProductDistanceSIMD4Ext facesearch_hnswlib_InnerProductDistanceSIMD4Ext
#define L2SqrSIMD16Ext facesearch_hnswlib_L2SqrSIMD16Ext
// hnswlib's SSE path prefetches the next neighbour's data while scanning a link list, and for the last link of a
// full list it reads the one after it: 4 bytes past the list's allocation (a harmless load that only feeds a
// prefetch hint, but AddressSanitizer rightly reports it). The sanitizer build turns that path off; our own
// distance kernels do not depend on it.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MANUAL_VECTORIZATION
#endif
#endif
#include <hnswlib/hnswlib.h>
#undef cpuid
#undef xgetbv
#undef AVXCapable
#undef AVX512Capable
#undef InnerProductSIMD16Ext
#undef InnerProductSIMD4Ext
#undef InnerProductDistanceSIMD16Ext
#undef InnerProductDistanceSIMD4Ext
#undef L2SqrSIMD16Ext

#include "vector/file_io.hpp"
#include "vector/hnsw_file.hpp"
#include "vector/kernels.hpp"
#include "vector/top_k.hpp"
#include "util/parallel.hpp"
#include "vector/vector_file.hpp"
#include "vector/vector_index.hpp"

namespace facesearch {

namespace {

// Default beam width floor: at 1M faces ef 128 gave recall@10 0.942-0.956 (on the 0.95 bar), 256 gave 0.987 for
// 2.4 ms a query (docs/VECTOR.md), well inside the 5 ms budget.
constexpr std::size_t kMinEf = 256;


namespace vd = vector_detail;
namespace fs = std::filesystem;
using Graph = hnswlib::HierarchicalNSW<float>;
using hnswlib::tableint;
using vd::FileReader;
using vd::FileWriter;
using vd::GraphHeader;
using vd::sync_directory;
using vd::throw_errno;
// GraphHeader (hnsw_file.hpp) checks the layout with hnswlib's type sizes written out.
static_assert(sizeof(tableint) == sizeof(std::uint32_t) && sizeof(hnswlib::linklistsizeint) == sizeof(std::uint32_t) &&
              sizeof(hnswlib::labeltype) == sizeof(std::size_t));

// hnswlib's InnerProductSpace picks its kernel at compile time (SSE only in a baseline build); this one uses
// the runtime-dispatched AVX2/FMA kernel. Same distance: 1 - dot.
class InnerProductSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit InnerProductSpace(std::size_t dim) : dim_(dim) {}
  std::size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return vd::inner_product_distance(); }
  void* get_dist_func_param() override { return &dim_; }

 private:
  std::size_t dim_;
};

// In a graph over stored rows a node's data is 8 bytes: its row number in the embeddings file. The query of a
// search is passed as its address with the top bit set (no user-space address has it).
constexpr std::uint64_t kQueryTag = std::uint64_t{1} << 63;

struct StoredRowsParam {
  const StoredRows* rows = nullptr;
  std::size_t dim = 0;
  vd::DotF16 dot_query = vd::dot_f16();
  vd::DotF16F16 dot_rows = vd::dot_f16_f16();
};

std::uint64_t item_of(const void* data) {
  std::uint64_t item;
  std::memcpy(&item, data, sizeof item);
  return item;
}

float stored_rows_distance(const void* a, const void* b, const void* param) {
  const auto& p = *static_cast<const StoredRowsParam*>(param);
  std::uint64_t x = item_of(a), y = item_of(b);
  if (y & kQueryTag) std::swap(x, y);
  if (x & kQueryTag)
    return 1.f - p.dot_query(reinterpret_cast<const float*>(x & ~kQueryTag), p.rows->halves(y), p.dim);
  return 1.f - p.dot_rows(p.rows->halves(x), p.rows->halves(y), p.dim);
}

class StoredRowsSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit StoredRowsSpace(std::size_t dim) { param_.dim = dim; }
  std::size_t get_data_size() override { return sizeof(std::uint64_t); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return stored_rows_distance; }
  void* get_dist_func_param() override { return &param_; }
  void attach(const StoredRows* rows) { param_.rows = rows; }

 private:
  StoredRowsParam param_;
};

// The space of a graph over stored rows (`stored` points at it) or of one whose nodes hold their vectors.
std::unique_ptr<hnswlib::SpaceInterface<float>> make_space(std::size_t dim, bool over_rows, StoredRowsSpace*& stored) {
  stored = nullptr;
  if (!over_rows) return std::make_unique<InnerProductSpace>(dim);
  auto space = std::make_unique<StoredRowsSpace>(dim);
  stored = space.get();
  return space;
}

hnswlib::labeltype to_label(FaceId id) { return static_cast<hnswlib::labeltype>(id); }
FaceId to_id(hnswlib::labeltype label) { return static_cast<FaceId>(label); }

class HnswIndex final : public VectorIndex {
 public:
  // Over `rows` (nodes hold row numbers) when given, else each node holds its own vector.
  HnswIndex(int dim, const HnswParams& params, std::shared_ptr<const StoredRows> rows = nullptr)
      : dim_(dim), ef_search_(params.ef_search) {
    if (dim <= 0) throw std::invalid_argument("vector index: dimension must be positive");
    if (params.M < 2 || params.M > 10000) throw std::invalid_argument("hnsw index: M must be in [2, 10000]");
    space_ = make_space(static_cast<std::size_t>(dim), rows != nullptr, stored_);
    if (stored_) attach_locked(std::move(rows));
    graph_ = std::make_unique<Graph>(space_.get(), std::max<std::size_t>(params.initial_capacity, 1),
                                     params.M, params.ef_construction);
  }

  int dim() const override { return dim_; }

  std::size_t size() const override {
    std::shared_lock lock(mutex_);
    return live_locked();
  }

  void add(FaceId id, std::span<const float> vector) override {
    check_vectors_held("add");
    check_dim(vector.size(), "add");
    std::unique_lock lock(mutex_);
    add_locked(id, vector.data());
  }

  void add_batch(std::span<const FaceId> ids, std::span<const float> vectors, unsigned threads) override {
    check_vectors_held("add_batch");
    const auto d = static_cast<std::size_t>(dim_);
    if (vectors.size() != ids.size() * d)
      throw std::invalid_argument("vector index: add_batch needs ids.size() rows");
    std::unique_lock lock(mutex_);
    add_items_locked(ids, reinterpret_cast<const char*>(vectors.data()), d * sizeof(float), threads);
  }

  // Points the graph at `rows` (the same file, mapped further) and adds its rows from `first` on.
  void add_rows(std::shared_ptr<const StoredRows> rows, std::size_t first, unsigned threads) {
    if (!stored_) throw std::logic_error("add_stored_rows: this HNSW index holds its own vectors");
    if (rows->dim() != dim_) throw std::invalid_argument("add_stored_rows: rows of another dimension");
    std::unique_lock lock(mutex_);
    attach_locked(rows);
    std::vector<std::uint64_t> items;
    std::vector<FaceId> ids;
    for (std::size_t row = first; row < rows->count(); ++row) {
      items.push_back(row);
      ids.push_back(rows->id(row));
    }
    add_items_locked(ids, reinterpret_cast<const char*>(items.data()), sizeof(std::uint64_t), threads);
  }

 private:
  // Nodes for `ids`; item i (`item_bytes` from `items`) is the data of ids[i].
  void add_items_locked(std::span<const FaceId> ids, const char* items, std::size_t item_bytes, unsigned threads) {
    // Rows whose id is new go into the graph in parallel; hnswlib's addPoint is built for concurrent inserts
    // once the capacity is reserved (its Python bindings do the same). One caveat of 0.6: the level of a new
    // node comes from a generator shared without a lock, so racing inserts may draw the same level; the level
    // distribution, and so the graph's quality, is unaffected. Re-added ids (and repeats within the batch)
    // are updates: done one by one, last wins.
    std::unordered_map<FaceId, std::size_t> last_row;
    last_row.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) last_row[ids[i]] = i;
    std::vector<std::size_t> fresh, updates;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (last_row[ids[i]] != i) continue;
      (graph_->label_lookup_.count(to_label(ids[i])) ? updates : fresh).push_back(i);
    }
    reserve_locked(graph_->cur_element_count + fresh.size());
    std::size_t first = 0;
    if (graph_->cur_element_count == 0 && !fresh.empty()) {  // the first node becomes the entry point: alone
      graph_->addPoint(items + fresh[0] * item_bytes, to_label(ids[fresh[0]]));
      first = 1;
    }
    const std::size_t count = fresh.size() - first;
    parallel_for(count, static_cast<int>(std::max(threads, 1u)), [&](std::size_t j, int) {
      graph_->addPoint(items + fresh[first + j] * item_bytes, to_label(ids[fresh[first + j]]));
    });
    for (const std::size_t i : updates) add_locked(ids[i], items + i * item_bytes);
  }

 public:
  void remove(FaceId id) override {
    std::unique_lock lock(mutex_);
    const auto it = graph_->label_lookup_.find(to_label(id));
    if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) return;
    graph_->markDeletedInternal(it->second);
  }

  std::vector<Neighbor> search(std::span<const float> query, std::size_t k,
                               float min_similarity) const override {
    check_dim(query.size(), "search");
    std::shared_lock lock(mutex_);
    k = std::min(k, live_locked());
    if (k == 0) return {};
    const std::size_t fixed_ef = ef_search_.load(std::memory_order_relaxed);
    const std::size_t ef = std::max(k, fixed_ef > 0 ? fixed_ef : std::max<std::size_t>(k * 4, kMinEf));
    const Graph& g = *graph_;
    // Over stored rows the distance function takes 8-byte items: the query goes in as its tagged address.
    const std::uint64_t query_item = reinterpret_cast<std::uintptr_t>(query.data()) | kQueryTag;
    const void* q = stored_ ? static_cast<const void*>(&query_item) : query.data();

    // hnswlib's searchKnn reads the beam width from the index (setEf), which would race between threads; this
    // is the same walk with ef passed in: greedy descent through the upper layers, then a beam search of
    // layer 0.
    tableint current = g.enterpoint_node_;
    float current_distance = g.fstdistfunc_(q, g.getDataByInternalId(current), g.dist_func_param_);
    for (int level = g.maxlevel_; level > 0; --level) {
      for (bool moved = true; moved;) {
        moved = false;
        hnswlib::linklistsizeint* list = g.get_linklist(current, level);
        const auto* neighbours = reinterpret_cast<const tableint*>(list + 1);
        for (std::size_t i = 0, n = g.getListCount(list); i < n; ++i) {
          const float distance = g.fstdistfunc_(q, g.getDataByInternalId(neighbours[i]), g.dist_func_param_);
          if (distance < current_distance) {
            current_distance = distance;
            current = neighbours[i];
            moved = true;
          }
        }
      }
    }
    auto candidates = g.num_deleted_ > 0 ? g.searchBaseLayerST<true>(current, q, ef)
                                         : g.searchBaseLayerST<false>(current, q, ef);

    // Re-score with the exact index's kernel so both report identical similarities, then order by
    // (similarity, id).
    const auto dot = vd::dot_f32();
    const auto dot_row = vd::dot_f16();
    vd::TopK top(k, candidates.size());
    for (; !candidates.empty(); candidates.pop()) {
      const tableint internal = candidates.top().second;
      const char* data = g.getDataByInternalId(internal);
      const float s = stored_ ? dot_row(query.data(), rows_->halves(item_of(data)), query.size())
                              : dot(query.data(), reinterpret_cast<const float*>(data), query.size());
      if (s >= min_similarity) top.push({to_id(g.getExternalLabel(internal)), s});
    }
    return std::move(top).sorted();
  }

  std::string name() const override { return "hnsw"; }

  void set_ef_search(std::size_t ef) { ef_search_.store(ef, std::memory_order_relaxed); }

  std::size_t memory_bytes() const override {
    std::shared_lock lock(mutex_);
    const Graph& g = *graph_;
    const std::size_t capacity = g.max_elements_;
    // Per slot: layer-0 links + vector + label, a lock, a level, an upper-layer pointer, a visited-list
    // entry.
    std::size_t bytes = capacity * (g.size_data_per_element_ + sizeof(std::mutex) + sizeof(int) +
                                    sizeof(char*) + sizeof(hnswlib::vl_type));
    for (std::size_t i = 0; i < g.cur_element_count; ++i) {
      if (g.element_levels_[i] > 0)
        bytes += g.size_links_per_element_ * static_cast<std::size_t>(g.element_levels_[i]);
    }
    constexpr std::size_t kNodeBytes = sizeof(void*) + 2 * sizeof(std::size_t) + sizeof(tableint);
    bytes += g.label_lookup_.bucket_count() * sizeof(void*) + g.label_lookup_.size() * kNodeBytes;
    bytes += Graph::max_update_element_locks * sizeof(std::mutex);
    return bytes;
  }

  void save(const fs::path& file) const;
  static std::unique_ptr<VectorIndex> load(const fs::path& file, int dim, const HnswParams& params,
                                           std::shared_ptr<const StoredRows> rows);

 private:
  HnswIndex(int dim, std::size_t ef_search, std::unique_ptr<hnswlib::SpaceInterface<float>> space,
            StoredRowsSpace* stored, std::shared_ptr<const StoredRows> rows, std::unique_ptr<Graph> graph)
      : dim_(dim), ef_search_(ef_search), space_(std::move(space)), stored_(stored), graph_(std::move(graph)) {
    if (stored_) attach_locked(std::move(rows));
  }

  void attach_locked(std::shared_ptr<const StoredRows> rows) {
    rows_ = std::move(rows);
    stored_->attach(rows_.get());
  }

  void check_vectors_held(const char* what) const {
    if (stored_)
      throw std::logic_error(std::string("hnsw index: ") + what + " on an index over stored rows (add_stored_rows)");
  }

  // Graph nodes not marked deleted.
  std::size_t live_locked() const { return graph_->cur_element_count - graph_->num_deleted_; }

  void check_dim(std::size_t n, const char* what) const {
    if (n != static_cast<std::size_t>(dim_)) {
      throw std::invalid_argument(std::string("vector index: ") + what + " with a vector of " +
                                  std::to_string(n) + " values, the index has dimension " +
                                  std::to_string(dim_));
    }
  }

  void reserve_locked(std::size_t needed) {
    if (needed <= graph_->max_elements_) return;
    if (needed >= std::numeric_limits<tableint>::max())
      throw std::length_error("hnsw index: too many vectors");
    // Doubling keeps one-by-one adds amortised O(1); a big batch gets exactly what it needs.
    const std::size_t capacity = std::max(needed, 2 * graph_->max_elements_);
    graph_->resizeIndex(std::min<std::size_t>(capacity, std::numeric_limits<tableint>::max() - 1));
  }

  void add_locked(FaceId id, const void* vector) {
    const auto label = to_label(id);
    if (const auto it = graph_->label_lookup_.find(label); it != graph_->label_lookup_.end()) {
      // hnswlib moves the existing node (updatePoint) and clears its deletion mark.
      graph_->addPoint(vector, label);
      return;
    }
    reserve_locked(graph_->cur_element_count + 1);
    graph_->addPoint(vector, label);
  }

  const int dim_;
  std::atomic<std::size_t> ef_search_;        // HnswParams::ef_search, adjustable while searches run
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;  // declared before graph_: the graph points into it
  StoredRowsSpace* stored_ = nullptr;       // space_, when the nodes hold row numbers of rows_
  std::shared_ptr<const StoredRows> rows_;
  std::unique_ptr<Graph> graph_;
  mutable std::shared_mutex mutex_;
  mutable std::mutex save_mutex_;  // two saves of one index would share the ".tmp" file
};

void HnswIndex::save(const fs::path& file) const {
  std::scoped_lock save_lock(save_mutex_);
  std::shared_lock lock(mutex_);
  const Graph& g = *graph_;
  fs::path tmp = file;
  tmp += ".tmp";
  try {
    FileWriter out(tmp);
    const unsigned char placeholder[vd::kHnswHeaderBytes] = {};
    out.write(placeholder, sizeof placeholder);
    out.start_payload();
    // Exactly hnswlib's saveIndex layout (0.6/0.7), so the payload stays loadable by hnswlib itself.
    out.put(g.offsetLevel0_, g.max_elements_, g.cur_element_count, g.size_data_per_element_, g.label_offset_,
            g.offsetData_, g.maxlevel_, g.enterpoint_node_, g.maxM_, g.maxM0_, g.M_, g.mult_, g.ef_construction_);
    out.write(g.data_level0_memory_, g.cur_element_count * g.size_data_per_element_);
    for (std::size_t i = 0; i < g.cur_element_count; ++i) {
      const auto level = static_cast<unsigned>(std::max(g.element_levels_[i], 0));
      const auto link_bytes = static_cast<unsigned>(g.size_links_per_element_ * level);
      out.put(link_bytes);
      if (link_bytes > 0) out.write(g.linkLists_[i], link_bytes);
    }
    vd::HnswFileHeader header;
    header.stored_rows = stored_ != nullptr;
    header.dim = static_cast<std::uint32_t>(dim_);
    header.elements = g.cur_element_count;
    header.live = live_locked();
    header.payload_bytes = out.payload_bytes();
    header.payload_checksum = out.payload_checksum();
    const auto bytes = vd::encode_header(header);
    out.write_at(0, bytes.data(), bytes.size());
    out.sync_and_close();
    if (::rename(tmp.c_str(), file.c_str()) != 0) throw_errno("cannot rename to", file);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  sync_directory(file.parent_path());
}

std::unique_ptr<VectorIndex> HnswIndex::load(const fs::path& file, int dim, const HnswParams& params,
                                             std::shared_ptr<const StoredRows> rows) {
  if (dim <= 0) return nullptr;
  const auto d = static_cast<std::size_t>(dim);
  FileReader in;
  if (!in.open(file)) return nullptr;
  unsigned char raw[vd::kHnswHeaderBytes];
  if (!in.read(raw, sizeof raw)) return nullptr;
  const auto header = vd::decode_header(raw);
  if (!header || header->dim != static_cast<std::uint32_t>(dim) || header->payload_bytes != in.remaining() ||
      header->stored_rows != (rows != nullptr)) {
    return nullptr;
  }
  in.start_payload();
  GraphHeader h;
  const std::size_t data_bytes = rows ? sizeof(std::uint64_t) : d * sizeof(float);
  if (!h.read(in) || !h.consistent(data_bytes) || h.elements != header->elements || header->live > h.elements)
    return nullptr;
  // Every node costs at least its layer-0 block and a 4-byte link size: bounds the allocation by the file
  // size.
  if (h.elements > in.remaining() / (h.bytes_per_element + sizeof(unsigned))) return nullptr;

  StoredRowsSpace* stored = nullptr;
  auto space = make_space(d, rows != nullptr, stored);
  const std::size_t capacity = std::max<std::size_t>({h.elements, params.initial_capacity, 1});
  auto graph = std::make_unique<Graph>(space.get(), capacity, h.m, h.ef_construction);
  if (graph->size_data_per_element_ != h.bytes_per_element || graph->offsetData_ != h.data_offset ||
      graph->label_offset_ != h.label_offset) {
    return nullptr;
  }
  if (!in.read(graph->data_level0_memory_, h.elements * h.bytes_per_element)) return nullptr;
  const std::size_t link_block = graph->size_links_per_element_;
  for (std::size_t i = 0; i < h.elements; ++i) {
    unsigned link_bytes = 0;
    if (!in.get(link_bytes) || link_bytes % link_block != 0) return nullptr;
    const std::size_t level = link_bytes / link_block;
    if (level > static_cast<std::size_t>(h.max_level) || link_bytes > in.remaining()) return nullptr;
    graph->linkLists_[i] = nullptr;
    if (level > 0) {
      graph->linkLists_[i] = static_cast<char*>(std::malloc(link_bytes));
      if (graph->linkLists_[i] == nullptr) return nullptr;
      graph->element_levels_[i] = static_cast<int>(level);
    }
    graph->cur_element_count = i + 1;  // from here the graph's destructor frees this node's links
    if (level > 0 && !in.read(graph->linkLists_[i], link_bytes)) return nullptr;
  }
  if (in.remaining() != 0 || in.payload_checksum() != header->payload_checksum) return nullptr;

  // The checksum says the bytes are the ones we wrote; the structure is checked anyway, since a search
  // follows these links without bounds checks: every neighbour must exist and reach the layer it is linked
  // on.
  std::size_t deleted = 0;
  int top_level = -1;
  auto links_ok = [&](hnswlib::linklistsizeint* list, std::size_t max_links, int level) {
    const auto* neighbours = reinterpret_cast<const tableint*>(list + 1);
    const std::size_t n = graph->getListCount(list);
    if (n > max_links) return false;
    for (std::size_t j = 0; j < n; ++j) {
      if (neighbours[j] >= h.elements || graph->element_levels_[neighbours[j]] < level) return false;
    }
    return true;
  };
  for (tableint i = 0; i < h.elements; ++i) {
    hnswlib::linklistsizeint* list0 = graph->get_linklist0(i);
    const auto* flags =
        reinterpret_cast<const unsigned char*>(list0) + 2;  // byte 2: deletion mark, byte 3: unused
    if ((flags[0] & ~Graph::DELETE_MARK) != 0 || flags[1] != 0 || !links_ok(list0, h.max_m0, 0))
      return nullptr;
    deleted += (flags[0] & Graph::DELETE_MARK) ? 1 : 0;
    const int level = graph->element_levels_[i];
    for (int l = 1; l <= level; ++l) {
      if (!links_ok(graph->get_linklist(i, l), h.max_m, l)) return nullptr;
    }
    top_level = std::max(top_level, level);
  }
  if (top_level != h.max_level || (h.elements > 0 && graph->element_levels_[h.entry_point] != h.max_level)) {
    return nullptr;
  }
  if (h.elements - deleted != header->live) return nullptr;
  graph->label_lookup_.reserve(h.elements);
  for (tableint i = 0; i < h.elements; ++i) {
    if (!graph->label_lookup_.emplace(graph->getExternalLabel(i), i).second)
      return nullptr;  // duplicate label
    // A node over stored rows must name a row of these rows that holds its own face: a graph built over another
    // file (or an older one, since rewritten) is refused.
    if (rows) {
      const std::uint64_t row = item_of(graph->getDataByInternalId(i));
      if (row >= rows->count() || rows->id(row) != to_id(graph->getExternalLabel(i))) return nullptr;
    }
  }
  graph->num_deleted_ = deleted;
  graph->maxlevel_ = h.max_level;
  graph->enterpoint_node_ = h.elements > 0 ? h.entry_point : static_cast<tableint>(-1);
  graph->mult_ = h.mult;
  graph->revSize_ = 1.0 / h.mult;

  // M and ef_construction come from the file (they shaped the graph); the caller's params give ef_search.
  return std::unique_ptr<VectorIndex>(new HnswIndex(dim, params.ef_search, std::move(space), stored, std::move(rows),
                                                   std::move(graph)));
}

}  // namespace

std::unique_ptr<VectorIndex> make_hnsw_index(int dim, const HnswParams& params) {
  return std::make_unique<HnswIndex>(dim, params);
}

void set_hnsw_ef_search(VectorIndex& index, std::size_t ef_search) {
  auto* hnsw = dynamic_cast<HnswIndex*>(&index);
  if (hnsw == nullptr)
    throw std::invalid_argument("set_hnsw_ef_search: " + index.name() + " is not an HNSW index");
  hnsw->set_ef_search(ef_search);
}

void save_hnsw_index(const VectorIndex& index, const fs::path& file) {
  const auto* hnsw = dynamic_cast<const HnswIndex*>(&index);
  if (hnsw == nullptr)
    throw std::invalid_argument("save_hnsw_index: " + index.name() + " is not an HNSW index");
  hnsw->save(file);
}

std::unique_ptr<VectorIndex> load_hnsw_index(const fs::path& file, int dim, const HnswParams& params) {
  try {
    return HnswIndex::load(file, dim, params, nullptr);
  } catch (...) {  // allocation failures and the like: the caller rebuilds from the catalog
    return nullptr;
  }
}

}  // namespace facesearch

namespace facesearch {

std::unique_ptr<VectorIndex> make_stored_hnsw_index(std::shared_ptr<const StoredRows> rows, const HnswParams& params) {
  const int dim = rows->dim();
  return std::make_unique<HnswIndex>(dim, params, std::move(rows));
}

void add_stored_rows(VectorIndex& index, std::shared_ptr<const StoredRows> rows, std::size_t first, unsigned threads) {
  auto* hnsw = dynamic_cast<HnswIndex*>(&index);
  if (hnsw == nullptr) throw std::invalid_argument("add_stored_rows: " + index.name() + " is not an HNSW index");
  hnsw->add_rows(std::move(rows), first, threads);
}

std::unique_ptr<VectorIndex> load_stored_hnsw_index(const fs::path& file, std::shared_ptr<const StoredRows> rows,
                                                    const HnswParams& params) {
  try {
    const int dim = rows->dim();
    return HnswIndex::load(file, dim, params, std::move(rows));
  } catch (...) {
    return nullptr;
  }
}

}  // namespace facesearch
