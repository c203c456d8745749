// The optimizer steps need libtorch operations with a scalar factor that tch's generated
// bindings leave out (`add_(other, alpha)`, `addcmul_(t1, t2, value)`, `addcdiv_(t1, t2, value)`)
// and `p.grad = None`. Calling the very same ATen functions as PyTorch's Python optimizers keeps
// the results bit for bit equal: the CPU kernels fuse `a + alpha * b` into one FMA, which two
// separate tch calls would not reproduce. `tensor` arguments are tch's handles (`at::Tensor*`).
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>
#include <cstring>
#include <exception>

namespace {
// The message without libtorch's C++ stack frames.
int fail(const std::exception &e, char *err, int err_len) {
  const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
  const char *message = c10_error ? c10_error->what_without_backtrace() : e.what();
  if (err_len > 0) {
    auto n = std::min<size_t>(std::strlen(message), static_cast<size_t>(err_len - 1));
    std::memcpy(err, message, n);
    err[n] = '\0';
  }
  return -1;
}
}  // namespace

extern "C" {
// self.add_(other, alpha=alpha)
int te_add_alpha_(at::Tensor *self, const at::Tensor *other, double alpha, char *err, int err_len) {
  try {
    self->add_(*other, alpha);
    return 0;
  } catch (const std::exception &e) {
    return fail(e, err, err_len);
  }
}

// *out = self.add(other, alpha=alpha), a new tensor owned by the caller (tch frees it).
int te_add_alpha(const at::Tensor *self, const at::Tensor *other, double alpha, at::Tensor **out, char *err,
                 int err_len) {
  try {
    *out = new at::Tensor(self->add(*other, alpha));
    return 0;
  } catch (const std::exception &e) {
    return fail(e, err, err_len);
  }
}

// self.addcmul_(tensor1, tensor2, value=value)
int te_addcmul_(at::Tensor *self, const at::Tensor *t1, const at::Tensor *t2, double value, char *err,
                int err_len) {
  try {
    self->addcmul_(*t1, *t2, value);
    return 0;
  } catch (const std::exception &e) {
    return fail(e, err, err_len);
  }
}

// self.addcdiv_(tensor1, tensor2, value=value)
int te_addcdiv_(at::Tensor *self, const at::Tensor *t1, const at::Tensor *t2, double value, char *err,
                int err_len) {
  try {
    self->addcdiv_(*t1, *t2, value);
    return 0;
  } catch (const std::exception &e) {
    return fail(e, err, err_len);
  }
}

// p.grad = None (what optimizer.zero_grad() does by default since PyTorch 2.0).
int te_grad_to_none(at::Tensor *self, char *err, int err_len) {
  try {
    self->mutable_grad().reset();
    return 0;
  } catch (const std::exception &e) {
    return fail(e, err, err_len);
  }
}
}
