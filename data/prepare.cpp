// The streaming pipeline of `forge prepare` (see prepare.h).
#include "data/prepare.h"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/error.h"
#include "common/philox.h"
#include "data/shard_split.h"
#include "data/text_input.h"

namespace forge::data {
namespace fs = std::filesystem;

namespace {

// A batch: enough text that every thread has many documents, little enough that memory stays small.
constexpr size_t kBatchBytes = size_t(16) << 20;
constexpr size_t kBatchDocuments = size_t(1) << 16;

using Clock = std::chrono::steady_clock;

// Progress lines: bytes read of the total, documents, tokens, MB/s, ETA; on a
// terminal one line rewritten in place every second, else a line every 10 s.
class Progress {
 public:
  Progress(std::FILE* out, uint64_t total_bytes)
      : out_(out), total_(total_bytes), tty_(out != nullptr && ::isatty(::fileno(out))), start_(Clock::now()),
        last_(start_) {}

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void update(uint64_t bytes, int64_t documents, int64_t tokens, bool final = false) {
    if (out_ == nullptr) return;
    const auto now = Clock::now();
    if (!final && now - last_ < std::chrono::seconds(tty_ ? 1 : 10)) return;
    last_ = now;
    const double secs = std::max(1e-9, seconds()), mb_s = static_cast<double>(bytes) / 1e6 / secs;
    const double left = mb_s > 0 ? static_cast<double>(total_ - std::min(bytes, total_)) / 1e6 / mb_s : 0.0;
    std::fprintf(out_, "%sprepare: %.2f / %.2f GB (%.0f%%), %lld documents, %.1fM tokens, %.1f MB/s, %s %d:%02d%s",
                 tty_ ? "\r" : "", static_cast<double>(bytes) / 1e9, static_cast<double>(total_) / 1e9,
                 total_ ? 100.0 * static_cast<double>(bytes) / static_cast<double>(total_) : 100.0,
                 static_cast<long long>(documents), static_cast<double>(tokens) / 1e6, mb_s,
                 final ? "took" : "ETA", static_cast<int>((final ? secs : left) / 60),
                 static_cast<int>(final ? secs : left) % 60, tty_ && !final ? "   " : "\n");
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  uint64_t total_;
  bool tty_;
  Clock::time_point start_, last_;
};

}  // namespace

PrepareSummary prepare(const Tokenizer& tokenizer, const std::vector<std::string>& inputs, const PrepareOptions& o) {
  check_prepare_options("prepare", inputs, o.val_fraction, o.shard_tokens);
  FORGE_CHECK(!o.text_field.empty(), "prepare: --text-field must not be empty");
  const std::vector<std::string> files = expand_inputs(inputs);
  StagedOutput out("prepare", o.out_dir, o.replace);
  ShardSplit train("train", out.staging_dir(), o.out_dir, tokenizer, o.shard_tokens);
  ShardSplit val("val", out.staging_dir(), o.out_dir, tokenizer, o.shard_tokens);
  const int32_t eot = tokenizer.eot_id();
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  std::vector<Tokenizer> tokenizers(static_cast<size_t>(threads), tokenizer);  // encode() caches: one per thread

  DocumentReader reader(files, o.separator);
  Progress progress(o.progress, reader.total_bytes());
  PrepareSummary summary;
  std::vector<RawDocument> batch;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::string> errors;
  for (bool more = true; more;) {
    size_t n = 0, bytes = 0;
    while (n < kBatchDocuments && bytes < kBatchBytes) {
      if (batch.size() == n) batch.emplace_back();
      if (!reader.next(batch[n])) {
        more = false;
        break;
      }
      bytes += batch[n++].text.size();
    }
    ids.resize(n);
    errors.assign(n, std::string());
    const int64_t count = static_cast<int64_t>(n);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
    for (int64_t i = 0; i < count; ++i) {
      const RawDocument& raw = batch[static_cast<size_t>(i)];
      std::vector<int32_t>& out_ids = ids[static_cast<size_t>(i)];
      out_ids.clear();
      try {
        Tokenizer& tok = tokenizers[static_cast<size_t>(omp_get_thread_num())];
        if (raw.jsonl) {
          const std::string where = files[raw.file] + ":" + std::to_string(raw.line);
          tok.encode_append(jsonl_text(raw.text, o.text_field, where), out_ids, /*allow_special=*/false);
        } else {
          tok.encode_append(raw.text, out_ids, /*allow_special=*/false);
        }
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = e.what();
      }
    }
    for (size_t i = 0; i < n; ++i) {  // in input order: the output does not depend on the threads
      FORGE_CHECK(errors[i].empty(), errors[i]);
      if (ids[i].empty()) {
        ++summary.empty_documents;
        continue;
      }
      if (eot >= 0) ids[i].push_back(eot);
      const auto r = philox4x32(static_cast<uint64_t>(summary.documents++), o.seed ^ 0x5eedu);
      ShardSplit& split = uniform_from_bits(r[0]) < o.val_fraction ? val : train;
      split.add(ids[i], {});
    }
    progress.update(reader.bytes_consumed(), summary.documents, train.tokens() + val.tokens());
  }
  train.flush();
  val.flush();
  summary.train_tokens = train.tokens();
  summary.val_tokens = val.tokens();
  summary.input_bytes = reader.bytes_consumed();
  FORGE_CHECK(summary.documents > 0, "prepare: the inputs hold no text (" << files.size() << " file(s), "
                                                                          << summary.empty_documents
                                                                          << " empty document(s)); nothing to train on");
  FORGE_CHECK(o.val_fraction == 0.0 || val.documents() > 0,
              "prepare: --val-fraction " << o.val_fraction << " selected no document for validation (only "
                                         << summary.documents << " documents); raise it or add data");
  for (const std::string& name : write_split_manifest(out.staging_dir(), {&train, &val}, tokenizer))
    summary.files.push_back((fs::path(o.out_dir) / name).string());
  out.publish();
  progress.update(summary.input_bytes, summary.documents, summary.train_tokens + summary.val_tokens, /*final=*/true);
  summary.seconds = progress.seconds();
  return summary;
}

}  // namespace forge::data
