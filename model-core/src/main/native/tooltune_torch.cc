// ToolTune's native kernels: a small JNI library against libtorch, next to DJL's own JNI (libdjl_torch).
//
// Handles: DJL's PtNDArray holds a `torch::Tensor*` made with `new` (see DJL's djl_pytorch_utils.h); we read
// them the same way and return new tensors as `new torch::Tensor(...)`, which PtNDArray(manager, handle) adopts
// and DJL's torchDeleteNDArray frees. Everything runs through libtorch's dispatcher, so autograd records these
// ops (backward comes for free) and autocast applies, exactly as for DJL's own calls.
//
// Built by scripts/gpu/build-native.sh against the machine's torch; with -DTOOLTUNE_CUDA it also reports
// CUDA memory statistics. Java side: dev.tooltune.model.kernels.NativeTorch.
#include <jni.h>
#include <torch/torch.h>
#include <ATen/autocast_mode.h>
#ifdef TOOLTUNE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif
#include <string>
#include <vector>

namespace {

torch::Tensor& tensor(jlong handle) { return *reinterpret_cast<torch::Tensor*>(handle); }

jlong adopt(torch::Tensor t) { return reinterpret_cast<jlong>(new torch::Tensor(std::move(t))); }

std::vector<torch::Tensor> tensors(JNIEnv* env, jlongArray handles) {
  jsize n = env->GetArrayLength(handles);
  std::vector<torch::Tensor> out;
  out.reserve(n);
  jlong* raw = env->GetLongArrayElements(handles, nullptr);
  for (jsize i = 0; i < n; i++) out.push_back(tensor(raw[i]));
  env->ReleaseLongArrayElements(handles, raw, JNI_ABORT);
  return out;
}

void rethrow(JNIEnv* env, const char* what, const std::exception& e) {
  std::string message = std::string(what) + ": " + e.what();
  jclass type = env->FindClass("java/lang/IllegalStateException");
  env->ThrowNew(type, message.substr(0, 4000).c_str());
}

#define GUARD(name, fallback, ...) \
  try { __VA_ARGS__ } catch (const std::exception& e) { rethrow(env, name, e); return fallback; }

}  // namespace

extern "C" {

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
// floor, not -inf, so a query with no visible key (padding) gets uniform weights instead of NaN, as the
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
                       at::scalar_tensor(-1e30, query.options()));
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
