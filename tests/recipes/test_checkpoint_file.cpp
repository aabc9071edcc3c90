// Checkpoint files in-process: bit-exact round trip of every field, Fletcher-32
// written by forge verified by HDF5 and the other way round, corruption
// reported per dataset, `latest` and pruning, metrics.jsonl trimming on resume,
// and model-config differences.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/philox.h"
#include "data/hdf5_util.h"
#include "nn/transformer.h"
#include "recipes/checkpoint.h"
#include "recipes/metrics.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& tag) {
  const fs::path d = fs::temp_directory_path() / ("forge_ckpt_unit_" + tag);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) == 0;
}

TEST(CheckpointFile, RoundTripIsBitExact) {
  const fs::path dir = temp_dir("roundtrip");
  CheckpointContents c;
  c.model_config = nn::preset("llama-test");
  c.model_config.dropout = 0.25;
  c.recipe_yaml = "seed: 1\n# ünïcode and \"quotes\"\n";
  nn::TransformerLM model(c.model_config, 3);
  c.model = model.named_parameters();
  Generator gen(9);
  for (const auto& [name, p] : c.model) {
    c.optimizer_state[name + "/exp_avg"] = Tensor::randn(p.shape(), gen);
    c.optimizer_state[name + "/exp_avg_sq"] = Tensor::uniform(p.shape(), gen);
  }
  c.optimizer_name = "adamw";
  c.optimizer_step_count = 17;
  c.optimizer_lr = 1.2345678901234567e-4;
  c.state = {17, 4352, ~0ull, (1ull << 40) + 3, 17, 65536.0, 12, 2, 1, 1};
  const std::string path = (dir / "step_17.h5").string();
  save_checkpoint(path, c);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  const CheckpointContents b = load_checkpoint(path);
  EXPECT_TRUE(model_config_differences(b.model_config, c.model_config).empty());
  EXPECT_EQ(b.recipe_yaml, c.recipe_yaml);
  ASSERT_EQ(b.model.size(), c.model.size());
  for (size_t i = 0; i < c.model.size(); ++i) {
    EXPECT_EQ(b.model[i].first, c.model[i].first);  // model order, not alphabetical
    EXPECT_TRUE(same_bytes(b.model[i].second, c.model[i].second)) << c.model[i].first;
  }
  ASSERT_EQ(b.optimizer_state.size(), c.optimizer_state.size());
  for (const auto& [key, t] : c.optimizer_state) EXPECT_TRUE(same_bytes(b.optimizer_state.at(key), t)) << key;
  EXPECT_EQ(b.optimizer_name, "adamw");
  EXPECT_EQ(b.optimizer_step_count, 17);
  EXPECT_EQ(b.optimizer_lr, c.optimizer_lr);
  EXPECT_EQ(b.state.step, 17);
  EXPECT_EQ(b.state.tokens_seen, 4352);
  EXPECT_EQ(b.state.dropout_seed, ~0ull);
  EXPECT_EQ(b.state.dropout_offset, (1ull << 40) + 3);
  EXPECT_EQ(b.state.loss_scale, 65536.0);
  EXPECT_EQ(b.state.loss_scale_good_steps, 12);
  EXPECT_EQ(b.state.dp, 2);

  const CheckpointContents w = load_checkpoint(path, /*with_optimizer=*/false);
  EXPECT_TRUE(w.optimizer_state.empty());
  EXPECT_TRUE(w.optimizer_name.empty());
  EXPECT_EQ(w.model.size(), c.model.size());

  const CheckpointReport r = verify_checkpoint(path);
  EXPECT_EQ(r.datasets.size(), 3 * c.model.size());
  for (const DatasetStatus& d : r.datasets) EXPECT_EQ(d.error, "") << d.name;
  EXPECT_EQ(r.num_parameters, model.num_parameters());
}

TEST(CheckpointFile, SaveIntoMissingDirectoryFailsCleanly) {
  const fs::path dir = temp_dir("missing");
  const std::string path = (dir / "no" / "such" / "step_1.h5").string();
  CheckpointContents c;
  c.model = {{"w", Tensor::ones({4})}};
  try {
    save_checkpoint(path, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot save checkpoint '" + path + "'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

// Reads a whole dataset with HDF5's own H5Dread (its Fletcher-32 filter verifies each chunk).
std::vector<unsigned char> hdf5_read(hid_t f, const char* name, hid_t mem_type, size_t nbytes) {
  std::vector<unsigned char> out(nbytes);
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  EXPECT_GE(H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0) << name << ": " << h5::error_message();
  H5Dclose(ds);
  return out;
}

// forge's one-pass Fletcher-32 must equal HDF5's filter exactly, including odd
// byte counts, partial edge chunks and all-0xFF data (the sums' largest values).
TEST(CheckpointFile, Fletcher32MatchesHdf5InBothDirections) {
  const fs::path dir = temp_dir("fletcher");
  const std::string path = (dir / "f.h5").string();
  Generator gen(4);
  std::vector<float> floats(1001 * 37);
  for (float& v : floats) v = static_cast<float>(gen.next_normal() * 1e3);
  std::vector<double> as_double(floats.begin(), floats.end());
  std::vector<unsigned char> ff(7 * 3, 0xFF);
  std::vector<int32_t> ff_int(ff.size(), 255);
  {
    h5::Handle f = h5::create_file(path);
    // forge fills and checksums the chunks (mem type == file type)...
    h5::write_nd(f, "direct_f32", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, floats.data(), {1001, 37}, 4000, path);
    h5::write_nd(f, "direct_u8", H5T_NATIVE_UINT8, H5T_STD_U8LE, ff.data(), {7, 3}, 7, path);
    // ... or HDF5 does (a type conversion sends the data through HDF5's pipeline).
    h5::write_nd(f, "hdf5_f32", H5T_NATIVE_DOUBLE, H5T_IEEE_F32LE, as_double.data(), {1001, 37}, 4000, path);
    h5::write_nd(f, "hdf5_u8", H5T_NATIVE_INT32, H5T_STD_U8LE, ff_int.data(), {7, 3}, 7, path);
  }
  h5::Handle f = h5::open_file_readonly(path);
  const size_t fbytes = floats.size() * 4;
  EXPECT_EQ(0, std::memcmp(hdf5_read(f, "direct_f32", H5T_NATIVE_FLOAT, fbytes).data(), floats.data(), fbytes));
  EXPECT_EQ(hdf5_read(f, "direct_u8", H5T_NATIVE_UINT8, ff.size()), ff);
  std::vector<float> back(floats.size());
  h5::read_nd(f, "hdf5_f32", H5T_NATIVE_FLOAT, back.data(), path);
  EXPECT_EQ(back, floats);
  std::vector<unsigned char> back_u8(ff.size());
  h5::read_nd(f, "hdf5_u8", H5T_NATIVE_UINT8, back_u8.data(), path);
  EXPECT_EQ(back_u8, ff);
}

TEST(CheckpointFile, CorruptChunkIsNamed) {
  const fs::path dir = temp_dir("corrupt");
  const std::string path = (dir / "c.h5").string();
  std::vector<float> v(300, 1.5f);
  {
    h5::Handle f = h5::create_file(path);
    h5::write_nd(f, "x", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, v.data(), {100, 3}, 400, path);  // 4 chunks of 25 rows (33 fit in 400 bytes)
  }
  haddr_t addr = 0;
  {
    h5::Handle f = h5::open_file_readonly(path);
    h5::Handle ds(H5Dopen2(f, "x", H5P_DEFAULT), H5Dclose);
    hsize_t offset[2] = {25, 0}, size = 0;
    unsigned mask = 0;
    ASSERT_GE(H5Dget_chunk_info_by_coord(ds, offset, &mask, &addr, &size), 0);
  }
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(addr + 5));
    io.put('\x7f');
  }
  h5::Handle f = h5::open_file_readonly(path);
  try {
    h5::read_nd(f, "x", H5T_NATIVE_FLOAT, v.data(), path);
    FAIL() << "expected a checksum error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch in dataset 'x' of '" + path + "' (rows 25 to 50)"),
              std::string::npos)
        << e.what();
  }
}

TEST(CheckpointFile, LatestAndPrune) {
  const fs::path run = temp_dir("latest");
  EXPECT_EQ(latest_checkpoint(run.string()), "");
  fs::create_directories(run / "checkpoints");
  for (int s : {2, 10, 4, 6, 8}) std::ofstream(checkpoint_path(run.string(), s)) << "x";
  std::ofstream(run / "checkpoints" / "notes.txt") << "kept";
  write_latest(run.string(), 10);
  EXPECT_EQ(latest_checkpoint(run.string()), checkpoint_path(run.string(), 10));
  EXPECT_FALSE(fs::exists(run / "checkpoints" / "latest.tmp"));

  prune_checkpoints(run.string(), 2);
  for (int s : {2, 4, 6}) EXPECT_FALSE(fs::exists(checkpoint_path(run.string(), s))) << s;
  for (int s : {8, 10}) EXPECT_TRUE(fs::exists(checkpoint_path(run.string(), s))) << s;
  EXPECT_TRUE(fs::exists(run / "checkpoints" / "notes.txt"));

  // What `latest` names is never pruned, even when older than keep_last allows.
  write_latest(run.string(), 8);
  prune_checkpoints(run.string(), 1);
  EXPECT_TRUE(fs::exists(checkpoint_path(run.string(), 8)));
  EXPECT_TRUE(fs::exists(checkpoint_path(run.string(), 10)));

  std::ofstream(run / "checkpoints" / "latest") << "../../etc/passwd\n";
  EXPECT_THROW(latest_checkpoint(run.string()), Error);
  std::ofstream(run / "checkpoints" / "latest") << "step_12.h5\n";
  try {
    latest_checkpoint(run.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("names 'step_12.h5'"), std::string::npos) << e.what();
  }
}

TEST(CheckpointFile, MetricsTrimmedToResumeStep) {
  const fs::path run = temp_dir("metrics");
  EXPECT_EQ(drop_metrics_after(run.string(), 3), 0);  // no file
  std::ofstream(run / "metrics.jsonl") << "{\"step\": 1, \"loss\": 4.5}\n{\"step\": 2, \"loss\": 4.25}\n"
                                          "{\"step\": 2, \"val_loss\": 4.0}\n{\"step\": 3, \"loss\": 4}\n"
                                          "{\"step\": 4, \"loss\": 3.5}\n{\"step\": 5, \"lo";  // killed mid-write
  EXPECT_EQ(drop_metrics_after(run.string(), 3), 2);
  std::ifstream in(run / "metrics.jsonl");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "{\"step\": 1, \"loss\": 4.5}\n{\"step\": 2, \"loss\": 4.25}\n"
                      "{\"step\": 2, \"val_loss\": 4.0}\n{\"step\": 3, \"loss\": 4}\n");
  EXPECT_EQ(drop_metrics_after(run.string(), 3), 0);
  EXPECT_EQ(drop_metrics_after(run.string(), 0), 4);  // a fresh start keeps nothing
}

TEST(CheckpointFile, ModelConfigDifferencesNameEachField) {
  nn::ModelConfig a = nn::preset("gpt2-test"), b = a;
  EXPECT_TRUE(model_config_differences(a, b).empty());
  b.n_embd = 64;
  b.vocab_size = 100;
  const auto d = model_config_differences(a, b);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "model.n_embd: 32 vs 64");
  EXPECT_EQ(d[1], "model.vocab_size: 64 vs 100");
}

}  // namespace
}  // namespace forge::recipes
