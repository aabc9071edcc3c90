// Input expansion, decompression and document cutting for `forge prepare` (see text_input.h).
#include "data/text_input.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace forge::data {
namespace fs = std::filesystem;

namespace {

constexpr size_t kReadBytes = size_t(1) << 20;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class PlainReader : public ByteReader {
 public:
  explicit PlainReader(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    FORGE_CHECK(fd_ >= 0, "cannot open '" << path << "': " << std::strerror(errno));
  }
  ~PlainReader() override { ::close(fd_); }
  size_t read(char* buf, size_t n) override {
    for (;;) {
      const ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      FORGE_CHECK(r >= 0, "cannot read '" << path_ << "': " << std::strerror(errno));
      consumed_ += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
  }
  uint64_t consumed() const override { return consumed_; }

 private:
  std::string path_;
  int fd_;
  uint64_t consumed_ = 0;
};

class GzipReader : public ByteReader {
 public:
  explicit GzipReader(const std::string& path) : path_(path), gz_(gzopen(path.c_str(), "rb")) {
    FORGE_CHECK(gz_ != nullptr, "cannot open '" << path << "': " << std::strerror(errno));
    gzbuffer(gz_, static_cast<unsigned>(kReadBytes));
  }
  ~GzipReader() override { gzclose(gz_); }
  size_t read(char* buf, size_t n) override {
    const int r = gzread(gz_, buf, static_cast<unsigned>(std::min<size_t>(n, size_t(1) << 30)));
    int code = Z_OK;
    const char* message = gzerror(gz_, &code);
    FORGE_CHECK(r >= 0 && (code == Z_OK || code == Z_STREAM_END),
                "'" << path_ << "': corrupt or truncated gzip data (" << message << ")");
    FORGE_CHECK(r > 0 || code == Z_OK || code == Z_STREAM_END, "'" << path_ << "': " << message);
    if (r == 0) FORGE_CHECK(gzeof(gz_), "'" << path_ << "': truncated gzip data");
    return static_cast<size_t>(r);
  }
  uint64_t consumed() const override { return static_cast<uint64_t>(std::max<z_off_t>(0, gzoffset(gz_))); }

 private:
  std::string path_;
  gzFile gz_;
};

class ZstdReader : public ByteReader {
 public:
  explicit ZstdReader(const std::string& path) : path_(path), file_(path), in_buf_(ZSTD_DStreamInSize()), stream_(ZSTD_createDStream()) {
    FORGE_CHECK(stream_ != nullptr, "cannot set up zstd decompression for '" << path << "'");
    ZSTD_initDStream(stream_);
  }
  ~ZstdReader() override { ZSTD_freeDStream(stream_); }
  size_t read(char* buf, size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos == 0) {
      if (in_.pos == in_.size) {
        const size_t got = file_.read(in_buf_.data(), in_buf_.size());
        if (got == 0) {
          FORGE_CHECK(frame_done_, "'" << path() << "': truncated zstd data (the last frame is incomplete)");
          return 0;
        }
        in_ = {in_buf_.data(), got, 0};
      }
      const size_t r = ZSTD_decompressStream(stream_, &out, &in_);
      FORGE_CHECK(!ZSTD_isError(r), "'" << path() << "': corrupt zstd data (" << ZSTD_getErrorName(r) << ")");
      frame_done_ = r == 0;
    }
    return out.pos;
  }
  uint64_t consumed() const override { return file_.consumed() - (in_.size - in_.pos); }

 private:
  const std::string& path() const { return path_; }
  std::string path_;
  PlainReader file_;
  std::vector<char> in_buf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  ZSTD_DStream* stream_;
  bool frame_done_ = true;
};

}  // namespace

std::unique_ptr<ByteReader> open_bytes(const std::string& path) {
  FORGE_CHECK(fs::is_regular_file(path), "input '" << path << "' is not a readable file");
  if (ends_with(path, ".gz")) return std::make_unique<GzipReader>(path);
  if (ends_with(path, ".zst")) return std::make_unique<ZstdReader>(path);
  return std::make_unique<PlainReader>(path);
}

bool is_jsonl(const std::string& path) {
  return ends_with(path, ".jsonl") || ends_with(path, ".jsonl.gz") || ends_with(path, ".jsonl.zst");
}

std::string jsonl_text(const std::string& line, const std::string& field, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    FORGE_THROW(where << ": invalid JSON: " << e.what());
  }
  FORGE_CHECK(j.is_object() && j.contains(field) && j[field].is_string(),
              where << ": expected an object with a string field \"" << field << "\"");
  return j[field].get<std::string>();
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::vector<std::string> found;
    if (input.find_first_of("*?[") != std::string::npos && !fs::exists(input)) {
      glob_t g{};
      const int rc = ::glob(input.c_str(), GLOB_ERR, nullptr, &g);
      for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i])) found.push_back(g.gl_pathv[i]);
      globfree(&g);
    } else if (fs::is_directory(input)) {
      for (auto it = fs::recursive_directory_iterator(input); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().filename().string().front() == '.') {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) found.push_back(it->path().string());
      }
    } else {
      FORGE_CHECK(fs::is_regular_file(input), "input '" << input << "' does not exist or is not a file");
      found.push_back(input);
    }
    FORGE_CHECK(!found.empty(), "input '" << input << "' matches no file");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

DocumentReader::DocumentReader(std::vector<std::string> files, std::string separator)
    : files_(std::move(files)), separator_(std::move(separator)), buf_(kReadBytes) {
  for (const std::string& f : files_) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    FORGE_CHECK(!ec, "cannot read input '" << f << "': " << ec.message());
    total_bytes_ += size;
  }
}

DocumentReader::~DocumentReader() = default;

uint64_t DocumentReader::bytes_consumed() const { return finished_bytes_ + (reader_ ? reader_->consumed() : 0); }

void DocumentReader::close_file() {
  if (!reader_) return;
  finished_bytes_ += fs::file_size(files_[current_ - 1]);
  reader_.reset();
}

bool DocumentReader::open_next_file() {
  if (current_ == files_.size()) return false;
  reader_ = open_bytes(files_[current_]);
  jsonl_ = is_jsonl(files_[current_]);
  ++current_;
  line_no_ = 0;
  pos_ = end_ = 0;
  return true;
}

bool DocumentReader::next_line(std::string& line) {
  line.clear();
  for (;;) {
    if (pos_ == end_) {
      end_ = reader_->read(buf_.data(), buf_.size());
      pos_ = 0;
      if (end_ == 0) {
        if (line.empty()) return false;
        ++line_no_;
        newline_ = false;  // a last line without '\n'
        return true;
      }
    }
    const char* start = buf_.data() + pos_;
    const void* nl = std::memchr(start, '\n', end_ - pos_);
    if (nl == nullptr) {
      line.append(start, end_ - pos_);
      pos_ = end_;
      continue;
    }
    const size_t n = static_cast<size_t>(static_cast<const char*>(nl) - start);
    line.append(start, n);
    pos_ += n + 1;
    ++line_no_;
    newline_ = true;
    return true;
  }
}

bool DocumentReader::next(RawDocument& doc) {
  doc.text.clear();
  std::string line;
  while (reader_ || open_next_file()) {
    doc.file = current_ - 1;
    doc.jsonl = jsonl_;
    if (jsonl_) {
      while (next_line(line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        doc.text = std::move(line);
        doc.line = line_no_;
        return true;
      }
    } else if (separator_.empty()) {  // the whole file is one document
      for (size_t n; (n = reader_->read(buf_.data(), buf_.size())) > 0;) doc.text.append(buf_.data(), n);
      close_file();
      if (!doc.text.empty()) return true;
      continue;
    } else {
      while (next_line(line)) {
        std::string_view bare(line);
        if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
        if (bare == separator_) {
          if (!doc.text.empty()) return true;
          continue;
        }
        doc.text.append(line);
        if (newline_) doc.text.push_back('\n');
      }
      if (!doc.text.empty()) {  // the file ended inside a document
        close_file();
        return true;
      }
    }
    close_file();
  }
  return false;
}

}  // namespace forge::data
