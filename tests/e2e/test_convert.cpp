// `forge convert` through the real binary: forge checkpoint -> Hugging Face
// safetensors -> forge checkpoint is bit-exact for both families (and the
// second export is byte-identical to the first), and every malformed input is
// a clear error with exit status 1.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_util.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/hf_model.h"
#include "io/safetensors.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A checkpoint of a model with random weights (and some optimizer state, which
// the export ignores) at step 5.
recipes::CheckpointContents random_checkpoint(const nn::ModelConfig& c, uint64_t seed) {
  nn::TransformerLM model(c, seed);
  Generator gen(seed + 100);
  recipes::CheckpointContents ck;
  ck.model_config = c;
  ck.recipe_yaml = "model:\n  preset: test\n";
  for (const auto& [name, p] : model.named_parameters()) {
    ck.model.push_back({name, Tensor::randn(p.shape(), gen)});
    ck.optimizer_state[name + "/exp_avg"] = Tensor::randn(p.shape(), gen);
  }
  ck.optimizer_name = "adamw";
  ck.state.step = 5;
  return ck;
}

class ConvertRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertRoundTrip, CheckpointToSafetensorsAndBackIsBitExact) {
  const fs::path dir = fresh_dir("convert");
  const nn::ModelConfig c = nn::preset(GetParam());
  const recipes::CheckpointContents original = random_checkpoint(c, 42);
  const std::string ckpt = (dir / "step_5.h5").string();
  recipes::save_checkpoint(ckpt, original);

  CommandResult r = run_forge("convert " + ckpt + " " + (dir / "hf").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.safetensors"), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(dir / "hf" / "model.safetensors"));
  ASSERT_TRUE(fs::exists(dir / "hf" / "config.json"));

  r = run_forge("convert " + (dir / "hf" / "model.safetensors").string() + " " + (dir / "back.h5").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const recipes::CheckpointContents back = recipes::load_checkpoint((dir / "back.h5").string(), true);
  EXPECT_EQ(back.state.step, 0);
  EXPECT_EQ(back.optimizer_name, "");
  EXPECT_TRUE(back.optimizer_state.empty());
  EXPECT_EQ(back.model_config.family, c.family);
  EXPECT_EQ(back.model_config.n_layer, c.n_layer);
  EXPECT_EQ(back.model_config.n_head, c.n_head);
  EXPECT_EQ(back.model_config.kv_heads(), c.kv_heads());
  EXPECT_EQ(back.model_config.n_embd, c.n_embd);
  EXPECT_EQ(back.model_config.vocab_size, c.vocab_size);
  EXPECT_EQ(back.model_config.block_size, c.block_size);
  EXPECT_EQ(back.model_config.ffn_dim(), c.ffn_dim());
  EXPECT_EQ(back.model_config.norm_eps, c.norm_eps);
  EXPECT_EQ(back.model_config.rope_theta, c.rope_theta);
  EXPECT_EQ(back.model_config.tie_embeddings, c.tie_embeddings);
  ASSERT_EQ(back.model.size(), original.model.size());
  for (size_t i = 0; i < back.model.size(); ++i) {
    const auto& [name, t] = back.model[i];
    EXPECT_EQ(name, original.model[i].first);
    ASSERT_EQ(t.shape(), original.model[i].second.shape()) << name;
    EXPECT_EQ(std::memcmp(t.contiguous().data_ptr(), original.model[i].second.data_ptr(), t.nbytes()), 0) << name;
  }

  // Exporting the re-imported checkpoint (naming the file this time) gives the same bytes.
  r = run_forge("convert " + (dir / "back.h5").string() + " " + (dir / "hf2" / "model.safetensors").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(dir / "hf2" / "model.safetensors"), slurp(dir / "hf" / "model.safetensors"));
  EXPECT_EQ(slurp(dir / "hf2" / "config.json"), slurp(dir / "hf" / "config.json"));
  // A folder holding model.safetensors is accepted as IN as well.
  r = run_forge("convert " + (dir / "hf2").string() + " " + (dir / "back2.h5").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Families, ConvertRoundTrip, ::testing::Values("gpt2-test", "llama-test"));

TEST(ConvertDtype, Bf16ExportHoldsTheRoundedWeights) {
  const fs::path dir = fresh_dir("convert_bf16");
  const nn::ModelConfig c = nn::preset("gpt2-test");
  const recipes::CheckpointContents original = random_checkpoint(c, 9);
  const std::string ckpt = (dir / "step_5.h5").string();
  recipes::save_checkpoint(ckpt, original);
  CommandResult r = run_forge("convert --dtype bf16 " + ckpt + " " + (dir / "hf").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("in bf16"), std::string::npos) << r.output;
  recipes::SafetensorsFile file((dir / "hf" / "model.safetensors").string());
  for (const auto& e : file.entries()) EXPECT_EQ(e.dtype, "BF16") << e.name;
  EXPECT_NE(slurp(dir / "hf" / "config.json").find("\"torch_dtype\": \"bfloat16\""), std::string::npos);
  // Back to a forge checkpoint: fp32 holding exactly the bf16-rounded values.
  r = run_forge("convert " + (dir / "hf").string() + " " + (dir / "back.h5").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const recipes::CheckpointContents back = recipes::load_checkpoint((dir / "back.h5").string(), false);
  ASSERT_EQ(back.model.size(), original.model.size());
  for (size_t i = 0; i < back.model.size(); ++i)
    EXPECT_EQ(back.model[i].second.to_float_vector(), original.model[i].second.to(DType::bf16).to_float_vector())
        << back.model[i].first;
  r = run_forge("convert --dtype int8 " + ckpt + " " + (dir / "hf3").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--dtype must be fp32, bf16 or fp16, got 'int8'"), std::string::npos) << r.output;
}

// `forge convert IN OUT` exits 1 with a message containing every `expected` piece.
void expect_convert_error(const std::string& in, const std::string& out, const std::vector<std::string>& expected) {
  const CommandResult r = run_forge("convert '" + in + "' '" + out + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const std::string& e : expected) EXPECT_NE(r.output.find(e), std::string::npos) << "expected '" << e << "' in:\n" << r.output;
}

// A valid exported model folder to corrupt.
fs::path exported_model(const fs::path& dir) {
  const nn::ModelConfig c = nn::preset("gpt2-test");
  const recipes::CheckpointContents ck = random_checkpoint(c, 7);
  recipes::write_hf_model((dir / "model.safetensors").string(), c, ck.model);
  return dir / "model.safetensors";
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

std::string with_header(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

TEST(ConvertErrors, MalformedSafetensorsExitOne) {
  const fs::path dir = fresh_dir("convert");
  const fs::path good = exported_model(dir);
  const std::string bytes = slurp(good);
  const std::string out = (dir / "out.h5").string();

  write_bytes(good, bytes.substr(0, bytes.size() - 100));  // truncated inside the data
  expect_convert_error(good.string(), out, {good.string(), "beyond the data section", "truncated or corrupt"});
  write_bytes(good, bytes.substr(0, 6));  // truncated inside the length
  expect_convert_error(good.string(), out, {good.string(), "truncated: 6 bytes"});
  uint64_t huge = uint64_t{1} << 40;
  write_bytes(good, std::string(reinterpret_cast<const char*>(&huge), 8) + bytes.substr(8));
  expect_convert_error(good.string(), out, {good.string(), "header length 1099511627776 runs past the end of the file"});
  write_bytes(good, with_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})", "1234"));
  expect_convert_error(good.string(), out, {good.string(), "not valid JSON"});
  write_bytes(good, with_header(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", "1234"));
  expect_convert_error(good.string(), out, {good.string(), "tensor 'w'", "beyond the data section"});
  write_bytes(good, with_header(R"({"w": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 4]}})", "1234"));
  expect_convert_error(good.string(), out, {good.string(), "tensor 'w' has unknown dtype 'Q4'"});
  EXPECT_FALSE(fs::exists(out));
}

TEST(ConvertErrors, WeightsThatDoNotMatchConfigJsonAreListed) {
  const fs::path dir = fresh_dir("convert");
  const fs::path model = exported_model(dir);
  std::string config = slurp(dir / "config.json");
  const std::string from = "\"n_layer\": 2", to = "\"n_layer\": 3";
  ASSERT_NE(config.find(from), std::string::npos);
  write_bytes(dir / "config.json", config.replace(config.find(from), from.size(), to));
  expect_convert_error(model.string(), (dir / "out.h5").string(),
                       {"do not match its config.json", "transformer.h.2.attn.c_attn.weight: missing, expected (96, 32)",
                        "transformer.h.2.mlp.c_proj.bias: missing, expected (32)"});
  fs::remove(dir / "config.json");
  expect_convert_error(model.string(), (dir / "out.h5").string(), {"needs its config.json next to it"});
}

TEST(ConvertErrors, DirectionMustBeClearFromTheNames) {
  const fs::path dir = fresh_dir("convert");
  const fs::path model = exported_model(dir);
  expect_convert_error((dir / "notes.txt").string(), (dir / "x.h5").string(), {"cannot tell the direction from"});
  expect_convert_error(model.string(), (dir / "out").string(), {"OUT must end in .h5"});
  recipes::save_checkpoint((dir / "step_1.h5").string(), random_checkpoint(nn::preset("gpt2-test"), 1));
  expect_convert_error((dir / "step_1.h5").string(), (dir / "copy.h5").string(), {"are both forge checkpoints"});
  expect_convert_error((dir / "missing.h5").string(), (dir / "hf").string(), {"missing.h5"});
  const CommandResult r = run_forge("convert only_one_argument");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("usage: forge convert [--dtype fp32|bf16|fp16] IN OUT"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace forge::e2e
