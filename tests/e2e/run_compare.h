// Comparing two runs of `forge train` bit for bit, for the end-to-end tests:
// their metrics.jsonl without the timing fields, and every tensor of two
// checkpoints.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"

namespace forge::e2e {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// metrics.jsonl without the timing fields (tokens_per_s, mfu), one string per
// line: what must be bitwise equal between runs (values are printed round-trip exact).
inline std::vector<std::string> deterministic_metrics(const std::filesystem::path& run_dir) {
  std::vector<std::string> out;
  std::istringstream in(read_text(run_dir / "metrics.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    std::string kept;
    std::istringstream fields(line.substr(1, line.size() - 2));
    std::string field;
    while (std::getline(fields, field, ','))
      if (field.find("tokens_per_s") == std::string::npos && field.find("mfu") == std::string::npos) kept += field + ",";
    out.push_back(kept);
  }
  return out;
}

// Every model and optimizer tensor of two checkpoints, byte for byte.
inline void expect_same_checkpoint_weights(const recipes::CheckpointContents& x, const recipes::CheckpointContents& y) {
  ASSERT_EQ(x.model.size(), y.model.size());
  for (size_t i = 0; i < x.model.size(); ++i) {
    EXPECT_EQ(x.model[i].first, y.model[i].first);
    ASSERT_EQ(x.model[i].second.shape(), y.model[i].second.shape());
    EXPECT_EQ(0, std::memcmp(x.model[i].second.data_ptr(), y.model[i].second.data_ptr(), x.model[i].second.nbytes()))
        << x.model[i].first << " differs";
  }
  ASSERT_EQ(x.optimizer_state.size(), y.optimizer_state.size());
  for (const auto& [key, t] : x.optimizer_state) {
    ASSERT_TRUE(y.optimizer_state.count(key)) << key;
    EXPECT_EQ(0, std::memcmp(t.data_ptr(), y.optimizer_state.at(key).data_ptr(), t.nbytes())) << key << " differs";
  }
}

// The same, plus the step counters and the training state.
inline void expect_same_checkpoint(const std::filesystem::path& a, const std::filesystem::path& b) {
  const recipes::CheckpointContents x = recipes::load_checkpoint(a.string()), y = recipes::load_checkpoint(b.string());
  expect_same_checkpoint_weights(x, y);
  EXPECT_EQ(x.optimizer_step_count, y.optimizer_step_count);
  EXPECT_EQ(x.state.loss_scale, y.state.loss_scale);
  EXPECT_EQ(x.state.loss_scale_good_steps, y.state.loss_scale_good_steps);
  EXPECT_EQ(x.state.step, y.state.step);
  EXPECT_EQ(x.state.tokens_seen, y.state.tokens_seen);
  EXPECT_EQ(x.state.dropout_offset, y.state.dropout_offset);
  EXPECT_EQ(x.state.loader_step, y.state.loader_step);
  EXPECT_EQ(x.state.skipped_steps, y.state.skipped_steps);
}

}  // namespace forge::e2e
