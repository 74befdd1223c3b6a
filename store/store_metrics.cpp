// Store sizes as metrics; see store_metrics.hpp.
#include "store/store_metrics.hpp"

#include <rocksdb/db.h>

namespace jupiter {
namespace {

double property(const Store& store, const std::string& name) {
    uint64_t v = 0;
    return store.db()->GetIntProperty(name, &v) ? static_cast<double>(v) : 0.0;
}

}  // namespace

StoreMetrics::StoreMetrics(Metrics& m)
    : sst_(m.gauge("jupiter_store_sst_bytes", "Bytes of the store's SST files on disk (RocksDB).").Add({})),
      memtables_(m.gauge("jupiter_store_memtable_bytes", "Bytes of the store's memtables in memory (RocksDB).").Add({})),
      blockCache_(m.gauge("jupiter_store_block_cache_bytes", "Bytes the store's block cache holds (RocksDB).").Add({})),
      keys_(m.gauge("jupiter_store_keys", "RocksDB's estimate of the number of keys in the store.").Add({})),
      seq_(m.gauge("jupiter_store_applied_sequence", "The last event sequence the store holds.").Add({})) {}

void StoreMetrics::sample(const Store& store) {
    sst_.Set(property(store, "rocksdb.total-sst-files-size"));
    memtables_.Set(property(store, "rocksdb.cur-size-all-mem-tables"));
    blockCache_.Set(property(store, "rocksdb.block-cache-usage"));
    keys_.Set(property(store, "rocksdb.estimate-num-keys"));
    seq_.Set(static_cast<double>(store.seq()));
}

}  // namespace jupiter
