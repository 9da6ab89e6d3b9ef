// The course's two models against PyTorch: output, loss and parameter gradients, then two
// steps of Adam and two of SGD with momentum (both with weight decay) from the same weights.

#include <catch2/catch.hpp>

#include "course_models.hpp"
#include "ctnn/ctnn.hpp"
#include "golden.hpp"

using namespace ctnn;
using namespace ctnn::test;

template <class Net>
void check_forward_backward(const std::string& name) {
  Net net{Seed{0}};
  auto params = net.parameters();
  load_parameters(name, "param", params);
  const auto x = load_batch<Shape<3, 32, 32>>(name, "x");
  const auto t = load_batch<Shape<3, 32, 32>>(name, "target");
  MSELoss<Shape<3, 32, 32>> loss;
  net.zero_grad();
  const float l = loss.forward(net.forward(x), t);
  require_close(net.forward(x).data(), load_fixture(name, "y"), name + " y");
  require_close(&l, load_fixture(name, "loss"), name + " loss");
  net.backward(loss.backward());
  compare_parameters(name, "grad", params, /*gradients=*/true);
}

template <class Net, class MakeOptimizer>
void check_two_steps(const std::string& name, const std::string& which, MakeOptimizer make) {
  Net net{Seed{0}};
  auto params = net.parameters();
  load_parameters(name, "param", params);
  auto opt = make(params);
  const auto x = load_batch<Shape<3, 32, 32>>(name, "x");
  const auto t = load_batch<Shape<3, 32, 32>>(name, "target");
  MSELoss<Shape<3, 32, 32>> loss;
  float losses[2];
  for (float& l : losses) {
    opt.zero_grad();
    l = loss.forward(net.forward(x), t);
    net.backward(loss.backward());
    opt.step();
  }
  require_close(losses, load_fixture(name, which + "_loss"), name + " " + which + " losses");
  compare_parameters(name, which, params, /*gradients=*/false);
}

TEST_CASE("Initial model: forward, loss and gradients match PyTorch", "[golden][model]") {
  check_forward_backward<InitialModel<>>("model_initial");
}

TEST_CASE("Final model: forward, loss and gradients match PyTorch", "[golden][model]") {
  check_forward_backward<FinalModel<>>("model_final");
}

TEST_CASE("Adam steps match torch.optim.Adam on both models", "[golden][model][adam]") {
  auto adam = [](const ParameterList<float>& p) {
    return Adam<float>(p, {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                           .weight_decay = 1e-4});
  };
  check_two_steps<InitialModel<>>("model_initial", "adam", adam);
  check_two_steps<FinalModel<>>("model_final", "adam", adam);
}

TEST_CASE("SGD with momentum matches torch.optim.SGD on both models", "[golden][model][sgd]") {
  auto sgd = [](const ParameterList<float>& p) {
    return SGD<float>(p, {.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4});
  };
  check_two_steps<InitialModel<>>("model_initial", "sgd", sgd);
  check_two_steps<FinalModel<>>("model_final", "sgd", sgd);
}
