// Monitoring through the real binary. TensorBoard: a tiny run is trained twice
// in one run directory (a restart), then TensorBoard's own reader
// (tests/e2e/read_tensorboard.py, in the venv scripts/setup_python_tensorboard.sh
// makes) must see every record's CRCs intact and exactly the scalars of
// metrics.jsonl (one point per step, the last record winning) at float32
// precision. `forge plot`: a PNG that Python's zlib-based decoder
// (tests/e2e/check_png.py) accepts, of the requested size, with each run's
// colour; clear errors with exit 1 for bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "viz/line_chart.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kSource = FORGE_SOURCE_DIR;

// The venv's python, or "" after printing why it could not be made.
std::string tensorboard_python() {
  static const std::string python = [] {
    const char* env = std::getenv("FORGE_TENSORBOARD_VENV");
    const std::string venv = env ? env : std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") +
                                             "/.cache/forge/venv-tensorboard";
    const CommandResult r = run_shell("bash '" + kSource + "/scripts/setup_python_tensorboard.sh'");
    if (r.exit_code != 0) {
      std::fprintf(stderr, "%s\n", r.output.c_str());
      return std::string();
    }
    return venv + "/bin/python";
  }();
  return python;
}

#define REQUIRE_TENSORBOARD()                                                                           \
  if (tensorboard_python().empty()) {                                                                   \
    std::fprintf(stderr, "\n*** SKIPPING the TensorBoard reader test: Python's tensorboard could not "  \
                         "be installed from PyPI by scripts/setup_python_tensorboard.sh ***\n\n");      \
    GTEST_SKIP() << "SKIPPED, NOT VERIFIED: Python's tensorboard could not be installed";               \
  }

std::string write_recipe(const fs::path& dir) {
  write_tiny_shards(dir / "shards", 300, 4000);
  const std::string path = (dir / "tiny.yaml").string();
  std::ofstream(path) << "model: {preset: gpt2-test, vocab_size: 304}\n"
                      << "data: {train: '" << (dir / "shards" / "train_*.h5").string() << "', val: '"
                      << (dir / "shards" / "val_*.h5").string() << "', batch_size: 2, seq_len: 16}\n"
                      << "train: {max_steps: 6, log_interval: 2, eval_interval: 3, eval_steps: 2, peak_flops: 1.0e9}\n"
                      << "run: {dir: '" << (dir / "run").string() << "'}\n"
                      << "resume: none\n";
  return path;
}

// metrics.jsonl as tag -> step -> value, the last record for a step winning.
std::map<std::string, std::map<int64_t, double>> metrics_by_tag(const fs::path& file) {
  const std::map<std::string, std::string> tags = {{"loss", "train/loss"},         {"lr", "train/lr"},
                                                   {"grad_norm", "train/grad_norm"}, {"tokens_per_s", "train/tokens_per_s"},
                                                   {"mfu", "train/mfu"},           {"skipped", "train/skipped"},
                                                   {"val_loss", "val/loss"}};
  std::map<std::string, std::map<int64_t, double>> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto rec = nlohmann::json::parse(line);
    for (const auto& [key, value] : rec.items()) {
      if (tags.count(key)) out[tags.at(key)][rec["step"].get<int64_t>()] = value.get<double>();
    }
  }
  return out;
}

TEST(MonitoringE2e, TensorBoardEventsEqualMetricsJsonl) {
  REQUIRE_TENSORBOARD();
  const fs::path dir = fresh_dir("monitoring");
  const std::string recipe = write_recipe(dir);
  // Twice, starting over (checkpoints deleted): the second run's points replace
  // the first's (TensorBoard purges those at its SessionLog START), and
  // tokens_per_s differs between the two.
  for (int run = 0; run < 2; ++run) {
    fs::remove_all(dir / "run" / "checkpoints");
    const CommandResult r = run_forge("train '" + recipe + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto expected = metrics_by_tag(dir / "run" / "metrics.jsonl");
  ASSERT_EQ(expected.size(), 7u);
  EXPECT_EQ(expected.at("train/loss").size(), 3u);  // steps 2, 4, 6
  EXPECT_EQ(expected.at("val/loss").size(), 2u);    // steps 3, 6

  const CommandResult r = run_shell("'" + tensorboard_python() + "' '" + kSource + "/tests/e2e/read_tensorboard.py' '" +
                                    (dir / "run").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto out = nlohmann::json::parse(r.output.substr(r.output.rfind("{\"records\"")));
  EXPECT_EQ(out["file_version"], "brain.Event:2");
  // Per run: file_version + START + 6 scalars x 3 training records + 1 x 2 validation records.
  EXPECT_EQ(out["records"].get<int>(), 2 * (2 + 18 + 2));

  std::set<std::string> tags;
  for (const auto& [tag, points] : out["scalars"].items()) {
    tags.insert(tag);
    ASSERT_TRUE(expected.count(tag)) << "unexpected tag " << tag;
    const auto& want = expected.at(tag);
    ASSERT_EQ(points.size(), want.size()) << tag << ": " << points.dump();
    size_t i = 0;
    for (const auto& [step, value] : want) {
      EXPECT_EQ(points[i][0].get<int64_t>(), step) << tag;
      EXPECT_EQ(points[i][1].get<float>(), static_cast<float>(value)) << tag << " at step " << step;
      ++i;
    }
  }
  EXPECT_EQ(tags.size(), expected.size());
}

// Writes run_dir/metrics.jsonl with `text`.
void write_metrics(const fs::path& run_dir, const std::string& text) {
  fs::create_directories(run_dir);
  std::ofstream(run_dir / "metrics.jsonl") << text;
}

std::string rgb(viz::Rgb c) {
  return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b);
}

// The progress line shows the achieved model GFLOP/s per device, and MFU is
// that over train.peak_flops (1 GFLOP/s here, so MFU% = 100 x GFLOP/s); without
// a peak MFU is n/a and the run says once how to get it.
TEST(MonitoringE2e, ProgressLineShowsModelFlopsAndMfuFromThem) {
  const fs::path dir = fresh_dir("monitoring_mfu");
  const std::string recipe = write_recipe(dir);
  CommandResult r = run_forge("train '" + recipe + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const size_t at = r.output.find("step      2/6 |");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
  double gflops = 0.0, mfu_percent = 0.0;
  const size_t tail = line.find(" tok/s | ");
  ASSERT_NE(tail, std::string::npos) << line;
  ASSERT_EQ(std::sscanf(line.c_str() + tail, " tok/s | %lf GFLOP/s | mfu %lf%%", &gflops, &mfu_percent), 2) << line;
  EXPECT_GT(gflops, 0.0) << line;
  // Both are printed with one decimal: GFLOP/s within 0.05, so 100 x it within 5, and MFU% within 0.05.
  EXPECT_NEAR(mfu_percent, 100.0 * gflops, 100.0 * 0.05 + 0.05) << line;
  EXPECT_EQ(r.output.find("mfu: n/a until"), std::string::npos) << r.output;

  fs::remove_all(dir / "run");
  r = run_forge("train '" + recipe + "' train.peak_flops=0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mfu: n/a until train.peak_flops gives one device's peak FLOP/s"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" GFLOP/s | mfu n/a | eta "), std::string::npos) << r.output;
}

TEST(MonitoringE2e, PlotWritesADecodablePng) {
  const fs::path dir = fresh_dir("plot");
  // A run that was resumed at step 20 (steps 30 and 40 logged twice), still
  // writing its next line; and a second run.
  std::string a;
  for (int s = 10; s <= 40; s += 10) a += "{\"step\": " + std::to_string(s) + ", \"loss\": " + std::to_string(5.0 - s / 20.0) + ", \"tokens\": " + std::to_string(s * 512) + "}\n";
  a += "{\"step\": 20, \"val_loss\": 4.2}\n";
  for (int s = 30; s <= 60; s += 10) a += "{\"step\": " + std::to_string(s) + ", \"loss\": " + std::to_string(4.9 - s / 20.0) + ", \"tokens\": " + std::to_string(s * 512) + "}\n";
  a += "{\"step\": 60, \"val_loss\": 2.2}\n{\"step\": 70, \"lo";
  write_metrics(dir / "run_a", a);
  write_metrics(dir / "run_b", "{\"step\": 10, \"loss\": 6.5, \"tokens\": 5120}\n{\"step\": 20, \"loss\": 5.5, \"tokens\": 10240}\n");

  for (const std::string extra : {"", " --log-y --x tokens --title 'two runs'"}) {
    const fs::path png = dir / "loss.png";
    fs::remove(png);
    const CommandResult r = run_forge("plot '" + (dir / "run_a").string() + "' '" + (dir / "run_b").string() +
                                      "' --out '" + png.string() + "' --size 480x300" + extra);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const CommandResult check = run_shell("python3 '" + kSource + "/tests/e2e/check_png.py' '" + png.string() + "' " +
                                          rgb(viz::series_color(0)) + " " + rgb(viz::series_color(1)) + " " +
                                          rgb(viz::series_color(2)));
    ASSERT_EQ(check.exit_code, 0) << check.output;
    const auto out = nlohmann::json::parse(check.output);
    EXPECT_EQ(out["width"], 480);
    EXPECT_EQ(out["height"], 300);
    EXPECT_GT(out["colors"][rgb(viz::series_color(0))].get<int>(), 50) << extra;  // run_a
    EXPECT_GT(out["colors"][rgb(viz::series_color(1))].get<int>(), 30) << extra;  // run_b
    EXPECT_EQ(out["colors"][rgb(viz::series_color(2))].get<int>(), 0) << extra;   // no third run
  }
}

TEST(MonitoringE2e, PlotErrorsAreClear) {
  const fs::path dir = fresh_dir("plot_errors");
  write_metrics(dir / "ok", "{\"step\": 1, \"loss\": 3.0}\n");
  fs::create_directories(dir / "empty");
  write_metrics(dir / "bad", "{\"step\": 1, \"loss\": 3.0}\nnot json\n");
  const std::string out = " --out '" + (dir / "x.png").string() + "'";
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"'" + (dir / "missing").string() + "'" + out, "run directory '" + (dir / "missing").string() + "' does not exist"},
      {"'" + (dir / "empty").string() + "'" + out, "has no metrics.jsonl"},
      {"'" + (dir / "bad").string() + "'" + out, "metrics.jsonl:2: not a JSON object"},
      {"'" + (dir / "ok").string() + "' --out /nonexistent-dir/x.png", "cannot open '/nonexistent-dir/x.png' for writing"},
      {"'" + (dir / "ok").string() + "'", "usage: forge plot"},
      {"'" + (dir / "ok").string() + "'" + out + " --x epochs", "--x expects 'steps' or 'tokens', got 'epochs'"},
  };
  for (const Case& c : cases) {
    const CommandResult r = run_forge("plot " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "x.png"));
}

}  // namespace
}  // namespace forge::e2e
