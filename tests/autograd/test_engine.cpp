// The autograd engine: gradient flow through shared subgraphs, accumulation
// into .grad across passes, no-grad and detach, retained vs freed graphs, leaf
// hooks, capturing backward, direct accumulation into .grad (linear's weight),
// and shape-mismatch errors; on every device (tests/support/test_device.h).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "common/philox.h"
#include "tests/support/test_device.h"

namespace forge {
namespace {

using testing::current_device;

class Engine : public testing::DeviceTest {};
FORGE_INSTANTIATE_ON_DEVICES(Engine);

Tensor leaf(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())}).to(current_device());
  t.set_requires_grad(true);
  return t;
}

std::vector<double> grad_of(const Tensor& t) {
  EXPECT_TRUE(t.grad().defined());
  if (t.grad().defined()) {
    EXPECT_EQ(t.grad().device(), t.device()) << "a gradient left its leaf's device";
  }
  return t.grad().defined() ? t.grad().to_double_vector() : std::vector<double>{};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_P(Engine, DiamondGraphSumsBothPaths) {
  Tensor x = leaf({1.0, 2.0, -3.0});
  Tensor a = ops::mul_scalar(x, 2.0);   // 2x
  Tensor b = ops::add_scalar(x, 3.0);   // x + 3
  Tensor d = ops::sum(ops::mul(a, b));  // sum(2x (x + 3)): d/dx = 4x + 6
  d.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{10.0, 14.0, -6.0}));
  // One tensor used twice by the same op.
  Tensor y = leaf({3.0, -1.0});
  ops::sum(ops::mul(y, y)).backward();
  EXPECT_EQ(grad_of(y), (std::vector<double>{6.0, -2.0}));
}

TEST_P(Engine, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = leaf({1.0, 2.0});
  ops::sum(ops::mul(x, x)).backward();
  Tensor g1 = x.grad();
  ops::sum(ops::mul(x, x)).backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{4.0, 8.0}));
  EXPECT_TRUE(x.grad().shares_storage(g1)) << "accumulation should be in place";
}

TEST_P(Engine, ZeroGradThenFreshGradient) {
  Tensor x = leaf({1.0, 2.0});
  ops::sum(ops::mul_scalar(x, 3.0)).backward();
  x.zero_grad();
  EXPECT_EQ(grad_of(x), (std::vector<double>{0.0, 0.0}));
  ops::sum(x).backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{1.0, 1.0}));
  Tensor fresh = leaf({1.0});
  fresh.zero_grad();  // no gradient yet: nothing to do
  EXPECT_FALSE(fresh.grad().defined());
}

TEST_P(Engine, NoGradGuardRecordsNothing) {
  Tensor x = leaf({1.0, 2.0});
  {
    NoGradGuard guard;
    EXPECT_FALSE(GradMode::is_enabled());
    Tensor y = ops::sum(ops::mul(x, x));
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_THROW(y.backward(), Error);
    {
      EnableGradGuard enable;
      EXPECT_TRUE(ops::mul(x, x).requires_grad());
    }
    EXPECT_FALSE(GradMode::is_enabled());
  }
  EXPECT_TRUE(GradMode::is_enabled());
  EXPECT_TRUE(ops::mul(x, x).requires_grad());
}

TEST_P(Engine, DetachStopsGradients) {
  Tensor x = leaf({2.0, 5.0});
  Tensor c = x.detach();
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(c.shares_storage(x));
  ops::sum(ops::mul(c, x)).backward();  // only the non-detached path: d/dx = x
  EXPECT_EQ(grad_of(x), (std::vector<double>{2.0, 5.0}));
}

TEST_P(Engine, SecondBackwardNeedsRetainGraph) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = ops::sum(ops::mul(x, x));
  y.backward();
  try {
    y.backward();
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "retain_graph")) << e.what();
  }
  Tensor z = ops::sum(ops::mul(x, ops::exp(x)));
  x.zero_grad();
  z.backward(Tensor(), /*retain_graph=*/true);
  z.backward();
  const double e1 = std::exp(1.0), e2 = std::exp(2.0);
  std::vector<double> g = grad_of(x);  // 2 * (1 + x) e^x
  EXPECT_NEAR(g[0], 2 * 2 * e1, 1e-12);
  EXPECT_NEAR(g[1], 2 * 3 * e2, 1e-12);
}

TEST_P(Engine, LeafHooksFireOncePerBackwardWithFinalGradient) {
  Tensor x = leaf({1.0, 2.0});
  int calls = 0;
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_double_vector();
  });
  // x reaches the loss along three paths.
  Tensor loss = ops::sum(ops::add(ops::add(ops::mul_scalar(x, 2.0), ops::mul(x, x)), x));
  loss.backward();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, (std::vector<double>{5.0, 7.0}));  // 2 + 2x + 1
  ops::sum(x).backward();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, (std::vector<double>{6.0, 8.0}));  // accumulated .grad
}

TEST_P(Engine, BackwardCapturingLeavesGradUntouched) {
  Tensor x = leaf({1.0, 2.0});
  Tensor w = leaf({3.0, 4.0});
  Tensor loss = ops::sum(ops::mul(ops::mul(x, w), x));  // x^2 w
  std::vector<Tensor> g = autograd::backward_capturing({loss}, {Tensor()}, {x});
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].to_double_vector(), (std::vector<double>{6.0, 16.0}));  // 2 x w
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(grad_of(w), (std::vector<double>{1.0, 4.0}));  // x^2 still accumulates
  // A captured leaf that the graph does not reach gets an undefined gradient.
  Tensor unused = leaf({1.0});
  std::vector<Tensor> g2 = autograd::backward_capturing({ops::sum(w)}, {Tensor()}, {unused});
  EXPECT_FALSE(g2[0].defined());
}

TEST_P(Engine, GradientsOfSeveralLeavesNeverShareMemory) {
  // add's backward hands the same tensor to both inputs: each leaf must own its .grad.
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0, 4.0});
  ops::sum(ops::add(a, b)).backward();
  EXPECT_FALSE(a.grad().shares_storage(b.grad()));
  ops::sum(ops::add(a, b)).backward();  // in-place accumulation into one must not move the other
  EXPECT_EQ(grad_of(a), (std::vector<double>{2.0, 2.0}));
  EXPECT_EQ(grad_of(b), (std::vector<double>{2.0, 2.0}));
}

// linear's weight gradient goes straight into an existing .grad (a beta = 1
// GEMM); the result must equal the ordinary path's, also when the weight has a
// second use (tied weights) and its hook must still fire once with the total.
TEST_P(Engine, LinearWeightGradientAccumulatesDirectlyIntoGrad) {
  Generator gen(7);
  const Device dev = current_device();
  Tensor x = Tensor::randn({5, 4}, gen, DType::f64, 0.0, 1.0, dev);
  Tensor w = Tensor::randn({3, 4}, gen, DType::f64, 0.0, 1.0, dev).set_requires_grad(true);
  Tensor b = Tensor::randn({3}, gen, DType::f64, 0.0, 1.0, dev).set_requires_grad(true);
  auto loss_fn = [&] {
    // w is used twice: by linear and by an elementwise term.
    return ops::add(ops::sum(ops::mul(ops::linear(x, w, b), ops::linear(x, w, b))), ops::sum(ops::mul(w, w)));
  };
  // Reference: no .grad yet, so the first pass takes the ordinary path.
  loss_fn().backward();
  const std::vector<double> once = w.grad().to_double_vector();
  Tensor before = w.grad();
  int calls = 0;
  std::vector<double> seen;
  w.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_double_vector();
  });
  loss_fn().backward();  // .grad exists: the linear contributions go straight into it
  EXPECT_TRUE(w.grad().shares_storage(before));
  const std::vector<double> twice = w.grad().to_double_vector();
  ASSERT_EQ(twice.size(), once.size());
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(twice[i], 2.0 * once[i], 1e-12 * (1.0 + std::abs(once[i])));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, twice);
  // Only linear's use: the hook still fires although no gradient reaches the accumulator.
  ops::sum(ops::linear(x, w, b)).backward();
  EXPECT_EQ(calls, 2);
  // A captured weight is never written: its gradient is returned instead.
  const std::vector<double> kept = w.grad().to_double_vector();
  std::vector<Tensor> got = autograd::backward_capturing({ops::sum(ops::linear(x, w, b))}, {Tensor()}, {w});
  ASSERT_TRUE(got[0].defined());
  EXPECT_EQ(w.grad().to_double_vector(), kept);
  for (int64_t j = 0; j < 4; ++j) {  // d sum(x w^T + b) / d w[i][j] = sum over rows of x[:, j]
    double col = 0.0;
    for (int64_t r = 0; r < 5; ++r) col += x.to_double_vector()[static_cast<size_t>(r * 4 + j)];
    EXPECT_NEAR(got[0].to_double_vector()[static_cast<size_t>(j)], col, 1e-12);
  }
}

TEST_P(Engine, ViewBackwardsMakeTheirGradientsOnTheInputsDevice) {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0});
  // narrow's backward zero-fills a gradient of x's shape; expand's sums one back.
  Tensor loss = ops::add(ops::sum(ops::mul_scalar(x.narrow(0, 1, 2), 5.0)),
                         ops::sum(x.narrow(0, 0, 1).expand({3})));
  loss.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{3.0, 5.0, 5.0, 0.0}));
}

TEST_P(Engine, ExplicitRootGradientAndMultipleRoots) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = ops::mul_scalar(x, 3.0);
  y.backward(Tensor::from_vector(std::vector<double>{1.0, -1.0}, {2}).to(current_device()));
  EXPECT_EQ(grad_of(x), (std::vector<double>{3.0, -3.0}));
  x.zero_grad();
  autograd::backward({ops::sum(x), ops::sum(ops::mul(x, x))}, {Tensor(), Tensor()});
  EXPECT_EQ(grad_of(x), (std::vector<double>{3.0, 5.0}));
}

TEST_P(Engine, ShapeMismatchErrorsNameOpAndShapes) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  try {
    ops::mul(x, Tensor::zeros({2}, DType::f64, current_device()));
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "mul") && contains(e.what(), "(3)") && contains(e.what(), "(2)")) << e.what();
  }
  // Root gradient of the wrong shape.
  try {
    ops::mul_scalar(x, 2.0).backward(Tensor::zeros({4}, DType::f64, current_device()));
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "(4)") && contains(e.what(), "(3)")) << e.what();
  }
  // A backward rule returning a wrong-shaped gradient is caught with the op's name.
  Tensor out = Tensor::zeros({3}, DType::f64, current_device());
  record("bad_op", {x}, out, [](const std::vector<Tensor>&) {
    return std::vector<Tensor>{Tensor::zeros({5}, DType::f64, current_device())};
  });
  try {
    ops::sum(out).backward();
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "bad_op") && contains(e.what(), "(5)") && contains(e.what(), "(3)")) << e.what();
  }
  // A non-scalar root needs an explicit gradient.
  EXPECT_THROW(ops::mul_scalar(x, 2.0).backward(), Error);
}

}  // namespace
}  // namespace forge
