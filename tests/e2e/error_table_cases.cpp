// The rows of docs/errors.md (see error_table_cases.h): bad inputs across
// recipes, overrides, parallel layouts, data, JSONL, tokenizer files,
// checkpoints, safetensors and CLI flags, each with the message forge prints.
#include "tests/e2e/error_table_cases.h"

#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/hdf5_util.h"

namespace forge::e2e {
namespace {

namespace fs = std::filesystem;
using Dir = const fs::path&;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// `name`: new.yaml with `from` replaced by `to`.
std::function<void(Dir)> recipe_with(const std::string& name, const std::string& from, const std::string& to) {
  return [=](Dir d) {
    std::string text = read_file(d / "new.yaml");
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("new.yaml has no '" + from + "'");
    text.replace(at, from.size(), to);
    write_file(d / name, text);
  };
}

std::function<void(Dir)> file(const std::string& name, const std::string& text) {
  return [=](Dir d) { write_file(d / name, text); };
}

// `folder` holds the fixture's tokenizer with `file_name` replaced by `text`.
std::function<void(Dir)> tokenizer_with(const std::string& folder, const std::string& file_name, const std::string& text) {
  return [=](Dir d) {
    fs::create_directories(d / folder);
    for (const char* f : {"vocab.json", "merges.txt"}) fs::copy_file(d / "tok" / f, d / folder / f);
    write_file(d / folder / file_name, text);
  };
}

const char* kCheckpoint = "run/checkpoints/step_2.h5";

// A copy of the fixture's checkpoint named `name`, then `edit` on it open for writing.
std::function<void(Dir)> checkpoint_with(const std::string& name, const std::function<void(hid_t)>& edit) {
  return [=](Dir d) {
    fs::copy_file(d / kCheckpoint, d / name);
    h5::Handle f(H5Fopen((d / name).c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    if (f.get() < 0) throw std::runtime_error("cannot open " + name);
    edit(f);
  };
}

std::function<void(hid_t)> set_int(const std::string& object, const std::string& attr, int64_t value) {
  return [=](hid_t f) {
    h5::Handle o(H5Oopen(f, object.c_str(), H5P_DEFAULT), H5Oclose);
    H5Adelete(o, attr.c_str());
    h5::write_attr_int(o, attr, value);
  };
}

// hf/ copied to `folder` with model.safetensors' header edited by `edit`
// (and its length field set to `length` when > 0).
std::function<void(Dir)> safetensors_with(const std::string& folder, const std::function<void(nlohmann::json&)>& edit,
                                          uint64_t length = 0) {
  return [=](Dir d) {
    fs::copy(d / "hf", d / folder);
    const std::string raw = read_file(d / "hf/model.safetensors");
    uint64_t n = 0;
    std::memcpy(&n, raw.data(), 8);
    nlohmann::json header = nlohmann::json::parse(raw.substr(8, n));
    edit(header);
    const std::string text = header.dump();
    const uint64_t len = length > 0 ? length : text.size();
    std::string out(reinterpret_cast<const char*>(&len), 8);
    write_file(d / folder / "model.safetensors", out + text + raw.substr(8 + n));
  };
}

std::function<void(Dir)> config_json_with(const std::string& folder, const std::string& key, const nlohmann::json& value) {
  return [=](Dir d) {
    fs::copy(d / "hf", d / folder);
    nlohmann::json c = nlohmann::json::parse(read_file(d / "hf/config.json"));
    if (value.is_null()) c.erase(key);
    else c[key] = value;
    write_file(d / folder / "config.json", c.dump(2));
  };
}

std::vector<ErrorCase> make_cases() {
  std::vector<ErrorCase> c;
  auto add = [&](std::string area, std::string input, std::string command, std::string message,
                 std::function<void(Dir)> setup = nullptr) {
    c.push_back({std::move(area), std::move(input), std::move(command), std::move(message), std::move(setup)});
  };

  // Recipes.
  add("recipe", "recipe file does not exist", "train missing.yaml",
      "cannot read recipe file 'missing.yaml': No such file or directory");
  add("recipe", "malformed YAML (unclosed list)", "train syntax.yaml",
      "syntax.yaml:2:1: malformed YAML: end of sequence flow not found", file("syntax.yaml", "model: [1, 2\n"));
  add("recipe", "misspelt top-level key", "train typo.yaml", "typo.yaml:16:3: trian: unknown key (did you mean 'train'?)",
      recipe_with("typo.yaml", "\ntrain:", "\ntrian:"));
  add("recipe", "a word where an integer belongs", "train type.yaml",
      "type.yaml:4:12: model.n_layer: expected an integer, got 'two'", recipe_with("type.yaml", "n_layer: 2", "n_layer: two"));
  add("recipe", "unknown model preset", "train preset.yaml", "model.preset: expected one of gpt2-124m",
      file("preset.yaml", "model:\n  preset: gpt5\n"));
  add("recipe", "a list instead of a mapping at the top", "train list.yaml",
      "list.yaml:1:1: expected a mapping of recipe keys at the top level, got a list", file("list.yaml", "- a\n- b\n"));
  add("recipe", "both train.max_steps and train.max_tokens", "train both.yaml",
      "train.max_tokens: set only one of train.max_steps and train.max_tokens",
      recipe_with("both.yaml", "  max_steps: 2\n", "  max_steps: 2\n  max_tokens: 1000\n"));
  add("recipe", "n_embd not divisible by n_head", "train heads.yaml",
      "model.n_embd: 31 is not divisible by model.n_head 2", recipe_with("heads.yaml", "n_embd: 32", "n_embd: 31"));
  add("recipe", "no data.train", "train nodata.yaml", "data.train: required: a path or glob of the training shards",
      recipe_with("nodata.yaml", "  train: shards/train_*.h5\n", ""));
  add("recipe", "empty recipe file", "train empty.yaml", "empty.yaml: model: set model.preset", file("empty.yaml", ""));

  // Command-line overrides.
  add("override", "misspelt key", "train new.yaml model.nlayer=2",
      "command-line override 'model.nlayer=2': model.nlayer: unknown key (did you mean 'model.n_layer'?)");
  add("override", "a divergence action that does not exist", "train new.yaml train.on_bad_step=retry",
      "command-line override 'train.on_bad_step=retry': train.on_bad_step: expected one of skip, abort, got 'retry'");
  add("override", "a model too large for the machine's memory", "train new.yaml model.n_layer=1000000",
      "the model does not fit in memory: training it needs about");
  add("override", "a word where an integer belongs", "train new.yaml model.n_layer=abc",
      "command-line override 'model.n_layer=abc': model.n_layer: expected an integer, got 'abc'");
  add("override", "a value for a whole section", "train new.yaml model=3", "model: expected a mapping of keys, got '3'");
  add("override", "no `=value`", "train new.yaml train.max_steps",
      "argument 'train.max_steps' is not a key.path=value override");
  add("override", "unknown optimizer", "train new.yaml optim.name=adamx",
      "optim.name: expected one of adamw, sgd, got 'adamx' (did you mean 'adamw'?)");
  add("override", "negative learning rate", "train new.yaml optim.lr=-1", "optim.lr: expected a number > 0, got -1");
  add("override", "sequence longer than the model's block", "train new.yaml data.seq_len=64",
      "data.seq_len: expected <= model.block_size (32), got 64");
  add("override", "misspelt schedule", "train new.yaml schedule.name=cosin", "(did you mean 'cosine'?)");
  add("override", "one beta instead of two", "train new.yaml optim.betas=[0.9]",
      "optim.betas: expected a list of two numbers [beta1, beta2], got a list");
  add("override", "dropout of 1.5", "train new.yaml model.dropout=1.5",
      "model.dropout: expected a number in [0, 1), got 1.5");
  add("override", "negative checkpoint.keep_last", "train new.yaml checkpoint.keep_last=-1",
      "checkpoint.keep_last: expected an integer >= 0, got -1");

  // Parallel layouts (one process).
  add("parallel", "tensor parallelism that does not divide the heads", "train new.yaml parallel.tp=3",
      "parallel.tp: model.n_head 2 is not divisible by tp 3");
  add("parallel", "dp larger than the world", "train new.yaml parallel.dp=2",
      "world size 1 does not match parallel.dp×tp×pp = 2×1×1 = 2");
  add("parallel", "more pipeline stages than layers", "train new.yaml parallel.pp=3",
      "parallel.pp: expected <= model.n_layer (2), got 3");
  add("parallel", "ZeRO stage 2", "train new.yaml parallel.zero=2", "parallel.zero: expected 0 or 1, got 2");
  add("parallel", "pp_layers that do not add up", "train new.yaml parallel.pp=2 parallel.pp_layers=[1]",
      "parallel.pp_layers: expected 2 layer counts (parallel.pp) adding up to model.n_layer 2, got 1 adding up to 1");
  add("parallel", "unknown pipeline schedule", "train new.yaml parallel.pp_schedule=zigzag",
      "parallel.pp_schedule: expected one of 1f1b, gpipe, got 'zigzag'");
  add("parallel", "tp that does not divide the world (dp auto)", "train new.yaml parallel.tp=2",
      "world size 1 is not divisible by parallel.tp×pp = 2×1 = 2");

  // Data.
  add("data", "train shards glob matches nothing", "train new.yaml 'data.train=nothing/*.h5'",
      "no token shards found at 'nothing/*.h5'");
  add("data", "a text file as a shard", "train new.yaml data.train=text.txt", "'text.txt' is not an HDF5 file");
  add("data", "shards with a larger vocabulary than the model", "train new.yaml model.vocab_size=100",
      "data.train was tokenized with a vocabulary of 300 tokens, larger than model.vocab_size 100");
  add("data", "a checkpoint as a shard", "train new.yaml data.train=run/checkpoints/step_2.h5",
      "'run/checkpoints/step_2.h5' has no dataset 'tokens'");
  add("data", "prepare: input file missing", "prepare --tokenizer tok --out out missing.txt",
      "'missing.txt' does not exist or is not a file");
  add("data", "prepare: val fraction above 1", "prepare --tokenizer tok --out out --val-fraction 1.5 text.txt",
      "--val-fraction must be in [0, 1), got 1.5");
  add("data", "eval: shards glob matches nothing", "eval run/checkpoints/step_2.h5 --data 'nothing/*.h5'",
      "no token shards found at 'nothing/*.h5'");

  // JSONL inputs of prepare and prepare --sft.
  add("JSONL", "prepare: a line that is not JSON", "prepare --tokenizer tok --out out bad.jsonl",
      "bad.jsonl:2: invalid JSON", file("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated\n"));
  add("JSONL", "prepare: a line without \"text\"", "prepare --tokenizer tok --out out notext.jsonl",
      "notext.jsonl:3: expected an object with a string field \"text\"",
      file("notext.jsonl", "{\"text\": \"ok\"}\n\n{\"body\": \"x\"}\n"));
  add("JSONL", "SFT: unknown role", "prepare --sft --tokenizer tok --out out role.jsonl",
      "role.jsonl:1: field \"messages[0].role\": unknown role 'robot' (expected system, user, assistant)",
      file("role.jsonl", R"({"messages": [{"role": "robot", "content": "x"}]})" "\n"));
  add("JSONL", "SFT: no assistant turn", "prepare --sft --tokenizer tok --out out noanswer.jsonl",
      "noanswer.jsonl:1: field \"messages\": no assistant turn (nothing to train on)",
      file("noanswer.jsonl", R"({"messages": [{"role": "user", "content": "x"}]})" "\n"));
  add("JSONL", "SFT: empty conversation", "prepare --sft --tokenizer tok --out out emptyconv.jsonl",
      "emptyconv.jsonl:1: field \"messages\": empty conversation", file("emptyconv.jsonl", R"({"messages": []})" "\n"));
  add("JSONL", "SFT: both formats on one line", "prepare --sft --tokenizer tok --out out both.jsonl",
      "both.jsonl:1: has both \"messages\" and \"prompt\"/\"response\"",
      file("both.jsonl", R"({"messages": [{"role": "user", "content": "x"}], "prompt": "a", "response": "b"})" "\n"));
  add("JSONL", "SFT: a number as the response", "prepare --sft --tokenizer tok --out out number.jsonl",
      "number.jsonl:1: field \"response\": expected a string, got number",
      file("number.jsonl", R"({"prompt": "a", "response": 3})" "\n"));
  add("JSONL", "SFT: a list instead of an object", "prepare --sft --tokenizer tok --out out array.jsonl",
      "array.jsonl:1: expected a JSON object with \"messages\" or \"prompt\" and \"response\", got array",
      file("array.jsonl", "[1, 2]\n"));
  add("JSONL", "SFT: chat turn pattern without placeholders",
      "prepare --sft --tokenizer tok --out out --chat-turn 'no placeholders' number.jsonl",
      "the chat turn pattern must hold {role} once and then {content} once, got 'no placeholders'",
      file("number.jsonl", R"({"prompt": "a", "response": 3})" "\n"));

  // Tokenizer files.
  add("tokenizer", "tokenizer folder does not exist", "train new.yaml data.tokenizer=nope",
      "tokenizer 'nope' does not exist (expected a folder with vocab.json + merges.txt, or a tokenizer.json file)");
  add("tokenizer", "vocab.json is not JSON", "prepare --tokenizer badjson --out out text.txt",
      "'badjson/vocab.json' is not valid JSON", tokenizer_with("badjson", "vocab.json", "{\"a\": 1,\n"));
  add("tokenizer", "a merge of unknown tokens", "prepare --tokenizer badmerge --out out text.txt",
      "'badmerge/merges.txt' line 2: merge 'zzz qqq' names 'zzz', which is not in the vocabulary",
      tokenizer_with("badmerge", "merges.txt", "#version: 0.2\nzzz qqq\n"));
  add("tokenizer", "vocab.json with a gap in the ids", "prepare --tokenizer gap --out out text.txt",
      "'gap/vocab.json': token ids must be 0..N-1 without gaps, but id 5 is missing", [](Dir d) {
        tokenizer_with("gap", "vocab.json", "")(d);
        nlohmann::ordered_json v = nlohmann::ordered_json::parse(read_file(d / "tok/vocab.json"));
        for (auto it = v.begin(); it != v.end(); ++it)
          if (it.value() == 5) {
            v.erase(it);
            break;
          }
        write_file(d / "gap/vocab.json", v.dump());
      });
  add("tokenizer", "tokenizer.json of a WordPiece model", "prepare --tokenizer wordpiece.json --out out text.txt",
      "'wordpiece.json': model type is 'WordPiece'; forge reads byte-level BPE only",
      file("wordpiece.json", R"({"model": {"type": "WordPiece"}})"));
  add("tokenizer", "tokenizer larger than the model's vocabulary",
      "sample run/checkpoints/step_2.h5 --prompt hi --tokenizer bigtok",
      "the tokenizer at 'bigtok' has 400 tokens, more than the model's vocab_size 320", [](Dir d) {
        fs::create_directories(d / "bigtok");
        nlohmann::ordered_json v = nlohmann::ordered_json::parse(read_file(d / "tok/vocab.json"));
        for (int i = static_cast<int>(v.size()); i < 400; ++i) v["<|extra_" + std::to_string(i) + "|>"] = i;
        write_file(d / "bigtok/vocab.json", v.dump());
        fs::copy_file(d / "tok/merges.txt", d / "bigtok/merges.txt");
      });
  add("tokenizer", "tokenizer training below 257 tokens", "tokenizer train --vocab-size 100 --out out text.txt",
      "--vocab-size must be in [257, 2^30], got 100");

  // Checkpoints.
  add("checkpoint", "not an HDF5 file", "inspect text.txt", "'text.txt' is not an HDF5 file");
  add("checkpoint", "a token shard", "inspect shards/val_000000.h5",
      "'shards/val_000000.h5' is an HDF5 file but not a forge checkpoint");
  add("checkpoint", "truncated file", "inspect truncated.h5", "cannot open HDF5 file 'truncated.h5': it is truncated or corrupt",
      [](Dir d) {
        fs::copy_file(d / kCheckpoint, d / "truncated.h5");
        fs::resize_file(d / "truncated.h5", fs::file_size(d / "truncated.h5") / 2);
      });
  add("checkpoint", "one flipped byte in a weight", "sample flipped.h5 --prompt hi",
      "checksum mismatch in dataset '/model/transformer.wte.weight'", [](Dir d) {
        fs::copy_file(d / kCheckpoint, d / "flipped.h5");
        haddr_t at = 0;
        {
          h5::Handle f(H5Fopen((d / "flipped.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
          h5::Handle ds(H5Dopen2(f, "/model/transformer.wte.weight", H5P_DEFAULT), H5Dclose);
          at = H5Dget_offset(ds);
        }
        std::fstream io(d / "flipped.h5", std::ios::in | std::ios::out | std::ios::binary);
        io.seekg(static_cast<std::streamoff>(at) + 100);
        char ch = 0;
        io.get(ch);
        io.seekp(static_cast<std::streamoff>(at) + 100);
        io.put(static_cast<char>(ch ^ 0x40));
      });
  add("checkpoint", "a model dataset deleted (inspect)", "inspect nowte.h5", "/model/transformer.wte.weight: missing",
      checkpoint_with("nowte.h5", [](hid_t f) { H5Ldelete(f, "/model/transformer.wte.weight", H5P_DEFAULT); }));
  add("checkpoint", "a model dataset deleted (sample)", "sample nowte2.h5 --prompt hi",
      "transformer.wte.weight: not in the checkpoint",
      checkpoint_with("nowte2.h5", [](hid_t f) { H5Ldelete(f, "/model/transformer.wte.weight", H5P_DEFAULT); }));
  add("checkpoint", "vocab_size 2^40 in the config (inspect)", "inspect hugevocab.h5",
      "/model/transformer.wte.weight: shape (320, 32), the config needs (1099511627776, 32)",
      checkpoint_with("hugevocab.h5", set_int("/config", "vocab_size", int64_t(1) << 40)));
  add("checkpoint", "a negative step (inspect)", "inspect negstep.h5",
      "'negstep.h5' holds an impossible /state attribute step = -5 (must be >= 0)",
      checkpoint_with("negstep.h5", set_int("/state", "step", -5)));
  add("checkpoint", "a format version from the future", "inspect future.h5",
      "'future.h5' has checkpoint format version 99; this forge reads versions 1 to 2",
      checkpoint_with("future.h5", set_int("/", "format_version", 99)));
  add("checkpoint", "the model family stored as a number", "inspect family.h5",
      "attribute 'family' of /config in 'family.h5' is an integer, expected a string",
      checkpoint_with("family.h5", set_int("/config", "family", 2)));
  add("checkpoint", "resume into a recipe with another model", "train good.yaml resume=auto model.n_layer=3",
      "cannot resume from 'run/checkpoints/step_2.h5': it holds a different model than the recipe");
  add("checkpoint", "`latest` names a missing file", "train good.yaml run.dir=run2 resume=auto",
      "'run2/checkpoints/latest' names 'step_9.h5', but 'run2/checkpoints/step_9.h5' does not exist",
      [](Dir d) {
        fs::create_directories(d / "run2/checkpoints");
        write_file(d / "run2/checkpoints/latest", "step_9.h5\n");
      });
  add("checkpoint", "checkpoints but no `latest`, none of them verifies", "train good.yaml run.dir=run3 resume=auto",
      "cannot resume: 'run3/checkpoints' has no `latest` and none of its checkpoints verifies",
      file("run3/checkpoints/step_35.h5", "not a checkpoint"));
  add("checkpoint", "checkpoints but no `latest`, and resume: none", "train good.yaml run.dir=run4",
      "run directory 'run4' already holds checkpoints of an earlier run (latest: 'run4/checkpoints/step_35.h5')",
      file("run4/checkpoints/step_35.h5", "not a checkpoint"));
  add("checkpoint", "init_from a file that does not exist", "train new.yaml init_from.path=nope.h5",
      "file not found: 'nope.h5'");
  add("checkpoint", "init_from a text file", "train new.yaml init_from.path=text.txt",
      "cannot read weights from 'text.txt': unknown file type '.txt' (known: .h5, .safetensors)");

  // Safetensors and config.json.
  add("safetensors", "header length past the end of the file", "convert long/model.safetensors long.h5",
      "the header length 1000000000 runs past the end of the file",
      safetensors_with("long", [](nlohmann::json&) {}, 1000000000));
  add("safetensors", "header is not JSON", "convert notjson/model.safetensors notjson.h5",
      "safetensors 'notjson/model.safetensors': the header is not valid JSON", [](Dir d) {
        fs::copy(d / "hf", d / "notjson");
        const std::string h = "{\"a\": ";
        const uint64_t n = h.size();
        write_file(d / "notjson/model.safetensors", std::string(reinterpret_cast<const char*>(&n), 8) + h);
      });
  add("safetensors", "data_offsets that disagree with the shape", "convert offsets/model.safetensors offsets.h5",
      "tensor 'transformer.wpe.weight' is F32 (32, 32), which is 4096 bytes, but its data_offsets",
      safetensors_with("offsets", [](nlohmann::json& h) {
        auto& o = h["transformer.wpe.weight"]["data_offsets"];
        o[0] = o[0].get<uint64_t>() - 4;
      }));
  add("safetensors", "unknown dtype", "convert dtype/model.safetensors dtype.h5",
      "tensor 'transformer.wte.weight' has unknown dtype 'F8'",
      safetensors_with("dtype", [](nlohmann::json& h) { h["transformer.wte.weight"]["dtype"] = "F8"; }));
  add("safetensors", "init_from a corrupt safetensors", "train new.yaml init_from.path=offsets2/model.safetensors",
      "safetensors 'offsets2/model.safetensors': tensor 'transformer.wpe.weight'",
      safetensors_with("offsets2", [](nlohmann::json& h) {
        auto& o = h["transformer.wpe.weight"]["data_offsets"];
        o[0] = o[0].get<uint64_t>() - 4;
      }));
  add("safetensors", "no config.json next to it", "convert noconfig/model.safetensors noconfig.h5",
      "needs its config.json next to it; 'noconfig/config.json' does not exist", [](Dir d) {
        fs::copy(d / "hf", d / "noconfig");
        fs::remove(d / "noconfig/config.json");
      });
  add("safetensors", "config.json of a BERT model", "convert bert/model.safetensors bert.h5",
      "'bert/config.json': model_type 'bert' is not supported (forge reads gpt2 and llama)",
      config_json_with("bert", "model_type", "bert"));
  add("safetensors", "config.json whose sizes do not divide", "convert odd odd.h5",
      "'odd/config.json' describes a model forge cannot build: model.n_embd (33) must be divisible by model.n_head (2)",
      config_json_with("odd", "n_embd", 33));
  add("safetensors", "config.json without n_layer", "convert nolayers nolayers.h5", "'nolayers/config.json': missing 'n_layer'",
      config_json_with("nolayers", "n_layer", nullptr));

  // Command-line flags.
  add("CLI flag", "misspelt command", "trian", "unknown command 'trian'; run `forge help` for the list");
  add("CLI flag", "sample without --prompt", "sample run/checkpoints/step_2.h5", "missing CKPT or --prompt");
  add("CLI flag", "top-p above 1", "sample run/checkpoints/step_2.h5 --prompt hi --top-p 2",
      "--top-p must be in (0, 1] (1 = all tokens), got 2");
  add("CLI flag", "negative temperature", "sample run/checkpoints/step_2.h5 --prompt hi --temperature -1",
      "--temperature must be >= 0 (0 = greedy), got -1");
  add("CLI flag", "a word where a count belongs", "sample run/checkpoints/step_2.h5 --prompt hi --max-new-tokens abc",
      "--max-new-tokens expects an integer, got 'abc'");
  add("CLI flag", "unknown flag", "sample run/checkpoints/step_2.h5 --prompt hi --bogus", "unknown flag '--bogus' (`forge sample --help` lists the flags)");
  add("CLI flag", "eval without --data", "eval run/checkpoints/step_2.h5", "missing CKPT or --data");
  add("CLI flag", "eval window of 0 tokens", "eval run/checkpoints/step_2.h5 --data 'shards/val_*.h5' --seq-len 0",
      "--seq-len must be >= 1, got 0");
  add("CLI flag", "eval window longer than the model's block",
      "eval run/checkpoints/step_2.h5 --data 'shards/val_*.h5' --seq-len 64", "--seq-len 64 exceeds the model's block_size of 32");
  add("CLI flag", "inspect without a file", "inspect", "usage: forge inspect CKPT");
  add("CLI flag", "convert with one path", "convert run/checkpoints/step_2.h5", "usage: forge convert [--dtype fp32|bf16|fp16] IN OUT");
  add("CLI flag", "a flag train does not have", "train new.yaml --foo",
      "unknown flag '--foo' (`forge train --help` lists the flags)");
  add("CLI flag", "sample from a checkpoint that does not exist", "sample nope.h5 --prompt hi", "file not found: 'nope.h5'");
  return c;
}

}  // namespace

const std::vector<ErrorCase>& error_cases() {
  static const std::vector<ErrorCase> cases = make_cases();
  return cases;
}

}  // namespace forge::e2e
