#include "proxy/resolver.h"

namespace connperf::proxy {

void Inbox::push(Answer a) {
  {
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(a));
  }
  loop_.wake();
}

void Inbox::take(std::vector<Answer>& out) {
  out.clear();
  std::lock_guard lock(mu_);
  out.swap(answers_);
}

Resolver::Resolver(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

Resolver::~Resolver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool Resolver::lookup(std::string host, std::uint16_t port, std::uint64_t tag, Inbox& reply) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= kMaxQueued) return false;
    jobs_.push_back({std::move(host), port, tag, &reply});
  }
  cv_.notify_one();
  return true;
}

void Resolver::cancel(std::uint64_t tag) {
  std::lock_guard lock(mu_);
  std::erase_if(jobs_, [tag](const Job& j) { return j.tag == tag; });
}

void Resolver::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Answer a;
    a.tag = job.tag;
    try {
      a.addresses = net::resolve_host(job.host, job.port);
    } catch (const net::AddressError& e) {
      a.error = e.what();
    }
    job.reply->push(std::move(a));
  }
}

}  // namespace connperf::proxy
