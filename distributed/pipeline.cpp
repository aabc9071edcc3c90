// Pipeline schedules over point-to-point sends (see pipeline.h).
#include "distributed/pipeline.h"

#include <algorithm>
#include <vector>

namespace forge::distributed {

PipelineSchedule pipeline_schedule_from_name(const std::string& name) {
  if (name == "1f1b") return PipelineSchedule::one_f_one_b;
  if (name == "gpipe") return PipelineSchedule::gpipe;
  FORGE_THROW("unknown pipeline schedule '" << name << "'; expected one of: 1f1b, gpipe");
}

const char* pipeline_schedule_name(PipelineSchedule s) { return s == PipelineSchedule::gpipe ? "gpipe" : "1f1b"; }

namespace {

// One stage's run of a step: the tensors in flight and the two halves of a micro-batch.
class StageRun {
 public:
  StageRun(ProcessGroup& pp, const PipelineStep& step)
      : pp_(pp), step_(step), stage_(pp.rank()), first_(stage_ == 0), last_(stage_ == pp.size() - 1),
        inputs_(static_cast<size_t>(step.micro_batches)), outputs_(inputs_.size()) {}

  ~StageRun() {
    for (auto& w : sends_) w->wait();
  }

  void forward(int64_t m, bool with_grad) {
    Tensor in;
    if (!first_) {
      in = Tensor::empty(step_.activation_shape(m));
      pp_.recv(in, stage_ - 1, tag(m, false))->wait();
      if (with_grad) in.set_requires_grad(true);
    }
    Tensor out = step_.forward(m, in);
    if (!last_) send(out.detach().contiguous(), stage_ + 1, tag(m, false));
    if (with_grad) {
      inputs_[m] = in;
      outputs_[m] = out;
    }
  }

  void backward(int64_t m) {
    if (step_.before_backward) step_.before_backward(m);
    if (last_) {
      outputs_[m].backward();
    } else {
      Tensor grad = Tensor::empty(outputs_[m].shape());
      pp_.recv(grad, stage_ + 1, tag(m, true))->wait();
      outputs_[m].backward(grad);
    }
    if (!first_) {
      Tensor g = inputs_[m].grad();
      send(g.defined() ? g.contiguous() : Tensor::zeros(inputs_[m].shape()), stage_ - 1, tag(m, true));
    }
    inputs_[m] = outputs_[m] = Tensor();  // this micro-batch's activations are no longer needed
  }

 private:
  static int tag(int64_t m, bool grad) { return static_cast<int>(2 * m + (grad ? 1 : 0)); }
  void send(Tensor t, int dst, int tag) {
    sends_.push_back(pp_.send(t, dst, tag));
    buffers_.push_back(std::move(t));  // alive until the send completes
  }

  ProcessGroup& pp_;
  const PipelineStep& step_;
  int stage_;
  bool first_, last_;
  std::vector<Tensor> inputs_, outputs_;
  std::vector<WorkHandle> sends_;
  std::vector<Tensor> buffers_;
};

}  // namespace

void run_pipeline(PipelineSchedule schedule, ProcessGroup& pp, const PipelineStep& step) {
  const int64_t M = step.micro_batches;
  StageRun run(pp, step);
  if (schedule == PipelineSchedule::gpipe) {
    for (int64_t m = 0; m < M; ++m) run.forward(m, true);
    for (int64_t m = 0; m < M; ++m) run.backward(m);
    return;
  }
  const int64_t warmup = std::min<int64_t>(pp.size() - 1 - pp.rank(), M);
  for (int64_t m = 0; m < warmup; ++m) run.forward(m, true);
  for (int64_t m = warmup; m < M; ++m) {
    run.forward(m, true);
    run.backward(m - warmup);
  }
  for (int64_t m = M - warmup; m < M; ++m) run.backward(m);
}

void run_pipeline_forward(ProcessGroup& pp, const PipelineStep& step) {
  StageRun run(pp, step);
  for (int64_t m = 0; m < step.micro_batches; ++m) run.forward(m, false);
}

}  // namespace forge::distributed
