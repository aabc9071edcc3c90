// Greedy chat replies and exact-match accuracy (see sft_eval.h).
#include "train/sft_eval.h"

#include <algorithm>

#include "common/error.h"
#include "data/sft_prepare.h"
#include "data/tokenizer_files.h"
#include "nn/generate.h"
#include "nn/transformer.h"

namespace forge::recipes {

std::string trim(const std::string& s) {
  const char* space = " \t\r\n";
  const size_t a = s.find_first_not_of(space);
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(space) + 1 - a);
}

std::vector<ExactMatchExample> read_exact_match_set(const std::string& path) {
  std::vector<ExactMatchExample> out;
  data::for_each_nonblank_line(path, [&](const std::string& line, int64_t line_no) {
    const std::string where = path + ":" + std::to_string(line_no);
    std::vector<data::ChatMessage> messages = data::parse_chat_line(line, where);
    FORGE_CHECK(messages.back().role == "assistant" && messages.size() >= 2,
                where << ": field \"messages\": an evaluation example must end with the expected assistant reply "
                         "after at least one prompt message");
    ExactMatchExample e;
    e.answer = messages.back().content;
    messages.pop_back();
    e.prompt = std::move(messages);
    out.push_back(std::move(e));
  });
  FORGE_CHECK(!out.empty(), "'" << path << "' holds no evaluation example");
  return out;
}

std::string chat_reply(const nn::TransformerLM& model, data::Tokenizer& tokenizer, const data::ChatTemplate& t,
                       const std::vector<data::ChatMessage>& history, int64_t max_new_tokens) {
  const std::vector<int32_t> ids = data::render_prompt(tokenizer, t, history);
  const int64_t block = model.config().block_size, P = static_cast<int64_t>(ids.size());
  FORGE_CHECK(P < block, "the chat prompt is " << P << " tokens, which leaves no room to answer within the model's "
                                                   "block_size of " << block);
  nn::GenerateOptions o;
  o.temperature = 0.0;
  o.max_new_tokens = std::min(max_new_tokens, block - P);
  o.stop_token = data::chat_stop_id(tokenizer, t);
  o.vocab_limit = tokenizer.vocab_size();
  const std::vector<int64_t> prompt(ids.begin(), ids.end());
  const std::vector<int64_t> reply = nn::generate(model, prompt, o);
  return tokenizer.decode(std::vector<int32_t>(reply.begin(), reply.end()));
}

ExactMatchResult exact_match(const nn::TransformerLM& model, data::Tokenizer& tokenizer, const data::ChatTemplate& t,
                             const std::vector<ExactMatchExample>& examples, int64_t max_new_tokens) {
  data::check_chat_tokens(tokenizer, t, "exact-match evaluation");
  ExactMatchResult r;
  for (const ExactMatchExample& e : examples) {
    std::string reply = chat_reply(model, tokenizer, t, e.prompt, max_new_tokens);
    r.correct += trim(reply) == trim(e.answer);
    ++r.total;
    r.replies.push_back(std::move(reply));
  }
  return r;
}

}  // namespace forge::recipes
