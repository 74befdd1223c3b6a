// Installing a snapshot of another node's state; see install.hpp.
#include "store/install.hpp"

#include <fmt/format.h>
#include <rocksdb/write_batch.h>

namespace jupiter {
namespace {

constexpr std::string_view kInstallingKey = "m/installing";

// The first key after every key under the state prefix ("s/" -> "s0").
std::string stateEnd() {
    std::string end(kStatePrefix);
    ++end.back();
    return end;
}

}  // namespace

bool StateInstall::interrupted(const Store& store) { return store.get(kInstallingKey).has_value(); }

Result<StateInstall> StateInstall::begin(Store& store) {
    rocksdb::WriteBatch batch;
    const std::string end = stateEnd();
    if (auto s = batch.DeleteRange(toSlice(kStatePrefix), toSlice(end)); !s.ok())
        return makeError("store", fmt::format("cannot remove the state of {}: {}", store.dir().string(), s.ToString()));
    batch.Put(toSlice(kInstallingKey), "1");
    if (auto ok = store.write(batch, 0, 0, true); !ok) return ok.error();
    return StateInstall(store);
}

Status StateInstall::add(std::span<const Record> records) {
    rocksdb::WriteBatch batch;
    uint64_t digest = digest_;
    std::string_view last = last_;
    for (const auto& [key, value] : records) {
        if (key.substr(0, kStatePrefix.size()) != kStatePrefix)
            return makeError("bad_field", fmt::format("snapshot record '{}' is not a state record (under {})", key,
                                                      kStatePrefix));
        if (key <= last)
            return makeError("bad_field", fmt::format("snapshot record '{}' does not come after '{}'", key, last));
        batch.Put(toSlice(key), toSlice(value));
        digest ^= recordHash(key, value);
        last = key;
    }
    if (records.empty()) return Ok{};
    if (auto ok = store_->write(batch, 0, 0, false); !ok) return ok;
    digest_ = digest;
    last_ = std::string(records.back().first);
    records_ += records.size();
    return Ok{};
}

Status StateInstall::finish(uint64_t seq, uint64_t digest) {
    if (digest != digest_)
        return makeError("digest_mismatch",
                         fmt::format("the {} installed records have digest {:016x}, the source said {:016x} at "
                                     "sequence {}",
                                     records_, digest_, digest, seq));
    rocksdb::WriteBatch batch;
    batch.Delete(toSlice(kInstallingKey));
    return store_->write(batch, seq, digest, true);
}

}  // namespace jupiter
