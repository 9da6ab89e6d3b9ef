#pragma once
/// \file
/// Saving and loading a network's weights as safetensors, with PyTorch's state_dict names
/// ("0.weight", "2.body.0.bias") and layouts, so `torch.load`-free Python can read them and
/// weights trained in PyTorch load into ctnn. A state_dict holds the parameters and the buffers
/// (BatchNorm2d's "1.running_mean", "1.running_var", and "1.num_batches_tracked" as int64), so
/// these files do too. The metadata records the ctnn network (`Net::name()`) and version.
/// Loading checks every tensor's name, dtype and shape against the network, and that its values
/// are finite, before changing anything, and reports the first mismatch.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ctnn/core/buffer.hpp"
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

/// The safetensors tensors of a buffer list (no copy): floating-point buffers in the network's
/// dtype, integer ones (num_batches_tracked) as I64, as PyTorch stores them.
template <class T>
std::vector<SafetensorsTensor> buffer_tensors(const BufferList<T>& buffers,
                                              const std::string& prefix = "") {
  std::vector<SafetensorsTensor> out;
  for (const auto& b : buffers) {
    if (b.is_integer())
      out.push_back({prefix + b.name, "I64", b.shape, b.integer, b.size * sizeof(std::int64_t)});
    else
      out.push_back(
          {prefix + b.name, safetensors_dtype_of<T>(), b.shape, b.value, b.size * sizeof(T)});
  }
  return out;
}

using ctnn::buffers_of;  // core/buffer.hpp

/// The parameters' tensors, then the buffers' (a PyTorch state_dict holds both).
template <class Net>
std::vector<SafetensorsTensor> state_tensors(const ParameterList<typename Net::scalar_type>& params,
                                             const BufferList<typename Net::scalar_type>& buffers) {
  auto tensors = parameter_tensors(params);
  for (auto& t : buffer_tensors(buffers))
    tensors.push_back(std::move(t));
  return tensors;
}

/// Metadata entries every ctnn checkpoint carries.
template <class Net>
std::map<std::string, std::string> checkpoint_metadata(const std::string& kind = "weights") {
  return {{"format", "pt"},
          {"ctnn_version", ctnn::version_string},
          {"ctnn_network", Net::name()},
          {"ctnn_checkpoint", kind}};
}

/// Writes the network's parameters and buffers to `path` (atomically).
template <class Net>
void save_weights(Net& net, const std::filesystem::path& path,
                  std::map<std::string, std::string> extra_metadata = {}) {
  auto metadata = checkpoint_metadata<Net>();
  metadata.insert(extra_metadata.begin(), extra_metadata.end());
  write_safetensors(path, state_tensors<Net>(net.parameters(), buffers_of(net)), metadata);
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

/// Checks one buffer: an integer buffer must be I64 and not negative, a floating-point one F32 or
/// F64 and finite; both of the buffer's shape.
template <class T>
void check_buffer(const SafetensorsFile& file, const BufferRef<T>& b, const std::string& name,
                  const std::string& network_name) {
  if (!file.contains(name))
    throw FileError(file.path(), "missing buffer '" + name + "' (expected shape " +
                                     shape_string(b.shape) + ") needed by " + network_name);
  const auto& e = file.entry(name);
  if (b.is_integer() && e.dtype != "I64")
    throw FileError(file.path(), "buffer '" + name + "': dtype " + e.dtype + ", expected I64");
  if (!b.is_integer() && e.dtype != "F32" && e.dtype != "F64")
    throw FileError(file.path(),
                    "buffer '" + name + "': dtype " + e.dtype + ", expected F32 or F64");
  if (e.shape != b.shape)
    throw FileError(file.path(), "buffer '" + name + "': expected shape " + shape_string(b.shape) +
                                     ", found " + shape_string(e.shape));
  if (b.is_integer()) {
    const auto values = file.values<std::int64_t>(name);
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] < 0)
        throw FileError(file.path(), "buffer '" + name + "' holds " + std::to_string(values[i]) +
                                         " at flat index " + std::to_string(i) +
                                         ": a count cannot be negative");
  } else {
    check_finite(file, name);
  }
}

/// The layers of a network's canonical name: "Sequential<Input<3,32,32>,Conv2d<...>,ReLU>" gives
/// "Conv2d<...>,ReLU". A checkpoint's weights depend on the layers, not on the input size (a
/// fully convolutional network runs the same weights on 32 x 32 tiles and on whole photos), so
/// loading compares these. A name of another form is returned whole.
inline std::string network_layers(const std::string& network_name) {
  const std::string head = "Sequential<Input<";
  if (network_name.rfind(head, 0) != 0 || network_name.back() != '>') return network_name;
  const auto input_end = network_name.find('>', head.size());
  if (input_end == std::string::npos || input_end + 2 > network_name.size() - 1)
    return network_name;
  return network_name.substr(input_end + 2, network_name.size() - 1 - (input_end + 2));
}

/// Checks that `file` holds exactly the parameters `params` and the buffers `buffers` (under
/// `prefix`), with the same shapes, a readable dtype and finite values; throws FileError naming
/// the first mismatch.
/// `allow_extra` accepts other tensors beside them (optimizer state in a training checkpoint).
template <class T>
void check_state_match(const SafetensorsFile& file, const ParameterList<T>& params,
                       const BufferList<T>& buffers, const std::string& network_name,
                       const std::string& prefix = "", bool allow_extra = false) {
  const auto& meta = file.metadata();
  if (const auto it = meta.find("ctnn_network");
      it != meta.end() && network_layers(it->second) != network_layers(network_name))
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
  for (const auto& b : buffers)
    check_buffer(file, b, prefix + b.name, network_name);
  if (!allow_extra) {
    for (const auto& [name, e] : file.tensors()) {
      bool known = false;
      for (const auto& p : params)
        known |= prefix + p.name == name;
      for (const auto& b : buffers)
        known |= prefix + b.name == name;
      if (!known && name.rfind("optimizer.", 0) == 0)
        throw FileError(file.path(), "unexpected tensor '" + name +
                                         "': this is a training checkpoint (weights and "
                                         "optimizer state); load weights from the weights file "
                                         "(model.safetensors), or resume with "
                                         "io::load_training_state");
      if (!known)
        throw FileError(file.path(), "unexpected tensor '" + name + "' " + shape_string(e.shape) +
                                         ": " + network_name + " has no such parameter or buffer");
    }
  }
}

/// check_state_match for a network without buffers.
template <class T>
void check_parameters_match(const SafetensorsFile& file, const ParameterList<T>& params,
                            const std::string& network_name, const std::string& prefix = "",
                            bool allow_extra = false) {
  check_state_match(file, params, BufferList<T>{}, network_name, prefix, allow_extra);
}

/// Reads the buffers (already checked) from `file`.
template <class T>
void read_buffers(const SafetensorsFile& file, BufferList<T>& buffers) {
  for (auto& b : buffers) {
    if (b.is_integer())
      file.read_values(b.name, b.integer);
    else
      file.read_values(b.name, b.value);
  }
}

/// Loads parameters and buffers saved by save_weights (or by PyTorch's state_dict under the
/// same names). Nothing is changed unless every tensor matches.
template <class Net>
void load_weights(Net& net, const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  auto params = net.parameters();
  auto buffers = buffers_of(net);
  check_state_match(file, params, buffers, Net::name());
  for (auto& p : params)
    file.read_values(p.name, p.value);
  read_buffers(file, buffers);
}

}  // namespace ctnn::io
