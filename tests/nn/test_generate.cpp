// The KV cache against full recomputation (both families), and generation:
// greedy with and without the cache, seeded sampling, top-k / top-p filtering,
// stop tokens and the errors of bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "common/error.h"
#include "nn/generate.h"

namespace forge {
namespace {

// A preset model whose weights are scaled up so logits differ by O(1) between
// tokens (at the 0.02 init every distribution is nearly uniform).
std::unique_ptr<nn::TransformerLM> sharp_model(const std::string& preset, uint64_t seed) {
  auto model = std::make_unique<nn::TransformerLM>(nn::preset(preset), seed);
  NoGradGuard no_grad;
  for (Tensor p : model->parameters())
    if (p.dim() >= 2) ops::mul_scalar_(p, 12.0);
  return model;
}

std::vector<int64_t> random_ids(int64_t n, int64_t vocab, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(static_cast<int64_t>(gen.next_uniform() * double(vocab)));
  return ids;
}

// Logits (B, T, V) of `ids` (B, T) fed through the cache in chunks of the given sizes.
// `capacities`, when given, receives the layer-0 buffer capacity after each chunk.
std::vector<float> cached_logits(const nn::TransformerLM& model, const std::vector<int64_t>& ids, int64_t B,
                                 const std::vector<int64_t>& chunks, std::vector<int64_t>* capacities = nullptr) {
  NoGradGuard no_grad;
  const int64_t T = static_cast<int64_t>(ids.size()) / B, V = model.config().vocab_size;
  nn::KVCache cache;
  nn::ForwardContext ctx;
  ctx.cache = &cache;
  std::vector<float> out(static_cast<size_t>(B * T * V));
  int64_t start = 0;
  for (int64_t n : chunks) {
    std::vector<int64_t> part;
    for (int64_t b = 0; b < B; ++b) part.insert(part.end(), ids.begin() + b * T + start, ids.begin() + b * T + start + n);
    std::vector<float> l = model.forward(Tensor::from_vector(part, {B, n}), ctx).to_float_vector();  // (B, n, V)
    for (int64_t b = 0; b < B; ++b)
      std::copy(l.begin() + b * n * V, l.begin() + (b + 1) * n * V, out.begin() + (b * T + start) * V);
    start += n;
    EXPECT_EQ(cache.length, start);
    EXPECT_GE(cache.capacity(0), start);
    if (capacities) capacities->push_back(cache.capacity(0));
  }
  EXPECT_EQ(start, T);
  return out;
}

void expect_cache_matches_recompute(const std::string& preset) {
  auto model = sharp_model(preset, 3);
  const int64_t B = 2, T = model->config().block_size, V = model->config().vocab_size;
  const std::vector<int64_t> ids = random_ids(B * T, V, 7);
  std::vector<float> full;
  {
    NoGradGuard no_grad;
    full = model->forward(Tensor::from_vector(ids, {B, T}), nn::ForwardContext{}).to_float_vector();
  }
  double spread = 0.0;  // the logits must be far from uniform for the comparison to mean something
  for (int64_t v = 1; v < V; ++v) spread = std::max(spread, std::fabs(double(full[v]) - full[0]));
  EXPECT_GT(spread, 1.0);
  // Prefill 5, then a chunk of 3 (new tokens attend causally among themselves), then one at a time.
  std::vector<int64_t> chunks = {5, 3};
  for (int64_t i = 8; i < T; ++i) chunks.push_back(1);
  const std::vector<float> cached = cached_logits(*model, ids, B, chunks);
  ASSERT_EQ(cached.size(), full.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t v = 0; v < V; ++v)
        // fp32 through the whole model, the cached path summing attention in other
        // tiles: a few ulps of the logits (|logit| ~ 1) per layer. A wrong position
        // or a stale cache entry moves logits by ~0.1.
        ASSERT_NEAR(cached[(b * T + t) * V + v], full[(b * T + t) * V + v], 5e-5)
            << preset << " row " << b << " position " << t << " token " << v;
}

TEST(Generate, KvCacheLogitsMatchRecomputeGpt2) { expect_cache_matches_recompute("gpt2-test"); }
TEST(Generate, KvCacheLogitsMatchRecomputeLlama) { expect_cache_matches_recompute("llama-test"); }

TEST(Generate, KvCacheOneTokenAtATimeFromTheStart) {
  auto model = sharp_model("llama-test", 5);
  const int64_t T = 10, V = model->config().vocab_size;
  const std::vector<int64_t> ids = random_ids(T, V, 9);
  std::vector<float> full;
  {
    NoGradGuard no_grad;
    full = model->forward(Tensor::from_vector(ids, {1, T}), nn::ForwardContext{}).to_float_vector();
  }
  const std::vector<float> cached = cached_logits(*model, ids, 1, std::vector<int64_t>(T, 1));
  for (size_t i = 0; i < full.size(); ++i) ASSERT_NEAR(cached[i], full[i], 1e-5) << i;
}

// A decode longer than the cache's first allocation: the buffers grow (at
// least twice) while decoding and the logits still match recomputation.
void expect_long_decode_matches_recompute(const char* label, const nn::ModelConfig& config, int64_t T) {
  nn::TransformerLM model(config, 13);
  {
    NoGradGuard no_grad;
    for (Tensor p : model.parameters())
      if (p.dim() >= 2) ops::mul_scalar_(p, 12.0);
  }
  const int64_t B = 2, V = config.vocab_size;
  const std::vector<int64_t> ids = random_ids(B * T, V, 17);
  std::vector<float> full;
  {
    NoGradGuard no_grad;
    full = model.forward(Tensor::from_vector(ids, {B, T}), nn::ForwardContext{}).to_float_vector();
  }
  std::vector<int64_t> chunks = {3, 2};  // prefill 3, a chunk of 2, then one at a time
  for (int64_t i = 5; i < T; ++i) chunks.push_back(1);
  std::vector<int64_t> capacities;
  const std::vector<float> cached = cached_logits(model, ids, B, chunks, &capacities);
  int64_t growths = 0;
  for (size_t i = 1; i < capacities.size(); ++i) {
    EXPECT_GE(capacities[i], capacities[i - 1]);
    growths += capacities[i] != capacities[i - 1];
  }
  EXPECT_GE(growths, 2) << label << ": first capacity " << capacities.front() << ", last " << capacities.back();
  EXPECT_LT(growths, 5);  // geometric, not per step
  ASSERT_EQ(cached.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i)
    ASSERT_NEAR(cached[i], full[i], 5e-5) << label << " row " << i / (T * V) << " position " << i / V % T;
}

TEST(Generate, KvCacheLongDecodeGrowsAndMatchesRecomputeGpt2) {
  nn::ModelConfig c = nn::preset("gpt2-test");
  c.block_size = 64;  // learned positions: the sequence must fit in block_size
  expect_long_decode_matches_recompute("gpt2", c, 60);
}

TEST(Generate, KvCacheLongDecodeGrowsAndMatchesRecomputeLlama) {
  // Grouped-query (4 heads, 2 kv heads), decoding past block_size (16): RoPE has no limit.
  expect_long_decode_matches_recompute("llama", nn::preset("llama-test"), 40);
}

// Single-token steps write into the existing buffers: no reallocation per step.
TEST(Generate, KvCacheStepsReuseTheBuffers) {
  for (const char* preset : {"gpt2-test", "llama-test"}) {
    auto model = sharp_model(preset, 19);
    NoGradGuard no_grad;
    nn::KVCache cache;
    nn::ForwardContext ctx;
    ctx.cache = &cache;
    model->forward(Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 5}, {1, 5}), ctx);  // prefill
    ASSERT_GT(cache.capacity(0), 7) << preset;
    const auto keys = cache.keys[0].storage(), values = cache.values[0].storage();
    const void* key_data = cache.keys[0].data_ptr();
    for (int64_t id : {6, 7}) {
      model->forward(Tensor::from_vector(std::vector<int64_t>{id}, {1, 1}), ctx);
      EXPECT_EQ(cache.keys[0].storage().get(), keys.get()) << preset << " token " << id;
      EXPECT_EQ(cache.values[0].storage().get(), values.get()) << preset << " token " << id;
      EXPECT_EQ(cache.keys[0].data_ptr(), key_data) << preset << " token " << id;
    }
    EXPECT_EQ(cache.length, 7) << preset;
    // Starting a new sequence (length = 0) reuses the buffers too.
    cache.length = 0;
    model->forward(Tensor::from_vector(std::vector<int64_t>{9, 8, 7}, {1, 3}), ctx);
    EXPECT_EQ(cache.keys[0].storage().get(), keys.get()) << preset;
    EXPECT_EQ(cache.length, 3) << preset;
  }
}

// With `reserve` the first allocation holds the whole sequence; it never grows.
TEST(Generate, KvCacheReserveAllocatesOnce) {
  auto model = sharp_model("llama-test", 23);
  NoGradGuard no_grad;
  nn::KVCache cache;
  cache.reserve = 30;  // past block_size (16), as a Llama caller may ask
  nn::ForwardContext ctx;
  ctx.cache = &cache;
  model->forward(Tensor::from_vector(std::vector<int64_t>{1, 2}, {1, 2}), ctx);
  EXPECT_EQ(cache.capacity(0), 30);
  const auto keys = cache.keys[0].storage();
  for (int64_t i = 2; i < 30; ++i) model->forward(Tensor::from_vector(std::vector<int64_t>{i}, {1, 1}), ctx);
  EXPECT_EQ(cache.keys[0].storage().get(), keys.get());
  EXPECT_EQ(cache.capacity(0), 30);
  EXPECT_EQ(cache.length, 30);
}

// Changing the batch mid-sequence is an error naming the fix, not a wrong answer.
TEST(Generate, KvCacheShapeChangeMidSequenceIsAnError) {
  auto model = sharp_model("gpt2-test", 29);
  NoGradGuard no_grad;
  nn::KVCache cache;
  nn::ForwardContext ctx;
  ctx.cache = &cache;
  model->forward(Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3}), ctx);
  try {
    model->forward(Tensor::from_vector(std::vector<int64_t>{4, 5}, {2, 1}), ctx);
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("length = 0"), std::string::npos) << e.what();
  }
}

TEST(Generate, GreedyWithAndWithoutCacheAgree) {
  for (const char* preset : {"gpt2-test", "llama-test"}) {
    auto model = sharp_model(preset, 11);
    const std::vector<int64_t> prompt = {1, 2, 3};
    nn::GenerateOptions o;
    o.temperature = 0.0;
    o.max_new_tokens = model->config().block_size - 3;
    const std::vector<int64_t> cached = nn::generate(*model, prompt, o);
    o.use_cache = false;
    const std::vector<int64_t> recomputed = nn::generate(*model, prompt, o);
    EXPECT_EQ(cached.size(), static_cast<size_t>(o.max_new_tokens)) << preset;
    EXPECT_EQ(cached, recomputed) << preset;
    // The greedy tokens are the argmax of a full forward over the growing sequence.
    std::vector<int64_t> seq = prompt;
    seq.insert(seq.end(), cached.begin(), cached.end());
    NoGradGuard no_grad;
    const int64_t L = static_cast<int64_t>(seq.size()), V = model->config().vocab_size;
    std::vector<float> logits = model->forward(Tensor::from_vector(seq, {1, L}), nn::ForwardContext{}).to_float_vector();
    for (int64_t t = 2; t < L - 1; ++t) {
      const auto row = logits.begin() + t * V;
      EXPECT_EQ(std::max_element(row, row + V) - row, seq[t + 1]) << preset << " position " << t;
    }
  }
}

TEST(Generate, SeededSamplingIsReproducible) {
  auto model = sharp_model("gpt2-test", 2);
  nn::GenerateOptions o;
  o.temperature = 1.0;
  o.max_new_tokens = 12;
  o.seed = 42;
  const auto a = nn::generate(*model, {5}, o);
  const auto b = nn::generate(*model, {5}, o);
  EXPECT_EQ(a, b);
  o.use_cache = false;
  EXPECT_EQ(nn::generate(*model, {5}, o), a);  // the cache changes nothing but speed
  o.use_cache = true;
  o.seed = 43;
  EXPECT_NE(nn::generate(*model, {5}, o), a);
  EXPECT_TRUE(GradMode::is_enabled());  // the no-grad scope ended
}

TEST(Generate, TopKOneIsGreedy) {
  auto model = sharp_model("llama-test", 4);
  nn::GenerateOptions greedy;
  greedy.temperature = 0.0;
  greedy.max_new_tokens = 12;
  const auto expected = nn::generate(*model, {7, 8}, greedy);
  for (uint64_t seed : {0, 1, 2}) {
    nn::GenerateOptions o;
    o.temperature = 1.5;
    o.top_k = 1;
    o.max_new_tokens = 12;
    o.seed = seed;
    EXPECT_EQ(nn::generate(*model, {7, 8}, o), expected) << "seed " << seed;
  }
}

TEST(Generate, StopTokenEndsGenerationAndIsNotReturned) {
  auto model = sharp_model("gpt2-test", 6);
  nn::GenerateOptions o;
  o.temperature = 0.0;
  o.max_new_tokens = 14;
  const auto all = nn::generate(*model, {1, 2}, o);
  ASSERT_EQ(all.size(), 14u);
  o.stop_token = all[4];
  const size_t first = std::find(all.begin(), all.end(), all[4]) - all.begin();
  EXPECT_EQ(nn::generate(*model, {1, 2}, o), std::vector<int64_t>(all.begin(), all.begin() + first));
}

TEST(Generate, VocabLimitRestrictsTheDraws) {
  auto model = sharp_model("gpt2-test", 8);
  nn::GenerateOptions o;
  o.max_new_tokens = 14;
  o.seed = 1;
  o.vocab_limit = 5;
  for (int64_t id : nn::generate(*model, {30}, o)) EXPECT_LT(id, 5);
  o.temperature = 0.0;
  for (int64_t id : nn::generate(*model, {30}, o)) EXPECT_LT(id, 5);
}

std::vector<float> log_probs(const std::vector<double>& p) {
  std::vector<float> l;
  for (double v : p) l.push_back(static_cast<float>(std::log(v)));
  return l;
}

TEST(Generate, TopPKeepsTheSmallestNucleus) {
  // Probabilities 0.05, 0.5, 0.1, 0.2, 0.15 (ids out of probability order).
  const std::vector<float> logits = log_probs({0.05, 0.5, 0.1, 0.2, 0.15});
  nn::SamplingOptions o;
  auto dist = [&](double top_p, int64_t top_k = 0, double temperature = 1.0) {
    o.top_p = top_p;
    o.top_k = top_k;
    o.temperature = temperature;
    return nn::sampling_distribution(logits, o);
  };
  auto expect = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "id " << i;
  };
  expect(dist(1.0), {0.05, 0.5, 0.1, 0.2, 0.15});
  expect(dist(0.5), {0, 1, 0, 0, 0});                        // 0.5 alone reaches 0.5
  expect(dist(0.7), {0, 0.5 / 0.7, 0, 0.2 / 0.7, 0});       // 0.5 + 0.2 = 0.7
  expect(dist(0.71), {0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85});
  expect(dist(0.9), {0, 0.5 / 0.95, 0.1 / 0.95, 0.2 / 0.95, 0.15 / 0.95});
  expect(dist(0.01), {0, 1, 0, 0, 0});
  // top-k first, then top-p of the renormalised top-k set: {0.5, 0.2} -> {5/7, 2/7}; 5/7 >= 0.7.
  expect(dist(1.0, 2), {0, 0.5 / 0.7, 0, 0.2 / 0.7, 0});
  expect(dist(0.7, 2), {0, 1, 0, 0, 0});
  // temperature 2: p ~ sqrt(p).
  const double s = std::sqrt(0.05) + std::sqrt(0.5) + std::sqrt(0.1) + std::sqrt(0.2) + std::sqrt(0.15);
  expect(dist(1.0, 0, 2.0),
         {std::sqrt(0.05) / s, std::sqrt(0.5) / s, std::sqrt(0.1) / s, std::sqrt(0.2) / s, std::sqrt(0.15) / s});
}

TEST(Generate, TiesKeepTheLowerId) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 0.0f};
  nn::SamplingOptions o;
  o.top_k = 1;
  const auto p = nn::sampling_distribution(logits, o);
  EXPECT_EQ(p, (std::vector<double>{0, 1, 0, 0}));
  o.temperature = 0.0;
  Generator gen(0);
  EXPECT_EQ(nn::sample_token(logits, o, gen), 1);
}

TEST(Generate, DrawsFollowTheDistribution) {
  const std::vector<double> p = {0.05, 0.5, 0.1, 0.2, 0.15};
  const std::vector<float> logits = log_probs(p);
  nn::SamplingOptions o;
  Generator gen(123);
  std::vector<int64_t> counts(p.size(), 0);
  const int64_t n = 40000;
  for (int64_t i = 0; i < n; ++i) ++counts[nn::sample_token(logits, o, gen)];
  EXPECT_EQ(gen.offset(), static_cast<uint64_t>(n));  // one counter per draw
  // 40000 draws: the standard error of each frequency is below 0.0025.
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(double(counts[i]) / n, p[i], 0.01) << "id " << i;
}

TEST(Generate, BadOptionsAndPromptsAreErrors) {
  nn::TransformerLM model(nn::preset("gpt2-test"), 0);  // block_size 16, vocab 64
  auto error_of = [&](const std::vector<int64_t>& prompt, nn::GenerateOptions o) -> std::string {
    try {
      nn::generate(model, prompt, o);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  nn::GenerateOptions o;
  o.max_new_tokens = 4;
  EXPECT_EQ(error_of({1}, o), "");
  auto with = [&](auto setter) {
    nn::GenerateOptions copy = o;
    setter(copy);
    return copy;
  };
  EXPECT_NE(error_of({1}, with([](auto& x) { x.top_p = 0.0; })).find("top_p must be in (0, 1]"), std::string::npos);
  EXPECT_NE(error_of({1}, with([](auto& x) { x.top_p = 1.5; })).find("top_p must be in (0, 1]"), std::string::npos);
  EXPECT_NE(error_of({1}, with([](auto& x) { x.temperature = -1; })).find("temperature"), std::string::npos);
  EXPECT_NE(error_of({1}, with([](auto& x) { x.top_k = -2; })).find("top_k"), std::string::npos);
  EXPECT_NE(error_of({1}, with([](auto& x) { x.max_new_tokens = -1; })).find("max_new_tokens"), std::string::npos);
  EXPECT_NE(error_of({}, o).find("prompt is empty"), std::string::npos);
  EXPECT_NE(error_of({64}, o).find("outside the model's vocabulary [0, 64)"), std::string::npos);
  const std::string too_long = error_of(std::vector<int64_t>(13, 1), o);
  EXPECT_NE(too_long.find("13 tokens plus 4 new tokens exceed the model's block_size of 16"), std::string::npos)
      << too_long;
  EXPECT_EQ(error_of(std::vector<int64_t>(12, 1), o), "");  // exactly block_size fits
}

}  // namespace
}  // namespace forge
