// What every JNI file of libtooltune_torch shares: DJL tensor handles in and out, C++ exceptions as Java ones.
//
// Handles: DJL's PtNDArray holds a `torch::Tensor*` made with `new` (see DJL's djl_pytorch_utils.h); we read
// them the same way and return new tensors as `new torch::Tensor(...)`, which PtNDArray(manager, handle) adopts
// and DJL's torchDeleteNDArray frees.
#pragma once
#include <jni.h>
#include <torch/torch.h>
#include <string>
#include <vector>

namespace tooltune {

inline torch::Tensor& tensor(jlong handle) { return *reinterpret_cast<torch::Tensor*>(handle); }

inline jlong adopt(torch::Tensor t) { return reinterpret_cast<jlong>(new torch::Tensor(std::move(t))); }

inline std::vector<torch::Tensor> tensors(JNIEnv* env, jlongArray handles) {
  jsize n = env->GetArrayLength(handles);
  std::vector<torch::Tensor> out;
  out.reserve(n);
  jlong* raw = env->GetLongArrayElements(handles, nullptr);
  for (jsize i = 0; i < n; i++) out.push_back(raw[i] == 0 ? torch::Tensor() : tensor(raw[i]));
  env->ReleaseLongArrayElements(handles, raw, JNI_ABORT);
  return out;
}

template <typename T, typename ArrayT>
std::vector<T> elements(JNIEnv* env, ArrayT array) {
  if (array == nullptr) return {};
  jsize n = env->GetArrayLength(array);
  std::vector<T> out(n);
  if constexpr (std::is_same_v<ArrayT, jlongArray>) env->GetLongArrayRegion(array, 0, n, reinterpret_cast<jlong*>(out.data()));
  else if constexpr (std::is_same_v<ArrayT, jintArray>) env->GetIntArrayRegion(array, 0, n, reinterpret_cast<jint*>(out.data()));
  else if constexpr (std::is_same_v<ArrayT, jfloatArray>) env->GetFloatArrayRegion(array, 0, n, reinterpret_cast<jfloat*>(out.data()));
  else env->GetDoubleArrayRegion(array, 0, n, reinterpret_cast<jdouble*>(out.data()));
  return out;
}

inline void rethrow(JNIEnv* env, const char* what, const std::exception& e) {
  std::string message = std::string(what) + ": " + e.what();
  jclass type = env->FindClass("java/lang/IllegalStateException");
  env->ThrowNew(type, message.substr(0, 4000).c_str());
}

}  // namespace tooltune

#define GUARD(name, fallback, ...) \
  try { __VA_ARGS__ } catch (const std::exception& e) { tooltune::rethrow(env, name, e); return fallback; }
