#include "proxy/buffer_pool.h"

#include <utility>

namespace connperf::proxy {

BufferPool::Buffer BufferPool::take() {
  if (spare_.empty()) return Buffer(new char[size_]);
  Buffer b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void BufferPool::give(Buffer b) {
  if (b && spare_.size() < max_spare_) spare_.push_back(std::move(b));
}

}  // namespace connperf::proxy
