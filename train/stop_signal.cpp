// SIGTERM/SIGINT handling for the training loop (see stop_signal.h).
#include "train/stop_signal.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/error.h"

namespace forge::recipes {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_stop_signal != 0) {  // second signal: default action (terminate) right away
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_stop_signal = sig;
}

int parse_signal(const std::string& name, const std::string& spec) {
  if (name == "TERM") return SIGTERM;
  if (name == "INT") return SIGINT;
  if (name == "KILL") return SIGKILL;
  FORGE_THROW("FORGE_TEST_SIGNAL_AT='" << spec << "': unknown signal '" << name << "' (expected TERM, INT or KILL)");
}

std::vector<std::pair<int64_t, int>> parse_test_signals() {
  std::vector<std::pair<int64_t, int>> out;
  const char* env = std::getenv("FORGE_TEST_SIGNAL_AT");
  if (!env || !*env) return out;
  const std::string spec = env;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t colon = item.find(':');
    FORGE_CHECK(colon != std::string::npos && colon > 0,
                "FORGE_TEST_SIGNAL_AT='" << spec << "': expected STEP:SIGNAL[,STEP:SIGNAL...], got '" << item << "'");
    int64_t step = 0;
    try {
      step = std::stoll(item.substr(0, colon));
    } catch (const std::exception&) {
      FORGE_THROW("FORGE_TEST_SIGNAL_AT='" << spec << "': '" << item.substr(0, colon) << "' is not a step number");
    }
    out.emplace_back(step, parse_signal(item.substr(colon + 1), spec));
  }
  return out;
}

}  // namespace

StopSignals::StopSignals() : test_signals_(parse_test_signals()) {
  g_stop_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // interrupted reads/writes resume instead of failing with EINTR
  sigaction(SIGTERM, &sa, &old_term_);
  sigaction(SIGINT, &sa, &old_int_);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGXFSZ, &ignore, &old_xfsz_);
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGXFSZ, &old_xfsz_, nullptr);
}

int StopSignals::received() const { return g_stop_signal; }

void StopSignals::test_hook(int64_t step) const {
  for (const auto& [at, sig] : test_signals_)
    if (at == step) std::raise(sig);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "signal " + std::to_string(sig);
  }
}

}  // namespace forge::recipes
