#include "proxy/upstream_pool.h"

#include <unistd.h>

#include <charconv>
#include <iterator>

namespace connperf::proxy {

const std::string& UpstreamPool::key(std::string_view host, std::uint16_t port) {
  char digits[8];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
  (void)ec;  // five digits at most always fit
  key_.assign(host);
  key_ += ':';
  key_.append(digits, end);
  return key_;
}

bool UpstreamPool::park(std::string_view host, std::uint16_t port, int fd, std::uint64_t now) {
  if (full()) return false;
  const auto origin = by_origin_.try_emplace(key(host, port)).first;
  origin->second.push_back({fd, now});
  origin_of_.emplace(fd, &*origin);
  return true;
}

int UpstreamPool::take(std::string_view host, std::uint16_t port) {
  const auto origin = by_origin_.find(key(host, port));
  if (origin == by_origin_.end()) return -1;
  const int fd = origin->second.back().fd;  // entries are never left empty
  remove(*origin, fd);
  return fd;
}

bool UpstreamPool::drop(int fd) {
  const auto it = origin_of_.find(fd);
  if (it == origin_of_.end()) return false;
  remove(*it->second, fd);
  ::close(fd);
  return true;
}

void UpstreamPool::remove(Origins::value_type& origin, int fd) {
  std::vector<Idle>& list = origin.second;
  for (std::size_t i = list.size(); i-- > 0;) {  // from the back, where take() finds it
    if (list[i].fd != fd) continue;
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  origin_of_.erase(fd);
  if (list.empty()) by_origin_.erase(by_origin_.find(origin.first));
}

std::size_t UpstreamPool::expire(std::uint64_t now) {
  std::size_t closed = 0;
  for (auto origin = by_origin_.begin(); origin != by_origin_.end();) {
    std::vector<Idle>& list = origin->second;
    std::size_t keep = 0;
    for (const Idle& i : list) {
      if (now - i.since < idle_ns_) {
        list[keep++] = i;
      } else {
        origin_of_.erase(i.fd);
        ::close(i.fd);
        ++closed;
      }
    }
    list.resize(keep);
    origin = keep ? std::next(origin) : by_origin_.erase(origin);
  }
  return closed;
}

void UpstreamPool::clear() {
  for (const auto& [fd, origin] : origin_of_) ::close(fd);
  origin_of_.clear();
  by_origin_.clear();
}

}  // namespace connperf::proxy
