// A store's sizes as Prometheus gauges (query and command nodes): the bytes RocksDB holds in SST
// files and in memtables, its block cache's use, and its estimate of the number of keys. Read from
// RocksDB's properties when sampled (each heartbeat interval), never on the request path.
#pragma once

#include "common/metrics.hpp"
#include "store/store.hpp"

namespace jupiter {

class StoreMetrics {
public:
    explicit StoreMetrics(Metrics& m);
    void sample(const Store& store);

private:
    prometheus::Gauge& sst_;
    prometheus::Gauge& memtables_;
    prometheus::Gauge& blockCache_;
    prometheus::Gauge& keys_;
    prometheus::Gauge& seq_;
};

}  // namespace jupiter
