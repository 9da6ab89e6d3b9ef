// expect: LayerRequirements<NoBackward, ctnn::Shape<4, 6, 6>, float, NoBackwardLayer<ctnn::Shape<4, 6, 6>, float> ?>
// expect: static.assert(ion)? failed.*Layer: the bound layer must have const Batch<input_shape, T>& backward
// A hand-written layer that forgets backward(): Sequential names the requirement it misses.
#include <ctnn/ctnn.hpp>
using namespace ctnn;

template <ShapeType In, class T>
struct NoBackwardLayer {
  using scalar_type = T;
  using input_shape = In;
  using output_shape = In;
  explicit NoBackwardLayer(Rng&) {}
  const Batch<In, T>& forward(const Batch<In, T>& x) { return x; }
  void zero_grad() {}
  void collect_parameters(ParameterList<T>&, const std::string&) {}
};
struct NoBackward {
  template <ShapeType In, class T = float>
  using bind = NoBackwardLayer<In, T>;
};

void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, NoBackward> net{Seed{0}};
}
