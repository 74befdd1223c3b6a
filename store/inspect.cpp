// Store inspection for verify; see inspect.hpp.
#include "store/inspect.hpp"

#include <algorithm>
#include <cstring>

namespace jupiter {

Doc digestReply(const Store& store) {
    auto snap = store.snapshot();
    uint64_t digest = 0, records = 0;
    const auto seqBytes = snap.get("m/seq");
    snap.scan(kStatePrefix, "", [&](std::string_view k, std::string_view v) {
        digest ^= recordHash(k, v);
        ++records;
        return true;
    });
    uint64_t seq = 0;
    if (seqBytes && seqBytes->size() == 8) std::memcpy(&seq, seqBytes->data(), 8);
    return Doc{{"seq", seq}, {"digest", digest}, {"records", records}, {"running_digest", store.digest()}};
}

Doc keysReply(const Store& store, const std::string& after, std::size_t max) {
    auto snap = store.snapshot();
    Doc keys = Doc::array();
    std::string last;
    snap.scan(kStatePrefix, after, [&](std::string_view k, std::string_view v) {
        keys.push_back(Doc::array({std::string(k), recordHash(k, v)}));
        last = std::string(k);
        return keys.size() < max;
    });
    return Doc{{"keys", keys}, {"next", keys.size() < max ? std::string() : last}};
}

std::optional<Doc> inspectRequest(const Store& store, const std::string& name, const Doc& body) {
    if (name == "digest") return digestReply(store);
    if (name != "keys") return std::nullopt;
    const auto after = body.value("after", std::string());
    const auto max = std::min<uint64_t>(body.value("max", uint64_t{1000}), 10000);
    return keysReply(store, after, static_cast<std::size_t>(max));
}

}  // namespace jupiter
