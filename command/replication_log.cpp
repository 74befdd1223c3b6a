// Replication log; see replication_log.hpp.
#include "command/replication_log.hpp"

#include <cstring>

#include <fmt/format.h>

namespace jupiter {
namespace {

constexpr std::string_view kLogKey = "m/log";
constexpr std::string_view kEntryPrefix = "l/r/";
constexpr std::string_view kEpochPrefix = "l/e/";
constexpr std::string_view kCommitKey = "m/commit";
constexpr std::size_t kHeader = 24;
constexpr uint64_t kPruneStep = 512;  // records deleted per write at most

std::string entryKey(uint64_t i) { return "l/r/" + keyNum(i); }
std::string undoKey(uint64_t i) { return "l/u/" + keyNum(i); }
std::string epochKey(uint64_t e) { return "l/e/" + keyNum(e); }

void putU64(std::string& out, uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out.append(b, 8);
}
uint64_t getU64(std::string_view s, std::size_t at) {
    uint64_t v = 0;
    if (s.size() >= at + 8) std::memcpy(&v, s.data() + at, 8);
    return v;
}
std::string u64s(std::initializer_list<uint64_t> vs) {
    std::string out;
    for (auto v : vs) putU64(out, v);
    return out;
}

}  // namespace

std::string encodeEntry(const LogEntry& e) {
    std::string out;
    out.reserve(kHeader + e.writes.size());
    putU64(out, e.epoch);
    putU64(out, e.seq);
    putU64(out, e.digest);
    out += e.writes;
    return out;
}

Result<LogEntry> decodeEntry(uint64_t index, std::string_view bytes) {
    if (bytes.size() < kHeader) return makeError("malformed", fmt::format("log entry {} is too short", index));
    LogEntry e;
    e.index = index;
    e.epoch = getU64(bytes, 0);
    e.seq = getU64(bytes, 8);
    e.digest = getU64(bytes, 16);
    e.writes = std::string(bytes.substr(kHeader));
    return e;
}

ReplicationLog::ReplicationLog(Store& store) : store_(store) { load(); }

void ReplicationLog::load() {
    if (auto l = store_.get(kLogKey)) last_ = {getU64(*l, 0), getU64(*l, 8)};
    if (auto c = store_.get(kCommitKey)) {
        commit_ = getU64(*c, 0);
        prunedUndo_ = getU64(*c, 8);
        prunedEntries_ = getU64(*c, 16);
    }
    pendingLast_ = last_;
    pendingUndo_ = prunedUndo_;
    pendingEntries_ = prunedEntries_;
}

uint64_t ReplicationLog::seqAt(uint64_t index) const {
    if (index == 0) return 0;
    if (index >= last_.index) return store_.seq();
    if (auto r = store_.get(entryKey(index))) return getU64(*r, 8);
    return 0;
}

std::optional<uint64_t> ReplicationLog::epochAt(uint64_t index) const {
    if (index == 0) return uint64_t{0};
    if (index == last_.index) return last_.epoch;
    if (index > last_.index) return std::nullopt;
    if (auto r = store_.get(entryKey(index))) return getU64(*r, 0);
    return std::nullopt;
}

std::optional<uint64_t> ReplicationLog::digestAt(uint64_t index) const {
    if (index == 0 || index > last_.index) return std::nullopt;
    if (auto r = store_.get(entryKey(index)); r && r->size() >= kHeader) return getU64(*r, 16);
    return std::nullopt;
}

uint64_t ReplicationLog::startOf(uint64_t epoch) const {
    if (auto s = store_.get(epochKey(epoch))) return getU64(*s, 0);
    return 0;
}

uint64_t ReplicationLog::latestEpochUpTo(uint64_t epoch) const {
    // The epoch key just after `epoch`'s position, stepped back one: scan from the start of the
    // history and keep the last one that is not larger (the history is short: one key per election).
    uint64_t best = 0;
    auto snap = store_.snapshot();
    snap.scan(kEpochPrefix, "", [&](std::string_view k, std::string_view) {
        auto e = parseKeyNum(k.substr(kEpochPrefix.size()));
        if (!e || *e > epoch) return false;
        best = *e;
        return true;
    });
    return best;
}

ReplicationLog::Parting ReplicationLog::partingFor(LogPosition followerLast) const {
    return {latestEpochUpTo(followerLast.epoch), std::min(followerLast.index, endOf(followerLast.epoch))};
}

uint64_t ReplicationLog::endOf(uint64_t epoch) const {
    // The first epoch after `epoch` that this log has starts just past the answer.
    std::optional<uint64_t> nextStart;
    auto snap = store_.snapshot();
    snap.scan(kEpochPrefix, epochKey(epoch), [&](std::string_view, std::string_view v) {
        nextStart = getU64(v, 0);
        return false;
    });
    if (!nextStart) return last_.index;
    return *nextStart - 1;
}

void ReplicationLog::bookkeeping(StoreTxn& txn, const LogEntry& e, const std::string& undo, uint64_t seqBefore) {
    txn.put(entryKey(e.index), encodeEntry(e));
    std::string u;
    putU64(u, seqBefore);
    u += undo;
    txn.put(undoKey(e.index), u);
    if (e.epoch != pendingLast_.epoch) txn.put(epochKey(e.epoch), u64s({e.index}));
    pendingLast_ = {e.epoch, e.index};
    txn.put(kLogKey, u64s({e.epoch, e.index}));
}

void ReplicationLog::prune(StoreTxn& txn) {
    const uint64_t undoTo = std::min(commit_, pendingUndo_ + kPruneStep);
    for (uint64_t i = pendingUndo_ + 1; i <= undoTo; ++i) txn.del(undoKey(i));
    pendingUndo_ = std::max(pendingUndo_, undoTo);
    const uint64_t keepFrom = commit_ > kRetainEntries ? commit_ - kRetainEntries : 0;
    const uint64_t entriesTo = std::min(keepFrom, pendingEntries_ + kPruneStep);
    for (uint64_t i = pendingEntries_ + 1; i <= entriesTo; ++i) txn.del(entryKey(i));
    pendingEntries_ = std::max(pendingEntries_, entriesTo);
    txn.put(kCommitKey, u64s({commit_, pendingUndo_, pendingEntries_}));
}

uint64_t ReplicationLog::record(StoreTxn& txn, uint64_t epoch) {
    LogEntry e;
    e.index = pendingLast_.index + 1;
    e.epoch = epoch;
    e.writes = txn.writes();
    const std::string undo = txn.undoOfCommitted(e.writes);
    e.seq = txn.seq();
    e.digest = txn.digest();
    bookkeeping(txn, e, undo, store_.seq());
    prune(txn);
    return e.index;
}

void ReplicationLog::recorded() {
    last_ = pendingLast_;
    prunedUndo_ = pendingUndo_;
    prunedEntries_ = pendingEntries_;
}

Status ReplicationLog::append(const std::vector<LogEntry>& entries, bool sync) {
    auto txn = store_.begin();
    // On any error nothing was written: the bookkeeping goes back to what is on disk.
    auto fail = [this](Error e) -> Status {
        pendingLast_ = last_;
        pendingUndo_ = prunedUndo_;
        pendingEntries_ = prunedEntries_;
        return e;
    };
    for (const auto& e : entries) {
        if (e.index != pendingLast_.index + 1 || e.epoch < pendingLast_.epoch)
            return fail(makeError("malformed", fmt::format("entry {} (epoch {}) does not follow {} (epoch {})",
                                                           e.index, e.epoch, pendingLast_.index, pendingLast_.epoch)));
        const uint64_t seqBefore = txn->seq();
        const std::string undo = txn->undoOf(e.writes);
        if (auto ok = txn->apply(e.writes); !ok) return fail(ok.error());
        txn->setSeq(e.seq);
        if (txn->digest() != e.digest)
            return fail(makeError("diverged", fmt::format("entry {} leaves digest {:016x} here but {:016x} on its "
                                                          "writer", e.index, txn->digest(), e.digest)));
        bookkeeping(*txn, e, undo, seqBefore);
    }
    prune(*txn);
    if (auto ok = store_.commit(*txn, sync); !ok) return fail(ok.error());
    recorded();
    return Ok{};
}

std::vector<LogEntry> ReplicationLog::read(uint64_t from, std::size_t maxBytes) const {
    std::vector<LogEntry> out;
    std::size_t bytes = 0;
    auto snap = store_.snapshot();
    snap.scan(kEntryPrefix, from > 0 ? entryKey(from - 1) : std::string(), [&](std::string_view k, std::string_view v) {
        auto index = parseKeyNum(k.substr(kEntryPrefix.size()));
        if (!index || *index < from || (!out.empty() && *index != out.back().index + 1)) return false;
        auto e = decodeEntry(*index, v);
        if (!e) return false;
        bytes += v.size();
        out.push_back(std::move(*e));
        return bytes < maxBytes;
    });
    if (!out.empty() && out.front().index != from) out.clear();
    return out;
}

Status ReplicationLog::truncate(uint64_t index) {
    if (index >= last_.index) return Ok{};
    if (index < prunedUndo_ || index < commit_)
        return makeError("diverged", fmt::format("asked to take back entries after {}, but entries up to {} are "
                                                 "committed here; this node's store must be re-seeded",
                                                 index, std::max(prunedUndo_, commit_)));
    auto txn = store_.begin();
    uint64_t seqBefore = store_.seq();
    for (uint64_t i = last_.index; i > index; --i) {
        auto u = store_.get(undoKey(i));
        if (!u || u->size() < 8) return makeError("diverged", fmt::format("the undo record of entry {} is missing", i));
        seqBefore = getU64(*u, 0);
        if (auto ok = txn->apply(std::string_view(*u).substr(8)); !ok) return ok.error();
        txn->del(entryKey(i));
        txn->del(undoKey(i));
    }
    const uint64_t epoch = *epochAt(index);
    auto snap = store_.snapshot();
    snap.scan(kEpochPrefix, "", [&](std::string_view k, std::string_view v) {
        if (getU64(v, 0) > index) txn->del(k);
        return true;
    });
    txn->put(kLogKey, u64s({epoch, index}));
    txn->setSeq(seqBefore);
    if (auto ok = store_.commit(*txn, true); !ok) return ok.error();
    last_ = pendingLast_ = {epoch, index};
    return Ok{};
}

void ReplicationLog::setCommit(uint64_t index) { commit_ = std::max(commit_, std::min(index, last_.index)); }

}  // namespace jupiter
