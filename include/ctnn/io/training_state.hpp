#pragma once
/// \file
/// Resumable training checkpoints: the network's parameters and buffers (under their state_dict
/// names, so the file also loads as plain weights in PyTorch), the optimizer's state buffers
/// ("optimizer.exp_avg.0.weight", ...), and in the metadata the optimizer's step count and the
/// trainer's position (epoch, batch, RNG state, and any other values it needs). Resuming from it
/// continues bit for bit as if training had not stopped. Written atomically.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ctnn/io/checkpoint.hpp"
#include "ctnn/io/file_error.hpp"
#include "ctnn/io/safetensors.hpp"
#include "ctnn/optim/optimizer.hpp"

namespace ctnn::io {

/// Where training stands; `values` holds whatever else the trainer must restore.
struct TrainingProgress {
  int epoch = 1;                 ///< the epoch in progress (1-based)
  std::size_t batches_done = 0;  ///< batches of `epoch` already trained
  std::uint64_t rng_state = 0;   ///< the shuffling RNG's state at the start of `epoch`
  std::map<std::string, std::string> values;
};

/// Exact text for a double (hexadecimal float), so sums survive a round trip unchanged.
inline std::string exact_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}
inline double parse_exact_double(const std::string& s) {
  return std::strtod(s.c_str(), nullptr);
}

template <class Net, Optimizer Opt>
void save_training_state(const std::filesystem::path& path, Net& net, Opt& opt,
                         const TrainingProgress& progress) {
  using T = typename Net::scalar_type;
  auto tensors = state_tensors<Net>(net.parameters(), buffers_of(net));
  auto buffers = opt.state_buffers();
  for (const auto& b : buffers)
    tensors.push_back({"optimizer." + b.name, safetensors_dtype_of<T>(), b.shape, b.values->data(),
                       b.values->size() * sizeof(T)});
  auto meta = checkpoint_metadata<Net>("training");
  meta["optimizer"] = Opt::kind;
  meta["optimizer_steps"] = std::to_string(opt.step_count());
  meta["epoch"] = std::to_string(progress.epoch);
  meta["batches_done"] = std::to_string(progress.batches_done);
  meta["rng_state"] = std::to_string(progress.rng_state);
  for (const auto& [k, v] : progress.values)
    meta["trainer." + k] = v;
  write_safetensors(path, tensors, meta);
}

/// Restores net and optimizer from a training checkpoint. Checks everything (network,
/// optimizer kind, every tensor's name and shape) before changing anything.
template <class Net, Optimizer Opt>
TrainingProgress load_training_state(const std::filesystem::path& path, Net& net, Opt& opt) {
  const SafetensorsFile file(path);
  const auto& meta = file.metadata();
  auto get = [&](const std::string& key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end())
      throw FileError(path, "not a ctnn training checkpoint: metadata has no '" + key + "'");
    return it->second;
  };
  if (get("ctnn_checkpoint") != "training")
    throw FileError(path, "not a training checkpoint (it holds " + get("ctnn_checkpoint") + ")");
  if (get("optimizer") != Opt::kind)
    throw FileError(path,
                    "saved with optimizer " + get("optimizer") + ", resuming with " + Opt::kind);
  auto params = net.parameters();
  auto net_buffers = buffers_of(net);
  check_state_match(file, params, net_buffers, Net::name(), "", /*allow_extra=*/true);
  auto buffers = opt.state_buffers();
  const std::size_t expected = params.size() + net_buffers.size() + buffers.size();
  for (const auto& b : buffers) {
    const std::string name = "optimizer." + b.name;
    if (!file.contains(name)) throw FileError(path, "missing optimizer tensor '" + name + "'");
    if (file.entry(name).shape != b.shape)
      throw FileError(path, "tensor '" + name + "': expected shape " + shape_string(b.shape) +
                                ", found " + shape_string(file.entry(name).shape));
    const auto& dtype = file.entry(name).dtype;
    if (dtype != "F32" && dtype != "F64")
      throw FileError(path, "tensor '" + name + "': dtype " + dtype + ", expected F32 or F64");
    check_finite(file, name);
  }
  if (file.tensors().size() != expected)
    throw FileError(path, "holds " + std::to_string(file.tensors().size()) + " tensors, expected " +
                              std::to_string(expected) +
                              " (parameters, buffers and optimizer state)");
  auto parse_u64 = [&](const std::string& key) {
    const std::string& s = get(key);
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] < '0' || s[0] > '9' || *end || errno == ERANGE)
      throw FileError(path, "metadata '" + key + "' is not a number: " + s);
    return std::uint64_t(v);
  };
  TrainingProgress progress;
  progress.epoch = int(parse_u64("epoch"));
  progress.batches_done = std::size_t(parse_u64("batches_done"));
  progress.rng_state = parse_u64("rng_state");
  const std::size_t steps = std::size_t(parse_u64("optimizer_steps"));
  for (const auto& [k, v] : meta)
    if (k.rfind("trainer.", 0) == 0) progress.values[k.substr(8)] = v;
  // Everything checked: now change the network and the optimizer.
  for (auto& p : params)
    file.read_values(p.name, p.value);
  read_buffers(file, net_buffers);
  for (auto& b : buffers)
    file.read_values("optimizer." + b.name, b.values->data());
  opt.set_step_count(steps);
  return progress;
}

}  // namespace ctnn::io
