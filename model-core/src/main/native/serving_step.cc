// The serving engine's decode step on the device: every running row's next token in one call, and on CUDA one
// graph replay per step. Java side: dev.tooltune.model.serving.DeviceBatch through Kernels.serving*.
//
//   rows = slots 0..B-1 (B a batch-size bucket: 1, 2, 4, ..., 128, then multiples of 128 up to the slot count)
//   ids, positions, adapters [B] int64 -> Gemma 3's stack for one token per row -> logits [B,V]
//     -> constraint bitsets and sampling for the rows that need them -> token ids [B] (the only copy to the host)
//
// The KV cache belongs to this step, in slots: per layer [slots, K, S, D] in the weights' type (bf16 on the GPU),
// S = capacity for full-attention layers and min(sliding_window, capacity) for sliding ones (a ring: token t at
// t % S, which holds exactly the window a query sees). Each row has its own length (its position), so rows of any
// lengths decode together; a row's masks come from its position alone. A prompt is prefilled elsewhere (the DJL
// path, a KvCache of its own) and copied into its slot (servingLoad).
//
// LoRA per row, as one dense product over the adapters in the batch: the adapters' A are stacked as rows
// [n*r, in] and their scaled B^T as [n*r, out] per projection (rank padded to the largest, zero where an adapter
// does not target the projection); a row's adapter index a (1..n; 0 = none) selects its r columns of x A^T with a
// one-hot mask [B, n*r], so
//     y = x W^T + ((x A^T) * onehot(a)) B^T
// costs two small products whose weight traffic is n*r*(in + out), the same for 1 or 128 rows, with no gather.
//
// Precision: products in the weights' type (bf16, or fp16: no finite floors anywhere, masks are boolean),
// RMSNorms, RoPE and the residual stream in fp32.
#include "jni_support.h"
#include <ATen/autocast_mode.h>
#ifdef TOOLTUNE_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif
#include <array>
#include <map>
#include <memory>
#include <optional>

namespace tooltune {
namespace {

using torch::Tensor;
using torch::indexing::Slice;

constexpr int kProjections = 7;  // q k v o gate up down
constexpr int kNorms = 6;        // q_norm k_norm input post_attention pre_feedforward post_feedforward

struct Captured {
  Tensor ids, positions, adapters, logits;  // static inputs and output of the graph
  int64_t runs = 0;
#ifdef TOOLTUNE_CUDA
  std::unique_ptr<at::cuda::CUDAGraph> graph;
#endif
};

struct ServingStep {
  int64_t layers = 0, heads = 0, kv_heads = 0, head_dim = 0, hidden = 0, vocab = 0, window = 0;
  double eps = 1e-6, embed_scale = 1.0, scaling = 1.0, final_softcap = 0.0;
  at::ScalarType type = at::kFloat;  // weights, products, KV cache
  std::vector<bool> sliding;
  Tensor embedding, head, final_scale, inv_freq_local, inv_freq_global;
  std::vector<std::array<Tensor, kProjections>> weights;
  std::vector<std::array<Tensor, kNorms>> norms;  // 1 + w, fp32

  int64_t slots = 0, capacity = 0, ring = 0;
  std::vector<Tensor> keys, values;  // per layer [slots, K, capacity | ring, D]

  int64_t rank = 0, adapter_capacity = 0;  // LoRA stacks: adapter_capacity blocks of rank rows
  std::vector<std::array<Tensor, kProjections>> lora_a, lora_b;  // [cap*r, in], [cap*r, out]; undefined = untargeted

  bool use_graphs = true;
  std::map<std::pair<int64_t, int64_t>, Captured> graphs;  // (rows bucket, adapter columns) -> graph
#ifdef TOOLTUNE_CUDA
  at::cuda::MempoolId_t pool{0, 0};  // one memory pool shared by all graphs (they never run at once)
#endif

  void drop_graphs() {
    graphs.clear();
#ifdef TOOLTUNE_CUDA
    pool = {0, 0};
#endif
  }
};

Tensor norm32(const Tensor& x, const Tensor& scale, double eps) {
  return at::rms_norm(x.to(at::kFloat), {x.size(-1)}, scale, eps);
}

// x [B,heads,D] fp32 rotated by the row's angles (cos/sin [B,1,D]).
Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  auto halves = x.chunk(2, -1);
  return x.mul(cos).add(at::cat({halves[1].neg(), halves[0]}, -1).mul(sin));
}

// Logits [B,V] of one token per row; writes each row's key/value at its position. Every shape depends only on
// B and `columns` (the adapters' stacked rank), so one CUDA graph serves every step of that bucket.
Tensor forward(ServingStep& m, const Tensor& ids, const Tensor& positions, const Tensor& adapters, int64_t columns) {
  torch::NoGradGuard no_grad;
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  int64_t b = ids.size(0);
  int64_t groups = m.heads / m.kv_heads;
  auto index_options = positions.options();
  Tensor x = at::embedding(m.embedding, ids).to(at::kFloat).mul(m.embed_scale);  // [B,H] fp32 residual stream

  Tensor angle_positions = positions.to(at::kFloat).unsqueeze(1);               // [B,1]
  auto cos_sin = [&](const Tensor& inv_freq) {
    Tensor angles = angle_positions.mul(inv_freq.unsqueeze(0));                  // [B,D/2]
    Tensor full = at::cat({angles, angles}, -1).unsqueeze(1);                    // [B,1,D]
    return std::make_pair(full.cos(), full.sin());
  };
  auto local = cos_sin(m.inv_freq_local);
  auto global = cos_sin(m.inv_freq_global);

  // What each row sees: full layers the slots up to its position, sliding layers the ring slots written so far
  // (all of them once the position passed the ring: the ring then holds exactly the window).
  Tensor rows = at::arange(b, index_options);
  Tensor full_slot = positions.clamp(0, m.capacity - 1);
  Tensor ring_slot = positions.remainder(m.ring);
  Tensor full_mask = at::arange(m.capacity, index_options).unsqueeze(0).le(positions.unsqueeze(1)).view({b, 1, 1, m.capacity});
  Tensor ring_mask = at::arange(m.ring, index_options).unsqueeze(0).le(positions.unsqueeze(1)).view({b, 1, 1, m.ring});

  Tensor onehot;  // [B, columns]: 1 on the columns of the row's adapter
  if (columns > 0) {
    Tensor column_adapter = at::arange(columns, index_options).div(m.rank, "floor").add(1);
    onehot = column_adapter.unsqueeze(0).eq(adapters.unsqueeze(1)).to(m.type);
  }
  auto project = [&](const Tensor& h, int64_t l, int p) {
    Tensor y = at::linear(h, m.weights[l][p]);                                  // [B,out]
    if (columns > 0 && m.lora_a[l][p].defined()) {
      Tensor low = at::linear(h, m.lora_a[l][p].narrow(0, 0, columns)).mul_(onehot);   // [B,n*r]
      y.add_(at::matmul(low, m.lora_b[l][p].narrow(0, 0, columns)));                  // [B,out]
    }
    return y;
  };

  for (int64_t l = 0; l < m.layers; l++) {
    const auto& n = m.norms[l];
    bool sliding = m.sliding[l];
    Tensor h = norm32(x, n[2], m.eps).to(m.type);                                   // [B,H]
    Tensor q = norm32(project(h, l, 0).view({b, m.heads, m.head_dim}), n[0], m.eps);   // [B,N,D] fp32
    Tensor k = norm32(project(h, l, 1).view({b, m.kv_heads, m.head_dim}), n[1], m.eps);
    Tensor v = project(h, l, 2).view({b, m.kv_heads, m.head_dim});
    const auto& cs = sliding ? local : global;
    q = rope(q, cs.first, cs.second).to(m.type);
    k = rope(k, cs.first, cs.second).to(m.type);
    const Tensor& slot = sliding ? ring_slot : full_slot;
    m.keys[l].index_put_({rows, Slice(), slot}, k);                                  // cache[r, :, slot_r] = k_r
    m.values[l].index_put_({rows, Slice(), slot}, v);
    // grouped-query attention without repeating K/V: a K/V head's G query heads are its G "query positions"
    Tensor context = at::scaled_dot_product_attention(
        q.view({b, m.kv_heads, groups, m.head_dim}), m.keys[l].narrow(0, 0, b), m.values[l].narrow(0, 0, b),
        sliding ? ring_mask : full_mask, 0.0, false, m.scaling);                     // [B,K,G,D]
    x = x.add(norm32(project(context.reshape({b, m.heads * m.head_dim}), l, 3), n[3], m.eps));
    h = norm32(x, n[4], m.eps).to(m.type);
    Tensor gated = at::gelu(project(h, l, 4), "tanh").mul(project(h, l, 5));
    x = x.add(norm32(project(gated, l, 6), n[5], m.eps));
  }
  Tensor logits = at::linear(norm32(x, m.final_scale, m.eps).to(m.type), m.head);  // [B,V]
  if (m.final_softcap > 0) logits = logits.to(at::kFloat).div(m.final_softcap).tanh().mul(m.final_softcap);
  return logits;
}

int64_t bucket_of(int64_t rows, int64_t slots) {
  int64_t b = 1;
  while (b < rows && b < 128) b *= 2;
  if (rows > 128) b = (rows + 127) / 128 * 128;
  return std::min(b, slots);
}

Tensor device_tensor(const std::vector<int64_t>& values, const at::Device& device) {
  Tensor host = torch::from_blob(const_cast<int64_t*>(values.data()), {(int64_t) values.size()}, at::kLong).clone();
  return host.to(device);
}

// Logits [B,V] for rows 0..B-1 (B = the bucket); on CUDA a graph per (bucket, adapter columns), captured at the
// bucket's second step (the first runs eagerly: lazy cuBLAS/attention initialisation stays out of the graph).
Tensor run(ServingStep& m, const Tensor& ids, const Tensor& positions, const Tensor& adapters, int64_t columns) {
#ifdef TOOLTUNE_CUDA
  if (ids.is_cuda() && m.use_graphs) {
    int64_t b = ids.size(0);
    Captured& g = m.graphs[{b, columns}];
    if (!g.ids.defined()) {
      g.ids = torch::zeros({b}, ids.options());
      g.positions = torch::zeros({b}, ids.options());
      g.adapters = torch::zeros({b}, ids.options());
    }
    g.ids.copy_(ids);
    g.positions.copy_(positions);
    g.adapters.copy_(adapters);
    if (!g.graph && g.runs++ >= 1) {
      auto graph = std::make_unique<at::cuda::CUDAGraph>();
      auto stream = at::cuda::getStreamFromPool();
      stream.synchronize();
      at::cuda::getCurrentCUDAStream().synchronize();
      {
        at::cuda::CUDAStreamGuard guard(stream);
        // thread-local capture: other threads (a trainer, a DJL prefill) may keep launching meanwhile
        graph->capture_begin(m.pool, cudaStreamCaptureModeThreadLocal);
        g.logits = forward(m, g.ids, g.positions, g.adapters, columns);
        graph->capture_end();
      }
      m.pool = graph->pool();
      g.graph = std::move(graph);
    }
    if (g.graph) {
      g.graph->replay();
      return g.logits;
    }
    return forward(m, g.ids, g.positions, g.adapters, columns);
  }
#endif
  return forward(m, ids, positions, adapters, columns);
}

// Tokens [n] of the rows `logits` [n,V] as the Java Sampler picks them (dev.tooltune.model.generation.Sampler):
// forbidden tokens at -inf (bitset words [n, ceil(V/64)], bit t = token t allowed), then greedy where the
// temperature is 0, else sort, top-k, softmax, top-p (a token stays while the mass before it is < top_p) and
// the inverse of the cumulative distribution at the row's uniform draw.
Tensor pick(const Tensor& logits, const Tensor& words, const Tensor& temperature, const Tensor& top_k,
            const Tensor& top_p, const Tensor& draws) {
  int64_t n = logits.size(0), v = logits.size(1);
  auto options = logits.options();
  Tensor shifts = at::arange(64, words.options());
  Tensor allowed = words.unsqueeze(-1).bitwise_right_shift(shifts).bitwise_and(1).view({n, -1}).narrow(1, 0, v).to(at::kBool);
  Tensor masked = logits.to(at::kFloat).masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  Tensor greedy = masked.argmax(-1);
  Tensor t = temperature.to(options.device()).unsqueeze(1);
  Tensor scaled = masked.div(t.clamp_min(1e-6));
  Tensor order = scaled.argsort(-1, true);                                                         // [n,V] best first
  Tensor sorted = scaled.gather(1, order);
  Tensor rank = at::arange(v, order.options()).unsqueeze(0);
  Tensor k = top_k.to(order.device()).unsqueeze(1);
  sorted = sorted.masked_fill(k.gt(0).logical_and(rank.ge(k)), -std::numeric_limits<float>::infinity());
  Tensor probabilities = sorted.softmax(-1);
  Tensor p = top_p.to(options.device()).unsqueeze(1);
  Tensor before = probabilities.cumsum(1).sub(probabilities);
  probabilities = at::where(p.ge(1.0).logical_or(before.lt(p)), probabilities, at::zeros_like(probabilities));
  Tensor cumulative = probabilities.cumsum(1);
  Tensor threshold = draws.to(options.device()).unsqueeze(1).mul(cumulative.narrow(1, v - 1, 1));
  Tensor below = cumulative.le(threshold).sum(1, true);
  Tensor last_kept = probabilities.gt(0).sum(1, true).sub(1);
  Tensor sampled = order.gather(1, at::minimum(below, last_kept)).view({n});
  return at::where(temperature.to(options.device()).gt(0), sampled, greedy);
}

void grow_adapters(ServingStep& m, int64_t rank, int64_t capacity) {
  if (rank <= m.rank && capacity <= m.adapter_capacity) return;
  int64_t new_rank = std::max(rank, m.rank), new_capacity = std::max(capacity, m.adapter_capacity);
  for (int64_t l = 0; l < m.layers; l++) {
    for (int p = 0; p < kProjections; p++) {
      for (auto* stack : {&m.lora_a[l][p], &m.lora_b[l][p]}) {
        if (!stack->defined()) continue;
        Tensor grown = torch::zeros({new_capacity * new_rank, stack->size(1)}, stack->options());
        for (int64_t i = 0; i < m.adapter_capacity; i++) {
          grown.narrow(0, i * new_rank, m.rank).copy_(stack->narrow(0, i * m.rank, m.rank));
        }
        *stack = grown;
      }
    }
  }
  m.rank = new_rank;
  m.adapter_capacity = new_capacity;
  m.drop_graphs();
}

// Copies the first `length` tokens of a one-row KvCache into `slot` (see servingLoad).
void load_slot(ServingStep& m, int64_t slot, const std::vector<Tensor>& kv, int64_t length) {
  torch::NoGradGuard no_grad;
  if (slot < 0 || slot >= m.slots) throw std::runtime_error("slot " + std::to_string(slot) + " outside the cache");
  if (length > m.capacity) throw std::runtime_error(std::to_string(length) + " tokens > slot capacity " + std::to_string(m.capacity));
  for (int64_t l = 0; l < m.layers; l++) {
    for (int which = 0; which < 2; which++) {
      const Tensor& source = kv[2 * l + which][0];                   // [K, S_src, D]
      Tensor target = (which == 0 ? m.keys[l] : m.values[l])[slot];  // [K, S, D]
      if (length == 0) continue;
      if (!m.sliding[l]) {
        target.narrow(1, 0, length).copy_(source.narrow(1, 0, length));
      } else {
        int64_t from = std::max<int64_t>(0, length - m.ring);
        auto options = torch::TensorOptions().dtype(at::kLong).device(source.device());
        Tensor tokens = at::arange(from, length, options);
        target.index_copy_(1, tokens.remainder(m.ring), source.index_select(1, tokens.remainder(source.size(1))).to(target.scalar_type()));
      }
    }
  }
}

// Puts an adapter's A and scaled B^T into block `index` (see servingAdapter).
void set_adapter(ServingStep& m, int64_t index, const std::vector<Tensor>& a, const std::vector<Tensor>& b, double scaling) {
  torch::NoGradGuard no_grad;
  if (index < 1) throw std::runtime_error("adapter index must be >= 1");
  if ((int64_t) a.size() != m.layers * kProjections || b.size() != a.size()) {
    throw std::runtime_error("expected " + std::to_string(m.layers * kProjections) + " A and B handles");
  }
  int64_t rank = 0;
  for (const auto& x : a) if (x.defined()) rank = std::max(rank, x.size(0));
  int64_t capacity = 1;
  while (capacity < index) capacity *= 2;
  grow_adapters(m, rank, capacity);
  for (int64_t l = 0; l < m.layers; l++) {
    for (int p = 0; p < kProjections; p++) {
      const Tensor& la = a[l * kProjections + p];
      const Tensor& lb = b[l * kProjections + p];
      Tensor& sa = m.lora_a[l][p];
      Tensor& sb = m.lora_b[l][p];
      if (!la.defined() && !sa.defined()) continue;
      if (!sa.defined()) {
        const Tensor& w = m.weights[l][p];  // [out, in]
        sa = torch::zeros({m.adapter_capacity * m.rank, w.size(1)}, w.options());
        sb = torch::zeros({m.adapter_capacity * m.rank, w.size(0)}, w.options());
        m.drop_graphs();  // captured graphs do not know this projection has LoRA now
      }
      Tensor block_a = sa.narrow(0, (index - 1) * m.rank, m.rank);
      Tensor block_b = sb.narrow(0, (index - 1) * m.rank, m.rank);
      block_a.zero_();
      block_b.zero_();
      if (la.defined()) {
        block_a.narrow(0, 0, la.size(0)).copy_(la);
        block_b.narrow(0, 0, lb.size(1)).copy_(lb.to(at::kFloat).t().mul(scaling));
      }
    }
  }
}

}  // namespace
}  // namespace tooltune

using tooltune::ServingStep;
using tooltune::tensor;

extern "C" {

// A serving step over the model's weights (held by reference) with a KV cache of `slots` rows of `capacity`
// tokens. tensors: embedding, head, final norm scale, local and global inverse frequencies, then per layer q k v o
// gate up down and the six norm scales. ints: layers, heads, kv heads, head dim, hidden, sliding window, slots,
// capacity, then one sliding flag per layer. doubles: rms eps, embedding scale, attention scaling, final softcap.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingCreate(
    JNIEnv* env, jclass, jlongArray tensor_handles, jlongArray int_values, jdoubleArray double_values) {
  GUARD("servingCreate", 0, {
    auto t = tooltune::tensors(env, tensor_handles);
    auto ints = tooltune::elements<int64_t>(env, int_values);
    auto doubles = tooltune::elements<double>(env, double_values);
    auto m = std::make_unique<ServingStep>();
    m->layers = ints[0];
    m->heads = ints[1];
    m->kv_heads = ints[2];
    m->head_dim = ints[3];
    m->hidden = ints[4];
    m->window = ints[5];
    m->slots = ints[6];
    m->capacity = ints[7];
    m->ring = std::min(m->window, m->capacity);
    for (int64_t l = 0; l < m->layers; l++) m->sliding.push_back(ints[8 + l] != 0);
    m->eps = doubles[0];
    m->embed_scale = doubles[1];
    m->scaling = doubles[2];
    m->final_softcap = doubles[3];
    size_t i = 0;
    m->embedding = t[i++];
    m->head = t[i++];
    m->final_scale = t[i++].to(at::kFloat);
    m->inv_freq_local = t[i++].reshape({-1}).to(at::kFloat);
    m->inv_freq_global = t[i++].reshape({-1}).to(at::kFloat);
    m->type = m->embedding.scalar_type();
    m->vocab = m->head.size(0);
    for (int64_t l = 0; l < m->layers; l++) {
      std::array<torch::Tensor, tooltune::kProjections> w;
      for (auto& x : w) x = t[i++];
      std::array<torch::Tensor, tooltune::kNorms> n;
      for (auto& x : n) x = t[i++].to(at::kFloat);
      m->weights.push_back(w);
      m->norms.push_back(n);
      auto options = m->embedding.options();
      int64_t length = m->sliding[l] ? m->ring : m->capacity;
      m->keys.push_back(torch::zeros({m->slots, m->kv_heads, length, m->head_dim}, options));
      m->values.push_back(torch::zeros({m->slots, m->kv_heads, length, m->head_dim}, options));
    }
    m->lora_a.resize(m->layers);
    m->lora_b.resize(m->layers);
    if (i != t.size()) {
      throw std::runtime_error(std::to_string(t.size()) + " tensors, expected " + std::to_string(i));
    }
    const char* graphs = std::getenv("TOOLTUNE_CUDA_GRAPHS");
    m->use_graphs = graphs == nullptr || std::string(graphs) != "0";
    return reinterpret_cast<jlong>(m.release());
  })
}

// Bytes of the step's KV cache.
JNIEXPORT jlong JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingKvBytes(JNIEnv* env, jclass, jlong step) {
  auto* m = reinterpret_cast<ServingStep*>(step);
  int64_t total = 0;
  for (size_t l = 0; l < m->keys.size(); l++) total += 2 * m->keys[l].numel() * m->keys[l].element_size();
  return total;
}

// Copies the first `length` tokens of a one-row KvCache (buffers: keys, values per layer, [1, K, S_l, D]; a
// sliding layer's buffer is a ring with token t at t % S_l) into slot `slot`.
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingLoad(
    JNIEnv* env, jclass, jlong step, jint slot, jlongArray buffers, jlong length) {
  GUARD("servingLoad", , {
    tooltune::load_slot(*reinterpret_cast<ServingStep*>(step), slot, tooltune::tensors(env, buffers), length);
  })
}

// Puts an adapter into block `index` (1-based; 0 is "no adapter" and has no block). a/b: per layer and
// projection (layer-major, q k v o gate up down) the LoRA A [r, in] and B [out, r], 0 where it does not target
// the projection. Stored as A and scaling * B^T, zero-padded to the largest rank.
JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingAdapter(
    JNIEnv* env, jclass, jlong step, jint index, jlongArray a_handles, jlongArray b_handles, jdouble scaling) {
  GUARD("servingAdapter", , {
    tooltune::set_adapter(*reinterpret_cast<ServingStep*>(step), index, tooltune::tensors(env, a_handles),
                          tooltune::tensors(env, b_handles), scaling);
  })
}

// One decode step of rows 0..rows-1 (slot r = row r; a free slot's row carries id 0 at position 0 and its output
// is ignored). ids, positions, adapters: [rows]; adapter_blocks: the highest adapter index in use (0 = none).
// special: the rows that are constrained or sampled, with their bitset words ([special * ceil(V/64)]; all ones
// for an unconstrained row), temperature (0 = greedy), top-k (0 = off), top-p and uniform draw. Returns the
// tokens of rows 0..rows-1.
JNIEXPORT jlongArray JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingStep(
    JNIEnv* env, jclass, jlong step, jint rows, jlongArray ids, jlongArray positions, jlongArray adapters,
    jint adapter_blocks, jlongArray special, jlongArray words, jfloatArray temperature, jintArray top_k,
    jfloatArray top_p, jfloatArray draws) {
  GUARD("servingStep", nullptr, {
    auto* m = reinterpret_cast<ServingStep*>(step);
    torch::NoGradGuard no_grad;
    if (rows < 1 || rows > m->slots) throw std::runtime_error(std::to_string(rows) + " rows for " + std::to_string(m->slots) + " slots");
    int64_t bucket = tooltune::bucket_of(rows, m->slots);
    auto padded = [&](jlongArray array) {
      auto values = tooltune::elements<int64_t>(env, array);
      values.resize(bucket, 0);
      return tooltune::device_tensor(values, m->embedding.device());
    };
    int64_t blocks = 0;
    if (adapter_blocks > 0) {
      blocks = 1;
      while (blocks < adapter_blocks) blocks *= 2;
      blocks = std::min(blocks, m->adapter_capacity);
    }
    torch::Tensor logits = tooltune::run(*m, padded(ids), padded(positions), padded(adapters), blocks * m->rank);
    torch::Tensor tokens = logits.narrow(0, 0, rows).argmax(-1);
    auto picked = tooltune::elements<int64_t>(env, special);
    if (!picked.empty()) {
      int64_t n = picked.size();
      auto device = m->embedding.device();
      torch::Tensor index = tooltune::device_tensor(picked, device);
      torch::Tensor bits = tooltune::device_tensor(tooltune::elements<int64_t>(env, words), device).view({n, -1});
      auto floats = [&](jfloatArray array) {
        auto values = tooltune::elements<float>(env, array);
        return torch::from_blob(values.data(), {n}, at::kFloat).clone().to(device);
      };
      auto k_values = tooltune::elements<int32_t>(env, top_k);
      torch::Tensor k = torch::from_blob(k_values.data(), {n}, at::kInt).to(at::kLong).to(device);
      torch::Tensor chosen = tooltune::pick(logits.index_select(0, index), bits, floats(temperature), k,
                                            floats(top_p), floats(draws));
      tokens.index_copy_(0, index, chosen);
    }
    torch::Tensor host = tokens.to(at::kCPU).contiguous();
    jlongArray out = env->NewLongArray(rows);
    env->SetLongArrayRegion(out, 0, rows, reinterpret_cast<const jlong*>(host.data_ptr<int64_t>()));
    return out;
  })
}

JNIEXPORT void JNICALL Java_dev_tooltune_model_kernels_NativeTorch_servingFree(JNIEnv* env, jclass, jlong step) {
  delete reinterpret_cast<ServingStep*>(step);
}

}  // extern "C"
