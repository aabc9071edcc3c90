// Reading and writing safetensors files (see safetensors.h).
#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace forge::recipes {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace fs = std::filesystem;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the format's own limit
constexpr const char* kMetadataKey = "__metadata__";

// Element size of each dtype name the format defines.
const std::map<std::string, uint64_t>& dtype_sizes() {
  static const std::map<std::string, uint64_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  return sizes;
}

std::string known_dtypes() {
  std::string s;
  for (const auto& [name, size] : dtype_sizes()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

// A non-negative integer from a JSON value, or an error naming `what`.
uint64_t json_uint(const Json& v, const std::string& file, const std::string& what) {
  FORGE_CHECK(v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0),
              "safetensors '" << file << "': " << what << " must be a non-negative integer, got " << v.dump());
  return v.get<uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& file, const std::string& name, const Json& v) {
  const std::string where = "tensor '" + name + "'";
  FORGE_CHECK(!name.empty(), "safetensors '" << file << "': a tensor has an empty name");
  FORGE_CHECK(v.is_object(), "safetensors '" << file << "': " << where << " must map to an object with dtype, shape and "
                                             << "data_offsets, got " << v.dump());
  for (const char* key : {"dtype", "shape", "data_offsets"})
    FORGE_CHECK(v.contains(key), "safetensors '" << file << "': " << where << " has no '" << key << "'");
  SafetensorsEntry e;
  e.name = name;
  FORGE_CHECK(v["dtype"].is_string(), "safetensors '" << file << "': " << where << ": dtype must be a string, got "
                                                      << v["dtype"].dump());
  e.dtype = v["dtype"].get<std::string>();
  auto size_it = dtype_sizes().find(e.dtype);
  FORGE_CHECK(size_it != dtype_sizes().end(), "safetensors '" << file << "': " << where << " has unknown dtype '"
                                                              << e.dtype << "' (known: " << known_dtypes() << ")");
  FORGE_CHECK(v["shape"].is_array(), "safetensors '" << file << "': " << where << ": shape must be an array, got "
                                                     << v["shape"].dump());
  unsigned __int128 numel = 1;
  for (const Json& d : v["shape"]) {
    const uint64_t n = json_uint(d, file, where + " shape entry");
    FORGE_CHECK(n < (uint64_t{1} << 62), "safetensors '" << file << "': " << where << " has dimension " << n
                                                          << ", too large");
    e.shape.push_back(static_cast<int64_t>(n));
    numel *= n;
    FORGE_CHECK(numel < (static_cast<unsigned __int128>(1) << 62),
                "safetensors '" << file << "': " << where << " has too many elements (shape " << v["shape"].dump() << ")");
  }
  const Json& offsets = v["data_offsets"];
  FORGE_CHECK(offsets.is_array() && offsets.size() == 2, "safetensors '" << file << "': " << where
                                                                         << ": data_offsets must be [begin, end], got "
                                                                         << offsets.dump());
  e.begin = json_uint(offsets[0], file, where + " data_offsets[0]");
  e.end = json_uint(offsets[1], file, where + " data_offsets[1]");
  FORGE_CHECK(e.begin <= e.end, "safetensors '" << file << "': " << where << " has data_offsets [" << e.begin << ", "
                                                << e.end << "] with begin after end");
  const unsigned __int128 expected = numel * size_it->second;
  FORGE_CHECK(expected == e.end - e.begin,
              "safetensors '" << file << "': " << where << " is " << e.dtype << " " << shape_str(e.shape) << ", which is "
                              << static_cast<uint64_t>(expected) << " bytes, but its data_offsets [" << e.begin << ", "
                              << e.end << "] span " << e.end - e.begin << " bytes");
  return e;
}

// Parses the header JSON, rejecting duplicate top-level names (a JSON object
// with a repeated key would otherwise keep only the last).
Json parse_header(const std::string& file, const std::string& text) {
  std::set<std::string> seen;
  std::string duplicate;
  auto on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      const std::string key = parsed.get<std::string>();
      if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(text, on_event);
  } catch (const Json::exception& e) {
    FORGE_THROW("safetensors '" << file << "': the header is not valid JSON: " << e.what());
  }
  FORGE_CHECK(duplicate.empty(), "safetensors '" << file << "': the header names '" << duplicate << "' twice");
  FORGE_CHECK(header.is_object(), "safetensors '" << file << "': the header must be a JSON object, got a "
                                                  << header.type_name());
  return header;
}

void write_all(std::FILE* f, const void* data, size_t n, const std::string& tmp) {
  if (n == 0) return;
  FORGE_CHECK(std::fwrite(data, 1, n, f) == n, "cannot write '" << tmp << "': " << std::strerror(errno));
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  FORGE_CHECK(fs::is_regular_file(path_, ec), "safetensors file '" << path_ << "' does not exist or is not a file");
  const uint64_t file_size = fs::file_size(path_, ec);
  FORGE_CHECK(!ec, "cannot read the size of '" << path_ << "': " << ec.message());
  std::ifstream in(path_, std::ios::binary);
  FORGE_CHECK(in, "cannot open safetensors file '" << path_ << "': " << std::strerror(errno));
  FORGE_CHECK(file_size >= 8, "safetensors '" << path_ << "' is truncated: " << file_size
                                              << " bytes, but the format starts with an 8-byte header length");
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  FORGE_CHECK(in, "cannot read the header length of '" << path_ << "'");
  FORGE_CHECK(header_len <= file_size - 8, "safetensors '" << path_ << "': the header length " << header_len
                                                           << " runs past the end of the file (" << file_size
                                                           << " bytes): truncated, or not a safetensors file");
  FORGE_CHECK(header_len <= kMaxHeaderBytes, "safetensors '" << path_ << "': the header length " << header_len
                                                             << " exceeds the format's limit of " << kMaxHeaderBytes);
  std::string text(header_len, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  FORGE_CHECK(in, "cannot read the header of '" << path_ << "'");
  data_start_ = 8 + header_len;
  const uint64_t data_size = file_size - data_start_;

  const Json header = parse_header(path_, text);
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      FORGE_CHECK(value.is_object(), "safetensors '" << path_ << "': __metadata__ must be an object of strings, got "
                                                     << value.dump());
      for (const auto& [k, v] : value.items()) {
        FORGE_CHECK(v.is_string(), "safetensors '" << path_ << "': __metadata__ value of '" << k
                                                   << "' must be a string, got " << v.dump());
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    entries_.push_back(parse_entry(path_, name, value));
    const SafetensorsEntry& e = entries_.back();
    FORGE_CHECK(e.end <= data_size, "safetensors '" << path_ << "': tensor '" << e.name << "' has data_offsets ["
                                                    << e.begin << ", " << e.end << "] beyond the data section ("
                                                    << data_size << " bytes): truncated or corrupt");
  }
  std::sort(entries_.begin(), entries_.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const SafetensorsEntry& e = entries_[i];
    FORGE_CHECK(e.begin >= covered, "safetensors '" << path_ << "': tensor '" << e.name << "' (bytes [" << e.begin
                                                    << ", " << e.end << ")) overlaps tensor '" << entries_[i - 1].name
                                                    << "' (bytes [" << entries_[i - 1].begin << ", "
                                                    << entries_[i - 1].end << "))");
    FORGE_CHECK(e.begin == covered, "safetensors '" << path_ << "': bytes [" << covered << ", " << e.begin
                                                    << ") of the data section before tensor '" << e.name
                                                    << "' belong to no tensor");
    covered = e.end;
    index_[e.name] = i;
  }
  FORGE_CHECK(covered == data_size, "safetensors '" << path_ << "': the data section has " << data_size
                                                    << " bytes but its tensors cover " << covered);
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Tensor SafetensorsFile::read_f32(const std::string& name) const {
  const SafetensorsEntry* e = find(name);
  FORGE_CHECK(e != nullptr, "safetensors '" << path_ << "' has no tensor '" << name << "'");
  const std::string& dt = e->dtype;
  FORGE_CHECK(dt == "F32" || dt == "F16" || dt == "BF16" || dt == "F64",
              "safetensors '" << path_ << "': tensor '" << name << "' is " << dt
                              << "; forge reads F32, F16, BF16 and F64 tensors");
  Tensor out = Tensor::empty(e->shape, DType::f32);
  std::ifstream in(path_, std::ios::binary);
  FORGE_CHECK(in, "cannot open safetensors file '" << path_ << "': " << std::strerror(errno));
  in.seekg(static_cast<std::streamoff>(data_start_ + e->begin));
  const size_t nbytes = e->end - e->begin;
  const size_t n = static_cast<size_t>(out.numel());
  float* dst = out.data<float>();
  auto read_into = [&](void* buf) {
    in.read(static_cast<char*>(buf), static_cast<std::streamsize>(nbytes));
    FORGE_CHECK(in || nbytes == 0, "safetensors '" << path_ << "': cannot read tensor '" << name
                                                   << "' (file changed or truncated while reading)");
  };
  if (dt == "F32") {
    read_into(dst);
  } else if (dt == "F64") {
    std::vector<double> buf(n);
    read_into(buf.data());
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(buf[i]);
  } else {
    std::vector<uint16_t> buf(n);
    read_into(buf.data());
    if (dt == "F16") {
      for (size_t i = 0; i < n; ++i) dst[i] = f16::to_float(buf[i]);
    } else {
      for (size_t i = 0; i < n; ++i) dst[i] = bf16::to_float(buf[i]);
    }
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  OrderedJson header = OrderedJson::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::vector<Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    FORGE_CHECK(!name.empty() && name != kMetadataKey, "write_safetensors '" << path << "': invalid tensor name '"
                                                                               << name << "'");
    FORGE_CHECK(!header.contains(name), "write_safetensors '" << path << "': tensor '" << name << "' given twice");
    FORGE_CHECK(is_floating(t.dtype()) && t.device().is_cpu(),
                "write_safetensors '" << path << "': tensor '" << name << "' must be a float CPU tensor, got "
                                      << t.str());
    const DType stored = t.dtype() == DType::f64 ? DType::f32 : t.dtype();
    const char* stored_name = stored == DType::bf16 ? "BF16" : stored == DType::f16 ? "F16" : "F32";
    Tensor c = (t.dtype() == stored ? t : t.to(stored)).contiguous();
    header[name] = {{"dtype", stored_name}, {"shape", t.shape()}, {"data_offsets", {offset, offset + c.nbytes()}}};
    offset += c.nbytes();
    data.push_back(c);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data section starts 8-byte aligned
  const uint64_t header_len = text.size();

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  FORGE_CHECK(f != nullptr, "cannot write '" << tmp << "': " << std::strerror(errno));
  try {
    write_all(f, &header_len, 8, tmp);
    write_all(f, text.data(), text.size(), tmp);
    for (const Tensor& t : data) write_all(f, t.data_ptr(), t.nbytes(), tmp);
    FORGE_CHECK(std::fflush(f) == 0 && ::fsync(fileno(f)) == 0, "cannot write '" << tmp << "': " << std::strerror(errno));
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  const bool closed = std::fclose(f) == 0;
  const int close_errno = errno;
  if (!closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = closed ? errno : close_errno;
    std::remove(tmp.c_str());
    FORGE_THROW("cannot write '" << path << "': " << std::strerror(err));
  }
}

}  // namespace forge::recipes
