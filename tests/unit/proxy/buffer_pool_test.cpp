// The spare relay buffers of a proxy worker: reused while there are any, bounded in number.
#include "proxy/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>
#include <vector>

namespace connperf {
namespace {

using proxy::BufferPool;

TEST(BufferPool, GivesBackWhatWasReturnedBeforeAllocating) {
  BufferPool pool(4096, 4);
  EXPECT_EQ(pool.buffer_size(), 4096u);
  BufferPool::Buffer a = pool.take();
  ASSERT_NE(a, nullptr);
  std::memset(a.get(), 'x', 4096);  // the whole size is usable
  char* const where = a.get();
  pool.give(std::move(a));
  EXPECT_EQ(pool.spare(), 1u);
  BufferPool::Buffer b = pool.take();
  EXPECT_EQ(b.get(), where);  // the same one, not cleared
  EXPECT_EQ(b[4095], 'x');
  EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, KeepsAtMostMaxSpare) {
  BufferPool pool(1024, 2);
  std::vector<BufferPool::Buffer> taken;
  for (int i = 0; i < 5; ++i) taken.push_back(pool.take());
  for (auto& b : taken) pool.give(std::move(b));
  EXPECT_EQ(pool.spare(), 2u);
  const BufferPool::Buffer one = pool.take(), two = pool.take(), three = pool.take();
  EXPECT_NE(one, nullptr);
  EXPECT_NE(three, nullptr);
  EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, IgnoresNull) {
  BufferPool pool(1024);
  pool.give(nullptr);
  EXPECT_EQ(pool.spare(), 0u);
}

TEST(BufferPool, DefaultBoundIsTheProxys) {
  BufferPool pool(64);
  std::vector<BufferPool::Buffer> taken;
  for (std::size_t i = 0; i < proxy::kSpareBuffers + 3; ++i) taken.push_back(pool.take());
  for (auto& b : taken) pool.give(std::move(b));
  EXPECT_EQ(pool.spare(), proxy::kSpareBuffers);
}

}  // namespace
}  // namespace connperf
