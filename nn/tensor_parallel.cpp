// Tensor-parallel layers and collectives (see tensor_parallel.h).
#include "nn/tensor_parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "nn/mixed_precision.h"

namespace forge::nn {
namespace {

bool single(const GroupPtr& g) { return g == nullptr || g->size() == 1; }

// A contiguous copy of `x` that owns its storage, for in-place collectives.
Tensor owned_copy(const Tensor& x) {
  NoGradGuard no_grad;
  return x.detach().clone();
}

// All-reduce (sum) of a copy of `x`, returned in x's dtype. The collectives
// carry fp32: 16-bit tensors are widened (exactly) and the sum rounded back once.
Tensor all_reduced(const Tensor& x, const GroupPtr& group) {
  NoGradGuard no_grad;
  Tensor buf = x.dtype() == DType::f32 ? owned_copy(x) : x.detach().to(DType::f32).contiguous();
  group->all_reduce(buf, distributed::ReduceOp::sum)->wait();
  return buf.to(x.dtype());
}

}  // namespace

Tensor copy_to_group(const Tensor& x, const GroupPtr& group) {
  if (single(group)) return x;
  Tensor out = x.detach();
  GroupPtr g = group;
  record("copy_to_group", {x}, out,
         [g](const std::vector<Tensor>& grads) { return std::vector<Tensor>{all_reduced(grads[0], g)}; });
  return out;
}

Tensor reduce_from_group(const Tensor& x, const GroupPtr& group) {
  if (single(group)) return x;
  Tensor out = all_reduced(x, group);
  record("reduce_from_group", {x}, out, [](const std::vector<Tensor>& grads) { return std::vector<Tensor>{grads[0]}; });
  return out;
}

ShardSpec split_spec(int64_t dim, std::vector<int64_t> segments, const GroupPtr& group) {
  ShardSpec s;
  if (single(group)) return s;
  for (int64_t n : segments)
    FORGE_CHECK(n % group->size() == 0, "tensor parallelism: a dimension of " << n << " cannot be split into "
                                                                               << group->size() << " equal parts");
  s.dim = dim;
  s.segments = std::move(segments);
  s.part = group->rank();
  s.parts = group->size();
  return s;
}

Tensor shard_of(const Tensor& whole, const ShardSpec& spec) {
  if (!spec.sharded()) return whole;
  NoGradGuard no_grad;
  int64_t total = 0;
  for (int64_t n : spec.segments) total += n;
  FORGE_CHECK(whole.size(spec.dim) == total, "shard_of: tensor " << shape_str(whole.shape()) << " has " << whole.size(spec.dim)
                                                                 << " entries along dim " << spec.dim << ", expected "
                                                                 << total);
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t n : spec.segments) {
    const int64_t piece = n / spec.parts;
    pieces.push_back(whole.detach().narrow(spec.dim, start + spec.part * piece, piece));
    start += n;
  }
  return (pieces.size() == 1 ? pieces[0] : ops::concat(pieces, spec.dim)).contiguous().clone();
}

Tensor whole_from_pieces(const std::vector<Tensor>& pieces, const ShardSpec& spec) {
  if (!spec.sharded()) return pieces.at(0);
  NoGradGuard no_grad;
  FORGE_CHECK(static_cast<int>(pieces.size()) == spec.parts, "whole_from_pieces: " << pieces.size() << " pieces for "
                                                                                    << spec.parts << " parts");
  std::vector<Tensor> parts;
  int64_t start = 0;  // offset of the segment inside each piece
  for (int64_t n : spec.segments) {
    const int64_t piece = n / spec.parts;
    for (const Tensor& p : pieces) parts.push_back(p.detach().narrow(spec.dim, start, piece));
    start += piece;
  }
  return ops::concat(parts, spec.dim).contiguous();
}

Tensor gather_whole(const Tensor& local, const ShardSpec& spec, distributed::ProcessGroup& group) {
  if (!spec.sharded()) return local;
  FORGE_CHECK(group.size() == spec.parts, "gather_whole: a tensor in " << spec.parts << " parts over a group of "
                                                                       << group.size());
  Tensor mine = owned_copy(local).reshape({-1});
  Tensor all = Tensor::empty({mine.numel() * spec.parts});
  group.all_gather(mine, all)->wait();
  std::vector<Tensor> pieces;
  for (int p = 0; p < spec.parts; ++p)
    pieces.push_back(make_view(all, local.shape(), contiguous_strides(local.shape()), p * mine.numel()));
  return whole_from_pieces(pieces, spec);
}

ColumnParallelLinear::ColumnParallelLinear(int64_t in_features, std::vector<int64_t> out_segments, bool with_bias,
                                           Generator& gen, double init_std, GroupPtr group)
    : group_(std::move(group)) {
  int64_t out = 0;
  for (int64_t n : out_segments) out += n;
  const ShardSpec spec = split_spec(0, out_segments, group_);
  weight = register_parameter(
      "weight", shard_of(Tensor::randn({out, in_features}, gen, DType::f32, 0.0, init_std), spec), spec);
  if (with_bias) bias = register_parameter("bias", shard_of(Tensor::zeros({out}), spec), spec);
}

Tensor ColumnParallelLinear::forward(const Tensor& x) const {
  return ops::linear(copy_to_group(to_compute(x), group_), compute_weight(weight), compute_weight(bias));
}

RowParallelLinear::RowParallelLinear(int64_t in_features, int64_t out_features, bool with_bias, Generator& gen,
                                     double init_std, GroupPtr group)
    : group_(std::move(group)) {
  const ShardSpec spec = split_spec(1, {in_features}, group_);
  weight = register_parameter(
      "weight", shard_of(Tensor::randn({out_features, in_features}, gen, DType::f32, 0.0, init_std), spec), spec);
  if (with_bias) bias = register_parameter("bias", Tensor::zeros({out_features}));
}

Tensor RowParallelLinear::forward(const Tensor& x) const {
  if (single(group_)) return ops::linear(to_compute(x), compute_weight(weight), compute_weight(bias));
  // Each rank's partial product over its input columns; the bias is added once, after the sum.
  Tensor y = reduce_from_group(ops::linear(to_compute(x), compute_weight(weight)), group_);
  return bias.defined() ? ops::add(y, compute_weight(bias)) : y;
}

VocabParallelEmbedding::VocabParallelEmbedding(int64_t num_embeddings, int64_t dim, Generator& gen, GroupPtr group,
                                               bool duplicate, double init_std)
    : group_(std::move(group)) {
  ShardSpec spec = split_spec(0, {num_embeddings}, group_);
  spec.duplicate = duplicate;
  vocab_start_ = spec.sharded() ? spec.part * (num_embeddings / spec.parts) : 0;
  weight = register_parameter(
      "weight", shard_of(Tensor::randn({num_embeddings, dim}, gen, DType::f32, 0.0, init_std), spec), spec);
}

Tensor VocabParallelEmbedding::forward(const Tensor& ids) const {
  if (single(group_)) return ops::embedding(ids, weight);
  const int64_t rows = weight.size(0), V = rows * group_->size();
  const std::vector<int64_t> all = ids.to_int_vector();
  std::vector<int64_t> local(all.size());
  std::vector<float> keep(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    FORGE_CHECK(all[i] >= 0 && all[i] < V, "embedding: token id " << all[i] << " at position " << i
                                                                  << " is outside the vocabulary [0, " << V << ")");
    const bool mine = all[i] >= vocab_start_ && all[i] < vocab_start_ + rows;
    local[i] = mine ? all[i] - vocab_start_ : 0;
    keep[i] = mine ? 1.0f : 0.0f;
  }
  Shape mask_shape = ids.shape();
  mask_shape.push_back(1);
  Tensor looked_up = ops::embedding(Tensor::from_vector(local, ids.shape()), weight);  // (..., dim)
  return reduce_from_group(ops::mul(looked_up, Tensor::from_vector(keep, mask_shape)), group_);
}

Tensor parallel_linear(const Tensor& x, const Tensor& weight, const GroupPtr& group) {
  return ops::linear(copy_to_group(to_compute(x), group), compute_weight(weight));
}

Tensor vocab_parallel_cross_entropy(const Tensor& logits, const Tensor& targets, int64_t vocab_start,
                                    const GroupPtr& group, int64_t ignore_index) {
  if (single(group)) return ops::cross_entropy(logits, targets, ignore_index);
  const int parts = group->size();
  const int64_t Vl = logits.size(-1), V = Vl * parts;
  // 16-bit logits are widened: the loss and its statistics are fp32; the gradient returns in the logits' dtype.
  const DType logits_dtype = logits.dtype();
  Tensor x = (logits_dtype == DType::f32 ? owned_copy(logits) : logits.detach().to(DType::f32)).reshape({-1, Vl});  // (N, Vl)
  const int64_t N = x.size(0);
  const std::vector<int64_t> t = targets.to_int_vector();
  FORGE_CHECK(static_cast<int64_t>(t.size()) == N, "cross_entropy: " << N << " rows of logits but " << t.size()
                                                                     << " targets");
  const float* l = x.data<float>();
  // Row maxima over the whole vocabulary: every rank's maxima, gathered.
  Tensor local_max = Tensor::empty({N});
  for (int64_t i = 0; i < N; ++i) local_max.data<float>()[i] = *std::max_element(l + i * Vl, l + (i + 1) * Vl);
  Tensor maxima = Tensor::empty({N * parts});
  group->all_gather(local_max, maxima)->wait();
  std::vector<float> row_max(static_cast<size_t>(N), -std::numeric_limits<float>::infinity());
  for (int p = 0; p < parts; ++p)
    for (int64_t i = 0; i < N; ++i) row_max[i] = std::max(row_max[i], maxima.data<float>()[p * N + i]);
  // Sums of exp(logit - max) and the target's logit (0 on ranks that do not hold it), summed over ranks.
  Tensor sums = Tensor::zeros({2 * N});
  float* s = sums.data<float>();
  for (int64_t i = 0; i < N; ++i) {
    double acc = 0.0;
    for (int64_t j = 0; j < Vl; ++j) acc += std::exp(double(l[i * Vl + j]) - double(row_max[i]));
    s[i] = static_cast<float>(acc);
    FORGE_CHECK(t[i] == ignore_index || (t[i] >= 0 && t[i] < V), "cross_entropy: target " << t[i] << " at row " << i
                                                                                          << " is outside [0, " << V << ")");
    if (t[i] >= vocab_start && t[i] < vocab_start + Vl) s[N + i] = l[i * Vl + (t[i] - vocab_start)];
  }
  group->all_reduce(sums, distributed::ReduceOp::sum)->wait();
  double total = 0.0;
  int64_t count = 0;
  std::vector<float> log_sum(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) {
    log_sum[i] = static_cast<float>(std::log(double(s[i])));
    if (t[i] == ignore_index) continue;
    total += double(log_sum[i]) + double(row_max[i]) - double(s[N + i]);
    ++count;
  }
  Tensor loss = Tensor::full({}, count > 0 ? total / double(count) : 0.0);
  record("vocab_parallel_cross_entropy", {logits}, loss,
         [x, t, row_max, log_sum, count, vocab_start, shape = logits.shape(), ignore_index, logits_dtype](const std::vector<Tensor>& grads) {
           const int64_t n = x.size(0), vl = x.size(1);
           Tensor dx = Tensor::zeros({n, vl});
           if (count > 0) {
             const float scale = static_cast<float>(grads[0].item() / double(count));
             const float* lx = x.data<float>();
             float* d = dx.data<float>();
             for (int64_t i = 0; i < n; ++i) {
               if (t[i] == ignore_index) continue;
               const float shift = row_max[i] + log_sum[i];
               for (int64_t j = 0; j < vl; ++j) d[i * vl + j] = scale * std::exp(lx[i * vl + j] - shift);
               if (t[i] >= vocab_start && t[i] < vocab_start + vl) d[i * vl + (t[i] - vocab_start)] -= scale;
             }
           }
           return std::vector<Tensor>{dx.to(logits_dtype).reshape(shape)};
         });
  return loss;
}

}  // namespace forge::nn
