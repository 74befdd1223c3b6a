// jupiter-command: the command node daemon (see command_node.hpp).
#include "command/command_node.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, jupiter::Role::Command, [](jupiter::DaemonContext& dc) -> int {
        auto store = jupiter::Store::open(dc.config.nodeDataDir(dc.node->name), {});
        if (!store) {
            dc.log->critical("{}", store.error().message);
            return jupiter::kExitBadStore;
        }
        jupiter::SystemClock clock;
        zmq::context_t ctx(1);
        jupiter::CommandNode node(ctx, dc, clock, **store);
        return node.run();
    });
}
