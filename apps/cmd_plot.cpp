// `forge plot RUN_DIR... --out FILE.png`: loss curves of one or more runs.
#include <cstdio>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "monitor/loss_plot.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge plot RUN_DIR... --out FILE.png [--x steps|tokens] [--log-y] [--title TEXT]\n"
    "                  [--size WIDTHxHEIGHT]\n\n"
    "Draws the train loss (solid) and validation loss (dashed, with dots) recorded in\n"
    "each RUN_DIR/metrics.jsonl, all runs overlaid with a legend, into a PNG file.\n"
    "Records are deduplicated by step (the last one wins), so a resumed run's curve\n"
    "is continuous. Works on runs still training.\n"
    "  --x steps|tokens   x axis: optimizer steps (default) or tokens seen\n"
    "  --log-y            logarithmic loss axis\n"
    "  --title TEXT       a title above the chart\n"
    "  --size WxH         image size in pixels (default 960x600)";

int plot_cmd(int argc, char** argv) {
  recipes::LossPlotOptions options;
  const auto axis = [&options](const std::string& v) {
    FORGE_CHECK(v == "steps" || v == "tokens", "--x expects 'steps' or 'tokens', got '" << v << "'");
    options.x = v == "tokens" ? recipes::PlotAxis::tokens : recipes::PlotAxis::steps;
  };
  const auto size = [&options](const std::string& v) {
    int w = 0, h = 0, used = 0;
    FORGE_CHECK(std::sscanf(v.c_str(), "%dx%d%n", &w, &h, &used) == 2 && used == int(v.size()) && w >= 200 &&
                    h >= 150 && w <= 8192 && h <= 8192,
                "--size expects WIDTHxHEIGHT between 200x150 and 8192x8192, got '" << v << "'");
    options.width = w;
    options.height = h;
  };
  options.run_dirs = FlagParser("forge plot")
                         .text("--out", &options.out)
                         .custom("--x", axis)
                         .toggle("--log-y", &options.log_y)
                         .text("--title", &options.title)
                         .custom("--size", size)
                         .parse(argc, argv);
  FORGE_CHECK(!options.run_dirs.empty() && !options.out.empty(), kUsage);
  recipes::plot_loss_curves(options);
  std::printf("wrote %s (%zu run%s)\n", options.out.c_str(), options.run_dirs.size(),
              options.run_dirs.size() == 1 ? "" : "s");
  return 0;
}

const bool registered = register_command("plot", {"train/val loss curves of runs as a PNG", kUsage, plot_cmd});

}  // namespace
}  // namespace forge::apps
