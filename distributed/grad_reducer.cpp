// Bucketed, hook-driven gradient all-reduce (see grad_reducer.h).
#include "distributed/grad_reducer.h"

#include <algorithm>
#include <chrono>

namespace forge::distributed {

struct GradBucketReducer::Impl {
  Tensor flat_grads;
  std::shared_ptr<ProcessGroup> group;
  std::vector<BucketRange> buckets;
  std::vector<int> bucket_size;           // parameters per bucket
  std::vector<int> pending;               // parameters per bucket still without a final gradient
  std::vector<int> param_bucket;          // parameter index -> bucket
  std::vector<char> param_seen;           // parameter's hook fired in this backward
  std::vector<WorkHandle> work;           // per bucket, once started
  size_t next_to_start = 0;
  bool sync = true;
  double wait_s = 0.0;
  int64_t started_in_backward = 0;

  void start(size_t b) {
    Tensor view = make_view(flat_grads, {buckets[b].numel}, {1}, flat_grads.offset() + buckets[b].offset);
    work[b] = group->all_reduce(view, ReduceOp::avg);
  }

  void on_ready(size_t p) {
    if (!sync) return;
    FORGE_CHECK(!param_seen[p], "data parallel: a parameter's gradient was reported final twice in one backward "
                                "(call finish() after every synchronised backward)");
    param_seen[p] = 1;
    --pending[param_bucket[p]];
    while (next_to_start < buckets.size() && pending[next_to_start] == 0) {
      start(next_to_start++);
      ++started_in_backward;
    }
    // MPI moves non-blocking collectives on only inside MPI calls.
    for (size_t b = 0; b < next_to_start; ++b) work[b]->test();
  }
};

GradBucketReducer::GradBucketReducer(Tensor flat_grads, const std::vector<Tensor>& params,
                                     std::shared_ptr<ProcessGroup> group, int64_t bucket_bytes)
    : impl_(std::make_shared<Impl>()) {
  Impl& s = *impl_;
  detail::check_tensor(flat_grads, "data parallel gradient buffer");
  FORGE_CHECK(flat_grads.dim() == 1, "data parallel: the gradient buffer must be 1-d, got " << flat_grads.str());
  FORGE_CHECK(bucket_bytes > 0, "data parallel: bucket size must be positive, got " << bucket_bytes);
  s.flat_grads = flat_grads;
  s.group = std::move(group);
  // Offsets of each parameter's gradient inside the buffer.
  std::vector<std::pair<int64_t, size_t>> by_offset;  // (offset, parameter index)
  std::vector<int64_t> numel(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    Tensor g = p.grad();
    FORGE_CHECK(g.defined() && g.shares_storage(flat_grads) && g.is_contiguous(),
                "data parallel: parameter '" << p.name() << "' has no gradient view into the flat gradient buffer "
                                             << "(build nn::FlatParameters before the reducer)");
    const int64_t off = g.offset() - flat_grads.offset();
    FORGE_CHECK(off >= 0 && off + g.numel() <= flat_grads.numel(),
                "data parallel: parameter '" << p.name() << "' lies outside the flat gradient buffer");
    by_offset.emplace_back(off, i);
    numel[i] = g.numel();
  }
  // Last parameter first: the order backward finishes them.
  std::sort(by_offset.rbegin(), by_offset.rend());
  s.param_bucket.assign(params.size(), 0);
  const int64_t bucket_elems = std::max<int64_t>(1, bucket_bytes / static_cast<int64_t>(sizeof(float)));
  int64_t lo = 0, hi = 0, count = 0;
  for (size_t k = 0; k < by_offset.size(); ++k) {
    const auto [off, i] = by_offset[k];
    if (count == 0) hi = off + numel[i];
    lo = off;
    s.param_bucket[i] = static_cast<int>(s.buckets.size());
    ++count;
    if (hi - lo >= bucket_elems || k + 1 == by_offset.size()) {
      // Padding between parameters rides along; the gap below the lowest
      // parameter is left to the next bucket (or the buffer start, which is 0).
      s.buckets.push_back({lo, hi - lo});
      s.bucket_size.push_back(static_cast<int>(count));
      count = 0;
    }
  }
  // The bucket holding the lowest parameter extends down to the buffer start,
  // and every bucket up to the next one's start, so the buckets cover the whole
  // buffer (alignment gaps included) and nothing is left unaveraged.
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    const int64_t end = b == 0 ? flat_grads.numel() : s.buckets[b - 1].offset;
    const int64_t start = b + 1 == s.buckets.size() ? 0 : s.buckets[b].offset;
    s.buckets[b] = {start, end - start};
  }
  s.pending = s.bucket_size;
  s.param_seen.assign(params.size(), 0);
  s.work.assign(s.buckets.size(), nullptr);
  std::weak_ptr<Impl> weak = impl_;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor p = params[i];
    p.register_hook([weak, i](const Tensor&) {
      if (auto impl = weak.lock()) impl->on_ready(i);
    });
  }
}

GradBucketReducer::~GradBucketReducer() = default;

void GradBucketReducer::set_sync(bool on) { impl_->sync = on; }

void GradBucketReducer::finish() {
  Impl& s = *impl_;
  while (s.next_to_start < s.buckets.size()) s.start(s.next_to_start++);
  const auto t0 = std::chrono::steady_clock::now();
  for (WorkHandle& w : s.work) {
    w->wait();
    w = nullptr;
  }
  s.wait_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.next_to_start = 0;
  s.pending = s.bucket_size;
  std::fill(s.param_seen.begin(), s.param_seen.end(), 0);
}

const std::vector<BucketRange>& GradBucketReducer::buckets() const { return impl_->buckets; }
double GradBucketReducer::wait_seconds() const { return impl_->wait_s; }
int64_t GradBucketReducer::buckets_started_in_backward() const { return impl_->started_in_backward; }

}  // namespace forge::distributed
