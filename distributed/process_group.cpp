// Shared argument checks and the single-process group (see process_group.h).
#include "distributed/process_group.h"

#include <cstring>

namespace forge::distributed {

const char* reduce_op_name(ReduceOp op) { return op == ReduceOp::sum ? "sum" : "avg"; }

namespace detail {

void check_tensor(const Tensor& t, const char* what) {
  FORGE_CHECK(t.defined(), what << ": undefined tensor");
  FORGE_CHECK(t.device().is_cpu() && t.dtype() == DType::f32 && t.is_contiguous(),
              what << ": expected a contiguous CPU f32 tensor, got " << t.str()
                   << (t.is_contiguous() ? "" : " (not contiguous)"));
}

namespace {
class DoneWork : public Work {
 public:
  void wait() override {}
  bool test() override { return true; }
};
}  // namespace

WorkHandle completed_work() { return std::make_shared<DoneWork>(); }

}  // namespace detail

WorkHandle SingleProcessGroup::all_reduce(Tensor& tensor, ReduceOp) {
  detail::check_tensor(tensor, "all_reduce");
  return detail::completed_work();
}

WorkHandle SingleProcessGroup::reduce_scatter(const Tensor& input, Tensor& output, ReduceOp) {
  detail::check_tensor(input, "reduce_scatter input");
  detail::check_tensor(output, "reduce_scatter output");
  FORGE_CHECK(input.numel() == output.numel(), "reduce_scatter: input has " << input.numel()
                                                   << " elements, expected group size 1 x output " << output.numel());
  if (input.data_ptr() != output.data_ptr()) std::memmove(output.data_ptr(), input.data_ptr(), input.nbytes());
  return detail::completed_work();
}

WorkHandle SingleProcessGroup::all_gather(const Tensor& input, Tensor& output) {
  detail::check_tensor(input, "all_gather input");
  detail::check_tensor(output, "all_gather output");
  FORGE_CHECK(input.numel() == output.numel(), "all_gather: output has " << output.numel()
                                                   << " elements, expected group size 1 x input " << input.numel());
  if (input.data_ptr() != output.data_ptr()) std::memmove(output.data_ptr(), input.data_ptr(), input.nbytes());
  return detail::completed_work();
}

WorkHandle SingleProcessGroup::broadcast(Tensor& tensor, int root) {
  detail::check_tensor(tensor, "broadcast");
  FORGE_CHECK(root == 0, "broadcast: root " << root << " is not a member of a group of size 1");
  return detail::completed_work();
}

WorkHandle SingleProcessGroup::send(const Tensor&, int dst, int) {
  FORGE_THROW("send to rank " << dst << ": a single-process group has no peers (launch with mpirun)");
}

WorkHandle SingleProcessGroup::recv(Tensor&, int src, int) {
  FORGE_THROW("recv from rank " << src << ": a single-process group has no peers (launch with mpirun)");
}

std::shared_ptr<ProcessGroup> SingleProcessGroup::split(int, int) { return std::make_shared<SingleProcessGroup>(); }

}  // namespace forge::distributed
