// Checkpoint files in-process: bit-exact round trip of every field, format-2
// tensors (contiguous + CRC-32C) readable by HDF5 itself, format-1 files
// (chunked + Fletcher-32) still loading, corruption reported per dataset, `latest` and pruning, metrics.jsonl trimming on resume,
// and model-config differences.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/philox.h"
#include "io/crc32c.h"
#include "io/hdf5_contiguous.h"
#include "io/hdf5_util.h"
#include "nn/transformer.h"
#include "checkpoint/checkpoint.h"
#include "monitor/metrics.h"

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
  c.state = {17, 4352, ~0ull, (1ull << 40) + 3, 17, 65536.0, 12, 2, 1, 1, true, 3};
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
  EXPECT_TRUE(b.state.loss_scaling);
  EXPECT_EQ(b.state.skipped_steps, 3);
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

// Reads a whole dataset with HDF5's own H5Dread (as h5py would).
std::vector<unsigned char> hdf5_read(hid_t f, const char* name, hid_t mem_type, size_t nbytes) {
  std::vector<unsigned char> out(nbytes);
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  EXPECT_GE(H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0) << name << ": " << h5::error_message();
  H5Dclose(ds);
  return out;
}

// A dataset as format-1 checkpoints stored tensors: chunks of `chunk_rows`
// whole rows with HDF5's Fletcher-32 filter, written by HDF5 itself.
void write_format1_dataset(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type, const void* data,
                           const std::vector<hsize_t>& dims, hsize_t chunk_rows) {
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  std::vector<hsize_t> chunk = dims;
  chunk[0] = chunk_rows;
  ASSERT_GE(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), 0);
  ASSERT_GE(H5Pset_fletcher32(dcpl), 0);
  hid_t ds = H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(ds, 0) << name;
  EXPECT_GE(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0) << name;
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
}

// forge's one-pass Fletcher-32 verification (format-1 files) must accept what
// HDF5's filter wrote, including odd byte counts, partial edge chunks and
// all-0xFF data (the sums' largest values), with and without a type conversion.
TEST(CheckpointFile, Fletcher32ReadsWhatHdf5Wrote) {
  const fs::path dir = temp_dir("fletcher");
  const std::string path = (dir / "f.h5").string();
  Generator gen(4);
  std::vector<float> floats(1001 * 37);
  for (float& v : floats) v = static_cast<float>(gen.next_normal() * 1e3);
  std::vector<double> as_double(floats.begin(), floats.end());
  std::vector<unsigned char> ff(7 * 3, 0xFF);
  {
    h5::Handle f = h5::create_file(path);
    write_format1_dataset(f, "f32", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, floats.data(), {1001, 37}, 27);
    write_format1_dataset(f, "u8", H5T_NATIVE_UINT8, H5T_STD_U8LE, ff.data(), {7, 3}, 2);
    write_format1_dataset(f, "f64", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, as_double.data(), {1001, 37}, 27);
  }
  h5::Handle f = h5::open_file_readonly(path);
  std::vector<float> back(floats.size());
  h5::read_nd(f, "f32", H5T_NATIVE_FLOAT, back.data(), path);
  EXPECT_EQ(back, floats);
  std::vector<unsigned char> back_u8(ff.size());
  h5::read_nd(f, "u8", H5T_NATIVE_UINT8, back_u8.data(), path);
  EXPECT_EQ(back_u8, ff);
  std::vector<float> converted(floats.size());
  h5::read_nd(f, "f64", H5T_NATIVE_FLOAT, converted.data(), path);
  EXPECT_EQ(converted, floats);
}

TEST(CheckpointFile, CorruptChunkIsNamed) {
  const fs::path dir = temp_dir("corrupt");
  const std::string path = (dir / "c.h5").string();
  std::vector<float> v(300, 1.5f);
  {
    h5::Handle f = h5::create_file(path);
    write_format1_dataset(f, "x", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, v.data(), {100, 3}, 25);  // 4 chunks of 25 rows
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

// Format 2: contiguous datasets with a CRC-32C attribute. HDF5 (and so h5py)
// reads them as ordinary datasets, the attribute is the data's CRC-32C, and a
// flipped byte anywhere in a large one (past the first pread block) is named.
TEST(CheckpointFile, ContiguousCrc32cDatasets) {
  const fs::path dir = temp_dir("contiguous");
  const std::string path = (dir / "c.h5").string();
  Generator gen(5);
  std::vector<float> v(3 * 1024 * 1024 + 7);  // 12 MiB + 28 bytes: several blocks and a short last one
  for (float& x : v) x = static_cast<float>(gen.next_normal());
  const size_t nbytes = v.size() * sizeof(float);
  {
    h5::Handle f = h5::create_file(path);
    h5::write_contiguous(f, f, "big", H5T_IEEE_F32LE, v.data(), {static_cast<int64_t>(v.size())}, path);
    h5::write_contiguous(f, f, "empty", H5T_IEEE_F32LE, nullptr, {0, 4}, path);
  }
  haddr_t addr = 0;
  {
    h5::Handle f = h5::open_file_readonly(path);
    EXPECT_EQ(0, std::memcmp(hdf5_read(f, "big", H5T_NATIVE_FLOAT, nbytes).data(), v.data(), nbytes));
    h5::Handle ds(H5Dopen2(f, "big", H5P_DEFAULT), H5Dclose);
    ASSERT_TRUE(h5::is_checked_contiguous(ds, H5T_NATIVE_FLOAT));
    EXPECT_EQ(h5::read_attr_uint64(ds, h5::kCrc32cAttribute, path), crc32c_portable(v.data(), nbytes));
    std::vector<float> back(v.size());
    h5::read_contiguous(f, ds, "big", back.data(), nbytes, path);
    EXPECT_EQ(back, v);
    h5::Handle empty(H5Dopen2(f, "empty", H5P_DEFAULT), H5Dclose);
    ASSERT_TRUE(h5::is_checked_contiguous(empty, H5T_NATIVE_FLOAT));
    h5::read_contiguous(f, empty, "empty", nullptr, 0, path);
    addr = H5Dget_offset(ds);
    ASSERT_NE(addr, HADDR_UNDEF);
  }
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(addr + nbytes - 9));
    char c = 0;
    io.read(&c, 1);
    io.seekp(static_cast<std::streamoff>(addr + nbytes - 9));
    io.put(static_cast<char>(c ^ 0x01));
  }
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle ds(H5Dopen2(f, "big", H5P_DEFAULT), H5Dclose);
  std::vector<float> back(v.size());
  try {
    h5::read_contiguous(f, ds, "big", back.data(), nbytes, path);
    FAIL() << "expected a checksum error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch in dataset 'big' of '" + path + "'"), std::string::npos)
        << e.what();
  }
}

// Many datasets read at once (load_checkpoint's path): every one arrives intact,
// and a corrupt one among them is named, whichever thread read it.
TEST(CheckpointFile, ParallelContiguousReadsNameTheCorruptDataset) {
  const fs::path dir = temp_dir("contiguous_all");
  const std::string path = (dir / "c.h5").string();
  Generator gen(9);
  constexpr int kDatasets = 9;
  std::vector<std::vector<float>> data(kDatasets);
  {
    h5::Handle f = h5::create_file(path);
    for (int i = 0; i < kDatasets; ++i) {
      data[i].resize(static_cast<size_t>(1000 * (i + 1) + 3));
      for (float& x : data[i]) x = static_cast<float>(gen.next_normal());
      h5::write_contiguous(f, f, "d" + std::to_string(i), H5T_IEEE_F32LE, data[i].data(),
                           {static_cast<int64_t>(data[i].size())}, path);
    }
  }
  auto read_all = [&](std::vector<std::vector<float>>& back) {
    h5::Handle f = h5::open_file_readonly(path);
    std::vector<h5::ContiguousRead> jobs;
    for (int i = 0; i < kDatasets; ++i) {
      back[i].assign(data[i].size(), 0.0f);
      h5::Handle ds(H5Dopen2(f, ("d" + std::to_string(i)).c_str(), H5P_DEFAULT), H5Dclose);
      jobs.push_back(h5::locate_contiguous(ds, "d" + std::to_string(i), back[i].data(),
                                           back[i].size() * sizeof(float), path));
    }
    h5::read_contiguous_all(f, jobs, path);
  };
  std::vector<std::vector<float>> back(kDatasets);
  read_all(back);
  EXPECT_EQ(back, data);
  haddr_t addr = 0;
  {
    h5::Handle f = h5::open_file_readonly(path);
    h5::Handle ds(H5Dopen2(f, "d6", H5P_DEFAULT), H5Dclose);
    addr = H5Dget_offset(ds);
  }
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(addr + 100));
    char c = 0;
    io.read(&c, 1);
    io.seekp(static_cast<std::streamoff>(addr + 100));
    io.put(static_cast<char>(c ^ 0x10));
  }
  try {
    read_all(back);
    FAIL() << "expected a checksum error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch in dataset 'd6'"), std::string::npos) << e.what();
  }
}

// Rewrites every tensor of a (format-2) checkpoint the way format 1 stored it
// (chunked, Fletcher-32) and marks the file version 1.
void downgrade_to_format1(const std::string& path, const CheckpointContents& c) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  auto rewrite = [&](const std::string& name, const Tensor& t) {
    ASSERT_GE(H5Ldelete(f, name.c_str(), H5P_DEFAULT), 0) << name;
    const std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
    write_format1_dataset(f, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, t.data_ptr(), dims, (dims[0] + 1) / 2);
  };
  for (const auto& [name, t] : c.model) rewrite("/model/" + name, t);
  for (const auto& [key, t] : c.optimizer_state) rewrite("/optim/" + key, t);
  hid_t attr = H5Aopen(f, "format_version", H5P_DEFAULT);
  const int64_t one = 1;
  EXPECT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &one), 0);
  H5Aclose(attr);
  H5Fclose(f);
}

// Checkpoints written before format 2 still load, bit for bit; a tensor that
// carries no checksum at all is refused.
TEST(CheckpointFile, Format1FilesStillLoad) {
  const fs::path dir = temp_dir("format1");
  CheckpointContents c;
  c.model_config = nn::preset("gpt2-test");
  nn::TransformerLM model(c.model_config, 3);
  c.model = model.named_parameters();
  Generator gen(11);
  for (const auto& [name, p] : c.model) c.optimizer_state[name + "/exp_avg"] = Tensor::randn(p.shape(), gen);
  c.optimizer_name = "adamw";
  const std::string path = (dir / "step_1.h5").string();
  save_checkpoint(path, c);
  downgrade_to_format1(path, c);
  {
    h5::Handle f = h5::open_file_readonly(path);
    EXPECT_EQ(h5::read_attr_int(f, "format_version", path), 1);
  }
  const CheckpointContents b = load_checkpoint(path);
  ASSERT_EQ(b.model.size(), c.model.size());
  for (size_t i = 0; i < c.model.size(); ++i) EXPECT_TRUE(same_bytes(b.model[i].second, c.model[i].second)) << c.model[i].first;
  for (const auto& [key, t] : c.optimizer_state) EXPECT_TRUE(same_bytes(b.optimizer_state.at(key), t)) << key;

  // The same tensor without any checksum (contiguous, no attribute).
  const std::string name = "/model/" + c.model[0].first;
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(H5Ldelete(f, name.c_str(), H5P_DEFAULT), 0);
    const Tensor& t = c.model[0].second;
    const std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t ds = H5Dcreate2(f, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()), 0);
    H5Dclose(ds);
    H5Sclose(space);
    H5Fclose(f);
  }
  try {
    load_checkpoint(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset '" + name + "' in '" + path + "' carries no checksum"),
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

// /config is nn's model field table: every field round-trips (resolved), and a
// field a file lacks (written before the field existed) reads as its default.
TEST(CheckpointFile, ConfigAttributesAreTheModelFieldTable) {
  const fs::path dir = temp_dir("config_table");
  CheckpointContents c;
  c.model_config = nn::preset("llama-test");
  c.model_config.n_kv_head = 0;
  c.model_config.ffn_hidden = 0;
  c.model_config.rope_theta = 500000.0;
  c.model_config.norm_eps = 1e-6;
  c.model_config.dropout = 0.125;
  c.model_config.tie_embeddings = true;
  c.model = nn::TransformerLM(c.model_config, 1).named_parameters();
  const std::string path = (dir / "step_1.h5").string();
  save_checkpoint(path, c);
  EXPECT_EQ(load_checkpoint(path, false).model_config, c.model_config.resolved());

  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t g = H5Gopen2(f, "/config", H5P_DEFAULT);
  for (const nn::ModelField& field : nn::model_fields()) EXPECT_GT(H5Aexists(g, field.name.c_str()), 0) << field.name;
  EXPECT_GE(H5Adelete(g, "dropout"), 0);
  H5Gclose(g);
  H5Fclose(f);
  nn::ModelConfig expected = c.model_config.resolved();
  expected.dropout = nn::ModelConfig{}.dropout;
  EXPECT_EQ(load_checkpoint(path, false).model_config, expected);
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
  b = a;
  b.family = nn::Family::llama;
  b.n_kv_head = 0;  // resolved: n_head either way, so no difference
  b.dropout = 0.5;
  EXPECT_EQ(model_config_differences(a, b), (std::vector<std::string>{"model.family: gpt2 vs llama", "model.dropout: 0 vs 0.5"}));
}

}  // namespace
}  // namespace forge::recipes
