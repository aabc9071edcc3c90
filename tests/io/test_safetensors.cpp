// safetensors I/O: exact F32 round trip with metadata, F16/BF16/F64 read as
// fp32 from hand-built files, and every malformed-file check (each error names
// the file and, where there is one, the tensor).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "common/error.h"
#include "io/safetensors.h"
#include "tests/test_util.h"

namespace forge::recipes {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

fs::path temp_dir() { return testing::fresh_test_dir("forge_safetensors_"); }

// Writes a file of the given header text (length prefix = its size unless
// `header_len` overrides it) followed by `data`.
void write_raw(const fs::path& path, const std::string& header, const std::string& data,
               uint64_t header_len = UINT64_MAX) {
  if (header_len == UINT64_MAX) header_len = header.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&header_len), 8);
  out << header << data;
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Opening `header` + `data` fails with a message naming the file and containing `expected`.
void expect_open_error(const std::string& header, const std::string& data, const std::string& expected,
                       uint64_t header_len = UINT64_MAX) {
  const fs::path path = temp_dir() / "bad.safetensors";
  write_raw(path, header, data, header_len);
  const std::string msg = error_of([&] { SafetensorsFile f(path.string()); });
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find(expected), std::string::npos) << "expected '" << expected << "' in: " << msg;
}

TEST(Safetensors, F32RoundTripIsBitExactWithMetadataAndOrder) {
  const fs::path path = temp_dir() / "model.safetensors";
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denorm = std::numeric_limits<float>::denorm_min();
  Tensor a = Tensor::from_vector(std::vector<float>{1.5f, -0.0f, nan, denorm, 3e38f, -7.25f}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{42.0f}, {});
  Tensor empty = Tensor::empty({0, 4});
  Tensor strided = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).transpose(0, 1);  // written contiguous
  write_safetensors(path.string(), {{"z.first", a}, {"a.scalar", b}, {"m.empty", empty}, {"t", strided}},
                    {{"format", "pt"}, {"note", "x"}});
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));

  SafetensorsFile f(path.string());
  ASSERT_EQ(f.entries().size(), 4u);
  EXPECT_EQ(f.entries()[0].name, "z.first");  // data order = write order
  EXPECT_EQ(f.entries()[1].name, "a.scalar");
  EXPECT_EQ(f.entries()[2].name, "m.empty");
  EXPECT_EQ(f.entries()[3].name, "t");
  EXPECT_EQ(f.metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}}));
  for (const auto& e : f.entries()) EXPECT_EQ(e.dtype, "F32");

  uint64_t header_len = 0;
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(&header_len), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u) << "data section must start 8-byte aligned";

  Tensor ra = f.read_f32("z.first");
  EXPECT_EQ(ra.shape(), (Shape{2, 3}));
  EXPECT_EQ(std::memcmp(ra.data_ptr(), a.data_ptr(), a.nbytes()), 0);
  Tensor rb = f.read_f32("a.scalar");
  EXPECT_EQ(rb.shape(), Shape{});
  EXPECT_EQ(rb.item(), 42.0);
  EXPECT_EQ(f.read_f32("m.empty").shape(), (Shape{0, 4}));
  EXPECT_EQ(f.read_f32("t").to_float_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(f.find("nope"), nullptr);
  const std::string msg = error_of([&] { f.read_f32("nope"); });
  EXPECT_NE(msg.find("no tensor 'nope'"), std::string::npos) << msg;
}

TEST(Safetensors, ReadsF16BF16AndF64AsF32) {
  const fs::path path = temp_dir() / "mixed.safetensors";
  // F16: 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal); BF16: 1.0, 3.140625, -inf; F64: 0.1, -1e300.
  const std::vector<uint16_t> h = {0x3C00, 0xC100, 0x7BFF, 0x0001};
  const std::vector<uint16_t> bh = {0x3F80, 0x4049, 0xFF80};
  const std::vector<double> d = {0.1, -1e300};
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},"d":{"dtype":"F64","shape":[2],"data_offsets":[14,30]}})";
  write_raw(path, header, bytes_of(h) + bytes_of(bh) + bytes_of(d));
  SafetensorsFile f(path.string());
  Tensor th = f.read_f32("h");
  EXPECT_EQ(th.dtype(), DType::f32);
  EXPECT_EQ(th.shape(), (Shape{2, 2}));
  EXPECT_EQ(th.to_float_vector(), (std::vector<float>{1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24)}));
  const auto vb = f.read_f32("b").to_float_vector();
  EXPECT_EQ(vb[0], 1.0f);
  EXPECT_EQ(vb[1], 3.140625f);
  EXPECT_TRUE(std::isinf(vb[2]) && vb[2] < 0);
  const auto vd = f.read_f32("d").to_float_vector();
  EXPECT_EQ(vd[0], 0.1f);
  EXPECT_TRUE(std::isinf(vd[1]) && vd[1] < 0);
}

TEST(Safetensors, KnownButUnreadableDtypeIsAnErrorNamingTheTensor) {
  const fs::path path = temp_dir() / "ints.safetensors";
  write_raw(path, R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", bytes_of(std::vector<int64_t>{1, 2}));
  SafetensorsFile f(path.string());  // structurally valid
  const std::string msg = error_of([&] { f.read_f32("ids"); });
  EXPECT_NE(msg.find("'ids' is I64"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
}

TEST(Safetensors, TruncatedFile) {
  const fs::path path = temp_dir() / "short.safetensors";
  std::ofstream(path, std::ios::binary) << "abc";
  const std::string msg = error_of([&] { SafetensorsFile f(path.string()); });
  EXPECT_NE(msg.find("truncated: 3 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
}

TEST(Safetensors, MissingFile) {
  const std::string path = (temp_dir() / "none.safetensors").string();
  const std::string msg = error_of([&] { SafetensorsFile f(path); });
  EXPECT_NE(msg.find("'" + path + "' does not exist"), std::string::npos) << msg;
}

TEST(Safetensors, HeaderLengthBeyondFile) {
  expect_open_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "1234", "runs past the end of the file",
                    1000);
}

TEST(Safetensors, BadJson) {
  expect_open_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})", "1234", "not valid JSON");
}

TEST(Safetensors, HeaderNotAnObject) { expect_open_error("[1, 2]", "", "must be a JSON object"); }

TEST(Safetensors, OffsetsOutOfRange) {
  expect_open_error(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", "12345678",
                    "tensor 'w' has data_offsets [4, 12] beyond the data section (8 bytes)");
}

TEST(Safetensors, TruncatedData) {
  expect_open_error(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "1234567",
                    "tensor 'w' has data_offsets [0, 16] beyond the data section (7 bytes)");
}

TEST(Safetensors, OverlappingTensors) {
  expect_open_error(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                    "123456789012", "tensor 'b' (bytes [4, 12)) overlaps tensor 'a'");
}

TEST(Safetensors, HoleInData) {
  expect_open_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                    "123456789012", "bytes [4, 8) of the data section before tensor 'b' belong to no tensor");
}

TEST(Safetensors, TrailingBytes) {
  expect_open_error(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "12345678",
                    "the data section has 8 bytes but its tensors cover 4");
}

TEST(Safetensors, UnknownDtype) {
  expect_open_error(R"({"w":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}})", "1234",
                    "tensor 'w' has unknown dtype 'F7'");
}

TEST(Safetensors, ShapeDisagreesWithByteRange) {
  expect_open_error(R"({"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}})", "1234",
                    "tensor 'w' is BF16 (3), which is 6 bytes, but its data_offsets [0, 4] span 4 bytes");
}

TEST(Safetensors, MissingField) {
  expect_open_error(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", "1234", "tensor 'w' has no 'shape'");
}

TEST(Safetensors, NegativeDimension) {
  expect_open_error(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "1234",
                    "tensor 'w' shape entry must be a non-negative integer");
}

TEST(Safetensors, BeginAfterEnd) {
  expect_open_error(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", "1234", "with begin after end");
}

TEST(Safetensors, DuplicateName) {
  expect_open_error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    "12345678", "names 'w' twice");
}

TEST(Safetensors, MetadataMustBeStrings) {
  expect_open_error(R"({"__metadata__":{"format":1}})", "", "__metadata__ value of 'format' must be a string");
}

TEST(Safetensors, WriteToMissingFolderIsAnErrorAndLeavesNothing) {
  const fs::path dir = temp_dir() / "missing";
  const std::string path = (dir / "model.safetensors").string();
  const std::string msg = error_of([&] { write_safetensors(path, {{"w", Tensor::zeros({2})}}); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(Safetensors, WriteRejectsDuplicateNames) {
  const std::string path = (temp_dir() / "dup.safetensors").string();
  const std::string msg = error_of([&] { write_safetensors(path, {{"w", Tensor::zeros({2})}, {"w", Tensor::zeros({2})}}); });
  EXPECT_NE(msg.find("tensor 'w' given twice"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace forge::recipes
