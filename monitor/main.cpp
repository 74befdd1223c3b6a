// jupiter-monitor: heartbeat and ping-echo monitor with a transition log (see monitor_node.hpp).
#include "monitor/monitor_node.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, jupiter::Role::Monitor, [](jupiter::DaemonContext& dc) {
        jupiter::SystemClock clock;
        zmq::context_t ctx(1);
        jupiter::MonitorNode node(ctx, dc, clock);
        return node.run();
    });
}
