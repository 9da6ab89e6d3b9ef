// expect: LayerRequirements<Fixed8x8, ctnn::Shape<3, 8, 8>, float, Fixed8x8Layer<float> ?>
// expect: static.assert(ion)? failed.*Layer: the spec.s bind<In, T> must have input_shape == In
// A layer whose bind<In, T> ignores In: its input_shape is not the shape it is bound to.
#include <ctnn/ctnn.hpp>
using namespace ctnn;

template <class T>
struct Fixed8x8Layer {
  using scalar_type = T;
  using input_shape = Shape<1, 8, 8>;
  using output_shape = Shape<1, 8, 8>;
  explicit Fixed8x8Layer(Rng&) {}
  const Batch<output_shape, T>& forward(const Batch<input_shape, T>& x) { return x; }
  const Batch<input_shape, T>& backward(const Batch<output_shape, T>& dy) { return dy; }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}
};
struct Fixed8x8 {
  template <ShapeType In, class T = float>
  using bind = Fixed8x8Layer<T>;
};

void use() {
  Sequential<Input<3, 8, 8>, Fixed8x8> net{Seed{0}};
}
