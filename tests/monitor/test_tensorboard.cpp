// TensorBoard event files: CRC-32C against published check values, TFRecord
// masking and framing, varints, the Event protobufs byte for byte against
// TensorBoard's own protobuf classes (scripts/make_tensorboard_golden.py), the
// tag mapping, and a writer's file read back record by record.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "monitor/metrics.h"
#include "monitor/tensorboard.h"
#include "io/tfrecord.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;

std::string hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) s += {d[c >> 4], d[c & 15]};
  return s;
}

uint32_t le32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

uint64_t le64(const std::string& b, size_t at) {
  return uint64_t(le32(b, at)) | (uint64_t(le32(b, at + 4)) << 32);
}

// io/tfrecord's crc32c is the string form of io/crc32c (whose check
// values and splits tests/io/test_crc32c.cpp covers): it must pass the data
// and the running CRC through.
TEST(TensorBoardCrc, Crc32cIsDataCrc32c) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("6789", crc32c("12345")), 0xE3069283u);
}

TEST(TensorBoardCrc, MaskedAsTensorBoardComputesIt) {
  EXPECT_EQ(mask_crc32c(0), 0xa282ead8u);
  EXPECT_EQ(mask_crc32c(1u << 15), 0xa282ead9u);  // rotated right by 15
  EXPECT_EQ(mask_crc32c(crc32c("123456789")), 0xc78ab0e5u);  // TensorBoard's masked_crc32c
}

TEST(TensorBoardRecord, Framing) {
  const std::string data = "hello, events";
  const std::string rec = tfrecord(data);
  ASSERT_EQ(rec.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(le64(rec, 0), data.size());
  EXPECT_EQ(le32(rec, 8), mask_crc32c(crc32c(rec.substr(0, 8))));
  EXPECT_EQ(rec.substr(12, data.size()), data);
  EXPECT_EQ(le32(rec, 12 + data.size()), mask_crc32c(crc32c(data)));
}

TEST(TensorBoardProto, Varints) {
  auto v = [](uint64_t x) {
    std::string s;
    append_varint(s, x);
    return hex(s);
  };
  EXPECT_EQ(v(0), "00");
  EXPECT_EQ(v(1), "01");
  EXPECT_EQ(v(127), "7f");
  EXPECT_EQ(v(128), "8001");
  EXPECT_EQ(v(300), "ac02");
  EXPECT_EQ(v(~uint64_t(0)), "ffffffffffffffffff01");
}

TEST(TensorBoardProto, EventsMatchTensorBoardsEncoding) {
  const double t = 1700000000.25;
  EXPECT_EQ(hex(event_scalar(t, 10, "train/loss", 2.5f)),
            "0900001040fc54d941100a2a130a110a0a747261696e2f6c6f73731500002040");
  EXPECT_EQ(hex(event_file_version(t)), "0900001040fc54d9411a0d627261696e2e4576656e743a32");
  EXPECT_EQ(hex(event_session_start(t, 300)), "0900001040fc54d94110ac023a020801");
}

TEST(TensorBoardTags, FromMetricsKeys) {
  EXPECT_EQ(tensorboard_tag("loss"), "train/loss");
  EXPECT_EQ(tensorboard_tag("lr"), "train/lr");
  EXPECT_EQ(tensorboard_tag("grad_norm"), "train/grad_norm");
  EXPECT_EQ(tensorboard_tag("tokens_per_s"), "train/tokens_per_s");
  EXPECT_EQ(tensorboard_tag("mfu"), "train/mfu");
  EXPECT_EQ(tensorboard_tag("val_loss"), "val/loss");
  EXPECT_EQ(tensorboard_tag("step"), "");
  EXPECT_EQ(tensorboard_tag("tokens"), "");
}

// Splits an event file into its records, checking every length and CRC.
std::vector<std::string> read_records(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t at = 0;
  while (at < b.size()) {
    EXPECT_LE(at + 12, b.size());
    if (at + 12 > b.size()) break;
    const uint64_t n = le64(b, at);
    EXPECT_EQ(le32(b, at + 8), mask_crc32c(crc32c(b.substr(at, 8))));
    EXPECT_LE(at + 16 + n, b.size());
    if (at + 16 + n > b.size()) break;
    const std::string data = b.substr(at + 12, n);
    EXPECT_EQ(le32(b, at + 12 + n), mask_crc32c(crc32c(data)));
    out.push_back(data);
    at += 16 + n;
  }
  return out;
}

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0) files.push_back(e.path());
  }
  return files;
}

TEST(TensorBoardWriter, WritesEveryTaggedScalarFlushed) {
  const fs::path dir = fs::temp_directory_path() / "forge_tensorboard_writer";
  fs::remove_all(dir);
  {
    TensorBoardWriter w(dir.string());
    const std::string name = fs::path(w.path()).filename().string();
    // events.out.tfevents.<unix seconds>.<host>
    const std::string prefix = "events.out.tfevents.";
    ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
    const size_t dot = name.find('.', prefix.size());
    ASSERT_NE(dot, std::string::npos);
    EXPECT_GT(std::stoll(name.substr(prefix.size(), dot - prefix.size())), 1600000000LL);
    EXPECT_GT(name.size(), dot + 1);

    w.write({{"step", 10}, {"loss", 3.25}, {"lr", 1e-3}, {"tokens", 2048}});
    w.write({{"step", 10}, {"val_loss", 3.5}});
    // Read while the writer is still open: everything is on disk already.
    const std::vector<std::string> recs = read_records(w.path());
    ASSERT_EQ(recs.size(), 1u + 1u + 2u + 1u);  // version, START, loss + lr, val loss
    EXPECT_NE(recs[0].find("brain.Event:2"), std::string::npos);
    EXPECT_EQ(recs[1].substr(recs[1].size() - 4), std::string("\x3a\x02\x08\x01", 4));  // session_log START
    // Scalars: the same bytes as event_scalar at the record's wall time (its first 9 bytes).
    double wall;
    std::memcpy(&wall, recs[2].data() + 1, 8);
    EXPECT_EQ(recs[2], event_scalar(wall, 10, "train/loss", 3.25f));
    std::memcpy(&wall, recs[3].data() + 1, 8);
    EXPECT_EQ(recs[3], event_scalar(wall, 10, "train/lr", float(1e-3)));
    std::memcpy(&wall, recs[4].data() + 1, 8);
    EXPECT_EQ(recs[4], event_scalar(wall, 10, "val/loss", 3.5f));
  }
  fs::remove_all(dir);
}

TEST(TensorBoardWriter, MetricsLogWritesBothSinks) {
  const fs::path dir = fs::temp_directory_path() / "forge_tensorboard_metrics_log";
  fs::remove_all(dir);
  {
    MetricsLog log(dir.string());
    log.write({{"step", 1}, {"loss", 4.0}, {"grad_norm", 0.5}});
    ASSERT_EQ(event_files(dir).size(), 1u);
    EXPECT_EQ(read_records(event_files(dir)[0]).size(), 4u);  // version, START, 2 scalars
    std::ifstream in(dir / "metrics.jsonl");
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_NE(line.find(R"("loss": 4)"), std::string::npos) << line;
  }
  fs::remove_all(dir);
}

TEST(TensorBoardWriter, UnwritableRunDirIsAnError) {
  try {
    TensorBoardWriter w("/proc/forge-no-such-dir");
    FAIL() << "expected forge::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/forge-no-such-dir/events.out.tfevents."), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace forge::recipes
