// Loss curves of training runs: reads each run directory's metrics.jsonl
// (deduplicated by step, the last record winning, so a resumed run whose log
// repeats steps draws one continuous curve) and draws train loss (solid) and
// validation loss (dashed, with markers) of every run into one PNG chart.
#pragma once

#include <string>
#include <vector>

namespace forge::recipes {

// One run's curves, each sorted by step with one point per step.
struct RunCurves {
  std::string name;  // the run directory's last path component
  std::vector<double> train_step, train_tokens, train_loss;
  std::vector<double> val_step, val_tokens, val_loss;  // tokens derived from the training records
};

// Reads RUN_DIR/metrics.jsonl. Errors (forge::Error) name the file and line:
// missing directory or file, a line that is not a JSON object with a numeric
// "step", no loss records at all. An unterminated last line (a record being
// written right now) is skipped.
RunCurves read_run_curves(const std::string& run_dir);

enum class PlotAxis { steps, tokens };

struct LossPlotOptions {
  std::vector<std::string> run_dirs;
  std::string out;  // .png path
  PlotAxis x = PlotAxis::steps;
  bool log_y = false;
  std::string title;
  int width = 960;
  int height = 600;
};

// Reads every run and writes the chart to options.out.
void plot_loss_curves(const LossPlotOptions& options);

}  // namespace forge::recipes
