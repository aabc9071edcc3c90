// `forge verify-data SHARDS...`: checks every token shard in full (headers,
// sizes, CRC-32C of every dataset, every token id, document offsets) without
// training, the check loaders otherwise make on each shard's first touch.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "data/shard_set.h"

namespace forge::apps {
namespace {

const char* kUsage =
    "usage: forge verify-data SHARDS...\n\n"
    "Reads every shard matching each SHARDS (a .h5 file, a folder, or a quoted glob such as\n"
    "'data/shards/train_*.h5') in full and checks it: the HDF5 header, that the file holds\n"
    "every byte of its datasets, their CRC-32C checksums, every token id against the\n"
    "vocabulary, the document offsets, and one tokenizer for all of them. Prints one line\n"
    "per SHARDS; a bad shard is an error naming the file (exit status 1). Training checks\n"
    "each shard the same way the first time it reads from it.";

int verify_data(int argc, char** argv) {
  const std::vector<std::string> specs = FlagParser("forge verify-data").parse(argc, argv);
  FORGE_CHECK(!specs.empty(), "missing SHARDS\n" << kUsage);
  for (const std::string& spec : specs) {
    const data::ShardSet set(spec);
    const int64_t bytes = set.verify_all();
    std::printf("%s: ok, %zu shards, %lld tokens, %.1f MB, vocab %lld, tokenizer %s\n", spec.c_str(), set.num_shards(),
                static_cast<long long>(set.num_tokens()), static_cast<double>(bytes) / 1e6,
                static_cast<long long>(set.vocab_size()), set.tokenizer_fingerprint().c_str());
  }
  return 0;
}

const bool registered =
    register_command("verify-data", {"checks token shards in full (checksums, ids, sizes)", kUsage, verify_data});

}  // namespace
}  // namespace forge::apps
