#pragma once
/// \file
/// Saving and loading a network's weights as safetensors, with PyTorch's state_dict names
/// ("0.weight", "2.body.0.bias") and layouts, so `torch.load`-free Python can read them and
/// weights trained in PyTorch load into ctnn. The metadata records the ctnn network
/// (`Net::name()`) and version. Loading checks every tensor's name, dtype and shape against the
/// network, and that its values are finite, before changing anything, and reports the first
/// mismatch.

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ctnn/core/parameter.hpp"
#include "ctnn/io/file_error.hpp"
#include "ctnn/io/safetensors.hpp"
#include "ctnn/version.hpp"

namespace ctnn::io {

template <class T>
constexpr const char* safetensors_dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return "F32";
  else if constexpr (std::is_same_v<T, double>)
    return "F64";
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return "U8";
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return "I64";
  else
    static_assert(sizeof(T) == 0, "no safetensors dtype for this type");
}

/// The safetensors tensors of a parameter list (no copy: they point into the parameters).
template <class T>
std::vector<SafetensorsTensor> parameter_tensors(const ParameterList<T>& params,
                                                 const std::string& prefix = "") {
  std::vector<SafetensorsTensor> out;
  for (const auto& p : params)
    out.push_back(
        {prefix + p.name, safetensors_dtype_of<T>(), p.shape, p.value, p.size * sizeof(T)});
  return out;
}

/// Metadata entries every ctnn checkpoint carries.
template <class Net>
std::map<std::string, std::string> checkpoint_metadata(const std::string& kind = "weights") {
  return {{"format", "pt"},
          {"ctnn_version", ctnn::version_string},
          {"ctnn_network", Net::name()},
          {"ctnn_checkpoint", kind}};
}

/// Writes the network's parameters to `path` (atomically).
template <class Net>
void save_weights(Net& net, const std::filesystem::path& path,
                  std::map<std::string, std::string> extra_metadata = {}) {
  auto metadata = checkpoint_metadata<Net>();
  metadata.insert(extra_metadata.begin(), extra_metadata.end());
  write_safetensors(path, parameter_tensors(net.parameters()), metadata);
}

/// Throws FileError naming the tensor and the index of its first NaN or infinite value. (A
/// network loaded with one would compute NaN everywhere, silently.)
inline void check_finite(const SafetensorsFile& file, const std::string& name) {
  const auto values = file.values<double>(name);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw FileError(file.path(), "tensor '" + name + "' holds " +
                                       (std::isnan(values[i]) ? "NaN" : "an infinite value") +
                                       " at flat index " + std::to_string(i) + " of shape " +
                                       shape_string(file.entry(name).shape) +
                                       " (from a diverged training run?)");
}

/// Checks that `file` holds exactly the parameters `params` (under `prefix`), with the same
/// shapes, a readable floating-point dtype and finite values; throws FileError naming the first
/// mismatch.
/// `allow_extra` accepts other tensors beside them (optimizer state in a training checkpoint).
template <class T>
void check_parameters_match(const SafetensorsFile& file, const ParameterList<T>& params,
                            const std::string& network_name, const std::string& prefix = "",
                            bool allow_extra = false) {
  const auto& meta = file.metadata();
  if (const auto it = meta.find("ctnn_network"); it != meta.end() && it->second != network_name)
    throw FileError(file.path(), "checkpoint is of another network: saved from " + it->second +
                                     ", loading into " + network_name);
  for (const auto& p : params) {
    const std::string name = prefix + p.name;
    if (!file.contains(name))
      throw FileError(file.path(), "missing tensor '" + name + "' (expected shape " +
                                       shape_string(p.shape) + ") needed by " + network_name);
    const auto& e = file.entry(name);
    if (e.dtype != "F32" && e.dtype != "F64")
      throw FileError(file.path(),
                      "tensor '" + name + "': dtype " + e.dtype + ", expected F32 or F64");
    if (e.shape != p.shape)
      throw FileError(file.path(), "tensor '" + name + "': expected shape " +
                                       shape_string(p.shape) + ", found " + shape_string(e.shape));
    check_finite(file, name);
  }
  if (!allow_extra) {
    for (const auto& [name, e] : file.tensors()) {
      bool known = false;
      for (const auto& p : params)
        known |= prefix + p.name == name;
      if (!known && name.rfind("optimizer.", 0) == 0)
        throw FileError(file.path(), "unexpected tensor '" + name +
                                         "': this is a training checkpoint (weights and "
                                         "optimizer state); load weights from the weights file "
                                         "(model.safetensors), or resume with "
                                         "io::load_training_state");
      if (!known)
        throw FileError(file.path(), "unexpected tensor '" + name + "' " + shape_string(e.shape) +
                                         ": " + network_name + " has no such parameter");
    }
  }
}

/// Loads parameters saved by save_weights (or by PyTorch's state_dict under the same names).
/// Nothing is changed unless every tensor matches.
template <class Net>
void load_weights(Net& net, const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  auto params = net.parameters();
  check_parameters_match(file, params, Net::name());
  for (auto& p : params)
    file.read_values(p.name, p.value);
}

}  // namespace ctnn::io
