// Finite-difference gradient check in fp64, shared by every op's tests.
//
// The checked scalar is L = sum(f(inputs) * W) with a fixed random W, so every
// output element contributes with a distinct weight. Analytic dL/dx comes from
// the engine; numeric dL/dx from central differences on each input element.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/philox.h"

namespace forge::testing {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// f64 leaf of the given shape with values from N(0, 1) * scale + shift, requiring grad.
inline Tensor random_input(const Shape& shape, uint64_t seed, double scale = 1.0, double shift = 0.0) {
  Generator gen(seed);
  Tensor t = Tensor::randn(shape, gen, DType::f64, shift, scale);
  t.set_requires_grad(true);
  return t;
}

inline void expect_gradients_match(const OpFn& f, const std::vector<Tensor>& inputs, double eps = 1e-6,
                                   double atol = 1e-6, double rtol = 1e-5) {
  for (const Tensor& x : inputs) {
    ASSERT_EQ(x.dtype(), DType::f64) << "gradcheck inputs must be f64";
    ASSERT_TRUE(x.is_leaf() && x.is_contiguous());
  }
  Tensor out = f(inputs);
  Generator wgen(1234);
  Tensor w = Tensor::randn(out.shape(), wgen, DType::f64);
  auto loss_of = [&](const Tensor& o) { return ops::sum(ops::mul(o, w)); };

  std::vector<Tensor> wanted;
  for (const Tensor& x : inputs)
    if (x.requires_grad()) wanted.push_back(x);
  std::vector<Tensor> analytic = autograd::backward_capturing({loss_of(out)}, {Tensor()}, wanted);

  NoGradGuard no_grad;
  size_t wi = 0;
  for (const Tensor& x : inputs) {
    if (!x.requires_grad()) continue;
    const Tensor& g = analytic[wi++];
    std::vector<double> ga = g.defined() ? g.to_double_vector() : std::vector<double>(x.numel(), 0.0);
    double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double orig = p[i];
      p[i] = orig + eps;
      const double lp = loss_of(f(inputs)).item();
      p[i] = orig - eps;
      const double lm = loss_of(f(inputs)).item();
      p[i] = orig;
      const double numeric = (lp - lm) / (2 * eps);
      EXPECT_NEAR(ga[i], numeric, atol + rtol * std::abs(numeric))
          << "input " << (wi - 1) << " " << x.str() << " element " << i;
    }
  }
}

}  // namespace forge::testing
