// Spare relay buffers of one proxy worker: a buffer is taken when a connection has bytes to hold
// and given back when it is idle; up to max_spare are kept for reuse, so a request costs no
// trip through the allocator and no zeroing. Owned and used by one worker thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace connperf::proxy {

inline constexpr std::size_t kSpareBuffers = 256;

class BufferPool {
 public:
  using Buffer = std::unique_ptr<char[]>;

  explicit BufferPool(std::size_t buffer_size, std::size_t max_spare = kSpareBuffers)
      : size_(buffer_size), max_spare_(max_spare) {}

  std::size_t buffer_size() const noexcept { return size_; }
  std::size_t spare() const noexcept { return spare_.size(); }

  // A buffer of buffer_size() bytes (not cleared): a spare one when there is one.
  Buffer take();
  // Kept for reuse while fewer than max_spare are, else freed. Null is ignored.
  void give(Buffer b);

 private:
  std::size_t size_;
  std::size_t max_spare_;
  std::vector<Buffer> spare_;
};

}  // namespace connperf::proxy
