// ToolTune's training kernels: the parts of a LoRA/QLoRA training step that the DJL path spells out op by op,
// as single libtorch calls with their own backward. Same library as tooltune_torch.cc (scripts/gpu/build-native.sh
// links every .cc of this folder into libtooltune_torch.so); Java side: dev.tooltune.model.kernels.TrainingKernels.
//
//   linearCrossEntropy  the tied head and the token-weighted loss, chunk by chunk: never [N, V] logits at once, no
//                       logits saved for backward (the input gradient is formed chunk by chunk in the forward)
//   sequenceBounds      cumulative sequence lengths of a packed batch (segment ids -> cu_seqlens)
//   varlenAttention     flash attention over packed sequences: no padding, no mask tensor, no attention across
//                       examples, grouped-query K/V without copies, Gemma's sliding window as flash's window
//   rotary              RoPE in fp32, result in x's type (one call instead of eight DJL ops)
//   geluGate            gelu_tanh(gate) * up, saving gate and up only (gelu recomputed in the backward)
//   rmsNorm             Gemma's RMSNorm in fp32 saving x in its own type and the fp32 reciprocal RMS (not an fp32
//                       copy of x), optionally with the residual added after it
//   profileStart/Stop   the kineto profiler (CPU and CUDA activities), written as a chrome trace
//
// Handles are DJL PtNDArray handles (torch::Tensor* made with new); results are adopted by PtNDArray.
#include <jni.h>
#include <torch/torch.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <optional>
#include <string>
#include <unordered_map>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor& tensor(jlong handle) { return *reinterpret_cast<torch::Tensor*>(handle); }

jlong adopt(torch::Tensor t) { return reinterpret_cast<jlong>(new torch::Tensor(std::move(t))); }

void rethrow(JNIEnv* env, const char* what, const std::exception& e) {
  std::string message = std::string(what) + ": " + e.what();
  env->ThrowNew(env->FindClass("java/lang/IllegalStateException"), message.substr(0, 4000).c_str());
}

#define GUARD(name, fallback, ...) \
  try { __VA_ARGS__ } catch (const std::exception& e) { rethrow(env, name, e); return fallback; }

// bf16 (the autocast type) when autocast is on for x's device, else x's own type
at::ScalarType compute_type(const torch::Tensor& x) {
  auto device = x.device().type();
  if (at::autocast::is_autocast_enabled(device)) return at::autocast::get_autocast_dtype(device);
  return x.scalar_type();
}

// ---------------------------------------------------------------- the loss

// sum_i w_i * (logsumexp(z_i) - z_i[t_i]) with z = cap * tanh(h W^T / cap) (or h W^T), rows `chunk` at a time.
// Per chunk: one [c, V] product in the compute type, then fp32 in place: logsumexp, softmax, minus one at the
// target, times w_i (times the soft-cap's derivative), and the chunk's input gradient (and weight gradient when
// the head is trained) at once. Autograd keeps only the [N, H] input gradient, which backward scales by the
// incoming gradient: no [N, V] tensor lives beyond one chunk.
struct LinearCrossEntropy : public torch::autograd::Function<LinearCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight, torch::Tensor targets,
                               torch::Tensor weights, double softcap, int64_t chunk) {
    at::ScalarType type = compute_type(hidden);
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    torch::Tensor h = hidden.to(type);
    torch::Tensor w = weight.to(type);
    bool want_h = hidden.requires_grad();
    bool want_w = weight.requires_grad();
    int64_t n = h.size(0);
    torch::Tensor grad_h = want_h ? torch::empty_like(hidden) : torch::Tensor();
    torch::Tensor grad_w = want_w ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
    torch::Tensor total = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    for (int64_t start = 0; start < n; start += chunk) {
      int64_t c = std::min(chunk, n - start);
      torch::Tensor hc = h.narrow(0, start, c);                                           // [c, H]
      torch::Tensor z = at::matmul(hc, w.t()).to(torch::kFloat32);                        // [c, V] fp32
      torch::Tensor capped;
      if (softcap > 0) {
        capped = z.div_(softcap).tanh_();                                                 // t = tanh(z / cap)
        z = capped.mul(softcap);
      }
      torch::Tensor index = targets.narrow(0, start, c).to(torch::kLong).unsqueeze(1);    // [c, 1]
      torch::Tensor wc = weights.narrow(0, start, c).to(torch::kFloat32);                 // [c]
      torch::Tensor lse = at::logsumexp(z, {1});                                          // [c]
      torch::Tensor picked = z.gather(1, index).squeeze(1);                               // [c]
      total.add_(((lse - picked) * wc).sum());
      if (!want_h && !want_w) continue;
      torch::Tensor p = z.sub_(lse.unsqueeze(1)).exp_();                                  // softmax, in place
      p.scatter_add_(1, index, torch::full({c, 1}, -1.0f, p.options()));                  // minus one-hot
      p.mul_(wc.unsqueeze(1));
      if (softcap > 0) p.mul_(capped.square_().neg_().add_(1.0));                        // d cap tanh(z/cap) / dz
      torch::Tensor d = p.to(type);                                                       // [c, V]
      if (want_h) grad_h.narrow(0, start, c).copy_(at::matmul(d, w));                    // [c, H]
      if (want_w) grad_w.add_(at::matmul(d.t(), hc).to(torch::kFloat32));                // [V, H]
    }
    ctx->save_for_backward({grad_h, grad_w});
    return total;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor g = grads[0];
    torch::Tensor grad_h = saved[0].defined() ? saved[0].mul(g.to(saved[0].scalar_type())) : torch::Tensor();
    torch::Tensor grad_w = saved[1].defined() ? saved[1].mul(g) : torch::Tensor();
    return {grad_h, grad_w, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// ---------------------------------------------------------------- packed sequences and flash attention

// segments [B, T] (ids per row, 0 = padding) -> cu_seqlens int32 [S + 1] over the flattened B*T tokens: a new
// sequence starts at every row start and wherever the segment id changes. Padding runs become sequences of their
// own (their outputs are never trained on), so every token is covered and no reshaping is needed.
torch::Tensor sequence_bounds(const torch::Tensor& segments) {
  torch::NoGradGuard no_grad;
  torch::Tensor flat = segments.reshape({-1});
  int64_t length = segments.size(1);
  torch::Tensor index = torch::arange(flat.numel(), flat.options().dtype(torch::kLong));
  torch::Tensor starts = index.remainder(length).eq(0).logical_or_(flat.ne(flat.roll(1)));
  torch::Tensor first = starts.nonzero().reshape({-1});
  torch::Tensor end = torch::full({1}, flat.numel(), first.options());
  return torch::cat({first, end}).to(torch::kInt);
}

// Calls an ATen operator through the dispatcher by argument name: arguments not named take their schema default.
// The flash attention operators' signatures change between torch releases (optional arguments added, renamed);
// this binds to whatever the loaded libtorch has, instead of the headers' overloads at compile time.
torch::jit::Stack call_op(const char* name, const std::unordered_map<std::string, c10::IValue>& args) {
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
  torch::jit::Stack stack;
  for (const auto& argument : op.schema().arguments()) {
    auto given = args.find(argument.name());
    if (given != args.end()) {
      stack.push_back(given->second);
    } else if (argument.default_value()) {
      stack.push_back(*argument.default_value());
    } else {
      throw std::runtime_error(std::string(name) + " has an argument '" + argument.name() + "' we do not know");
    }
  }
  op.callBoxed(&stack);
  return stack;
}

// Whether this libtorch's flash attention takes a sliding window (window_size_left), which Gemma's sliding layers need.
bool flash_has_window() {
  auto op = c10::Dispatcher::singleton().findSchema({"aten::_flash_attention_backward", ""});
  if (!op) return false;
  for (const auto& argument : op->schema().arguments()) {
    if (argument.name() == "window_size_left") return true;
  }
  return false;
}

// q [total, N, D], k/v [total, K, D] (bf16/fp16), causal within each sequence of cu_seqlens, keys at most
// window_left positions back when window_left >= 0. ATen's flash kernels, forward and backward.
struct VarlenAttention : public torch::autograd::Function<VarlenAttention> {
  static c10::IValue left(int64_t window_left) { return window_left >= 0 ? c10::IValue(window_left) : c10::IValue(); }
  static c10::IValue right(int64_t window_left) { return window_left >= 0 ? c10::IValue(int64_t{0}) : c10::IValue(); }

  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor q, torch::Tensor k, torch::Tensor v,
                               torch::Tensor cu_seqlens, int64_t max_length, double scale, int64_t window_left) {
    auto out = call_op("aten::_flash_attention_forward",
                       {{"query", q}, {"key", k}, {"value", v}, {"cum_seq_q", cu_seqlens}, {"cum_seq_k", cu_seqlens},
                        {"max_q", max_length}, {"max_k", max_length}, {"dropout_p", 0.0}, {"is_causal", true},
                        {"return_debug_mask", false}, {"scale", scale}, {"window_size_left", left(window_left)},
                        {"window_size_right", right(window_left)}});
    // (output, softmax_logsumexp, rng_state, unused, debug_attn_mask)
    torch::Tensor output = out[0].toTensor();
    ctx->save_for_backward({q, k, v, cu_seqlens, output, out[1].toTensor(), out[2].toTensor(), out[3].toTensor()});
    ctx->saved_data["max_length"] = max_length;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["window_left"] = window_left;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    int64_t max_length = ctx->saved_data["max_length"].toInt();
    int64_t window_left = ctx->saved_data["window_left"].toInt();
    auto d = call_op("aten::_flash_attention_backward",
                     {{"grad_out", grads[0].contiguous()}, {"query", s[0]}, {"key", s[1]}, {"value", s[2]},
                      {"out", s[4]}, {"logsumexp", s[5]}, {"cum_seq_q", s[3]}, {"cum_seq_k", s[3]},
                      {"max_q", max_length}, {"max_k", max_length}, {"dropout_p", 0.0}, {"is_causal", true},
                      {"rng_state", s[6]}, {"philox_seed", s[6]}, {"unused", s[7]}, {"philox_offset", s[7]},
                      {"scale", ctx->saved_data["scale"].toDouble()}, {"window_size_left", left(window_left)},
                      {"window_size_right", right(window_left)}});
    return {d[0].toTensor(), d[1].toTensor(), d[2].toTensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

// ---------------------------------------------------------------- elementwise pieces with lean backward

// gelu_tanh(gate) * up; autograd keeps gate and up (not gelu(gate) as well), gelu is recomputed in the backward
struct GeluGate : public torch::autograd::Function<GeluGate> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor gate, torch::Tensor up) {
    ctx->save_for_backward({gate, up});
    return at::gelu(gate, "tanh").mul_(up);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    torch::Tensor g = grads[0];
    torch::Tensor grad_gate = at::gelu_backward(g * s[1], s[0], "tanh");
    torch::Tensor grad_up = g * at::gelu(s[0], "tanh");
    return {grad_gate, grad_up};
  }
};

// y = x / rms(x) * scale in fp32, cast to x's type (plus residual when given). Autograd keeps x in its own type
// and the fp32 reciprocal RMS per row, instead of the fp32 copy of x that rms_norm(x.float()) keeps.
struct RmsNorm : public torch::autograd::Function<RmsNorm> {
  // without a residual, `residual` is x again and gets no gradient (undefined tensors are no autograd inputs)
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor scale, torch::Tensor residual,
                               bool has_residual, double eps) {
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    torch::Tensor xf = x.to(torch::kFloat32);
    torch::Tensor rstd = xf.square().mean({-1}, true).add_(eps).rsqrt_();                 // [..., 1]
    torch::Tensor y = (xf * rstd * scale).to(x.scalar_type());                             // never in place on x
    ctx->save_for_backward({x, scale, rstd});
    ctx->saved_data["residual"] = has_residual;
    return has_residual ? y.add(residual) : y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    auto s = ctx->get_saved_variables();
    const torch::Tensor& x = s[0];
    const torch::Tensor& scale = s[1];
    const torch::Tensor& rstd = s[2];
    torch::Tensor g = grads[0].to(torch::kFloat32);
    torch::Tensor xhat = x.to(torch::kFloat32) * rstd;                                   // [..., D], x untouched
    torch::Tensor gs = g * scale;
    torch::Tensor dx = (gs - xhat * (gs * xhat).mean({-1}, true)).mul_(rstd).to(x.scalar_type());
    torch::Tensor dscale;
    if (scale.requires_grad()) dscale = (g * xhat).reshape({-1, x.size(-1)}).sum(0).to(scale.scalar_type());
    torch::Tensor dresidual = ctx->saved_data["residual"].toBool() ? grads[0] : torch::Tensor();
    return {dx, dscale, dresidual, torch::Tensor(), torch::Tensor()};
  }
};

// RoPE: x * cos + rotate_half(x) * sin in fp32 (cos/sin broadcastable to x), result in x's type
torch::Tensor rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  torch::Tensor xf = x.to(torch::kFloat32);
  auto halves = xf.chunk(2, -1);
  torch::Tensor rotated = torch::cat({halves[1].neg(), halves[0]}, -1);
  return xf.mul(cos.to(torch::kFloat32)).add_(rotated.mul(sin.to(torch::kFloat32))).to(x.scalar_type());
}

}  // namespace

extern "C" {

// Present when this file is linked in: Java probes it before using anything below.
JNIEXPORT jint JNICALL Java_dev_tooltune_model_kernels_TrainingNative_version(JNIEnv*, jclass) { return 1; }

// Whether varlenAttention can run here: flash attention with a sliding window in this libtorch, and a CUDA build.
JNIEXPORT jboolean JNICALL Java_dev_tooltune_model_kernels_TrainingNative_varlenSupported(JNIEnv* env, jclass) {
  GUARD("varlenSupported", false, { return torch::cuda::is_available() && flash_has_window(); })
}

// hidden [N, H] (with graph), weight [V, H], targets [N] int64, weights [N] fp32 -> fp32 scalar (weighted sum)
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_linearCrossEntropy(
    JNIEnv* env, jclass, jlong hidden, jlong weight, jlong targets, jlong weights, jdouble softcap, jlong chunk) {
  GUARD("linearCrossEntropy", 0, {
    return adopt(LinearCrossEntropy::apply(tensor(hidden), tensor(weight), tensor(targets), tensor(weights), softcap,
                                           static_cast<int64_t>(chunk)));
  })
}

JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_sequenceBounds(JNIEnv* env, jclass, jlong segments) {
  GUARD("sequenceBounds", 0, { return adopt(sequence_bounds(tensor(segments))); })
}

// q [B, T, N, D], k/v [B, T, K, D] (any float type: cast to the compute type, bf16 under autocast), cu_seqlens from
// sequenceBounds -> [B, T, N * D]
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_varlenAttention(
    JNIEnv* env, jclass, jlong q, jlong k, jlong v, jlong cu_seqlens, jlong max_length, jdouble scale,
    jlong window_left) {
  GUARD("varlenAttention", 0, {
    const torch::Tensor& query = tensor(q);
    at::ScalarType type = compute_type(query);
    if (type != at::kBFloat16 && type != at::kHalf) type = at::kBFloat16;
    int64_t b = query.size(0), t = query.size(1), heads = query.size(2), dim = query.size(3);
    int64_t kv_heads = tensor(k).size(2);
    auto flat = [&](const torch::Tensor& x, int64_t h) { return x.to(type).reshape({b * t, h, dim}).contiguous(); };
    torch::Tensor out = VarlenAttention::apply(flat(query, heads), flat(tensor(k), kv_heads), flat(tensor(v), kv_heads),
                                               tensor(cu_seqlens), max_length, scale, window_left);
    return adopt(out.reshape({b, t, heads * dim}));
  })
}

JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_rotary(
    JNIEnv* env, jclass, jlong x, jlong cos, jlong sin) {
  GUARD("rotary", 0, { return adopt(rotary(tensor(x), tensor(cos), tensor(sin))); })
}

JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_geluGate(JNIEnv* env, jclass, jlong gate, jlong up) {
  GUARD("geluGate", 0, {
    // one type for both (under autocast both are bf16 products already)
    const torch::Tensor& g = tensor(gate);
    torch::Tensor u = tensor(up);
    if (u.scalar_type() != g.scalar_type()) u = u.to(g.scalar_type());
    return adopt(GeluGate::apply(g, u));
  })
}

// residual may be 0 (none): y = rms_norm(x) * scale (+ residual)
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_TrainingNative_rmsNorm(
    JNIEnv* env, jclass, jlong x, jlong scale, jlong residual, jdouble eps) {
  GUARD("rmsNorm", 0, {
    const torch::Tensor& in = tensor(x);
    return adopt(RmsNorm::apply(in, tensor(scale), residual == 0 ? in : tensor(residual), residual != 0, eps));
  })
}

JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_TrainingNative_profileStart(JNIEnv* env, jclass, jboolean cuda) {
  GUARD("profileStart", , {
    namespace impl = torch::profiler::impl;
    impl::ProfilerConfig config(impl::ProfilerState::KINETO);
    std::set<impl::ActivityType> activities{impl::ActivityType::CPU};
    if (cuda) activities.insert(impl::ActivityType::CUDA);
    torch::autograd::profiler::prepareProfiler(config, activities);
    torch::autograd::profiler::enableProfiler(config, activities);
  })
}

JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_TrainingNative_profileStop(JNIEnv* env, jclass, jstring path) {
  GUARD("profileStop", , {
    const char* chars = env->GetStringUTFChars(path, nullptr);
    std::string file(chars);
    env->ReleaseStringUTFChars(path, chars);
    auto result = torch::autograd::profiler::disableProfiler();
    result->save(file);
  })
}

}  // extern "C"
