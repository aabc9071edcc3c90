// Data-parallel gradient averaging in buckets, overlapped with backward.
//
// The parameters' gradients live in one flat buffer (nn/flat_parameters.h).
// The reducer cuts that buffer into buckets of about `bucket_bytes`, walking
// the parameters from the last to the first (the order backward produces
// them), and registers a grad-ready hook on every parameter. When the last
// gradient of a bucket is final, the hook starts an asynchronous all-reduce
// (avg) of the bucket's range while backward goes on with earlier layers.
// Buckets are started strictly in bucket order, so every rank issues the same
// sequence of collectives. finish() starts any bucket whose parameters got no
// gradient and waits for all of them; afterwards every rank holds the average
// of the ranks' gradients, i.e. the gradient of the mean loss over the global
// batch when each rank's loss is the mean over its equal share of it.
//
// With gradient accumulation only the last micro-step communicates:
// set_sync(false) makes the hooks idle while gradients accumulate locally.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "distributed/process_group.h"

namespace forge::distributed {

struct BucketRange {
  int64_t offset = 0;  // in elements of the flat gradient buffer
  int64_t numel = 0;
};

class GradBucketReducer {
 public:
  // params: leaves whose .grad is a view of `flat_grads` (FlatParameters presets it).
  GradBucketReducer(Tensor flat_grads, const std::vector<Tensor>& params, std::shared_ptr<ProcessGroup> group,
                    int64_t bucket_bytes = kDefaultBucketBytes);
  ~GradBucketReducer();
  GradBucketReducer(const GradBucketReducer&) = delete;
  GradBucketReducer& operator=(const GradBucketReducer&) = delete;

  static constexpr int64_t kDefaultBucketBytes = 4 << 20;

  // Whether the hooks of the coming backward communicate (default true).
  void set_sync(bool on);
  // Completes the averaging started during backward (see the file comment).
  void finish();

  const std::vector<BucketRange>& buckets() const;
  // Seconds finish() spent waiting for communication, summed over calls: the
  // part of the all-reduce that backward did not hide.
  double wait_seconds() const;
  // Buckets started by hooks during backward (not by finish), summed over calls.
  int64_t buckets_started_in_backward() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace forge::distributed
