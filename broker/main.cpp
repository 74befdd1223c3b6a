// jupiter-broker: the bus daemon (see broker.hpp).
#include "broker/broker.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, jupiter::Role::Broker, [](jupiter::DaemonContext& dc) {
        jupiter::SystemClock clock;
        zmq::context_t ctx(1);
        jupiter::Broker broker(ctx, dc, clock);
        return broker.run();
    });
}
