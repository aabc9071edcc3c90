// Moves a module's parameters into one flat buffer per dtype, with gradients in
// a matching flat buffer, so that all-reduce, ZeRO sharding, the fused
// optimizer and checkpoints work on large contiguous ranges.
//
// Each parameter keeps its handle (the model's Tensors are unchanged) but its
// storage becomes a view into the flat buffer; its .grad is preset to the
// matching view of the gradient buffer, and backward accumulates in place.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/module.h"

namespace forge::nn {

struct FlatRange {
  std::string name;
  int64_t offset = 0;  // in elements, 64-byte aligned
  int64_t numel = 0;
  Shape shape;
};

struct FlatBuffer {
  Tensor params;  // 1-d, all parameters of one dtype
  Tensor grads;   // 1-d, same layout
  std::vector<FlatRange> ranges;
};

class FlatParameters {
 public:
  // pad_multiple: each buffer's length is rounded up to a multiple of it (zero
  // padding at the end), so ZeRO can cut it into equal per-rank shards.
  explicit FlatParameters(const Module& module, int64_t pad_multiple = 1);
  const std::map<DType, FlatBuffer>& buffers() const { return buffers_; }
  // Zeros every gradient with one fill per dtype.
  void zero_grads();

 private:
  std::map<DType, FlatBuffer> buffers_;
};

}  // namespace forge::nn
