// Reader for the golden cases written by scripts/make_golden.py (PyTorch
// reference values in tests/data/golden/<case>.bin), and the helpers that run a
// forge op on a case and compare outputs and input gradients against it.
//
// A case holds named tensors (inputs, "out"/"out.N", the loss weights
// "W"/"W.N", "grad.<input>") and "key=value" metadata (torch version, op
// parameters). The checked scalar is L = sum_i sum(out_i * W_i); its input
// gradients come from autograd::backward_capturing with root grads W_i.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "autograd/engine.h"
#include "autograd/ops.h"

namespace forge::testing {

class GoldenCase {
 public:
  explicit GoldenCase(const std::string& name) : name_(name) {
    const std::string path = std::string(FORGE_TEST_DATA_DIR) + "/golden/" + name + ".bin";
    std::ifstream in(path, std::ios::binary);
    FORGE_CHECK(in.good(), "golden case " << path << " not found (regenerate with scripts/make_golden.py)");
    char magic[4];
    in.read(magic, 4);
    FORGE_CHECK(std::memcmp(magic, "FGLD", 4) == 0, "golden case " << path << ": bad magic");
    FORGE_CHECK(read_u32(in) == 1, "golden case " << path << ": unsupported version");
    std::istringstream meta(read_string(in, read_u32(in)));
    for (std::string line; std::getline(meta, line);) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) meta_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    const uint32_t count = read_u32(in);
    for (uint32_t i = 0; i < count; ++i) {
      std::string tname = read_string(in, read_u32(in));
      uint8_t code = 0;
      in.read(reinterpret_cast<char*>(&code), 1);
      const uint32_t ndim = read_u32(in);
      Shape shape(ndim);
      in.read(reinterpret_cast<char*>(shape.data()), static_cast<std::streamsize>(ndim * sizeof(int64_t)));
      static const DType kCodes[] = {DType::f32, DType::i64, DType::u8};
      FORGE_CHECK(code < 3, "golden case " << path << ": tensor " << tname << " has unknown dtype code " << int(code));
      Tensor t = Tensor::empty(shape, kCodes[code]);
      in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
      FORGE_CHECK(in.good(), "golden case " << path << ": truncated at tensor " << tname);
      tensors_[tname] = t;
    }
  }

  const std::string& name() const { return name_; }
  bool has(const std::string& key) const { return tensors_.count(key) != 0; }
  // A fresh copy, so tests may mark it requires_grad without touching the case.
  Tensor get(const std::string& key) const {
    auto it = tensors_.find(key);
    FORGE_CHECK(it != tensors_.end(), "golden case " << name_ << " has no tensor '" << key << "'");
    return it->second.clone();
  }
  std::string meta(const std::string& key) const {
    auto it = meta_.find(key);
    FORGE_CHECK(it != meta_.end(), "golden case " << name_ << " has no metadata '" << key << "'");
    return it->second;
  }
  double meta_double(const std::string& key) const { return std::stod(meta(key)); }
  int64_t meta_int(const std::string& key) const { return std::stoll(meta(key)); }
  std::vector<int64_t> meta_ints(const std::string& key) const {  // "0,2" -> {0, 2}
    std::vector<int64_t> out;
    std::stringstream ss(meta(key));
    for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoll(item));
    return out;
  }

 private:
  static uint32_t read_u32(std::ifstream& in) {
    uint32_t v = 0;
    in.read(reinterpret_cast<char*>(&v), 4);
    return v;
  }
  static std::string read_string(std::ifstream& in, uint32_t n) {
    std::string s(n, '\0');
    in.read(s.data(), n);
    return s;
  }

  std::string name_;
  std::map<std::string, std::string> meta_;
  std::map<std::string, Tensor> tensors_;
};

// Elementwise |got - want| <= atol + rtol |want|; reports the count of
// mismatches and the worst element (index, both values, abs and rel error).
inline void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << ": forge produced no tensor";
  ASSERT_EQ(got.shape(), want.shape()) << what << ": forge " << shape_str(got.shape()) << " vs torch "
                                       << shape_str(want.shape());
  const std::vector<double> g = got.to_double_vector();
  const std::vector<double> w = want.to_double_vector();
  int64_t bad = 0, worst = -1;
  double worst_excess = 0, max_abs = 0, max_rel = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double err = std::abs(g[i] - w[i]);
    const double tol = atol + rtol * std::abs(w[i]);
    max_abs = std::max(max_abs, err);
    if (std::abs(w[i]) > atol) max_rel = std::max(max_rel, err / std::abs(w[i]));
    if (!(err <= tol)) {  // also catches NaN
      ++bad;
      if (worst < 0 || !(err - tol <= worst_excess)) worst = static_cast<int64_t>(i), worst_excess = err - tol;
    }
  }
  std::ostringstream msg;
  msg << std::setprecision(3) << what << ": " << bad << " of " << g.size() << " elements differ from torch (rtol "
      << rtol << ", atol " << atol << "); max abs err " << max_abs << ", max rel err " << max_rel;
  if (worst >= 0)
    msg << std::setprecision(9) << "; worst at flat index " << worst << ": forge " << g[worst] << " vs torch "
        << w[worst];
  EXPECT_EQ(bad, 0) << msg.str();
  // FORGE_GOLDEN_REPORT=1 prints every comparison's errors, to see the headroom under the tolerance.
  if (std::getenv("FORGE_GOLDEN_REPORT") != nullptr) std::cout << "[golden] " << msg.str() << "\n";
}

struct GoldenTolerance {
  double rtol = 1e-5;
  double atol = 1e-5;
};

// What a golden test's op lambda sees: the case's inputs by name (float ones
// are leaves requiring grad) and the case's metadata.
class GoldenInputs {
 public:
  GoldenInputs(const GoldenCase& c, std::map<std::string, Tensor> tensors) : case_(c), tensors_(std::move(tensors)) {}
  const Tensor& operator[](const std::string& key) const {
    auto it = tensors_.find(key);
    FORGE_CHECK(it != tensors_.end(), "golden case " << case_.name() << ": '" << key << "' is not a listed input");
    return it->second;
  }
  double num(const std::string& key) const { return case_.meta_double(key); }
  int64_t integer(const std::string& key) const { return case_.meta_int(key); }
  std::vector<int64_t> ints(const std::string& key) const { return case_.meta_ints(key); }
  const GoldenCase& golden() const { return case_; }

 private:
  const GoldenCase& case_;
  std::map<std::string, Tensor> tensors_;
};

using GoldenFn = std::function<std::vector<Tensor>(const GoldenInputs& in)>;

// Loads `case_name`, makes every input that has a "grad.<name>" entry an f32
// leaf requiring grad, runs `f` (returning the outputs in the case's order),
// back-propagates W, and compares outputs and input gradients with torch's.
inline void check_golden(const std::string& case_name, const std::vector<std::string>& inputs, const GoldenFn& f,
                         GoldenTolerance tol = {}) {
  GoldenCase c(case_name);
  std::map<std::string, Tensor> in;
  std::vector<std::string> grad_names;
  std::vector<Tensor> grad_leaves;
  for (const std::string& n : inputs) {
    Tensor t = c.get(n);
    if (c.has("grad." + n)) {
      t.set_requires_grad(true);
      grad_names.push_back(n);
      grad_leaves.push_back(t);
    }
    in[n] = t;
  }
  std::vector<Tensor> outs = f(GoldenInputs(c, in));
  const bool multi = c.has("out.0");
  size_t n_out = multi ? 0 : 1;
  while (multi && c.has("out." + std::to_string(n_out))) ++n_out;
  ASSERT_EQ(outs.size(), n_out) << case_name << ": number of outputs";
  std::vector<Tensor> ws;
  for (size_t i = 0; i < outs.size(); ++i) {
    const std::string suffix = multi ? "." + std::to_string(i) : "";
    ASSERT_EQ(outs[i].dtype(), DType::f32) << case_name << " out" << suffix;
    expect_close(outs[i], c.get("out" + suffix), tol.rtol, tol.atol, case_name + " out" + suffix);
    ws.push_back(c.get("W" + suffix));
    ASSERT_TRUE(outs[i].requires_grad()) << case_name << " out" << suffix << " does not require grad";
  }
  std::vector<Tensor> grads = autograd::backward_capturing(outs, ws, grad_leaves);
  for (size_t i = 0; i < grad_names.size(); ++i) {
    Tensor want = c.get("grad." + grad_names[i]);
    // An input no gradient reached has a zero gradient in torch's terms.
    Tensor got = grads[i].defined() ? grads[i] : Tensor::zeros(want.shape());
    expect_close(got, want, tol.rtol, tol.atol, case_name + " grad." + grad_names[i]);
  }
}

}  // namespace forge::testing
