// ToolTune's native kernels: a small JNI library against libtorch, next to DJL's own JNI (libdjl_torch).
//
// Handles: DJL's PtNDArray holds a `torch::Tensor*` made with `new` (see DJL's djl_pytorch_utils.h); we read
// them the same way and return new tensors as `new torch::Tensor(...)`, which PtNDArray(manager, handle) adopts
// and DJL's torchDeleteNDArray frees. Everything runs through libtorch's dispatcher, so autograd records these
// ops (backward comes for free) and autocast applies, exactly as for DJL's own calls.
//
// Built by scripts/gpu/build-native.sh against the machine's torch; with -DTOOLTUNE_CUDA it also reports
// CUDA memory statistics. Java side: dev.tooltune.model.kernels.NativeTorch.
#include "jni_support.h"
#include <ATen/autocast_mode.h>
#ifdef TOOLTUNE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif
#include <cstdlib>
#include <memory>
#include <torch/csrc/autograd/custom_function.h>
#include <mutex>
#include <string>
#include <vector>

using tooltune::adopt;
using tooltune::tensor;
using tooltune::tensors;

namespace {

// ---------------------------------------------------------------- NF4 (QLoRA base weights)

// bitsandbytes' NF4 code book and signed dynamic 8-bit code, as dev.tooltune.model.quant.Nf4 / DynamicCode hold them.
// The tables are passed in from Java once per layer (nf4 tables), so the values live in one place.

// The dense [out, in] weight of an NF4 layer in `type`: code[nibble] * absmax[block], absmax itself
// double-quantised (dynamic[absmax_code] * scale[absmax_code / 256] + offset). Computed in fp32 like
// Nf4Linear.dequantize, cast at the end.
torch::Tensor nf4_dequantize(const torch::Tensor& packed, const torch::Tensor& absmax_codes,
                             const torch::Tensor& absmax_scales, double offset, const torch::Tensor& nibble_pairs,
                             const torch::Tensor& dynamic_code, int64_t rows, int64_t columns, at::ScalarType type) {
  torch::NoGradGuard no_grad;  // a pure function of frozen buffers: nothing to record
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  int64_t n = rows * columns;
  int64_t blocks = absmax_codes.numel();
  int64_t second = absmax_scales.numel();
  torch::Tensor normalised = dynamic_code.index_select(0, absmax_codes.to(torch::kInt));        // [blocks]
  if (second * 256 > blocks) normalised = at::constant_pad_nd(normalised, {0, second * 256 - blocks});
  torch::Tensor absmax = (normalised.view({second, 256}) * absmax_scales.view({second, 1}))
                             .view({-1}).narrow(0, 0, blocks).add_(offset);                   // [blocks]
  torch::Tensor values = nibble_pairs.index_select(0, packed.to(torch::kInt)).view({-1});      // [2 ceil(n/2)]
  int64_t padded = blocks * 64;
  if (values.numel() < padded) values = at::constant_pad_nd(values, {0, padded - values.numel()});
  else if (values.numel() > padded) values = values.narrow(0, 0, padded);
  torch::Tensor weight = values.view({blocks, 64}).mul_(absmax.view({blocks, 1})).view({-1});
  if (padded != n) weight = weight.narrow(0, 0, n);
  return weight.view({rows, columns}).to(type);
}

// The type NF4 products run in: bf16 under autocast on x's device, else x's own type.
at::ScalarType nf4_compute_type(const torch::Tensor& x) {
  auto device = x.device().type();
  if (at::autocast::is_autocast_enabled(device)) return at::autocast::get_autocast_dtype(device);
  return x.scalar_type();
}

// y = x W^T with W dequantised just in time, in the forward and again in the backward: autograd saves nothing
// of W (only x's shape/type), so no dense copy of any layer outlives its own product. W is frozen: only x gets a
// gradient.
struct Nf4LinearFunction : public torch::autograd::Function<Nf4LinearFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor packed,
                               torch::Tensor absmax_codes, torch::Tensor absmax_scales, torch::Tensor nibble_pairs,
                               torch::Tensor dynamic_code, double offset, int64_t rows, int64_t columns) {
    at::ScalarType type = nf4_compute_type(x);
    torch::Tensor weight = nf4_dequantize(packed, absmax_codes, absmax_scales, offset, nibble_pairs, dynamic_code,
                                          rows, columns, type);
    ctx->save_for_backward({packed, absmax_codes, absmax_scales, nibble_pairs, dynamic_code});
    ctx->saved_data["offset"] = offset;
    ctx->saved_data["rows"] = rows;
    ctx->saved_data["columns"] = columns;
    ctx->saved_data["type"] = static_cast<int64_t>(type);
    ctx->saved_data["x_type"] = static_cast<int64_t>(x.scalar_type());
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    return at::linear(x.to(type), weight);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto type = static_cast<at::ScalarType>(ctx->saved_data["type"].toInt());
    auto x_type = static_cast<at::ScalarType>(ctx->saved_data["x_type"].toInt());
    torch::Tensor weight = nf4_dequantize(saved[0], saved[1], saved[2], ctx->saved_data["offset"].toDouble(), saved[3],
                                          saved[4], ctx->saved_data["rows"].toInt(),
                                          ctx->saved_data["columns"].toInt(), type);
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    torch::Tensor grad_x = at::matmul(grads[0].to(type), weight).to(x_type);
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// ---------------------------------------------------------------- activation checkpointing

JavaVM* java_vm = nullptr;

JNIEnv* current_env() {
  JNIEnv* env = nullptr;
  if (java_vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) == JNI_EDETACHED) {
    // autograd's device threads run the backward of CUDA graphs: attach them once (they live as long as the process)
    java_vm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&env), nullptr);
  }
  return env;
}

// A global reference to the Java body (dev.tooltune.model.kernels.Kernels$Checkpointed), released with the node.
struct JavaBody : public torch::CustomClassHolder {
  jobject body;
  explicit JavaBody(jobject global) : body(global) {}
  ~JavaBody() override {
    if (java_vm != nullptr) current_env()->DeleteGlobalRef(body);
  }
};

// Runs body.run(long[] handles) -> long handle (a torch::Tensor* the body made for us with `share`).
torch::Tensor call_body(jobject body, const std::vector<torch::Tensor>& inputs) {
  JNIEnv* env = current_env();
  jclass type = env->GetObjectClass(body);
  jmethodID run = env->GetMethodID(type, "run", "([J)J");
  env->DeleteLocalRef(type);
  if (run == nullptr) {
    env->ExceptionClear();
    throw std::runtime_error("checkpointed body has no long run(long[])");
  }
  jlongArray handles = env->NewLongArray(static_cast<jsize>(inputs.size()));
  std::vector<jlong> raw;
  for (const auto& t : inputs) raw.push_back(t.defined() ? adopt(t) : 0);  // Java owns (and frees) these
  env->SetLongArrayRegion(handles, 0, static_cast<jsize>(raw.size()), raw.data());
  jlong out = env->CallLongMethod(body, run, handles);
  env->DeleteLocalRef(handles);
  if (env->ExceptionCheck()) {
    jthrowable thrown = env->ExceptionOccurred();
    env->ExceptionClear();
    jclass object = env->FindClass("java/lang/Object");
    jmethodID to_string = env->GetMethodID(object, "toString", "()Ljava/lang/String;");
    auto text = static_cast<jstring>(env->CallObjectMethod(thrown, to_string));
    std::string message = "checkpointed layer failed";
    if (text != nullptr) {
      const char* chars = env->GetStringUTFChars(text, nullptr);
      message += std::string(": ") + chars;
      env->ReleaseStringUTFChars(text, chars);
    }
    env->ExceptionClear();
    throw std::runtime_error(message);
  }
  torch::Tensor* result = reinterpret_cast<torch::Tensor*>(out);
  torch::Tensor value = *result;
  delete result;
  return value;
}

// Random-number state of the CPU generator and of x's CUDA generator, so a recomputation draws the same dropout.
std::vector<torch::Tensor> rng_state(const torch::Tensor& x) {
  std::vector<torch::Tensor> states;
  auto cpu = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    states.push_back(cpu.get_state());
  }
  if (x.is_cuda()) {
    auto gen = at::globalContext().defaultGenerator(x.device());
    std::lock_guard<std::mutex> lock(gen.mutex());
    states.push_back(gen.get_state());
  }
  return states;
}

void set_rng_state(const torch::Tensor& x, const std::vector<torch::Tensor>& states) {
  auto cpu = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(states[0]);
  }
  if (x.is_cuda() && states.size() > 1) {
    auto gen = at::globalContext().defaultGenerator(x.device());
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(states[1]);
  }
}

// torch.utils.checkpoint (reentrant): the forward runs the Java body without recording a graph and keeps only
// its inputs; the backward runs it again with the graph on (same autocast and random state), back-propagates
// the incoming gradient through it (trainable leaves such as LoRA A/B accumulate their .grad there) and returns
// the gradient of x. `anchor` is any tensor that requires a gradient, so the node is recorded even when x
// (the embedding output of the first layer) does not.
struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor anchor,
                               torch::Tensor a, torch::Tensor b, torch::Tensor c, int64_t body) {
    auto holder = c10::make_intrusive<JavaBody>(reinterpret_cast<jobject>(body));
    auto device = x.device().type();
    ctx->saved_data["body"] = c10::IValue::make_capsule(holder);
    ctx->saved_data["autocast"] = at::autocast::is_autocast_enabled(device);
    ctx->saved_data["autocast_type"] = static_cast<int64_t>(at::autocast::get_autocast_dtype(device));
    ctx->saved_data["rng"] = rng_state(x);
    ctx->save_for_backward({x, a, b, c});
    return call_body(holder->body, {x, a, b, c});
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor x = saved[0].detach().requires_grad_(true);
    auto holder = c10::static_intrusive_pointer_cast<JavaBody>(ctx->saved_data["body"].toCapsule());
    auto device = x.device().type();
    bool autocast = ctx->saved_data["autocast"].toBool();
    auto autocast_type = static_cast<at::ScalarType>(ctx->saved_data["autocast_type"].toInt());
    bool autocast_before = at::autocast::is_autocast_enabled(device);
    auto autocast_type_before = at::autocast::get_autocast_dtype(device);
    auto rng_before = rng_state(x);
    set_rng_state(x, ctx->saved_data["rng"].toTensorVector());
    torch::Tensor out;
    {
      at::AutoGradMode grad_on(true);
      // autocast state is per thread, and CUDA backward runs on autograd's device thread
      at::autocast::set_autocast_dtype(device, autocast_type);
      at::autocast::set_autocast_enabled(device, autocast);
      try {
        out = call_body(holder->body, {x, saved[1], saved[2], saved[3]});
      } catch (...) {
        at::autocast::set_autocast_enabled(device, autocast_before);
        at::autocast::set_autocast_dtype(device, autocast_type_before);
        set_rng_state(x, rng_before);
        throw;
      }
      at::autocast::set_autocast_enabled(device, autocast_before);
      at::autocast::set_autocast_dtype(device, autocast_type_before);
      set_rng_state(x, rng_before);
      if (out.requires_grad()) torch::autograd::backward({out}, {grads[0].to(out.scalar_type())});
      // autocast caches bf16 casts of fp32 leaves (LoRA A/B) per thread with no version check: drop them, or the
      // next step's recomputation on this thread would use this step's weights
      if (autocast) at::autocast::clear_cache();
    }
    torch::Tensor grad_x = x.grad();
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// The additive floor of a masked score: far below any real score, yet finite in x's type (fp16 tops out at 65504,
// and a query whose keys are all masked must get uniform weights, not NaN).
double mask_floor(const torch::Tensor& x) { return x.scalar_type() == at::kHalf ? -3e4 : -1e30; }

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  java_vm = vm;
  return JNI_VERSION_1_8;
}

// NF4 linear: x [..., in] -> [..., out] with the weight dequantised just in time (see Nf4LinearFunction).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_nf4Linear(
    JNIEnv* env, jclass, jlong x, jlong packed, jlong absmax_codes, jlong absmax_scales, jdouble offset,
    jlong nibble_pairs, jlong dynamic_code, jlong rows, jlong columns) {
  GUARD("nf4Linear", 0, {
    return adopt(Nf4LinearFunction::apply(tensor(x), tensor(packed), tensor(absmax_codes), tensor(absmax_scales),
                                          tensor(nibble_pairs), tensor(dynamic_code), (double) offset,
                                          (int64_t) rows, (int64_t) columns));
  })
}

// The dense weight of an NF4 layer in fp32 (tests, merged export).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_nf4Dequantize(
    JNIEnv* env, jclass, jlong packed, jlong absmax_codes, jlong absmax_scales, jdouble offset, jlong nibble_pairs,
    jlong dynamic_code, jlong rows, jlong columns) {
  GUARD("nf4Dequantize", 0, {
    return adopt(nf4_dequantize(tensor(packed), tensor(absmax_codes), tensor(absmax_scales), offset,
                                tensor(nibble_pairs), tensor(dynamic_code), rows, columns, torch::kFloat32));
  })
}

// First level of NF4 quantisation on the weight's device, bit for bit as Nf4.quantize does it on the host:
// per 64-block absmax (fp32), values * (1 / absmax) clamped to [-1, 1], the nearest code (ties to the lower
// index: argmin keeps the first), an all-zero block as code 7, two codes a byte (first in the high nibble).
// Returns {packed uint8 [ceil(n/2)], absmax fp32 [blocks]} as two handles.
JNIEXPORT jlongArray JNICALL Java_dev_tooltune_model_kernels_NativeTorch_nf4Quantize(
    JNIEnv* env, jclass, jlong weight, jlong code) {
  GUARD("nf4Quantize", nullptr, {
    torch::NoGradGuard no_grad;
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    torch::Tensor w = tensor(weight).detach().reshape({-1}).to(torch::kFloat32);
    torch::Tensor codebook = tensor(code).to(w.device(), torch::kFloat32);
    int64_t n = w.numel();
    int64_t blocks = (n + 63) / 64;
    if (blocks * 64 != n) w = at::constant_pad_nd(w, {0, blocks * 64 - n});
    torch::Tensor grouped = w.view({blocks, 64});
    torch::Tensor absmax = grouped.abs().amax(1);                                              // [blocks]
    torch::Tensor inverse = at::reciprocal(absmax).view({blocks, 1});
    torch::Tensor codes = torch::empty({blocks, 64}, w.options().dtype(torch::kUInt8));
    const int64_t chunk = 1 << 14;  // blocks per pass: [chunk, 64, 16] fp32 distances = 64 MiB
    for (int64_t start = 0; start < blocks; start += chunk) {
      int64_t len = std::min(chunk, blocks - start);
      torch::Tensor scaled = (grouped.narrow(0, start, len) * inverse.narrow(0, start, len)).clamp_(-1.0, 1.0);
      torch::Tensor nearest = (scaled.unsqueeze(-1) - codebook).abs_().argmin(-1);
      codes.narrow(0, start, len).copy_(nearest);
    }
    codes.masked_fill_((absmax == 0).view({blocks, 1}), 7);
    torch::Tensor flat = codes.view({-1});
    int64_t bytes = (n + 1) / 2;
    flat = flat.narrow(0, 0, 2 * bytes);
    if (n % 2 == 1) flat.select(0, 2 * bytes - 1).fill_(7);  // bitsandbytes pads an odd tensor with a 0.0 (code 7)
    torch::Tensor pairs = flat.view({bytes, 2});
    torch::Tensor packed = pairs.select(1, 0).bitwise_left_shift(4).bitwise_or_(pairs.select(1, 1));
    jlong out[2] = {adopt(packed.contiguous()), adopt(absmax)};
    jlongArray result = env->NewLongArray(2);
    env->SetLongArrayRegion(result, 0, 2, out);
    return result;
  })
}

// Runs body (Kernels$Checkpointed) on (x, a, b, c) under activation checkpointing (see CheckpointFunction).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_checkpoint(
    JNIEnv* env, jclass, jobject body, jlong x, jlong anchor, jlong a, jlong b, jlong c) {
  GUARD("checkpoint", 0, {
    jobject global = env->NewGlobalRef(body);
    auto opt = [](jlong h) { return h == 0 ? torch::Tensor() : tensor(h); };
    return adopt(CheckpointFunction::apply(tensor(x), tensor(anchor), opt(a), opt(b), opt(c),
                                           reinterpret_cast<int64_t>(global)));
  })
}


// A second owning handle of x (for handing a tensor to native code that outlives the Java array).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_share(JNIEnv* env, jclass, jlong x) {
  return adopt(tensor(x));
}

// Gemma's RMSNorm in fp32, returned in x's type: x / sqrt(mean(x^2) + eps) * scale, scale = 1 + weight (fp32).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_rmsNorm(
    JNIEnv* env, jclass, jlong x, jlong scale, jdouble eps) {
  GUARD("rmsNorm", 0, {
    const torch::Tensor& in = tensor(x);
    // autocast must not lower the fp32 normalisation (rms_norm is not on its fp32 list on every backend)
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    torch::Tensor out = at::rms_norm(in.to(torch::kFloat32), {in.size(-1)}, tensor(scale), eps);
    return adopt(out.to(in.scalar_type()));
  })
}

// PyTorch's gelu(approximate="tanh"), one kernel instead of eight.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_geluTanh(JNIEnv* env, jclass, jlong x) {
  GUARD("geluTanh", 0, { return adopt(at::gelu(tensor(x), "tanh")); })
}

// Fused attention. q [B,N,T,D], k/v [B,K,S,D] (K divides N: grouped-query), mask boolean, broadcastable to
// [B,1,T,S] (a [B,1,1,T,S] grouped-layout mask is accepted), true = visible. Masked scores get a large finite
// floor (mask_floor: finite in fp16 too), not -inf, so a query with no visible key (padding) gets uniform weights instead of NaN, as the
// pure-DJL path does. Returns [B,N,T,D] in q's type.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_attention(
    JNIEnv* env, jclass, jlong q, jlong k, jlong v, jlong mask, jdouble scale) {
  GUARD("attention", 0, {
    const torch::Tensor& query = tensor(q);
    torch::Tensor key = tensor(k);
    torch::Tensor value = tensor(v);
    // one common type (under autocast q/k/v may differ: rotary embedding in fp32, values in bf16)
    auto type = query.scalar_type();
    if (key.scalar_type() != type) key = key.to(type);
    if (value.scalar_type() != type) value = value.to(type);
    int64_t heads = query.size(1), kv_heads = key.size(1);
    if (heads != kv_heads) {
      int64_t groups = heads / kv_heads;
      auto expand = [&](const torch::Tensor& t) {
        return t.unsqueeze(2).expand({t.size(0), kv_heads, groups, t.size(2), t.size(3)})
            .reshape({t.size(0), heads, t.size(2), t.size(3)});
      };
      key = expand(key);
      value = expand(value);
    }
    std::optional<torch::Tensor> bias;
    if (mask != 0) {
      torch::Tensor m = tensor(mask);
      if (m.dim() == 5) m = m.squeeze(2);
      bias = at::where(m, at::scalar_tensor(0.0, query.options()),
                       at::scalar_tensor(mask_floor(query), query.options()));
    }
    return adopt(at::scaled_dot_product_attention(query, key, value, bias, 0.0, false, scale));
  })
}

// torch.optim.AdamW(foreach=True), one multi-tensor launch per stage instead of ~7 ops per parameter; every
// scalar travels as a kernel argument (no host-to-device copies).
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_adamW(
    JNIEnv* env, jclass, jlongArray params, jlongArray grads, jlongArray firsts, jlongArray seconds,
    jdouble lr, jdouble beta1, jdouble beta2, jdouble eps, jdouble weight_decay, jlong step) {
  GUARD("adamW", , {
    torch::NoGradGuard no_grad;
    auto p = tensors(env, params);
    auto g = tensors(env, grads);
    auto m = tensors(env, firsts);
    auto v = tensors(env, seconds);
    double bias1 = 1 - std::pow(beta1, (double) step);
    double bias2 = 1 - std::pow(beta2, (double) step);
    if (weight_decay != 0) at::_foreach_mul_(p, 1 - lr * weight_decay);
    at::_foreach_lerp_(m, g, 1 - beta1);
    at::_foreach_mul_(v, beta2);
    at::_foreach_addcmul_(v, g, g, 1 - beta2);
    auto denominator = at::_foreach_sqrt(v);
    at::_foreach_div_(denominator, std::sqrt(bias2));
    at::_foreach_add_(denominator, eps);
    at::_foreach_addcdiv_(p, m, denominator, -lr / bias1);
  })
}

// clip_grad_norm_: the joint L2 norm of all gradients, all scaled by min(1, max / (norm + 1e-6)) on the
// device; one read back (the returned norm). max_norm <= 0 measures only.
JNIEXPORT jdouble JNICALL Java_dev_tooltune_model_kernels_NativeTorch_clipGradNorm(
    JNIEnv* env, jclass, jlongArray grads, jdouble max_norm) {
  GUARD("clipGradNorm", 0.0, {
    torch::NoGradGuard no_grad;
    auto g = tensors(env, grads);
    if (g.empty()) return 0.0;
    auto norms = at::_foreach_norm(g, 2);
    torch::Tensor total = at::linalg_vector_norm(at::stack(norms).to(torch::kFloat64), 2);
    if (max_norm > 0) {
      torch::Tensor coefficient = (max_norm / (total + 1e-6)).clamp_max(1.0).to(g[0].scalar_type());
      // a non-finite norm leaves the gradients alone (the step is skipped by the caller)
      coefficient = at::where(at::isfinite(total), coefficient, at::ones_like(coefficient));
      at::_foreach_mul_(g, coefficient);
    }
    return total.item<double>();
  })
}

// bf16 autocast on this thread (CUDA and CPU): matrix products in bf16, reductions/softmax in fp32, the
// parameters themselves stay fp32 (the master weights).
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_setAutocast(JNIEnv* env, jclass, jboolean on) {
  GUARD("setAutocast", , {
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, on);
    at::autocast::set_autocast_enabled(at::kCPU, on);
    if (!on) at::autocast::clear_cache();
  })
}

// Drops autocast's cached bf16 casts of fp32 leaves on this thread. They carry no version: after an optimizer
// step they would still hold the old weights, so the trainer clears them once per step.
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_clearAutocastCache(JNIEnv* env, jclass) {
  GUARD("clearAutocastCache", , { at::autocast::clear_cache(); })
}

JNIEXPORT jboolean JNICALL Java_dev_tooltune_model_kernels_NativeTorch_autocast(JNIEnv* env, jclass) {
  return at::autocast::is_autocast_enabled(at::kCUDA) || at::autocast::is_autocast_enabled(at::kCPU);
}

// TF32 for fp32 matrix products (cuBLAS) and convolutions.
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_setTf32(JNIEnv* env, jclass, jboolean on) {
  GUARD("setTf32", , {
    at::globalContext().setAllowTF32CuBLAS(on);
    at::globalContext().setAllowTF32CuDNN(on);
  })
}

// x cast to bf16 (DJL 0.36's JNI has no bf16 type code; DJL reports such arrays as UNKNOWN).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_toBFloat16(JNIEnv* env, jclass, jlong x) {
  GUARD("toBFloat16", 0, { return adopt(tensor(x).to(torch::kBFloat16)); })
}

// x's bytes as bf16 (x fp16 or int16: same element size): bf16 checkpoint bytes arrive in an fp16 array, since
// DJL 0.36 cannot name bf16, and become bf16 weights without widening.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_viewAsBFloat16(JNIEnv* env, jclass, jlong x) {
  GUARD("viewAsBFloat16", 0, { return adopt(tensor(x).view(at::kBFloat16)); })
}

// x cast to fp32, keeping the autograd graph (DJL's toType runs under NoGradGuard and detaches).
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_toFloat32(JNIEnv* env, jclass, jlong x) {
  GUARD("toFloat32", 0, { return adopt(tensor(x).to(torch::kFloat32)); })
}

// x cast to like's type.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_castLike(JNIEnv* env, jclass, jlong x, jlong like) {
  GUARD("castLike", 0, { return adopt(tensor(x).to(tensor(like).scalar_type())); })
}

JNIEXPORT jstring JNICALL Java_dev_tooltune_model_kernels_NativeTorch_typeName(JNIEnv* env, jclass, jlong x) {
  return env->NewStringUTF(c10::toString(tensor(x).scalar_type()));
}

// CUDA memory statistics of the caching allocator (bytes); -1 without CUDA support.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_peakAllocatedBytes(JNIEnv* env, jclass, jint device) {
#ifdef TOOLTUNE_CUDA
  GUARD("peakAllocatedBytes", -1, {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    return (jlong) stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
  })
#else
  return -1;
#endif
}

JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_resetPeak(JNIEnv* env, jclass, jint device) {
#ifdef TOOLTUNE_CUDA
  GUARD("resetPeak", , {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device);
  })
#endif
}

JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_synchronize(JNIEnv* env, jclass) {
#ifdef TOOLTUNE_CUDA
  GUARD("synchronize", , { c10::cuda::device_synchronize(); })
#endif
}

JNIEXPORT jboolean JNICALL Java_dev_tooltune_model_kernels_NativeTorch_cuda(JNIEnv* env, jclass) {
#ifdef TOOLTUNE_CUDA
  return JNI_TRUE;
#else
  return JNI_FALSE;
#endif
}

}  // extern "C"
