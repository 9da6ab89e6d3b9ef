// expect: LeakyReLUArguments<float>
// expect: static.assert(ion)? failed.*LeakyReLU<Slope>: Slope .the negative slope. must be a std::ratio
// A slope given as a type that is not a std::ratio (clang++ 14 takes no float template
// arguments, so the slope is a std::ratio: LeakyReLU<std::ratio<1, 10>> is a slope of 0.1).
#include <ctnn/ctnn.hpp>
#include <ctnn/layers/leaky_relu.hpp>
using namespace ctnn;
void use() {
  Sequential<Input<3, 8, 8>, Conv2d<3, 4, 3>, LeakyReLU<float>> net{Seed{0}};
}
