// The model family registry: names, Hugging Face names, the weight-decay rule
// and the builders, checked against the models the builders make.
#include <gtest/gtest.h>

#include "nn/model_family.h"

namespace forge {
namespace {

TEST(ModelFamily, EveryFamilyNamesParametersItsModelHas) {
  EXPECT_EQ(nn::family_names(), (std::vector<std::string>{"gpt2", "llama"}));
  for (const std::string& name : {"gpt2-test", "llama-test"}) {
    nn::ModelConfig c = nn::preset(name);
    c.tie_embeddings = false;
    if (c.family == nn::Family::gpt2) c.tie_embeddings = true;
    const nn::FamilySpec& family = nn::family_spec(c.family);
    EXPECT_EQ(&family, &nn::family_spec(family.name));
    const auto model = nn::build_model(c, 1);
    EXPECT_NO_THROW(model->parameter(family.embedding)) << name;
    for (const std::string& p : family.no_decay) EXPECT_NO_THROW(model->parameter(p)) << name << " " << p;
    // Decay: matrices except the embeddings; never vectors.
    int decayed = 0;
    for (const auto& [pname, p] : model->named_parameters()) {
      const bool expected = p.dim() >= 2 && pname.find("wte") == std::string::npos &&
                            pname.find("wpe") == std::string::npos && pname.find("embed_tokens") == std::string::npos;
      EXPECT_EQ(family.decays(pname, p.shape()), expected) << pname;
      decayed += expected;
    }
    EXPECT_GT(decayed, 0);
  }
}

TEST(ModelFamily, HuggingFaceNameRules) {
  const nn::FamilySpec& gpt2 = nn::family_spec("gpt2");
  EXPECT_TRUE(gpt2.hf_is_transposed("transformer.h.3.attn.c_attn.weight"));
  EXPECT_TRUE(gpt2.hf_is_transposed("h.3.mlp.c_proj.weight"));
  EXPECT_FALSE(gpt2.hf_is_transposed("transformer.h.3.attn.c_attn.bias"));
  EXPECT_FALSE(gpt2.hf_is_transposed("transformer.h.3.attn.xc_attn.weight"));  // whole name parts only
  EXPECT_TRUE(gpt2.hf_is_buffer("transformer.h.0.attn.bias"));
  EXPECT_FALSE(gpt2.hf_is_buffer("transformer.h.0.attn.c_attn.bias"));
  const nn::FamilySpec& llama = nn::family_spec("llama");
  EXPECT_TRUE(llama.hf_is_buffer("model.layers.0.self_attn.rotary_emb.inv_freq"));
  EXPECT_FALSE(llama.hf_is_transposed("model.layers.0.self_attn.q_proj.weight"));
  EXPECT_TRUE(llama.is_vocab_table("lm_head.weight"));
  EXPECT_TRUE(llama.is_vocab_table("model.embed_tokens.weight"));
  EXPECT_FALSE(llama.is_vocab_table("model.norm.weight"));
}

TEST(ModelFamily, UnknownNameListsTheKnownOnes) {
  try {
    nn::family_spec("mistral");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model family 'mistral' (known: gpt2, llama)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace forge
