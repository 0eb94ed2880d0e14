// A byte-bounded LRU of encoded pictures: a results grid asks for the same thumbnails again and again.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace facesearch::server {

class PictureCache {
 public:
  using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

  explicit PictureCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  Bytes get(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  void put(const std::string& key, Bytes value) {
    if (!value || value->size() > max_bytes_ / 4) return;  // one huge photo must not evict every thumbnail
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      bytes_ -= it->second->second->size();
      order_.erase(it->second);
      index_.erase(it);
    }
    bytes_ += value->size();
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    while (bytes_ > max_bytes_ && !order_.empty()) {
      bytes_ -= order_.back().second->size();
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  using Entry = std::pair<std::string, Bytes>;
  const size_t max_bytes_;
  std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace facesearch::server
