// jupiter-query: a query node daemon (see query_node.hpp); --id N picks query-N.
#include "query/query_node.hpp"

int main(int argc, char** argv) {
    return jupiter::runDaemon(argc, argv, "query", [](jupiter::DaemonContext& dc) {
        auto store = jupiter::Store::open(dc.config.nodeDataDir(dc.node->name), {});
        if (!store) {
            dc.log->critical("{}", store.error().message);
            return 4;
        }
        jupiter::SystemClock clock;
        zmq::context_t ctx(1);
        jupiter::QueryNode node(ctx, dc, clock, **store);
        node.connect();
        return node.run();
    });
}
