// Basic layers: Linear, Embedding, LayerNorm, RMSNorm.
// Weights use PyTorch layouts (Linear weight is (out_features, in_features)).
// Under an nn::Autocast (nn/mixed_precision.h) Linear and the norms compute
// in its dtype from the working copies; Embedding always looks up the fp32
// masters (its scatter-add gradient stays fp32).
#pragma once

#include "common/philox.h"
#include "nn/module.h"

namespace forge::nn {

class Linear : public Module {
 public:
  // weight ~ N(0, init_std); bias zero.
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen, double init_std = 0.02);
  Tensor forward(const Tensor& x) const;  // x: (..., in) -> (..., out)
  Tensor weight, bias;
};

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dim, Generator& gen, double init_std = 0.02);
  Tensor forward(const Tensor& ids) const;  // ids: (...) -> (..., dim)
  Tensor weight;
};

class LayerNorm : public Module {
 public:
  LayerNorm(int64_t dim, double eps, bool bias = true);
  Tensor forward(const Tensor& x) const;
  Tensor weight, bias;
  double eps;
};

class RMSNorm : public Module {
 public:
  RMSNorm(int64_t dim, double eps);
  Tensor forward(const Tensor& x) const;
  Tensor weight;
  double eps;
};

}  // namespace forge::nn
