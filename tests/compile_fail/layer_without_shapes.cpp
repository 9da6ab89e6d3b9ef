// expect: LayerRequirements<Shapeless, ctnn::Shape<3, 8, 8>, float, std::vector<float
// expect: static.assert(ion)? failed.*Layer: the spec.s bind<In, T> must be a type that declares input_shape and output_shape
// A layer spec whose bind<In, T> gives a type without input_shape / output_shape.
#include <ctnn/ctnn.hpp>
using namespace ctnn;

struct Shapeless {
  template <ShapeType In, class T = float>
  using bind = std::vector<T>;
};

void use() {
  Sequential<Input<3, 8, 8>, ReLU, Shapeless> net{Seed{0}};
}
