// The one thing tch does not expose: the name of the autograd node behind a tensor
// (what PyTorch prints as `grad_fn=<EmbeddingBackward0>`). `tensor` is tch's handle,
// an `at::Tensor*` (see torch-sys's libtch/torch_api.h).
#include <ATen/core/Tensor.h>
#include <torch/csrc/autograd/function.h>
#include <cstring>
#include <string>

extern "C" {
// Writes the node's name without its C++ namespace ("EmbeddingBackward0") into buf,
// NUL-terminated, and returns its full length; returns 0 when the tensor has no grad_fn,
// -1 if libtorch threw.
int te_grad_fn_name(const at::Tensor *tensor, char *buf, int buf_len) {
  try {
    const auto &node = tensor->grad_fn();
    if (!node) return 0;
    std::string name = node->name();
    auto pos = name.rfind("::");
    if (pos != std::string::npos) name = name.substr(pos + 2);
    if (buf_len > 0) {
      auto n = std::min<size_t>(name.size(), static_cast<size_t>(buf_len - 1));
      std::memcpy(buf, name.data(), n);
      buf[n] = '\0';
    }
    return static_cast<int>(name.size());
  } catch (...) {
    return -1;
  }
}

// 1 when the tensor is a leaf of the autograd graph (Python's `t.is_leaf`).
int te_is_leaf(const at::Tensor *tensor) { return tensor->is_leaf() ? 1 : 0; }
}
