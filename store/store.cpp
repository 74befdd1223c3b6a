// RocksDB-backed store; see store.hpp. Meta keys: "m/seq" and "m/digest" (8-byte little-endian).
#include "store/store.hpp"

#include <cassert>
#include <cstring>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>

namespace jupiter {
namespace {

constexpr std::string_view kSeqKey = "m/seq";
constexpr std::size_t kMemtableBytes = 16u << 20;
constexpr std::size_t kBlockCacheBytes = 8u << 20;
constexpr std::string_view kDigestKey = "m/digest";

std::string u64Bytes(uint64_t v) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &v, 8);
    return s;
}

uint64_t bytesU64(const std::string& s) {
    uint64_t v = 0;
    if (s.size() == 8) std::memcpy(&v, s.data(), 8);
    return v;
}

bool isState(std::string_view key) { return key.substr(0, kStatePrefix.size()) == kStatePrefix; }

// Where a scan starts: the first key greater than `startAfter` when that lies past `prefix`, else
// the prefix itself. Returns whether it starts after `startAfter`.
bool seekScanStart(rocksdb::Iterator* it, std::string_view prefix, std::string_view startAfter) {
    if (!startAfter.empty() && startAfter > prefix) {
        it->Seek(toSlice(startAfter));
        if (it->Valid() && it->key().ToStringView() == startAfter) it->Next();
        return true;
    }
    it->Seek(toSlice(prefix));
    return false;
}

void scanIterator(rocksdb::Iterator* it, std::string_view prefix, std::string_view startAfter,
                  const std::function<bool(std::string_view, std::string_view)>& visit) {
    for (seekScanStart(it, prefix, startAfter); it->Valid(); it->Next()) {
        auto k = it->key().ToStringView();
        if (k.substr(0, prefix.size()) != prefix) break;
        if (!visit(k, it->value().ToStringView())) break;
    }
}

}  // namespace

uint64_t recordHash(std::string_view key, std::string_view value) {
    // FNV-1a over key, a separator and value, then a SplitMix64 finaliser so that XOR-combining
    // many hashes does not cancel out structure.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view s) {
        for (char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    mix(key);
    h ^= 0xff;
    h *= 1099511628211ull;
    mix(value);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

std::string keyNum(uint64_t n) { return fmt::format("{:016x}", n); }

std::optional<uint64_t> parseKeyNum(std::string_view s) {
    if (s.size() != 16) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0) return std::nullopt;
        v = (v << 4) | static_cast<uint64_t>(d);
    }
    return v;
}

// ---- StoreTxn

StoreTxn::StoreTxn(Store& store) : store_(store), seq_(store.seq()), digest_(store.digest()) {}

std::optional<std::string> StoreTxn::get(std::string_view key) {
    if (auto w = writes_.find(key); w != writes_.end()) return w->second;
    if (auto r = read_.find(key); r != read_.end()) return r->second;
    std::optional<std::string> v = store_.get(key);
    read_.emplace(std::string(key), v);
    return v;
}

void StoreTxn::scan(std::string_view prefix, std::string_view startAfter,
                    const std::function<bool(std::string_view, std::string_view)>& visit) {
    // The committed keys and this transaction's writes, merged in key order (a write wins).
    std::unique_ptr<rocksdb::Iterator> it(store_.db()->NewIterator(rocksdb::ReadOptions()));
    const bool after = seekScanStart(it.get(), prefix, startAfter);
    auto w = after ? writes_.upper_bound(startAfter) : writes_.lower_bound(prefix);
    auto within = [&prefix](std::string_view k) { return k.substr(0, prefix.size()) == prefix; };
    for (;;) {
        const bool stored = it->Valid() && within(it->key().ToStringView());
        const bool written = w != writes_.end() && within(w->first);
        if (!stored && !written) break;
        if (written && (!stored || std::string_view(w->first) <= it->key().ToStringView())) {
            if (stored && std::string_view(w->first) == it->key().ToStringView()) it->Next();
            const auto& [key, value] = *w++;
            if (value && !visit(key, *value)) break;
        } else {
            if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
            it->Next();
        }
    }
}

void StoreTxn::write(std::string_view key, std::optional<std::string> value) {
    if (auto w = writes_.find(key); w != writes_.end())
        w->second = std::move(value);
    else
        writes_.emplace(std::string(key), std::move(value));
}

void StoreTxn::put(std::string_view key, std::string_view value) {
    if (isState(key)) {
        if (auto old = get(key)) digest_ ^= recordHash(key, *old);
        digest_ ^= recordHash(key, value);
    }
    write(key, std::string(value));
}

void StoreTxn::insert(std::string_view key, std::string_view value) {
    assert(!get(key) && "StoreTxn::insert of a key that exists");
    if (isState(key)) digest_ ^= recordHash(key, value);
    write(key, std::string(value));
}

void StoreTxn::del(std::string_view key) {
    if (isState(key)) {
        auto old = get(key);
        if (!old) return;
        digest_ ^= recordHash(key, *old);
    }
    write(key, std::nullopt);
}

void StoreTxn::fill(rocksdb::WriteBatch& batch) const {
    for (const auto& [key, value] : writes_) {
        if (value)
            batch.Put(toSlice(key), toSlice(*value));
        else
            batch.Delete(toSlice(key));
    }
}

std::string StoreTxn::writes() const {
    rocksdb::WriteBatch batch;
    fill(batch);
    return batch.Data();
}

namespace {

// Visits the puts and deletes of a WriteBatch (the default column family; nothing else is written).
class BatchVisitor final : public rocksdb::WriteBatch::Handler {
public:
    explicit BatchVisitor(std::function<void(std::string_view, const rocksdb::Slice*)> visit)
        : visit_(std::move(visit)) {}
    void Put(const rocksdb::Slice& key, const rocksdb::Slice& value) override { visit_(key.ToStringView(), &value); }
    void Delete(const rocksdb::Slice& key) override { visit_(key.ToStringView(), nullptr); }

private:
    std::function<void(std::string_view, const rocksdb::Slice*)> visit_;
};

bool isMeta(std::string_view key) { return key == kSeqKey || key == kDigestKey; }

Status visitBatch(std::string_view writes, const std::function<void(std::string_view, const rocksdb::Slice*)>& f) {
    if (writes.size() < 12) return makeError("malformed", "a replicated write batch is shorter than its header");
    rocksdb::WriteBatch wb{std::string(writes)};
    BatchVisitor v(f);
    auto s = wb.Iterate(&v);
    if (!s.ok()) return makeError("malformed", fmt::format("a replicated write batch does not decode: {}", s.ToString()));
    return Ok{};
}

std::string undoFrom(std::string_view writes,
                     const std::function<std::optional<std::string>(std::string_view)>& get) {
    rocksdb::WriteBatch undo;
    std::unordered_set<std::string> seen;
    (void)visitBatch(writes, [&](std::string_view key, const rocksdb::Slice*) {
        if (isMeta(key) || !seen.emplace(key).second) return;
        if (auto old = get(key))
            undo.Put(toSlice(key), toSlice(*old));
        else
            undo.Delete(toSlice(key));
    });
    return undo.Data();
}

}  // namespace

std::string StoreTxn::undoOf(std::string_view writes) {
    return undoFrom(writes, [this](std::string_view key) { return get(key); });
}

std::string StoreTxn::undoOfCommitted(std::string_view writes) {
    return undoFrom(writes, [this](std::string_view key) { return store_.get(key); });
}

Status StoreTxn::apply(std::string_view writes) {
    return visitBatch(writes, [this](std::string_view key, const rocksdb::Slice* value) {
        if (isMeta(key)) return;
        if (value)
            put(key, value->ToStringView());
        else
            del(key);
    });
}

// ---- SnapshotView

SnapshotView::SnapshotView(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) { ro_.snapshot = snap_; }
SnapshotView::~SnapshotView() { db_->ReleaseSnapshot(snap_); }

std::optional<std::string> SnapshotView::get(std::string_view key) {
    std::string v;
    auto s = db_->Get(ro_, toSlice(key), &v);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) throw std::runtime_error("store read failed: " + s.ToString());
    return v;
}

void SnapshotView::scan(std::string_view prefix, std::string_view startAfter,
                        const std::function<bool(std::string_view, std::string_view)>& visit) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro_));
    scanIterator(it.get(), prefix, startAfter, visit);
}

// ---- Store

Store::Store(std::filesystem::path dir, std::unique_ptr<rocksdb::DB> db) : dir_(std::move(dir)), db_(std::move(db)) {
    if (auto s = get(kSeqKey)) seq_ = bytesU64(*s);
    if (auto d = get(kDigestKey)) digest_ = bytesU64(*d);
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dir, Options opts) {
    std::error_code ec;
    if (opts.createIfMissing) std::filesystem::create_directories(dir, ec);
    if (ec)
        return makeError("store", fmt::format("cannot create data directory {}: {} (check the path and its "
                                              "permissions, or choose another with --dir)", dir.string(), ec.message()));
    rocksdb::Options o;
    o.create_if_missing = opts.createIfMissing;
    o.paranoid_checks = true;
    o.IncreaseParallelism(2);
    o.max_open_files = 256;
    o.keep_log_file_num = 3;
    // Memory is bounded, whatever the history's length: two 16 MiB memtables (RocksDB's default is
    // two of 64 MiB) and an 8 MiB block cache that also holds the index and filter blocks. Those are
    // partitioned (4 KiB pieces under a pinned top level) and the cache is one shard: a whole-file
    // bloom filter is hundreds of KiB, larger than a shard of a sharded 8 MiB cache, so every lookup
    // of an absent key (a new request id, a new record) read and checksummed it from the file again;
    // the command path fell from ~49,000 to ~1,800 commands/s within 400,000 events.
    o.write_buffer_size = kMemtableBytes;
    o.max_write_buffer_number = 2;
    // A bloom filter over the memtable's keys too: applying events asks for many keys that do not
    // exist yet (a new sale, a new stock entry), and those lookups then skip the skiplist search.
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = 0.02;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes, 0);
    t.cache_index_and_filter_blocks = true;
    t.cache_index_and_filter_blocks_with_high_priority = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.partition_filters = true;
    t.metadata_block_size = 4096;
    t.pin_top_level_index_and_filter = true;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(o, dir.string(), &raw);
    if (!s.ok()) {
        std::string hint = "check that the folder is writable and has free space";
        if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
            hint = "another process holds this store; stop it first (jupiter down) or use another --dir";
        else if (s.IsCorruption())
            hint = "the store is corrupt; move the folder aside and restart this node: a query node rebuilds "
                   "itself from the command node";
        return makeError("store", fmt::format("cannot open store {}: {} ({})", dir.string(), s.ToString(), hint));
    }
    return std::unique_ptr<Store>(new Store(dir, std::unique_ptr<rocksdb::DB>(raw)));
}

Status Store::commit(StoreTxn& txn, bool sync) {
    rocksdb::WriteBatch batch;
    txn.fill(batch);
    if (auto ok = write(batch, txn.seq_, txn.digest_, sync); !ok) return ok;
    txn.writes_.clear();
    txn.read_.clear();
    return Ok{};
}

Status Store::write(rocksdb::WriteBatch& batch, uint64_t seq, uint64_t digest, bool sync) {
    if (seq != seq_) batch.Put(toSlice(kSeqKey), u64Bytes(seq));
    if (digest != digest_) batch.Put(toSlice(kDigestKey), u64Bytes(digest));
    if (batch.Count() == 0) return Ok{};
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    auto s = db_->Write(wo, &batch);
    if (!s.ok())
        return makeError("store", fmt::format("write to {} failed: {} (check free space and permissions; the node "
                                              "stops rather than serve data it could not store)",
                                              dir_.string(), s.ToString()));
    seq_ = seq;
    digest_ = digest;
    return Ok{};
}

std::optional<std::string> Store::get(std::string_view key) const {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), toSlice(key), &v);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) throw std::runtime_error(fmt::format("store read failed at {}: {}", dir_.string(), s.ToString()));
    return v;
}

uint64_t Store::recomputeDigest() const {
    uint64_t d = 0;
    auto snap = snapshot();
    snap.scan(kStatePrefix, "", [&d](std::string_view k, std::string_view v) {
        d ^= recordHash(k, v);
        return true;
    });
    return d;
}

}  // namespace jupiter
