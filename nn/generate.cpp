// Sampling and the decode loop (see generate.h).
#include "nn/generate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/grad_mode.h"
#include "common/error.h"

namespace forge::nn {
namespace {

void check_finite(const std::vector<float>& logits) {
  FORGE_CHECK(!logits.empty(), "sampling: empty logits");
  for (float v : logits)
    FORGE_CHECK(std::isfinite(v), "sampling: the model produced a non-finite logit (" << v << ")");
}

int64_t argmax(const std::vector<float>& logits) {
  return std::max_element(logits.begin(), logits.end()) - logits.begin();  // first maximum
}

// Ids ordered by probability, most likely first, lower id first among equals.
std::vector<int64_t> order_by_probability(const std::vector<double>& p) {
  std::vector<int64_t> ids(p.size());
  std::iota(ids.begin(), ids.end(), int64_t{0});
  std::stable_sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
  return ids;
}

}  // namespace

void validate(const GenerateOptions& o) {
  FORGE_CHECK(std::isfinite(o.temperature) && o.temperature >= 0.0,
              "temperature must be a finite number >= 0 (0 = greedy), got " << o.temperature);
  FORGE_CHECK(o.top_k >= 0, "top_k must be >= 0 (0 = no top-k filtering), got " << o.top_k);
  FORGE_CHECK(o.top_p > 0.0 && o.top_p <= 1.0, "top_p must be in (0, 1] (1 = no nucleus filtering), got " << o.top_p);
  FORGE_CHECK(o.max_new_tokens >= 0, "max_new_tokens must be >= 0, got " << o.max_new_tokens);
  FORGE_CHECK(o.vocab_limit >= 0, "vocab_limit must be >= 0 (0 = the whole vocabulary), got " << o.vocab_limit);
}

std::vector<double> sampling_distribution(const std::vector<float>& logits, const SamplingOptions& o) {
  FORGE_CHECK(o.temperature > 0.0, "sampling_distribution needs temperature > 0, got " << o.temperature);
  check_finite(logits);
  const double max_logit = logits[argmax(logits)];
  std::vector<double> p(logits.size());
  double total = 0.0;
  for (size_t i = 0; i < p.size(); ++i) total += p[i] = std::exp((logits[i] - max_logit) / o.temperature);

  const int64_t V = static_cast<int64_t>(p.size());
  const bool top_k = o.top_k > 0 && o.top_k < V;
  const bool top_p = o.top_p < 1.0;
  if (top_k || top_p) {
    const std::vector<int64_t> ids = order_by_probability(p);
    int64_t keep = top_k ? o.top_k : V;
    if (top_p) {
      // Mass relative to the top-k set; token i stays while the mass before it is < top_p.
      double kept_total = 0.0;
      for (int64_t i = 0; i < keep; ++i) kept_total += p[ids[i]];
      double before = 0.0;
      int64_t n = 0;
      while (n < keep && before < o.top_p * kept_total) before += p[ids[n++]];
      keep = n;
    }
    total = 0.0;
    for (int64_t i = 0; i < V; ++i) {
      if (i < keep) total += p[ids[i]];
      else p[ids[i]] = 0.0;
    }
  }
  for (double& v : p) v /= total;
  return p;
}

int64_t sample_token(const std::vector<float>& logits, const SamplingOptions& o, Generator& gen) {
  if (o.temperature == 0.0) {
    check_finite(logits);
    return argmax(logits);
  }
  const std::vector<double> p = sampling_distribution(logits, o);
  const double u = gen.next_uniform();
  double cumulative = 0.0;
  int64_t last_nonzero = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(p.size()); ++i) {
    if (p[i] == 0.0) continue;
    cumulative += p[i];
    last_nonzero = i;
    if (u < cumulative) return i;
  }
  return last_nonzero;  // u within rounding of 1
}

std::vector<int64_t> generate(const TransformerLM& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& options) {
  validate(options);
  const ModelConfig& c = model.config();
  FORGE_CHECK(!prompt.empty(), "generate: the prompt is empty (it needs at least one token)");
  for (int64_t id : prompt)
    FORGE_CHECK(id >= 0 && id < c.vocab_size,
                "generate: prompt token id " << id << " is outside the model's vocabulary [0, " << c.vocab_size << ")");
  const int64_t P = static_cast<int64_t>(prompt.size());
  FORGE_CHECK(P + options.max_new_tokens <= c.block_size,
              "generate: the prompt's " << P << " tokens plus " << options.max_new_tokens
                                        << " new tokens exceed the model's block_size of " << c.block_size
                                        << " positions (shorten the prompt or ask for at most "
                                        << std::max<int64_t>(0, c.block_size - P) << " new tokens)");

  NoGradGuard no_grad;
  Generator gen(options.seed);
  KVCache cache;
  cache.reserve = P + options.max_new_tokens;  // the buffers are allocated once, never grown
  ForwardContext ctx;
  ctx.training = false;
  if (options.use_cache) ctx.cache = &cache;

  // Token ids go to the model's device (its first parameter's).
  const auto params = model.parameters();
  const Device device = params.empty() ? Device::cpu() : params.front().device();
  std::vector<int64_t> sequence = prompt, generated;
  Tensor input = Tensor::from_vector(prompt, {1, P}).to(device);  // prefill: the whole prompt once
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    Tensor logits = model.forward(input, ctx);  // (1, t, V)
    const int64_t t = logits.size(1);
    std::vector<float> last = logits.narrow(1, t - 1, 1).to_float_vector();  // (V)
    if (options.vocab_limit > 0 && options.vocab_limit < c.vocab_size) last.resize(options.vocab_limit);
    const int64_t next = sample_token(last, options, gen);
    if (next == options.stop_token) break;
    generated.push_back(next);
    sequence.push_back(next);
    input = (options.use_cache ? Tensor::from_vector(std::vector<int64_t>{next}, {1, 1})
                               : Tensor::from_vector(sequence, {1, static_cast<int64_t>(sequence.size())}))
                .to(device);
  }
  return generated;
}

}  // namespace forge::nn
