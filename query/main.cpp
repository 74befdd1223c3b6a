// jupiter-query: a query node daemon (see query_node.hpp); --node NAME picks which one.
#include "query/query_node.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, jupiter::Role::Query, [](jupiter::DaemonContext& dc) -> int {
        auto store = jupiter::Store::open(dc.config.nodeDataDir(dc.node->name), {});
        if (!store) {
            dc.log->critical("{}", store.error().message);
            return jupiter::kExitBadStore;
        }
        jupiter::SystemClock clock;
        zmq::context_t ctx(1);
        jupiter::QueryNode node(ctx, dc, clock, **store);
        return node.run();
    });
}
