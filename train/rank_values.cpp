// Exact scalars across ranks (see rank_values.h).
#include "train/rank_values.h"

namespace forge::recipes {

void to_float_pair(double value, float* pair) {
  pair[0] = static_cast<float>(value);
  pair[1] = static_cast<float>(value - double(pair[0]));
}

double float_pair_value(const float* pair) { return double(pair[0]) + double(pair[1]); }

double global_mean(const distributed::Layout& layout, double value) {
  if (layout.dp == 1) return value;
  Tensor parts = Tensor::empty({2});
  to_float_pair(value, parts.data<float>());
  Tensor all = Tensor::empty({2 * int64_t(layout.dp)});
  layout.dp_group->all_gather(parts, all)->wait();
  double total = 0.0;
  for (int r = 0; r < layout.dp; ++r) total += float_pair_value(all.data<float>() + 2 * r);
  return total / static_cast<double>(layout.dp);
}

double from_last_stage(const distributed::Layout& layout, double value) {
  if (layout.pp == 1) return value;
  Tensor parts = Tensor::empty({2});
  to_float_pair(value, parts.data<float>());
  layout.pp_group->broadcast(parts, layout.pp - 1)->wait();
  return float_pair_value(parts.data<float>());
}

bool any_rank(const distributed::Layout& layout, bool flag) {
  if (layout.world->size() == 1) return flag;
  Tensor t = Tensor::full({1}, flag ? 1.0 : 0.0);
  layout.world->all_reduce(t, distributed::ReduceOp::sum)->wait();
  return t.item() > 0.0;
}

double dp_loss_weight(const distributed::Layout& layout, const Tensor& targets) {
  const int64_t* t = targets.data<int64_t>();
  int64_t mine = 0;
  for (int64_t i = 0; i < targets.numel(); ++i) mine += t[i] != -100;
  Tensor count = Tensor::full({1}, static_cast<double>(mine));
  layout.dp_group->all_reduce(count, distributed::ReduceOp::sum)->wait();
  const double all = count.item();
  return all > 0 ? static_cast<double>(layout.dp) * static_cast<double>(mine) / all : 1.0;
}

}  // namespace forge::recipes
