// Loss curves from metrics.jsonl to PNG (see loss_plot.h).
#include "monitor/loss_plot.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/error.h"
#include "viz/line_chart.h"
#include "viz/png.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

// Tokens seen at `step`, from the training records: exact where one has that
// step, else scaled from the nearest earlier record (the first one if none).
double tokens_at(const std::map<int64_t, std::pair<double, double>>& train, int64_t step) {
  if (train.empty()) return 0;
  auto it = train.upper_bound(step);
  if (it != train.begin()) --it;
  const auto& [rec_step, rec] = *it;
  const double tokens = rec.second;
  return rec_step == step || rec_step == 0 ? tokens : tokens * double(step) / double(rec_step);
}

std::string run_name(const std::string& run_dir) {
  fs::path p = fs::path(run_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  const std::string name = p.filename().string();
  return name.empty() || name == "." ? run_dir : name;
}

}  // namespace

RunCurves read_run_curves(const std::string& run_dir) {
  FORGE_CHECK(fs::is_directory(run_dir), "run directory '" << run_dir << "' does not exist");
  const std::string path = (fs::path(run_dir) / "metrics.jsonl").string();
  std::ifstream in(path, std::ios::binary);
  FORGE_CHECK(fs::is_regular_file(path) && in.good(),
              "'" << run_dir << "' has no metrics.jsonl (is it a forge run directory? `forge train` writes "
                  << path << ")");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  // step -> (loss, tokens) and step -> val_loss; later lines replace earlier ones.
  std::map<int64_t, std::pair<double, double>> train;
  std::map<int64_t, double> val;
  size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // unterminated: still being written
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json rec;
    try {
      rec = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      FORGE_THROW(path << ":" << line_no << ": not a JSON object (" << e.what() << ")");
    }
    FORGE_CHECK(rec.is_object() && rec.contains("step") && rec["step"].is_number(),
                path << ":" << line_no << ": expected a JSON object with a numeric \"step\", got " << line);
    const auto step = rec["step"].get<int64_t>();
    // null (a non-finite value) is kept as NaN: the chart leaves it out.
    auto number = [&](const char* key) {
      const auto& v = rec[key];
      FORGE_CHECK(v.is_number() || v.is_null(),
                  path << ":" << line_no << ": \"" << key << "\" should be a number, got " << v.dump());
      return v.is_null() ? std::nan("") : v.get<double>();
    };
    if (rec.contains("loss")) {
      train[step] = {number("loss"), rec.contains("tokens") ? number("tokens") : std::nan("")};
    }
    if (rec.contains("val_loss")) val[step] = number("val_loss");
  }
  FORGE_CHECK(!train.empty() || !val.empty(),
              path << " has no loss records yet (training lines carry \"loss\", validation lines \"val_loss\")");

  RunCurves c;
  c.name = run_name(run_dir);
  for (const auto& [step, rec] : train) {
    c.train_step.push_back(double(step));
    c.train_loss.push_back(rec.first);
    c.train_tokens.push_back(rec.second);
  }
  for (const auto& [step, loss] : val) {
    c.val_step.push_back(double(step));
    c.val_loss.push_back(loss);
    c.val_tokens.push_back(tokens_at(train, step));
  }
  return c;
}

void plot_loss_curves(const LossPlotOptions& o) {
  FORGE_CHECK(!o.run_dirs.empty(), "plot: no run directories given");
  FORGE_CHECK(!o.out.empty(), "plot: no output file given (--out FILE.png)");
  std::vector<RunCurves> runs;
  for (const std::string& dir : o.run_dirs) runs.push_back(read_run_curves(dir));
  // Runs whose directories share a last component are told apart by their full paths.
  for (size_t i = 0; i < runs.size(); ++i) {
    for (size_t j = 0; j < runs.size(); ++j) {
      if (i != j && run_name(o.run_dirs[i]) == run_name(o.run_dirs[j])) runs[i].name = o.run_dirs[i];
    }
  }
  const bool tokens = o.x == PlotAxis::tokens;
  std::vector<viz::Series> series;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunCurves& r = runs[i];
    const viz::Rgb color = viz::series_color(i);
    if (!r.train_step.empty())
      series.push_back({r.name + " train", tokens ? r.train_tokens : r.train_step, r.train_loss, color, false, false});
    if (!r.val_step.empty())
      series.push_back({r.name + " val", tokens ? r.val_tokens : r.val_step, r.val_loss, color, true, true});
  }
  viz::ChartOptions chart;
  chart.width = o.width;
  chart.height = o.height;
  chart.title = o.title;
  chart.x_label = tokens ? "tokens" : "step";
  chart.y_label = o.log_y ? "loss (log scale)" : "loss";
  chart.log_y = o.log_y;
  viz::write_png(o.out, viz::render_line_chart(series, chart));
}

}  // namespace forge::recipes
