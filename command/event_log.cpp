// Event log encoding and range reads; see event_log.hpp.
#include "command/event_log.hpp"

namespace jupiter {

std::string eventKey(uint64_t seq) { return "e/" + keyNum(seq); }

Doc makeEventDoc(uint64_t seq, std::string_view name, int64_t atMs, const Doc& body) {
    return Doc{{"seq", seq}, {"name", name}, {"at", atMs}, {"body", body}};
}

Doc readEvents(const Store& store, uint64_t from, std::size_t max) {
    Doc out = Doc::array();
    if (from == 0) from = 1;
    auto snap = store.snapshot();
    const std::string start = from > 1 ? eventKey(from - 1) : std::string();
    snap.scan("e/", start, [&](std::string_view, std::string_view v) {
        auto ev = unpackDoc(v);
        if (!ev) throw std::runtime_error("the event log holds an unreadable record: " + ev.error().message);
        out.push_back(std::move(ev.value()));
        return out.size() < max;
    });
    return out;
}

}  // namespace jupiter
