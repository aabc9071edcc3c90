// ProcessGroup: the collective and point-to-point operations that data,
// tensor and pipeline parallelism are built from, behind one interface so
// backends can be swapped: MPI for CPU tensors (distributed/mpi_backend.h), a
// single-process group for runs without a launcher, and NCCL for GPU tensors
// later (it takes the same calls; its unique id is broadcast over the MPI world).
//
// Every operation is asynchronous: it is started at once and returns a Work
// handle; wait() blocks until the result is in place (and, for ReduceOp::avg,
// divided by the group size). Operations on one group must be started in the
// same order on every member. Tensors are CPU, contiguous f32; results are
// written in place (all_reduce, broadcast, recv) or into the output tensor.
#pragma once

#include <memory>
#include <string>

#include "autograd/tensor.h"

namespace forge::distributed {

enum class ReduceOp { sum, avg };
const char* reduce_op_name(ReduceOp op);

// A started operation. wait() is idempotent; test() reports completion without
// blocking (and lets backends without a progress thread move the operation on).
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  virtual bool test() = 0;
};
using WorkHandle = std::shared_ptr<Work>;

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi", "single"

  // tensor <- op over the tensor of every member.
  virtual WorkHandle all_reduce(Tensor& tensor, ReduceOp op) = 0;
  // output <- block `rank()` of op over every member's input;
  // input.numel() == size() * output.numel().
  virtual WorkHandle reduce_scatter(const Tensor& input, Tensor& output, ReduceOp op) = 0;
  // output <- every member's input, concatenated in rank order;
  // output.numel() == size() * input.numel().
  virtual WorkHandle all_gather(const Tensor& input, Tensor& output) = 0;
  // tensor <- root's tensor.
  virtual WorkHandle broadcast(Tensor& tensor, int root) = 0;
  // Point-to-point; a send is matched by the recv with the same (peer, tag).
  virtual WorkHandle send(const Tensor& tensor, int dst, int tag) = 0;
  virtual WorkHandle recv(Tensor& tensor, int src, int tag) = 0;
  virtual void barrier() = 0;

  // A group of the members that pass the same `color`, ordered by `key` then
  // by rank in this group (MPI_Comm_split semantics). Every member must call it.
  virtual std::shared_ptr<ProcessGroup> split(int color, int key) = 0;
};

// The group of one process: collectives are identities (avg over one member),
// send/recv have no peer and throw.
class SingleProcessGroup : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  WorkHandle all_reduce(Tensor& tensor, ReduceOp op) override;
  WorkHandle reduce_scatter(const Tensor& input, Tensor& output, ReduceOp op) override;
  WorkHandle all_gather(const Tensor& input, Tensor& output) override;
  WorkHandle broadcast(Tensor& tensor, int root) override;
  WorkHandle send(const Tensor& tensor, int dst, int tag) override;
  WorkHandle recv(Tensor& tensor, int src, int tag) override;
  void barrier() override {}
  std::shared_ptr<ProcessGroup> split(int color, int key) override;
};

namespace detail {
// Checks the tensor rules every backend shares (CPU, contiguous, f32); `what` names the call.
void check_tensor(const Tensor& t, const char* what);
// A Work that is already complete.
WorkHandle completed_work();
}  // namespace detail

}  // namespace forge::distributed
