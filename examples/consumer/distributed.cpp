// Data-parallel training with ctnn::mpi: `mpirun -np N ./consumer_distributed`, or run alone
// (one rank). Every rank trains on its share of each global batch of 16; the replicas stay
// identical and the loss falls.

#include <cstdio>

#include <ctnn/ctnn.hpp>
#include <ctnn/distributed/data_parallel.hpp>

using namespace ctnn;
namespace dist = ctnn::distributed;
using Image = Shape<1, 8, 8>;
using Net = Sequential<Input<1, 8, 8>, Conv2d<1, 4, 3, 1, 1>, ReLU, Conv2d<4, 1, 3, 1, 1>>;

int main(int argc, char** argv) {
  const dist::MpiSession mpi(&argc, &argv);
  const dist::Communicator comm;
  Net net{Seed{0}};
  Adam<float> opt(net.parameters(), {.lr = 1e-2});
  dist::DataParallel<float> parallel(comm, net);
  parallel.broadcast_from_root();  // every replica starts from rank 0's weights

  // The task: reproduce the input. This rank's shard of the global batch of 16.
  const std::size_t global = 16;
  const auto share = dist::shard_of(global, comm.rank(), comm.size());
  Batch<Image> x(share.count);
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = float((i * 7 + share.first * 64) % 11) / 10.0f;
  MSELoss<Image> mse;
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    opt.zero_grad();
    float loss = 0;
    if (share.count > 0) {
      loss = mse.forward(net.forward(x), x);
      net.backward_parameters(mse.backward());
    }
    loss = parallel.reduce_gradients(share.count, global, loss);  // the global batch's loss
    opt.step();
    (step == 0 ? first : last) = loss;
  }
  if (comm.is_root())
    std::printf("%d rank(s): loss %.5f -> %.5f after 60 steps\n", comm.size(), first, last);
  return last < first / 2 ? 0 : 1;
}
