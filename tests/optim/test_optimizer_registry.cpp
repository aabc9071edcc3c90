// The optimizer registry: names to builders, duplicates rejected, unknown names listed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "optim/optimizer.h"

namespace forge {
namespace {

std::vector<optim::ParamGroup> one_param(Tensor& p) {
  p = Tensor::from_vector(std::vector<float>{1.0f, -2.0f}, {2});
  p.set_requires_grad(true);
  return {{{"w"}, {p}, 0.0}};
}

TEST(OptimizerRegistry, BuildsTheBuiltInsWithTheirOptions) {
  const std::vector<std::string> names = optim::optimizer_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "adamw"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "sgd"), names.end());

  // sgd with momentum 0.5, two steps of grad 1: p -= lr * (1), then lr * (1.5).
  Tensor p;
  auto sgd = optim::make_optimizer("sgd", one_param(p), {.lr = 0.1, .momentum = 0.5});
  for (int i = 0; i < 2; ++i) {
    p.set_grad(Tensor::from_vector(std::vector<float>{1.0f, 1.0f}, {2}));
    sgd->step();
  }
  EXPECT_NEAR(p.to_float_vector()[0], 1.0 - 0.1 - 0.15, 1e-6);
  EXPECT_EQ(sgd->state().count("w/momentum_buffer"), 1u);

  Tensor q;
  auto adamw = optim::make_optimizer("adamw", one_param(q), {.lr = 0.01});
  q.set_grad(Tensor::from_vector(std::vector<float>{1.0f, -1.0f}, {2}));
  adamw->step();
  EXPECT_NEAR(q.to_float_vector()[0], 1.0 - 0.01, 1e-5);  // first Adam step moves by ~lr
  EXPECT_EQ(adamw->state().count("w/exp_avg_sq"), 1u);
}

TEST(OptimizerRegistry, UnknownNameListsTheKnownOnes) {
  Tensor p;
  try {
    optim::make_optimizer("adam", one_param(p), {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown optimizer 'adam' (expected one of adamw, sgd"), std::string::npos)
        << e.what();
  }
}

// Registering changes the process-wide registry (and the names recipes accept),
// so it runs in a child process; "" when every check held, else what failed.
std::string register_and_check() {
  const auto no_momentum = [](std::vector<optim::ParamGroup> groups, const optim::OptimizerOptions& o) {
    return std::make_unique<optim::SGD>(std::move(groups), optim::SGDOptions{o.lr, 0.0});
  };
  optim::register_optimizer("sgd_plain", no_momentum);
  const std::vector<std::string> names = optim::optimizer_names();
  if (names != std::vector<std::string>{"adamw", "sgd", "sgd_plain"}) return "names not listed in order";
  Tensor p;
  auto opt = optim::make_optimizer("sgd_plain", one_param(p), {.lr = 0.5, .momentum = 0.9});
  p.set_grad(Tensor::from_vector(std::vector<float>{1.0f, 1.0f}, {2}));
  opt->step();
  if (std::abs(p.to_float_vector()[0] - 0.5f) > 1e-6f || !opt->state().empty()) return "sgd_plain did not build";
  for (const std::string& taken : {"adamw", "sgd_plain"}) {
    try {
      optim::register_optimizer(taken, no_momentum);
      return "registering '" + taken + "' twice was accepted";
    } catch (const Error& e) {
      if (std::string(e.what()).find("'" + taken + "' is already registered") == std::string::npos)
        return std::string("unexpected message: ") + e.what();
    }
  }
  Tensor q;  // the built-in is untouched
  auto adamw = optim::make_optimizer("adamw", one_param(q), {.lr = 0.01});
  q.set_grad(Tensor::from_vector(std::vector<float>{1.0f, -1.0f}, {2}));
  adamw->step();
  if (adamw->state().count("w/exp_avg") != 1) return "adamw was replaced";
  return "";
}

TEST(OptimizerRegistry, RegistersNewNamesAndRejectsDuplicates) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        const std::string failure = register_and_check();
        std::fprintf(stderr, "%s\n", failure.empty() ? "all checks held" : failure.c_str());
        std::exit(failure.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "all checks held");
  // This process's registry is unchanged.
  EXPECT_EQ(optim::optimizer_names(), (std::vector<std::string>{"adamw", "sgd"}));
}

}  // namespace
}  // namespace forge
