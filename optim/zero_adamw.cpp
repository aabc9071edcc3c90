// ZeRO-1 AdamW over a sharded flat buffer (see zero_adamw.h).
#include "optim/zero_adamw.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "autograd/dispatch.h"
#include "autograd/grad_mode.h"
#include "autograd/ops/elementwise.h"
#include "optim/grad_norm.h"

namespace forge::optim {

ZeroAdamW::ZeroAdamW(std::vector<ParamGroup> groups, AdamWOptions options, Tensor flat_params, Tensor flat_grads,
                     std::shared_ptr<distributed::ProcessGroup> dp_group)
    : Optimizer(std::move(groups), options.lr),
      options_(options),
      flat_params_(std::move(flat_params)),
      flat_grads_(std::move(flat_grads)),
      dp_(std::move(dp_group)) {
  FORGE_CHECK(dp_ != nullptr, "ZeRO-1: no data-parallel group");
  distributed::detail::check_tensor(flat_params_, "ZeRO-1 parameter buffer");
  distributed::detail::check_tensor(flat_grads_, "ZeRO-1 gradient buffer");
  const int64_t n = flat_params_.numel();
  const int64_t dp = dp_->size();
  FORGE_CHECK(flat_grads_.numel() == n && n % dp == 0,
              "ZeRO-1: flat buffers of " << n << " parameters and " << flat_grads_.numel()
                                         << " gradients must be equal and a multiple of the dp size " << dp
                                         << " (build nn::FlatParameters with pad_multiple = dp)");
  shard_size_ = n / dp;
  shard_offset_ = dp_->rank() * shard_size_;
  const int64_t lo = shard_offset_, hi = shard_offset_ + shard_size_;
  for (const ParamGroup& g : groups_) {
    for (size_t i = 0; i < g.params.size(); ++i) {
      const Tensor& p = g.params[i];
      Tensor grad = p.grad();
      const int64_t off = p.offset() - flat_params_.offset();
      FORGE_CHECK(p.shares_storage(flat_params_) && grad.defined() && grad.shares_storage(flat_grads_) &&
                      grad.offset() - flat_grads_.offset() == off,
                  "ZeRO-1: parameter '" << g.names[i] << "' and its gradient are not views of the flat buffers");
      slots_.push_back({g.names[i], off, p.numel(), p.shape()});
      const int64_t b = std::max(off, lo), e = std::min(off + p.numel(), hi);
      if (b < e) segments_.push_back({b, e, static_cast<float>(g.weight_decay), slots_.size() - 1, true});
    }
  }
  std::sort(segments_.begin(), segments_.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  const Device device = flat_params_.device();
  grad_shard_ = Tensor::zeros({shard_size_}, DType::f32, device);
  exp_avg_ = Tensor::zeros({shard_size_}, DType::f32, device);
  exp_avg_sq_ = Tensor::zeros({shard_size_}, DType::f32, device);
}

void ZeroAdamW::reduce_gradients() {
  dp_->reduce_scatter(flat_grads_, grad_shard_, distributed::ReduceOp::avg)->wait();
}

double ZeroAdamW::clip_grad_norm(double max_norm) {
  NoGradGuard no_grad;
  // Alignment padding and gaps hold zero gradients, so the shard's sum of squares is its parameters'.
  double local = 0.0;
  const kernels::KernelTable& k = op_kernels("ZeRO-1 clip_grad_norm", grad_shard_);
  if (model_group_) {
    for (const Segment& s : segments_)
      if (s.counted)
        local += k.optimizer.sum_squares(grad_shard_.data<float>() + (s.begin - shard_offset_), s.end - s.begin);
  } else {
    local = k.optimizer.sum_squares(grad_shard_.data<float>(), shard_size_);
  }
  double total = sum_over_group(*dp_, local);
  if (model_group_) total = sum_over_group(*model_group_, total);
  const double norm = std::sqrt(total);
  if (max_norm > 0.0 && norm > max_norm) ops::mul_scalar_(grad_shard_, max_norm / (norm + 1e-6));
  return norm;
}

void ZeroAdamW::set_norm_scope(const std::vector<std::string>& uncounted,
                               std::shared_ptr<distributed::ProcessGroup> model_group) {
  model_group_ = std::move(model_group);
  for (Segment& s : segments_)
    s.counted = std::find(uncounted.begin(), uncounted.end(), slots_[s.slot].name) == uncounted.end();
}

void ZeroAdamW::step() {
  state_.clear();  // whole-state copies made by gather_state() or a checkpoint are stale now
  ++step_count_;
  kernels::AdamWHyper h = adamw_hyper(options_, lr_, step_count_);
  const kernels::KernelTable& k = op_kernels("ZeRO-1 AdamW", flat_params_, grad_shard_, exp_avg_, exp_avg_sq_);
  float* p = flat_params_.data<float>();
  float* g = grad_shard_.data<float>();
  float* m = exp_avg_.data<float>();
  float* v = exp_avg_sq_.data<float>();
  for (const Segment& s : segments_) {
    h.weight_decay = s.weight_decay;
    const int64_t at = s.begin - shard_offset_;
    k.optimizer.adamw_step(p + s.begin, g + at, m + at, v + at, s.end - s.begin, h);
  }
  Tensor mine = make_view(flat_params_, {shard_size_}, {1}, flat_params_.offset() + shard_offset_);
  dp_->all_gather(mine, flat_params_)->wait();
}

void ZeroAdamW::gather_state() {
  const int64_t n = flat_params_.numel();
  for (const char* what : {"exp_avg", "exp_avg_sq"}) {
    Tensor full = Tensor::empty({n});
    dp_->all_gather(std::string(what) == "exp_avg" ? exp_avg_ : exp_avg_sq_, full)->wait();
    for (const Slot& s : slots_) {
      Tensor t = Tensor::empty(s.shape);
      std::memcpy(t.data<float>(), full.data<float>() + s.offset, static_cast<size_t>(s.numel) * sizeof(float));
      state_[s.name + "/" + what] = t;
    }
  }
}

void ZeroAdamW::load_state() {
  if (state_.empty()) return;  // nothing loaded: the state stays as it is
  for (const char* what : {"exp_avg", "exp_avg_sq"}) {
    float* shard = (std::string(what) == "exp_avg" ? exp_avg_ : exp_avg_sq_).data<float>();
    for (const Slot& s : slots_) {
      auto it = state_.find(s.name + "/" + what);
      FORGE_CHECK(it != state_.end(), "ZeRO-1: the loaded optimizer state has no '" << s.name << "/" << what << "'");
      Tensor t = it->second.to(DType::f32).contiguous();
      FORGE_CHECK(t.numel() == s.numel, "ZeRO-1: loaded optimizer state '" << s.name << "/" << what << "' has "
                                                                           << t.numel() << " elements, expected "
                                                                           << s.numel);
      const int64_t b = std::max(s.offset, shard_offset_);
      const int64_t e = std::min(s.offset + s.numel, shard_offset_ + shard_size_);
      if (b < e)
        std::memcpy(shard + (b - shard_offset_), t.data<float>() + (b - s.offset),
                    static_cast<size_t>(e - b) * sizeof(float));
    }
  }
  state_.clear();
}

}  // namespace forge::optim
