// Linear, Embedding, LayerNorm and RMSNorm (see layers.h).
#include "nn/layers.h"

#include "autograd/ops.h"
#include "nn/mixed_precision.h"

namespace forge::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias, Generator& gen, double init_std) {
  weight = register_parameter("weight", Tensor::randn({out_features, in_features}, gen, DType::f32, 0.0, init_std));
  if (with_bias) bias = register_parameter("bias", Tensor::zeros({out_features}));
}

Tensor Linear::forward(const Tensor& x) const {
  return ops::linear(to_compute(x), compute_weight(weight), compute_weight(bias));
}

Embedding::Embedding(int64_t num_embeddings, int64_t dim, Generator& gen, double init_std) {
  weight = register_parameter("weight", Tensor::randn({num_embeddings, dim}, gen, DType::f32, 0.0, init_std));
}

Tensor Embedding::forward(const Tensor& ids) const { return ops::embedding(ids, weight); }

LayerNorm::LayerNorm(int64_t dim, double eps_, bool with_bias) : eps(eps_) {
  weight = register_parameter("weight", Tensor::ones({dim}));
  if (with_bias) bias = register_parameter("bias", Tensor::zeros({dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const {
  return ops::layer_norm(to_compute(x), compute_weight(weight), compute_weight(bias), eps);
}

RMSNorm::RMSNorm(int64_t dim, double eps_) : eps(eps_) { weight = register_parameter("weight", Tensor::ones({dim})); }

Tensor RMSNorm::forward(const Tensor& x) const { return ops::rms_norm(to_compute(x), compute_weight(weight), eps); }

}  // namespace forge::nn
