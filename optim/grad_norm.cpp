// Global gradient norm over the ranks of a model-parallel group (see grad_norm.h).
#include "optim/grad_norm.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops/elementwise.h"
#include "autograd/dispatch.h"

namespace forge::optim {

double sum_over_group(distributed::ProcessGroup& group, double value) {
  if (group.size() == 1) return value;
  const float high = static_cast<float>(value);
  Tensor parts = Tensor::from_vector(std::vector<float>{high, static_cast<float>(value - double(high))}, {2});
  Tensor all = Tensor::empty({2 * int64_t(group.size())});
  group.all_gather(parts, all)->wait();
  double total = 0.0;
  const float* a = all.data<float>();
  for (int r = 0; r < group.size(); ++r) total += double(a[2 * r]) + double(a[2 * r + 1]);
  return total;
}

double grad_sum_squares(const std::vector<Tensor>& params) {
  NoGradGuard no_grad;
  double total = 0.0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor gc = g.to(DType::f32).contiguous();
    total += op_kernels("grad_sum_squares", gc).optimizer.sum_squares(gc.data<float>(), gc.numel());
  }
  return total;
}

void scale_grads_to_max_norm(const std::vector<Tensor>& params, double norm, double max_norm) {
  if (max_norm <= 0.0 || norm <= max_norm) return;
  NoGradGuard no_grad;
  const double scale = max_norm / (norm + 1e-6);
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (g.defined()) ops::mul_scalar_(g, scale);
  }
}

double clip_grad_norm(const std::vector<Tensor>& params, const std::vector<Tensor>& counted, double max_norm,
                      distributed::ProcessGroup& group) {
  const double norm = std::sqrt(sum_over_group(group, grad_sum_squares(counted)));
  scale_grads_to_max_norm(params, norm, max_norm);
  return norm;
}

}  // namespace forge::optim
