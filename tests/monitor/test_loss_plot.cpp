// Reading a run's loss curves from metrics.jsonl: one point per step with the
// last record winning (a resumed run is continuous), validation tokens from the
// training records, an unterminated last line skipped, errors naming the line.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "monitor/loss_plot.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

fs::path run_with(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "forge_loss_plot" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "metrics.jsonl") << text;
  return dir;
}

TEST(LossPlot, ResumedRunIsContinuousLastRecordWins) {
  const fs::path dir = run_with("resumed/",
                                "{\"step\": 10, \"loss\": 5, \"tokens\": 100}\n"
                                "{\"step\": 20, \"loss\": 4, \"tokens\": 200}\n"
                                "{\"step\": 20, \"val_loss\": 4.5}\n"
                                "{\"step\": 30, \"loss\": 9, \"tokens\": 300}\n"  // lost after the checkpoint at 20
                                "{\"step\": 30, \"loss\": 3, \"tokens\": 300}\n"  // the resumed run's
                                "{\"step\": 40, \"loss\": 2.5, \"tokens\": 400}\n"
                                "{\"step\": 45, \"val_loss\": 3.25}\n"
                                "{\"step\": 50, \"lo");  // being written
  const RunCurves c = read_run_curves((dir / "").string());
  EXPECT_EQ(c.name, "resumed");
  EXPECT_EQ(c.train_step, (std::vector<double>{10, 20, 30, 40}));
  EXPECT_EQ(c.train_loss, (std::vector<double>{5, 4, 3, 2.5}));
  EXPECT_EQ(c.train_tokens, (std::vector<double>{100, 200, 300, 400}));
  EXPECT_EQ(c.val_step, (std::vector<double>{20, 45}));
  EXPECT_EQ(c.val_loss, (std::vector<double>{4.5, 3.25}));
  EXPECT_EQ(c.val_tokens, (std::vector<double>{200, 450}));  // step 45: scaled from step 40's record
}

TEST(LossPlot, NullIsAGapAndErrorsNameTheLine) {
  const RunCurves c = read_run_curves(run_with("nulls", "{\"step\": 1, \"loss\": null}\n\n").string());
  ASSERT_EQ(c.train_loss.size(), 1u);
  EXPECT_TRUE(std::isnan(c.train_loss[0]));

  auto message = [](const fs::path& dir) {
    try {
      read_run_curves(dir.string());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(run_with("nostep", "{\"step\": 1, \"loss\": 2}\n{\"loss\": 2}\n")).find("metrics.jsonl:2: expected a JSON object with a numeric \"step\""),
            std::string::npos);
  EXPECT_NE(message(run_with("text", "{\"step\": 1, \"loss\": \"high\"}\n")).find("metrics.jsonl:1: \"loss\" should be a number"),
            std::string::npos);
  EXPECT_NE(message(run_with("noloss", "{\"step\": 1, \"lr\": 2}\n")).find("has no loss records yet"), std::string::npos);
}

}  // namespace
}  // namespace forge::recipes
