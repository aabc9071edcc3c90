// Bad input around checkpoints, through the real `forge` binary: each case
// must exit 1 with a message naming the problem, and lose nothing (the run's
// checkpoints, `latest` and metrics.jsonl are as they were). Also `forge inspect`.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <fstream>
#include <sstream>

#include "e2e_util.h"
#include "checkpoint/checkpoint.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A run stopped by kill -9 in step 7 of 12: step_4.h5 is `latest`, metrics.jsonl has steps 1-6.
class CheckpointErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("ckpt_errors");
    write_tiny_shards(dir_ / "data", 64, 6000);
    recipe_ = (dir_ / "recipe.yaml").string();
    write_tiny_checkpointing_recipe(recipe_, dir_ / "data");
    run_ = dir_ / "run";
    const CommandResult r = train("", "FORGE_TEST_SIGNAL_AT=7:KILL");
    ASSERT_EQ(r.exit_code, 128 + 9) << r.output;
    ckpt_ = run_ / "checkpoints" / "step_4.h5";
    ASSERT_TRUE(fs::exists(ckpt_));
    snapshot_ = snapshot();
  }

  CommandResult train(const std::string& extra, const std::string& env = "") {
    return train_in_run_dir(recipe_, run_, extra, env);
  }

  // The run's files that must survive a failed command.
  std::string snapshot() const {
    return read_text(run_ / "checkpoints" / "latest") + "|" + read_text(ckpt_) + "|" + read_text(run_ / "metrics.jsonl");
  }

  void expect_failure(const CommandResult& r, const std::vector<std::string>& phrases) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    for (const std::string& p : phrases) EXPECT_NE(r.output.find(p), std::string::npos) << "missing '" << p << "' in:\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
    EXPECT_TRUE(snapshot() == snapshot_) << "the run's checkpoint, latest or metrics.jsonl changed";
  }

  // A copy of step_4.h5 outside the run directory.
  fs::path copy_of_checkpoint(const std::string& name) const {
    const fs::path p = dir_ / name;
    fs::copy_file(ckpt_, p, fs::copy_options::overwrite_existing);
    return p;
  }

  fs::path dir_, run_, ckpt_;
  std::string recipe_, snapshot_;
};

TEST_F(CheckpointErrors, TruncatedCheckpoint) {
  const fs::path bad = copy_of_checkpoint("truncated.h5");
  fs::resize_file(bad, fs::file_size(bad) / 2);
  expect_failure(train("resume='" + bad.string() + "'"), {bad.string(), "truncated"});
}

// Flips one byte inside the stored data of /model/transformer.wte.weight.
TEST_F(CheckpointErrors, BitFlippedCheckpoint) {
  const fs::path bad = copy_of_checkpoint("flipped.h5");
  haddr_t addr = 0;
  {
    hid_t f = H5Fopen(bad.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    hid_t ds = H5Dopen2(f, "/model/transformer.wte.weight", H5P_DEFAULT);
    addr = H5Dget_offset(ds);  // contiguous storage (format 2)
    ASSERT_NE(addr, HADDR_UNDEF);
    H5Dclose(ds);
    H5Fclose(f);
  }
  {
    std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(addr + 1000));
    char c = 0;
    io.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    io.seekp(static_cast<std::streamoff>(addr + 1000));
    io.write(&c, 1);
  }
  expect_failure(train("resume='" + bad.string() + "'"),
                 {"checksum mismatch in dataset '/model/transformer.wte.weight'", bad.string()});

  // forge inspect names the corrupt dataset and passes the others.
  const CommandResult r = run_forge("inspect '" + bad.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("1 of"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CORRUPT"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("checksum mismatch in dataset '/model/transformer.wte.weight'"), std::string::npos) << r.output;
}

TEST_F(CheckpointErrors, NotHdf5) {
  const fs::path bad = dir_ / "notes.h5";
  std::ofstream(bad) << "this is not a checkpoint\n";
  expect_failure(train("resume='" + bad.string() + "'"), {bad.string(), "is not an HDF5 file"});
  // An HDF5 file of another kind (a token shard).
  const fs::path shard = dir_ / "data" / "train_000000.h5";
  expect_failure(train("resume='" + shard.string() + "'"), {shard.string(), "not a forge checkpoint"});
}

TEST_F(CheckpointErrors, DifferentModelConfig) {
  expect_failure(train("resume=auto model.n_embd=48 model.n_layer=3"),
                 {"different model", "model.n_layer: 2 vs 3", "model.n_embd: 32 vs 48", "init_from"});
}

TEST_F(CheckpointErrors, LatestNamesMissingFile) {
  std::ofstream(run_ / "checkpoints" / "latest") << "step_99.h5\n";
  snapshot_ = snapshot();
  expect_failure(train("resume=auto"), {"names 'step_99.h5'", "does not exist"});
  expect_failure(train("resume='" + (run_ / "checkpoints" / "step_98.h5").string() + "'"), {"step_98.h5' does not exist"});
}

TEST_F(CheckpointErrors, FreshStartOverExistingRun) {
  expect_failure(train(""), {"already holds checkpoints", "resume=auto"});
}

TEST_F(CheckpointErrors, UnwritableRunDir) {
  // /proc refuses new directories even to root.
  const CommandResult r = run_shell("OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 '" + forge_binary() + "' train '" + recipe_ +
                                    "' run.dir=/proc/forge_unwritable_run");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot create run directory '/proc/forge_unwritable_run/checkpoints'"), std::string::npos)
      << r.output;
}

// Disk full while saving: a file-size limit makes the write of step_8.h5 fail
// (EFBIG; forge ignores SIGXFSZ). The error says so, no partial file is left,
// and step_4.h5 and `latest` are intact: the run resumes from them afterwards.
TEST_F(CheckpointErrors, DiskFullWhileSaving) {
  const CommandResult r = run_shell("bash -c \"ulimit -f 64; OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 exec '" + forge_binary() +
                                    "' train '" + recipe_ + "' run.dir='" + run_.string() + "' resume=auto\"");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot save checkpoint '" + (run_ / "checkpoints" / "step_8.h5").string() + "'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(run_ / "checkpoints" / "step_8.h5"));
  EXPECT_FALSE(fs::exists(run_ / "checkpoints" / "step_8.h5.tmp"));
  EXPECT_EQ(read_text(run_ / "checkpoints" / "latest"), "step_4.h5\n");
  EXPECT_EQ(run_forge("inspect '" + ckpt_.string() + "'").exit_code, 0);
  const CommandResult again = train("resume=auto");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("continuing from '" + ckpt_.string() + "'"), std::string::npos) << again.output;
}

// Every command, not only train, turns a write past a file-size limit into an
// error naming the file (forge ignores SIGXFSZ) and leaves no partial file.
TEST_F(CheckpointErrors, WritesPastFileSizeLimitFailCleanlyInEveryCommand) {
  const fs::path out = fresh_dir("file_size_limit");
  auto limited = [&](const std::string& args) {
    return run_shell("bash -c \"ulimit -f 16; OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1 exec '" + forge_binary() + "' " + args +
                     "\"");
  };
  CommandResult r = limited("convert '" + ckpt_.string() + "' '" + (out / "model.safetensors").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find((out / "model.safetensors").string()), std::string::npos) << r.output;

  std::string text;
  for (int i = 0; i < 4000; ++i) text += "the cat sat on the mat number " + std::to_string(i) + ".\n%\n";
  std::ofstream(out / "text.txt") << text;
  ASSERT_EQ(run_forge("tokenizer train --vocab-size 300 --out '" + (out / "tok").string() + "' '" +
                      (out / "text.txt").string() + "'")
                .exit_code,
            0);
  r = limited("prepare --tokenizer '" + (out / "tok").string() + "' --out '" + (out / "shards").string() +
              "' --separator % '" + (out / "text.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("shards/train_000000.h5"), std::string::npos) << r.output;
  // Nothing half-written is left behind: no shard, no temporary file, no safetensors.
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name.find(".tmp") == std::string::npos && name.find(".h5") == std::string::npos &&
                name.find(".safetensors") == std::string::npos)
        << entry.path();
  }
}

TEST_F(CheckpointErrors, InspectPrintsContents) {
  const CommandResult r = run_forge("inspect '" + ckpt_.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const recipes::CheckpointContents c = recipes::load_checkpoint(ckpt_.string());
  int64_t params = 0;
  for (const auto& [name, t] : c.model) params += t.numel();
  for (const std::string& s :
       {std::string("model: gpt2, n_layer 2, n_head 2, n_kv_head 2, n_embd 32, vocab_size 64, block_size 16"),
        std::string("step: 4\n"), std::string("tokens seen: 256\n"), "parameters: " + std::to_string(params) + "\n",
        std::string("optimizer: adamw, 4 steps taken"), std::string("/model/transformer.wte.weight"),
        std::string("(64, 32)"), std::string("/model/transformer.h.1.mlp.c_fc.weight"), std::string("(128, 32)"),
        std::string("/optim/transformer.ln_f.bias/exp_avg_sq"),
        "checksums: ok (all " + std::to_string(3 * c.model.size()) + " datasets verified)"})
    EXPECT_NE(r.output.find(s), std::string::npos) << "missing '" << s << "' in:\n" << r.output;
}

}  // namespace
}  // namespace forge::e2e
