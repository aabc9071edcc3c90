// `forge convert IN OUT`: forge checkpoint <-> Hugging Face model.safetensors + config.json.
#include <cstdio>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "common/error.h"
#include "checkpoint/hf_convert.h"

namespace forge::apps {
namespace {

int convert(int argc, char** argv) {
  DType dtype = DType::f32;
  const std::vector<std::string> paths =
      FlagParser("forge convert")
          .custom("--dtype",
                  [&](const std::string& v) {
                    if (v == "fp32" || v == "f32" || v == "float32") dtype = DType::f32;
                    else if (v == "bf16" || v == "bfloat16") dtype = DType::bf16;
                    else if (v == "fp16" || v == "f16" || v == "float16") dtype = DType::f16;
                    else FORGE_THROW("forge convert: --dtype must be fp32, bf16 or fp16, got '" << v << "'");
                  })
          .parse(argc, argv);
  FORGE_CHECK(paths.size() == 2, "usage: forge convert [--dtype fp32|bf16|fp16] IN OUT (see `forge convert --help`)");
  std::printf("%s\n", recipes::convert_model(paths[0], paths[1], dtype).c_str());
  return 0;
}

const bool registered = register_command(
    "convert", {"forge checkpoint <-> Hugging Face model.safetensors + config.json",
                "usage: forge convert [--dtype fp32|bf16|fp16] IN OUT\n\n"
                "The direction is chosen by the file names:\n"
                "  forge convert CKPT.h5 DIR                      writes DIR/model.safetensors + DIR/config.json\n"
                "  forge convert CKPT.h5 DIR/model.safetensors    the same, naming the file\n"
                "  forge convert MODEL.safetensors OUT.h5         reads config.json next to MODEL; writes a forge\n"
                "                                                 checkpoint (weights + config, step 0, no optimizer)\n"
                "  forge convert HF_DIR OUT.h5                    the same for HF_DIR/model.safetensors\n\n"
                "--dtype   the exported weights' dtype (default fp32, exact; bf16 and fp16 are rounded\n"
                "          to nearest even and recorded as config.json's torch_dtype)\n\n"
                "Exports GPT2LMHeadModel or LlamaForCausalLM, loadable with transformers'\n"
                "from_pretrained; imports F32/F16/BF16 files of those two architectures. GPT-2's\n"
                "Conv1D weights are transposed both ways (docs/interop.md).",
                convert});

}  // namespace
}  // namespace forge::apps
