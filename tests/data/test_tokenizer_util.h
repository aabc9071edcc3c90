// Helpers shared by the tokenizer tests: a deterministic pseudo-English corpus
// (words, digits, punctuation, unicode, newlines) and a temporary folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace forge::testing {

inline std::string tokenizer_corpus(size_t n_words, uint32_t seed = 7) {
  static const char* kWords[] = {"the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are",
                                 "with", "they", "be", "at", "one", "have", "this", "from", "token", "tokenizer",
                                 "training", "trains", "trained", "model", "models", "forge", "byte", "bytes",
                                 "naïve", "café", "Über", "日本語", "данные", "I'm", "don't", "we've", "they're",
                                 "2024", "42", "3.14", "hello", "world", "Hello", "World"};
  static const char* kSeps[] = {" ", " ", " ", " ", " ", ", ", ". ", "! ", "? ", "\n", "\n\n", "  ", "\t", " (", ") "};
  std::mt19937 rng(seed);
  std::string text;
  for (size_t i = 0; i < n_words; ++i) {
    text += kWords[rng() % std::size(kWords)];
    text += kSeps[rng() % std::size(kSeps)];
  }
  return text;
}

// A fresh empty folder under the system temp dir, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = std::filesystem::temp_directory_path() /
            (name + "_" + std::to_string(std::random_device{}()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

}  // namespace forge::testing
