// jupiter-gateway: the clients' single endpoint (see gateway_node.hpp).
#include "gateway/gateway_node.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, jupiter::Role::Gateway, [](jupiter::DaemonContext& dc) {
        jupiter::SystemClock clock;
        zmq::context_t ctx(dc.config.gatewayIoThreads);
        jupiter::GatewayNode node(ctx, dc, clock);
        return node.run();
    });
}
