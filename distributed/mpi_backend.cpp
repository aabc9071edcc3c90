// MPI implementation of ProcessGroup (see mpi_backend.h and process_group.h).
//
// Collectives are MPI-3 non-blocking calls (MPI_Iallreduce, ...); a Work holds
// the request and, for ReduceOp::avg, divides by the group size once the sum
// has arrived. OpenMPI moves non-blocking collectives on only inside MPI calls,
// so callers that overlap communication with compute call test() now and then.
#include "distributed/mpi_backend.h"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "autograd/ops/elementwise.h"

namespace forge::distributed::detail {
namespace {

void mpi_check(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  FORGE_THROW("MPI call " << call << " failed at " << file << ":" << line << ": "
                          << (len > 0 ? std::string(text, static_cast<size_t>(len)) : "error code " + std::to_string(rc)));
}

#define FORGE_MPI_CHECK(call) mpi_check((call), #call, __FILE__, __LINE__)

int count_of(const Tensor& t, const char* what) {
  FORGE_CHECK(t.numel() <= INT_MAX, what << ": " << t.numel() << " elements exceed MPI's int count limit");
  return static_cast<int>(t.numel());
}

class MpiWork : public Work {
 public:
  // `keep` holds the tensors MPI reads or writes until the operation completes;
  // `scaled` (the result) is multiplied by `scale_by` (1/size for avg) once it has arrived.
  MpiWork(MPI_Request request, std::vector<Tensor> keep, Tensor scaled = Tensor(), double scale_by = 1.0)
      : request_(request), keep_(std::move(keep)), scaled_(std::move(scaled)), scale_by_(scale_by) {}
  ~MpiWork() override {
    // A handle dropped unwaited must not leave MPI writing into freed memory.
    if (!done_ && mpi_is_initialized()) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  void wait() override {
    if (done_) return;
    FORGE_MPI_CHECK(MPI_Wait(&request_, MPI_STATUS_IGNORE));
    finish();
  }
  bool test() override {
    if (done_) return true;
    int flag = 0;
    FORGE_MPI_CHECK(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE));
    if (flag) finish();
    return done_;
  }

 private:
  void finish() {
    done_ = true;
    if (scaled_.defined() && scale_by_ != 1.0) ops::mul_scalar_(scaled_, scale_by_);
    keep_.clear();
    scaled_ = Tensor();
  }

  MPI_Request request_;
  std::vector<Tensor> keep_;
  Tensor scaled_;
  double scale_by_;
  bool done_ = false;
};

class MpiProcessGroup : public ProcessGroup {
 public:
  // Takes ownership of `comm` unless it is MPI_COMM_WORLD.
  explicit MpiProcessGroup(MPI_Comm comm) : comm_(comm) {
    FORGE_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    FORGE_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
    FORGE_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  }
  ~MpiProcessGroup() override {
    if (comm_ != MPI_COMM_WORLD && mpi_is_initialized()) MPI_Comm_free(&comm_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  WorkHandle all_reduce(Tensor& tensor, ReduceOp op) override {
    check_tensor(tensor, "all_reduce");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(), count_of(tensor, "all_reduce"), MPI_FLOAT, MPI_SUM,
                                   comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{tensor}, tensor, avg_scale(op));
  }

  WorkHandle reduce_scatter(const Tensor& input, Tensor& output, ReduceOp op) override {
    check_tensor(input, "reduce_scatter input");
    check_tensor(output, "reduce_scatter output");
    FORGE_CHECK(input.numel() == int64_t(size_) * output.numel(),
                "reduce_scatter: input has " << input.numel() << " elements, expected group size " << size_
                                             << " x output " << output.numel());
    check_disjoint(input, output, "reduce_scatter");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Ireduce_scatter_block(input.data_ptr(), output.data_ptr(), count_of(output, "reduce_scatter"),
                                              MPI_FLOAT, MPI_SUM, comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{input, output}, output, avg_scale(op));
  }

  WorkHandle all_gather(const Tensor& input, Tensor& output) override {
    check_tensor(input, "all_gather input");
    check_tensor(output, "all_gather output");
    FORGE_CHECK(output.numel() == int64_t(size_) * input.numel(),
                "all_gather: output has " << output.numel() << " elements, expected group size " << size_
                                          << " x input " << input.numel());
    const int count = count_of(input, "all_gather");
    // In place when the input is this rank's block of the output.
    const bool in_place = input.data<float>() == output.data<float>() + int64_t(rank_) * count;
    if (!in_place) check_disjoint(input, output, "all_gather");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Iallgather(in_place ? MPI_IN_PLACE : input.data_ptr(), count, MPI_FLOAT, output.data_ptr(),
                                   count, MPI_FLOAT, comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{input, output});
  }

  WorkHandle broadcast(Tensor& tensor, int root) override {
    check_tensor(tensor, "broadcast");
    check_peer(root, "broadcast root");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Ibcast(tensor.data_ptr(), count_of(tensor, "broadcast"), MPI_FLOAT, root, comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{tensor});
  }

  WorkHandle send(const Tensor& tensor, int dst, int tag) override {
    check_tensor(tensor, "send");
    check_peer(dst, "send destination");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Isend(tensor.data_ptr(), count_of(tensor, "send"), MPI_FLOAT, dst, tag, comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{tensor});
  }

  WorkHandle recv(Tensor& tensor, int src, int tag) override {
    check_tensor(tensor, "recv");
    check_peer(src, "recv source");
    MPI_Request req;
    FORGE_MPI_CHECK(MPI_Irecv(tensor.data_ptr(), count_of(tensor, "recv"), MPI_FLOAT, src, tag, comm_, &req));
    return std::make_shared<MpiWork>(req, std::vector<Tensor>{tensor});
  }

  void barrier() override { FORGE_MPI_CHECK(MPI_Barrier(comm_)); }

  std::shared_ptr<ProcessGroup> split(int color, int key) override {
    MPI_Comm sub;
    FORGE_MPI_CHECK(MPI_Comm_split(comm_, color, key, &sub));
    return std::make_shared<MpiProcessGroup>(sub);
  }

 private:
  double avg_scale(ReduceOp op) const { return op == ReduceOp::avg ? 1.0 / static_cast<double>(size_) : 1.0; }
  void check_peer(int peer, const char* what) const {
    FORGE_CHECK(peer >= 0 && peer < size_, what << " " << peer << " is not a rank of this group of size " << size_);
  }
  static void check_disjoint(const Tensor& a, const Tensor& b, const char* what) {
    const char* a0 = static_cast<const char*>(a.data_ptr());
    const char* b0 = static_cast<const char*>(b.data_ptr());
    FORGE_CHECK(a0 + a.nbytes() <= b0 || b0 + b.nbytes() <= a0, what << ": input and output overlap");
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::shared_ptr<ProcessGroup> mpi_init_world() {
  if (!mpi_is_initialized()) {
    int provided = 0;
    FORGE_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
    FORGE_CHECK(provided >= MPI_THREAD_FUNNELED,
                "the MPI library provides thread level " << provided << ", forge needs MPI_THREAD_FUNNELED");
  }
  return std::make_shared<MpiProcessGroup>(MPI_COMM_WORLD);
}

bool mpi_is_initialized() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

void mpi_finalize() {
  if (mpi_is_initialized()) FORGE_MPI_CHECK(MPI_Finalize());
}

void mpi_abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this only satisfies [[noreturn]]
}

}  // namespace forge::distributed::detail
