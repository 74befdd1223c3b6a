// A node's RocksDB store: state records (under "s/"), its applied sequence and state digest, and
// whatever else the node keeps (event log, remembered outcomes). All changes go through a
// StoreTxn that commits atomically in one WriteBatch, so state, sequence and digest never disagree
// on disk, whatever moment a process is killed at.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <map>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/result.hpp"
#include "store/txn.hpp"

namespace jupiter {

class Store;

// A view of bytes as RocksDB's Slice (no copy).
inline rocksdb::Slice toSlice(std::string_view s) { return {s.data(), s.size()}; }

// A group of writes that becomes visible (and durable) only at Store::commit. It holds the final
// value of each key it writes (in key order) and remembers what it read from the store, so the
// reads that applying a batch of events repeats (the same product, counter or index again and
// again, and each put's old value for the digest) cost a lookup here, and a key written many times
// reaches RocksDB once.
class StoreTxn final : public Txn {
public:
    explicit StoreTxn(Store& store);
    std::optional<std::string> get(std::string_view key) override;
    void scan(std::string_view prefix, std::string_view startAfter,
              const std::function<bool(std::string_view, std::string_view)>& visit) override;
    void put(std::string_view key, std::string_view value) override;
    void insert(std::string_view key, std::string_view value) override;
    void del(std::string_view key) override;

    // Sets the sequence this transaction brings the store to (written with the batch).
    void setSeq(uint64_t seq) { seq_ = seq; }
    uint64_t seq() const { return seq_; }
    uint64_t digest() const { return digest_; }
    bool empty() const { return writes_.empty(); }

    // The writes so far, in RocksDB's WriteBatch format (what a standby applies to stay identical).
    std::string writes() const;
    // The writes that would undo `writes` (RocksDB WriteBatch format): each key it touches put back
    // to its value as this transaction sees it now (or deleted if absent). Call before applying them.
    std::string undoOf(std::string_view writes);
    // The same against the committed store (for writes this transaction already holds).
    std::string undoOfCommitted(std::string_view writes);
    // Applies writes in WriteBatch format through put/del (so the digest follows); fails on a
    // malformed batch. Sequence and digest meta keys in it are skipped: setSeq carries the sequence.
    Status apply(std::string_view writes);

private:
    friend class Store;
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    void write(std::string_view key, std::optional<std::string> value);
    // The writes as one WriteBatch, plus the meta keys given.
    void fill(rocksdb::WriteBatch& batch) const;

    Store& store_;
    // Each key written: its final value, or nullopt for a delete.
    std::map<std::string, std::optional<std::string>, std::less<>> writes_;
    // Committed values read from the store (keys not written here).
    std::unordered_map<std::string, std::optional<std::string>, Hash, std::equal_to<>> read_;
    uint64_t seq_;
    uint64_t digest_;
};

// Read access to the committed data at one instant.
class SnapshotView final : public ReadView {
public:
    SnapshotView(rocksdb::DB* db);
    ~SnapshotView() override;
    SnapshotView(const SnapshotView&) = delete;
    SnapshotView& operator=(const SnapshotView&) = delete;
    std::optional<std::string> get(std::string_view key) override;
    void scan(std::string_view prefix, std::string_view startAfter,
              const std::function<bool(std::string_view, std::string_view)>& visit) override;

private:
    rocksdb::DB* db_;
    const rocksdb::Snapshot* snap_;
    rocksdb::ReadOptions ro_;
};

class Store {
public:
    struct Options {
        bool createIfMissing = true;
    };

    // Opens (or creates) the store in `dir`. Fails with a message naming the path and the remedy
    // when the folder is unwritable, locked by another process, or corrupt.
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir, Options opts);
    ~Store();

    uint64_t seq() const { return seq_; }
    uint64_t digest() const { return digest_; }
    const std::filesystem::path& dir() const { return dir_; }

    std::unique_ptr<StoreTxn> begin() { return std::make_unique<StoreTxn>(*this); }

    // Writes the transaction atomically; with `sync` the write-ahead log is synced before it
    // returns. A failure here means the disk refused a write: the caller must stop serving.
    Status commit(StoreTxn& txn, bool sync);
    // Writes `batch` with `seq` and `digest` as the store's new sequence and digest, atomically
    // (for writes that are not a transaction's: installing another node's state, store/install).
    Status write(rocksdb::WriteBatch& batch, uint64_t seq, uint64_t digest, bool sync);

    std::optional<std::string> get(std::string_view key) const;
    SnapshotView snapshot() const { return SnapshotView(db_.get()); }
    rocksdb::DB* db() const { return db_.get(); }

    // Recomputes the digest from every state record (used by verify and by tests to check the
    // incrementally maintained one).
    uint64_t recomputeDigest() const;

private:
    Store(std::filesystem::path dir, std::unique_ptr<rocksdb::DB> db);
    std::filesystem::path dir_;
    std::unique_ptr<rocksdb::DB> db_;
    uint64_t seq_ = 0;
    uint64_t digest_ = 0;
};

// Fixed-width, order-preserving encoding of a number inside a key ("%016x"-like, lower-case hex).
std::string keyNum(uint64_t n);
std::optional<uint64_t> parseKeyNum(std::string_view s);

}  // namespace jupiter
