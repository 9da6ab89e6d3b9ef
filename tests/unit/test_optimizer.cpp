// The Optimizer concept: SGD and Adam satisfy it, other types do not, and a third optimizer is
// one small class (here Adagrad, written on OptimizerBase as a user would) whose state the
// training checkpoints save and restore exactly, with no change to the library.

#include <unistd.h>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ctnn/ctnn.hpp"
#include "ctnn/io/training_state.hpp"

using namespace ctnn;
namespace fs = std::filesystem;

namespace {
/// torch.optim.Adagrad without lr decay: sum += g^2; p -= lr g / (sqrt(sum) + eps).
struct AdagradOptions {
  double lr = 1e-2;
  double eps = 1e-10;
};
template <class T>
class Adagrad : public OptimizerBase<T, AdagradOptions> {
 public:
  static constexpr const char* kind = "adagrad";
  Adagrad(ParameterList<T> params, AdagradOptions o = {})
      : OptimizerBase<T, AdagradOptions>(std::move(params), o, "Adagrad"),
        sum_(this->zero_buffers()) {}
  void step() {
    ++this->steps_;
    for (std::size_t i = 0; i < this->params_.size(); ++i) {
      auto& p = this->params_[i];
      for (std::size_t j = 0; j < p.size; ++j) {
        sum_[i][j] += p.grad[j] * p.grad[j];
        p.value[j] -=
            T(this->options_.lr) * p.grad[j] / (std::sqrt(sum_[i][j]) + T(this->options_.eps));
      }
    }
  }
  std::vector<OptimizerBuffer<T>> state_buffers() {
    std::vector<OptimizerBuffer<T>> out;
    for (std::size_t i = 0; i < sum_.size(); ++i)
      out.push_back({"sum." + this->params_[i].name, &sum_[i], this->params_[i].shape});
    return out;
  }

 private:
  std::vector<std::vector<T>> sum_;
};

struct NoKind {
  using scalar_type = float;
  void step() {}
  void zero_grad() {}
};
}  // namespace

static_assert(Optimizer<SGD<float>> && Optimizer<Adam<double>> && Optimizer<Adagrad<float>>);
static_assert(!Optimizer<NoKind> && !Optimizer<int>);

TEST_CASE("OptimizerBase: zero_grad, options, step count, lr check", "[optimizer]") {
  using Net = Sequential<Input<1, 4, 4>, Conv2d<1, 2, 3>>;
  Net net{Seed{1}};
  auto params = net.parameters();
  for (auto& p : params)
    std::fill(p.grad, p.grad + p.size, 1.0f);
  Adagrad<float> opt{params, {.lr = 0.5}};
  opt.zero_grad();
  for (const auto& p : opt.parameters())
    for (std::size_t j = 0; j < p.size; ++j)
      CHECK(p.grad[j] == 0.0f);
  opt.options().lr = 0.25;
  CHECK(opt.options().lr == 0.25);
  opt.set_step_count(7);
  CHECK(opt.step_count() == 7);
  CHECK_THROWS_WITH((Adagrad<float>{params, {.lr = -1}}),
                    Catch::Contains("Adagrad: lr must not be negative"));
}

TEST_CASE("A third optimizer resumes exactly from a training checkpoint", "[optimizer][resume]") {
  const fs::path dir =
      fs::temp_directory_path() / ("ctnn_test_optimizer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  using Net = Sequential<Input<2, 8, 8>, Conv2d<2, 4, 3, 1, 1>, ReLU, Conv2d<4, 2, 3, 1, 1>>;
  Batch<Shape<2, 8, 8>> x(3), t(3);
  Rng rng{Seed{5}};
  for (std::size_t i = 0; i < x.size(); ++i) {
    x.data()[i] = float(rng.normal());
    t.data()[i] = float(rng.normal());
  }
  auto step = [&](Net& net, Adagrad<float>& opt) {
    MSELoss<Shape<2, 8, 8>> loss;
    opt.zero_grad();
    loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
  };
  Net straight{Seed{2}}, first{Seed{2}}, resumed{Seed{3}};
  Adagrad<float> o1{straight.parameters()}, o2{first.parameters()}, o3{resumed.parameters()};
  for (int i = 0; i < 5; ++i)
    step(straight, o1);
  for (int i = 0; i < 2; ++i)
    step(first, o2);
  io::save_training_state(dir / "adagrad.safetensors", first, o2, {});
  io::load_training_state(dir / "adagrad.safetensors", resumed, o3);
  CHECK(o3.step_count() == 2);
  for (int i = 0; i < 3; ++i)
    step(resumed, o3);
  const auto pa = straight.parameters(), pb = resumed.parameters();
  for (std::size_t k = 0; k < pa.size(); ++k)
    CHECK(std::memcmp(pa[k].value, pb[k].value, pa[k].size * sizeof(float)) == 0);
  // The state is the optimizer's own: Adam refuses it by kind.
  Adam<float> adam{resumed.parameters()};
  CHECK_THROWS_WITH(io::load_training_state(dir / "adagrad.safetensors", resumed, adam),
                    Catch::Contains("saved with optimizer adagrad, resuming with adam"));
  fs::remove_all(dir);
}
